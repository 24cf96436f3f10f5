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
from pathlib import Path
from typing import TextIO

from cutover_probe.engine import RunSettings, execute
from cutover_probe.errors import ReportIncomplete
from cutover_probe.model import Check, Matrix, Outcome, PlannedCheck, Status
from cutover_probe.planning import build_plan
from cutover_probe.text import visible

Redact = Callable[[str], str]
SERVICES = (
    ("control", "staging", "STAGING_CONTROL_BASE_URL"),
    ("control", "prod", "PROD_CONTROL_BASE_URL"),
    ("runtime", "staging", "STAGING_RUNTIME_BASE_URL"),
    ("runtime", "prod", "PROD_RUNTIME_BASE_URL"),
)
CLOUD_RUN = (("control", "CONTROL_SERVICE"), ("runtime", "RUNTIME_SERVICE"))


def quick_matrix(matrix: Matrix) -> Matrix:
    checks = [
        Check(
            id=f"{service}-{env}",
            kind="control-health",
            required=True,
            description=f"{env} {service} /healthz and /readyz",
            environment=env,
            params={"base_url": f"${{{variable}}}"},
            requires_set=(variable,),
            deadline_s=10.0,
        )
        for service, env, variable in SERVICES
        if variable in matrix.variables
    ]
    checks += [
        Check(
            id=f"cloudrun-{service}",
            kind="cloudrun-ready",
            required=True,
            description=f"Cloud Run {service} service: latest revision ready and serving",
            environment="prod",
            params={
                "project": "${GCP_PROJECT}",
                "region": "${GCP_REGION}",
                "service": f"${{{variable}}}",
            },
            deadline_s=10.0,
        )
        for service, variable in CLOUD_RUN
        if {variable, "GCP_PROJECT", "GCP_REGION"} <= set(matrix.variables)
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
