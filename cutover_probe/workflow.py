"""A run as a pipeline of small steps (nox's workflow): load, plan, claim the output directory,
execute, collect in matrix order, decide, write, tell. Each step is a plain function, testable
alone; `run`, `demo` and `quick` are callers of `run_matrix`, `merge` of `merge_reports`.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from cutover_probe import diagnostics
from cutover_probe.config import load_matrix
from cutover_probe.console import Console, make_console
from cutover_probe.engine import RunResult, RunSettings, execute, trust_store
from cutover_probe.errors import ReportIncomplete, UsageError
from cutover_probe.model import Status
from cutover_probe.planning import Plan, Selection, build_plan

# Their old home: they moved to planning so that `plan` imports no engine; callers may name this.
from cutover_probe.planning import parse_shard as parse_shard
from cutover_probe.planning import render_plan as render_plan
from cutover_probe.planning import shard_from_environment as shard_from_environment
from cutover_probe.policy import Verdict, decide
from cutover_probe.report import (
    LANE_OUTPUT_DIR,
    Report,
    attempt,
    build_document,
    claim_output_dir,
    load_document,
    previous_report,
    release,
    utc_now,
    verdict_model,
    write_report,
    write_text,
)
from cutover_probe.results import RunResults
from cutover_probe.secrets import Redactor


@dataclass(frozen=True)
class Outputs:
    """Where the CI renderings of a report go, besides the report directory."""

    junit: Path | None = None
    step_summary: Path | None = None  # $GITHUB_STEP_SUMMARY: appended to


@dataclass(frozen=True)
class RunRequest:
    config: Path
    repo_root: Path
    environ: Mapping[str, str]
    output_dir: Path | None = None  # overrides OUTPUT_DIR
    settings: RunSettings = field(default_factory=RunSettings)
    show_lines: bool = False  # stream every evidence line to the terminal
    selection: Selection = field(default_factory=Selection)
    outputs: Outputs = field(default_factory=Outputs)
    quiet: bool = False
    write_files: bool = True  # quick writes no report unless asked
    compare_to: Path | None = None  # an earlier report; default: the newest one beside ours


@dataclass(frozen=True)
class RunSummary:
    plan: Plan
    result: RunResult
    verdict: Verdict
    document: RunResults
    report: Report | None


def prepare(request: RunRequest, started: datetime | None = None) -> tuple[Plan, Path]:
    """Everything that can be wrong with the input is found here, before any probe runs.
    ``started`` is the run's one clock read: the default report directory is named after it."""
    matrix = load_matrix(request.config)
    plan = build_plan(matrix, request.environ, request.repo_root, request.selection)
    return plan, _output_dir(plan, request, started or utc_now())


def _output_dir(plan: Plan, request: RunRequest, started: datetime) -> Path:
    if request.output_dir is not None:
        return request.output_dir
    configured = plan.values.get(plan.matrix.output_variable)
    if isinstance(configured, str) and configured:
        path = Path(configured)
        return path if path.is_absolute() else request.repo_root / path
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    if plan.shard:
        stamp += f"-shard-{plan.shard[0]}-of-{plan.shard[1]}"
    return request.repo_root / plan.matrix.report_root / stamp


async def run_matrix(request: RunRequest, out: TextIO | None = None) -> RunSummary:
    # One clock read names the report directory and stamps SUMMARY.md and results.json.
    timestamp = utc_now()
    plan, directory = prepare(request, timestamp)
    diagnostics.use_redactor(plan.redactor)
    # Everything that can be wrong with the input fails here, before anything is probed.
    if request.settings.ca_bundle is not None:
        trust_store(request.settings)
    check_outputs(request.outputs)
    previous = (
        earlier_report(request.compare_to, directory, timestamp) if request.write_files else None
    )
    claim = claim_output_dir(directory) if request.write_files else None
    try:
        return await _probe_and_write(request, plan, directory, previous, timestamp, out)
    finally:
        if claim is not None:
            release(claim)


