"""The runtime smoke against the simulated fleet: the runtime-smoke binary's five steps over HTTP.

Health and readiness first, then create a run (201, /run/id), append an event (200), read the run
back (200), stopping at the first failed step. Each test breaks one step of one environment and
checks the reason a user reads, the requests the service saw, and that the other checks pass.
"""

from __future__ import annotations

import re

import pytest

from cutover_probe.fleet import Fleet, FleetSpec, RuntimeFaults, serve_fleet
from cutover_probe.model import Outcome, Status

from ..conftest import (
    HTTP_CHECKS,
    Checkout,
    assert_only_failed,
    fleet_environ,
    run_against,
    run_in_process,
)

RUN_PATH = re.compile(r"/internal/v1/runs/([^/]+)")
EVENTS_PATH = re.compile(r"/internal/v1/runs/([^/]+)/events")


def runtime_base(fleet: Fleet, env: str) -> str:
    return fleet.urls[f"{env.upper()}_RUNTIME_BASE_URL"]


def step_of(method: str, path: str) -> int:
    """Which of the five smoke steps a request to the runtime belongs to."""
    if (method, path) == ("GET", "/healthz"):
        return 1
    if (method, path) == ("GET", "/readyz"):
        return 2
    if (method, path) == ("POST", "/internal/v1/runs"):
        return 3
    if method == "POST" and EVENTS_PATH.fullmatch(path):
        return 4
    if method == "GET" and RUN_PATH.fullmatch(path):
        return 5
    raise AssertionError(f"the runtime smoke made an unexpected request: {method} {path}")


def steps_requested(fleet: Fleet, env: str) -> list[int]:
    return [step_of(r.method, r.path) for r in fleet.requests if r.service == f"{env}-runtime"]


def created_run_id(outcome: Outcome) -> str:
    ids = [line.removeprefix("created run ") for line in outcome.evidence if "created run " in line]
    assert len(ids) == 1, outcome.evidence
    return ids[0]


def request_line_index(evidence: tuple[str, ...], start: str) -> int:
    matches = [i for i, line in enumerate(evidence) if line.startswith(start)]
    assert len(matches) == 1, (start, evidence)
    return matches[0]


@pytest.mark.anyio
async def test_healthy_runtime_smoke_makes_the_five_requests_in_order(checkout: Checkout) -> None:
    async with serve_fleet() as fleet:
        outcomes = await run_against(fleet, checkout)

    assert_only_failed(outcomes, ())
    for env in ("staging", "prod"):
        base = runtime_base(fleet, env)
        smoke = outcomes[f"runtime-{env}-smoke"]
        assert smoke.reason == ""
        assert smoke.attempts == 5
        run_id = created_run_id(smoke)
        health = request_line_index(smoke.evidence, f"GET {base}/healthz -> 200 ")
        ready = request_line_index(smoke.evidence, f"GET {base}/readyz -> 200 ")
        create = request_line_index(smoke.evidence, f"POST {base}/internal/v1/runs -> 201 ")
        event = request_line_index(
            smoke.evidence, f"POST {base}/internal/v1/runs/{run_id}/events -> 200 "
        )
        read = request_line_index(smoke.evidence, f"GET {base}/internal/v1/runs/{run_id} -> 200 ")
        # Health and readiness are asked at once; the write path waits for both, then runs
        # strictly in order.
        assert max(health, ready) < create < event < read

        seen = [(r.method, r.path) for r in fleet.requests if r.service == f"{env}-runtime"]
        assert sorted(seen[:2]) == [("GET", "/healthz"), ("GET", "/readyz")]
        assert seen[2:] == [
            ("POST", "/internal/v1/runs"),
            ("POST", f"/internal/v1/runs/{run_id}/events"),
            ("GET", f"/internal/v1/runs/{run_id}"),
        ]
        # The internal API has no authentication: no token goes to the runtime.
        assert all(r.authorization is None for r in fleet.requests if r.service == f"{env}-runtime")


