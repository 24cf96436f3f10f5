"""Output an on-call engineer can act on (issue 11, points 8, 9, 11, 12, 13 and 15): every row
that did not pass says why, quick and its report agree, reasons fit on a line and name what
failed, the end of a run says where to look, comparisons are with the right report, and the
help and the standalone fleet are complete. Every test runs the real program (or a real run in
this process) against the simulated fleet and reads what a user would read."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cutover_probe.demo import SCENARIO_NAMES
from cutover_probe.fleet import SCENARIOS, ControlFaults, FleetSpec, FleetThread
from cutover_probe.probes.cargo_output import explain, failing_tests
from cutover_probe.reasons import LIMIT, fit

from .conftest import Checkout, clean_environ, fleet_environ, read_tsv, run_cli
from .test_hostile_text import run_in_terminal, terminal_environ

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
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
        result = run_cli("run", env=env, cwd=checkout.root)
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--only", "contrl-*"], "--only 'contrl-*' matches no check"),
        (["plan", "--skip", "nope"], "--skip 'nope' matches no check"),
        (["run", "--only", "control-*", "--skip", "khala"], "--skip 'khala' matches no check"),
        (["watch", "--count", "1", "--only", "contrl-*"], "--only 'contrl-*' matches no check"),
        (
            ["plan", "--only", "control-parity"],
            "--only 'control-parity' matches only lanes that are off (RUN_PARITY_CHECK=0)",
        ),
    ],
)
def test_a_selection_pattern_that_matches_no_check_is_exit_2_naming_it(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli(*args, env=clean_environ(OUTPUT_DIR=str(tmp_path / "r")), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "control-staging-health" in result.stderr or "RUN_PARITY_CHECK" in result.stderr
    assert not (tmp_path / "r" / "results.tsv").exists()


def test_a_pattern_that_matches_is_accepted_even_when_a_shard_holds_none_of_it(
    tmp_path: Path,
) -> None:
    result = run_cli(
        "plan", "--only", "khala-*", "--shard", "1/12", env=clean_environ(), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


# --- 9: quick and its report agree --------------------------------------------------------------


def _quick_env(fleet: object, checkout: Checkout) -> dict[str, str]:
    env = without_google(fleet_environ(fleet, checkout))  # type: ignore[arg-type]
    env.pop("PROD_RUNTIME_BASE_URL", None)
    return env


def test_quick_reports_services_it_could_not_check_as_not_checked(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = _quick_env(fleet, checkout)
        lenient = run_cli("quick", "--output-dir", str(tmp_path / "q"), env=env, cwd=tmp_path)
        strict = run_cli(
            "quick", "--strict", "--output-dir", str(tmp_path / "s"), env=env, cwd=tmp_path
        )
    out = lenient.stdout
    assert lenient.returncode == 0, out
    assert re.search(r"^runtime-prod +not checked +PROD_RUNTIME_BASE_URL unset$", out, re.M)
    assert re.search(r"^cloudrun-control +not checked +no Google Cloud credentials", out, re.M)
    assert re.search(r"^control-staging +yes +ok in \d+ ms$", out, re.M)
    summary = next(line for line in out.splitlines() if line.startswith("[quick] 3 ready"))
    assert summary.startswith(
        "[quick] 3 ready, 3 not checked (PROD_RUNTIME_BASE_URL unset, no Google Cloud "
        "credentials) ("
    )
    assert "all ready" not in out
    assert f"[quick] report: {tmp_path / 'q' / 'report.html'}" in out
    # The report tells the same story: GO on what was checked, the rest "not checked".
    doc = json.loads((tmp_path / "q" / "results.json").read_text())
    assert doc["verdict"]["label"] == "GO"
    assert doc["verdict"]["why"] == summary.removeprefix("[quick] ").rsplit(" (", 1)[0]
    rows = {row["check_id"]: row for row in read_tsv(tmp_path / "q" / "results.tsv")}
    assert rows["runtime-prod"]["command"] == "not checked: PROD_RUNTIME_BASE_URL unset"
    html = (tmp_path / "q" / "report.html").read_text()
    assert 'data-verdict="GO"' in html
    assert "not checked: PROD_RUNTIME_BASE_URL unset" in html
    # --strict: what could not be checked is a NO-GO, on the terminal and in the report.
    assert strict.returncode == 1, strict.stdout
    assert "3 not checked (PROD_RUNTIME_BASE_URL unset, no Google Cloud credentials; " in (
        strict.stdout
    )
    strict_doc = json.loads((tmp_path / "s" / "results.json").read_text())
    assert strict_doc["verdict"]["label"] == "NO-GO"
    assert 'data-verdict="NO-GO"' in (tmp_path / "s" / "report.html").read_text()


def test_quick_with_everything_checked_and_ready_says_all_ready(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(FleetSpec()) as fleet:
        result = run_cli("quick", "--strict", env=fleet_environ(fleet, checkout), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert re.search(r"^\[quick\] all ready \(6 services\) \(\d+\.\d+s\)$", result.stdout, re.M)


# --- 11: reasons that fit, details in the log ---------------------------------------------------

LIBTEST = """\
running 4 tests
test server::tests::ok_one ... ok
test khala_topic_messages::replay_window ... FAILED
test server::tests::panics_as_it_should - should panic ... FAILED
test server::tests::ok_two ... ok

