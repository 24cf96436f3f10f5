"""The lanes shipped as configuration: the HTMX performance lane and staging/prod parity,
against the simulated fleet. Both stay out of a default report until switched on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cutover_probe.fleet import (
    SCENARIOS,
    ControlFaults,
    FleetSpec,
    FleetThread,
    GoogleFaults,
    serve_fleet,
)
from cutover_probe.model import Outcome, Status

from ..conftest import Checkout, fleet_environ, invoke_cli, read_tsv, run_cli, run_in_process

HTMX = ("control-staging-htmx-perf", "control-prod-htmx-perf")
STEPS = (
    "login_email_hx",
    "feed_main_fragment_hx",
    "settings_profile_update_hx",
    "chat_new",
    "chat_send_hx",
)


async def lanes(checkout: Checkout, spec: FleetSpec, **extra: str):
    async with serve_fleet(spec) as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_HTMX_PERF_CHECKS="1",
            RUN_PARITY_CHECK="1",
            **extra,
        )
        return await run_in_process(environ, checkout.root)


@pytest.mark.anyio
async def test_htmx_lane_passes_on_healthy_fleet_with_baseline_deltas(checkout: Checkout) -> None:
    outcomes = await lanes(checkout, FleetSpec())
    for check_id in HTMX:
        outcome = outcomes[check_id]
        assert passed_but_for_time(outcome), outcome.reason
        assert set(outcome.details["steps"]) == set(STEPS)
        assert set(outcome.details["baseline"]) == set(STEPS) - {"chat_new"}
        assert any(
            line.startswith("baseline feed_main_fragment_hx: size ") for line in outcome.evidence
        )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("scenario", "check_id", "reason"),
    [
        (
            "htmx-feed-too-large",
            "control-prod-htmx-perf",
            "step feed_main_fragment_hx: size 250000 bytes over budget 180000",
        ),
        ("htmx-slow-feed", "control-staging-htmx-perf", "ms over budget 700 ms"),
        (
            "htmx-chat-no-location",
            "control-staging-htmx-perf",
            "step chat_send_hx: not run: {{thread}} was not captured",
        ),
    ],
)
async def test_htmx_lane_fails_its_budgets(
    checkout: Checkout, scenario: str, check_id: str, reason: str
) -> None:
    outcomes = await lanes(checkout, SCENARIOS[scenario].spec)
    assert outcomes[check_id].status is Status.FAILED
    assert reason in outcomes[check_id].reason
    other = next(c for c in HTMX if c != check_id)
    assert passed_but_for_time(outcomes[other]), outcomes[other].reason


def passed_but_for_time(outcome: Outcome) -> bool:
    """Passed, or failed only time-to-first-byte budgets: the fleet serves from this test's own
    event loop, so a loaded machine can push a healthy route past 500 ms. Wall-clock limits are
    for `make bench`, not for a test; every size and status budget must still hold."""
    if outcome.status is Status.PASSED:
        return True
    clauses = outcome.reason.split("; ")
    return outcome.status is Status.FAILED and all(
        ("TTFB" in clause or "total time" in clause) and "over budget" in clause
        for clause in clauses
    )


@pytest.mark.anyio
async def test_htmx_lane_is_skipped_without_that_environments_token(checkout: Checkout) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(
            fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0", RUN_HTMX_PERF_CHECKS="1"
        )
        del environ["PROD_CONTROL_ACCESS_TOKEN"]
        outcomes = await run_in_process(environ, checkout.root)
    assert outcomes["control-prod-htmx-perf"].status is Status.SKIPPED
    assert outcomes["control-prod-htmx-perf"].reason == "PROD_CONTROL_ACCESS_TOKEN unset"
    assert outcomes["control-staging-htmx-perf"].status is Status.PASSED


@pytest.mark.anyio
async def test_parity_passes_when_both_serve_the_same_build(checkout: Checkout) -> None:
    outcomes = await lanes(checkout, FleetSpec())
    parity = outcomes["control-parity"]
    assert parity.status is Status.PASSED, parity.reason
    assert "field | staging | prod | same" in parity.evidence
    assert all(row["same"] for row in parity.details["parity"])


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (SCENARIOS["version-skew"].spec, "/healthz JSON /version differs"),
        (
            FleetSpec(prod_control=ControlFaults(manifest_version="openagents.webshell.v1")),
            "/manifest.json JSON /manifestVersion differs",
        ),
        (
            FleetSpec(staging_control=ControlFaults(sw_cache_control="public, max-age=600")),
            "/sw.js header cache-control differs: staging public, max-age=600",
        ),
    ],
)
async def test_parity_detects_a_differing_field(
    checkout: Checkout, spec: FleetSpec, field: str
) -> None:
    outcomes = await lanes(checkout, spec)
    parity = outcomes["control-parity"]
    assert parity.status is Status.FAILED
    assert field in parity.reason
    assert any(line.endswith("| NO") for line in parity.evidence)


def test_default_run_keeps_the_seeds_twelve_rows(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        out = tmp_path / "default"
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        assert invoke_cli("run", env=env, cwd=checkout.root).returncode == 0
        on = tmp_path / "on"
        env = fleet_environ(
            fleet, checkout, OUTPUT_DIR=str(on), RUN_HTMX_PERF_CHECKS="1", RUN_PARITY_CHECK="1"
        )
        # The HTMX lanes have time budgets: the run gets a process of its own, as in CI.
        result = run_cli("run", env=env, cwd=checkout.root)
    assert result.returncode == 0, result.stdout
    assert len(read_tsv(out / "results.tsv")) == 12
    rows = [r["check_id"] for r in read_tsv(on / "results.tsv")]
    assert rows[12:] == [*HTMX, "control-parity"]
    doc = json.loads((on / "results.json").read_text())
    parity = next(c for c in doc["checks"] if c["id"] == "control-parity")
    assert parity["details"]["parity"][0]["field"] == "/manifest.json JSON /manifestVersion"


IMAGE_PARITY = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"
[variables.PROD_CONTROL_BASE_URL]
type = "url"

[[checks]]
id = "parity"
kind = "parity"
staging_url = "${STAGING_CONTROL_BASE_URL}"
prod_url = "${PROD_CONTROL_BASE_URL}"
cloudrun_service = "openagents-control-service"
staging_project = "STAGING_PROJECT"
prod_project = "openagentsgemini"
staging_region = "us-central1"
prod_region = "us-central1"
[[checks.compare]]
path = "/healthz"
json = ["/service"]
"""


