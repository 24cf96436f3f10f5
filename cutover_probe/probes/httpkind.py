"""The ``http`` kind's runner: a lane written in TOML — requests, assertions, captures, samples,
budgets.

Which http module is which: this one *runs* the ``http`` kind (registered as
``cutover_probe.probes.httpkind:run``); `httpkind_spec.py` *parses* its parameters (steps,
budgets, comparisons) into dataclasses; `httpclient.py` *sends* one request (`fetch`), for this
kind and every other HTTP probe.

Steps run in order within a sample (a later step may use what an earlier one captured, the way
the HTMX chat probe reads its thread id from ``Location``); samples run sequentially or a few at
a time. Every failed assertion says what was expected and what came, prefixed by its step, so
the reason column alone tells the story. Captured values are secrets unless marked public.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from cutover_probe.errors import CheckFailed
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.httpclient import Response, fetch, join_url
from cutover_probe.probes.httpkind_spec import (
    CAPTURE_REF,
    MISSING,
    Budgets,
    Capture,
    Expect,
    Step,
    resolve_pointer,
)
from cutover_probe.probes.params import HttpParams
from cutover_probe.secrets import Secret
from cutover_probe.stats import STATS, percentile

LOG_EVERY_REQUEST_UP_TO = 50


@dataclass
class Measure:
    """What one step did across all samples."""

    ttfb_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one per failed sample, first problem
    failed_samples: int = 0
    samples: int = 0


def substitute(value: Any, captured: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return CAPTURE_REF.sub(lambda m: captured[m.group(1)], value)
    if isinstance(value, Mapping):
        return {k: substitute(v, captured) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, captured) for v in value]
    return value


def _quoted(value: Any, redact: Callable[[str], str] = str) -> str:
    """A value quoted for a reason, redacted before it is cut to 80 characters: a cut token
    would no longer match its secret, and its first 79 characters would leak."""
    text = redact(value if isinstance(value, str) else json.dumps(value))
    return repr(text if len(text) <= 80 else text[:79] + "…")


def check_expect(
    expect: Expect, response: Response, redact: Callable[[str], str] = str
) -> list[str]:
    """Every assertion of a step against one response: the problems, in a stable order."""

    def _shown(value: Any) -> str:
        return _quoted(value, redact)

    def _got(value: str | None) -> str:
        return _shown(value) if value is not None else "no such header"

    problems = []
    if not any(low <= response.status <= high for low, high in expect.status):
        problems.append(f"status {response.describe_status()}, expected {expect.status_text}")
    for rule in expect.headers:
        value = response.headers.get(rule.name)
        if rule.present is not None and (value is not None) != rule.present:
            problems.append(
                f"header {rule.name}: expected {'present' if rule.present else 'absent'}, "
                f"{'got ' + _shown(value) if value is not None else 'absent'}"
            )
            continue
        if rule.equals is not None and value != rule.equals:
            problems.append(
                f"header {rule.name}: expected {_shown(rule.equals)}, got {_got(value)}"
            )
        if rule.contains is not None and (value is None or rule.contains not in value):
            problems.append(
                f"header {rule.name}: expected to contain {_shown(rule.contains)}, "
                f"got {_got(value)}"
            )
        if rule.regex is not None and (value is None or not re.search(rule.regex, value)):
            problems.append(
                f"header {rule.name}: expected to match /{rule.regex}/, got {_got(value)}"
            )
    ctype = response.header("content-type").lower()
    if expect.content_type is not None and not ctype.startswith(expect.content_type):
        problems.append(f"content type: expected {expect.content_type}, got {ctype or 'none'}")
    if expect.body_regex is not None:
        text = response.body.decode("utf-8", errors="replace")
        if not re.search(expect.body_regex, text):
            problems.append(f"body does not match /{expect.body_regex}/")
    if expect.json:
        try:
            document = json.loads(response.body)
        except (ValueError, UnicodeDecodeError):
            problems.append(f"body is not JSON ({ctype or 'no content type'})")
        else:
            problems.extend(_json_problems(expect, document, redact))
    if expect.max_bytes is not None and len(response.body) > expect.max_bytes:
        problems.append(f"size {len(response.body)} bytes over budget {expect.max_bytes}")
    if expect.ttfb_ms is not None and response.ttfb_ms > expect.ttfb_ms:
        problems.append(f"TTFB {response.ttfb_ms:.0f} ms over budget {expect.ttfb_ms:g} ms")
    if expect.total_ms is not None and response.elapsed_ms > expect.total_ms:
        problems.append(
            f"total time {response.elapsed_ms:.0f} ms over budget {expect.total_ms:g} ms"
        )
    return problems


def _json_problems(expect: Expect, document: Any, redact: Callable[[str], str]) -> list[str]:
    def _shown(value: Any) -> str:
        return _quoted(value, redact)

    problems = []
    for rule in expect.json:
        value = resolve_pointer(document, rule.pointer)
        if rule.exists is not None and (value is not MISSING) != rule.exists:
            problems.append(
                f"JSON {rule.pointer}: expected {'to exist' if rule.exists else 'absent'}, "
                f"{'missing' if value is MISSING else 'got ' + _shown(value)}"
            )
            continue
        if rule.has_equals and value != rule.equals:
            got = "missing" if value is MISSING else _shown(value)
            problems.append(f"JSON {rule.pointer}: expected {_shown(rule.equals)}, got {got}")
        if rule.matches is not None and (
            value is MISSING or not re.search(rule.matches, str(value))
        ):
            got = "missing" if value is MISSING else _shown(value)
            problems.append(f"JSON {rule.pointer}: expected to match /{rule.matches}/, got {got}")
    return problems


def _capture(ctx: ProbeContext, capture: Capture, response: Response) -> str | None:
    if capture.header is not None:
        raw = response.headers.get(capture.header)
        source = f"header {capture.header}"
    else:
        try:
            value = resolve_pointer(json.loads(response.body), capture.json or "")
        except (ValueError, UnicodeDecodeError):
            value = MISSING
        raw = None if value is MISSING else str(value)
        source = f"JSON {capture.json}"
    if raw is None:
        return None
    if capture.regex is not None:
        match = re.search(capture.regex, raw)
        if match is None:
            return None
        raw = match.group(1) if match.groups() else match.group(0)
    if not capture.public:
        ctx.learn_secret(raw)
    ctx.log(f"captured {capture.name} from {source}" + (f": {raw}" if capture.public else ""))
    return raw


def load_baseline(path: str) -> dict[str, dict[str, float]]:
    import csv  # only lanes with a baseline need it; `plan` imports this module

    rows: dict[str, dict[str, float]] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckFailed(f"baseline {path}: cannot read: {exc}") from None
    for row in csv.DictReader(text.splitlines()):
        try:
            rows[row["probe"]] = {
                "size_bytes": float(row["size_bytes"]),
                "ttfb_ms": float(row["ttfb_ms"]),
            }
        except (KeyError, TypeError, ValueError):
            raise CheckFailed(
                f"baseline {path}: expected columns probe,size_bytes,ttfb_ms"
            ) from None
    return rows


async def run(ctx: ProbeContext, params: HttpParams) -> str | None:
    steps = params.steps
    budgets = params.budgets
    base_url = params.base_url
    token = params.token
    if not base_url and any(step.path is not None for step in steps):
        raise CheckFailed("a step has a path but the check's base_url is empty")
    samples = params.samples
    concurrency = max(1, min(params.concurrency, samples))
    baseline = load_baseline(params.baseline) if params.baseline else {}
    measures = {step.name: Measure() for step in steps}
    quiet = samples * len(steps) > LOG_EVERY_REQUEST_UP_TO
    limiter = anyio.Semaphore(concurrency)

    async def one_sample() -> None:
        async with limiter:
            await _run_sample(ctx, steps, base_url, token, measures, quiet)

    async with anyio.create_task_group() as group:
        for _ in range(samples):
            group.start_soon(one_sample)

    problems: list[str] = []
    for step in steps:
        measure = measures[step.name]
        _summarise(ctx, step, measure, samples)
        problems.extend(_judge(ctx, step, measure, samples, budgets, baseline))
    if problems:
        raise CheckFailed("; ".join(problems))
    if samples > 1:
        return f"{samples} samples of {len(steps)} steps within budget"
    return None


async def _run_sample(
    ctx: ProbeContext,
    steps: tuple[Step, ...],
    base_url: str,
    token: Secret,
    measures: dict[str, Measure],
    quiet: bool,
) -> None:
    captured: dict[str, str] = {}
    for step in steps:
        measure = measures[step.name]
        measure.samples += 1
        missing = sorted(
            ref
            for ref in CAPTURE_REF.findall(
                json.dumps([step.path, step.url, step.headers, step.json_body, step.form])
            )
            if ref not in captured
        )
        if missing:
            measure.failed_samples += 1
            measure.failures.append(f"not run: {{{{{missing[0]}}}}} was not captured")
            continue
        if step.url is not None:
            url = substitute(step.url, captured)
        else:
            url = join_url(base_url, substitute(step.path, captured))
        if step.auth and not token:
            measure.failed_samples += 1
            measure.failures.append("needs the environment's access token, which is unset")
            continue
        try:
            response = await fetch(
                ctx,
                step.method,
                url,
                token=token if step.auth else None,
                json_body=substitute(step.json_body, captured),
                form=substitute(step.form, captured) if step.form is not None else None,
                headers=substitute(dict(step.headers), captured),
                quiet=quiet,
                retry=step.retry,
            )
        except CheckFailed as exc:
            measure.failed_samples += 1
            measure.failures.append(str(exc))
            continue
        measure.ttfb_ms.append(response.ttfb_ms)
        measure.total_ms.append(response.elapsed_ms)
        measure.sizes.append(len(response.body))
        problems = check_expect(step.expect, response, ctx.redactor)
        for capture in step.captures:
            value = _capture(ctx, capture, response)
            if value is None:
                what = capture.header or capture.json
                problems.append(f"could not capture {capture.name} from {what}")
            else:
                captured[capture.name] = value
        if problems:
            measure.failed_samples += 1
            measure.failures.append("; ".join(problems))


def _summarise(ctx: ProbeContext, step: Step, measure: Measure, samples: int) -> None:
    if not measure.ttfb_ms:
        ctx.log(f"step {step.name}: no response in {samples} sample(s)")
        return
    parts = [f"step {step.name}: {len(measure.ttfb_ms)} response(s)"]
    for metric, values in (("ttfb", measure.ttfb_ms), ("total", measure.total_ms)):
        stats = " ".join(
            f"{stat} {percentile(values, STATS[stat]):.0f}" for stat in ("p50", "p95", "max")
        )
        parts.append(f"{metric} ms {stats}")
    parts.append(f"size {max(measure.sizes)} bytes")
    parts.append(f"failed samples {measure.failed_samples}")
    ctx.log(", ".join(parts))
    ctx.details.setdefault("steps", {})[step.name] = {
        "samples": measure.samples,
        "failed_samples": measure.failed_samples,
        "ttfb_ms": {s: round(percentile(measure.ttfb_ms, STATS[s]), 1) for s in STATS},
        "total_ms": {s: round(percentile(measure.total_ms, STATS[s]), 1) for s in STATS},
        "size_bytes": max(measure.sizes),
    }


def _judge(
    ctx: ProbeContext,
    step: Step,
    measure: Measure,
    samples: int,
    budgets: Budgets,
    baseline: Mapping[str, Mapping[str, float]],
) -> list[str]:
    problems: list[str] = []
    if samples == 1:
        problems.extend(f"step {step.name}: {failure}" for failure in measure.failures)
    elif measure.failed_samples / samples > budgets.max_error_rate:
        rate = measure.failed_samples / samples
        problems.append(
            f"step {step.name}: {measure.failed_samples} of {samples} samples failed "
            f"({rate:.1%}, at most {budgets.max_error_rate:.1%} allowed): {measure.failures[0]}"
        )
    if measure.ttfb_ms:
        for metric, stat, limit in budgets.percentiles:
            values = measure.ttfb_ms if metric == "ttfb" else measure.total_ms
            got = percentile(values, STATS[stat])
            if got > limit:
                name = "TTFB" if metric == "ttfb" else "total time"
                problems.append(
                    f"step {step.name}: {name} {stat} {got:.0f} ms over budget {limit:g} ms"
                )
    row = baseline.get(step.name)
    if row is not None and measure.ttfb_ms:
        size = max(measure.sizes)
        ttfb = percentile(measure.ttfb_ms, 95 if samples > 1 else 100)
        label = "p95 " if samples > 1 else ""
        ctx.log(
            f"baseline {step.name}: size {size} bytes ({size - row['size_bytes']:+.0f} vs "
            f"{row['size_bytes']:.0f}), ttfb {label}{ttfb:.0f} ms "
            f"({ttfb - row['ttfb_ms']:+.0f} vs {row['ttfb_ms']:.0f})"
        )
        ctx.details.setdefault("baseline", {})[step.name] = {
            "size_bytes": size,
            "size_delta": round(size - row["size_bytes"]),
            "ttfb_ms": round(ttfb, 1),
            "ttfb_delta_ms": round(ttfb - row["ttfb_ms"], 1),
        }
        growth = budgets.ttfb_p95_vs_baseline
        if growth is not None and ttfb > row["ttfb_ms"] * (1 + growth):
            problems.append(
                f"step {step.name}: TTFB {label}{ttfb:.0f} ms more than {growth:.0%} over "
                f"baseline {row['ttfb_ms']:.0f} ms"
            )
    return problems
