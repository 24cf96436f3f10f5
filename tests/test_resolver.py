"""`--resolve`: a pinned host is asked directly at the address given."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_probe.model import Status

from .conftest import clean_environ
from .servers import ForwardProxy, _run_lanes, slow_server


@pytest.mark.anyio
async def test_a_host_pinned_with_resolve_is_asked_directly(tmp_path: Path) -> None:
    async with ForwardProxy() as proxy, slow_server(0) as base:
        port = base.rsplit(":", 1)[1]
        lane = """
[[checks]]
id = "lane"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
[[checks.steps]]
name = "quick"
path = "/quick"
"""
        outcomes = await _run_lanes(
            tmp_path,
            lane,
            clean_environ(
                STAGING_CONTROL_BASE_URL=f"http://control.example.test:{port}",
                HTTP_PROXY=proxy.url,
                http_proxy="",
                NO_PROXY="",
                no_proxy="",
            ),
            resolve={"control.example.test": "127.0.0.1"},
        )
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason
    assert proxy.requests == []
