"""A run as a pipeline of small steps (nox's workflow): load, plan, claim the output directory,
execute, collect in matrix order, decide, write, tell. Each step is a plain function, testable
alone; the CLI and the demo are two callers of `run_matrix`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cutover_probe import diagnostics
from cutover_probe.config import load_matrix
from cutover_probe.engine import RunResult, RunSettings, execute
from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.planning import Plan, build_plan
from cutover_probe.policy import Verdict, decide
from cutover_probe.report import Report, claim_output_dir, utc_now, write_report


@dataclass(frozen=True)
class RunRequest:
    config: Path
    repo_root: Path
    environ: Mapping[str, str]
    output_dir: Path | None = None  # overrides OUTPUT_DIR
    settings: RunSettings = field(default_factory=RunSettings)
    show_lines: bool = False  # stream every evidence line to the terminal


@dataclass(frozen=True)
class RunSummary:
    plan: Plan
    result: RunResult
    verdict: Verdict
    report: Report


def prepare(request: RunRequest) -> tuple[Plan, Path]:
    """Everything that can be wrong with the input is found here, before any probe runs."""
    matrix = load_matrix(request.config)
    plan = build_plan(matrix, request.environ, request.repo_root)
    return plan, _output_dir(plan, request)


def _output_dir(plan: Plan, request: RunRequest) -> Path:
    if request.output_dir is not None:
        return request.output_dir
    configured = plan.values.get(plan.matrix.output_variable)
    if isinstance(configured, str) and configured:
        path = Path(configured)
        return path if path.is_absolute() else request.repo_root / path
    return request.repo_root / plan.matrix.report_root / utc_now().strftime("%Y%m%dT%H%M%SZ")


async def run_matrix(request: RunRequest, out: TextIO = sys.stdout) -> RunSummary:
    plan, directory = prepare(request)
    diagnostics.use_redactor(plan.redactor)
    claim_output_dir(directory)
    timestamp = utc_now()
    redact = plan.redactor

    say = Terminal(out, redact)

    def on_finish(planned: PlannedCheck, outcome: Outcome) -> None:
        line = f"[{outcome.status.value}] {planned.id} ({planned.check.required_label})"
        if outcome.status is Status.FAILED:
            line += f": {outcome.reason}"
        say(line)

    def on_line(check_id: str, line: str) -> None:
        say(f"  {check_id}: {line}")

    diagnostics.logger().info(
        "run started",
        config=str(plan.matrix.source),
        output_dir=str(directory),
        checks=len(plan.checks),
    )
    result = await execute(
        plan,
        request.environ,
        request.settings,
        on_finish=on_finish,
        on_line=on_line if request.show_lines else None,
    )
    rows = list(zip(plan.checks, result.outcomes, strict=True))
    verdict = decide(rows, gating=plan.gating, interrupted=result.interrupted)
    report = write_report(directory, plan, rows, verdict, timestamp, result.wall_s, result.domains)
    say(f"[matrix] verdict: {verdict.label} (overall {verdict.overall}: {verdict.why})")
    say(f"[matrix] results: {report.results_tsv}")
    say(f"[matrix] summary: {report.summary_md}")
    say(f"[matrix] wall time: {result.wall_s:.2f}s")
    return RunSummary(plan=plan, result=result, verdict=verdict, report=report)


class Terminal:
    """Progress lines, redacted. A closed pipe (`| head`) silences them but never stops the run:
    the report on disk matters more than the terminal."""

    def __init__(self, out: TextIO, redact: Callable[[str], str]) -> None:
        self._out = out
        self._redact = redact
        self._open = True

    def __call__(self, line: str) -> None:
        if not self._open:
            return
        try:
            print(self._redact(line), file=self._out, flush=True)
        except (BrokenPipeError, ValueError):
            self._open = False
            with contextlib.suppress(OSError, ValueError):
                # Python flushes stdout again at exit; point it at /dev/null so that stays quiet.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._out.fileno())


def render_plan(plan: Plan) -> str:
    """What `cutover-probe plan` prints: each check, run or skip, and why."""
    width = max(len(p.id) for p in plan.checks)
    lines = [f"{plan.matrix.title} — {plan.matrix.source}", ""]
    for planned in plan.checks:
        action = "skip" if planned.skip_reason is not None else "run "
        detail = planned.skip_reason if planned.skip_reason is not None else planned.command
        lines.append(f"{action} {planned.id:<{width}} {planned.check.required_label:<8} {detail}")
    running = sum(1 for p in plan.checks if p.skip_reason is None)
    required_skips = sum(1 for p in plan.checks if p.skip_reason is not None and p.check.required)
    lines += [
        "",
        f"{running} of {len(plan.checks)} checks would run; {required_skips} required "
        f"would be skipped{' (a no-go in gating mode)' if required_skips else ''}.",
        f"mode: {'release gating' if plan.gating else 'baseline capture'}",
    ]
    return plan.redactor("\n".join(lines)) + "\n"
