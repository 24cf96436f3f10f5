"""The engine: checks run concurrently, each within its deadline; fail-fast cancels the rest and
every row is still written."""

from __future__ import annotations

import json
from pathlib import Path

from cutover_probe.fleet import ControlFaults, FleetSpec, FleetThread

from .conftest import Checkout, fleet_environ, invoke_cli, read_tsv


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
        result = invoke_cli("run", "--fail-fast", env=env, cwd=checkout.root)
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
