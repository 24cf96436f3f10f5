"""Cloud Logging error probes: entries of severity ERROR or worse from one Cloud Run service.

The seed's probe passed whatever it found. This one fails when more than ``max_errors`` entries
turn up in the freshness window, and lists them grouped by message, so a flood of one error
reads as one line with a count. The window is written into the filter: without a timestamp
bound of its own, the client silently adds one of 24 hours, far wider than the 10 minutes meant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cutover_probe.durations import format_duration
from cutover_probe.errors import AssertionFailed
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.google import gcloud
from cutover_probe.probes.google.workers import built_once
from cutover_probe.probes.params import LoggingErrorsParams

MESSAGE_WIDTH = 200


def build_filter(service: str, since: datetime) -> str:
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        'resource.type="cloud_run_revision" '
        f'AND resource.labels.service_name="{service}" '
        "AND severity>=ERROR "
        f'AND timestamp>="{stamp}"'
    )


@dataclass
class Group:
    message: str
    count: int = 0
    severities: set[str] = field(default_factory=set)
    revisions: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None


def first_line(payload: Any, redact: Callable[[str], str] = str) -> str:
    """The message's first line, redacted before it is cut to width (a cut token no longer
    matches its secret)."""
    if isinstance(payload, Mapping):
        text = payload.get("message") or payload.get("msg") or json.dumps(payload, sort_keys=True)
    else:
        text = "" if payload is None else str(payload)
    text = redact(str(text))
    line = text.strip().splitlines()[0] if text.strip() else "<empty message>"
    return line if len(line) <= MESSAGE_WIDTH else line[: MESSAGE_WIDTH - 1] + "…"


@built_once
def _client(target: gcloud.Endpoint, project: str) -> Any:
    """One client per endpoint and project for the run, shared by the probes' threads."""
    cloud_logging = gcloud.library("google.cloud.logging")
    creds = gcloud.credentials(target)
    return cloud_logging.Client(
        project=project,
        credentials=creds,
        _use_grpc=False,
        _http=gcloud.session(target, creds),
        client_options=gcloud.client_options(target),
    )


def _list(target: gcloud.Endpoint, project: str, filter_: str, limit: int) -> list[Any]:
    cloud_logging = gcloud.library("google.cloud.logging")
    client = _client(target, project)
    return list(
        client.list_entries(
            resource_names=[f"projects/{project}"],
            filter_=filter_,
            order_by=cloud_logging.DESCENDING,
            max_results=limit,
            page_size=limit,
        )
    )


async def run_errors(ctx: ProbeContext, params: LoggingErrorsParams) -> str | None:
    project = params.project
    service = params.service
    window = params.freshness
    limit = params.limit
    max_errors = params.max_errors
    target = gcloud.endpoint("logging", ctx.environ)
    filter_ = build_filter(service, datetime.now(UTC) - timedelta(seconds=window))
    ctx.log(f"filter: {filter_}")
    entries = await gcloud.call(
        ctx,
        target,
        f"list log entries of {service}",
        "logging.logEntries.list",
        lambda: _list(target, project, filter_, limit),
        scope=f"projects/{project}",
    )
    groups: dict[str, Group] = {}
    for entry in entries:
        message = first_line(entry.payload, ctx.redactor)
        group = groups.setdefault(message, Group(message))
        group.count += 1
        group.severities.add(str(entry.severity or "DEFAULT"))
        labels = (entry.resource.labels or {}) if entry.resource else {}
        if labels.get("revision_name"):
            group.revisions.add(labels["revision_name"])
        stamp = entry.timestamp
        if stamp is not None:
            group.first = stamp if group.first is None else min(group.first, stamp)
            group.last = stamp if group.last is None else max(group.last, stamp)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.message))
    span = format_duration(window)
    capped = " (the limit: there may be more)" if len(entries) >= limit else ""
    ctx.log(f"{len(entries)} entries of severity ERROR or worse in the last {span}{capped}")
    for group in ordered:
        ctx.log(_render(group))
    ctx.details["error_groups"] = [
        {
            "message": g.message,
            "count": g.count,
            "severity": sorted(g.severities),
            "revisions": sorted(g.revisions),
            "last": g.last.isoformat() if g.last else None,
        }
        for g in ordered
    ]
    if len(entries) > max_errors:
        top = ordered[0]
        more = f" and {len(ordered) - 1} other messages" if len(ordered) > 1 else ""
        raise AssertionFailed(
            f"{len(entries)}{'+' if capped else ''} error entries in the last {span} "
            f"(at most {max_errors} allowed): ×{top.count} {top.message}{more}"
        )
    return f"{len(entries)} error entries in the last {span}" if entries else None


def _render(group: Group) -> str:
    when = group.last.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if group.last else "?"
    revisions = ",".join(sorted(group.revisions)) or "?"
    return (
        f"×{group.count} {'/'.join(sorted(group.severities))} last {when} "
        f"revision {revisions}: {group.message}"
    )