async def _probe_and_write(
    request: RunRequest,
    plan: Plan,
    directory: Path,
    previous: RunResults | None,
    timestamp: datetime,
    out: TextIO | None,
) -> RunSummary:
    console = make_console(
        quiet=request.quiet, redact=plan.redactor, environ=request.environ, out=out
    )
    diagnostics.logger().info(
        "run started",
        config=str(plan.matrix.source),
        output_dir=str(directory),
        checks=len(plan.checks),
    )
    console.start(plan.checks)
    settings = request.settings
    if request.write_files:
        settings = replace(settings, lane_output_dir=directory / LANE_OUTPUT_DIR)
    try:
        result = await execute(
            plan,
            request.environ,
            settings,
            on_finish=console.check_finished,
            on_line=console.line if request.show_lines else None,
            on_start=console.check_started,
        )
    finally:
        console.stop()
    rows = list(zip(plan.checks, result.outcomes, strict=True))
    verdict = decide(
        [(p.check.required, o.status) for p, o in rows],
        gating=plan.gating,
        interrupted=result.interrupted,
    )
    doc = build_document(plan, rows, verdict, timestamp, result.wall_s, result.domains, plan.shard)
    report = None
    failed: list[tuple[str, str]] = []
    if request.write_files:
        report = write_report(directory, doc, plan.redactor, previous)
        failed += report.failed
    failed += write_ci_outputs(doc, request.outputs, plan.redactor)
    tell(console, doc, report, result.wall_s, previous)
    log_finished(doc, report)
    if failed:
        raise ReportIncomplete(failed)
    return RunSummary(plan=plan, result=result, verdict=verdict, document=doc, report=report)


def earlier_report(
    compare_to: Path | None, directory: Path, before: datetime | str | None = None
) -> RunResults | None:
    """The report report.html compares with: --compare-to, else the newest report beside
    ``directory`` started before ``before`` (see `previous_report`); names its directory."""
    if compare_to is not None:
        return replace(load_document(compare_to), compared_directory=str(compare_to))
    return previous_report(directory, before)


