"""Domain mapping evidence: is the custom domain in front of an environment mapped and served?

The seed asks to record whether `staging.openagents.com` is still cert-pending. Cloud Run keeps
domain mappings in its v1 API only (run_v2 has none), so this reads
``apis/domains.cloudrun.com/v1/namespaces/<project>/domainmappings/<domain>`` with an
authorised requests session. Evidence, never a gating row: a failure to read is recorded too.
"""

from __future__ import annotations

from typing import Any

from cutover_probe.errors import CheckFailed
from cutover_probe.planning import PlannedDomain
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.google import gcloud

CONDITIONS = ("Ready", "CertificateProvisioned")


def _read(target: gcloud.Endpoint, domain: PlannedDomain) -> dict[str, Any]:
    gexc = gcloud.library("google.api_core.exceptions")

    base = target.url or f"https://{domain.region}-run.googleapis.com"
    url = (
        f"{base}/apis/domains.cloudrun.com/v1/namespaces/{domain.project}"
        f"/domainmappings/{domain.domain}"
    )
    session = gcloud.session(target, gcloud.credentials(target))
    with session:
        response = session.get(url)
    if response.status_code >= 400:
        raise gexc.from_http_response(response)
    body: dict[str, Any] = response.json()
    return body


async def collect(ctx: ProbeContext, domain: PlannedDomain) -> dict[str, Any]:
    record: dict[str, Any] = {"environment": domain.environment, "domain": domain.domain}
    if domain.skip_reason:
        record["error"] = f"not read: {domain.skip_reason}"
        return record
    target = gcloud.endpoint("run", ctx.environ)
    try:
        body = await gcloud.call(
            ctx,
            target,
            f"get domain mapping {domain.domain}",
            "run.domainmappings.get",
            lambda: _read(target, domain),
        )
    except CheckFailed as exc:
        record["error"] = str(exc)
        return record
    conditions = {
        c.get("type"): c
        for c in body.get("status", {}).get("conditions", [])
        if isinstance(c, dict)
    }
    for name in CONDITIONS:
        condition = conditions.get(name, {})
        record[name] = condition.get("status", "missing")
        if condition.get("message"):
            record[f"{name}_message"] = condition["message"]
    record["route"] = body.get("spec", {}).get("routeName", "")
    return record


def describe(record: dict[str, Any]) -> str:
    """One line for SUMMARY.md's Environment section."""
    head = f"Domain mapping {record['domain']} ({record['environment']})"
    if "error" in record:
        return f"{head}: {record['error']}"
    parts = []
    for name in CONDITIONS:
        message = record.get(f"{name}_message")
        parts.append(f"{name}={record[name]}" + (f" ({message})" if message else ""))
    pending = record["CertificateProvisioned"] != "True"
    return f"{head}: {', '.join(parts)}" + ("; cert-pending" if pending else "")
