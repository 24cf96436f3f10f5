"""Each probe kind's parameters: one frozen dataclass per kind, each field declared with `param`
(its TOML schema), beside the runner's module, not in it.

Config and `plan` read these at load time to check a matrix and build each check's parameters;
the runners (which import anyio, ssl, subprocess machinery and the Google libraries' glue) are
imported only when a check runs (`probes/__init__.py` refers to each through a typed lazy
runner). So this module imports nothing heavier than `secrets`: `cutover-probe plan` stays
within its start-up budget (docs/performance.md). For the same reason each class is declared
``eq=False`` (compared by identity): nothing compares two parameter objects by value, and the
generated ``__eq__`` and ``__hash__`` cost about 0.3 ms a class at every start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cutover_probe.probes.schema import param
from cutover_probe.secrets import Secret

if TYPE_CHECKING:
    from cutover_probe.probes.httpkind_spec import Budgets, Comparison, Step


# http (runner: probes/httpkind.py)
@dataclass(frozen=True, eq=False)
class HttpParams:
    """The ``http`` kind's parameters: steps and budgets arrive parsed (at config load)."""

    base_url: str = param("url", required=False, default="", help="paths join it")
    token: Secret = param(
        "secret", required=False, default="", help="sent by steps with auth = true"
    )
    steps: tuple[Step, ...] = param("steps", help="[[checks.steps]]: the requests, in order")
    samples: int = param("int", required=False, default=1, minimum=1)
    concurrency: int = param("int", required=False, default=1, minimum=1)
    budgets: Budgets = param("budgets", required=False, default={})
    baseline: str = param("path", required=False, default="", help="CSV probe,size_bytes,ttfb_ms")


# tls-certificate (runner: probes/tls.py)
@dataclass(frozen=True, eq=False)
class TlsParams:
    """The ``tls-certificate`` kind's parameters."""

    url: str = param("url")
    min_days: int = param("int", required=False, default=14, minimum=0)


# parity (runner: probes/parity.py)
@dataclass(frozen=True, eq=False)
class ParityParams:
    """The ``parity`` kind's parameters: two base URLs, what to compare, an image to match."""

    staging_url: str = param("url")
    prod_url: str = param("url")
    compare: tuple[Comparison, ...] = param(
        "comparisons", help="[[checks.compare]]: path, json, headers"
    )
    cloudrun_service: str = param(
        "string", required=False, default="", help="compare this service's image"
    )
    staging_project: str = param("string", required=False, default="")
    prod_project: str = param("string", required=False, default="")
    staging_region: str = param("string", required=False, default="")
    prod_region: str = param("string", required=False, default="")


# control-health, control-smoke (runner: probes/control.py)
@dataclass(frozen=True, eq=False)
class ControlHealthParams:
    """The ``control-health`` kind's parameters."""

    base_url: str = param("url", help="the control service's base URL")


@dataclass(frozen=True, eq=False)
class ControlSmokeParams:
    """The ``control-smoke`` kind's parameters."""

    base_url: str = param("url", help="the control service's base URL")
    access_token: Secret = param(
        "secret", required=False, default="", help="bearer token for auth routes"
    )
    sync_scopes: tuple[str, ...] = param(
        "strings",
        required=False,
        default=["runtime.codex_worker_events"],
        help="scopes asked of the sync-token routes",
    )


# runtime-smoke (runner: probes/runtime.py)
@dataclass(frozen=True, eq=False)
class RuntimeSmokeParams:
    """The ``runtime-smoke`` kind's parameters."""

    base_url: str = param("url", help="the runtime service's base URL")
    worker_id: str = param("string", required=False, default="smoke:runtime")


# command (runner: probes/command.py)
@dataclass(frozen=True, eq=False)
class CommandParams:
    """The ``command`` kind's parameters: a lane's program, its files and environment."""

    argv: tuple[str, ...] = param("strings", help="the program and its arguments")
    requires_files: tuple[str, ...] = param(
        "strings",
        required=False,
        default=[],
        help="files that must exist; a missing one fails the check",
    )
    cwd: str = param("string", required=False, default="${REPO_ROOT}")
    env: Mapping[str, str] = param("table", required=False, default={}, help="extra variables")
    pass_env: tuple[str, ...] = param(
        "names",
        required=False,
        default=[],
        help="variables passed on although they look secret (docs/checks.md)",
    )
    kill_grace: float = param("duration", required=False, default="1s")


# cloudrun-ready, cloudrun-canary, cloudrun-migration-drift (runner: probes/google/cloudrun.py)
@dataclass(frozen=True, eq=False)
class CloudRunServiceParams:
    """The ``cloudrun-ready`` and ``cloudrun-canary`` kinds' parameters."""

    project: str = param("string", help="Google Cloud project")
    region: str = param("string", help="Cloud Run region")
    service: str = param("string", help="Cloud Run service name")


@dataclass(frozen=True, eq=False)
class CloudRunDriftParams:
    """The ``cloudrun-migration-drift`` kind's parameters."""

    project: str = param("string", help="Google Cloud project")
    region: str = param("string", help="Cloud Run region")
    service: str = param("string", help="Cloud Run service name")
    job: str = param("string")
    expected_image: str = param("string", required=False, default="")


# cloud-logging-errors (runner: probes/google/cloudlogging.py)
@dataclass(frozen=True, eq=False)
class LoggingErrorsParams:
    """The ``cloud-logging-errors`` kind's parameters."""

    project: str = param("string")
    service: str = param("string")
    freshness: float = param("duration", required=False, default="10m")
    limit: int = param("int", required=False, default=50)
    max_errors: int = param("int", required=False, default=0, help="entries allowed")


# gcs-backup-freshness (runner: probes/google/backups.py)
@dataclass(frozen=True, eq=False)
class BackupFreshnessParams:
    """The ``gcs-backup-freshness`` kind's parameters."""

    project: str = param("string")
    bucket: str = param("string", help="gs://bucket or bucket")
    prefix: str = param("string", required=False, default="backups/laravel")
    databases: str = param("string", help="comma-separated database names")
    max_age_hours: int = param("int", required=False, default=24)
