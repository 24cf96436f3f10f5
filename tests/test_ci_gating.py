"""CI and on-call use: JUnit, step summaries, selection, fail-fast, shards and merge, quick,
diff, and output a CI log can grep."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cutover_probe.config import default_config_path
from cutover_probe.engine import RunSettings
from cutover_probe.fleet import SCENARIOS, ControlFaults, FleetSpec, FleetThread, serve_fleet
from cutover_probe.planning import Selection
from cutover_probe.workflow import Outputs, RunRequest, merge_reports, run_matrix

from .conftest import Checkout, clean_environ, fleet_environ, read_tsv, run_cli

LINE = re.compile(r"^\[(passed|failed|skipped|cancelled)\] [a-z0-9._-]+ \((required|optional)\)")


def test_junit_has_one_case_per_check_with_failure_and_skip(
    checkout: Checkout, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "r"))
        result = run_cli("run", "--junit", str(junit), env=env, cwd=checkout.root)
    assert result.returncode == 1
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert len(cases) == 12
    assert suite.get("tests") == "12"
    assert suite.get("failures") == "2"
    assert suite.get("skipped") == "1"
    failure = cases["control-prod-health"].find("failure")
    assert failure is not None
    assert failure.get("message") == "/healthz: answered 404 (not_found), expected 200"
    assert "GET http://127.0.0.1:" in (failure.text or "")
    assert cases["control-prod-health"].get("classname") == "control-health.prod"
    skipped = cases["cross-surface-contract-harness"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "RUN_CROSS_SURFACE=0"
    assert cases["control-staging-health"].find("failure") is None
    assert float(cases["control-staging-health"].get("time") or "-1") >= 0


def test_step_summary_is_appended(checkout: Checkout, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    with FleetThread(SCENARIOS["stale-cache"].spec) as fleet:
        env = fleet_environ(
            fleet, checkout, OUTPUT_DIR=str(tmp_path / "r"), GITHUB_STEP_SUMMARY=str(summary)
        )
        run_cli("run", env=env, cwd=checkout.root)
    text = summary.read_text()
    assert text.startswith("earlier step\n## Rust Staging/Prod Validation Matrix: NO-GO")
    assert "| ❌ failed | `control-prod-smoke` | required |" in text
    assert "### Failures" in text
    for token in fleet.tokens.values():
        assert token not in text


def test_plain_output_is_one_greppable_line_per_check(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "r"), CI="true")
        result = run_cli("run", env=env, cwd=checkout.root)
        quiet = run_cli(
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
            [sys.executable, "-m", "cutover_probe", "run"],
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
    assert "control-staging-health" in screen
    assert "status" in screen  # the table's header
    assert "reason" in screen
    assert "[matrix] verdict: GO" in screen
    assert "[passed] control-staging-health (required)" not in screen  # not the plain lines


def test_deselected_required_checks_make_the_gate_fail(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "r"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = run_cli(
            "run", "--only", "control-*", "--skip", "*-smoke", env=env, cwd=checkout.root
        )
    assert result.returncode == 1
    rows = {r["check_id"]: r for r in read_tsv(out / "results.tsv")}
    assert len(rows) == 12
    assert rows["control-prod-health"]["status"] == "passed"
    assert rows["control-prod-smoke"]["status"] == "skipped"
    assert rows["control-prod-smoke"]["command"] == "deselected: matched by --skip *-smoke"
    assert rows["khala-contract-tests"]["command"] == "deselected: not matched by --only control-*"
    assert "required skipped" in result.stdout


def test_env_selection_keeps_only_that_environment(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "r"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        run_cli("run", "--env", "staging", env=env, cwd=checkout.root)
    ran = [r["check_id"] for r in read_tsv(out / "results.tsv") if r["status"] == "passed"]
    assert ran == ["control-staging-health", "control-staging-smoke", "runtime-staging-smoke"]


def test_fail_fast_cancels_the_rest_and_writes_every_row(
    checkout: Checkout, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    spec = FleetSpec(
        prod_control=ControlFaults(health_status=404),
        staging_control=ControlFaults(hang_paths=frozenset({"/readyz"})),
    )
    with FleetThread(spec) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = run_cli("run", "--fail-fast", env=env, cwd=checkout.root)
    assert result.returncode == 1
    rows = {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")}
    assert len(rows) == 12
    assert "failed" in (rows["control-prod-health"], rows["control-prod-smoke"])
    assert rows["control-staging-health"] == rows["control-staging-smoke"] == "cancelled"
    doc = json.loads((out / "results.json").read_text())
    reasons = {c["id"]: c["reason"] for c in doc["checks"]}
    assert reasons["control-staging-health"].startswith(
        "cancelled: --fail-fast stopped the run when"
    )
    assert doc["verdict"]["label"] == "NO-GO"


async def _run(
    environ: dict[str, str], checkout: Checkout, out: Path, shard: tuple[int, int] | None
):
    request = RunRequest(
        config=default_config_path(),
        repo_root=checkout.root,
        environ=environ,
        output_dir=out,
        settings=RunSettings(request_timeout_s=5),
        selection=Selection(shard=shard),
        quiet=True,
    )
    return await run_matrix(request, out=io.StringIO())


@pytest.mark.anyio
@pytest.mark.parametrize("count", [1, 2, 3, 5, 13, 20])
async def test_merged_shards_equal_a_whole_run_byte_for_byte(
    checkout: Checkout, tmp_path: Path, count: int
) -> None:
    spec = SCENARIOS["stale-cache"].spec  # a NO-GO, so the gate of the merge is exercised
    async with serve_fleet(spec) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_HTMX_PERF_CHECKS="1")
        whole = await _run(environ, checkout, tmp_path / "whole", None)
        parts = []
        for k in range(1, count + 1):
            parts.append(tmp_path / f"shard-{k}")
            await _run(environ, checkout, parts[-1], (k, count))
    sizes = [len(read_tsv(p / "results.tsv")) for p in parts]
    assert sum(sizes) == 14
    merged = merge_reports(parts[::-1], tmp_path / "merged", Outputs(), {}, out=io.StringIO())
    assert (tmp_path / "merged" / "results.tsv").read_bytes() == (
        tmp_path / "whole" / "results.tsv"
    ).read_bytes()
    assert merged.verdict.label == whole.verdict.label == "NO-GO"
    assert merged.verdict.counts == whole.document.verdict.counts
    for check in merged.checks:
        assert (tmp_path / "merged" / check.log_path).is_file()


def test_merge_refuses_missing_and_duplicated_shards(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout)
        for k in (1, 2, 3):
            run_cli(
                "run",
                "--quiet",
                "--shard",
                f"{k}/3",
                env={**env, "OUTPUT_DIR": str(tmp_path / f"s{k}")},
                cwd=checkout.root,
            )
    missing = run_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "m1"),
        str(tmp_path / "s1"),
        str(tmp_path / "s3"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert missing.returncode == 2
    assert "missing shard 2/3" in missing.stderr
    twice = run_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "m2"),
        str(tmp_path / "s1"),
        str(tmp_path / "s2"),
        str(tmp_path / "s2"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert twice.returncode == 2
    assert "shard 2/3 given twice" in twice.stderr
    ok = run_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "m3"),
        "--junit",
        str(tmp_path / "j.xml"),
        str(tmp_path / "s3"),
        str(tmp_path / "s1"),
        str(tmp_path / "s2"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert "[matrix] verdict: GO" in ok.stdout
    assert len(list(ET.parse(tmp_path / "j.xml").getroot().iter("testcase"))) == 12


def test_shard_defaults_from_cloud_run_task_variables(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(
            fleet,
            checkout,
            OUTPUT_DIR=str(tmp_path / "t"),
            CLOUD_RUN_TASK_INDEX="1",
            CLOUD_RUN_TASK_COUNT="4",
        )
        result = run_cli("run", env=env, cwd=checkout.root)
    doc = json.loads((tmp_path / "t" / "results.json").read_text())
    assert doc["shard"] == {"index": 2, "count": 4}
    assert [c["id"] for c in doc["checks"]] == [
        "control-staging-smoke",
        "runtime-prod-smoke",
        "control-error-log-probe",
    ]
    assert "verdict for shard 2/4" in result.stdout


def test_quick_exit_codes(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        healthy = run_cli("quick", env=fleet_environ(fleet, checkout), cwd=tmp_path)
    with FleetThread(SCENARIOS["not-ready"].spec) as fleet:
        broken = run_cli("quick", env=fleet_environ(fleet, checkout), cwd=tmp_path)
    assert healthy.returncode == 0, healthy.stdout
    assert "[quick] all ready" in healthy.stdout
    assert re.search(
        r"^cloudrun-control +yes +openagents-control-service-\S+ ready, serving 100%",
        healthy.stdout,
        re.M,
    )
    assert broken.returncode == 1
    assert re.search(r"^control-staging +NO +/readyz: answered 503", broken.stdout, re.M)
    assert "[quick] not ready: control-staging" in broken.stdout
    assert not list(tmp_path.rglob("results.tsv")), "quick writes no report unless asked"


def test_diff_lists_what_changed(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(SCENARIOS["stale-cache"].spec) as fleet:
        run_cli(
            "run",
            "-q",
            env=fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "a")),
            cwd=checkout.root,
        )
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        run_cli(
            "run",
            "-q",
            env=fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "b")),
            cwd=checkout.root,
        )
    result = run_cli(
        "diff", str(tmp_path / "a"), str(tmp_path / "b"), env=clean_environ(), cwd=tmp_path
    )
    assert result.returncode == 1
    text = result.stdout
    assert "verdict: NO-GO" in text
    assert "newly failing:\n  control-prod-health (was passed): /healthz: answered 404" in text
    assert "reason changed:\n  control-prod-smoke (failed):" in text
    same = run_cli(
        "diff", str(tmp_path / "a"), str(tmp_path / "a"), env=clean_environ(), cwd=tmp_path
    )
    assert same.returncode == 0
    assert "no check changed status or reason" in same.stdout
