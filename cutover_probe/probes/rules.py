"""Run a probe's independent rules at once and keep every verdict, not only the first.

A smoke check reports all the rules that failed (a stale manifest *and* a missing sync token),
so one run tells the on-call engineer everything; a rule's own network failure fails that rule,
never its siblings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio

from cutover_probe.errors import CheckFailed
from cutover_probe.probes.context import ProbeContext

Rule = tuple[str, Callable[[], Awaitable[None]]]


async def run_rules(ctx: ProbeContext, rules: Sequence[Rule]) -> list[str]:
    """Run the rules concurrently; return the failure messages in the rules' order."""
    failures: list[str | None] = [None] * len(rules)

    async def one(position: int, name: str, rule: Callable[[], Awaitable[None]]) -> None:
        try:
            await rule()
        except CheckFailed as exc:
            failures[position] = f"{name}: {exc}"

    async with anyio.create_task_group() as group:
        for position, (name, rule) in enumerate(rules):
            group.start_soon(one, position, name, rule)
    for position, (name, _) in enumerate(rules):
        failure = failures[position]
        ctx.log(f"rule {name}: {'FAILED: ' + failure if failure else 'ok'}")
    return [failure for failure in failures if failure]


def verdict(failures: Sequence[str]) -> None:
    """Fail the check with every failed rule, in order; one line."""
    if failures:
        raise CheckFailed("; ".join(failures))
