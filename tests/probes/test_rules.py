"""The control rules read HTTP as HTTP says: Cache-Control as directives, the immutable directive on
hashed entries, header names case-insensitive and repeated fields combined."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_probe.fleet import (
    ControlFaults,
    FleetSpec,
    serve_fleet,
)
from cutover_probe.model import Outcome, Status

from ..conftest import HTTP_CHECKS_ALONE, Checkout, clean_environ, fleet_environ, run_in_process
from ..servers import header_server
from .test_httpkind import config


async def prod_smoke(checkout: Checkout, faults: ControlFaults) -> Outcome:
    """The production control smoke against a fleet whose prod control has these faults (the
    cargo lane and the Google checks off)."""
    async with serve_fleet(FleetSpec(prod_control=faults)) as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            **HTTP_CHECKS_ALONE,
        )
        outcomes = await run_in_process(environ, checkout.root)
    return outcomes["control-prod-smoke"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("manifest", "sw", "verdict"),
    [
        ("No-Cache, Max-Age=0", "NO-CACHE", Status.PASSED),
        ('private="X-Id, Vary" ,no-cache', "public,no-cache,max-age=0", Status.PASSED),
        ("no-cache-foo, max-age=0", "no-cache", Status.FAILED),
        ('private="no-cache", max-age=0', "no-cache", Status.FAILED),
        ('no-cache="Set-Cookie", max-age=0', "no-cache", Status.FAILED),
        ("no-cache", "x-no-cache", Status.FAILED),
    ],
)
async def test_cache_control_is_parsed_as_directives(
    checkout: Checkout, manifest: str, sw: str, verdict: Status
) -> None:
    faults = ControlFaults(manifest_cache_control=manifest, sw_cache_control=sw)
    smoke = await prod_smoke(checkout, faults)
    assert smoke.status is verdict, smoke.reason
    if verdict is Status.FAILED:
        assert "lacks 'no-cache'" in smoke.reason


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("cache_control", "verdict"),
    [
        ("Public, Max-Age=31536000, IMMUTABLE", Status.PASSED),
        ("public, max-age=31536000, immutable-ish", Status.FAILED),
    ],
)
async def test_hashed_entry_needs_the_immutable_directive(
    checkout: Checkout, cache_control: str, verdict: Status
) -> None:
    faults = ControlFaults(entry_js_hashed=True, hashed_asset_cache_control=cache_control)
    smoke = await prod_smoke(checkout, faults)
    assert smoke.status is verdict, smoke.reason
    if verdict is Status.FAILED:
        assert "lacks 'immutable'" in smoke.reason


@pytest.mark.anyio
async def test_header_names_are_case_insensitive_and_repeated_fields_combine(
    checkout: Checkout, tmp_path: Path
) -> None:
    lane = """
[[checks]]
id = "lane"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
[[checks.steps]]
name = "first"
path = "/thing"
[checks.steps.expect.headers]
CACHE-CONTROL = { equals = "public, No-Cache" }
x-request-id = { present = true }
[checks.steps.capture]
rid = { header = "X-Request-Id", public = true }
[[checks.steps]]
name = "second"
path = "/thing?rid={{rid}}"
expect = { headers = { Cache-control = { regex = "(?i)no-cache" } } }
"""
    async with header_server() as base:
        environ = clean_environ(STAGING_CONTROL_BASE_URL=base)
        outcomes = await run_in_process(environ, checkout.root, config(tmp_path, lane))
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason
    assert "captured rid from header x-request-id: req-1234567" in outcomes["lane"].evidence