failures:

---- khala_topic_messages::replay_window stdout ----
thread 'khala_topic_messages::replay_window' panicked at src/khala.rs:10:5:
assertion failed
    not_a_test_name

failures:
    khala_topic_messages::replay_window
    server::tests::panics_as_it_should

test result: FAILED. 2 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out
"""


def test_cargo_output_names_the_failing_tests() -> None:
    lines = LIBTEST.splitlines()
    assert failing_tests(lines) == [
        "khala_topic_messages::replay_window",
        "server::tests::panics_as_it_should",
    ]
    assert explain("exit status 101", lines[:3]) == (
        "khala_topic_messages::replay_window failed (exit status 101)"
    )
    assert explain("exit status 101", lines) == (
        "2 tests failed: khala_topic_messages::replay_window, "
        "server::tests::panics_as_it_should (exit status 101)"
    )
    # Only the list at the end (output cut before the result lines, as a killed run leaves it).
    assert failing_tests(["failures:", "    a::b", "    c::d", "", "test result: FAILED."]) == [
        "a::b",
        "c::d",
    ]
    compile_error = ["error[E0425]: cannot find value `x`", "error: could not compile `rt` (lib)"]
    assert explain("exit status 101", compile_error) == "could not compile rt (exit status 101)"
    assert explain("exit status 1", ["all good"]) == "exit status 1"


def test_a_reason_is_one_line_that_fits_with_digests_shortened() -> None:
    a, b = "3f9a1c2d" + "0" * 56, "3f9a1c2d" + "1" * 56
    assert fit(f"image x@sha256:{'ab' * 32} differs") == "image x@sha256:abababab… differs"
    # Two digests that share their first 8 digits still read differently.
    short = fit(f"service sha256:{a} vs job sha256:{b}")
    assert short == "service sha256:3f9a1c2d0000… vs job sha256:3f9a1c2d1111…"
    image = "us-central1-docker.pkg.dev/openagentsgemini/openagents/runtime@sha256:"
    drift = fit(
        f"service image {image}{a} differs from migrate job image {image}{b}; newest execution "
        f"x ran image {image}{b}, service runs {image}{a}; see https://example.com/a/b:1"
    )
    assert drift.startswith(
        "service image …/runtime@sha256:3f9a1c2d0000… differs from migrate job image "
        "…/runtime@sha256:3f9a1c2d1111…; newest execution x ran image"
    )
    assert len(drift) <= LIMIT
    assert fit(f"GET https://example.com/v2/x:1 {'y' * 200}").startswith(
        "GET https://example.com/v2/x:1 "
    )
    long = fit("word " * 100)
    assert len(long) <= LIMIT
    assert long.endswith("…")
    assert "\n" not in long
    assert fit("two\nlines") == "two lines"


def test_a_cargo_failure_names_the_test_and_the_log_keeps_everything(tmp_path: Path) -> None:
    env = clean_environ(CI="true")
    result = run_cli(
        "demo",
        "--scenario",
        "contract-tests-fail",
        "--output-dir",
        str(tmp_path / "r"),
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    reason = "server::tests::khala_topic_messages_fanout_order failed (exit status 101)"
    assert f"[failed] khala-contract-tests (required): {reason}" in result.stdout
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    check = next(c for c in doc["checks"] if c["id"] == "khala-contract-tests")
    assert check["reason"] == reason
    log = (tmp_path / "r" / "logs" / "khala-contract-tests.log").read_text()
    assert "assertion `left == right` failed: messages out of order" in log
    assert f"FAILED: {reason}" in log
    assert reason in (tmp_path / "r" / "SUMMARY.md").read_text()


LONG_CONFIG = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"

[[checks]]
id = "long-health"
kind = "control-health"
description = "a server whose error code is 400 characters long"
base_url = "${STAGING_CONTROL_BASE_URL}"
"""


