"""The probe kinds: what a check's ``kind`` may name, the runner it calls, its typed parameters.

Each kind is registered here by a real reference to its module's runner and parameter dataclass,
so mypy checks that a runner takes the parameters its kind declares, and a misspelt runner fails
mypy (and the import), never a run. Importing the probe modules stays cheap: they import aiohttp
and the Google libraries only inside the functions that make requests, so config loading and
`cutover-probe plan` import no network library.

Adding a kind: write one module with a frozen dataclass of its parameters (each field declared
with `param`, which is also its TOML schema) and ``async def run(ctx: ProbeContext, params:
TheParams) -> str | None`` (raise `CheckFailed` to fail; return a short note for the reason
column, or None), then add a `Kind` entry below.
"""

from __future__ import annotations

from typing import Any

from cutover_probe.probes import (
    command,
    control,
    httpkind,
    parity,
    runtime,
    tls,
)
from cutover_probe.probes.google import backups, cloudlogging, cloudrun
from cutover_probe.probes.schema import Kind, Param, ParamType, param

__all__ = ["KINDS", "Kind", "Param", "ParamType", "param"]

KINDS: dict[str, Kind[Any]] = {
    kind.name: kind
    for kind in (
        Kind(
            name="http",
            summary="declarative HTTP steps with assertions, captures, samples and budgets",
            run=httpkind.run,
            params=httpkind.HttpParams,
            command="{steps} against {base_url} ({samples} sample(s), token {token_state})",
            default_deadline_s=120.0,
            uses_http=True,
        ),
        Kind(
            name="tls-certificate",
            summary="the served TLS certificate verifies and has enough days left",
            run=tls.run,
            params=tls.TlsParams,
            command="TLS certificate of {url} (at least {min_days} days left)",
            default_deadline_s=20.0,
            https_param="url",
        ),
        Kind(
            name="parity",
            summary="the same requests against staging and prod: chosen fields must be equal",
            run=parity.run,
            params=parity.ParityParams,
            command="parity of {staging_url} and {prod_url}: {compare}",
            default_deadline_s=60.0,
            uses_http=True,
        ),
        Kind(
            name="control-health",
            summary="control service /healthz and /readyz answer 200",
            run=control.run_health,
            params=control.ControlHealthParams,
            command="GET {base_url}/healthz, GET {base_url}/readyz",
            default_deadline_s=30.0,
            uses_http=True,
        ),
        Kind(
            name="control-smoke",
            summary="control service smoke: health, status auth, static cache policy, auth routes",
            run=control.run_smoke,
            params=control.ControlSmokeParams,
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
            run=runtime.run_smoke,
            params=runtime.RuntimeSmokeParams,
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
            run=command.run,
            params=command.CommandParams,
            command="{argv}",
            default_deadline_s=1800.0,
        ),
        Kind(
            name="cloudrun-migration-drift",
            summary="runtime service image vs migrate job image and its newest execution",
            run=cloudrun.run_drift,
            params=cloudrun.CloudRunDriftParams,
            command="Cloud Run: service {service} vs job {job} in {project}/{region}",
            google_api="run",
        ),
        Kind(
            name="cloud-logging-errors",
            summary="Cloud Logging entries of severity ERROR or worse for a Cloud Run service",
            run=cloudlogging.run_errors,
            params=cloudlogging.LoggingErrorsParams,
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
            run=cloudrun.run_ready,
            params=cloudrun.CloudRunServiceParams,
            command="Cloud Run: latest revision of {service} in {project}/{region}",
            default_deadline_s=20.0,
            google_api="run",
        ),
        Kind(
            name="cloudrun-canary",
            summary="Cloud Run service revisions ready and traffic split sane",
            run=cloudrun.run_canary,
            params=cloudrun.CloudRunServiceParams,
            command="Cloud Run: canary status of {service} in {project}/{region}",
            google_api="run",
        ),
        Kind(
            name="gcs-backup-freshness",
            summary="the newest <db>-<timestamp>.sql.gz of each database is fresh and not empty",
            run=backups.run_freshness,
            params=backups.BackupFreshnessParams,
            command=(
                "Cloud Storage: newest {bucket}/{prefix}/<db>-<UTC>.sql.gz for {databases} "
                "younger than {max_age_hours}h and not empty"
            ),
            google_api="storage",
        ),
    )
}
