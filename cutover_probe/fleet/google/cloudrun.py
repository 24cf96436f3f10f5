"""The simulated Cloud Run Admin API v2: services, revisions, jobs and executions.

The REST routes run_v2's REST transport calls, answered with its proto-JSON shapes: the drift,
ready and canary kinds (and parity's image comparison) read these. The images, the rollout and
the executions come from `GoogleFaults` (drift, canary, failed or missing executions); the
names from `GoogleWorld`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ..common import iso, json_response, utc_now
from ..faults import GoogleApi
from .shared import FakeApi, digest, page_offset, run_not_found

_RUN_V2 = "/v2/projects/{project}/locations/{region}"

# Cloud Run revision names end in a random three-letter suffix; fixed ones keep tests readable.
_REVISION_SUFFIXES = {40: "vex", 41: "fop", 42: "abc", 43: "kez"}
STABLE_REVISION = 42


def derived_image(image: str, label: str) -> str:
    """Another digest of the same repository as ``image``: an older or newer build of it."""
    repository = image.split("@", 1)[0]
    name_start = repository.rfind("/") + 1
    if ":" in repository[name_start:]:
        repository = repository[: repository.rindex(":")]
    return f"{repository}@sha256:{digest(image, label)}"


def revision_id(service: str, number: int) -> str:
    return f"{service}-{number:05d}-{_REVISION_SUFFIXES.get(number, 'zzz')}"


def run_condition(
    kind: str, succeeded: bool | None, at: datetime, message: str = ""
) -> dict[str, Any]:
    """A run_v2 Condition; ``succeeded=None`` is one still reconciling."""
    condition: dict[str, Any] = {
        "type": kind,
        "state": (
            "CONDITION_RECONCILING"
            if succeeded is None
            else "CONDITION_SUCCEEDED"
            if succeeded
            else "CONDITION_FAILED"
        ),
        "lastTransitionTime": iso(at),
    }
    if message:
        condition["message"] = message
    if succeeded is False:
        condition["severity"] = "ERROR"
    return condition


@dataclass(frozen=True)
class _Revision:
    number: int
    image: str
    age: timedelta
    failure: str = ""  # the Ready condition's message when it failed; "" when ready


@dataclass(frozen=True)
class _Rollout:
    """One service's revisions and traffic, as the canary fault leaves them."""

    revisions: tuple[_Revision, ...]  # newest first, as Cloud Run lists them
    latest_created: int
    latest_ready: int
    traffic: tuple[tuple[int, int, str], ...]  # (revision number, percent, tag)
    terminal_failure: str = ""


@dataclass(frozen=True)
class _Execution:
    suffix: str
    age: timedelta
    image: str
    outcome: bool | None  # True succeeded, False failed, None still running
    message: str = ""


