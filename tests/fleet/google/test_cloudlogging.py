"""The fake Cloud Logging API honours the probe's filter, term by term, as the real one does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cutover_probe.fleet import (
    FleetSpec,
    GoogleFaults,
    serve_fleet,
)

from .test_app import _blocking, _entries, _message, _probe_filter, _raw_entries, _since


@pytest.mark.anyio
async def test_logging_honours_the_probe_filter() -> None:
    faults = GoogleFaults(error_entries=3, runtime_error_entries=2)
    async with serve_fleet(FleetSpec(google=faults)) as fleet:
        url = fleet.google_url
        control_filter = _probe_filter("openagents-control-service")
        runtime_filter = _probe_filter("runtime")
        control = await _blocking(lambda: _entries(url, control_filter))
        runtime = await _blocking(lambda: _entries(url, runtime_filter))
        # Without a timestamp clause the client bounds the query to 24 h itself: the 2 h old
        # errors come back, which is why the probes write their own window into the filter.
        unbounded = (
            'resource.type="cloud_run_revision" '
            'AND resource.labels.service_name="openagents-control-service" AND severity>=ERROR'
        )
        day = await _blocking(lambda: _entries(url, unbounded))
        capped = await _blocking(lambda: _entries(url, control_filter, page_size=2))
    assert len(control) == 4
    assert [e.severity for e in control].count("CRITICAL") == 1
    assert {_message(e) for e in control if e.severity == "ERROR"} == {
        "upstream connect error: connection refused to runtime-sync"
    }
    assert {type(e.payload) for e in control} == {str, dict}  # text and JSON payloads
    assert all(e.resource.labels["service_name"] == "openagents-control-service" for e in control)
    stamps = [e.timestamp for e in control]
    assert stamps == sorted(stamps, reverse=True)
    assert datetime.now(UTC) - stamps[-1] < timedelta(minutes=10)

    assert len(runtime) == 3
    assert {_message(e) for e in runtime if e.severity == "ERROR"} == {
        "panic: khala topic fanout queue full"
    }

    assert len(day) == 4 + 3
    assert fleet.log_filters[:2] == [control_filter, runtime_filter]
    assert fleet.log_filters[2].startswith(f"{unbounded} AND timestamp>=")
    assert [e.insert_id for e in capped] == [e.insert_id for e in control[:2]]


@pytest.mark.anyio
async def test_logging_filter_terms_one_by_one() -> None:
    async with serve_fleet() as fleet:
        url = fleet.google_url

        def count(filter_: str) -> int:
            response = _raw_entries(url, filter_, orderBy="timestamp desc", pageSize=1000)
            response.raise_for_status()
            return len(response.json().get("entries", []))

        everything = await _blocking(lambda: count(""))
        errors = await _blocking(lambda: count("severity>=ERROR"))
        run_errors = await _blocking(
            lambda: count("resource.type=cloud_run_revision severity>=ERROR")
        )
        control_errors = await _blocking(
            lambda: count(
                "resource.type=cloud_run_revision AND "
                "resource.labels.service_name=openagents-control-service AND severity>=error"
            )
        )
        fresh_errors = await _blocking(lambda: count(f"severity>=ERROR timestamp>={_since(10)}"))
        warnings = await _blocking(
            lambda: count(f'severity="WARNING" AND timestamp>="{_since(10)}"')
        )
        invalid = await _blocking(lambda: _raw_entries(url, "severity>=ERROR OR severity=INFO"))
    # Each service: 3 warnings, 3 errors 2 h old; plus one fresh error of the migrate job.
    assert everything == 2 * (3 + 3) + 1
    assert errors == 2 * 3 + 1
    assert run_errors == 2 * 3  # the job's entry is not a cloud_run_revision
    assert control_errors == 3  # all of them 2 h old: only a timestamp clause drops them
    assert fresh_errors == 1  # just the job's
    assert warnings == 2 * 3
    assert invalid.status_code == 400
    assert invalid.json()["error"]["status"] == "INVALID_ARGUMENT"
