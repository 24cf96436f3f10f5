"""The simulated Google Cloud APIs answer Google's own client libraries as the real ones do.

Nothing of the libraries is mocked: run_v2 (REST transport), google-cloud-logging (HTTP) and
google-cloud-storage talk to the fleet's Google app on 127.0.0.1, in worker threads because they
block, exactly as the probes build them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import google.cloud.logging as cloud_logging
import google.cloud.storage as storage
import pytest
import requests
import urllib3
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2

from cutover_probe.fleet import (
    SCENARIOS,
    FleetSpec,
    FleetThread,
    GoogleFaults,
    serve_fleet,
)
from cutover_probe.fleet.faults import RUNTIME_IMAGE
from cutover_probe.fleet.google.app import GZIP_BOMB_BYTES, gzip_bomb

PROJECT = "openagentsgemini"
PARENT = f"projects/{PROJECT}/locations/us-central1"
CONTROL = f"{PARENT}/services/openagents-control-service"
RUNTIME = f"{PARENT}/services/runtime"
JOB = f"{PARENT}/jobs/runtime-migrate"
BUCKET = "openagentsgemini_cloudbuild"
SUCCEEDED = run_v2.Condition.State.CONDITION_SUCCEEDED
FAILED = run_v2.Condition.State.CONDITION_FAILED
T = TypeVar("T")


def _blocking(function: Callable[[], T]) -> Any:
    return anyio.to_thread.run_sync(function)


def _run(url: str) -> dict[str, Any]:
    options = {"api_endpoint": url}
    creds = AnonymousCredentials()  # type: ignore[no-untyped-call]
    return {
        "services": run_v2.ServicesClient(
            transport="rest", credentials=creds, client_options=options
        ),
        "revisions": run_v2.RevisionsClient(
            transport="rest", credentials=creds, client_options=options
        ),
        "jobs": run_v2.JobsClient(transport="rest", credentials=creds, client_options=options),
        "executions": run_v2.ExecutionsClient(
            transport="rest", credentials=creds, client_options=options
        ),
    }


def _logging(url: str) -> Any:
    return cloud_logging.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        _use_grpc=False,
        client_options={"api_endpoint": url},
    )


def _storage(url: str) -> Any:
    return storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": url},
    )


def _since(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _probe_filter(service: str, minutes: float = 10) -> str:
    """The filter the error-log probes send."""
    return (
        f'resource.type="cloud_run_revision" AND resource.labels.service_name="{service}" '
        f'AND severity>=ERROR AND timestamp>="{_since(minutes)}"'
    )


def _entries(url: str, filter_: str, page_size: int = 50) -> list[Any]:
    client = _logging(url)
    return list(
        client.list_entries(
            resource_names=[f"projects/{PROJECT}"],
            filter_=filter_,
            order_by=cloud_logging.DESCENDING,
            max_results=page_size,
            page_size=page_size,
        )
    )


def _raw_entries(url: str, filter_: str, **body: Any) -> requests.Response:
    """entries:list without the client, which adds a 24 h bound to a filter that has none."""
    payload = {"resourceNames": [f"projects/{PROJECT}"], "filter": filter_, **body}
    return requests.post(f"{url}/v2/entries:list", json=payload, timeout=5)


def _message(entry: Any) -> str:
    payload = entry.payload
    return str(payload["message"] if isinstance(payload, dict) else payload)


def test_google_scenarios_break_one_thing_each() -> None:
    expected = {
        "image-drift": GoogleFaults(image_drift=True),
        "migration-failed": GoogleFaults(executions="failed"),
        "no-executions": GoogleFaults(executions="none"),
        "canary-not-ready": GoogleFaults(canary="latest_not_ready"),
        "traffic-on-unready": GoogleFaults(canary="traffic_on_unready"),
        "error-flood": GoogleFaults(error_entries=25),
        "backups-stale": GoogleFaults(backups="stale"),
        "google-denied": GoogleFaults(denied=frozenset({"run"})),
        "google-throttled": GoogleFaults(throttle=1),
        "staging-cert-pending": GoogleFaults(cert_pending=frozenset({"staging.openagents.com"})),
        "google-endless-pages": GoogleFaults(endless_pages=frozenset({"logging"})),
        "google-trickle": GoogleFaults(trickle=frozenset({"run"})),
        "google-gzip-bomb": GoogleFaults(gzip_bomb=frozenset({"logging"})),
        "google-hang": GoogleFaults(hang=frozenset({"run", "logging", "storage"})),
    }
    for name, faults in expected.items():
        assert SCENARIOS[name].spec == FleetSpec(google=faults), name
    assert SCENARIOS["slow"].spec.google.latency_ms == 100.0
    spec = FleetSpec(google=GoogleFaults(canary="rolling")).with_latency(5.0, 2.0)
    assert (spec.google.latency_ms, spec.google.jitter_ms, spec.google.canary) == (
        5.0,
        2.0,
        "rolling",
    )
    assert FleetSpec().google.expected_image == RUNTIME_IMAGE
    assert RUNTIME_IMAGE.split("@sha256:")[1].isalnum()
    assert len(RUNTIME_IMAGE.split("@sha256:")[1]) == 64


@pytest.mark.anyio
async def test_denied_apis_answer_403_naming_the_permission() -> None:
    faults = GoogleFaults(denied=frozenset({"run", "logging", "storage"}))
    async with serve_fleet(FleetSpec(google=faults)) as fleet:
        url = fleet.google_url
        run = await _blocking(lambda: _run(url))
        with pytest.raises(gexc.Forbidden) as service_denied:
            await _blocking(lambda: run["services"].get_service(name=CONTROL))
        with pytest.raises(gexc.Forbidden) as executions_denied:
            await _blocking(lambda: list(run["executions"].list_executions(parent=JOB)))
        with pytest.raises(gexc.Forbidden) as logging_denied:
            await _blocking(lambda: _entries(url, _probe_filter("runtime")))
        client = await _blocking(lambda: _storage(url))
        with pytest.raises(gexc.Forbidden) as storage_denied:
            await _blocking(lambda: list(client.list_blobs(BUCKET, prefix="backups/")))
        mapping = await _blocking(
            lambda: requests.get(
                f"{url}/apis/domains.cloudrun.com/v1/namespaces/{PROJECT}"
                "/domainmappings/openagents.com",
                timeout=5,
            )
        )
    # REST answers map to exceptions by HTTP status: 403 is Forbidden, the base class of
    # PermissionDenied, so probes catching either see it.
    assert "Permission 'run.services.get' denied on resource" in service_denied.value.message
    assert CONTROL in service_denied.value.message
    assert service_denied.value.reason == "IAM_PERMISSION_DENIED"
    assert "run.executions.list" in executions_denied.value.message
    assert "logging.logEntries.list" in logging_denied.value.message
    assert "storage.objects.list" in storage_denied.value.message
    assert mapping.status_code == 403
    assert mapping.json()["error"]["status"] == "PERMISSION_DENIED"
    assert "run.domainmappings.get" in mapping.json()["error"]["message"]


@pytest.mark.anyio
async def test_throttle_answers_429_once_per_call_then_succeeds() -> None:
    async with serve_fleet(FleetSpec(google=GoogleFaults(throttle=1))) as fleet:
        url = fleet.google_url
        run = await _blocking(lambda: _run(url))
        with pytest.raises(gexc.TooManyRequests) as throttled:
            await _blocking(lambda: run["services"].get_service(name=CONTROL))
        first = await _blocking(lambda: run["services"].get_service(name=CONTROL))
        again = await _blocking(lambda: run["services"].get_service(name=CONTROL))
        # A different call has its own quota to exceed.
        with pytest.raises(gexc.TooManyRequests):
            await _blocking(lambda: run["jobs"].get_job(name=JOB))
        with pytest.raises(gexc.TooManyRequests):
            await _blocking(lambda: _entries(url, _probe_filter("runtime")))
    assert throttled.value.code == 429
    assert "Quota exceeded" in throttled.value.message
    assert first.name == again.name == CONTROL
    gets = [r for r in fleet.requests if r.path.startswith(f"/v2/{CONTROL}?")]
    assert len(gets) == 3


def test_hostile_switches_break_only_the_apis_they_name() -> None:
    """The raw answers the probes must survive: checked with plain requests, no client."""
    faults = GoogleFaults(
        endless_pages=frozenset({"logging", "run"}),
        gzip_bomb=frozenset({"storage"}),
        hang=frozenset({"run"}),
    )
    with FleetThread(FleetSpec(google=faults)) as fleet:
        url = fleet.env()["CLOUD_LOGGING_EMULATOR_HOST"]
        filter_ = _probe_filter("openagents-control-service")
        tokens = []
        body: dict[str, Any] = {"pageSize": 50}
        for _ in range(5):
            page = _raw_entries(url, filter_, **body).json()
            tokens.append(page["nextPageToken"])
            body["pageToken"] = page["nextPageToken"]
        assert tokens == ["50", "100", "150", "200", "250"], "every page names another"
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{url}/v2/{CONTROL}", timeout=0.5)
        bomb = requests.get(f"{url}/storage/v1/b/{BUCKET}/o", timeout=5, stream=True)
        wire = bomb.raw.read(4 * 1024 * 1024, decode_content=False)
        assert bomb.headers["Content-Encoding"] == "gzip"
        assert 1_000_000 < len(wire) < 1_100_000, "about 1 MiB on the wire"
        inflate = zlib.decompressobj(31)
        inflated = 0
        pending = wire
        while pending and inflated <= 16 * 1024 * 1024:
            inflated += len(inflate.decompress(pending, 1024 * 1024))
            pending = inflate.unconsumed_tail
        assert inflated > 16 * 1024 * 1024, "it inflates far beyond 8 MiB"
        (whole,) = struct.unpack("<I", gzip_bomb()[-4:])  # the gzip trailer: size mod 2**32
        assert GZIP_BOMB_BYTES <= whole < GZIP_BOMB_BYTES + 100
        healthy = _raw_entries(url, filter_)
    assert healthy.status_code == 200
    assert "nextPageToken" in healthy.json(), "logging pages without end even on the first"


def test_trickled_google_answer_arrives_a_byte_at_a_time() -> None:
    with FleetThread(FleetSpec(google=GoogleFaults(trickle=frozenset({"logging"})))) as fleet:
        url = fleet.env()["CLOUD_LOGGING_EMULATOR_HOST"]
        payload = {"resourceNames": [f"projects/{PROJECT}"], "filter": _probe_filter("x")}
        answer = requests.post(
            f"{url}/v2/entries:list", json=payload, timeout=(5, 0.5), stream=True
        )
        first = answer.raw.read(1)
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            answer.raw.read(3)  # the next bytes come a second apart: past the 0.5 s read timeout
        ok = requests.get(
            f"{url}/apis/domains.cloudrun.com/v1/namespaces/{PROJECT}/domainmappings/openagents.com",
            timeout=5,
        )
    assert answer.status_code == 200
    assert first == b"{"
    assert ok.status_code == 200, "only the named API trickles"
