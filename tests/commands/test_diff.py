"""`cutover-probe diff`: what newly fails, what recovered, and the exit code CI gates on."""

from __future__ import annotations

from pathlib import Path

from cutover_probe.fleet import SCENARIOS, FleetThread

from ..conftest import Checkout, clean_environ, fleet_environ, invoke_cli


def test_diff_lists_what_changed(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(SCENARIOS["stale-cache"].spec) as fleet:
        invoke_cli(
            "run",
            "-q",
            env=fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "a")),
            cwd=checkout.root,
        )
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        invoke_cli(
            "run",
            "-q",
            env=fleet_environ(fleet, checkout, OUTPUT_DIR=str(tmp_path / "b")),
            cwd=checkout.root,
        )
    result = invoke_cli(
        "diff", str(tmp_path / "a"), str(tmp_path / "b"), env=clean_environ(), cwd=tmp_path
    )
    assert result.returncode == 1
    text = result.stdout
    assert "verdict: NO-GO" in text
    assert "newly failing:\n  control-prod-health (was passed): /healthz: answered 404" in text
    assert "reason changed:\n  control-prod-smoke (failed):" in text
    same = invoke_cli(
        "diff", str(tmp_path / "a"), str(tmp_path / "a"), env=clean_environ(), cwd=tmp_path
    )
    assert same.returncode == 0
    assert "no check changed status or reason" in same.stdout
