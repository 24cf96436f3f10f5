"""The simulated Google Cloud APIs the Google lanes read: Cloud Run, Cloud Logging, Cloud Storage.

The Google lanes use Google's own client libraries, so the only honest double is one those
libraries talk to unchanged: this app answers the REST routes they call (Cloud Run Admin v2 and
the v1 domain mappings, Logging v2 ``entries:list``, the Storage JSON object listing) with the
proto-JSON shapes and the error bodies of the real APIs, so the libraries' own parsing, paging
and exception mapping run in every test. One app on one port serves all of them; the probes
reach it through the ``*_EMULATOR_HOST`` variables with anonymous credentials.

Every resource is built when it is asked for, relative to that moment, so a "3 h old backup" or
"an error 2 minutes ago" stays so however long the fleet has been running. Names come from
``GoogleWorld`` (other names are 404s, as in a real project); faults from ``GoogleFaults``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from . import logfilter
from .common import HangingHandlers, Recorder, common_middleware, iso, json_response, utc_now
from .faults import GoogleApi, GoogleFaults, GoogleWorld, HostileFaults

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
}
_API_HOSTS: dict[GoogleApi, str] = {
    "run": "run.googleapis.com",
    "logging": "logging.googleapis.com",
    "storage": "storage.googleapis.com",
}
# The paths of each API, as `common.path_matches` patterns (for the hang and trickle faults).
_API_PATHS: dict[GoogleApi, frozenset[str]] = {
    "run": frozenset({"/v2/projects/*", "/apis/*"}),
    "logging": frozenset({"/v2/entries:list"}),
    "storage": frozenset({"/storage/*"}),
}
# What a gzip bomb inflates to (and a few bytes more): 1 GiB of JSON, a string of spaces, from
# ~1 MiB on the wire.
GZIP_BOMB_BYTES = 1024 * 1024 * 1024
_RUN_V2 = "/v2/projects/{project}/locations/{region}"
_DOMAINS_V1 = "/apis/domains.cloudrun.com/v1/namespaces/{namespace}/domainmappings"

CONTROL_ERROR = "upstream connect error: connection refused to runtime-sync"
CONTROL_CRITICAL = "database pool exhausted: timed out after 30s waiting for a connection"
RUNTIME_ERROR = "panic: khala topic fanout queue full"
RUNTIME_CRITICAL = "runtime worker supervisor crashed: restarting all run workers"
_FRESH_ERRORS_WITHIN = timedelta(minutes=8)  # inside a 10 m window even after a slow request
_OLD_ERROR_AGE = timedelta(hours=2)
_BACKUP_AGES_H = (3, 27, 51, 75)  # a nightly backup, the newest 3 h old
_STALE_BACKUP_AGES_H = (30, 54, 78)
_LOG_PAGE_SIZE = 50  # Cloud Logging's default and, with _LOG_PAGE_MAX, its bounds
_LOG_PAGE_MAX = 1000
_STORAGE_PAGE_SIZE = 1000

# Cloud Run revision names end in a random three-letter suffix; fixed ones keep tests readable.
_REVISION_SUFFIXES = {40: "vex", 41: "fop", 42: "abc", 43: "kez"}
_STABLE_REVISION = 42


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def derived_image(image: str, label: str) -> str:
    """Another digest of the same repository as ``image``: an older or newer build of it."""
    repository = image.split("@", 1)[0]
    name_start = repository.rfind("/") + 1
    if ":" in repository[name_start:]:
        repository = repository[: repository.rindex(":")]
    return f"{repository}@sha256:{_digest(image, label)}"


def revision_id(service: str, number: int) -> str:
    return f"{service}-{number:05d}-{_REVISION_SUFFIXES.get(number, 'zzz')}"


def google_error(code: int, message: str, *, extra: dict[str, Any] | None = None) -> web.Response:
    """Google's error body: ``{"error": {"code", "message", "status", ...}}``."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": _STATUS_NAMES.get(code, "UNKNOWN"),
    }
    error.update(extra or {})
    return json_response(code, {"error": error})


