"""`cutover-probe watch`: the matrix again and again through a traffic shift, in one process.

Why one warm process: a fresh `run` pays Python's start-up, the imports (the Google libraries
alone take half a second of CPU), the config load and new TCP connections every time. Here
they are paid once: the matrix is loaded once, the HTTP session (and so its keep-alive
connections) lives for the whole watch, and each iteration costs about its critical path.

Each iteration is an ordinary run (`planning.build_plan` → `engine.execute` → `policy.decide`
→ `report.build_document`), so a watch judges exactly what `run` would. The plan is rebuilt
each time (no network, milliseconds): its redactor then holds only the secrets of one
iteration, rather than every sync token the servers handed out since the watch began.

What is kept: the history's small rows (history.py), the last iteration's document, and on
disk the report of every NO-GO iteration, of every iteration whose verdict changed and of the
last one (`iterations/NNNN/`, the ordinary report files). `watch.json` and `report.html` are
rewritten after an iteration that changed something and at most every `FLUSH_EVERY_S`
otherwise, and always at the end, interrupted or not.

Signals: the first SIGINT/SIGTERM cancels the iteration under way (its finished checks are
kept, the rest marked cancelled), writes the final summary and exits 130; a second one exits
at once.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import anyio

from cutover_probe import diagnostics, interrupts
from cutover_probe.console import PlainConsole
from cutover_probe.engine import execute, http_session, trust_store
from cutover_probe.errors import UsageError
from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.planning import Plan, build_plan
from cutover_probe.policy import decide
from cutover_probe.probes import KINDS
from cutover_probe.report import (
    REPORT_FILES,
    build_document,
    claim_output_dir,
    utc_now,
    write_report,
    write_text,
)
from cutover_probe.results import RunResults
from cutover_probe.secrets import Secret
from cutover_probe.watch import analysis
from cutover_probe.watch.analysis import Result, Rules, State
from cutover_probe.watch.history import CheckRow, Iteration, short_reason, watch_document
from cutover_probe.watch.hooks import hook_environ, run_hook
from cutover_probe.watch.live import View, make_view
from cutover_probe.workflow import (
    RunRequest,
    check_outputs,
    earlier_report,
    prepare,
    write_ci_outputs,
)

FLUSH_EVERY_S = 2.0
WATCH_FILES = ("watch.json", "report.html")


@dataclass(frozen=True)
class WatchRequest:
    run: RunRequest
    rules: Rules
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    on_change: tuple[str, ...] = ()  # argv
    on_change_timeout_s: float = 10.0
    # Called with the bound metrics port once it listens (tests scrape it).
    on_metrics: Any = None
    extra_secrets: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class WatchSummary:
    state: State
    exit_code: int
    directory: Path
    iterations: tuple[Iteration, ...]


def claim_watch_dir(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"output directory {directory} exists and is not a directory")
    for name in (*WATCH_FILES, *REPORT_FILES):
        if (directory / name).exists():
            raise UsageError(
                f"output directory {directory} already holds a report ({name}); "
                "choose an empty or new directory"
            )
    try:
        (directory / "iterations").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror or exc}") from None


class _Watch:
    """The loop's state; one instance per `watch` call."""

    def __init__(self, request: WatchRequest, plan: Plan, directory: Path, view: View) -> None:
        self.request = request
        self.rules = request.rules
        self.matrix = plan.matrix
        self.first_plan = plan
        self.directory = directory.absolute()  # the hook's paths must not depend on its cwd
        self.view = view
        self.state = State()
        self.history: list[Iteration] = []
        self.reasons: dict[str, str] = {}
        self.began = time.monotonic()
        self.started_at = _iso(utc_now())
        self.last_doc: RunResults | None = None
        self.kept_for_last: Path | None = None  # a report kept only because it was the last
        self.last_flush = 0.0
        # The hooks run one at a time, in the order of the changes: the command a change starts
        # waits for the one before it (each bounded by --on-change-timeout). Started side by
        # side, a fast iteration's hook could finish before the previous one's, and a pager then
        # got GO, then NO-GO, while the watch was at GO (tests/commands/test_watch.py).
        self.hook_turn = anyio.Lock()
        self.interrupted = False
        self.current: tuple[int, float, str, dict[int, Outcome], Plan] | None = None
        self.metrics: Any = None
        self.secret_names = {n for n, v in self.matrix.variables.items() if v.type == "secret"}
        self.ids = [p.id for p in plan.checks]  # this shard's, when sharded
        self.envs = {p.id: p.check.environment for p in plan.checks}

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def progress(self) -> str:
        return analysis.progress(self.rules, self.state, self.elapsed)

    def plan(self) -> Plan:
        run = self.request.run
        return build_plan(self.matrix, run.environ, run.repo_root, run.selection)

    async def iterate(self, session: Any, hooks: anyio.abc.TaskGroup) -> None:
        run = self.request.run
        number = len(self.history) + 1
        plan = self.plan() if number > 1 else self.first_plan
        diagnostics.use_redactor(plan.redactor)
        began = time.monotonic()
        stamp = utc_now()
        finished: dict[int, Outcome] = {}
        self.current = (number, began, _iso(stamp), finished, plan)

        def on_finish(planned: PlannedCheck, outcome: Outcome) -> None:
            finished[planned.index] = outcome

        on_line = (
            (lambda check_id, text: self.view.say(f"  {check_id}: {text}"))
            if (run.show_lines)
            else None
        )
        result = await execute(
            plan, run.environ, run.settings, on_finish=on_finish, on_line=on_line, session=session
        )
        self.current = None
        rows = list(zip(plan.checks, result.outcomes, strict=True))
        # A watch judges what it was asked to watch: the checks --only/--skip/--env deselected
        # stay in each report as skips but do not make an iteration NO-GO (for `run`, a
        # partial run is never a GO; a watch of `control-*` would otherwise never be one).
        judged = [(p, o) for p, o in rows if run.selection.deselects(p.check) is None]
        verdict = decide(
            [(p.check.required, o.status) for p, o in judged], gating=plan.gating, interrupted=False
        )
        if len(judged) < len(rows):
            verdict = replace(
                verdict,
                why=f"{verdict.why} (judged on the {len(judged)} selected checks; "
                f"{len(rows) - len(judged)} deselected)",
            )
        doc = build_document(plan, rows, verdict, stamp, result.wall_s, result.domains, plan.shard)
        previous = self.history[-1].verdict if self.history else None
        changed = verdict.label != previous
        report_dir = self.directory / "iterations" / f"{number:04d}"
        claim_output_dir(report_dir)
        compare = self.last_doc
        if compare is None and run.compare_to is not None:
            compare = earlier_report(run.compare_to, report_dir)
        write_report(report_dir, doc, plan.redactor, compare)
        # Keep every NO-GO and every change; a GO like the one before is kept only while last.
        if self.kept_for_last is not None:
            shutil.rmtree(self.kept_for_last, ignore_errors=True)
            self.history[-1] = replace(self.history[-1], report=None)
            self.kept_for_last = None
        if verdict.label == "GO" and not changed:
            self.kept_for_last = report_dir
        self.last_doc = doc
        next_start = max(began - self.began + self.rules.interval_s, time.monotonic() - self.began)
        self.state = analysis.record(self.rules, self.state, verdict.label == "GO", next_start)
        iteration = Iteration(
            number=number,
            started_at=_iso(stamp),
            offset_s=began - self.began,
            wall_ms=result.wall_s * 1000,
            verdict=verdict.label,
            checks=self._rows(plan, result.outcomes),
            report=str(report_dir.relative_to(self.directory)),
        )
        self.history.append(iteration)
        if self.metrics is not None:
            self.metrics.observe(iteration, self.state)
        self.view.iteration(iteration, self.progress())
        if changed and self.request.on_change:
            hooks.start_soon(self.hook, plan, verdict.label, previous or "", report_dir, number)
        self.flush(force=changed or self.state.result is not Result.RUNNING)

    def _rows(self, plan: Plan, outcomes: Any) -> tuple[CheckRow, ...]:
        return tuple(
            CheckRow(
                id=o.check_id,
                status=o.status.value,
                duration_ms=o.duration_ms,
                reason=short_reason(plan.redactor(o.reason), self.reasons),
            )
            for o in outcomes
        )

    def record_interrupted(self) -> None:
        """The iteration under way when the signal came: what finished, the rest cancelled."""
        if self.current is None:
            return
        number, began, started_at, finished, plan = self.current
        outcomes = []
        for planned in plan.checks:
            done = finished.get(planned.index)
            if done is None or done.status is Status.CANCELLED:
                done = Outcome(planned.id, Status.CANCELLED, "cancelled: the watch was interrupted")
            outcomes.append(done)
        self.history.append(
            Iteration(
                number=number,
                started_at=started_at,
                offset_s=began - self.began,
                wall_ms=(time.monotonic() - began) * 1000,
                verdict="INTERRUPTED",
                checks=self._rows(plan, outcomes),
            )
        )
        self.current = None

    async def hook(
        self, plan: Plan, verdict: str, previous: str, report_dir: Path, number: int
    ) -> None:
        async with self.hook_turn:  # FIFO: the hooks' tasks queue in the order they started
            await self._run_hook(plan, verdict, previous, report_dir, number)

    async def _run_hook(
        self, plan: Plan, verdict: str, previous: str, report_dir: Path, number: int
    ) -> None:
        secret_values = {
            v.reveal() for v in plan.values.values() if isinstance(v, Secret) and v.reveal()
        }
        environ = hook_environ(
            self.request.run.environ,
            self.secret_names,
            secret_values | set(self.request.extra_secrets),
            {
                "CUTOVER_PROBE_VERDICT": verdict,
                "CUTOVER_PROBE_PREVIOUS_VERDICT": previous,
                "CUTOVER_PROBE_REPORT": str(report_dir),
                "CUTOVER_PROBE_WATCH_REPORT": str(self.directory / "report.html"),
                "CUTOVER_PROBE_ITERATION": str(number),
            },
        )
        await run_hook(
            self.request.on_change,
            environ,
            self.directory / "on-change.log",
            self.request.on_change_timeout_s,
            self.view.say,
        )

    def exit_code(self) -> int | None:
        if self.state.result is Result.RUNNING:
            return None
        return analysis.EXIT_CODES[self.state.result]

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_flush < FLUSH_EVERY_S:
            return
        self.last_flush = now
        from cutover_probe.watch.htmlreport import render_watch_html

        doc = watch_document(
            title=self.matrix.title,
            started_at=self.started_at,
            rules=self.rules,
            state=self.state,
            iterations=self.history,
            exit_code=self.exit_code(),
            ids=self.ids,
            environments=self.envs,
        )
        redact = self.first_plan.redactor
        import json

        write_text(self.directory / "watch.json", json.dumps(doc, indent=1) + "\n", redact)
        write_text(self.directory / "report.html", render_watch_html(doc), redact)


