"""The analysis rules of `cutover-probe watch`, stated like Argo Rollouts' analysis runs.

Why a module of pure functions: the rules decide an exit code a deploy pipeline acts on, so
they must be testable exhaustively without a clock, a fleet or a loop. Everything here takes
the iterations' verdicts (GO or not) and times as numbers and returns a new state or a
decision; `runner.py` owns the clock and the loop.

Two modes:

- **analysis** (`--count N` or `--duration D`, `--failure-limit K`): N iterations (or every
  iteration that starts within D); up to K of them may be NO-GO, one more fails the analysis
  at once. With neither count nor duration it runs until it fails or is interrupted.
- **until go** (`--until go --consecutive M --timeout T`): iterations until M GO iterations
  in a row (success) or until no further iteration can start before T runs out (failure).

An iteration counts as failed unless its verdict is GO (a BASELINE iteration had failures).
The outcome is decided as soon as it is certain: the failure past the limit, the M-th GO in a
row, the last iteration of the count, or a next start that would fall past the duration or
timeout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from cutover_probe.durations import format_duration
from cutover_probe.errors import UsageError


class Result(StrEnum):
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


EXIT_CODES = {Result.SUCCESSFUL: 0, Result.FAILED: 1, Result.INTERRUPTED: 130}


@dataclass(frozen=True)
class Rules:
    interval_s: float = 30.0
    count: int | None = None
    duration_s: float | None = None
    failure_limit: int = 0
    until_go: bool = False
    consecutive: int = 1
    timeout_s: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "interval_s": self.interval_s,
            "count": self.count,
            "duration_s": self.duration_s,
            "failure_limit": None if self.until_go else self.failure_limit,
            "until": "go" if self.until_go else None,
            "consecutive": self.consecutive if self.until_go else None,
            "timeout_s": self.timeout_s,
        }


def make_rules(
    *,
    interval_s: float,
    count: int | None = None,
    duration_s: float | None = None,
    failure_limit: int | None = None,
    until: str | None = None,
    consecutive: int | None = None,
    timeout_s: float | None = None,
) -> Rules:
    """The rules from the command line's values; a combination that means nothing is a
    UsageError (exit 2) rather than a guess."""
    if not _finite(interval_s) or interval_s < 0:
        raise UsageError(f"--interval must be a finite number of seconds ≥ 0, got {interval_s!r}")
    for name, value in (("--duration", duration_s), ("--timeout", timeout_s)):
        if value is not None and (not _finite(value) or value <= 0):
            raise UsageError(f"{name} must be a positive finite duration, got {value!r}")
    if count is not None and count < 1:
        raise UsageError(f"--count must be at least 1, got {count}")
    if failure_limit is not None and failure_limit < 0:
        raise UsageError(f"--failure-limit must be 0 or more, got {failure_limit}")
    if consecutive is not None and consecutive < 1:
        raise UsageError(f"--consecutive must be at least 1, got {consecutive}")
    if count is not None and duration_s is not None:
        raise UsageError("--count and --duration both bound the analysis: give one of them")
    if until is None:
        if consecutive is not None:
            raise UsageError("--consecutive only applies with --until go")
        if timeout_s is not None:
            raise UsageError(
                "--timeout only applies with --until go (bound an analysis with --duration)"
            )
        return Rules(
            interval_s=interval_s,
            count=count,
            duration_s=duration_s,
            failure_limit=failure_limit or 0,
        )
    if until != "go":
        raise UsageError(f"--until {until!r}: the only state to wait for is 'go'")
    if count is not None or duration_s is not None:
        raise UsageError("--until go ends on GO or --timeout, not on --count or --duration")
    if failure_limit is not None:
        raise UsageError("--failure-limit does not apply with --until go (NO-GO is expected)")
    if timeout_s is None:
        raise UsageError("--until go needs --timeout: how long to wait for GO")
    return Rules(
        interval_s=interval_s, until_go=True, consecutive=consecutive or 1, timeout_s=timeout_s
    )


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


@dataclass(frozen=True)
class State:
    """What the rules need of the history: counts, not rows."""

    iterations: int = 0
    failures: int = 0
    streak: int = 0  # GO iterations in a row, ending with the last one
    result: Result = Result.RUNNING
    why: str = ""


def record(rules: Rules, state: State, go: bool, next_start_s: float) -> State:
    """The state after one more iteration; ``next_start_s`` is when the next one would start,
    in seconds since the watch began (it decides duration and timeout without waiting)."""
    if state.result is not Result.RUNNING:
        return state
    state = replace(
        state,
        iterations=state.iterations + 1,
        failures=state.failures + (0 if go else 1),
        streak=state.streak + 1 if go else 0,
    )
    decided = _decide(rules, state, next_start_s)
    if decided is None:
        return state
    return replace(state, result=decided[0], why=decided[1])


def _decide(rules: Rules, state: State, next_start_s: float) -> tuple[Result, str] | None:
    n = state.iterations
    if rules.until_go:
        if state.streak >= rules.consecutive:
            return _done(Result.SUCCESSFUL, f"{_plural(state.streak, 'GO iteration')} in a row")
        assert rules.timeout_s is not None
        if next_start_s >= rules.timeout_s:
            return _done(
                Result.FAILED,
                f"no {_plural(rules.consecutive, 'GO iteration')} in a row within "
                f"--timeout {format_duration(rules.timeout_s)} "
                f"({_plural(n, 'iteration')}, the last {_plural(state.streak, 'GO')} in a row)",
            )
        return None
    if state.failures > rules.failure_limit:
        return _done(
            Result.FAILED,
            f"{_plural(state.failures, 'NO-GO iteration')} of {n}, more than "
            f"--failure-limit {rules.failure_limit}",
        )
    ended = (rules.count is not None and n >= rules.count) or (
        rules.duration_s is not None and next_start_s >= rules.duration_s
    )
    if ended:
        return _done(
            Result.SUCCESSFUL,
            f"{_plural(n, 'iteration')}, {state.failures} NO-GO "
            f"(--failure-limit {rules.failure_limit})",
        )
    return None


def _done(result: Result, why: str) -> tuple[Result, str]:
    return result, why


def interrupt(state: State) -> State:
    if state.result is not Result.RUNNING:
        return state
    return replace(
        state,
        result=Result.INTERRUPTED,
        why=f"interrupted after {_plural(state.iterations, 'iteration')}",
    )


def wait_before_next(rules: Rules, last_start_s: float, now_s: float) -> tuple[float, float]:
    """(seconds to wait, seconds overrun): iterations start every interval, start to start; an
    iteration that ran past the next start has the next one start at once."""
    due = last_start_s + rules.interval_s
    return max(0.0, due - now_s), max(0.0, now_s - due)


def progress(rules: Rules, state: State, elapsed_s: float) -> str:
    """One line for the terminal: ``iteration 7/20, 1 of 1 failures used``."""
    n = state.iterations
    if rules.until_go:
        assert rules.timeout_s is not None
        return (
            f"iteration {n}, {state.streak} of {rules.consecutive} consecutive GO, "
            f"{format_duration(round(elapsed_s))} of {format_duration(rules.timeout_s)}"
        )
    if rules.count is not None:
        head = f"iteration {n}/{rules.count}"
    elif rules.duration_s is not None:
        head = (
            f"iteration {n}, {format_duration(round(elapsed_s))} of "
            f"{format_duration(rules.duration_s)}"
        )
    else:
        head = f"iteration {n}"
    used = min(state.failures, rules.failure_limit)
    return f"{head}, {used} of {rules.failure_limit} failures used"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
