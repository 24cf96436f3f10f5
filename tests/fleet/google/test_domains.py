"""The fake domain-mappings API, and slow answers, from sync code."""

from __future__ import annotations

import time

import pytest
import requests

from cutover_probe.fleet import (
    FleetSpec,
    FleetThread,
    GoogleFaults,
)

from .test_app import PROJECT


def test_domain_mappings_and_slow_answers_from_sync_code() -> None:
    faults = GoogleFaults(cert_pending=frozenset({"staging.openagents.com"}), slow_ms=200)
    with FleetThread(FleetSpec(google=faults)) as fleet:
        base = f"{fleet.env()['CLOUD_RUN_EMULATOR_HOST']}/apis/domains.cloudrun.com/v1"
        started = time.monotonic()
        staging = requests.get(
            f"{base}/namespaces/{PROJECT}/domainmappings/staging.openagents.com", timeout=5
        )
        elapsed = time.monotonic() - started
        prod = requests.get(f"{base}/namespaces/{PROJECT}/domainmappings/openagents.com", timeout=5)
        unknown = requests.get(
            f"{base}/namespaces/{PROJECT}/domainmappings/www.openagents.com", timeout=5
        )
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{base}/namespaces/{PROJECT}/domainmappings", timeout=0.05)
    assert elapsed >= 0.2
    assert staging.status_code == 200
    body = staging.json()
    assert (body["apiVersion"], body["kind"]) == ("domains.cloudrun.com/v1", "DomainMapping")
    assert body["metadata"]["name"] == "staging.openagents.com"
    assert body["metadata"]["namespace"] == PROJECT
    assert body["spec"]["routeName"] == "openagents-control-service"
    conditions = {c["type"]: c for c in body["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "Unknown"
    assert conditions["CertificateProvisioned"]["status"] == "Unknown"
    assert conditions["CertificateProvisioned"]["message"] == "Certificate is being provisioned"
    prod_conditions = {c["type"]: c["status"] for c in prod.json()["status"]["conditions"]}
    assert prod_conditions == {
        "Ready": "True",
        "CertificateProvisioned": "True",
        "DomainRoutable": "True",
    }
    assert unknown.status_code == 404
    assert unknown.json()["error"]["status"] == "NOT_FOUND"
    assert {r.service for r in fleet.requests if "domainmappings" in r.path} == {"google"}