def _paths(apis: frozenset[GoogleApi]) -> frozenset[str]:
    return frozenset(pattern for api in apis for pattern in _API_PATHS[api])


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip member of ~1 MiB that inflates to GZIP_BOMB_BYTES of JSON, built in under a second.

    Deflating 1 GiB takes ~9 s; after a full flush a deflate stream starts afresh, so one
    compressed 1 MiB block of spaces, repeated, is the same stream as compressing them all.
    """
    piece = b" " * (1024 * 1024)
    prefix, suffix = b'{"entries":[],"padding":"', b'"}'
    count = GZIP_BOMB_BYTES // len(piece)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(piece) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(suffix) + deflate.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + count * len(piece) + len(suffix)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, unix
    return header + head + block * count + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _api_of(path: str) -> GoogleApi:
    if path.startswith("/storage/"):
        return "storage"
    if path.startswith("/v2/entries"):
        return "logging"
    return "run"


def _quota_exceeded(api: GoogleApi) -> web.Response:
    host = _API_HOSTS[api]
    return google_error(
        429,
        f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' "
        f"of service '{host}' for consumer 'project_number:123456789012'.",
        extra={
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {"service": host, "quota_metric": f"{host}/read_requests"},
                }
            ]
        },
    )


def _permission_denied(api: GoogleApi, permission: str, resource: str) -> web.Response:
    if api == "storage":
        # The JSON API of Cloud Storage words it this way and adds its legacy "errors" list.
        message = (
            f"anonymous caller does not have {permission} access to the Google Cloud Storage "
            f"bucket. Permission '{permission}' denied on resource (or it may not exist)."
        )
        errors = [{"message": message, "domain": "global", "reason": "forbidden"}]
        return google_error(403, message, extra={"errors": errors})
    message = f"Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "IAM_PERMISSION_DENIED",
        "domain": "iam.googleapis.com",
        "metadata": {"permission": permission, "resource": resource},
    }
    return google_error(403, message, extra={"details": [info]})


def _run_not_found(kind: str, name: str, region: str, project: str) -> web.Response:
    return google_error(
        404,
        f"Resource '{name}' of kind '{kind}' in region '{region}' in project '{project}' "
        "does not exist.",
    )


def _condition(
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


def _offset(token: object) -> int | None:
    """The position a page token stands for: these fakes' tokens are plain offsets."""
    if token in (None, ""):
        return 0
    if isinstance(token, str) and token.isdigit():
        return int(token)
    return None