class CloudRun(FakeApi):
    """Cloud Run Admin v2 of one simulated project."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{_RUN_V2}/services/{{service}}", self._get_service)
        app.router.add_get(f"{_RUN_V2}/services/{{service}}/revisions", self._list_revisions)
        app.router.add_get(
            f"{_RUN_V2}/services/{{service}}/revisions/{{revision}}", self._get_revision
        )
        app.router.add_get(f"{_RUN_V2}/jobs/{{job}}", self._get_job)
        app.router.add_get(f"{_RUN_V2}/jobs/{{job}}/executions", self._list_executions)
        app.router.add_get(f"{_RUN_V2}/jobs/{{job}}/executions/{{execution}}", self._get_execution)

    def _endless(self, api: GoogleApi, answer: dict[str, Any], start: int) -> dict[str, Any]:
        """For the unpaged Cloud Run lists: with the endless_pages fault, the items on the first
        page, then empty pages without end."""
        if api not in self.faults.endless_pages:
            return answer
        return {**(answer if start == 0 else {}), "nextPageToken": str(start + 1)}

    def _service_image(self, service: str) -> str:
        if service == self.world.runtime_service:
            return self.faults.expected_image
        world = self.world
        return (
            f"{world.region}-docker.pkg.dev/{world.project}/openagents/{service}"
            f"@sha256:{digest(world.project, service)}"
        )

    def _job_image(self) -> str:
        if "job" in self.faults.imageless:
            return ""
        image = self.faults.expected_image
        return derived_image(image, "previous") if self.faults.image_drift else image

    def _rollout(self, service: str) -> _Rollout:
        image = self._service_image(service)
        base = (
            _Revision(42, image, timedelta(hours=2)),
            _Revision(41, derived_image(image, "previous"), timedelta(days=1)),
            _Revision(40, derived_image(image, "older"), timedelta(days=3)),
        )
        stable = STABLE_REVISION
        mode = self.faults.canary if service == self.world.control_service else "stable"
        if mode == "rolling":
            return _Rollout(base, stable, stable, ((41, 95, ""), (42, 5, "canary")))
        if mode == "latest_not_ready":
            failure = (
                "The user-provided container failed to start and listen on the port defined "
                "provided by the PORT=8080 environment variable within the allocated timeout."
            )
            broken = _Revision(43, derived_image(image, "next"), timedelta(minutes=12), failure)
            return _Rollout(
                (broken, *base),
                43,
                stable,
                ((stable, 100, ""),),
                f"Revision '{revision_id(service, 43)}' is not ready and cannot serve traffic. "
                + failure,
            )
        if mode == "traffic_on_unready":
            failure = (
                f"Image '{base[1].image}' not found, or the service agent lacks permission "
                "to pull it."
            )
            revisions = (base[0], _Revision(41, base[1].image, base[1].age, failure), base[2])
            return _Rollout(revisions, stable, stable, ((stable, 90, ""), (41, 10, "canary")))
        if mode == "traffic_not_100":
            return _Rollout(base, stable, stable, ((stable, 90, ""),))
        return _Rollout(base, stable, stable, ((stable, 100, ""),))

    def _service_uri(self, service: str, tag: str = "") -> str:
        prefix = f"{tag}---" if tag else ""
        return f"https://{prefix}{service}-{digest(self.world.project)[:10]}-uc.a.run.app"

    def _service_json(self, project: str, region: str, service: str, now: datetime) -> Any:
        name = f"projects/{project}/locations/{region}/services/{service}"
        rollout = self._rollout(service)
        by_number = {revision.number: revision for revision in rollout.revisions}
        created = by_number[rollout.latest_created]
        traffic: list[dict[str, Any]] = []
        statuses: list[dict[str, Any]] = []
        for number, percent, tag in rollout.traffic:
            target: dict[str, Any] = {
                "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                "revision": revision_id(service, number),
                "percent": percent,
            }
            if tag:
                target["tag"] = tag
            traffic.append(target)
            # A tagged target gets its own URL; the status carries it, the spec does not.
            statuses.append({**target, "uri": self._service_uri(service, tag)} if tag else target)
        failure = rollout.terminal_failure
        return {
            "name": name,
            "uid": digest(name)[:32],
            "generation": str(rollout.latest_created),
            "createTime": iso(now - timedelta(days=90)),
            "updateTime": iso(now - created.age),
            "creator": f"cloudbuild@{project}.iam.gserviceaccount.com",
            "ingress": "INGRESS_TRAFFIC_ALL",
            "launchStage": "GA",
            "template": {
                "containers": []
                if service == self.world.runtime_service and "service" in self.faults.imageless
                else [
                    {
                        "image": derived_image(created.image, "previous")
                        if project in self.faults.lagging_projects
                        else created.image,
                        "ports": [{"containerPort": 8080}],
                    }
                ],
                "maxInstanceRequestConcurrency": 80,
            },
            "traffic": traffic,
            "observedGeneration": str(rollout.latest_created),
            "terminalCondition": run_condition("Ready", not failure, now - created.age, failure),
            "conditions": [
                run_condition("ConfigurationsReady", not failure, now - created.age),
                run_condition("RoutesReady", True, now - created.age),
            ],
            "latestReadyRevision": f"{name}/revisions/{revision_id(service, rollout.latest_ready)}",
            "latestCreatedRevision": (
                f"{name}/revisions/{revision_id(service, rollout.latest_created)}"
            ),
            "trafficStatuses": statuses,
            "uri": self._service_uri(service),
            "urls": [self._service_uri(service)],
            "etag": f'"{digest(name, str(rollout.latest_created))[:16]}"',
        }

    def _revision_json(self, service_name: str, revision: _Revision, now: datetime) -> Any:
        service = service_name.rsplit("/", 1)[-1]
        name = f"{service_name}/revisions/{revision_id(service, revision.number)}"
        created = now - revision.age
        ready = not revision.failure
        return {
            "name": name,
            "uid": digest(name)[:32],
            "generation": "1",
            "createTime": iso(created),
            "updateTime": iso(created + timedelta(seconds=40)),
            "launchStage": "GA",
            "service": service,
            "containers": [{"image": revision.image, "ports": [{"containerPort": 8080}]}],
            "maxInstanceRequestConcurrency": 80,
            "conditions": [
                run_condition("Ready", ready, created + timedelta(seconds=40), revision.failure),
                run_condition("ContainerHealthy", ready, created + timedelta(seconds=40)),
                run_condition("ResourcesAvailable", True, created + timedelta(seconds=20)),
            ],
            "observedGeneration": "1",
            "logUri": f"https://console.cloud.google.com/logs/viewer?resource={quote(name)}",
        }

    def _executions(self) -> tuple[_Execution, ...]:
        """Newest first; the API's order is not relied on (the routes shuffle it)."""
        faults = self.faults
        if faults.executions == "none":
            return ()
        expected = faults.expected_image
        job_image = self._job_image()
        newest_image = (
            derived_image(expected, "previous") if faults.execution_image_drift else (job_image)
        )
        if "execution" in faults.imageless:
            newest_image = ""
        newest_age = timedelta(minutes=40)
        if faults.executions == "failed":
            newest = _Execution(
                "x7k2p",
                newest_age,
                newest_image,
                False,
                f"Task {self.world.migrate_job}-x7k2p-task0 failed with message: The container "
                "exited with an exit code of 1.",
            )
        elif faults.executions == "running":
            newest = _Execution(
                "x7k2p", timedelta(minutes=3), newest_image, None, "Execution is running."
            )
        else:
            newest = _Execution("x7k2p", newest_age, newest_image, True)
        return (
            newest,
            _Execution("9qv4m", timedelta(days=1), derived_image(expected, "previous"), True),
            _Execution("2hc8d", timedelta(days=2, hours=3), derived_image(expected, "older"), True),
        )

    def _execution_json(self, job_name: str, execution: _Execution, now: datetime) -> Any:
        job = job_name.rsplit("/", 1)[-1]
        name = f"{job_name}/executions/{job}-{execution.suffix}"
        created = now - execution.age
        started = created + timedelta(seconds=8)
        body: dict[str, Any] = {
            "name": name,
            "uid": digest(name)[:32],
            "generation": "1",
            "createTime": iso(created),
            "startTime": iso(started),
            "launchStage": "GA",
            "job": job,
            "parallelism": 1,
            "taskCount": 1,
            "template": {
                "containers": [{"image": execution.image, "args": ["migrate", "--force"]}],
                "maxRetries": 0,
                "timeout": "600s",
            },
            "conditions": [
                run_condition("ResourcesAvailable", True, started),
                run_condition("Started", True, started),
            ],
            "observedGeneration": "1",
            "logUri": f"https://console.cloud.google.com/logs/viewer?resource={quote(name)}",
        }
        if execution.outcome is None:
            body["reconciling"] = True
            body["runningCount"] = 1
        else:
            finished = started + timedelta(seconds=51)
            body["completionTime"] = iso(finished)
            body["succeededCount" if execution.outcome else "failedCount"] = 1
        completed_at = now if execution.outcome is None else started + timedelta(seconds=51)
        body["conditions"].insert(
            0, run_condition("Completed", execution.outcome, completed_at, execution.message)
        )
        return body

    def _job_json(self, project: str, region: str, job: str, now: datetime) -> Any:
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        executions = self._executions()
        body: dict[str, Any] = {
            "name": name,
            "uid": digest(name)[:32],
            "generation": "7",
            "createTime": iso(now - timedelta(days=90)),
            "updateTime": iso(now - timedelta(hours=2)),
            "launchStage": "GA",
            "template": {
                "parallelism": 1,
                "taskCount": 1,
                "template": {
                    "containers": [{"image": self._job_image(), "args": ["migrate", "--force"]}],
                    "maxRetries": 0,
                    "timeout": "600s",
                },
            },
            "observedGeneration": "7",
            "terminalCondition": run_condition("Ready", True, now - timedelta(hours=2)),
            "executionCount": len(executions),
        }
        if executions:
            newest = executions[0]
            if newest.outcome is None:
                status = "EXECUTION_RUNNING"
            else:
                status = "EXECUTION_SUCCEEDED" if newest.outcome else "EXECUTION_FAILED"
            body["latestCreatedExecution"] = {
                "name": f"{name}/executions/{job}-{newest.suffix}",
                "createTime": iso(now - newest.age),
                "completionStatus": status,
            }
        return body

    # --- Cloud Run handlers ---------------------------------------------------------------

    async def _get_service(self, request: web.Request) -> web.Response:
        project, region, service = (request.match_info[k] for k in ("project", "region", "service"))
        name = f"projects/{project}/locations/{region}/services/{service}"
        if (denied := self.denied("run", "run.services.get", name)) is not None:
            return denied
        if service not in (self.world.control_service, self.world.runtime_service):
            return run_not_found("SERVICE", service, region, project)
        return json_response(200, self._service_json(project, region, service, utc_now()))

    async def _list_revisions(self, request: web.Request) -> web.Response:
        project, region, service = (request.match_info[k] for k in ("project", "region", "service"))
        name = f"projects/{project}/locations/{region}/services/{service}"
        if (denied := self.denied("run", "run.revisions.list", name)) is not None:
            return denied
        if service not in (self.world.control_service, self.world.runtime_service):
            return run_not_found("SERVICE", service, region, project)
        now = utc_now()
        revisions = [self._revision_json(name, r, now) for r in self._rollout(service).revisions]
        start = page_offset(request.query.get("pageToken")) or 0
        return json_response(200, self._endless("run", {"revisions": revisions}, start))

    async def _get_revision(self, request: web.Request) -> web.Response:
        project, region, service = (request.match_info[k] for k in ("project", "region", "service"))
        wanted = request.match_info["revision"]
        service_name = f"projects/{project}/locations/{region}/services/{service}"
        name = f"{service_name}/revisions/{wanted}"
        if (denied := self.denied("run", "run.revisions.get", name)) is not None:
            return denied
        if service in (self.world.control_service, self.world.runtime_service):
            for revision in self._rollout(service).revisions:
                if revision_id(service, revision.number) == wanted:
                    return json_response(
                        200, self._revision_json(service_name, revision, utc_now())
                    )
        return run_not_found("REVISION", wanted, region, project)

    async def _get_job(self, request: web.Request) -> web.Response:
        project, region, job = (request.match_info[k] for k in ("project", "region", "job"))
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        if (denied := self.denied("run", "run.jobs.get", name)) is not None:
            return denied
        if job != self.world.migrate_job:
            return run_not_found("JOB", job, region, project)
        return json_response(200, self._job_json(project, region, job, utc_now()))

    async def _list_executions(self, request: web.Request) -> web.Response:
        project, region, job = (request.match_info[k] for k in ("project", "region", "job"))
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        if (denied := self.denied("run", "run.executions.list", name)) is not None:
            return denied
        if job != self.world.migrate_job:
            return run_not_found("JOB", job, region, project)
        now = utc_now()
        executions = [self._execution_json(name, e, now) for e in self._executions()]
        start = page_offset(request.query.get("pageToken")) or 0
        if not executions:
            # proto JSON leaves an empty list out
            return json_response(200, self._endless("run", {}, start))
        # Not newest first: a reader must sort by createTime, not trust the order.
        shuffled = executions[1:2] + executions[:1] + executions[2:]
        return json_response(200, self._endless("run", {"executions": shuffled}, start))

    async def _get_execution(self, request: web.Request) -> web.Response:
        project, region, job = (request.match_info[k] for k in ("project", "region", "job"))
        wanted = request.match_info["execution"]
        job_name = f"projects/{project}/locations/{region}/jobs/{job}"
        name = f"{job_name}/executions/{wanted}"
        if (denied := self.denied("run", "run.executions.get", name)) is not None:
            return denied
        if job == self.world.migrate_job:
            for execution in self._executions():
                if f"{job}-{execution.suffix}" == wanted:
                    return json_response(200, self._execution_json(job_name, execution, utc_now()))
        return run_not_found("EXECUTION", wanted, region, project)
