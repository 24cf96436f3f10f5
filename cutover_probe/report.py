"""Evidence on disk: results.tsv, SUMMARY.md, results.json and logs/<check>.log.

Everything is rendered from one results model (results.py, whose JSON is the run's results.json,
schema ``cutover-probe/results/v1``, docs/results-schema.md), so a report merged from shards and
a report of a whole run come out of the same code and are byte-identical when the outcomes are.
A reporter knows nothing of HTTP or subprocesses. Every byte passes the redactor before it is
written, and every file is written to a temporary name and renamed, so a report on disk is
always whole; results.tsv is written last, so its presence means the rest is there. results.tsv
holds no times and its log paths are relative, so the same outcomes against the same targets
give a byte-identical file (its command column does name the targets: base URLs, repo path).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cutover_probe import __version__
from cutover_probe.errors import UsageError
from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.planning import Plan
from cutover_probe.policy import Verdict
from cutover_probe.reasons import shown
from cutover_probe.results import (
    CheckResult,
    Counts,
    Details,
    DomainRecord,
    MatrixRef,
    RunResults,
    Shard,
    Tool,
    VerdictRecord,
    map_strings,
)
from cutover_probe.secrets import Redactor
from cutover_probe.text import markdown_cell, visible

TSV_HEADER = ("check_id", "required", "status", "description", "log_path", "command")
REPORT_FILES = ("results.tsv", "SUMMARY.md", "results.json", "report.html")
# Lanes stream their full output here during the run (already redacted); the log writer copies
# each into logs/<check>.log between its header and footer, then removes the folder.
LANE_OUTPUT_DIR = ".lane-output"
LOCK_FILE = ".cutover-probe.lock"


@dataclass(frozen=True)
class Report:
    directory: Path
    results_tsv: Path
    summary_md: Path
    results_json: Path
    failed: tuple[tuple[str, str], ...] = ()  # (artifact, why) of what could not be written


@dataclass(frozen=True)
class Claim:
    """An output directory held by this run: an exclusive ``flock`` on its lock file, taken
    before anything is probed and kept until the report is written (or the process ends, which
    releases it even after a kill -9)."""

    directory: Path
    fd: int


def claim_output_dir(directory: Path) -> Claim:
    """Refuse, before anything runs, a directory we could not write a whole report into: one
    that holds a report, is in use by another run, is not writable, or whose logs/ is not a
    plain writable directory. Every refusal is exit 2 naming the path."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"output directory {directory} exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output directory {directory}: {_why(exc)}") from None
    claim = _lock(directory)
    try:
        for name in REPORT_FILES:
            if (directory / name).exists():
                raise UsageError(
                    f"output directory {directory} already holds a report ({name}); "
                    "choose an empty or new directory"
                )
        _check_logs_dir(directory / "logs")
    except BaseException:
        release(claim)
        raise
    return claim


def _lock(directory: Path) -> Claim:
    """O_CREAT then flock, not O_EXCL alone: a lock file left by a killed run must not block
    the directory forever. The inode check catches a lock file removed by the run that held it
    between our open and our flock."""
    path = directory / LOCK_FILE
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise UsageError(f"output directory {directory} is not writable: {_why(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(
                f"output directory {directory} is in use by another run (it holds the lock "
                f"on {path}); choose another directory"
            ) from None
        except OSError:
            pass  # a file system without locks (some NFS): claim without one
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return Claim(directory, fd)
        os.close(fd)
    raise UsageError(f"output directory {directory} is in use by another run ({path})")


def release(claim: Claim) -> None:
    """Remove the lock file, then let go of the lock: a run waiting on this inode finds it gone."""
    with contextlib.suppress(OSError):
        if os.stat(claim.directory / LOCK_FILE).st_ino == os.fstat(claim.fd).st_ino:
            os.unlink(claim.directory / LOCK_FILE)
    with contextlib.suppress(OSError):
        os.close(claim.fd)


def _check_logs_dir(logs: Path) -> None:
    if logs.is_symlink():
        raise UsageError(f"{logs} is a symbolic link; a report writes its logs into a real folder")
    if logs.exists() and not logs.is_dir():
        raise UsageError(f"{logs} exists and is not a directory")
    try:
        logs.mkdir(exist_ok=True)
        with tempfile.TemporaryFile(dir=logs):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write into {logs}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def log_path(check_id: str) -> str:
    return f"logs/{check_id}.log"


