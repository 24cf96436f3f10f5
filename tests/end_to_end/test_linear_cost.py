"""Every stage whose input grows with the matrix costs in proportion to it (issue 12).

At 1000 environments a run went 15.7 times slower than at 100, not 10: the redactor recompiled
ever larger patterns as sync tokens were learned. These tests time each stage at 1×, 10× and
30× the input with `time.process_time` (CPU of this process, so other processes on the machine
matter little), keep the fastest of several repetitions, and judge the *shape* of the growth
with wide margins: 10× the input may cost at most 20× (linear is 10×, quadratic 100×), and
going from 10× to 30× at most 6× (linear is 3×, quadratic 9×). Timing goals themselves are
measured by `make bench`, never asserted here.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cutover_probe.ci import render_junit, render_step_summary
from cutover_probe.config import load_matrix
from cutover_probe.console import PlainConsole
from cutover_probe.model import Outcome, Status
from cutover_probe.planning import build_plan
from cutover_probe.policy import decide
from cutover_probe.report import build_document, write_report
from cutover_probe.secrets import Redactor

SIZES = (1, 10, 30)
REPEAT = 3


def fastest(stage: Callable[[int], None], size: int) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        began = time.process_time()
        stage(size)
        best = min(best, time.process_time() - began)
    return max(best, 1e-6)


def assert_linear(stage: Callable[[int], None], unit: int) -> None:
    stage(unit)  # warm up: imports, compiled regexes, caches
    one, ten, thirty = (fastest(stage, unit * k) for k in SIZES)
    shape = f"1×: {one:.3f}s, 10×: {ten:.3f}s, 30×: {thirty:.3f}s"
    assert ten / one <= 20, f"10× the input cost {ten / one:.1f}× ({shape})"
    assert thirty / ten <= 6, f"3× the input cost {thirty / ten:.1f}× ({shape})"


def sync_token(n: int) -> str:
    """A token like the control service's: a JWT whose long head every token shares."""
    head = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAic3luYy1hdXRoLXYxIn0."
    claims = {"iss": "https://staging.openagents.com", "aud": "openagents-sync", "jti": f"s{n}"}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}{body}.{base64.urlsafe_b64encode(n.to_bytes(32, 'big')).decode()}"


def learn_and_redact(secrets: int) -> None:
    """What a run does: a token learned per environment, evidence lines redacted after each."""
    redact = Redactor(["configured-access-token"])
    for n in range(secrets):
        token = sync_token(n)
        redact.add(token)
        for _ in range(5):
            line = redact(f"POST /api/sync/token -> 200 in 103 ms token={token} and more text")
            assert token not in line


def test_redaction_grows_linearly_with_the_secrets_learned() -> None:
    assert_linear(learn_and_redact, 60)


def matrix_file(checks: int, tmp_path: Path) -> Path:
    lines = [
        "[matrix]",
        'title = "linear"',
        "[variables.OUTPUT_DIR]",
        'type = "path"',
        "[variables.FAIL_ON_REQUIRED_FAILURE]",
        'type = "flag"',
        'default = "1"',
    ]
    for n in range(checks):
        lines += [
            "[[checks]]",
            f'id = "control-health-e{n}"',
            'kind = "control-health"',
            "required = true",
            'environment = "staging"',
            'base_url = "http://127.0.0.1:9"',
        ]
    path = tmp_path / f"matrix-{checks}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def report_stages(tmp_path: Path) -> Callable[[int], None]:
    runs = iter(range(1_000_000))

    def stage(checks: int) -> None:
        matrix = load_matrix(matrix_file(checks, tmp_path))
        plan = build_plan(matrix, {}, tmp_path)
        token = sync_token(0)
        plan.redactor.add(token)
        rows = [
            (
                planned,
                Outcome(
                    check_id=planned.id,
                    status=Status.FAILED if n % 7 == 0 else Status.PASSED,
                    reason="answered 503 Service Unavailable" if n % 7 == 0 else "",
                    duration_ms=100.0 + n % 50,
                    attempts=1,
                    evidence=tuple(f"GET /health -> 200 line {k} {token}" for k in range(5)),
                    started_s=n / 1000,
                ),
            )
            for n, planned in enumerate(plan.checks)
        ]
        verdict = decide(
            [(p.check.required, o.status) for p, o in rows], gating=True, interrupted=False
        )
        stamp = datetime(2026, 11, 30, tzinfo=UTC)
        doc = build_document(plan, rows, verdict, stamp, 1.0)
        directory = tmp_path / f"report-{next(runs)}"
        (directory / "logs").mkdir(parents=True)
        report = write_report(directory, doc, plan.redactor)
        assert not report.failed
        assert token not in (directory / "results.json").read_text()
        render_junit(doc)
        render_step_summary(doc)
        console = PlainConsole(io.StringIO(), plan.redactor)
        for planned, outcome in rows:
            console.check_finished(planned, outcome)
            console.line(planned.id, outcome.evidence[0])

    return stage


def test_report_and_console_grow_linearly_with_the_checks(tmp_path: Path) -> None:
    assert_linear(report_stages(tmp_path), 10)


@pytest.mark.slow
def test_live_view_draws_what_fits_while_running_and_every_row_at_the_end(
    tmp_path: Path,
) -> None:
    """rich redraws the live table 8 times a second from its own thread: a redraw of every row
    cost as much as the matrix had checks. On a 20-line terminal, 60 checks are drawn as the
    running and failed ones plus a count while the run goes; the table left on screen has all."""
    from .test_hostile_text import run_in_terminal, terminal_environ

    config = matrix_file(60, tmp_path)
    environ = {**terminal_environ(), "LINES": "20"}
    code, screen = run_in_terminal(
        ["run", "--config", str(config), "--output-dir", str(tmp_path / "report")],
        environ,
        tmp_path,
    )
    assert code == 1, screen
    assert "Traceback" not in screen, screen
    during, _, final = screen.rpartition("more not shown")
    assert during, f"no redraw left rows out:\n{screen}"
    for n in range(60):
        assert f"control-health-e{n} " in final, f"control-health-e{n} missing at the end"
