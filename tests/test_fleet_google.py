"""The simulated Google Cloud APIs answer Google's own client libraries as the real ones do.

Nothing of the libraries is mocked: run_v2 (REST transport), google-cloud-logging (HTTP) and
google-cloud-storage talk to the fleet's Google app on 127.0.0.1, in worker threads because they
block, exactly as the probes build them.
"""

from __future__ import annotations

import struct
import time
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
    GOOGLE_EMULATOR_VARIABLES,
    SCENARIOS,
    FleetSpec,
    FleetThread,
    GoogleFaults,
    GoogleWorld,
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
async def test_run_v2_reads_the_healthy_project() -> None:
    async with serve_fleet() as fleet:
        assert {fleet.env()[v] for v in GOOGLE_EMULATOR_VARIABLES} == {fleet.google_url}
        run = await _blocking(lambda: _run(fleet.google_url))
        service = await _blocking(lambda: run["services"].get_service(name=RUNTIME))
        job = await _blocking(lambda: run["jobs"].get_job(name=JOB))
        executions = await _blocking(lambda: list(run["executions"].list_executions(parent=JOB)))
        control = await _blocking(lambda: run["services"].get_service(name=CONTROL))
        revisions = await _blocking(lambda: list(run["revisions"].list_revisions(parent=CONTROL)))

    assert service.template.containers[0].image == RUNTIME_IMAGE
    assert job.template.template.containers[0].image == RUNTIME_IMAGE
    assert service.latest_created_revision == f"{RUNTIME}/revisions/runtime-00042-abc"
    assert service.terminal_condition.state == SUCCEEDED

    assert len(executions) == 3
    newest = max(executions, key=lambda e: e.create_time)
    assert executions[0] is not newest  # the probe has to sort
    assert newest.name == f"{JOB}/executions/runtime-migrate-x7k2p"
    completed = next(c for c in newest.conditions if c.type_ == "Completed")
    assert completed.state == SUCCEEDED
    assert newest.template.containers[0].image == RUNTIME_IMAGE
    age = datetime.now(UTC) - newest.create_time
    assert timedelta(minutes=30) < age < timedelta(hours=1)

    assert control.latest_created_revision == control.latest_ready_revision
    assert control.latest_ready_revision.endswith("/openagents-control-service-00042-abc")
    statuses = [(s.revision, s.percent) for s in control.traffic_statuses]
    assert statuses == [("openagents-control-service-00042-abc", 100)]
    assert control.traffic_statuses[0].type_ == (
        run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
    )
    assert control.uri.startswith("https://openagents-control-service-")
    assert [r.name.rsplit("/", 1)[-1] for r in revisions] == [
        "openagents-control-service-00042-abc",
        "openagents-control-service-00041-fop",
        "openagents-control-service-00040-vex",
    ]
    assert all(
        any(c.type_ == "Ready" and c.state == SUCCEEDED for c in r.conditions) for r in revisions
    )
    paths = [r.path.split("?")[0] for r in fleet.requests if r.service == "google"]
    assert f"/v2/{JOB}/executions" in paths


