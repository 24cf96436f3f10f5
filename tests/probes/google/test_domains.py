"""The domain-mapping check: its evidence in SUMMARY.md and results.json."""

from __future__ import annotations

import json
from pathlib import Path

from cutover_probe.fleet import FleetSpec, FleetThread, GoogleFaults

from ...conftest import Checkout, fleet_environ, invoke_cli, read_tsv


def test_domain_mapping_evidence_in_summary_and_json(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "report"
    spec = FleetSpec(google=GoogleFaults(cert_pending=frozenset({"staging.openagents.com"})))
    with FleetThread(spec) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = invoke_cli("run", env=env, cwd=checkout.root)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = (out / "SUMMARY.md").read_text()
    assert "- Domain mapping staging.openagents.com (staging): Ready=Unknown" in summary
    assert "CertificateProvisioned=Unknown (Certificate is being provisioned); cert-pending" in (
        summary
    )
    assert "- Domain mapping openagents.com (prod): Ready=True, CertificateProvisioned=True" in (
        summary
    )
    doc = json.loads((out / "results.json").read_text())
    domains = {d["domain"]: d for d in doc["domain_mappings"]}
    assert domains["staging.openagents.com"]["CertificateProvisioned"] == "Unknown"
    # Evidence, not a gating row: the run is a GO and keeps its 12 rows.
    assert len(read_tsv(out / "results.tsv")) == 12