def test_a_long_reason_is_cut_in_every_file_and_whole_in_the_log(tmp_path: Path) -> None:
    code = "not_found_" + "x" * 400

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"error": code}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    config = tmp_path / "long.toml"
    config.write_text(LONG_CONFIG)
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            env = clean_environ(
                CI="true",
                OUTPUT_DIR=str(tmp_path / "r"),
                STAGING_CONTROL_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
            )
            result = run_cli(
                "run",
                "--config",
                str(config),
                "--junit",
                str(tmp_path / "junit.xml"),
                env=env,
                cwd=tmp_path,
            )
        finally:
            server.shutdown()
            thread.join(timeout=10)
    assert result.returncode == 1, result.stderr
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    whole = doc["checks"][0]["reason"]
    assert f"({code})" in whole  # results.json keeps the whole reason
    line = next(x for x in result.stdout.splitlines() if x.startswith("[failed] long-health"))
    reason = line.removeprefix("[failed] long-health (required): ")
    assert re.match(r"/(healthz|readyz): answered 404 \(not_found_xxx", reason)
    assert len(reason) <= LIMIT
    assert reason.endswith("…")
    summary = (tmp_path / "r" / "SUMMARY.md").read_text()
    assert f"| {reason} |" in summary
    assert code not in summary
    junit = (tmp_path / "junit.xml").read_text()
    assert f'message="{reason}"' in junit
    log = (tmp_path / "r" / "logs" / "long-health.log").read_text()
    assert f"({code})" in log
    html = (tmp_path / "r" / "report.html").read_text()
    assert f'<td class="reason wrap">{whole}</td>' in html


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
        result = run_cli("run", "-q", env=env, cwd=checkout.root)
    assert result.returncode == 1
    assert result.stdout.splitlines()[:3] == [
        "[matrix] verdict: NO-GO (overall failed: 2 required failed)",
        "[matrix] failed: control-prod-health, control-prod-smoke",
        f"[matrix] report: {tmp_path / 'r' / 'report.html'}",
    ]
    assert "\x1b[" not in result.stdout  # not a terminal: plain