def _iso(stamp: Any) -> str:
    return str(stamp.isoformat().replace("+00:00", "Z"))


async def watch(request: WatchRequest, out: TextIO | None = None) -> WatchSummary:
    run = request.run
    plan, directory = prepare(run)
    diagnostics.use_redactor(plan.redactor)
    if run.settings.ca_bundle is not None:
        trust_store(run.settings)
    check_outputs(run.outputs)
    claim_watch_dir(directory)
    # The watch handles signals itself, between iterations too.
    run = replace(run, settings=replace(run.settings, handle_signals=False))
    request = replace(request, run=run)
    checks = [(p.id, p.check.environment or "") for p in plan.checks]
    view = make_view(
        quiet=run.quiet,
        redact=plan.redactor,
        environ=run.environ,
        checks=checks,
        out=out or sys.stdout,
    )
    state = _Watch(request, plan, directory, view)
    if request.metrics_port is not None:
        from cutover_probe.watch.metrics import WatchMetrics

        state.metrics = WatchMetrics(checks)
        port = state.metrics.serve(request.metrics_host, request.metrics_port)
        view.say(f"[watch] metrics: http://{request.metrics_host}:{port}/metrics")
        if request.on_metrics is not None:
            request.on_metrics(port)
    needs_http = any(KINDS[p.check.kind].uses_http for p in plan.checks if p.skip_reason is None)
    session_cm = http_session(run.settings) if needs_http else contextlib.nullcontext(None)
    if not run.quiet:
        view.say(f"[watch] {_describe(request.rules)}; reports in {directory}")
    view.start(state.progress())
    try:
        loop = anyio.CancelScope()

        def on_signal() -> None:  # the first SIGINT/SIGTERM/SIGHUP; a second kills the lanes
            state.interrupted = True
            view.say("[watch] interrupted: writing the summary")
            loop.cancel()

        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(interrupts.watching())
            stack.enter_context(interrupts.cancelling(on_signal))
            session = await stack.enter_async_context(session_cm)
            with loop:
                async with anyio.create_task_group() as hooks:
                    await _loop(state, session, hooks)
    finally:
        view.stop()
        if state.metrics is not None:
            state.metrics.finish(state.state)
    if state.interrupted:
        state.record_interrupted()
        state.state = analysis.interrupt(state.state)
    code = state.exit_code()
    assert code is not None
    state.flush(force=True)
    if state.last_doc is not None:
        for artifact, why in write_ci_outputs(state.last_doc, run.outputs, plan.redactor):
            PlainConsole(out or sys.stdout, plan.redactor).say(
                f"[watch] {artifact} not written: {why}"
            )
    _tell(view, state, code)
    if state.metrics is not None:
        state.metrics.close()
    return WatchSummary(state.state, code, directory, tuple(state.history))