def command_column(planned: PlannedCheck, outcome: Outcome) -> str:
    if outcome.status is Status.SKIPPED:
        return outcome.reason
    return planned.command


def build_document(
    plan: Plan,
    rows: Sequence[tuple[PlannedCheck, Outcome]],
    verdict: Verdict,
    timestamp: datetime,
    wall_s: float,
    domains: Sequence[Mapping[str, Any]] = (),
    shard: tuple[int, int] | None = None,
) -> RunResults:
    """The run as data: what every other artifact is rendered from."""
    return RunResults(
        tool=Tool(name="cutover-probe", version=__version__),
        title=plan.matrix.title,
        timestamp=timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        wall_ms=round(wall_s * 1000, 1),
        verdict=verdict_model(verdict),
        environment=dict(plan.environment_summary()),
        domain_mappings=tuple(DomainRecord(dict(d)) for d in domains),
        matrix=MatrixRef(source=str(plan.matrix.source), ids=tuple(plan.all_ids)),
        shard=Shard(index=shard[0], count=shard[1]) if shard else None,
        checks=tuple(
            CheckResult(
                id=planned.id,
                kind=planned.check.kind,
                environment=planned.check.environment,
                required=planned.check.required,
                description=planned.check.description,
                status=outcome.status,
                reason=outcome.reason,
                command=command_column(planned, outcome),
                log_path=log_path(planned.id),
                started_ms=round(outcome.started_s * 1000, 1),
                duration_ms=round(outcome.duration_ms, 1),
                attempts=outcome.attempts,
                evidence=tuple(outcome.evidence),
                details=Details(dict(outcome.details)),
            )
            for planned, outcome in rows
        ),
    )


def verdict_model(verdict: Verdict) -> VerdictRecord:
    return VerdictRecord(
        overall=verdict.overall,
        label=verdict.label,
        exit_code=verdict.exit_code,
        gating=verdict.gating,
        why=verdict.why,
        counts=Counts(**vars(verdict.counts)),
    )


def write_report(
    directory: Path, doc: RunResults, redact: Redactor, previous: RunResults | None = None
) -> Report:
    """Every file of a report; ``previous`` (an earlier report) feeds report.html's changes.

    One artifact that cannot be rendered or written (a full disk, a renderer bug) does not cost
    the others: each is attempted, results.tsv last, and the failures come back in
    ``Report.failed`` for the caller to name (exit 4)."""
    from cutover_probe.htmlreport import render_html

    # Redact the values themselves before any format escapes them: a token holding '"' or '<'
    # would no longer match once JSON or HTML had rewritten it. The writer redacts again.
    doc = doc.map_strings(redact)
    previous = previous.map_strings(redact) if previous is not None else None
    tsv = directory / "results.tsv"
    summary = directory / "SUMMARY.md"
    results = directory / "results.json"
    failed: list[tuple[str, str]] = []
    attempt(failed, "logs/", lambda: _write_logs(directory, doc.checks, redact))
    # Values only (done above): a text pass over JSON could rewrite a key.
    attempt(
        failed,
        "results.json",
        lambda: _write(results, doc.dumps(), _keep),
    )
    attempt(failed, "SUMMARY.md", lambda: _write(summary, render_summary(doc), redact))
    attempt(
        failed,
        "report.html",
        lambda: _write(directory / "report.html", render_html(doc, previous), redact),
    )
    attempt(failed, "results.tsv", lambda: _write(tsv, render_tsv(doc), redact))
    return Report(directory, tsv, summary, results, tuple(failed))


def attempt(failed: list[tuple[str, str]], artifact: str, write: Callable[[], None]) -> None:
    """Write one artifact; a failure is recorded (artifact, why), never raised."""
    try:
        write()
    except Exception as exc:  # any renderer bug or OSError: the other artifacts still get written
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        failed.append((artifact, f"{type(exc).__name__}: {why}"))


def redacted(results: RunResults, redact: Callable[[str], str]) -> RunResults:
    """Every string value of the results through the redactor. Keys are left alone: they
    are the schema's names (and step or database names from the config), and a secret that
    happens to be a substring of one ("environm") must not rename "environment"."""
    return results.map_strings(redact)


