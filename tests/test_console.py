"""What the terminal shows (`console.py`): every row that did not pass says why, one greppable line
per check in a CI log, a live table on a terminal (a real pseudo-terminal, so these start the
real program), the verdict standing out, the end of a run saying where to look, JSON logs."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cutover_probe.fleet import SCENARIOS, ControlFaults, FleetSpec, FleetThread

from .conftest import HTTP_ONLY, Checkout, fleet_environ, invoke_cli
from .end_to_end.test_hostile_text import run_in_terminal, terminal_environ

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
LINE = re.compile(r"^\[(passed|failed|skipped|cancelled)\] [a-z0-9._-]+ \((required|optional)\)")


# What starts drawing a row afresh: a carriage return, a cursor movement, erasing a line. The
# live view redraws in place with these, so read as text they would join two rows into one.
NEW_ROW = re.compile(r"\r|\x1b\[[0-9]*[ABEFGHK]")


def screen_text(raw: str) -> str:
    return ESCAPES.sub("", NEW_ROW.sub("\n", raw))


def without_google(environ: dict[str, str]) -> dict[str, str]:
    """The fleet's environment with no way to reach Google: its checks are skipped."""
    return {k: v for k, v in environ.items() if not k.endswith("_EMULATOR_HOST")}


# --- 8: every non-passed row says why; a selection that matches nothing is exit 2 ---------------


def test_every_row_that_did_not_pass_prints_its_reason_skips_included(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = without_google(fleet_environ(fleet, checkout, CI="true"))
        env["OUTPUT_DIR"] = str(tmp_path / "r")
        result = invoke_cli("run", env=env, cwd=checkout.root)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        "[skipped] runtime-migration-drift (required): no Google Cloud credentials: run "
        "`gcloud auth application-default login`" in result.stdout
    )
    assert "[skipped] cross-surface-contract-harness (optional): RUN_CROSS_SURFACE=0" in lines
    assert (
        "[failed] control-prod-health (required): /healthz: answered 404 (not_found), "
        "expected 200" in lines
    )
    for line in lines:
        if line.startswith(("[failed]", "[skipped]", "[cancelled]")):
            assert re.match(r"^\[\w+\] \S+ \((required|optional)\): \S", line), line


# --- 9: quick and its report agree --------------------------------------------------------------


# --- 11: reasons that fit, details in the log ---------------------------------------------------


def _terminal_lines(screen: str) -> list[str]:
    return [line.rstrip() for line in screen_text(screen).split("\n")]


@pytest.mark.slow
def test_a_narrow_terminal_cuts_reasons_never_ids(tmp_path: Path) -> None:
    env = {**terminal_environ(), "COLUMNS": "80"}
    code, screen = run_in_terminal(
        ["demo", "--scenario", "google-denied", "--output-dir", str(tmp_path / "live")],
        env,
        tmp_path,
    )
    assert code == 1, screen
    doc = json.loads((tmp_path / "live" / "results.json").read_text())
    lines = _terminal_lines(screen)
    for check in doc["checks"]:
        assert any(check["id"] in line for line in lines), check["id"]
    table = [line for line in lines if line.startswith(("passed", "failed", "skipped"))]
    assert table
    assert all(len(line) <= 80 for line in table), table
    assert any(line.endswith("…") for line in table)
    # Plain lines on a terminal (NO_COLOR): cut at the reason, to the width, ids whole.
    code, screen = run_in_terminal(
        ["demo", "--scenario", "google-denied", "--output-dir", str(tmp_path / "plain")],
        {**env, "NO_COLOR": "1"},
        tmp_path,
    )
    plain = [line for line in _terminal_lines(screen) if line.startswith("[failed]")]
    assert plain
    assert all(len(line) <= 80 for line in plain), plain
    assert any(line.startswith("[failed] control-canary-status (required): ") for line in plain)
    assert "\x1b[" not in screen.split("[matrix] verdict")[1].split("\n")[0]


# --- 12: the end of a run says where to look ----------------------------------------------------


