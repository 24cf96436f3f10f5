"""Hostile Google APIs cannot hold the gate: every wait is bounded and the process always exits.

Each test serves a Google fake that misbehaves one way (endless pages, a trickled body, a gzip
bomb, no answer at all) from this process, as a real API outlives the prober, and runs the real
CLI against it as a subprocess: the run must end with a report naming the reason, and the
process must be gone. No wall-clock limit is asserted beyond "it exited at all" (the timeout).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover_probe.fleet import FleetSpec, FleetThread, GoogleFaults

from ..conftest import clean_environ, read_tsv

CONFIG = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"

[[checks]]
id = "errors"
kind = "cloud-logging-errors"
project = "openagentsgemini"
service = "openagents-control-service"
deadline = "{deadline}"

[[checks]]
id = "canary"
kind = "cloudrun-canary"
project = "openagentsgemini"
region = "us-central1"
service = "openagents-control-service"
deadline = "{deadline}"
"""


def run_against(
    faults: GoogleFaults, tmp_path: Path, *, deadline: str = "4s"
) -> tuple[int, str, dict[str, str], int, int, float]:
    """The CLI against a Google fake with these faults: its exit code, stderr, the reason of
    each check, the requests the fake had when the process exited and a second later, and the
    process's peak RSS (MiB)."""
    config = tmp_path / "google.toml"
    config.write_text(CONFIG.format(deadline=deadline))
    out = tmp_path / "report"
    with FleetThread(FleetSpec(google=faults)) as fleet, (tmp_path / "stderr").open("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "cutover_probe", "run", "-q", "--config", str(config)],
            env=clean_environ(OUTPUT_DIR=str(out), **fleet.env()),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        code, peak_kib = _wait(process.pid, timeout=30)
        at_exit = len(fleet.requests)
        # A request the run sent before it exited reaches the fake within milliseconds.
        time.sleep(0.5)
        later = len(fleet.requests)
        err.seek(0)
        stderr = err.read()
    doc = json.loads((out / "results.json").read_text())
    reasons = {c["id"]: f"{c['status']}: {c['reason']}" for c in doc["checks"]}
    assert {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")} == {
        c["id"]: c["status"] for c in doc["checks"]
    }
    return code, stderr, reasons, at_exit, later, peak_kib / 1024


def _wait(pid: int, timeout: float) -> tuple[int, int]:
    """Exit code and peak RSS (KiB) of this child alone; SIGKILL and fail past ``timeout``."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), usage.ru_maxrss
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the run did not exit within {timeout:g}s")


LOGGING = "list log entries of openagents-control-service"
REVISIONS = "list revisions of openagents-control-service"
OUT_OF_TIME = r"timeout, no complete answer within \d+(\.\d)?s"


def test_endless_pages_stop_at_a_bound_and_the_process_exits(tmp_path: Path) -> None:
    faults = GoogleFaults(endless_pages=frozenset({"logging", "run"}))
    code, stderr, reasons, at_exit, later, _ = run_against(faults, tmp_path, deadline="60s")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    # Stopped by the request cap; on a machine too busy for 100 requests in the call's 10 s,
    # by its budget, after as many requests as fitted: bounded either way.
    bounded = r"({api} still paging after 100 requests|{time} \(after \d+ requests\) from \S+)"
    assert re.fullmatch(
        rf"failed: {LOGGING}: " + bounded.format(api="Cloud Logging", time=OUT_OF_TIME),
        reasons["errors"],
    ), reasons
    assert re.fullmatch(
        rf"failed: {REVISIONS}: " + bounded.format(api="Cloud Run", time=OUT_OF_TIME),
        reasons["canary"],
    ), reasons
    assert at_exit == later, "nothing of the run still pages once it has exited"


def test_endless_pages_stop_at_the_check_deadline(tmp_path: Path) -> None:
    # 300 ms a page: the check's deadline comes long before the 100th request.
    faults = GoogleFaults(endless_pages=frozenset({"logging"}), latency_ms=300.0)
    code, stderr, reasons, at_exit, later, _ = run_against(faults, tmp_path, deadline="4s")
    assert code == 1, stderr
    assert re.fullmatch(
        rf"failed: {LOGGING}: {OUT_OF_TIME}( \(after \d+ requests\))? from http://127\.0\.0\.1:\d+",
        reasons["errors"],
    ), reasons
    assert at_exit == later, "the paging stopped with the check"


@pytest.mark.parametrize(
    "faults",
    [
        # Fresh errors make the Logging answer long enough to trickle past any deadline.
        GoogleFaults(trickle=frozenset({"logging", "run"}), error_entries=3),
        GoogleFaults(hang=frozenset({"logging", "run"})),
    ],
    ids=["trickle", "hang"],
)
def test_trickled_or_missing_answer_ends_at_the_deadline(
    faults: GoogleFaults, tmp_path: Path
) -> None:
    # Not shorter than 4 s: the deadline also covers importing the client library (~0.5 s of
    # CPU, seconds on a loaded machine) and the call gives up 1 s before it; at 2 s the engine's
    # "deadline exceeded" came first on a loaded machine, which is not what this test is about.
    code, stderr, reasons, _, _, _ = run_against(faults, tmp_path, deadline="4s")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert re.fullmatch(
        rf"failed: {LOGGING}: {OUT_OF_TIME} from http://127\.0\.0\.1:\d+", reasons["errors"]
    ), reasons
    # The canary's calls run at once and run out together: one reason each, joined.
    assert reasons["canary"].startswith("failed: ")
    canary = reasons["canary"].removeprefix("failed: ").split("; ")
    for part in canary:
        assert re.fullmatch(rf"[^:]+: {OUT_OF_TIME} from http://\S+", part), reasons


def test_gzip_bomb_fails_by_name_without_inflating(tmp_path: Path) -> None:
    faults = GoogleFaults(gzip_bomb=frozenset({"logging"}))
    code, stderr, reasons, _, _, peak_mib = run_against(faults, tmp_path, deadline="60s")
    assert code == 1, stderr
    assert reasons["errors"] == f"failed: {LOGGING}: Cloud Logging answer larger than 8 MiB"
    assert reasons["canary"].startswith("passed")
    # Memory, not time: the bomb inflates to 1 GiB (7 GiB peak RSS before the cap).
    assert peak_mib < 512, f"peak RSS {peak_mib:.0f} MiB"