@pytest.mark.slow
def test_the_verdict_stands_out_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    env = terminal_environ()
    code, screen = run_in_terminal(
        ["demo", "-q", "--scenario", "control-down", "--output-dir", str(tmp_path / "a")],
        env,
        tmp_path,
    )
    assert code == 1
    assert "\x1b[1;31m[matrix] verdict: NO-GO" in screen
    code, screen = run_in_terminal(
        ["demo", "-q", "--scenario", "control-down", "--output-dir", str(tmp_path / "b")],
        {**env, "NO_COLOR": "1"},
        tmp_path,
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
        code, screen = run_in_terminal(["run", "-v"], env, checkout.root)
    text = screen_text(screen)
    assert code == 0, text
    assert re.search(r"  control-staging-health: GET http://127\.0\.0\.1:\d+/healthz", text)
    assert re.search(r"passed +control-staging-health +required", text)  # the live table
    assert "[passed] control-staging-health" not in text


def test_json_logs_end_with_run_finished_and_failed_required_checks_are_errors(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true", OUTPUT_DIR=str(tmp_path / "r"))
        result = run_cli("run", "--log-format", "json", env=env, cwd=checkout.root)
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


def _copy_report(source: Path, target: Path, timestamp: str, edit: dict[str, str]) -> None:
    shutil.copytree(source, target)
    doc = json.loads((target / "results.json").read_text())
    doc["timestamp"] = timestamp
    for check in doc["checks"]:
        if check["id"] in edit:
            check["status"] = edit[check["id"]]
            check["reason"] = f"was {edit[check['id']]}"
    (target / "results.json").write_text(json.dumps(doc, indent=2) + "\n")


def test_the_previous_report_is_the_newest_by_start_time_and_diff_agrees(
    checkout: Checkout, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true")
        seed = run_cli("run", "-q", "--output-dir", str(tmp_path / "seed"), env=env, cwd=tmp_path)
        assert seed.returncode == 1
        # Names sort the other way round from their start times.
        _copy_report(tmp_path / "seed", reports / "zz-older", "2020-01-01T00:00:00Z", {})
        _copy_report(
            tmp_path / "seed",
            reports / "aa-newer",
            "2020-01-02T00:00:00Z",
            {"control-prod-health": "cancelled", "control-prod-smoke": "passed"},
        )
        result = run_cli("run", "--output-dir", str(reports / "now"), env=env, cwd=tmp_path)
    assert f"[matrix] compared with: {reports / 'aa-newer'}" in result.stdout
    html = (reports / "now" / "report.html").read_text()
    assert f"<code>{reports / 'aa-newer'}</code>" in html
    section = html.split('<section id="changes">')[1].split("</section>")[0]
    newly_failing = re.findall(r"<li><code>([^<]+)</code>", section.split('id="newly-failing"')[1])
    diff = run_cli("diff", str(reports / "aa-newer"), str(reports / "now"), env=env, cwd=tmp_path)
    listed = diff.stdout.split("newly failing:\n")[1].split("\n")
    diff_ids = [line.split()[0] for line in listed if line.startswith("  ")]
    # cancelled -> failed and passed -> failed both newly fail, in both views.
    assert diff_ids == ["control-prod-health", "control-prod-smoke"]
    assert newly_failing[: len(diff_ids)] == diff_ids


def test_a_cancelled_check_has_one_reason_on_the_terminal_and_in_the_files(
    checkout: Checkout, tmp_path: Path
) -> None:
    spec = FleetSpec(
        prod_control=ControlFaults(health_status=404),
        staging_control=ControlFaults(hang_paths=frozenset({"/readyz"})),
    )
    with FleetThread(spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true", OUTPUT_DIR=str(tmp_path / "r"))
        result = run_cli("run", "--fail-fast", env=env, cwd=checkout.root)
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    cancelled = [c for c in doc["checks"] if c["status"] == "cancelled"]
    assert cancelled
    for check in cancelled:
        assert check["reason"].startswith("cancelled: --fail-fast stopped the run when")
        assert f"[cancelled] {check['id']} ({'required'}): {check['reason']}" in result.stdout
    assert "cancelled before it finished" not in result.stdout


# --- 15: help and the standalone fleet are complete ---------------------------------------------


def test_top_level_help_lists_every_exit_code(tmp_path: Path) -> None:
    result = run_cli("--help", env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 0
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s+\S", result.stdout, re.M), code


def test_the_standalone_fleet_takes_every_demo_scenario(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cutover_probe.fleet", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    choices = " ".join(result.stdout.split())
    for name in SCENARIO_NAMES:
        assert name in choices, name


def _start_fleet(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "fleet.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover_probe.fleet", *args],
        stdout=out.open("w"),
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_environ(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "# ready" not in out.read_text().splitlines():
        time.sleep(0.1)
    return process, out


def test_the_standalone_fleet_prints_export_lines_a_shell_can_eval(tmp_path: Path) -> None:
    process, out = _start_fleet(tmp_path, "--scenario", "contract-tests-fail")
    try:
        lines = out.read_text().splitlines()
        assert lines[-1] == "# ready"
        assert all(line.startswith(("export ", "# ")) for line in lines), lines
        repo = next(line for line in lines if "--repo-root" in line).split("--repo-root ")[1]
        script = 'eval "$(cat "$1")"; env'
        shell = subprocess.run(
            ["bash", "-c", script, "bash", str(out)],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_environ(),
            check=True,
        )
        exported = dict(line.split("=", 1) for line in shell.stdout.splitlines() if "=" in line)
        assert exported["STAGING_CONTROL_BASE_URL"].startswith("http://127.0.0.1:")
        assert exported["PATH"].startswith(str(Path(repo) / ".toolchain"))
        env = {**clean_environ(CI="true"), **exported}
        result = run_cli(
            "run",
            "--repo-root",
            repo,
            "--only",
            "khala-*",
            "--output-dir",
            str(tmp_path / "r"),
            env=env,
            cwd=tmp_path,
        )
        assert "[failed] khala-contract-tests (required): server::tests::" in result.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not Path(repo).exists(), "the simulated checkout is removed when the fleet stops"


def test_the_standalone_fleet_exports_a_scenario_s_lane_switch(tmp_path: Path) -> None:
    process, out = _start_fleet(tmp_path, "--scenario", "backups-stale")
    try:
        assert "export RUN_BACKUP_FRESHNESS_CHECK=1" in out.read_text().splitlines()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert os.path.getsize(out) > 0