def _keep(text: str) -> str:
    return text


def _write_logs(directory: Path, checks: Sequence[CheckResult], redact: Redactor) -> None:
    """All logs into a fresh hidden directory, which then replaces the empty logs/ at once:
    one rename instead of a thousand, and never a half-written log in logs/. A lane's log
    takes its full output from the lane's transcript, streamed, never held in memory."""
    staging = Path(tempfile.mkdtemp(prefix=".logs.", dir=directory))
    transcripts = directory / LANE_OUTPUT_DIR
    try:
        for check in checks:
            name = Path(check.log_path).name
            transcript = transcripts / name
            if check.status is not Status.SKIPPED and transcript.is_file():
                _write_lane_log(staging / name, check, transcript, redact)
            else:
                (staging / name).write_text(redact(render_log(check)), encoding="utf-8")
            os.chmod(staging / name, 0o666 & ~_umask())
        os.chmod(staging, 0o777 & ~_umask())
        target = directory / "logs"
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        if target.exists():  # leftovers of an earlier, unfinished run: keep them, add ours
            for entry in staging.iterdir():
                os.replace(entry, target / entry.name)
            staging.rmdir()
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(transcripts, ignore_errors=True)


def _write_lane_log(path: Path, check: CheckResult, transcript: Path, redact: Redactor) -> None:
    """Header, the transcript as the lane wrote it (redacted as it streamed), the engine's
    verdict line (it comes after the lane ended, so it is in the evidence, not the transcript),
    footer."""
    check = map_strings(check, visible)
    evidence = check.evidence
    verdict = [evidence[-1]] if evidence and evidence[-1].startswith("FAILED: ") else []
    with path.open("wb") as out, transcript.open("rb") as source:
        out.write(redact("\n".join(log_header(check)) + "\n").encode("utf-8"))
        shutil.copyfileobj(source, out, 1024 * 1024)
        out.write(redact("\n".join([*verdict, *log_footer(check)]) + "\n").encode("utf-8"))


def write_text(path: Path, text: str, redact: Callable[[str], str]) -> None:
    """One more artifact (junit.xml, the step summary's source) with the same guarantees."""
    _write(path, text, redact)


def _write(path: Path, text: str, redact: Callable[[str], str]) -> None:
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


def cell(text: str) -> str:
    """One TSV or Markdown field: visible (no tab, line break or control left), spaces folded."""
    return " ".join(visible(str(text)).split())


def required_label(check: CheckResult) -> str:
    return check.required_label


def render_tsv(doc: RunResults) -> str:
    # Each field is made visible by `cell`: no pass over the whole document (its evidence and
    # details are not in the TSV).
    lines = ["\t".join(TSV_HEADER)]
    for check in doc.checks:
        fields = (
            check.id,
            required_label(check),
            check.status.value,
            check.description,
            check.log_path,
            check.command,
        )
        lines.append("\t".join(cell(field) for field in fields))
    return "\n".join(lines) + "\n"


def render_log(check: CheckResult) -> str:
    check = map_strings(check, visible)
    body = [] if check.status is Status.SKIPPED else list(check.evidence)
    return "\n".join([*log_header(check), *body, *log_footer(check)]) + "\n"


def log_header(check: CheckResult) -> list[str]:
    return [
        f"# {check.id} ({required_label(check)}): {check.description}",
        f"# command: {check.command}",
    ]


def log_footer(check: CheckResult) -> list[str]:
    footer = [f"# status: {check.status.value}"]
    if check.reason:
        footer.append(f"# reason: {check.reason}")
    if check.status is not Status.SKIPPED:
        footer.append(f"# duration: {check.duration_ms:.0f} ms, attempts: {check.attempts}")
    return footer


def md(text: str) -> str:
    return markdown_cell(text)


def compact_timestamp(doc: RunResults) -> str:
    stamp = datetime.fromisoformat(doc.timestamp.replace("Z", "+00:00"))
    return stamp.strftime("%Y%m%dT%H%M%SZ")