async def _loop(state: _Watch, session: Any, hooks: anyio.abc.TaskGroup) -> None:
    rules = state.rules
    while True:
        began = time.monotonic() - state.began
        await state.iterate(session, hooks)
        if state.state.result is not Result.RUNNING:
            return
        wait, overrun = analysis.wait_before_next(rules, began, time.monotonic() - state.began)
        if overrun >= 0.01 and rules.interval_s > 0 and not state.request.run.quiet:
            state.view.say(
                f"[watch] iteration {state.state.iterations} ran {overrun:.2f}s past the "
                f"{rules.interval_s:g}s interval: the next starts at once"
            )
        await anyio.sleep(wait)


def _describe(rules: Rules) -> str:
    from cutover_probe.durations import format_duration as fd

    every = f"every {fd(rules.interval_s)}" if rules.interval_s else "back to back"
    if rules.until_go:
        assert rules.timeout_s is not None
        return (
            f"watching {every} until {rules.consecutive} GO in a row, at most {fd(rules.timeout_s)}"
        )
    if rules.count is not None:
        bound = f"{rules.count} iterations"
    elif rules.duration_s is not None:
        bound = f"for {fd(rules.duration_s)}"
    else:
        bound = "until a failure or Ctrl-C"
    return f"watching {every}, {bound}, --failure-limit {rules.failure_limit}"


def _tell(view: View, state: _Watch, code: int) -> None:
    result = state.state
    view.say(f"[watch] analysis {result.result.value.upper()}: {result.why} (exit {code})")
    bad = [i for i in state.history if i.verdict != "GO"]
    if bad:
        view.say(
            "[watch] NO-GO iterations: "
            + ", ".join(f"{i.number} ({i.verdict})" for i in bad[:50])
            + (f", … {len(bad) - 50} more" if len(bad) > 50 else "")
        )
        from cutover_probe.watch.history import failed_checks

        for check_id, numbers in failed_checks(state.history).items():
            shown = ", ".join(str(n) for n in numbers[:20])
            more = f", … {len(numbers) - 20} more" if len(numbers) > 20 else ""
            many = "iterations" if len(numbers) > 1 else "iteration"
            view.say(f"[watch]   {check_id} failed in {many} {shown}{more}")
    view.say(f"[watch] history: {state.directory / 'watch.json'}")
    view.say(f"[watch] report: {state.directory / 'report.html'}")
