"""CI's own formats (`ci.py`): JUnit XML with one testcase per check, failures and skips
as JUnit says, and the verdict appended to GitHub's step summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cutover_probe.fleet import SCENARIOS, FleetThread

from .conftest import Checkout, fleet_environ, invoke_cli


def test_junit_has_one_case_per_check_with_failure_and_skip(
    checkout: Checkout, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "r"))
        result = invoke_cli("run", "--junit", str(junit), env=env, cwd=checkout.root)
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
        invoke_cli("run", env=env, cwd=checkout.root)
    text = summary.read_text()
    assert text.startswith("earlier step\n## Rust Staging/Prod Validation Matrix: NO-GO")
    assert "| ❌ failed | `control-prod-smoke` | required |" in text
    assert "### Failures" in text
    for token in fleet.tokens.values():
        assert token not in text
