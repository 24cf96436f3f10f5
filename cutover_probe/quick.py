"""`cutover-probe quick`: the on-call glance. Is every service ready right now?

Health and readiness of the control and runtime services of both environments (and, where
Google credentials or an emulator are at hand, whether each Cloud Run service's latest revision
is ready and serving), all at once, printed as one compact table. It reuses the matrix's
environment contract and probe kinds through a small matrix of its own, and writes no report
unless asked.

One rule for the table, the summary line, the exit code and the report: a service that could
not be checked (its URL unset, no Google credentials) is "not checked", never "ready" and never
silently left out: ``[quick] 4 ready, 2 not checked (PROD_RUNTIME_BASE_URL unset, …)``. Exit 0
when everything checked is ready, 1 when something checked is not, 130 when interrupted;
``--strict`` makes a row not checked a NO-GO too (exit 1). The report's verdict is the same.
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
from cutover_probe.policy import Verdict
from cutover_probe.reasons import shown
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


NOT_CHECKED = "not checked"
READY = {
    Status.PASSED: "yes",
    Status.FAILED: "NO",
    Status.SKIPPED: NOT_CHECKED,
    Status.CANCELLED: "?",
}


def not_checked(planned: PlannedCheck) -> PlannedCheck:
    """A row quick could not check (no URL, no credentials), said so; without --strict it does
    not gate (optional), so the report's verdict and the exit code follow one rule."""
    reason = f"{NOT_CHECKED}: {planned.skip_reason}"
    return dataclasses.replace(planned, skip_reason=reason, command=reason)


def render_table(rows: list[tuple[PlannedCheck, Outcome]], redact: Redact = str) -> str:
    """One line per service; a detail is redacted, then made visible (it is a server's text)."""
    width = max(len(planned.id) for planned, _ in rows)
    ready_width = max(len("ready"), *(len(READY[o.status]) for _, o in rows))
    lines = [f"{'service':<{width}}  {'ready':<{ready_width}}  detail"]
    for planned, outcome in rows:
        ready = READY[outcome.status]
        detail = shown(outcome.status.value, outcome.reason)
        if outcome.status is Status.SKIPPED:
            detail = detail.removeprefix(f"{NOT_CHECKED}: ")
        detail = visible(redact(detail)) or f"ok in {outcome.duration_ms:.0f} ms"
        lines.append(f"{planned.id:<{width}}  {ready:<{ready_width}}  {detail}")
    return "\n".join(lines)


def short_reason(reason: str) -> str:
    """A skip reason's first clause: ``no Google Cloud credentials`` of the how-to."""
    return reason.removeprefix(f"{NOT_CHECKED}: ").split(":", 1)[0]


def quick_verdict(
    rows: list[tuple[PlannedCheck, Outcome]], *, strict: bool, interrupted: bool
) -> Verdict:
    """quick's one rule, for the summary line, the exit code and the report: every checked
    service ready is a GO (exit 0); a row not checked is a NO-GO only with --strict."""
    from cutover_probe.policy import decide

    verdict = decide(
        [(p.check.required, o.status) for p, o in rows], gating=True, interrupted=interrupted
    )
    if interrupted:
        return verdict
    ready = sum(1 for _, o in rows if o.status is Status.PASSED)
    skipped = [o.reason for _, o in rows if o.status is Status.SKIPPED]
    not_ready = [p.id for p, o in rows if o.status in (Status.FAILED, Status.CANCELLED)]
    everything = not not_ready and not skipped
    parts = [f"all ready ({ready} services)" if everything else f"{ready} ready"]
    if skipped:
        why = ", ".join(dict.fromkeys(short_reason(reason) for reason in skipped))
        fatal = "; --strict: a NO-GO" if strict else ""
        parts.append(f"{len(skipped)} {NOT_CHECKED} ({why}{fatal})")
    if not_ready:
        return dataclasses.replace(
            verdict, why=f"not ready: {', '.join(not_ready)}; {', '.join(parts)}"
        )
    return dataclasses.replace(verdict, why=", ".join(parts))


async def run_quick(
    matrix: Matrix,
    environ: Mapping[str, str],
    repo_root: Path,
    out: TextIO,
    *,
    settings: RunSettings,
    output_dir: Path | None = None,
    strict: bool = False,
) -> int:
    from cutover_probe import diagnostics

    plan = build_plan(quick_matrix(matrix), environ, repo_root)
    checks = tuple(not_checked(p) if p.skip_reason is not None else p for p in plan.checks)
    if not strict:
        checks = tuple(
            dataclasses.replace(p, check=dataclasses.replace(p.check, required=False))
            if p.skip_reason is not None
            else p
            for p in checks
        )
    plan = dataclasses.replace(plan, checks=checks)
    diagnostics.use_redactor(plan.redactor)
    if output_dir is None:
        claim = None
    else:
        # The report's modules (results, report, and what they import) only with --output-dir:
        # the glance itself writes nothing, and they were a tenth of its start-up.
        from cutover_probe.report import LANE_OUTPUT_DIR, claim_output_dir, utc_now

        claim = claim_output_dir(output_dir)
        timestamp = utc_now()
        settings = dataclasses.replace(settings, lane_output_dir=output_dir / LANE_OUTPUT_DIR)
    try:
        result = await execute(plan, environ, settings)
        rows = list(zip(plan.checks, result.outcomes, strict=True))
        print(plan.redactor(render_table(rows, plan.redactor)), file=out, flush=True)
        verdict = quick_verdict(rows, strict=strict, interrupted=result.interrupted)
        print(
            visible(plan.redactor(f"[quick] {verdict.why} ({result.wall_s:.2f}s)")),
            file=out,
            flush=True,
        )
        if output_dir is not None:
            from cutover_probe.report import build_document, write_report

            doc = build_document(plan, rows, verdict, timestamp, result.wall_s)
            report = write_report(output_dir, doc, plan.redactor)
            print(f"[quick] report: {output_dir / 'report.html'}", file=out, flush=True)
            if report.failed:
                raise ReportIncomplete(list(report.failed))
    finally:
        if claim is not None:
            from cutover_probe.report import release

            release(claim)
    return verdict.exit_code
