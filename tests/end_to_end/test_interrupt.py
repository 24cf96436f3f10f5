"""Ctrl-C or SIGTERM mid-run: every probe cancelled, the report written whole, exit 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover_probe.fleet import ControlFaults, FleetSpec, FleetThread

from ..conftest import HTTP_ONLY, Checkout, clean_environ, fleet_environ, read_tsv


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_complete_report_and_exits_130(
    sig: signal.Signals, checkout: Checkout, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    hang = ControlFaults(hang_paths=frozenset({"/readyz"}))
    with FleetThread(FleetSpec(prod_control=hang)) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        # The HTTP checks alone (no Google client library to import): which checks are
        # interrupted does not change how an interrupt ends a run.
        process = subprocess.Popen(
            [sys.executable, "-m", "cutover_probe", "run", "--config", str(HTTP_ONLY)],
            env=env,
            cwd=checkout.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        # Wait until every check but the one stuck on the hanging /readyz has finished.
        seen = []
        for line in process.stdout:
            seen.append(line)
            if sum(1 for x in seen if x.startswith("[") and "] " in x) == 3:
                break
        process.send_signal(sig)
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    assert process.returncode == 130, stderr
    assert elapsed < 5, "an interrupt is answered promptly"  # generous: CI machines are noisy
    assert "[matrix] verdict: INTERRUPTED" in "".join(seen) + stdout
    rows = {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")}
    assert rows == {
        "control-staging-smoke": "passed",
        "control-prod-smoke": "cancelled",
        "runtime-staging-smoke": "passed",
        "runtime-prod-smoke": "passed",
    }
    doc = json.loads((out / "results.json").read_text())
    assert doc["verdict"]["label"] == "INTERRUPTED"
    assert doc["verdict"]["exit_code"] == 130
    assert "- Cancelled: 1" in (out / "SUMMARY.md").read_text()


LANE = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[[checks]]
id = "lane"
kind = "command"
argv = ["{python}", "-c", '''{script}''']
"""

SCRIPT = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open({pids!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
print("lane started", flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return True
    return state == "Z"


def test_interrupt_kills_every_subprocess_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    config = tmp_path / "lane.toml"
    config.write_text(LANE.format(python=sys.executable, script=SCRIPT.format(pids=str(pids))))
    out = tmp_path / "report"
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover_probe", "run", "--config", str(config), "-v"],
        env=clean_environ(OUTPUT_DIR=str(out)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "lane started" in line:
            break
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=15)
    assert process.returncode == 130
    parent, child = (int(p) for p in pids.read_text().split())
    for _ in range(100):
        if _gone(parent) and _gone(child):
            break
        time.sleep(0.05)
    assert _gone(parent), "the lane ignored SIGTERM, so it got SIGKILL"
    assert _gone(child)
    rows = read_tsv(out / "results.tsv")
    assert [(r["check_id"], r["status"]) for r in rows] == [("lane", "cancelled")]
    log = (out / "logs" / "lane.log").read_text()
    assert "lane started" in log
    assert "killing process group" in log
