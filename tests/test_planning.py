"""The plan: which checks a selection, an environment or a shard keeps, and what a deselected
required check does to the gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_probe.fleet import FleetSpec, FleetThread

from .conftest import Checkout, clean_environ, fleet_environ, invoke_cli, read_tsv


def test_deselected_required_checks_make_the_gate_fail(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "r"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = invoke_cli(
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
        invoke_cli("run", "--env", "staging", env=env, cwd=checkout.root)
    ran = [r["check_id"] for r in read_tsv(out / "results.tsv") if r["status"] == "passed"]
    assert ran == ["control-staging-health", "control-staging-smoke", "runtime-staging-smoke"]


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
    result = invoke_cli(*args, env=clean_environ(OUTPUT_DIR=str(tmp_path / "r")), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "control-staging-health" in result.stderr or "RUN_PARITY_CHECK" in result.stderr
    assert not (tmp_path / "r" / "results.tsv").exists()


def test_a_pattern_that_matches_is_accepted_even_when_a_shard_holds_none_of_it(
    tmp_path: Path,
) -> None:
    result = invoke_cli(
        "plan", "--only", "khala-*", "--shard", "1/12", env=clean_environ(), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
