"""The fake Run v2 API answers the real google-cloud-run client as the real one does: the healthy
project, drift, migrations, executions, canaries, unknown names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import run_v2

from cutover_probe.fleet import (
    GOOGLE_EMULATOR_VARIABLES,
    FleetSpec,
    GoogleFaults,
    GoogleWorld,
    serve_fleet,
)
from cutover_probe.fleet.faults import RUNTIME_IMAGE

from .test_app import CONTROL, FAILED, JOB, PARENT, RUNTIME, SUCCEEDED, _blocking, _run


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
