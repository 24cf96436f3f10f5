"""`cutover-probe demo`: the simulated fleet, a run against it and its report; each scenario fails
the right check for the right reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import clean_environ, invoke_cli, read_tsv, run_cli


def test_demo_healthy_exits_zero_and_writes_reports(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run_cli("demo", "--output-dir", str(out), env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    status = {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")}
    assert [k for k, v in status.items() if v == "failed"] == []
    assert status["khala-contract-tests"] == "passed"
    log = (out / "logs" / "khala-contract-tests.log").read_text()
    assert "test result: ok. 3 passed" in log


@pytest.mark.parametrize(
    ("scenario", "check_id", "reason"),
    [
        ("control-down", "control-prod-health", "/healthz: answered 404"),
        ("stale-cache", "control-prod-smoke", "lacks 'no-cache'"),
        ("frozen-writes", "runtime-prod-smoke", "write_path_frozen"),
        ("contract-tests-fail", "khala-contract-tests", "exit status 101"),
    ],
)
def test_demo_scenarios_fail_the_right_check_for_the_right_reason(
    scenario: str, check_id: str, reason: str, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = invoke_cli(
        "demo",
        "--scenario",
        scenario,
        "--gate",
        "--output-dir",
        str(out),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    doc = json.loads((out / "results.json").read_text())
    failed = {c["id"]: c["reason"] for c in doc["checks"] if c["status"] == "failed"}
    assert check_id in failed
    assert reason in failed[check_id]


def test_unknown_demo_scenario_exits_2(tmp_path: Path) -> None:
    result = invoke_cli("demo", "--scenario", "nope", env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown scenario 'nope'" in result.stderr
