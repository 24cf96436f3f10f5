"""Lanes that attack the prober: endless output (with and without newlines), a `setsid` child that
holds stdout open, a double-forked daemon, and a lane that reads the prober's tokens."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cutover_probe.model import Status

from ..conftest import clean_environ, invoke_cli, run_cli, run_in_process

LANE = """
[matrix]
title = "hostile lane"

[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"

[variables.OUTPUT_DIR]
type = "path"

[variables.LANE_TOKEN_VAR]
type = "secret"
default = ""

[[checks]]
id = "lane"
kind = "command"
description = "a hostile lane"
argv = [{python!r}, {script!r}]
deadline = "{deadline}"
kill_grace = "0.5s"
{extra}
"""

SECRET = "s3cr3t-token-value-0123456789"


def hostile_lane(tmp_path: Path, body: str, *, deadline: str = "60s", extra: str = "") -> Path:
    script = tmp_path / "lane.py"
    script.write_text(textwrap.dedent(body))
    config = tmp_path / "lane.toml"
    config.write_text(
        LANE.format(python=sys.executable, script=str(script), deadline=deadline, extra=extra)
    )
    return config


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _in_proc(pid: int) -> bool:
    """Running or a zombie: anything but reaped."""
    return os.path.exists(f"/proc/{pid}")


def _dead_soon(pid: int) -> bool:
    for _ in range(40):  # init reaps what the exited prober left as a zombie
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


# 16 MB: 15 times a line's cap (LINE_CAP), far past every bound the prober keeps (a line held
# whole, the head and tail, a carry), so flat memory and the streaming are what is tested.
# 60 MB proved nothing more and cost 20 s of a 2-core machine.
SIZE = 16_000_000


@pytest.mark.parametrize("newlines", [True, False], ids=["lines", "one-line"])
def test_huge_output_streams_to_the_log_and_the_report_keeps_head_and_tail(
    tmp_path: Path, newlines: bool
) -> None:
    unit = "0123456789" * 9 + "abcdefghi" + ("\n" if newlines else "j")
    config = hostile_lane(
        tmp_path,
        f"""
        import sys
        out = sys.stdout.buffer
        out.write(b"FIRST-LINE\\n")
        block = {unit!r}.encode() * 10_000
        for _ in range({SIZE} // len(block)):
            out.write(block)
        out.write(b"\\nLAST-LINE\\n")
        """,
    )
    out = tmp_path / "report"
    result = run_cli(
        "run", "--config", str(config), env=clean_environ(OUTPUT_DIR=str(out)), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    log = out / "logs" / "lane.log"
    assert log.stat().st_size > SIZE  # everything, plus the header and footer
    with log.open("rb") as handle:
        assert handle.read(1000).count(b"\nFIRST-LINE\n") == 1
        handle.seek(-1000, os.SEEK_END)
        assert b"LAST-LINE\n# status: passed\n" in handle.read()
    assert not (out / ".lane-output").exists()
    assert (out / "results.json").stat().st_size < 400_000
    evidence = json.loads((out / "results.json").read_text())["checks"][0]["evidence"]
    assert evidence[1] == "FIRST-LINE"
    assert evidence[-1] == "LAST-LINE"
    assert sum(len(line) for line in evidence) > 120 * 1024  # a head and a tail, not just two
    [left_out] = [line for line in evidence if "bytes left out" in line]
    assert left_out.endswith("bytes left out (full output in logs/lane.log) …")
    left = int(left_out.split()[1].replace(",", ""))
    assert SIZE - 128 * 1024 < left < SIZE
    junit = tmp_path / "junit.xml"
    assert not junit.exists()


def test_a_setsid_child_holding_stdout_does_not_hold_the_lane(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    config = hostile_lane(
        tmp_path,
        f"""
        import subprocess, sys
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
        )
        open({str(pidfile)!r}, "w").write(str(child.pid))
        print("tests passed", flush=True)
        """,
        deadline="30s",
    )
    out = tmp_path / "report"
    result = run_cli(
        "run", "--config", str(config), env=clean_environ(OUTPUT_DIR=str(out)), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    row = json.loads((out / "results.json").read_text())["checks"][0]
    assert row["status"] == "passed"
    assert "tests passed" in row["evidence"]
    assert _dead_soon(int(pidfile.read_text()))


DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        open({pidfile!r} + ".tmp", "w").write(str(os.getpid()))
        os.rename({pidfile!r} + ".tmp", {pidfile!r})
        while True:
            time.sleep(1)
    os._exit(0)
os.wait()
while not os.path.exists({pidfile!r}):
    time.sleep(0.01)
print("daemon started")
"""


def test_a_double_forked_daemon_is_dead_after_the_run(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    config = hostile_lane(tmp_path, DAEMON.format(pidfile=str(pidfile)))
    out = tmp_path / "report"
    result = run_cli(
        "run", "--config", str(config), env=clean_environ(OUTPUT_DIR=str(out)), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _dead_soon(int(pidfile.read_text())), "the daemon outlived the run"


@pytest.mark.anyio
async def test_the_prober_reaps_the_daemons_it_kills(tmp_path: Path) -> None:
    """Here the test process is the prober: the killed daemon was reparented to it, and no
    zombie of it is left (its /proc entry is gone)."""
    pidfile = tmp_path / "daemon.pid"
    config = hostile_lane(tmp_path, DAEMON.format(pidfile=str(pidfile)))
    outcomes = await run_in_process(clean_environ(), tmp_path, config)
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason
    assert "daemon started" in outcomes["lane"].evidence
    daemon = int(pidfile.read_text())
    assert not _in_proc(daemon), "a zombie of the daemon is left"


@pytest.mark.anyio
async def test_a_lane_inherits_no_token_unless_its_check_lists_it(tmp_path: Path) -> None:
    body = """
        import os
        for name in ("DEPLOY_ACCESS_TOKEN", "LANE_TOKEN_VAR", "HARMLESS", "GITHUB_TOKEN"):
            print(name, "set" if name in os.environ else "unset")
    """
    environ = clean_environ(
        DEPLOY_ACCESS_TOKEN="ya29.not-for-lanes",
        LANE_TOKEN_VAR=SECRET,
        HARMLESS="1",
        GITHUB_TOKEN="ghp_not_for_lanes",
    )
    outcomes = await run_in_process(environ, tmp_path, hostile_lane(tmp_path, body))
    lane = outcomes["lane"]
    assert lane.status is Status.PASSED, lane.reason
    assert "DEPLOY_ACCESS_TOKEN unset" in lane.evidence
    assert "LANE_TOKEN_VAR unset" in lane.evidence  # the matrix's secret variable
    assert "GITHUB_TOKEN unset" in lane.evidence
    assert "HARMLESS set" in lane.evidence

    listed = hostile_lane(tmp_path, body, extra='pass_env = ["DEPLOY_ACCESS_TOKEN"]')
    lane = (await run_in_process(environ, tmp_path, listed))["lane"]
    assert "DEPLOY_ACCESS_TOKEN set" in lane.evidence
    assert "LANE_TOKEN_VAR unset" in lane.evidence


def test_pass_env_with_a_bad_name_is_a_config_error(tmp_path: Path) -> None:
    config = hostile_lane(tmp_path, "print(1)", extra='pass_env = ["NOT A NAME"]')
    result = invoke_cli("plan", "--config", str(config), env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2
    assert "pass_env" in result.stderr
    assert "expected a list of environment variable names" in result.stderr
