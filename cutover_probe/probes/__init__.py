"""The probe kinds: what a check's ``kind`` may name, the runner it calls, its typed parameters.

Each kind is registered here by real references to its parameter dataclass (`params.py`) and to
its runner, so mypy checks that a runner takes the parameters its kind declares, and a misspelt
runner fails mypy (and the first check of its kind), never silently. The reference to a runner
is a small typed function below that imports the runner's module when a check of that kind runs:
config loading and `cutover-probe plan` read only the parameters and so import no runner, and
with them no anyio, ssl, subprocess machinery, aiohttp or Google library (start-up, issue 12;
tests/test_cli.py pins what `plan` imports).

Adding a kind: write a frozen dataclass of its parameters in `params.py` (each field declared
with `param`, which is also its TOML schema), a module with ``async def run(ctx: ProbeContext,
params: TheParams) -> str | None`` (raise `CheckFailed` to fail; return a short note for the
reason column, or None), a lazy runner below that imports it, and a `Kind` entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cutover_probe.probes import params as p
from cutover_probe.probes.schema import Kind, Param, ParamType, param

if TYPE_CHECKING:  # the runners' signatures only: `plan` builds no context
    from cutover_probe.probes.context import ProbeContext

__all__ = ["KINDS", "Kind", "Param", "ParamType", "param"]

# The runners, each imported when a check of its kind first runs (then it is in sys.modules and
# the import costs a dictionary lookup). Each states the parameters it passes on, so mypy checks
# the runner it calls against them as it would a direct reference.


async def run_http(ctx: ProbeContext, params: p.HttpParams) -> str | None:
    from cutover_probe.probes import httpkind

    return await httpkind.run(ctx, params)


async def run_tls(ctx: ProbeContext, params: p.TlsParams) -> str | None:
    from cutover_probe.probes import tls

    return await tls.run(ctx, params)


async def run_parity(ctx: ProbeContext, params: p.ParityParams) -> str | None:
    from cutover_probe.probes import parity

    return await parity.run(ctx, params)


async def run_control_health(ctx: ProbeContext, params: p.ControlHealthParams) -> str | None:
    from cutover_probe.probes import control

    return await control.run_health(ctx, params)


async def run_control_smoke(ctx: ProbeContext, params: p.ControlSmokeParams) -> str | None:
    from cutover_probe.probes import control

    return await control.run_smoke(ctx, params)


async def run_runtime_smoke(ctx: ProbeContext, params: p.RuntimeSmokeParams) -> str | None:
    from cutover_probe.probes import runtime

    return await runtime.run_smoke(ctx, params)


async def run_command(ctx: ProbeContext, params: p.CommandParams) -> str | None:
    from cutover_probe.probes import command

    return await command.run(ctx, params)


async def run_cloudrun_drift(ctx: ProbeContext, params: p.CloudRunDriftParams) -> str | None:
    from cutover_probe.probes.google import cloudrun

    return await cloudrun.run_drift(ctx, params)


async def run_logging_errors(ctx: ProbeContext, params: p.LoggingErrorsParams) -> str | None:
    from cutover_probe.probes.google import cloudlogging

    return await cloudlogging.run_errors(ctx, params)


async def run_cloudrun_ready(ctx: ProbeContext, params: p.CloudRunServiceParams) -> str | None:
    from cutover_probe.probes.google import cloudrun

    return await cloudrun.run_ready(ctx, params)


async def run_cloudrun_canary(ctx: ProbeContext, params: p.CloudRunServiceParams) -> str | None:
    from cutover_probe.probes.google import cloudrun

    return await cloudrun.run_canary(ctx, params)


async def run_backup_freshness(ctx: ProbeContext, params: p.BackupFreshnessParams) -> str | None:
    from cutover_probe.probes.google import backups

    return await backups.run_freshness(ctx, params)


KINDS: dict[str, Kind[Any]] = {
    kind.name: kind
    for kind in (
        Kind(
            name="http",
            summary="declarative HTTP steps with assertions, captures, samples and budgets",
            run=run_http,
            params=p.HttpParams,
            command="{steps} against {base_url} ({samples} sample(s), token {token_state})",
            default_deadline_s=120.0,
            uses_http=True,
        ),
        Kind(
            name="tls-certificate",
            summary="the served TLS certificate verifies and has enough days left",
            run=run_tls,
            params=p.TlsParams,
            command="TLS certificate of {url} (at least {min_days} days left)",
            default_deadline_s=20.0,
            https_param="url",
        ),
        Kind(
            name="parity",
            summary="the same requests against staging and prod: chosen fields must be equal",
            run=run_parity,
            params=p.ParityParams,
            command="parity of {staging_url} and {prod_url}: {compare}",
            default_deadline_s=60.0,
            uses_http=True,
        ),
        Kind(
            name="control-health",
            summary="control service /healthz and /readyz answer 200",
            run=run_control_health,
            params=p.ControlHealthParams,
            command="GET {base_url}/healthz, GET {base_url}/readyz",
            default_deadline_s=30.0,
            uses_http=True,
        ),
        Kind(
            name="control-smoke",
            summary="control service smoke: health, status auth, static cache policy, auth routes",
            run=run_control_smoke,
            params=p.ControlSmokeParams,
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
            run=run_runtime_smoke,
            params=p.RuntimeSmokeParams,
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
            run=run_command,
            params=p.CommandParams,
            command="{argv}",
            default_deadline_s=1800.0,
        ),
        Kind(
            name="cloudrun-migration-drift",
            summary="runtime service image vs migrate job image and its newest execution",
            run=run_cloudrun_drift,
            params=p.CloudRunDriftParams,
            command="Cloud Run: service {service} vs job {job} in {project}/{region}",
            google_api="run",
        ),
        Kind(
            name="cloud-logging-errors",
            summary="Cloud Logging entries of severity ERROR or worse for a Cloud Run service",
            run=run_logging_errors,
            params=p.LoggingErrorsParams,
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
            run=run_cloudrun_ready,
            params=p.CloudRunServiceParams,
            command="Cloud Run: latest revision of {service} in {project}/{region}",
            default_deadline_s=20.0,
            google_api="run",
        ),
        Kind(
            name="cloudrun-canary",
            summary="Cloud Run service revisions ready and traffic split sane",
            run=run_cloudrun_canary,
            params=p.CloudRunServiceParams,
            command="Cloud Run: canary status of {service} in {project}/{region}",
            google_api="run",
        ),
        Kind(
            name="gcs-backup-freshness",
            summary="the newest <db>-<timestamp>.sql.gz of each database is fresh and not empty",
            run=run_backup_freshness,
            params=p.BackupFreshnessParams,
            command=(
                "Cloud Storage: newest {bucket}/{prefix}/<db>-<UTC>.sql.gz for {databases} "
                "younger than {max_age_hours}h and not empty"
            ),
            google_api="storage",
        ),
    )
}
