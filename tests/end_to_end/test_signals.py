"""Every signal ends a run the same way: cancelled rows, the whole report, exit 130, nothing left.

The real CLI runs as a subprocess with a lane (a process group of its own, with a child) and a
Google call that never gets an answer, and is sent SIGINT, SIGTERM or SIGHUP; a second signal
must skip the lanes' grace; a signal during the writing must let it finish. Each test checks
what a user would: the exit code, the rows, the report files (and no half-written leftovers),
no traceback, and that no process of the run survives (found by a marker in its environment).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import IO

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
id = "lane"
kind = "command"
argv = ["{python}", "-c", '''{script}''']
kill_grace = "{grace}"
env = {{ RUN_MARKER = "{marker}" }}

[[checks]]
id = "errors"
kind = "cloud-logging-errors"
project = "openagentsgemini"
service = "openagents-control-service"
"""

# A lane with a child in its process group, both sleeping; with ignore_term, deaf to SIGTERM.
LANE = """
import os, signal, subprocess, sys, time
if {ignore_term}:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open({pids!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
time.sleep(600)
"""


class Run:
    """The CLI running the lane config against a hanging Cloud Logging fake."""

    def __init__(self, tmp_path: Path, *, grace: str = "1s", ignore_term: bool = False) -> None:
        self.marker = uuid.uuid4().hex
        self.pids = tmp_path / "pids"
        self.out = tmp_path / "report"
        script = LANE.format(ignore_term=ignore_term, pids=str(self.pids))
        self.config = tmp_path / "lane.toml"
        self.config.write_text(
            CONFIG.format(python=sys.executable, script=script, grace=grace, marker=self.marker)
        )
        self.tmp_path = tmp_path
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self.readers: list[threading.Thread] = []

    def start(self, fleet_env: dict[str, str], **extra: str) -> subprocess.Popen[str]:
        env = clean_environ(OUTPUT_DIR=str(self.out), RUN_MARKER=self.marker, **fleet_env)
        env.update(extra)
        process = subprocess.Popen(
            [sys.executable, "-m", "cutover_probe", "run", "-q", "--config", str(self.config)],
            env=env,
            cwd=self.tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.readers = [
            threading.Thread(target=self._read, args=(process.stdout, self.stdout_lines)),
            threading.Thread(target=self._read, args=(process.stderr, self.stderr_lines)),
        ]
        for reader in self.readers:
            reader.start()
        return process

    @staticmethod
    def _read(stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:
            lines.append(line)

    def wait_for(self, what: str, condition: object, timeout: float = 30) -> None:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if callable(condition) and condition():
                return
            time.sleep(0.02)
        raise AssertionError(f"waited {timeout:g}s for {what}")

    def finish(self, process: subprocess.Popen[str]) -> tuple[int, str, str]:
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("the run did not exit within 30 s") from None
        for reader in self.readers:
            reader.join(timeout=30)
        return code, "".join(self.stdout_lines), "".join(self.stderr_lines)

    def survivors(self) -> list[int]:
        """Every process whose environment carries this run's marker (the lane and its child,
        the prober itself), zombies aside."""
        found = []
        needle = f"RUN_MARKER={self.marker}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if needle not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                found.append(int(entry.name))
        return found

    def leftovers(self) -> list[str]:
        """Hidden temp files or directories a cut-short write would leave in the report."""
        return sorted(p.name for p in self.out.iterdir() if p.name.startswith("."))


def _eventually_gone(run: Run) -> list[int]:
    for _ in range(100):
        left = run.survivors()
        if not left:
            return []
        time.sleep(0.05)
    return run.survivors()


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_every_signal_cancels_reports_and_exits_130(sig: signal.Signals, tmp_path: Path) -> None:
    run = Run(tmp_path)
    with FleetThread(FleetSpec(google=GoogleFaults(hang=frozenset({"logging"})))) as fleet:
        process = run.start(fleet.env())
        run.wait_for("the lane to start", run.pids.exists)
        time.sleep(0.5)  # the Google call is waiting on its hanging answer too
        process.send_signal(sig)
        code, stdout, stderr = run.finish(process)
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert f"[matrix] {sig.name}: cancelling every check" in stderr
    assert "[matrix] verdict: INTERRUPTED" in stdout
    rows = {r["check_id"]: r["status"] for r in read_tsv(run.out / "results.tsv")}
    assert rows == {"lane": "cancelled", "errors": "cancelled"}
    doc = json.loads((run.out / "results.json").read_text())
    assert {c["reason"] for c in doc["checks"]} == {"cancelled: the run was interrupted"}
    assert doc["verdict"]["exit_code"] == 130
    for name in ("SUMMARY.md", "report.html", "logs/lane.log", "logs/errors.log"):
        assert (run.out / name).is_file(), name
    assert "killing process group" in (run.out / "logs" / "lane.log").read_text()
    assert run.leftovers() == []
    assert _eventually_gone(run) == [], "a process of the run survived it"


def test_second_signal_skips_the_grace_and_still_reports(tmp_path: Path) -> None:
    # The lane ignores SIGTERM and has a 10 minute grace: only a second signal ends it soon.
    run = Run(tmp_path, grace="10m", ignore_term=True)
    with FleetThread(FleetSpec(google=GoogleFaults(hang=frozenset({"logging"})))) as fleet:
        process = run.start(fleet.env())
        run.wait_for("the lane to start", run.pids.exists)
        process.send_signal(signal.SIGINT)
        run.wait_for(
            "the first signal's notice", lambda: any("SIGINT:" in x for x in run.stderr_lines)
        )
        time.sleep(0.3)  # the lane has had its SIGTERM and ignores it
        assert process.poll() is None, "still in the lane's grace"
        process.send_signal(signal.SIGTERM)
        code, _, stderr = run.finish(process)  # raises TimeoutExpired if the grace is waited out
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert "[matrix] SIGTERM again: killing every lane's process group now" in stderr
    rows = {r["check_id"]: r["status"] for r in read_tsv(run.out / "results.tsv")}
    assert rows == {"lane": "cancelled", "errors": "cancelled"}
    assert run.leftovers() == []
    assert _eventually_gone(run) == []


def test_signal_while_writing_lets_the_write_finish(tmp_path: Path) -> None:
    """The step summary is a FIFO: its write blocks, after the report, until we read it. A
    signal then must not cut it short: the whole summary arrives, then exit 130."""
    fifo = tmp_path / "step-summary"
    os.mkfifo(fifo)
    config = tmp_path / "quick.toml"
    config.write_text(
        CONFIG.split("[[checks]]")[0]
        + '[[checks]]\nid = "lane"\nkind = "command"\n'
        + f'argv = ["{sys.executable}", "-c", "print(1)"]\n'
    )
    out = tmp_path / "report"
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover_probe", "run", "-q", "--config", str(config)],
        env=clean_environ(OUTPUT_DIR=str(out), GITHUB_STEP_SUMMARY=str(fifo)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    limit = time.monotonic() + 30
    while not (out / "results.tsv").exists() and time.monotonic() < limit:
        time.sleep(0.02)
    time.sleep(0.3)  # now blocked opening the FIFO
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert process.poll() is None, "the signal did not end the write"
    with fifo.open() as reader:
        summary = reader.read()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "GO" in summary
    assert "lane" in summary
    assert read_tsv(out / "results.tsv")[0]["status"] == "passed"
    doc = json.loads((out / "results.json").read_text())
    assert doc["verdict"]["label"] == "GO", "the run was over: its verdict stands"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
