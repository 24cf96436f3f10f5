"""Evidence on disk: results.tsv, SUMMARY.md, results.json and logs/<check>.log.

A reporter knows nothing of HTTP or subprocesses: it gets the plan, the outcomes in matrix order
and the verdict. Every byte passes the redactor before it is written, and every file is written
to a temporary name and renamed, so a report on disk is always whole. results.tsv holds no
times and its log paths are relative, so the same outcomes against the same targets give a
byte-identical file (its command column does name the targets: base URLs, the repo path).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cutover_probe import __version__
from cutover_probe.errors import UsageError
from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.planning import Plan
from cutover_probe.policy import Verdict
from cutover_probe.secrets import Redactor

TSV_HEADER = ("check_id", "required", "status", "description", "log_path", "command")
RESULTS_SCHEMA = "cutover-probe/results/v1"
REPORT_FILES = ("results.tsv", "SUMMARY.md", "results.json")


@dataclass(frozen=True)
class Report:
    directory: Path
    results_tsv: Path
    summary_md: Path
    results_json: Path


def claim_output_dir(directory: Path) -> None:
    """Refuse, before anything runs, a directory that already holds a report."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"OUTPUT_DIR {directory} exists and is not a directory")
    for name in REPORT_FILES:
        if (directory / name).exists():
            raise UsageError(
                f"output directory {directory} already holds a report ({name}); "
                "choose an empty or new directory"
            )
    try:
        (directory / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create OUTPUT_DIR {directory}: {exc.strerror or exc}") from None


def log_path(check_id: str) -> str:
    return f"logs/{check_id}.log"


def write_report(
    directory: Path,
    plan: Plan,
    rows: Sequence[tuple[PlannedCheck, Outcome]],
    verdict: Verdict,
    timestamp: datetime,
    wall_s: float,
    domains: Sequence[dict[str, Any]] = (),
) -> Report:
    redact = plan.redactor
    for planned, outcome in rows:
        _write(directory / log_path(planned.id), render_log(planned, outcome), redact)
    tsv = directory / "results.tsv"
    summary = directory / "SUMMARY.md"
    results = directory / "results.json"
    _write(results, render_json(plan, rows, verdict, timestamp, wall_s, domains), redact)
    _write(summary, render_summary(plan, rows, verdict, timestamp, domains), redact)
    # results.tsv last: its presence means the report is complete.
    _write(tsv, render_tsv(rows), redact)
    return Report(directory, tsv, summary, results)


def _write(path: Path, text: str, redact: Redactor) -> None:
    data = redact(text).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes 0600 files; a report is meant to be read, committed and uploaded.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _cell(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def command_column(planned: PlannedCheck, outcome: Outcome) -> str:
    if outcome.status is Status.SKIPPED:
        return outcome.reason
    return planned.command


def render_tsv(rows: Sequence[tuple[PlannedCheck, Outcome]]) -> str:
    lines = ["\t".join(TSV_HEADER)]
    for planned, outcome in rows:
        lines.append(
            "\t".join(
                _cell(field)
                for field in (
                    planned.id,
                    planned.check.required_label,
                    outcome.status.value,
                    planned.check.description,
                    log_path(planned.id),
                    command_column(planned, outcome),
                )
            )
        )
    return "\n".join(lines) + "\n"


def render_log(planned: PlannedCheck, outcome: Outcome) -> str:
    header = [
        f"# {planned.id} ({planned.check.required_label}): {planned.check.description}",
        f"# command: {command_column(planned, outcome)}",
    ]
    footer = [f"# status: {outcome.status.value}"]
    if outcome.reason:
        footer.append(f"# reason: {outcome.reason}")
    if outcome.status is not Status.SKIPPED:
        footer.append(f"# duration: {outcome.duration_ms:.0f} ms, attempts: {outcome.attempts}")
    body = list(outcome.evidence) if outcome.status is not Status.SKIPPED else []
    return "\n".join([*header, *body, *footer]) + "\n"


def _md(text: str) -> str:
    return _cell(text).replace("|", "\\|")


def render_summary(
    plan: Plan,
    rows: Sequence[tuple[PlannedCheck, Outcome]],
    verdict: Verdict,
    timestamp: datetime,
    domains: Sequence[dict[str, Any]] = (),
) -> str:
    c = verdict.counts
    out = [
        f"# {plan.matrix.title}",
        "",
        f"- Timestamp (UTC): {timestamp.strftime('%Y%m%dT%H%M%SZ')}",
        f"- Overall: {verdict.overall}",
        f"- Verdict: {verdict.label} ({verdict.why})",
        f"- Total checks: {c.total}",
        f"- Passed: {c.passed}",
        f"- Required failures: {c.required_failures}",
        f"- Optional failures: {c.optional_failures}",
        f"- Required skipped: {c.required_skipped}",
        f"- Optional skipped: {c.optional_skipped}",
    ]
    if c.cancelled:
        out.append(f"- Cancelled: {c.cancelled}")
    out += ["", "## Environment", ""]
    out += [f"- {name}={value}" for name, value in plan.environment_summary()]
    if domains:
        from cutover_probe.probes.domains import describe

        out += [f"- {_cell(describe(record))}" for record in domains]
    out += [
        f"- Mode: {'release gating' if verdict.gating else 'baseline capture'}"
        f" (FAIL_ON_REQUIRED_FAILURE={'1' if verdict.gating else '0'})",
        "",
        "## Check Results",
        "",
        "| Check | Required | Status | Description | Log | Duration | Reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for planned, outcome in rows:
        duration = "" if outcome.status is Status.SKIPPED else f"{outcome.duration_ms / 1000:.2f}s"
        out.append(
            f"| {planned.id} | {planned.check.required_label} | {outcome.status.value} "
            f"| {_md(planned.check.description)} | {log_path(planned.id)} | {duration} "
            f"| {_md(outcome.reason)} |"
        )
    failed = [(p, o) for p, o in rows if o.status is Status.FAILED]
    if failed:
        out += ["", "## Failures", ""]
        out += [f"- {p.id} ({p.check.required_label}): {_cell(o.reason)}" for p, o in failed]
    out += ["", "## Commands", ""]
    out += [f"- {p.id}: {_cell(command_column(p, o))}" for p, o in rows]
    return "\n".join(out) + "\n"


def render_json(
    plan: Plan,
    rows: Sequence[tuple[PlannedCheck, Outcome]],
    verdict: Verdict,
    timestamp: datetime,
    wall_s: float,
    domains: Sequence[dict[str, Any]] = (),
) -> str:
    doc: dict[str, Any] = {
        "schema": RESULTS_SCHEMA,
        "tool": {"name": "cutover-probe", "version": __version__},
        "title": plan.matrix.title,
        "timestamp": timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "wall_ms": round(wall_s * 1000, 1),
        "verdict": {
            "overall": verdict.overall,
            "label": verdict.label,
            "exit_code": verdict.exit_code,
            "gating": verdict.gating,
            "why": verdict.why,
            "counts": vars(verdict.counts),
        },
        "environment": dict(plan.environment_summary()),
        "domain_mappings": list(domains),
        "checks": [
            {
                "id": planned.id,
                "kind": planned.check.kind,
                "environment": planned.check.environment,
                "required": planned.check.required,
                "description": planned.check.description,
                "status": outcome.status.value,
                "reason": outcome.reason,
                "command": command_column(planned, outcome),
                "log_path": log_path(planned.id),
                "started_ms": round(outcome.started_s * 1000, 1),
                "duration_ms": round(outcome.duration_ms, 1),
                "attempts": outcome.attempts,
                "evidence": list(outcome.evidence),
                "details": dict(outcome.details),
            }
            for planned, outcome in rows
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
