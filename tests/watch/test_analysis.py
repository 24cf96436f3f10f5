"""The watch's analysis rules as pure functions: every rule, every boundary, no clock."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cutover_probe.errors import UsageError
from cutover_probe.watch.analysis import (
    Result,
    Rules,
    State,
    interrupt,
    make_rules,
    progress,
    record,
    wait_before_next,
)


def run(rules: Rules, verdicts: str, interval: float = 1.0) -> tuple[State, int]:
    """Feed 'G'/'N' verdicts one per interval; the state and how many were consumed."""
    state = State()
    for used, verdict in enumerate(verdicts, start=1):
        state = record(rules, state, verdict == "G", next_start_s=used * interval)
        if state.result is not Result.RUNNING:
            return state, used
    return state, len(verdicts)


def test_count_all_go_succeeds_after_exactly_n() -> None:
    state, used = run(make_rules(interval_s=1, count=3), "GGGGG")
    assert (state.result, used, state.iterations) == (Result.SUCCESSFUL, 3, 3)
    assert state.why == "3 iterations, 0 NO-GO (--failure-limit 0)"


def test_failure_limit_zero_fails_on_the_first_no_go() -> None:
    state, used = run(make_rules(interval_s=1, count=5), "GGNGG")
    assert (state.result, used) == (Result.FAILED, 3)
    assert state.why == "1 NO-GO iteration of 3, more than --failure-limit 0"


def test_failure_limit_tolerates_k_and_fails_on_one_more_at_once() -> None:
    rules = make_rules(interval_s=1, count=9, failure_limit=1)
    state, used = run(rules, "GGNGGNGGN")
    assert (state.result, used, state.failures) == (Result.FAILED, 6, 2)
    ok, used = run(rules, "GGNGGGGGG")
    assert (ok.result, used, ok.failures) == (Result.SUCCESSFUL, 9, 1)


def test_failures_at_the_limit_on_the_last_iteration_still_succeed() -> None:
    state, _ = run(make_rules(interval_s=1, count=3, failure_limit=2), "NGN")
    assert state.result is Result.SUCCESSFUL


def test_duration_ends_when_the_next_start_falls_past_it() -> None:
    rules = make_rules(interval_s=10, duration_s=30)
    state, used = run(rules, "GGGGGG", interval=10)
    # Starts at 0, 10, 20; the next would be at 30, which is not within 30 s.
    assert (state.result, used) == (Result.SUCCESSFUL, 3)


def test_no_bound_runs_until_the_failure_limit() -> None:
    state, used = run(make_rules(interval_s=1, failure_limit=2), "G" * 50 + "NNGN")
    assert (state.result, used) == (Result.FAILED, 54)


def test_until_go_needs_m_in_a_row() -> None:
    rules = make_rules(interval_s=1, until="go", consecutive=3, timeout_s=100)
    state, used = run(rules, "NNGGNGGGN")
    assert (state.result, used, state.streak) == (Result.SUCCESSFUL, 8, 3)
    assert state.why == "3 GO iterations in a row"


def test_until_go_consecutive_defaults_to_one() -> None:
    state, used = run(make_rules(interval_s=1, until="go", timeout_s=10), "NNG")
    assert (state.result, used) == (Result.SUCCESSFUL, 3)


def test_until_go_times_out_when_no_further_start_fits() -> None:
    rules = make_rules(interval_s=1, until="go", consecutive=2, timeout_s=4)
    state, used = run(rules, "NGNGGG")
    # Starts at 0..3; after the 4th the next would start at 4 s, which the timeout forbids.
    assert (state.result, used) == (Result.FAILED, 4)
    assert "within --timeout 4s" in state.why
    assert "the last 1 GO in a row" in state.why


def test_until_go_succeeds_on_the_last_iteration_before_the_timeout() -> None:
    rules = make_rules(interval_s=1, until="go", consecutive=2, timeout_s=4)
    state, used = run(rules, "NNGG")
    assert (state.result, used) == (Result.SUCCESSFUL, 4)


def test_a_decided_state_never_changes() -> None:
    rules = make_rules(interval_s=1, count=1)
    done = record(rules, State(), True, 1)
    assert record(rules, done, False, 2) == done
    assert interrupt(done) == done


def test_interrupt_is_its_own_result() -> None:
    state = interrupt(record(make_rules(interval_s=1, count=5), State(), True, 1))
    assert state.result is Result.INTERRUPTED
    assert state.why == "interrupted after 1 iteration"


def test_wait_is_start_to_start_and_overruns_start_at_once() -> None:
    rules = make_rules(interval_s=30)
    assert wait_before_next(rules, 0.0, 4.0) == (26.0, 0.0)
    assert wait_before_next(rules, 0.0, 42.5) == (0.0, 12.5)
    assert wait_before_next(make_rules(interval_s=0), 5.0, 5.2) == (0.0, pytest.approx(0.2))


def test_progress_lines() -> None:
    rules = make_rules(interval_s=1, count=20, failure_limit=1)
    state = State(iterations=7, failures=1)
    assert progress(rules, state, 7) == "iteration 7/20, 1 of 1 failures used"
    until = make_rules(interval_s=1, until="go", consecutive=3, timeout_s=900)
    assert (
        progress(until, State(iterations=4, streak=2), 252)
        == "iteration 4, 2 of 3 consecutive GO, 252s of 15m"
    )
    assert progress(make_rules(interval_s=1), State(iterations=2), 2) == (
        "iteration 2, 0 of 0 failures used"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"consecutive": 2}, "--consecutive only applies with --until go"),
        ({"timeout_s": 5.0}, "--timeout only applies with --until go"),
        ({"count": 2, "duration_s": 5.0}, "give one of them"),
        ({"count": 0}, "--count must be at least 1"),
        ({"failure_limit": -1}, "--failure-limit must be 0 or more"),
        ({"until": "go"}, "--until go needs --timeout"),
        ({"until": "go", "timeout_s": 5.0, "count": 3}, "not on --count or --duration"),
        ({"until": "go", "timeout_s": 5.0, "failure_limit": 1}, "--failure-limit does not apply"),
        ({"until": "go", "timeout_s": 5.0, "consecutive": 0}, "--consecutive must be at least 1"),
        ({"until": "no-go", "timeout_s": 5.0}, "the only state to wait for is 'go'"),
        ({"interval_s": -1.0}, "--interval must be a finite number"),
        ({"interval_s": math.inf}, "--interval must be a finite number"),
        ({"interval_s": math.nan}, "--interval must be a finite number"),
        ({"duration_s": math.inf}, "--duration must be a positive finite duration"),
        ({"until": "go", "timeout_s": 0.0}, "--timeout must be a positive finite duration"),
    ],
)
def test_combinations_that_mean_nothing_are_usage_errors(
    kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"interval_s": 1.0, **kwargs}
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_rules(**arguments)  # type: ignore[arg-type]


@settings(derandomize=True, max_examples=300)
@given(
    verdicts=st.lists(st.booleans(), max_size=40),
    count=st.integers(1, 30),
    limit=st.integers(0, 5),
)
@example(verdicts=[False, True, False], count=3, limit=1)
def test_analysis_stops_exactly_when_the_outcome_is_certain(
    verdicts: list[bool], count: int, limit: int
) -> None:
    rules = make_rules(interval_s=1, count=count, failure_limit=limit)
    state = State()
    for n, go in enumerate(verdicts, start=1):
        state = record(rules, state, go, n)
        failures = verdicts[:n].count(False)
        if failures > limit:
            assert state.result is Result.FAILED
            break
        if n == count:
            assert state.result is Result.SUCCESSFUL
            break
        assert state.result is Result.RUNNING  # not yet certain: no early verdict
    else:
        assert state.result is Result.RUNNING


@settings(derandomize=True, max_examples=300)
@given(verdicts=st.lists(st.booleans(), max_size=40), m=st.integers(1, 5))
def test_until_go_succeeds_at_the_first_run_of_m(verdicts: list[bool], m: int) -> None:
    rules = make_rules(interval_s=1, until="go", consecutive=m, timeout_s=1000)
    state, used = run(rules, "".join("G" if v else "N" for v in verdicts))
    text = "".join("G" if v else "N" for v in verdicts)
    first = text.find("G" * m)
    if first < 0:
        assert state.result is Result.RUNNING
    else:
        assert (state.result, used) == (Result.SUCCESSFUL, first + m)