@pytest.mark.anyio
@pytest.mark.parametrize("same", [True, False])
async def test_parity_compares_cloud_run_images_when_configured(
    checkout: Checkout, tmp_path: Path, same: bool
) -> None:
    config = tmp_path / "parity.toml"
    config.write_text(IMAGE_PARITY.replace("STAGING_PROJECT", "openagentsgemini-staging"))
    lagging = frozenset() if same else frozenset({"openagentsgemini-staging"})
    async with serve_fleet(FleetSpec(google=GoogleFaults(lagging_projects=lagging))) as fleet:
        outcomes = await run_in_process(fleet_environ(fleet, checkout), checkout.root, config)
    parity = outcomes["parity"]
    image_row = parity.details["parity"][-1]
    assert image_row["field"] == "Cloud Run openagents-control-service image"
    assert image_row["same"] is same
    if same:
        assert parity.status is Status.PASSED
        assert "@sha256:" in image_row["prod"]
    else:
        assert parity.status is Status.FAILED
        assert image_row["staging"] != image_row["prod"]
        assert "Cloud Run openagents-control-service image differs: staging " in parity.reason


@pytest.mark.anyio
async def test_parity_field_missing_on_both_sides_is_not_parity(
    checkout: Checkout, tmp_path: Path
) -> None:
    config = tmp_path / "parity.toml"
    text = IMAGE_PARITY.replace('json = ["/service"]', 'json = ["/servcie"]')
    text = "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(("cloudrun_", "staging_p", "prod_p", "staging_r", "prod_r"))
    )
    config.write_text(text)
    async with serve_fleet() as fleet:
        outcomes = await run_in_process(fleet_environ(fleet, checkout), checkout.root, config)
    parity = outcomes["parity"]
    assert parity.status is Status.FAILED
    assert parity.reason == "/healthz JSON /servcie differs: staging <missing>, prod <missing>"