# Each case: the environment broken, its fault, the reason (with {base} and {run_id} filled in),
# and the steps whose requests were made before the smoke stopped.
STEP_FAILURES = [
    pytest.param(
        "prod",
        RuntimeFaults(health_status=500),
        "step 1 GET {base}/healthz answered 500 (error), expected 200",
        [1, 2],
        id="step1-health-500",
    ),
    pytest.param(
        "staging",
        RuntimeFaults(health_status=404),
        "step 1 GET {base}/healthz answered 404 (not_found), expected 200",
        [1, 2],
        id="step1-health-404",
    ),
    pytest.param(
        "prod",
        RuntimeFaults(ready=False),
        "step 2 GET {base}/readyz answered 503 (not_ready), expected 200",
        [1, 2],
        id="step2-not-ready",
    ),
    pytest.param(
        "prod",
        RuntimeFaults(health_status=404, ready=False),
        "step 1 GET {base}/healthz answered 404 (not_found), expected 200; "
        "step 2 GET {base}/readyz answered 503 (not_ready), expected 200",
        [1, 2],
        id="step1-and-step2-both-reported",
    ),
    pytest.param(
        "prod",
        RuntimeFaults(write_frozen=True),
        "step 3 POST {base}/internal/v1/runs answered 503 (write_path_frozen), expected 201",
        [1, 2, 3],
        id="step3-write-frozen",
    ),
    pytest.param(
        "staging",
        RuntimeFaults(create_status=200),
        "step 3 POST {base}/internal/v1/runs answered 200, expected 201",
        [1, 2, 3],
        id="step3-create-200",
    ),
    pytest.param(
        "prod",
        RuntimeFaults(create_omits_run_id=True),
        "step 3 POST {base}/internal/v1/runs: body has no string at /run/id",
        [1, 2, 3],
        id="step3-no-run-id",
    ),
    pytest.param(
        "prod",
        RuntimeFaults(event_status=404),
        "step 4 POST {base}/internal/v1/runs/{run_id}/events answered 404 (not_found), "
        "expected 200",
        [1, 2, 3, 4],
        id="step4-event-404",
    ),
    pytest.param(
        "staging",
        RuntimeFaults(read_status=404),
        "step 5 GET {base}/internal/v1/runs/{run_id} answered 404 (not_found), expected 200",
        [1, 2, 3, 4, 5],
        id="step5-read-404",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("env", "faults", "reason", "steps"), STEP_FAILURES)
async def test_failing_step_fails_runtime_smoke_with_its_reason_and_stops_there(
    checkout: Checkout, env: str, faults: RuntimeFaults, reason: str, steps: list[int]
) -> None:
    async with serve_fleet(FleetSpec(**{f"{env}_runtime": faults})) as fleet:
        outcomes = await run_against(fleet, checkout)

    check = f"runtime-{env}-smoke"
    assert_only_failed(outcomes, {check})
    smoke = outcomes[check]
    run_id = created_run_id(smoke) if 4 in steps else ""
    expected = reason.format(base=runtime_base(fleet, env), run_id=run_id)
    assert smoke.reason == expected
    assert f"FAILED: {expected}" in smoke.evidence
    # Health and readiness are always both asked; nothing after the failed step is.
    assert sorted(steps_requested(fleet, env)) == steps
    assert smoke.attempts == len(steps)


@pytest.mark.anyio
async def test_frozen_write_path_stops_the_smoke_before_event_and_read(
    checkout: Checkout,
) -> None:
    async with serve_fleet(FleetSpec(prod_runtime=RuntimeFaults(write_frozen=True))) as fleet:
        outcomes = await run_against(fleet, checkout)

    base = runtime_base(fleet, "prod")
    reason = outcomes["runtime-prod-smoke"].reason
    assert outcomes["runtime-prod-smoke"].status is Status.FAILED
    for words in ("step 3", "503", "write_path_frozen", "expected 201"):
        assert words in reason
    evidence = outcomes["runtime-prod-smoke"].evidence
    assert any(line.startswith(f"POST {base}/internal/v1/runs -> 503 ") for line in evidence)
    assert not [line for line in evidence if line.startswith("created run ")]
    prod_paths = [r.path for r in fleet.requests if r.service == "prod-runtime"]
    assert prod_paths.count("/internal/v1/runs") == 1
    assert not [p for p in prod_paths if p.startswith("/internal/v1/runs/")]
    # Staging's runtime, unfrozen, went all the way through.
    assert sorted(steps_requested(fleet, "staging")) == [1, 2, 3, 4, 5]
    assert outcomes["runtime-staging-smoke"].status is Status.PASSED


@pytest.mark.anyio
async def test_staging_runtime_smoke_is_skipped_when_its_base_url_is_unset(
    checkout: Checkout,
) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        del environ["STAGING_RUNTIME_BASE_URL"]
        outcomes = await run_in_process(environ, checkout.root)

    skipped = outcomes["runtime-staging-smoke"]
    assert skipped.status is Status.SKIPPED
    assert skipped.reason == "STAGING_RUNTIME_BASE_URL unset"
    assert skipped.attempts == 0
    assert not [r for r in fleet.requests if r.service == "staging-runtime"]
    assert outcomes["runtime-prod-smoke"].status is Status.PASSED
    for check in HTTP_CHECKS:
        if check != "runtime-staging-smoke":
            assert outcomes[check].status is Status.PASSED, outcomes[check].reason


@pytest.mark.anyio
async def test_staging_runtime_smoke_is_skipped_when_its_base_url_is_empty(
    checkout: Checkout,
) -> None:
    # The seed script's ${VAR:-} treats an empty variable as unset.
    async with serve_fleet() as fleet:
        outcomes = await run_against(fleet, checkout, STAGING_RUNTIME_BASE_URL="")

    assert outcomes["runtime-staging-smoke"].status is Status.SKIPPED
    assert outcomes["runtime-staging-smoke"].reason == "STAGING_RUNTIME_BASE_URL unset"
    assert not [r for r in fleet.requests if r.service == "staging-runtime"]
