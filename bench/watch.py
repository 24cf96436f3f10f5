"""Measures `cutover-probe watch` for docs/watch.md: the cost of an iteration after the first
against a fresh `run` process (simulated fleet at 100 ms per request), and the RSS of a watch
after 10 and after 1,000 back-to-back iterations of a one-check matrix.

    .venv/bin/python bench/watch.py [--latency-ms 100] [--runs 5] [--iterations 1000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cutover_probe.demo import demo_environ, make_simulated_checkout  # noqa: E402
from cutover_probe.fleet import FleetSpec, FleetThread  # noqa: E402

TINY = """
[variables.STAGING_CONTROL_BASE_URL]
type = "url"
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[[checks]]
id = "control-staging-health"
kind = "control-health"
required = true
environment = "staging"
base_url = "${STAGING_CONTROL_BASE_URL}"
"""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cutover_probe", *args]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def iteration_cost(environ: dict[str, str], tmp: Path, runs: int, repo: Path) -> None:
    walls = []
    for k in range(runs):
        began = time.monotonic()
        subprocess.run(
            cli("run", "--quiet", "--output-dir", str(tmp / f"run-{k}")),
            env=environ, cwd=repo, check=False, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        walls.append(time.monotonic() - began)
    out = tmp / "watch"
    subprocess.run(
        cli("watch", "--quiet", "--interval", "0", "--count", str(runs + 1),
            "--failure-limit", str(runs + 1), "--output-dir", str(out)),
        env=environ, cwd=repo, check=False, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    doc = json.loads((out / "watch.json").read_text())
    its = doc["iterations"]
    engine = [it["wall_ms"] / 1000 for it in its]
    # Start to start: the engine's wall time plus deciding, writing the report and the history.
    starts = [b["offset_s"] - a["offset_s"] for a, b in itertools.pairwise(its)]
    print(f"fresh `run` process, wall (s): {', '.join(f'{w:.2f}' for w in walls)}")
    print(f"  median {statistics.median(walls):.2f}")
    print(f"watch iteration 1, engine wall (s): {engine[0]:.2f}")
    print(f"watch iterations 2+, engine wall (s): {', '.join(f'{w:.2f}' for w in engine[1:])}")
    print(f"  median {statistics.median(engine[1:]):.2f}")
    print(f"watch start to start, iterations 1+ (s): {', '.join(f'{s:.2f}' for s in starts)}")
    print(f"  median after the first {statistics.median(starts[1:]):.2f}")
    print(f"verdicts: {[it['verdict'] for it in its]}")


def memory(fleet_env: dict[str, str], tmp: Path, iterations: int) -> None:
    config = tmp / "tiny.toml"
    config.write_text(TINY)
    environ = {**os.environ, **fleet_env, "CI": "1"}
    out = tmp / "memory"
    process = subprocess.Popen(
        cli("watch", "--config", str(config), "--interval", "0", "--count", str(iterations),
            "--output-dir", str(out)),
        env=environ, stdout=subprocess.PIPE, text=True, cwd=tmp,
    )  # fmt: skip
    assert process.stdout is not None
    marks = {1, 10, 100, iterations - 1}
    seen: dict[int, int] = {}
    for line in process.stdout:
        if line.startswith("[watch] iteration "):
            number = int(line.split()[2].rstrip(":"))
            if number in marks:
                seen[number] = rss_kib(process.pid)
    process.wait(timeout=600)
    for number in sorted(seen):
        print(f"RSS after {number} iterations: {seen[number] / 1024:.1f} MiB")
    if 10 in seen and iterations - 1 in seen:
        growth = (seen[iterations - 1] - seen[10]) / 1024
        print(f"growth from iteration 10 to {iterations - 1}: {growth:+.1f} MiB")
    print(f"exit {process.returncode}; watch.json {(out / 'watch.json').stat().st_size} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cutover-watch-bench-") as name:
        tmp = Path(name)
        repo = tmp / "openagents"
        repo.mkdir()
        bin_dir = make_simulated_checkout(repo, contract_tests_pass=True)
        with FleetThread(FleetSpec().with_latency(args.latency_ms)) as fleet:
            environ = demo_environ(dict(os.environ), fleet.env(), bin_dir)
            print(f"## iteration cost, fleet at {args.latency_ms:g} ms per request")
            iteration_cost(environ, tmp, args.runs, repo)
        with FleetThread(FleetSpec()) as fleet:
            print(f"## memory, one-check matrix, {args.iterations} iterations, --interval 0")
            memory(fleet.env(), tmp, args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
