"""`cutover-probe quick`: the on-call glance. Is every service ready right now?

Health and readiness of the control and runtime services of both environments (and, where
Google credentials or an emulator are at hand, whether each Cloud Run service's latest revision
is ready and serving), all at once, printed as one compact table. It reuses the matrix's
environment contract and probe kinds through a small matrix of its own, and writes no report
unless asked. Exit 0 when everything checked is ready, 1 otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from cutover_probe.config import REFERENCE
from cutover_probe.engine import RunSettings, execute
from cutover_probe.errors import ReportIncomplete
from cutover_probe.model import Check, Matrix, Outcome, PlannedCheck, Status
from cutover_probe.planning import build_plan
from cutover_probe.text import visible

Redact = Callable[[str], str]
# The kinds whose checks name a service quick asks: its base URL's health and readiness, and
# its Cloud Run service's latest revision.
HEALTH_KINDS = ("control-health", "control-smoke", "runtime-smoke")
CLOUD_RUN_KINDS = ("cloudrun-ready", "cloudrun-canary", "cloudrun-migration-drift")


@dataclass(frozen=True)
class Service:
    """One row of quick's table, read from the matrix: a service is the first word of the id of
    a check that asks it (``control-staging-health`` asks ``control``)."""

    name: str
    environment: str
    params: Mapping[str, str]  # as written in the matrix, ${VAR} references and all


def services(matrix: Matrix) -> tuple[list[Service], list[Service]]:
    """Whom to ask, from the matrix's own checks rather than names fixed here: each
    (service, environment) with a health-checked base URL, then each Cloud Run service, in the
    order their services first appear (one row each, the first check naming it wins)."""
    health: dict[tuple[str, str], Service] = {}
    cloud_run: dict[str, Service] = {}
    for check in matrix.checks:
        name = check.id.split("-", 1)[0]
        if check.kind in HEALTH_KINDS and check.environment is not None:
            params = {"base_url": str(check.params["base_url"])}
            health.setdefault((name, check.environment), Service(name, check.environment, params))
        elif check.kind in CLOUD_RUN_KINDS:
            params = {key: str(check.params[key]) for key in ("project", "region", "service")}
            cloud_run.setdefault(name, Service(name, check.environment or "prod", params))
    order = list(dict.fromkeys(name for name, _ in health))
    ranked = sorted(
        cloud_run.values(),
        key=lambda s: order.index(s.name) if s.name in order else len(order),
    )
    return list(health.values()), ranked


def quick_matrix(matrix: Matrix) -> Matrix:
    health, cloud_run = services(matrix)
    checks = [
        Check(
            id=f"{service.name}-{service.environment}",
            kind="control-health",
            required=True,
            description=f"{service.environment} {service.name} /healthz and /readyz",
            environment=service.environment,
            params=service.params,
            requires_set=tuple(REFERENCE.findall(service.params["base_url"])),
            deadline_s=10.0,
        )
        for service in health
    ]
    checks += [
        Check(
            id=f"cloudrun-{service.name}",
            kind="cloudrun-ready",
            required=True,
            description=f"Cloud Run {service.name} service: latest revision ready and serving",
            environment=service.environment,
            params=service.params,
            deadline_s=10.0,
        )
        for service in cloud_run
    ]
    return dataclasses.replace(
        matrix, title="cutover-probe quick", checks=tuple(checks), domain_mappings=()
    )


def render_table(rows: list[tuple[PlannedCheck, Outcome]], redact: Redact = str) -> str:
    """One line per service; a detail is redacted, then made visible (it is a server's text)."""
    width = max(len(planned.id) for planned, _ in rows)
    lines = [f"{'service':<{width}}  ready  detail"]
    for planned, outcome in rows:
        ready = {
            Status.PASSED: "yes",
            Status.FAILED: "NO",
            Status.SKIPPED: "-",
            Status.CANCELLED: "?",
        }[outcome.status]
        detail = visible(redact(outcome.reason)) or f"ok in {outcome.duration_ms:.0f} ms"
        lines.append(f"{planned.id:<{width}}  {ready:<5}  {detail}")
    return "\n".join(lines)


async def run_quick(
    matrix: Matrix,
    environ: Mapping[str, str],
    repo_root: Path,
    out: TextIO,
    *,
    settings: RunSettings,
    output_dir: Path | None = None,
) -> int:
    from cutover_probe import diagnostics
    from cutover_probe.policy import decide
    from cutover_probe.report import (
        LANE_OUTPUT_DIR,
        build_document,
        claim_output_dir,
        release,
        utc_now,
        write_report,
    )

    plan = build_plan(quick_matrix(matrix), environ, repo_root)
    diagnostics.use_redactor(plan.redactor)
    claim = claim_output_dir(output_dir) if output_dir is not None else None
    try:
        timestamp = utc_now()
        if output_dir is not None:
            settings = dataclasses.replace(settings, lane_output_dir=output_dir / LANE_OUTPUT_DIR)
        result = await execute(plan, environ, settings)
        rows = list(zip(plan.checks, result.outcomes, strict=True))
        print(plan.redactor(render_table(rows, plan.redactor)), file=out, flush=True)
        if result.interrupted:
            return 130
        not_ready = [p.id for p, o in rows if o.status in (Status.FAILED, Status.CANCELLED)]
        print(
            f"[quick] {'not ready: ' + ', '.join(not_ready) if not_ready else 'all ready'} "
            f"({result.wall_s:.2f}s)",
            file=out,
            flush=True,
        )
        if output_dir is not None:
            verdict = decide(
                [(p.check.required, o.status) for p, o in rows], gating=True, interrupted=False
            )
            doc = build_document(plan, rows, verdict, timestamp, result.wall_s)
            report = write_report(output_dir, doc, plan.redactor)
            print(f"[quick] report: {output_dir}", file=out, flush=True)
            if report.failed:
                raise ReportIncomplete(list(report.failed))
    finally:
        if claim is not None:
            release(claim)
    return 1 if not_ready else 0
