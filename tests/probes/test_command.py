"""Subprocess lanes: real processes, their own group, output into the log, killed at deadline."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from cutover_probe.model import Status
from cutover_probe.reasons import LIMIT

from ..conftest import Checkout, clean_environ, invoke_cli, read_tsv, run_in_process

LANE_CONFIG = """
[matrix]
title = "lane"

[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"

[variables.OUTPUT_DIR]
type = "path"

[[checks]]
id = "lane"
kind = "command"
description = "a subprocess lane"
argv = {argv}
requires_files = {requires}
deadline = "{deadline}"
kill_grace = "0.5s"
"""


def lane(
    tmp_path: Path, argv: list[str], *, requires: list[str] = (), deadline: str = "20s"
) -> Path:
    config = tmp_path / "lane.toml"
    quoted = "[" + ", ".join(f"'''{a}'''" for a in argv) + "]"
    required = "[" + ", ".join(f"'''{a}'''" for a in requires) + "]"
    config.write_text(LANE_CONFIG.format(argv=quoted, requires=required, deadline=deadline))
    return config


@pytest.mark.anyio
async def test_khala_lane_runs_exactly_the_seed_command(checkout: Checkout) -> None:
    environ = clean_environ(
        PATH=f"{checkout.bin_dir}{os.pathsep}{os.environ['PATH']}",
        STAGING_CONTROL_BASE_URL="http://127.0.0.1:9",
        PROD_CONTROL_BASE_URL="http://127.0.0.1:9",
        RUN_RUNTIME_DRIFT_CHECK="0",
        RUN_LOG_PROBES="0",
    )
    # The stand-in cargo records its argv, so we see what the lane really ran.
    recorder = checkout.bin_dir / "cargo"
    recorder.write_text(
        f"#!{sys.executable}\nimport sys, pathlib\n"
        f"pathlib.Path({str(checkout.root / 'argv.txt')!r}).write_text('\\n'.join(sys.argv[1:]))\n"
        "print('test result: ok. 3 passed; 0 failed')\n"
    )
    outcomes = await run_in_process(environ, checkout.root)
    khala = outcomes["khala-contract-tests"]
    assert khala.status is Status.PASSED, khala.reason
    assert (checkout.root / "argv.txt").read_text().splitlines() == [
        "test",
        "--manifest-path",
        f"{checkout.root}/apps/runtime/Cargo.toml",
        "server::tests::khala_topic_messages",
        "--",
        "--nocapture",
    ]
    assert "test result: ok. 3 passed; 0 failed" in khala.evidence


@pytest.mark.anyio
async def test_missing_cargo_manifest_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    environ = clean_environ(
        STAGING_CONTROL_BASE_URL="http://127.0.0.1:9",
        PROD_CONTROL_BASE_URL="http://127.0.0.1:9",
    )
    outcomes = await run_in_process(environ, tmp_path)
    khala = outcomes["khala-contract-tests"]
    assert khala.status is Status.FAILED
    assert khala.reason.endswith(
        f"no apps/runtime/Cargo.toml under {tmp_path}: is --repo-root the OpenAgents checkout?"
    )


@pytest.mark.anyio
async def test_enabled_cross_surface_harness_without_script_fails(tmp_path: Path) -> None:
    environ = clean_environ(RUN_CROSS_SURFACE="1", RUN_KHALA_CONTRACT_TESTS="0")
    outcomes = await run_in_process(environ, tmp_path)
    harness = outcomes["cross-surface-contract-harness"]
    assert harness.status is Status.FAILED
    assert harness.reason == (
        f"no scripts/run-cross-surface-contract-harness.sh under {tmp_path}: "
        "is --repo-root the OpenAgents checkout?"
    )


@pytest.mark.anyio
async def test_nonzero_exit_fails_with_status_and_output_in_log(tmp_path: Path) -> None:
    script = (
        "import sys; print('compiling'); print('assertion failed', file=sys.stderr); sys.exit(3)"
    )
    config = lane(tmp_path, [sys.executable, "-c", script])
    outcomes = await run_in_process(clean_environ(), tmp_path, config)
    assert outcomes["lane"].status is Status.FAILED
    assert outcomes["lane"].reason == "exit status 3"
    assert "compiling" in outcomes["lane"].evidence
    assert "assertion failed" in outcomes["lane"].evidence


@pytest.mark.anyio
async def test_command_not_found_fails_with_its_name(tmp_path: Path) -> None:
    config = lane(tmp_path, ["definitely-not-a-command-xyz"])
    outcomes = await run_in_process(clean_environ(), tmp_path, config)
    assert outcomes["lane"].reason == "definitely-not-a-command-xyz not on PATH"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.anyio
async def test_subprocess_ignoring_sigterm_is_killed_at_deadline_with_children(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import os, signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
        print("started", flush=True)
        time.sleep(600)
        """
    )
    config = lane(tmp_path, [sys.executable, "-c", script], deadline="1.5s")
    outcomes = await run_in_process(clean_environ(), tmp_path, config)
    outcome = outcomes["lane"]
    assert outcome.status is Status.FAILED
    assert outcome.reason == "deadline exceeded: no verdict within 1.5s"
    assert "started" in outcome.evidence
    assert any("sent SIGKILL" in line for line in outcome.evidence)
    parent, child = (int(p) for p in pids.read_text().split())
    for _ in range(50):  # the child is reparented to init, which reaps it shortly
        if not _alive(child):
            break
        await anyio.sleep(0.05)
    assert not _alive(parent)
    assert not _alive(child)