@pytest.mark.anyio
async def test_run_v2_drift_and_migration_faults() -> None:
    faults = GoogleFaults(image_drift=True, executions="failed", execution_image_drift=True)
    async with serve_fleet(FleetSpec(google=faults)) as fleet:
        run = await _blocking(lambda: _run(fleet.google_url))
        service = await _blocking(lambda: run["services"].get_service(name=RUNTIME))
        job = await _blocking(lambda: run["jobs"].get_job(name=JOB))
        executions = await _blocking(lambda: list(run["executions"].list_executions(parent=JOB)))
    service_image = service.template.containers[0].image
    job_image = job.template.template.containers[0].image
    assert service_image == RUNTIME_IMAGE
    assert job_image != service_image
    assert job_image.startswith(RUNTIME_IMAGE.split("@")[0] + "@sha256:")
    newest = max(executions, key=lambda e: e.create_time)
    completed = next(c for c in newest.conditions if c.type_ == "Completed")
    assert completed.state == FAILED
    assert "exit code of 1" in completed.message
    assert newest.template.containers[0].image not in (service_image, "")
    assert job.latest_created_execution.completion_status == (
        run_v2.ExecutionReference.CompletionStatus.EXECUTION_FAILED
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("executions", "expected"), [("none", None), ("running", "CONDITION_RECONCILING")]
)
async def test_run_v2_executions_none_or_running(executions: Any, expected: str | None) -> None:
    async with serve_fleet(FleetSpec(google=GoogleFaults(executions=executions))) as fleet:
        run = await _blocking(lambda: _run(fleet.google_url))
        found = await _blocking(lambda: list(run["executions"].list_executions(parent=JOB)))
    if expected is None:
        assert found == []
        return
    newest = max(found, key=lambda e: e.create_time)
    completed = next(c for c in newest.conditions if c.type_ == "Completed")
    assert completed.state.name == expected
    assert newest.reconciling


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("canary", "latest_created", "traffic", "unready"),
    [
        ("rolling", "00042-abc", [("00041-fop", 95, ""), ("00042-abc", 5, "canary")], set()),
        ("latest_not_ready", "00043-kez", [("00042-abc", 100, "")], {"00043-kez"}),
        (
            "traffic_on_unready",
            "00042-abc",
            [("00042-abc", 90, ""), ("00041-fop", 10, "canary")],
            {"00041-fop"},
        ),
        ("traffic_not_100", "00042-abc", [("00042-abc", 90, "")], set()),
    ],
)
async def test_run_v2_canary_faults(
    canary: Any, latest_created: str, traffic: list[tuple[str, int, str]], unready: set[str]
) -> None:
    async with serve_fleet(FleetSpec(google=GoogleFaults(canary=canary))) as fleet:
        run = await _blocking(lambda: _run(fleet.google_url))
        control = await _blocking(lambda: run["services"].get_service(name=CONTROL))
        revisions = await _blocking(lambda: list(run["revisions"].list_revisions(parent=CONTROL)))
        runtime = await _blocking(lambda: run["services"].get_service(name=RUNTIME))
    prefix = "openagents-control-service-"
    assert control.latest_created_revision.endswith(f"/revisions/{prefix}{latest_created}")
    assert control.latest_ready_revision.endswith(f"/revisions/{prefix}00042-abc")
    assert [
        (s.revision.removeprefix(prefix), s.percent, s.tag) for s in control.traffic_statuses
    ] == traffic
    not_ready = {
        r.name.rsplit("/", 1)[-1].removeprefix(prefix)
        for r in revisions
        if not any(c.type_ == "Ready" and c.state == SUCCEEDED for c in r.conditions)
    }
    assert not_ready == unready
    terminal = control.terminal_condition
    if canary == "latest_not_ready":
        assert terminal.state == FAILED
        assert "not ready" in terminal.message
    else:
        assert terminal.state == SUCCEEDED
    # The canary fault is the control service's; the runtime service stays as it was.
    assert [(s.percent, s.tag) for s in runtime.traffic_statuses] == [(100, "")]


@pytest.mark.anyio
async def test_run_v2_unknown_names_are_404() -> None:
    world = GoogleWorld(runtime_service="openagents-runtime")
    async with serve_fleet(FleetSpec(google_world=world)) as fleet:
        run = await _blocking(lambda: _run(fleet.google_url))
        with pytest.raises(gexc.NotFound, match="does not exist"):
            await _blocking(lambda: run["services"].get_service(name=RUNTIME))
        with pytest.raises(gexc.NotFound):
            await _blocking(lambda: run["jobs"].get_job(name=f"{PARENT}/jobs/nope"))
        # Any project and region: only the resource names are the world's.
        other = "projects/elsewhere/locations/europe-west1/services/openagents-runtime"
        service = await _blocking(lambda: run["services"].get_service(name=other))
        assert service.name == other


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