def render_summary(doc: RunResults) -> str:
    # Every value made visible, but the evidence, which SUMMARY.md never shows: the lines are
    # most of a document's strings (the logs and report.html show them).
    doc = replace(doc, checks=tuple(replace(check, evidence=()) for check in doc.checks))
    doc = doc.map_strings(visible)
    verdict = doc.verdict
    c = verdict.counts
    out = [
        f"# {doc.title}",
        "",
        f"- Timestamp (UTC): {compact_timestamp(doc)}",
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
    out += [f"- {name}={value}" for name, value in doc.environment.items()]
    if doc.domain_mappings:
        from cutover_probe.probes.google.domains import describe

        out += [f"- {cell(describe(dict(record.values)))}" for record in doc.domain_mappings]
    gating = verdict.gating
    out += [
        f"- Mode: {'release gating' if gating else 'baseline capture'}"
        f" (FAIL_ON_REQUIRED_FAILURE={'1' if gating else '0'})",
        "",
        "## Check Results",
        "",
        "| Check | Required | Status | Description | Log | Duration | Reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for check in doc.checks:
        skipped = check.status is Status.SKIPPED
        duration = "" if skipped else f"{check.duration_ms / 1000:.2f}s"
        out.append(
            f"| {check.id} | {required_label(check)} | {check.status.value} "
            f"| {md(check.description)} | {check.log_path} | {duration} "
            f"| {md(shown(check.status.value, check.reason))} |"
        )
    out += permissions_missing(doc)
    failed = [check for check in doc.checks if check.status is Status.FAILED]
    if failed:
        out += ["", "## Failures", ""]
        out += [
            f"- {c.id} ({required_label(c)}): {cell(shown(c.status.value, c.reason))}"
            for c in failed
        ]
    out += ["", "## Commands", ""]
    out += [f"- {check.id}: {cell(check.command)}" for check in doc.checks]
    return "\n".join(out) + "\n"


def permissions_missing(doc: RunResults) -> list[str]:
    """SUMMARY.md's section for the run's denied Google permissions and the commands granting
    them (whole: one line each); nothing when Google denied nothing."""
    from cutover_probe.probes.google.permissions import missing

    denied, grant = missing(
        (check.details.values for check in doc.checks),
        (record.values for record in doc.domain_mappings),
    )
    if not denied:
        return []
    out = ["", "## Permissions missing", "", f"- {cell(', '.join(denied))}"]
    return out + [f"- grant with: {cell(line)}" for line in grant]


def load_document(directory: Path) -> RunResults:
    """A report's results.json, validated and typed: renderers can trust it."""
    path = directory / "results.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{directory}: no results.json (not a cutover-probe report)") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: unreadable: {exc}") from None
    except RecursionError:
        raise UsageError(f"{path}: unreadable: nested too deeply") from None
    return RunResults.from_json(doc, str(path))


_TOP_TIMESTAMP = re.compile(r'^  "timestamp": "([^"\\]{1,64})"', re.M)


def _started(results: Path) -> datetime | None:
    """A report's recorded start time, from the head of its results.json (our writer puts
    ``timestamp`` among the first top-level keys, two spaces in), without parsing the whole
    file: a report root can hold hundreds of reports of megabytes each."""
    try:
        with results.open("r", encoding="utf-8", errors="replace") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    match = _TOP_TIMESTAMP.search(head)
    return _parse_time(match.group(1)) if match else None


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def previous_report(directory: Path, before: datetime | str | None = None) -> RunResults | None:
    """The newest earlier report beside ``directory``, for "what changed since the previous
    report": newest by the start time recorded in its results.json (a directory's name says
    nothing: ``--output-dir`` names are free), among those started no later than ``before``
    (this run's start; None: any). The model returned names its directory
    (``compared_directory``). None when there is none."""
    parent = directory.parent
    if not parent.is_dir():
        return None
    limit = _parse_time(before) if before is not None else None
    candidates: list[tuple[datetime, float, Path]] = []
    for entry in parent.iterdir():
        results = entry / "results.json"
        if entry == directory or not entry.is_dir() or not results.is_file():
            continue
        started = _started(results)
        if started is None or (limit is not None and started > limit):
            continue
        with contextlib.suppress(OSError):
            candidates.append((started, results.stat().st_mtime, entry))
    for _, _, candidate in sorted(candidates, reverse=True):
        try:
            doc = load_document(candidate)
        except UsageError:
            continue
        return replace(doc, compared_directory=str(candidate))
    return None


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
