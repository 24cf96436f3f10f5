"""`cutover-probe plan`: what would run and what is skipped, without touching the network; bad
values exit 2 naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import Checkout, clean_environ, fleet_environ, invoke_cli


def test_plan_prints_skips_and_touches_no_network(fleet_thread, checkout: Checkout) -> None:
    env = fleet_environ(fleet_thread, checkout)
    del env["PROD_RUNTIME_BASE_URL"]
    before = len(fleet_thread.requests)
    result = invoke_cli("plan", env=env, cwd=checkout.root)
    assert result.returncode == 0, result.stderr
    assert len(fleet_thread.requests) == before
    lines = {line.split()[1]: line for line in result.stdout.splitlines()[2:14]}
    assert lines["runtime-prod-smoke"].startswith("skip")
    assert lines["runtime-prod-smoke"].endswith("PROD_RUNTIME_BASE_URL unset")
    assert lines["runtime-staging-smoke"].startswith("run")
    assert lines["cross-surface-contract-harness"].endswith("RUN_CROSS_SURFACE=0")
    for token in fleet_thread.tokens.values():
        assert token not in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STAGING_CONTROL_BASE_URL", "staging.openagents.com"),
        ("PROD_RUNTIME_BASE_URL", "ftp://runtime.example"),
        ("PROD_CONTROL_BASE_URL", "http://host:notaport"),
    ],
)
def test_malformed_url_exits_2_naming_the_variable(
    variable: str, value: str, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = invoke_cli(
        "run", env=clean_environ(**{variable: value, "OUTPUT_DIR": str(out)}), cwd=tmp_path
    )
    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists(), "nothing is written when the input is bad"


def test_flag_that_is_not_0_or_1_exits_2(tmp_path: Path) -> None:
    result = invoke_cli("plan", env=clean_environ(RUN_LOG_PROBES="yes"), cwd=tmp_path)
    assert result.returncode == 2
    assert "RUN_LOG_PROBES" in result.stderr
    assert "expected 0 or 1" in result.stderr
