"""Domain mapping evidence: is the custom domain in front of an environment mapped and served?

The seed asks to record whether `staging.openagents.com` is still cert-pending. Cloud Run keeps
domain mappings in its v1 API only (run_v2 has none), so this reads
``apis/domains.cloudrun.com/v1/namespaces/<project>/domainmappings/<domain>`` with an
authorised requests session. Evidence, never a gating row: a failure to read is recorded too.

Everything about domain mappings that is not rendering lives here, in the order of a run:
which domains to read (`plan_domains`, called by planning once it has interpolated the
`[[domain_mappings]]` tables), reading one within its deadline (`read`, started by the engine),
the record it gives (`collect`, `not_read`: the shape `results.json` keeps) and its one line in
SUMMARY.md (`describe`). Planning imports this module, so it imports no Google library at
import time (`gcloud.library` loads them in the call's thread), and the reading's machinery
(`gcloud`, `permissions`, anyio, the probe context) only inside the functions that read:
`plan` stays light.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cutover_probe.errors import CheckFailed
from cutover_probe.model import DomainMapping
from cutover_probe.probes.google import access

if TYPE_CHECKING:
    from cutover_probe.probes.context import ProbeContext

CONDITIONS = ("Ready", "CertificateProvisioned")
DEADLINE_S = 30.0  # a whole read, pages of a slow API included; then the record says so


@dataclass(frozen=True, eq=False)  # compared by identity: `plan` creates it (model.py says why)
class PlannedDomain:
    """A domain mapping to read as evidence, or why it is not read."""

    environment: str
    domain: str
    project: str
    region: str
    skip_reason: str | None


def custom_domain(url: str) -> str | None:
    """The URL's host when it is a domain of our own: not an address, localhost or *.run.app."""
    host = (urlsplit(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith(".run.app"):
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def plan_domains(
    mappings: Iterable[DomainMapping],
    resolve: Callable[[str], str],
    environ: Mapping[str, str],
    *,
    google_runs: bool,
) -> tuple[PlannedDomain, ...]:
    """Each configured domain, plus an environment URL's own host when that is a custom domain
    (the seed's transition case: the URL is a run.app URL while the domain is cert-pending).
    ``resolve`` interpolates a table's ``${VAR}``s (planning's job).

    Read only alongside a Google check that runs (``google_runs``): a run with every Google lane
    off loads no Google library at all."""
    planned: list[PlannedDomain] = []
    seen: set[tuple[str, str]] = set()
    skip = (
        access.credentials_skip_reason("run", environ)
        if google_runs
        else "no Google Cloud check runs"
    )
    for mapping in mappings:
        url = resolve(mapping.url)
        explicit = resolve(mapping.domain).strip().lower()
        for domain in (explicit, custom_domain(url) if url else None):
            if not domain or (mapping.environment, domain) in seen:
                continue
            seen.add((mapping.environment, domain))
            planned.append(
                PlannedDomain(
                    environment=mapping.environment,
                    domain=domain,
                    project=resolve(mapping.project),
                    region=resolve(mapping.region),
                    skip_reason=skip,
                )
            )
    return tuple(planned)


def not_read(domain: PlannedDomain, error: str) -> dict[str, Any]:
    """The record of a mapping that was not read, or whose read failed: why, in its words."""
    return {"environment": domain.environment, "domain": domain.domain, "error": error}


def _read(target: access.Endpoint, domain: PlannedDomain) -> dict[str, Any]:
    from cutover_probe.probes.google import gcloud

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
    from cutover_probe.probes.google import gcloud

    if domain.skip_reason:
        return not_read(domain, f"not read: {domain.skip_reason}")
    target = gcloud.endpoint("run", ctx.environ)
    try:
        body = await gcloud.call(
            ctx,
            target,
            f"get domain mapping {domain.domain}",
            "run.domainmappings.get",
            lambda: _read(target, domain),
            scope=f"projects/{domain.project}",
        )
    except CheckFailed as exc:
        return not_read(domain, str(exc))
    record: dict[str, Any] = {"environment": domain.environment, "domain": domain.domain}
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


async def read(ctx: ProbeContext, domain: PlannedDomain) -> dict[str, Any]:
    """`collect` within `DEADLINE_S`, the read's evidence lines added to its record."""
    import anyio

    from cutover_probe.probes.google import permissions

    with anyio.move_on_after(DEADLINE_S) as scope:
        record = await collect(ctx, domain)
    if scope.cancelled_caught:
        record = not_read(domain, f"no answer within {DEADLINE_S:g}s")
    record.update(permissions.as_fields(ctx.details))  # a 403's share of the run's union
    record["evidence"] = list(ctx.evidence)
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