def test_the_end_of_a_run_names_the_report_and_the_failing_checks_even_quiet(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true", OUTPUT_DIR=str(tmp_path / "r"))
        result = invoke_cli("run", "-q", env=env, cwd=checkout.root)
    assert result.returncode == 1
    assert result.stdout.splitlines()[:3] == [
        "[matrix] verdict: NO-GO (overall failed: 2 required failed)",
        "[matrix] failed: control-prod-health, control-prod-smoke",
        f"[matrix] report: {tmp_path / 'r' / 'report.html'}",
    ]
    assert "\x1b[" not in result.stdout  # not a terminal: plain


@pytest.mark.slow
def test_the_verdict_stands_out_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    # The HTTP checks alone: the verdict's colour does not depend on which checks ran.
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = terminal_environ(**fleet.env())
        run = ["run", "-q", "--config", str(HTTP_ONLY), "--output-dir"]
        code, screen = run_in_terminal([*run, str(tmp_path / "a")], env, tmp_path)
        assert code == 1
        assert "\x1b[1;31m[matrix] verdict: NO-GO" in screen
        code, screen = run_in_terminal(
            [*run, str(tmp_path / "b")], {**env, "NO_COLOR": "1"}, tmp_path
        )
    assert code == 1
    assert "[matrix] verdict: NO-GO" in screen
    assert "\x1b[" not in screen


@pytest.mark.slow
def test_verbose_on_a_terminal_shows_the_table_and_the_request_lines(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = {**terminal_environ(), **fleet_environ(fleet, checkout)}
        for name in ("CI", "NO_COLOR"):
            env.pop(name, None)
        env["OUTPUT_DIR"] = str(tmp_path / "r")
        code, screen = run_in_terminal(
            ["run", "-v", "--config", str(HTTP_ONLY)], env, checkout.root
        )
    text = screen_text(screen)
    assert code == 0, text
    assert re.search(r"  control-staging-smoke: GET http://127\.0\.0\.1:\d+/healthz", text)
    assert re.search(r"passed +control-staging-smoke +required", text)  # the live table
    assert "[passed] control-staging-smoke" not in text


def test_json_logs_end_with_run_finished_and_failed_required_checks_are_errors(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true", OUTPUT_DIR=str(tmp_path / "r"))
        result = invoke_cli("run", "--log-format", "json", env=env, cwd=checkout.root)
    assert result.returncode == 1
    events = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    last = events[-1]
    assert last["event"] == "run.finished"
    assert (last["verdict"], last["exit_code"], last["severity"]) == ("NO-GO", 1, "ERROR")
    assert last["counts"]["required_failures"] == 2
    assert last["counts"]["total"] == 12
    assert last["failed"] == ["control-prod-health", "control-prod-smoke"]
    failed = {e["check"]: e for e in events if e["event"] == "check.failed"}
    assert set(failed) == {"control-prod-health", "control-prod-smoke"}
    assert {e["severity"] for e in failed.values()} == {"ERROR"}
    assert sum(1 for e in events if e["event"] == "run.finished") == 1


# --- 13: comparisons are with the right report --------------------------------------------------


def test_a_cancelled_check_has_one_reason_on_the_terminal_and_in_the_files(
    checkout: Checkout, tmp_path: Path
) -> None:
    spec = FleetSpec(
        prod_control=ControlFaults(health_status=404),
        staging_control=ControlFaults(hang_paths=frozenset({"/readyz"})),
    )
    with FleetThread(spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true", OUTPUT_DIR=str(tmp_path / "r"))
        result = invoke_cli("run", "--fail-fast", env=env, cwd=checkout.root)
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    cancelled = [c for c in doc["checks"] if c["status"] == "cancelled"]
    assert cancelled
    for check in cancelled:
        assert check["reason"].startswith("cancelled: --fail-fast stopped the run when")
        assert f"[cancelled] {check['id']} ({'required'}): {check['reason']}" in result.stdout
    assert "cancelled before it finished" not in result.stdout


# --- 15: help and the standalone fleet are complete ---------------------------------------------


def test_plain_output_is_one_greppable_line_per_check(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "r"), CI="true")
        result = invoke_cli("run", env=env, cwd=checkout.root)
        quiet = invoke_cli(
            "run", "--quiet", env={**env, "OUTPUT_DIR": str(tmp_path / "q")}, cwd=checkout.root
        )
    lines = result.stdout.splitlines()
    check_lines = [line for line in lines if LINE.match(line)]
    assert len(check_lines) == 12
    assert [line for line in lines if not LINE.match(line)] == [
        line for line in lines if line.startswith("[matrix] ")
    ]
    assert "\x1b[" not in result.stdout
    assert quiet.stdout.splitlines()[0].startswith("[matrix] verdict: GO")
    assert not any(LINE.match(line) for line in quiet.stdout.splitlines())


def test_terminal_gets_a_live_table(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "r"), TERM="xterm")
        env.pop("CI", None)
        env.pop("NO_COLOR", None)
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "cutover_probe", "run", "--config", str(HTTP_ONLY)],
            env=env,
            cwd=checkout.root,
            stdout=follower,
            stderr=follower,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=30)
        os.close(leader)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert process.returncode == 0
    assert "control-staging-smoke" in screen
    assert "status" in screen  # the table's header
    assert "reason" in screen
    assert "[matrix] verdict: GO" in screen
    assert "[passed] control-staging-smoke (required)" not in screen  # not the plain lines
