"""The runtime smoke, natively over HTTP: the five steps of the runtime-smoke binary, no cargo.

Health and readiness are asked at once; then the write path in order, each step needing the one
before (create run → append event → read run), stopping at the first failure as the binary does.
"""

from __future__ import annotations

import uuid

import anyio

from cutover_probe.errors import AssertionFailed, CheckFailed
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.httpclient import Response, fetch, join_url
from cutover_probe.probes.params import RuntimeSmokeParams


async def run_smoke(ctx: ProbeContext, params: RuntimeSmokeParams) -> str | None:
    base = params.base_url
    worker_id = params.worker_id
    failures: dict[int, str] = {}

    async def health_step(step: int, path: str, expected_status: str) -> None:
        try:
            response = await fetch(ctx, "GET", join_url(base, path))
            _expect(response, step, 200)
            body = response.json()
            if not isinstance(body, dict) or body.get("status") != expected_status:
                got = body.get("status") if isinstance(body, dict) else None
                raise AssertionFailed(
                    f"step {step} {response.label}: status is {got!r}, expected {expected_status!r}"
                )
        except CheckFailed as exc:
            failures[step] = str(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(health_step, 1, "/healthz", "ok")
        group.start_soon(health_step, 2, "/readyz", "ready")
    if failures:
        raise CheckFailed("; ".join(failures[step] for step in sorted(failures)))

    created = await fetch(
        ctx,
        "POST",
        join_url(base, "/internal/v1/runs"),
        json_body={"worker_id": worker_id, "metadata": {"source": "runtime-smoke"}},
    )
    _expect(created, 3, 201)
    run = created.json().get("run") if isinstance(created.json(), dict) else None
    run_id = run.get("id") if isinstance(run, dict) else None
    if not isinstance(run_id, str) or not run_id:
        raise AssertionFailed(f"step 3 {created.label}: body has no string at /run/id")
    ctx.log(f"created run {run_id}")

    event = await fetch(
        ctx,
        "POST",
        join_url(base, f"/internal/v1/runs/{run_id}/events"),
        json_body={
            "event_type": "run.started",
            "idempotency_key": f"smoke-{uuid.uuid4()}",
            "payload": {"smoke": True},
        },
    )
    _expect(event, 4, 200)

    read = await fetch(ctx, "GET", join_url(base, f"/internal/v1/runs/{run_id}"))
    _expect(read, 5, 200)
    body = read.json()
    read_run = body.get("run") if isinstance(body, dict) else None
    if not isinstance(read_run, dict) or read_run.get("id") != run_id:
        raise AssertionFailed(f"step 5 {read.label}: body has no run with id {run_id}")
    return None


def _expect(response: Response, step: int, status: int) -> None:
    if response.status != status:
        raise AssertionFailed(
            f"step {step} {response.label} answered {response.describe_status()}, expected {status}"
        )
