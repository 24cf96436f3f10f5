"""The scheduler: the plan's checks concurrently (at most `max_parallel_checks` at once), each
inside its own deadline, none able to stop another; then the collector hands the outcomes back
in matrix order, never finish order.

Like nox's parallel runner, output is buffered per check (its evidence) and results come back in
manifest order. All concurrency lives in one anyio task group: nothing is fire-and-forget, and an
interrupt cancels every probe (and so kills every subprocess group) before the report is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from cutover_probe import diagnostics, interrupts, lag
from cutover_probe.durations import format_duration
from cutover_probe.errors import CheckFailed, UsageError
from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.planning import Plan
from cutover_probe.probes import KINDS
from cutover_probe.probes.context import ProbeContext
from cutover_probe.reasons import explained

if TYPE_CHECKING:  # ssl is imported when a trust store is built: `plan` needs none
    import ssl

    import aiohttp

    from cutover_probe.probes.google.domains import PlannedDomain


@dataclass(frozen=True)
class RunSettings:
    request_timeout_s: float = 10.0
    per_host_limit: int = 8
    total_limit: int = 100
    handle_signals: bool = False
    fail_fast: bool = False  # cancel the rest at the first required failure
    ca_bundle: Path | None = None  # extra trusted CAs, on top of the system's
    resolve: Mapping[str, str] = field(default_factory=dict)  # host -> address ("" fails DNS)
    max_parallel_checks: int | None = None  # None: all at once (1 gives a sequential run)
    lane_output_dir: Path | None = None  # where lanes stream their full output (report.py)


@dataclass(frozen=True)
class RunResult:
    outcomes: tuple[Outcome, ...]  # matrix order
    interrupted: bool
    wall_s: float
    domains: tuple[dict[str, Any], ...] = ()  # domain mapping evidence, in config order


OnEvent = Callable[[PlannedCheck, Outcome], None]
START_BATCH = 64  # checks started per pass of the event loop


async def execute(
    plan: Plan,
    environ: Mapping[str, str],
    settings: RunSettings = RunSettings(),
    *,
    on_finish: OnEvent | None = None,
    on_line: Callable[[str, str], None] | None = None,
    on_start: Callable[[PlannedCheck], None] | None = None,
    session: aiohttp.ClientSession | None = None,
) -> RunResult:
    """Run the plan's checks. ``session``: an HTTP session the caller owns and keeps open
    across runs (`watch` reuses its connections); by default the run opens and closes its own."""
    started = time.monotonic()
    results: dict[int, Outcome] = {}
    domains: dict[int, dict[str, Any]] = {}
    interrupted = False
    stopped_by: list[str] = []  # the required check whose failure stopped a --fail-fast run
    checks_scope = anyio.CancelScope()

    def cancel_reason() -> str:
        # One text for a cancelled check, on the terminal as the row appears and in the files.
        if stopped_by and not interrupted:
            return f"cancelled: --fail-fast stopped the run when {stopped_by[0]} failed"
        return "cancelled: the run was interrupted"

    def finish(planned: PlannedCheck, outcome: Outcome) -> None:
        if outcome.status is Status.CANCELLED:
            outcome = dataclasses.replace(outcome, reason=cancel_reason())
        results[planned.index] = outcome
        diagnostics.check_finished(planned, outcome)
        if on_finish is not None:
            on_finish(planned, outcome)
        if (
            settings.fail_fast
            and planned.check.required
            and outcome.status is Status.FAILED
            and not stopped_by
        ):
            stopped_by.append(planned.id)
            checks_scope.cancel()

    to_run = [p for p in plan.checks if p.skip_reason is None and p.cannot_start is None]
    for planned in plan.checks:
        if planned.skip_reason is not None:
            finish(planned, _skipped(planned))
        elif planned.cannot_start is not None:
            finish(planned, _cannot_start(planned))

    needs_http = any(KINDS[p.check.kind].uses_http for p in to_run)
    trust = trust_store(settings) if settings.ca_bundle is not None else None
    limiter = anyio.Semaphore(settings.max_parallel_checks or max(len(to_run), 1))
    session_cm = (
        _borrowed(session) if session is not None else _http_session(settings, needs_http, trust)
    )

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        checks_scope.cancel()  # a scope cancelled before it is entered cancels at once

    async def read_domain(position: int, domain: PlannedDomain) -> None:
        ctx = ProbeContext(
            check_id=f"domain {domain.domain}",
            redactor=plan.redactor,
            repo_root=plan.repo_root,
            environ=environ,
            request_timeout_s=settings.request_timeout_s,
        )
        from cutover_probe.probes.google.domains import read

        domains[position] = await read(ctx, domain)

    async with contextlib.AsyncExitStack() as stack:
        if settings.handle_signals:
            await stack.enter_async_context(interrupts.watching())
            stack.enter_context(interrupts.cancelling(interrupt))
        session = await stack.enter_async_context(session_cm)
        await stack.enter_async_context(lag.monitored(environ))  # off unless asked (lag.py)
        with checks_scope:
            async with anyio.create_task_group() as checks:
                for position, domain in enumerate(plan.domains):
                    checks.start_soon(read_domain, position, domain)
                for started_count, planned in enumerate(to_run, start=1):
                    ctx = ProbeContext(
                        check_id=planned.id,
                        redactor=plan.redactor,
                        repo_root=plan.repo_root,
                        environ=environ,
                        ssl_context=trust,
                        resolve=settings.resolve,
                        session=session,
                        request_timeout_s=settings.request_timeout_s,
                        on_line=on_line,
                        spool_dir=settings.lane_output_dir,
                    )
                    checks.start_soon(_limited, limiter, planned, ctx, started, finish, on_start)
                    if started_count % START_BATCH == 0:
                        # Every task started runs its first step in the loop's next pass, in
                        # one go: 10,000 of them held the loop for seconds (its lag grew with
                        # the matrix), and every answer that came meanwhile was timed late.
                        await anyio.lowlevel.checkpoint()

    outcomes = []
    for planned in plan.checks:
        outcome = results.get(planned.index)
        if outcome is None or outcome.status is Status.CANCELLED:
            outcome = Outcome(
                check_id=planned.id,
                status=Status.CANCELLED,
                reason=cancel_reason(),
                duration_ms=outcome.duration_ms if outcome else 0.0,
                attempts=outcome.attempts if outcome else 0,
                evidence=outcome.evidence if outcome else (),
                started_s=outcome.started_s if outcome else 0.0,
                details=outcome.details if outcome else {},
            )
        outcomes.append(outcome)
    return RunResult(
        outcomes=tuple(outcomes),
        interrupted=interrupted,
        wall_s=time.monotonic() - started,
        domains=tuple(domains[i] for i in sorted(domains)),
    )


def _skipped(planned: PlannedCheck) -> Outcome:
    reason = planned.skip_reason or ""
    return Outcome(check_id=planned.id, status=Status.SKIPPED, reason=reason, evidence=(reason,))


def _cannot_start(planned: PlannedCheck) -> Outcome:
    reason = planned.cannot_start or ""
    return Outcome(
        check_id=planned.id,
        status=Status.FAILED,
        reason=reason,
        evidence=(f"FAILED: {reason}",),
    )


async def _limited(
    limiter: anyio.Semaphore,
    planned: PlannedCheck,
    ctx: ProbeContext,
    run_started: float,
    finish: OnEvent,
    on_start: Callable[[PlannedCheck], None] | None,
) -> None:
    async with limiter:
        await _run_check(planned, ctx, run_started, finish, on_start)


async def _run_check(
    planned: PlannedCheck,
    ctx: ProbeContext,
    run_started: float,
    finish: OnEvent,
    on_start: Callable[[PlannedCheck], None] | None,
) -> None:
    kind = KINDS[planned.check.kind]
    deadline = planned.check.deadline_s or kind.default_deadline_s
    log = diagnostics.logger().bind(check=planned.id, kind=kind.name)
    log.debug("check started", deadline_s=deadline)
    if on_start is not None:
        on_start(planned)
    began = time.monotonic()
    ctx.deadline = began + deadline
    status, reason = Status.FAILED, ""
    try:
        with anyio.fail_after(deadline):
            note = await kind.run(ctx, planned.params)
        status, reason = Status.PASSED, note or ""
        if ctx.details.get("retried"):
            retried = "passed only on a retry: " + ", ".join(ctx.details["retried"])
            reason = f"{reason}; {retried}" if reason else retried
    except TimeoutError:
        reason = f"deadline exceeded: no verdict within {format_duration(deadline)}"
    except CheckFailed as exc:
        reason = str(exc) or type(exc).__name__
    except anyio.get_cancelled_exc_class():
        # `finish` gives it the run's one cancel reason (interrupt or --fail-fast).
        status, reason = Status.CANCELLED, "cancelled"
        finish(planned, _outcome(planned, ctx, status, reason, began, run_started))
        raise
    except Exception as exc:  # a probe bug must fail its check, never the run
        reason = _reason(exc, planned.check.kind)
    if status is Status.FAILED:
        reason = explained(kind.name, reason, ctx.evidence)
        ctx.log(f"FAILED: {reason}")
    log.debug("check finished", status=status.value, attempts=ctx.attempts, reason=reason)
    finish(planned, _outcome(planned, ctx, status, reason, began, run_started))


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _reason(exc: Exception, kind: str) -> str:
    """A probe's own task group fails with a group: its CheckFailed leaves are the reason."""
    leaves = _leaves(exc)
    if all(isinstance(leaf, CheckFailed) for leaf in leaves):
        return "; ".join(dict.fromkeys(str(leaf) for leaf in leaves))
    bug = next(leaf for leaf in leaves if not isinstance(leaf, CheckFailed))
    return f"internal error in probe {kind}: {type(bug).__name__}: {bug}"


