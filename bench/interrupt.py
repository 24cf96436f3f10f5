"""How promptly a run ends: Ctrl-C to exit, hostile Google APIs, a gzip bomb's memory.

Each case serves the simulated fleet from this process (so a hostile API outlives the prober,
as a real one would) and runs `cutover-probe run` against it as a child process in its own
process group, as a user would; it prints one line per run and the median:

  sigint-healthy   healthy fleet, 4000 ms on every request; SIGINT 2.5 s after the start
                   (the checks and the Google calls are all waiting on answers): seconds to exit
  sigint-endless   Cloud Logging pages without end (200 ms a page, so the paging is still going
                   on); SIGINT 3 s after the start: seconds to exit
  sigint-hang      no Google API answers at all; SIGINT 3 s after the start: seconds to exit
  endless          the same fleet, no signal: seconds from the start to exit (the logging
                   checks' 60 s deadline ends the paging)
  gzip-bomb        Cloud Logging answers 1 MiB of gzip inflating to 1 GiB: peak RSS of the
                   child, its exit code and the logging rows

Usage: python bench/interrupt.py [CASE ...] [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import base_environ

from cutover_probe.demo import make_simulated_checkout
from cutover_probe.fleet import SCENARIOS, FleetSpec, FleetThread

CLI = [sys.executable, "-m", "cutover_probe", "run", "-q"]
CASES = ("sigint-healthy", "sigint-endless", "sigint-hang", "endless", "gzip-bomb")


def run(spec: FleetSpec, signal_after: float | None, limit: float) -> dict[str, Any]:
    """One run; returns seconds from the signal (or start) to exit, code, peak RSS, rows."""
    with tempfile.TemporaryDirectory(prefix="cutover-bench-") as tmp, FleetThread(spec) as fleet:
        repo = Path(tmp) / "openagents"
        repo.mkdir()
        environ = base_environ(fleet.env(), make_simulated_checkout(repo, contract_tests_pass=True))
        out = Path(tmp) / "report"
        process = subprocess.Popen(
            [*CLI, "--output-dir", str(out)],
            env=environ,
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started = time.monotonic()
        if signal_after is not None:
            time.sleep(signal_after)
            os.kill(process.pid, signal.SIGINT)  # not Popen.send_signal: it may reap the child
        sent = time.monotonic()
        deadline = sent + limit
        status = None
        usage = None
        reported = None
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if reported is None and (out / "results.tsv").exists():
                reported = time.monotonic()
            time.sleep(0.005)
        ended = time.monotonic()
        after_report = f"{ended - reported:.1f} s after results.tsv" if reported else "no report"
        if usage is None or status is None or not pid:
            peak = _peak_rss_mib(process.pid)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return {
                "seconds": None,
                "code": f"still running ({after_report})",
                "rss_mib": peak,
                "rows": _rows(out),
                "requests": len(fleet.requests),
            }
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything of its group left behind
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode() if process.stderr else ""
        rows = _rows(out)
        return {
            "seconds": ended - (sent if signal_after is not None else started),
            "code": process.returncode,
            "rss_mib": usage.ru_maxrss / 1024,
            "rows": rows,
            "traceback": "Traceback" in stderr,
            "requests": len(fleet.requests),
        }


def _rows(out: Path) -> dict[str, str]:
    if not (out / "results.tsv").exists():
        return {}
    with (out / "results.tsv").open() as handle:
        return {r["check_id"]: r["status"] for r in csv.DictReader(handle, delimiter="\t")}


def _peak_rss_mib(pid: int) -> float | None:
    """A live process's peak RSS so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=list(CASES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=float, default=120.0, help="give up after (s)")
    options = parser.parse_args()
    endless = SCENARIOS["google-endless-pages"].spec
    plans = {
        "sigint-healthy": (FleetSpec().with_latency(4000.0), 2.5),
        "sigint-endless": (endless.with_latency(200.0), 3.0),
        "sigint-hang": (SCENARIOS["google-hang"].spec, 3.0),
        "endless": (endless, None),
        "gzip-bomb": (SCENARIOS["google-gzip-bomb"].spec, None),
    }
    for case in options.cases:
        spec, after = plans[case]
        repeat = options.repeat if case.startswith("sigint") else 1
        seconds = []
        for attempt in range(repeat):
            result = run(spec, after, options.limit)
            logging_rows = {k: v for k, v in result["rows"].items() if "log-probe" in k}
            rss = result["rss_mib"]
            print(
                f"{case} #{attempt + 1}: {result['seconds'] and round(result['seconds'], 3)} s, "
                f"exit {result['code']}, peak RSS {rss and round(rss)} MiB, "
                f"traceback {result.get('traceback')}, requests {result.get('requests')}, "
                f"rows {len(result['rows'])} "
                f"{logging_rows}",
                flush=True,
            )
            if isinstance(result["seconds"], float):
                seconds.append(result["seconds"])
        if seconds:
            print(f"{case}: median {statistics.median(seconds):.3f} s over {len(seconds)} runs")


if __name__ == "__main__":
    main()