@pytest.mark.anyio
async def test_children_left_behind_by_a_finished_lane_are_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pids)!r}, "w").write(str(child.pid))
        print("done")
        """
    )
    config = lane(tmp_path, [sys.executable, "-c", script])
    outcomes = await run_in_process(clean_environ(), tmp_path, config)
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason
    child = int(pids.read_text())
    for _ in range(50):
        if not _alive(child):
            break
        await anyio.sleep(0.05)
    assert not _alive(child)


@pytest.mark.anyio
async def test_a_zombie_is_dead_no_grace_waited_and_no_false_kill_message(tmp_path: Path) -> None:
    # The main process leaves an unreaped child (a zombie in its group) and exits at SIGTERM.
    # A zombie answers killpg(0), but it has exited: the cancel must not wait out a 30 s grace
    # for it, nor log that anything "ignored SIGTERM".
    script = textwrap.dedent(
        """
        import os, signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        if os.fork() == 0:
            os._exit(0)  # never waited for: a zombie until its parent is gone
        print("zombie left", flush=True)
        time.sleep(600)
        """
    )
    config = lane(tmp_path, [sys.executable, "-c", script], deadline="1s")
    config.write_text(config.read_text().replace('kill_grace = "0.5s"', 'kill_grace = "30s"'))
    outcomes = await run_in_process(clean_environ(), tmp_path, config)
    outcome = outcomes["lane"]
    assert outcome.status is Status.FAILED
    assert outcome.reason == "deadline exceeded: no verdict within 1s"
    assert "zombie left" in outcome.evidence
    assert not any("ignored SIGTERM" in line for line in outcome.evidence), outcome.evidence
    assert outcome.duration_ms < 30_000  # the grace was not waited out


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: a reason that names it then fits one line whole, however
    deep the test runner's own temporary directories are (pytest-xdist adds a level)."""
    with tempfile.TemporaryDirectory(prefix="cp-") as name:
        yield Path(name)


def test_a_lane_that_cannot_start_is_a_failure_named_in_plan_and_run(short_dir: Path) -> None:
    tmp_path = short_dir
    not_a_checkout = tmp_path / "x"
    not_a_checkout.mkdir()
    environ = clean_environ(PATH=str(tmp_path / "empty-bin"))
    args = ("--repo-root", str(not_a_checkout), "--only", "khala-contract-tests")
    reason = (
        f"cargo not on PATH; no apps/runtime/Cargo.toml under {not_a_checkout}: "
        "is --repo-root the OpenAgents checkout?"
    )
    # Whole on every one-line view (longer reasons are cut there: tests/test_reasons.py).
    assert len(reason) <= LIMIT, f"TMPDIR too deep for this test: {not_a_checkout}"

    planned = invoke_cli("plan", *args, env=environ, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    line = next(x for x in planned.stdout.splitlines() if " khala-contract-tests " in x)
    assert line.startswith("fail khala-contract-tests")
    assert line.endswith(f"required cannot start: {reason}")
    assert "1 required cannot start (a no-go in gating mode)" in planned.stdout

    ran = invoke_cli("run", *args, env=environ, cwd=tmp_path)
    assert ran.returncode == 1, ran.stderr
    assert f"[failed] khala-contract-tests (required): {reason}" in ran.stdout
    assert "internal error" not in ran.stdout + ran.stderr
    reports = not_a_checkout / "docs" / "reports" / "rust-cutover-validation"
    (report,) = reports.iterdir()
    row = next(
        r for r in read_tsv(report / "results.tsv") if r["check_id"] == "khala-contract-tests"
    )
    assert row["status"] == "failed"
    checks = json.loads((report / "results.json").read_text())["checks"]
    (khala,) = [c for c in checks if c["id"] == "khala-contract-tests"]
    assert (khala["status"], khala["reason"]) == ("failed", reason)
    assert f"FAILED: {reason}" in (report / row["log_path"]).read_text()


def test_a_lane_whose_program_is_on_path_and_manifest_present_is_planned_to_run(
    checkout: Checkout, tmp_path: Path
) -> None:
    environ = clean_environ(PATH=str(checkout.bin_dir))
    planned = invoke_cli(
        "plan",
        "--repo-root",
        str(checkout.root),
        "--only",
        "khala-contract-tests",
        env=environ,
        cwd=tmp_path,
    )
    assert planned.returncode == 0, planned.stderr
    line = next(x for x in planned.stdout.splitlines() if " khala-contract-tests " in x)
    assert line.startswith("run  khala-contract-tests")
    assert "cannot start" not in planned.stdout
