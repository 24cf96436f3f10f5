"""The simulated Cloud Run v1 domain mappings, the only API that has them (run_v2 has none).

`probes/google/domains.py` reads one mapping as evidence; the ``cert_pending`` fault leaves a
domain's certificate still being provisioned (Ready and CertificateProvisioned Unknown).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from ..common import iso, json_response, utc_now
from .shared import FakeApi, digest, run_not_found

_DOMAINS_V1 = "/apis/domains.cloudrun.com/v1/namespaces/{namespace}/domainmappings"


class DomainMappings(FakeApi):
    """The project's domain mappings, one per `GoogleWorld.domains`."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(_DOMAINS_V1, self._list_domain_mappings)
        app.router.add_get(f"{_DOMAINS_V1}/{{domain}}", self._get_domain_mapping)

    def _domain_mapping_json(self, namespace: str, domain: str, now: datetime) -> Any:
        pending = domain in self.faults.cert_pending
        created = now - timedelta(hours=6 if pending else 24 * 60)
        ready_status = "Unknown" if pending else "True"
        ready_message = (
            "Waiting for certificate provisioning. You must configure your DNS records for "
            "certificate issuance to begin."
            if pending
            else ""
        )
        conditions = [
            {"type": "Ready", "status": ready_status},
            {"type": "CertificateProvisioned", "status": ready_status},
            {"type": "DomainRoutable", "status": "True"},
        ]
        if pending:
            conditions[0]["message"] = ready_message
            conditions[1]["message"] = "Certificate is being provisioned"
        for condition in conditions:
            condition["lastTransitionTime"] = iso(created + timedelta(minutes=2))
        apex = domain.count(".") == 1
        if apex:
            records = [
                {"type": "A", "rrdata": f"216.239.{third}.21"} for third in (32, 34, 36, 38)
            ] + [
                {"type": "AAAA", "rrdata": f"2001:4860:4802:{block}::15"}
                for block in (32, 34, 36, 38)
            ]
        else:
            records = [
                {
                    "name": domain.split(".", 1)[0],
                    "type": "CNAME",
                    "rrdata": "ghs.googlehosted.com.",
                }
            ]
        return {
            "apiVersion": "domains.cloudrun.com/v1",
            "kind": "DomainMapping",
            "metadata": {
                "name": domain,
                "namespace": namespace,
                "selfLink": f"{_DOMAINS_V1.format(namespace=namespace)}/{domain}",
                "uid": digest(namespace, domain)[:32],
                "resourceVersion": digest(domain)[:12],
                "generation": 1,
                "creationTimestamp": iso(created),
                "labels": {"cloud.googleapis.com/location": self.world.region},
            },
            "spec": {"routeName": self.world.control_service, "certificateMode": "AUTOMATIC"},
            "status": {
                "conditions": conditions,
                "observedGeneration": 1,
                "resourceRecords": records,
                "mappedRouteName": self.world.control_service,
            },
        }

    async def _get_domain_mapping(self, request: web.Request) -> web.Response:
        namespace, domain = request.match_info["namespace"], request.match_info["domain"]
        name = f"namespaces/{namespace}/domainmappings/{domain}"
        if (denied := self.denied("run", "run.domainmappings.get", name)) is not None:
            return denied
        if domain not in self.world.domains:
            return run_not_found("DOMAIN_MAPPING", domain, self.world.region, namespace)
        return json_response(200, self._domain_mapping_json(namespace, domain, utc_now()))

    async def _list_domain_mappings(self, request: web.Request) -> web.Response:
        namespace = request.match_info["namespace"]
        name = f"namespaces/{namespace}"
        if (denied := self.denied("run", "run.domainmappings.list", name)) is not None:
            return denied
        now = utc_now()
        return json_response(
            200,
            {
                "apiVersion": "domains.cloudrun.com/v1",
                "kind": "DomainMappingList",
                "metadata": {},
                "items": [self._domain_mapping_json(namespace, d, now) for d in self.world.domains],
            },
        )
