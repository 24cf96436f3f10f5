"""The probe kinds: what a check's ``kind`` may name, the parameters it takes, how to describe it.

This registry is pure data so that loading and validating a config (and `cutover-probe plan`)
imports no network library. A kind's implementation lives in the module named by
``Kind.runner`` and is imported only when a check of that kind runs.

Adding a kind: write one module with ``async def run(ctx: ProbeContext, params) -> str | None``
(raise `CheckFailed` to fail; return a short note for the reason column, or None), then add a
`Kind` entry below.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cutover_probe.probes.context import ProbeContext

ParamType = Literal[
    "string",
    "url",
    "secret",
    "strings",
    "duration",
    "int",
    "table",
    "steps",
    "budgets",
    "comparisons",
    "path",
    "names",
]
Runner = Callable[["ProbeContext", Mapping[str, Any]], Awaitable[str | None]]


@dataclass(frozen=True)
class Param:
    type: ParamType
    required: bool = True
    default: Any = None
    help: str = ""
    minimum: int = 0  # for "int"


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    runner: str  # "module:function"
    params: Mapping[str, Param] = field(default_factory=dict)
    command: str = ""  # a format template over the params: the report's command column
    default_deadline_s: float = 60.0
    uses_http: bool = False
    # A URL parameter that must be https: a check whose URL is http:// is skipped.
    https_param: str | None = None
    # A Google API the kind calls: without credentials (or an emulator) its checks are skipped.
    google_api: Literal["run", "logging", "storage"] | None = None

    def load(self) -> Runner:
        module_name, _, function = self.runner.partition(":")
        runner: Runner = getattr(importlib.import_module(module_name), function)
        return runner


_CLOUD_RUN_SERVICE = {
    "project": Param("string", help="Google Cloud project"),
    "region": Param("string", help="Cloud Run region"),
    "service": Param("string", help="Cloud Run service name"),
}

_CONTROL_PARAMS = {
    "base_url": Param("url", help="the control service's base URL"),
}

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="http",
            summary="declarative HTTP steps with assertions, captures, samples and budgets",
            runner="cutover_probe.probes.httpkind:run",
            params={
                "base_url": Param("url", required=False, default="", help="paths join it"),
                "token": Param(
                    "secret", required=False, default="", help="sent by steps with auth = true"
                ),
                "steps": Param("steps", help="[[checks.steps]]: the requests, in order"),
                "samples": Param("int", required=False, default=1, minimum=1),
                "concurrency": Param("int", required=False, default=1, minimum=1),
                "budgets": Param("budgets", required=False, default={}),
                "baseline": Param(
                    "path", required=False, default="", help="CSV probe,size_bytes,ttfb_ms"
                ),
            },
            command="{steps} against {base_url} ({samples} sample(s), token {token_state})",
            default_deadline_s=120.0,
            uses_http=True,
        ),
        Kind(
            name="tls-certificate",
            summary="the served TLS certificate verifies and has enough days left",
            runner="cutover_probe.probes.tls:run",
            params={
                "url": Param("url"),
                "min_days": Param("int", required=False, default=14, minimum=0),
            },
            command="TLS certificate of {url} (at least {min_days} days left)",
            default_deadline_s=20.0,
            https_param="url",
        ),
        Kind(
            name="parity",
            summary="the same requests against staging and prod: chosen fields must be equal",
            runner="cutover_probe.probes.parity:run",
            params={
                "staging_url": Param("url"),
                "prod_url": Param("url"),
                "compare": Param("comparisons", help="[[checks.compare]]: path, json, headers"),
                "cloudrun_service": Param(
                    "string", required=False, default="", help="compare this service's image"
                ),
                "staging_project": Param("string", required=False, default=""),
                "prod_project": Param("string", required=False, default=""),
                "staging_region": Param("string", required=False, default=""),
                "prod_region": Param("string", required=False, default=""),
            },
            command="parity of {staging_url} and {prod_url}: {compare}",
            default_deadline_s=60.0,
            uses_http=True,
        ),
        Kind(
            name="control-health",
            summary="control service /healthz and /readyz answer 200",
            runner="cutover_probe.probes.control:run_health",
            params=_CONTROL_PARAMS,
            command="GET {base_url}/healthz, GET {base_url}/readyz",
            default_deadline_s=30.0,
            uses_http=True,
        ),
        Kind(
            name="control-smoke",
            summary="control service smoke: health, status auth, static cache policy, auth routes",
            runner="cutover_probe.probes.control:run_smoke",
            params={
                **_CONTROL_PARAMS,
                "access_token": Param(
                    "secret", required=False, default="", help="bearer token for auth routes"
                ),
                "sync_scopes": Param(
                    "strings",
                    required=False,
                    default=["runtime.codex_worker_events"],
                    help="scopes asked of the sync-token routes",
                ),
            },
            command=(
                "control smoke of {base_url}: /healthz /readyz /api/v1/control/status "
                "/manifest.json /sw.js entry.js; "
                "session + sync-token routes (token {access_token_state})"
            ),
            default_deadline_s=60.0,
            uses_http=True,
        ),
        Kind(
            name="runtime-smoke",
            summary="runtime health and authority API smoke (create run, append event, read run)",
            runner="cutover_probe.probes.runtime:run_smoke",
            params={
                "base_url": Param("url", help="the runtime service's base URL"),
                "worker_id": Param("string", required=False, default="smoke:runtime"),
            },
            command=(
                "runtime smoke of {base_url}: GET /healthz, GET /readyz, POST /internal/v1/runs, "
                "POST /internal/v1/runs/<id>/events, GET /internal/v1/runs/<id>"
            ),
            default_deadline_s=60.0,
            uses_http=True,
        ),
        Kind(
            name="command",
            summary="a subprocess lane (cargo test, a harness script); passes on exit status 0",
            runner="cutover_probe.probes.command:run",
            params={
                "argv": Param("strings", help="the program and its arguments"),
                "requires_files": Param(
                    "strings",
                    required=False,
                    default=[],
                    help="files that must exist; a missing one fails the check",
                ),
                "cwd": Param("string", required=False, default="${REPO_ROOT}"),
                "env": Param("table", required=False, default={}, help="extra variables"),
                "pass_env": Param(
                    "names",
                    required=False,
                    default=[],
                    help="variables passed on although they look secret (docs/checks.md)",
                ),
                "kill_grace": Param("duration", required=False, default="1s"),
            },
            command="{argv}",
            default_deadline_s=1800.0,
        ),
        Kind(
            name="cloudrun-migration-drift",
            summary="runtime service image vs migrate job image and its newest execution",
            runner="cutover_probe.probes.google.cloudrun:run_drift",
            params={
                **_CLOUD_RUN_SERVICE,
                "job": Param("string"),
                "expected_image": Param("string", required=False, default=""),
            },
            command="Cloud Run: service {service} vs job {job} in {project}/{region}",
            google_api="run",
        ),
        Kind(
            name="cloud-logging-errors",
            summary="Cloud Logging entries of severity ERROR or worse for a Cloud Run service",
            runner="cutover_probe.probes.google.cloudlogging:run_errors",
            params={
                "project": Param("string"),
                "service": Param("string"),
                "freshness": Param("duration", required=False, default="10m"),
                "limit": Param("int", required=False, default=50),
                "max_errors": Param("int", required=False, default=0, help="entries allowed"),
            },
            command=(
                "Cloud Logging in {project}: resource.type=cloud_run_revision AND "
                "resource.labels.service_name={service} AND severity>=ERROR "
                "(last {freshness}, limit {limit}, fail above {max_errors})"
            ),
            google_api="logging",
        ),
        Kind(
            name="cloudrun-ready",
            summary="a Cloud Run service's latest revision is ready and serving",
            runner="cutover_probe.probes.google.cloudrun:run_ready",
            params=_CLOUD_RUN_SERVICE,
            command="Cloud Run: latest revision of {service} in {project}/{region}",
            default_deadline_s=20.0,
            google_api="run",
        ),
        Kind(
            name="cloudrun-canary",
            summary="Cloud Run service revisions ready and traffic split sane",
            runner="cutover_probe.probes.google.cloudrun:run_canary",
            params=_CLOUD_RUN_SERVICE,
            command="Cloud Run: canary status of {service} in {project}/{region}",
            google_api="run",
        ),
        Kind(
            name="gcs-backup-freshness",
            summary="the newest <db>-<timestamp>.sql.gz of each database is fresh and not empty",
            runner="cutover_probe.probes.google.backups:run_freshness",
            params={
                "project": Param("string"),
                "bucket": Param("string", help="gs://bucket or bucket"),
                "prefix": Param("string", required=False, default="backups/laravel"),
                "databases": Param("string", help="comma-separated database names"),
                "max_age_hours": Param("int", required=False, default=24),
            },
            command=(
                "Cloud Storage: newest {bucket}/{prefix}/<db>-<UTC>.sql.gz for {databases} "
                "younger than {max_age_hours}h and not empty"
            ),
            google_api="storage",
        ),
    )
}
