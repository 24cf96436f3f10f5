"""Hostile servers: every fault ends as its own check's failure, with a reason naming the cause,
within the check's deadline, while every other check finishes normally."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_probe.config import default_config_path, load_matrix
from cutover_probe.engine import RunSettings, execute
from cutover_probe.fleet import SCENARIOS, ControlFaults, FleetSpec, RuntimeFaults, serve_fleet
from cutover_probe.model import Outcome, Status
from cutover_probe.planning import build_plan

from ..conftest import HTTP_CHECKS, HTTP_CHECKS_ALONE, Checkout, clean_environ, fleet_environ
from ..tlsutil import https_server


async def run(
    environ: dict[str, str], root: Path, config: Path | None = None, **settings: object
) -> dict[str, Outcome]:
    plan = build_plan(load_matrix(config or default_config_path()), environ, root)
    options = {"request_timeout_s": 2.0, **settings}
    result = await execute(plan, environ, RunSettings(**options))  # type: ignore[arg-type]
    return {outcome.check_id: outcome for outcome in result.outcomes}


async def with_fleet(checkout: Checkout, spec: FleetSpec, **settings: object):
    async with serve_fleet(spec) as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            **HTTP_CHECKS_ALONE,
        )
        return await run(environ, checkout.root, **settings), fleet


def only_failures(outcomes: dict[str, Outcome], *failing: str) -> None:
    for check_id in HTTP_CHECKS:
        outcome = outcomes[check_id]
        if check_id in failing:
            assert outcome.status is Status.FAILED, check_id
            assert not outcome.reason.startswith("deadline exceeded")
        else:
            assert outcome.status is Status.PASSED, (check_id, outcome.reason)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("spec", "failing", "cause"),
    [
        (SCENARIOS["reset"].spec, "control-staging-smoke", "connection reset mid-response"),
        (
            SCENARIOS["trickle"].spec,
            "control-prod-health",
            "/readyz: timeout, body not complete within 2s (headers came after",
        ),
        (SCENARIOS["huge-manifest"].spec, "control-prod-smoke", "body too large (over 1024 KiB)"),
        (
            FleetSpec(prod_runtime=RuntimeFaults(invalid_json_paths=frozenset({"/healthz"}))),
            "runtime-prod-smoke",
            "/healthz: body is not JSON (application/json",
        ),
        (
            FleetSpec(
                staging_control=ControlFaults(
                    wrong_content_type_paths=frozenset({"/manifest.json"})
                )
            ),
            "control-staging-smoke",
            "/manifest.json: content type text/plain",
        ),
        (
            FleetSpec(prod_control=ControlFaults(hang_paths=frozenset({"/healthz"}))),
            "control-prod-health",
            "/healthz: timeout, no answer within 2s",
        ),
        (
            FleetSpec(prod_control=ControlFaults(redirect_loop_paths=frozenset({"/readyz"}))),
            "control-prod-health",
            "answered 302 redirect to",
        ),
    ],
)
async def test_each_hostile_fault_fails_only_its_check_naming_the_cause(
    checkout: Checkout, spec: FleetSpec, failing: str, cause: str
) -> None:
    outcomes, _ = await with_fleet(checkout, spec)
    failing_ids = {failing}
    if failing.endswith("-health"):  # the smoke asks /healthz and /readyz too
        failing_ids.add(failing.replace("-health", "-smoke"))
    only_failures(outcomes, *failing_ids)
    assert cause in outcomes[failing].reason


@pytest.mark.anyio
async def test_redirect_to_another_host_is_not_followed_and_the_token_stays_home(
    checkout: Checkout,
) -> None:
    outcomes, fleet = await with_fleet(checkout, SCENARIOS["redirect-away"].spec)
    smoke = outcomes["control-staging-smoke"]
    assert smoke.status is Status.FAILED
    assert "status route: answered 302 redirect to http://127.0.0.1:" in smoke.reason
    assert "(not followed)" in smoke.reason
    assert [r for r in fleet.requests if r.service == "redirect-target"] == []


@pytest.mark.anyio
@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured_and_a_pass_on_retry_says_so(
    checkout: Checkout, status: int
) -> None:
    faults = ControlFaults(
        throttle_paths=frozenset({"/healthz"}), throttle_status=status, retry_after_s=0.2
    )
    outcomes, _ = await with_fleet(checkout, FleetSpec(prod_control=faults))
    health = outcomes["control-prod-health"]
    assert health.status is Status.PASSED
    assert health.reason.startswith("passed only on a retry: GET http://127.0.0.1:")
    assert "/healthz answered on attempt 2" in health.reason
    assert health.attempts == 3  # /healthz twice, /readyz once
    assert any(f"{status}, retrying after 0.2s (Retry-After)" in line for line in health.evidence)


@pytest.mark.anyio
async def test_retries_are_bounded(checkout: Checkout) -> None:
    faults = ControlFaults(
        throttle_paths=frozenset({"/healthz"}), throttle_times=10, retry_after_s=0.1
    )
    outcomes, _ = await with_fleet(checkout, FleetSpec(prod_control=faults))
    health = outcomes["control-prod-health"]
    assert health.status is Status.FAILED
    assert "/healthz: answered 429" in health.reason
    assert health.attempts == 4  # three tries of /healthz, one of /readyz


@pytest.mark.anyio
async def test_retry_after_longer_than_the_deadline_is_not_waited_for(checkout: Checkout) -> None:
    faults = ControlFaults(throttle_paths=frozenset({"/healthz"}), retry_after_s=4)
    async with serve_fleet(FleetSpec(prod_control=faults)) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        config = checkout.root.parent / "short.toml"
        baseline = default_config_path().parent / "htmx-baseline.csv"
        (config.parent / baseline.name).write_bytes(baseline.read_bytes())
        config.write_text(
            default_config_path()
            .read_text()
            .replace(
                'description = "production control health/ready endpoints"',
                'description = "production control health/ready endpoints"\ndeadline = "2s"',
            )
        )
        outcomes = await run(environ, checkout.root, config)
    health = outcomes["control-prod-health"]
    assert health.status is Status.FAILED
    assert any("does not fit the check's deadline" in line for line in health.evidence)
    assert health.duration_ms < 2000


@pytest.mark.anyio
async def test_dns_failure_fails_only_that_environment(checkout: Checkout) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            PROD_CONTROL_BASE_URL="http://control.nowhere.example",
        )
        outcomes = await run(environ, checkout.root, resolve={"control.nowhere.example": ""})
    assert "DNS lookup failed for control.nowhere.example" in outcomes["control-prod-health"].reason
    assert outcomes["control-staging-health"].status is Status.PASSED


TLS_CONFIG = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.URL]
type = "url"
[[checks]]
id = "health"
kind = "control-health"
base_url = "${URL}"
[[checks]]
id = "cert"
kind = "tls-certificate"
url = "${URL}"
min_days = MIN_DAYS
"""


async def tls_outcomes(tmp_path: Path, cert, ca_bundle: Path | None, min_days: int = 14):
    config = tmp_path / "tls.toml"
    config.write_text(TLS_CONFIG.replace("MIN_DAYS", str(min_days)))
    async with https_server(cert) as url:
        return await run(clean_environ(URL=url), tmp_path, config, ca_bundle=ca_bundle)