@pytest.mark.anyio
async def test_storage_lists_backups_by_prefix() -> None:
    async with serve_fleet() as fleet:
        client = await _blocking(lambda: _storage(fleet.google_url))
        web = await _blocking(
            lambda: list(client.list_blobs(BUCKET, prefix="backups/laravel/openagents_web-"))
        )
        backups = await _blocking(lambda: list(client.list_blobs(BUCKET, prefix="backups/")))
        everything = await _blocking(lambda: list(client.list_blobs(BUCKET)))
        with pytest.raises(gexc.NotFound):
            await _blocking(lambda: list(client.list_blobs("someone-elses-bucket")))
    names = sorted(b.name for b in web)
    assert len(names) == 4
    assert all(n.startswith("backups/laravel/openagents_web-") for n in names)
    assert all(n.endswith(".sql.gz") for n in names)
    stamp = names[-1].removeprefix("backups/laravel/openagents_web-").removesuffix(".sql.gz")
    newest = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert timedelta(hours=2.9) < datetime.now(UTC) - newest < timedelta(hours=3.1)
    assert all(b.size > 0 for b in web)
    assert all(b.bucket.name == BUCKET for b in web)
    assert web[0].updated is not None
    assert len(backups) == 8  # both databases
    assert len(everything) > len(backups)  # Cloud Build sources live there too


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backups", "count", "newest_age_h", "newest_size"),
    [
        ("stale", 3, 30, None),
        ("empty", 4, 3, 0),
        ("missing", 0, None, None),
    ],
)
async def test_storage_backup_faults_hit_the_staging_database(
    backups: Any, count: int, newest_age_h: float | None, newest_size: int | None
) -> None:
    async with serve_fleet(FleetSpec(google=GoogleFaults(backups=backups))) as fleet:
        client = await _blocking(lambda: _storage(fleet.google_url))
        prefix = "backups/laravel/openagents_web_staging-"
        staging = await _blocking(lambda: list(client.list_blobs(BUCKET, prefix=prefix)))
        web = await _blocking(
            lambda: list(client.list_blobs(BUCKET, prefix="backups/laravel/openagents_web-"))
        )
    assert len(web) == 4  # the other database is untouched
    assert len(staging) == count
    if not staging:
        return
    newest = max(staging, key=lambda b: b.name)
    stamp = newest.name.removeprefix(prefix).removesuffix(".sql.gz")
    age = datetime.now(UTC) - datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert newest_age_h is not None
    assert abs(age - timedelta(hours=newest_age_h)) < timedelta(minutes=5)
    if newest_size is not None:
        assert newest.size == newest_size


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


def test_domain_mappings_and_slow_answers_from_sync_code() -> None:
    faults = GoogleFaults(cert_pending=frozenset({"staging.openagents.com"}), slow_ms=200)
    with FleetThread(FleetSpec(google=faults)) as fleet:
        base = f"{fleet.env()['CLOUD_RUN_EMULATOR_HOST']}/apis/domains.cloudrun.com/v1"
        started = time.monotonic()
        staging = requests.get(
            f"{base}/namespaces/{PROJECT}/domainmappings/staging.openagents.com", timeout=5
        )
        elapsed = time.monotonic() - started
        prod = requests.get(f"{base}/namespaces/{PROJECT}/domainmappings/openagents.com", timeout=5)
        unknown = requests.get(
            f"{base}/namespaces/{PROJECT}/domainmappings/www.openagents.com", timeout=5
        )
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{base}/namespaces/{PROJECT}/domainmappings", timeout=0.05)
    assert elapsed >= 0.2
    assert staging.status_code == 200
    body = staging.json()
    assert (body["apiVersion"], body["kind"]) == ("domains.cloudrun.com/v1", "DomainMapping")
    assert body["metadata"]["name"] == "staging.openagents.com"
    assert body["metadata"]["namespace"] == PROJECT
    assert body["spec"]["routeName"] == "openagents-control-service"
    conditions = {c["type"]: c for c in body["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "Unknown"
    assert conditions["CertificateProvisioned"]["status"] == "Unknown"
    assert conditions["CertificateProvisioned"]["message"] == "Certificate is being provisioned"
    prod_conditions = {c["type"]: c["status"] for c in prod.json()["status"]["conditions"]}
    assert prod_conditions == {
        "Ready": "True",
        "CertificateProvisioned": "True",
        "DomainRoutable": "True",
    }
    assert unknown.status_code == 404
    assert unknown.json()["error"]["status"] == "NOT_FOUND"
    assert {r.service for r in fleet.requests if "domainmappings" in r.path} == {"google"}


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