def check_outputs(outputs: Outputs) -> None:
    """The CI outputs, tried before anything is probed: a run that could not write them must
    not spend half an hour first. Exit 2 naming the path."""
    if outputs.junit is not None:
        path = outputs.junit
        if path.is_dir():
            raise UsageError(f"--junit {path}: is a directory")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path.parent):
                pass
        except OSError as exc:
            raise UsageError(f"--junit {path}: cannot write there: {_why(exc)}") from None
    if outputs.step_summary is not None:
        try:
            if not _is_fifo(outputs.step_summary):  # opening a pipe would wait for its reader
                os.close(
                    os.open(outputs.step_summary, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
                )
        except OSError as exc:
            raise UsageError(
                f"GITHUB_STEP_SUMMARY={outputs.step_summary}: cannot append to it: {_why(exc)}"
            ) from None


def tell_permissions(console: Console, doc: RunResults) -> None:
    """The run's denied Google permissions, once, and the commands granting them, whole (a
    command cut to fit a line cannot be pasted), just before the verdict line."""
    from cutover_probe.probes.google.permissions import missing

    denied, grant = missing(
        (check.details.values for check in doc.checks),
        (record.values for record in doc.domain_mappings),
    )
    if denied:
        console.say(f"[matrix] permissions missing: {', '.join(denied)}")
    for line in grant:
        console.say(f"[matrix] grant with: {line}")


def _is_fifo(path: Path) -> bool:
    try:
        return stat.S_ISFIFO(path.stat().st_mode)
    except OSError:
        return False


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_ci_outputs(doc: RunResults, outputs: Outputs, redact: Redactor) -> list[tuple[str, str]]:
    """junit.xml and the step summary; what could not be written comes back (artifact, why)."""
    if outputs.junit is None and outputs.step_summary is None:
        return []  # nothing asked: no pass over the document (≈ 0.1 s at 1000 checks)
    from cutover_probe.ci import render_junit, render_step_summary
    from cutover_probe.report import redacted

    # Values redacted before rendering folds whitespace or escapes XML. The step summary gets
    # the text pass again as a second belt; JUnit does not: a secret that spells part of a tag
    # name ("testcase") would make the XML unreadable.
    doc = redacted(doc, redact)
    failed: list[tuple[str, str]] = []
    if outputs.junit is not None:
        junit = outputs.junit
        attempt(
            failed,
            f"--junit {junit}",
            lambda: write_text(junit, render_junit(doc), lambda text: text),
        )
    if outputs.step_summary is not None:
        summary = outputs.step_summary

        def append() -> None:
            with summary.open("a", encoding="utf-8") as handle:
                handle.write(redact(render_step_summary(doc)))

        attempt(failed, f"GITHUB_STEP_SUMMARY={summary}", append)
    return failed


def tell(
    console: Console,
    doc: RunResults,
    report: Report | None,
    wall_s: float | None,
    previous: RunResults | None = None,
) -> None:
    """The end of a run says where to look: the verdict (it stands out on a terminal), the
    checks that failed (also with -q), the report's files, report.html first."""
    verdict = doc.verdict
    tell_permissions(console, doc)
    shard = doc.shard
    part = f" for shard {shard.index}/{shard.count}" if shard else ""
    console.say_verdict(
        f"[matrix] verdict{part}: {verdict.label} (overall {verdict.overall}: {verdict.why})",
        verdict.label,
    )
    failing = [c.id for c in doc.checks if c.status in (Status.FAILED, Status.CANCELLED)]
    if failing:
        console.say(f"[matrix] failed: {', '.join(failing)}")
    if report is not None:
        console.say(f"[matrix] report: {report.directory / 'report.html'}")
        console.say(f"[matrix] results: {report.results_tsv}")
        console.say(f"[matrix] summary: {report.summary_md}")
        if previous is not None and previous.compared_directory:
            console.say(f"[matrix] compared with: {previous.compared_directory}")
    if wall_s is not None:
        console.say(f"[matrix] wall time: {wall_s:.2f}s")


def log_finished(doc: RunResults, report: Report | None) -> None:
    """``run.finished``: the last diagnostic event, for a log pipeline (--log-format json)."""
    verdict = doc.verdict
    diagnostics.run_finished(
        verdict=verdict.label,
        overall=verdict.overall,
        exit_code=verdict.exit_code,
        why=verdict.why,
        counts=dataclasses.asdict(verdict.counts),
        failed=[c.id for c in doc.checks if c.status is Status.FAILED],
        report=str(report.directory) if report is not None else None,
    )


def merge_reports(
    sources: Sequence[Path],
    directory: Path,
    outputs: Outputs,
    environ: Mapping[str, str],
    out: TextIO | None = None,
    compare_to: Path | None = None,
) -> RunResults:
    """Partial reports of shards 1..N into the report one whole run would have written."""
    if not sources:
        raise UsageError("merge needs the report directories of the shards")
    docs = [(source, load_document(source)) for source in sources]
    ids = docs[0][1].matrix.ids
    by_index: dict[int, Path] = {}
    count = None
    for source, doc in docs:
        shard = doc.shard
        if not shard:
            raise UsageError(f"{source}: not a shard's report (it has no shard); nothing to merge")
        if count is None:
            count = shard.count
        if shard.count != count:
            raise UsageError(
                f"{source}: shard {shard.index}/{shard.count}, but others are of {count}"
            )
        if doc.matrix.ids != ids:
            raise UsageError(f"{source}: a different matrix from {docs[0][0]}")
        if doc.verdict.gating != docs[0][1].verdict.gating:
            raise UsageError(f"{source}: a different FAIL_ON_REQUIRED_FAILURE from {docs[0][0]}")
        if shard.index in by_index:
            earlier = by_index[shard.index]
            raise UsageError(f"shard {shard.index}/{count} given twice: {earlier} and {source}")
        by_index[shard.index] = source
    assert count is not None
    missing = [k for k in range(1, count + 1) if k not in by_index]
    if missing:
        raise UsageError(
            "missing shard"
            + ("s " if len(missing) > 1 else " ")
            + ", ".join(f"{k}/{count}" for k in missing)
        )
    checks = {check.id: check for _, doc in docs for check in doc.checks}
    absent = [check_id for check_id in ids if check_id not in checks]
    if absent:
        raise UsageError(f"no shard reported {', '.join(absent)}")
    first = next(doc for _, doc in docs if doc.shard is not None and doc.shard.index == 1)
    interrupted = any(doc.verdict.label == "INTERRUPTED" for _, doc in docs)
    ordered = tuple(checks[check_id] for check_id in ids)
    verdict = decide(
        [(c.required, c.status) for c in ordered],
        gating=first.verdict.gating,
        interrupted=interrupted,
    )
    merged = replace(
        first,
        timestamp=min(doc.timestamp for _, doc in docs),
        wall_ms=max(doc.wall_ms for _, doc in docs),
        verdict=verdict_model(verdict),
        shard=None,
        merged_from=tuple(str(by_index[k]) for k in sorted(by_index)),
        checks=ordered,
    )
    check_outputs(outputs)
    previous = earlier_report(compare_to, directory, merged.timestamp)
    claim = claim_output_dir(directory)
    try:
        redact = Redactor()
        report = write_report(directory, merged, redact, previous)
        console = make_console(quiet=False, redact=redact, environ=environ, out=out)
        failed = [*report.failed, *write_ci_outputs(merged, outputs, redact)]
        tell(console, merged, report, None, previous)
    finally:
        release(claim)
    if failed:
        raise ReportIncomplete(failed)
    return merged


def step_summary_path(environ: Mapping[str, str]) -> Path | None:
    value = environ.get("GITHUB_STEP_SUMMARY", "")
    return Path(value) if value else None