class GoogleService:
    """The Google Cloud APIs of one simulated project, served as one aiohttp app."""

    def __init__(
        self,
        *,
        faults: GoogleFaults,
        world: GoogleWorld,
        record: Recorder,
        hanging: HangingHandlers,
        on_log_filter: Callable[[str], None],
    ) -> None:
        self.faults = faults
        self.world = world
        self._record = record
        self._hanging = hanging
        self._on_log_filter = on_log_filter
        self._throttled: Counter[str] = Counter()

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                common_middleware(
                    service="google",
                    record=self._record,
                    hanging=self._hanging,
                    latency_ms=self.faults.latency_ms + self.faults.slow_ms,
                    jitter_ms=self.faults.jitter_ms,
                    hang_paths=_paths(self.faults.hang),
                    hostile=HostileFaults(trickle_paths=_paths(self.faults.trickle)),
                ),
                self._middleware(),
            ]
        )
        app.router.add_get(f"{_RUN_V2}/services/{{service}}", self._get_service)
        app.router.add_get(f"{_RUN_V2}/services/{{service}}/revisions", self._list_revisions)
        app.router.add_get(
            f"{_RUN_V2}/services/{{service}}/revisions/{{revision}}", self._get_revision
        )
        app.router.add_get(f"{_RUN_V2}/jobs/{{job}}", self._get_job)
        app.router.add_get(f"{_RUN_V2}/jobs/{{job}}/executions", self._list_executions)
        app.router.add_get(f"{_RUN_V2}/jobs/{{job}}/executions/{{execution}}", self._get_execution)
        app.router.add_get(_DOMAINS_V1, self._list_domain_mappings)
        app.router.add_get(f"{_DOMAINS_V1}/{{domain}}", self._get_domain_mapping)
        app.router.add_post("/v2/entries:list", self._list_entries)
        app.router.add_get("/storage/v1/b/{bucket}", self._get_bucket)
        app.router.add_get("/storage/v1/b/{bucket}/o", self._list_objects)
        return app

    def _middleware(self) -> Middleware:
        """Throttle first (quota is checked before anything else), and 404 as Google does."""

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            # Keyed by path, query and body: a retry of the same call is the same key, so with
            # throttle=N exactly the first N attempts of every distinct call are refused (two
            # entries:list calls differ only in their body's filter).
            bearer = self.faults.bearer
            if bearer and request.headers.get("Authorization") != f"Bearer {bearer}":
                return google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                )
            body = await request.read() if request.can_read_body else b""
            key = f"{request.method} {request.path_qs} {hashlib.sha256(body).hexdigest()}"
            if self._throttled[key] < self.faults.throttle:
                self._throttled[key] += 1
                return _quota_exceeded(_api_of(request.path))
            if _api_of(request.path) in self.faults.gzip_bomb:
                return web.Response(
                    body=gzip_bomb(),
                    content_type="application/json",
                    headers={"Content-Encoding": "gzip"},
                )
            try:
                return await handler(request)
            except web.HTTPNotFound:
                return google_error(404, f"The requested URL {request.path} was not found.")

        return middleware

    def _endless(self, api: GoogleApi, answer: dict[str, Any], start: int) -> dict[str, Any]:
        """For the unpaged Cloud Run lists: with the endless_pages fault, the items on the first
        page, then empty pages without end."""
        if api not in self.faults.endless_pages:
            return answer
        return {**(answer if start == 0 else {}), "nextPageToken": str(start + 1)}

    def _denied(self, api: GoogleApi, permission: str, resource: str) -> web.Response | None:
        if api in self.faults.denied:
            return _permission_denied(api, permission, resource)
        return None

    # --- Cloud Run: images, revisions, executions ---------------------------------------

    def _service_image(self, service: str) -> str:
        if service == self.world.runtime_service:
            return self.faults.expected_image
        world = self.world
        return (
            f"{world.region}-docker.pkg.dev/{world.project}/openagents/{service}"
            f"@sha256:{_digest(world.project, service)}"
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
        stable = _STABLE_REVISION
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
        return f"https://{prefix}{service}-{_digest(self.world.project)[:10]}-uc.a.run.app"

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
            "uid": _digest(name)[:32],
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
            "terminalCondition": _condition("Ready", not failure, now - created.age, failure),
            "conditions": [
                _condition("ConfigurationsReady", not failure, now - created.age),
                _condition("RoutesReady", True, now - created.age),
            ],
            "latestReadyRevision": f"{name}/revisions/{revision_id(service, rollout.latest_ready)}",
            "latestCreatedRevision": (
                f"{name}/revisions/{revision_id(service, rollout.latest_created)}"
            ),
            "trafficStatuses": statuses,
            "uri": self._service_uri(service),
            "urls": [self._service_uri(service)],
            "etag": f'"{_digest(name, str(rollout.latest_created))[:16]}"',
        }

    def _revision_json(self, service_name: str, revision: _Revision, now: datetime) -> Any:
        service = service_name.rsplit("/", 1)[-1]
        name = f"{service_name}/revisions/{revision_id(service, revision.number)}"
        created = now - revision.age
        ready = not revision.failure
        return {
            "name": name,
            "uid": _digest(name)[:32],
            "generation": "1",
            "createTime": iso(created),
            "updateTime": iso(created + timedelta(seconds=40)),
            "launchStage": "GA",
            "service": service,
            "containers": [{"image": revision.image, "ports": [{"containerPort": 8080}]}],
            "maxInstanceRequestConcurrency": 80,
            "conditions": [
                _condition("Ready", ready, created + timedelta(seconds=40), revision.failure),
                _condition("ContainerHealthy", ready, created + timedelta(seconds=40)),
                _condition("ResourcesAvailable", True, created + timedelta(seconds=20)),
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
            "uid": _digest(name)[:32],
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
                _condition("ResourcesAvailable", True, started),
                _condition("Started", True, started),
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
            0, _condition("Completed", execution.outcome, completed_at, execution.message)
        )
        return body

    def _job_json(self, project: str, region: str, job: str, now: datetime) -> Any:
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        executions = self._executions()
        body: dict[str, Any] = {
            "name": name,
            "uid": _digest(name)[:32],
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
            "terminalCondition": _condition("Ready", True, now - timedelta(hours=2)),
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
        if (denied := self._denied("run", "run.services.get", name)) is not None:
            return denied
        if service not in (self.world.control_service, self.world.runtime_service):
            return _run_not_found("SERVICE", service, region, project)
        return json_response(200, self._service_json(project, region, service, utc_now()))

    async def _list_revisions(self, request: web.Request) -> web.Response:
        project, region, service = (request.match_info[k] for k in ("project", "region", "service"))
        name = f"projects/{project}/locations/{region}/services/{service}"
        if (denied := self._denied("run", "run.revisions.list", name)) is not None:
            return denied
        if service not in (self.world.control_service, self.world.runtime_service):
            return _run_not_found("SERVICE", service, region, project)
        now = utc_now()
        revisions = [self._revision_json(name, r, now) for r in self._rollout(service).revisions]
        start = _offset(request.query.get("pageToken")) or 0
        return json_response(200, self._endless("run", {"revisions": revisions}, start))

    async def _get_revision(self, request: web.Request) -> web.Response:
        project, region, service = (request.match_info[k] for k in ("project", "region", "service"))
        wanted = request.match_info["revision"]
        service_name = f"projects/{project}/locations/{region}/services/{service}"
        name = f"{service_name}/revisions/{wanted}"
        if (denied := self._denied("run", "run.revisions.get", name)) is not None:
            return denied
        if service in (self.world.control_service, self.world.runtime_service):
            for revision in self._rollout(service).revisions:
                if revision_id(service, revision.number) == wanted:
                    return json_response(
                        200, self._revision_json(service_name, revision, utc_now())
                    )
        return _run_not_found("REVISION", wanted, region, project)

    async def _get_job(self, request: web.Request) -> web.Response:
        project, region, job = (request.match_info[k] for k in ("project", "region", "job"))
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        if (denied := self._denied("run", "run.jobs.get", name)) is not None:
            return denied
        if job != self.world.migrate_job:
            return _run_not_found("JOB", job, region, project)
        return json_response(200, self._job_json(project, region, job, utc_now()))

    async def _list_executions(self, request: web.Request) -> web.Response:
        project, region, job = (request.match_info[k] for k in ("project", "region", "job"))
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        if (denied := self._denied("run", "run.executions.list", name)) is not None:
            return denied
        if job != self.world.migrate_job:
            return _run_not_found("JOB", job, region, project)
        now = utc_now()
        executions = [self._execution_json(name, e, now) for e in self._executions()]
        start = _offset(request.query.get("pageToken")) or 0
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
        if (denied := self._denied("run", "run.executions.get", name)) is not None:
            return denied
        if job == self.world.migrate_job:
            for execution in self._executions():
                if f"{job}-{execution.suffix}" == wanted:
                    return json_response(200, self._execution_json(job_name, execution, utc_now()))
        return _run_not_found("EXECUTION", wanted, region, project)

    # --- Cloud Run v1 domain mappings -----------------------------------------------------

    def _domain_mapping_json(self, namespace: str, domain: str, now: datetime) -> Any:
        pending = domain in self.faults.cert_pending
        created = now - timedelta(hours=6 if pending else 24 * 60)
        ready_status = "Unknown" if pending else "True"
        ready_message = (
            "Waiting for certificate provisioning. You must configure your DNS records for "
            "certificate issuance to begin."
            if pending
            else ""
        )
        conditions = [
            {"type": "Ready", "status": ready_status},
            {"type": "CertificateProvisioned", "status": ready_status},
            {"type": "DomainRoutable", "status": "True"},
        ]
        if pending:
            conditions[0]["message"] = ready_message
            conditions[1]["message"] = "Certificate is being provisioned"
        for condition in conditions:
            condition["lastTransitionTime"] = iso(created + timedelta(minutes=2))
        apex = domain.count(".") == 1
        if apex:
            records = [
                {"type": "A", "rrdata": f"216.239.{third}.21"} for third in (32, 34, 36, 38)
            ] + [
                {"type": "AAAA", "rrdata": f"2001:4860:4802:{block}::15"}
                for block in (32, 34, 36, 38)
            ]
        else:
            records = [
                {
                    "name": domain.split(".", 1)[0],
                    "type": "CNAME",
                    "rrdata": "ghs.googlehosted.com.",
                }
            ]
        return {
            "apiVersion": "domains.cloudrun.com/v1",
            "kind": "DomainMapping",
            "metadata": {
                "name": domain,
                "namespace": namespace,
                "selfLink": f"{_DOMAINS_V1.format(namespace=namespace)}/{domain}",
                "uid": _digest(namespace, domain)[:32],
                "resourceVersion": _digest(domain)[:12],
                "generation": 1,
                "creationTimestamp": iso(created),
                "labels": {"cloud.googleapis.com/location": self.world.region},
            },
            "spec": {"routeName": self.world.control_service, "certificateMode": "AUTOMATIC"},
            "status": {
                "conditions": conditions,
                "observedGeneration": 1,
                "resourceRecords": records,
                "mappedRouteName": self.world.control_service,
            },
        }

    async def _get_domain_mapping(self, request: web.Request) -> web.Response:
        namespace, domain = request.match_info["namespace"], request.match_info["domain"]
        name = f"namespaces/{namespace}/domainmappings/{domain}"
        if (denied := self._denied("run", "run.domainmappings.get", name)) is not None:
            return denied
        if domain not in self.world.domains:
            return _run_not_found("DOMAIN_MAPPING", domain, self.world.region, namespace)
        return json_response(200, self._domain_mapping_json(namespace, domain, utc_now()))

    async def _list_domain_mappings(self, request: web.Request) -> web.Response:
        namespace = request.match_info["namespace"]
        name = f"namespaces/{namespace}"
        if (denied := self._denied("run", "run.domainmappings.list", name)) is not None:
            return denied
        now = utc_now()
        return json_response(
            200,
            {
                "apiVersion": "domains.cloudrun.com/v1",
                "kind": "DomainMappingList",
                "metadata": {},
                "items": [self._domain_mapping_json(namespace, d, now) for d in self.world.domains],
            },
        )

    # --- Cloud Logging ----------------------------------------------------------------------

    def _log_entries(self, project: str, now: datetime) -> list[dict[str, Any]]:
        """Every entry the project holds, in no particular order."""
        world, faults = self.world, self.faults
        entries: list[dict[str, Any]] = []

        def add(
            resource: dict[str, Any], severity: str, age: timedelta, message: str, *, as_json: bool
        ) -> None:
            at = now - age
            stream = "stdout" if severity in ("DEBUG", "INFO", "WARNING") else "stderr"
            insert_id = _digest(project, json.dumps(resource), severity, str(age), message)[:16]
            entry: dict[str, Any] = {
                "insertId": insert_id,
                "logName": f"projects/{project}/logs/run.googleapis.com%2F{stream}",
                "resource": resource,
                "severity": severity,
                "timestamp": at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "receiveTimestamp": iso(at + timedelta(seconds=1)),
                "labels": {"instanceId": _digest(insert_id)[:40]},
            }
            if as_json:
                entry["jsonPayload"] = {"message": message, "severity": severity}
            else:
                entry["textPayload"] = message
            entries.append(entry)

        streams = (
            (world.control_service, faults.error_entries, CONTROL_ERROR, CONTROL_CRITICAL),
            (world.runtime_service, faults.runtime_error_entries, RUNTIME_ERROR, RUNTIME_CRITICAL),
        )
        for service, fresh, message, critical in streams:
            labels = {
                "service_name": service,
                "revision_name": revision_id(service, _STABLE_REVISION),
                "configuration_name": service,
                "location": world.region,
                "project_id": project,
            }
            resource = {"type": "cloud_run_revision", "labels": labels}
            # Always there: warnings in the window and errors well before it, which a probe
            # must not count (WARNING is below ERROR; 2 h is outside a 10 m window).
            for minutes in (1, 3, 6):
                add(
                    resource,
                    "WARNING",
                    timedelta(minutes=minutes, seconds=7),
                    "slow upstream response: 2.4s (deadline 3s)",
                    as_json=minutes == 3,
                )
            for extra_minutes, as_json in ((0, True), (4, False), (9, True)):
                add(
                    resource,
                    "ERROR",
                    _OLD_ERROR_AGE + timedelta(minutes=extra_minutes),
                    f"{message} (during the 2 h old deploy)",
                    as_json=as_json,
                )
            for index in range(fresh):
                age = timedelta(seconds=20) + _FRESH_ERRORS_WITHIN * index / fresh
                add(resource, "ERROR", age, message, as_json=index % 2 == 1)
            if fresh > 0:
                add(resource, "CRITICAL", timedelta(seconds=95), critical, as_json=True)
        # A job's error is not any service's error: the resource.type clause must exclude it.
        job = {
            "type": "cloud_run_job",
            "labels": {
                "job_name": world.migrate_job,
                "location": world.region,
                "project_id": project,
            },
        }
        add(job, "ERROR", timedelta(minutes=4), "SQLSTATE[40001]: deadlock detected", as_json=False)
        return entries

    async def _list_entries(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return google_error(400, "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return google_error(400, "Invalid JSON payload received.")
        filter_text = body.get("filter", "")
        if not isinstance(filter_text, str):
            return google_error(400, "filter must be a string.")
        self._on_log_filter(filter_text)
        names = body.get("resourceNames") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
            return google_error(400, "resourceNames: at least one resource name is required.")
        if (denied := self._denied("logging", "logging.logEntries.list", names[0])) is not None:
            return denied
        try:
            terms = logfilter.parse(filter_text)
        except logfilter.FilterError as exc:
            return google_error(400, f"Invalid filter: {exc}")
        order = str(body.get("orderBy") or "timestamp asc").strip().lower()
        if order not in ("timestamp", "timestamp asc", "timestamp desc"):
            return google_error(400, f"Invalid orderBy: {body.get('orderBy')!r}")
        try:
            page_size = int(body.get("pageSize") or _LOG_PAGE_SIZE)
        except (TypeError, ValueError):
            return google_error(400, "pageSize must be an integer.")
        page_size = min(max(page_size, 1), _LOG_PAGE_MAX)
        start = _offset(body.get("pageToken"))
        if start is None:
            return google_error(400, "Invalid pageToken.")
        now = utc_now()
        projects = dict.fromkeys(
            n.removeprefix("projects/") for n in names if n.startswith("projects/")
        )
        found = [
            entry
            for project in projects
            for entry in self._log_entries(project, now)
            if logfilter.matches(entry, terms)
        ]
        found.sort(
            key=lambda e: (logfilter.parse_time(e["timestamp"]), e["insertId"]),
            reverse=order.endswith("desc"),
        )
        page = found[start : start + page_size]
        answer: dict[str, Any] = {"entries": page} if page else {}
        if start + page_size < len(found):
            answer["nextPageToken"] = str(start + page_size)
        if "logging" in self.faults.endless_pages:
            answer["nextPageToken"] = str(start + page_size)
        return json_response(200, answer)

    # --- Cloud Storage ----------------------------------------------------------------------

    def _objects(self, now: datetime) -> list[dict[str, Any]]:
        """The bucket's objects: each database's nightly backups and some Cloud Build sources."""
        world, faults = self.world, self.faults
        stamped: list[tuple[str, datetime, int]] = []
        for db in world.databases:
            ages: Iterable[int] = _BACKUP_AGES_H
            sizes = [48_213_377 + 1_013 * index for index in range(len(_BACKUP_AGES_H))]
            if db == world.staging_database:
                if faults.backups == "missing":
                    continue
                if faults.backups == "stale":
                    ages = _STALE_BACKUP_AGES_H
                if faults.backups == "empty":
                    sizes[0] = 0
            for hours, size in zip(ages, sizes, strict=False):
                dumped = (now - timedelta(hours=hours)).replace(microsecond=0)
                name = f"{world.backup_prefix}/{db}-{dumped.strftime('%Y%m%dT%H%M%SZ')}.sql.gz"
                stamped.append((name, dumped + timedelta(seconds=74), size))
        for hours in (5, 29):
            built = now - timedelta(hours=hours)
            name = f"source/{int(built.timestamp())}.412519-{_digest(str(hours))[:32]}.tgz"
            stamped.append((name, built, 2_311_920))
        return [self._object_json(name, at, size) for name, at, size in sorted(stamped)]

    def _object_json(self, name: str, at: datetime, size: int) -> dict[str, Any]:
        bucket = self.world.bucket
        generation = str(int(at.timestamp() * 1_000_000))
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        escaped = quote(name, safe="")
        return {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{escaped}",
            "mediaLink": (
                f"https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/{escaped}"
                f"?generation={generation}&alt=media"
            ),
            "name": name,
            "bucket": bucket,
            "generation": generation,
            "metageneration": "1",
            "contentType": "application/gzip",
            "storageClass": "STANDARD",
            "size": str(size),
            "md5Hash": _digest(name, "md5")[:22] + "==",
            "crc32c": _digest(name, "crc")[:6] + "==",
            "etag": _digest(name, "etag")[:12],
            "timeCreated": stamp,
            "updated": stamp,
            "timeStorageClassUpdated": stamp,
        }

    def _bucket_error(self, bucket: str, permission: str) -> web.Response | None:
        denied = self._denied("storage", permission, f"projects/_/buckets/{bucket}")
        if denied is not None or bucket == self.world.bucket:
            return denied
        message = "The specified bucket does not exist."
        errors = [{"message": message, "domain": "global", "reason": "notFound"}]
        return google_error(404, message, extra={"errors": errors})

    async def _get_bucket(self, request: web.Request) -> web.Response:
        # The storage client fetches this by itself, in the background, for its tracing
        # attributes; a listing works without it, but a 404 here would be a lie.
        bucket = request.match_info["bucket"]
        if (error := self._bucket_error(bucket, "storage.buckets.get")) is not None:
            return error
        created = iso(utc_now() - timedelta(days=400))
        return json_response(
            200,
            {
                "kind": "storage#bucket",
                "id": bucket,
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
                "projectNumber": "123456789012",
                "name": bucket,
                "timeCreated": created,
                "updated": created,
                "metageneration": "1",
                "location": "US",
                "locationType": "multi-region",
                "storageClass": "STANDARD",
                "etag": "CAE=",
            },
        )

    async def _list_objects(self, request: web.Request) -> web.Response:
        bucket = request.match_info["bucket"]
        if (error := self._bucket_error(bucket, "storage.objects.list")) is not None:
            return error
        query = request.query
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        start = _offset(query.get("pageToken"))
        try:
            page_size = int(query.get("maxResults") or _STORAGE_PAGE_SIZE)
        except ValueError:
            page_size = 0
        if start is None or page_size < 1:
            return google_error(400, "Invalid argument.")
        items: list[dict[str, Any]] = []
        prefixes: set[str] = set()
        for item in self._objects(utc_now()):
            name = item["name"]
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
                continue
            items.append(item)
        answer: dict[str, Any] = {"kind": "storage#objects"}
        page = items[start : start + page_size]
        if page:
            answer["items"] = page  # left out when empty, as the real API does
        if prefixes:
            answer["prefixes"] = sorted(prefixes)
        if start + page_size < len(items) or "storage" in self.faults.endless_pages:
            answer["nextPageToken"] = str(start + page_size)
        return json_response(200, answer)