def _outcome(
    planned: PlannedCheck,
    ctx: ProbeContext,
    status: Status,
    reason: str,
    began: float,
    run_started: float,
) -> Outcome:
    return Outcome(
        check_id=planned.id,
        status=status,
        # Redacted before whitespace is folded: a secret holding two spaces must still match.
        # Whole: the views that show it on one line cut it (`reasons.shown`).
        reason=" ".join(ctx.redactor(reason).split()),
        duration_ms=(time.monotonic() - began) * 1000,
        attempts=ctx.attempts,
        evidence=tuple(ctx.evidence),
        started_s=began - run_started,
        details=dict(ctx.details),
    )


def trust_store(settings: RunSettings) -> ssl.SSLContext:
    """Verification always on: the system's CAs, plus --ca-bundle for private ones."""
    return _trust_store(settings.ca_bundle)


@functools.lru_cache(maxsize=4)
def _trust_store(ca_bundle: Path | None) -> ssl.SSLContext:
    # Cached: the workflow checks the bundle before anything runs, the engine then uses it;
    # loading the system's CA store twice costs tens of milliseconds.
    import ssl

    context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"--ca-bundle {ca_bundle}: {exc}") from None
    return context


@contextlib.asynccontextmanager
async def _borrowed(
    session: aiohttp.ClientSession,
) -> AsyncIterator[aiohttp.ClientSession | None]:
    yield session  # the caller closes it


def http_session(
    settings: RunSettings,
) -> contextlib.AbstractAsyncContextManager[aiohttp.ClientSession | None]:
    """The session a run opens, for a caller that keeps it open across runs (`watch`)."""
    trust = trust_store(settings) if settings.ca_bundle is not None else None
    return _http_session(settings, True, trust)


@contextlib.asynccontextmanager
async def _http_session(
    settings: RunSettings, needed: bool, trust: ssl.SSLContext | None
) -> AsyncIterator[aiohttp.ClientSession | None]:
    """One session per run; aiohttp is imported only when an HTTP check runs."""
    if not needed:
        yield None
        return
    import aiohttp

    from cutover_probe.probes.httpclient import connection_trace
    from cutover_probe.resolver import StaticResolver

    connector = aiohttp.TCPConnector(
        limit=settings.total_limit,
        limit_per_host=settings.per_host_limit,
        # Without --ca-bundle, aiohttp's own verifying context (built at its import) serves.
        ssl=trust if trust is not None else True,
        resolver=StaticResolver(settings.resolve) if settings.resolve else None,
    )
    headers: dict[str, Any] = {"User-Agent": "cutover-probe"}
    async with aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers=headers,
        trace_configs=[connection_trace()],
    ) as session:
        yield session
