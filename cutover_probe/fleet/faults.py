"""Fault switches for the simulated fleet, and the named scenarios built from them.

The defaults describe the services exactly as the reference doc says the real ones
behave, so ``FleetSpec()`` is a healthy fleet and every scenario differs from it by
one deliberate break. This module is pure data: it must not import aiohttp or know
how the services are served.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

NO_CACHE = "no-cache, no-store, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class ControlFaults:
    """How one control service (staging or prod) misbehaves; defaults are healthy."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    health_status: int = 200
    ready: bool = True
    maintenance: bool = False
    manifest_cache_control: str = NO_CACHE
    sw_cache_control: str = NO_CACHE
    hashed_asset_cache_control: str = IMMUTABLE
    manifest_version: str = "openagents.webshell.v2"
    manifest_not_json: bool = False
    entry_js_hashed: bool = False
    session_status: int | None = None
    sync_token_unavailable: bool = False
    status_open: bool = False
    hang_paths: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RuntimeFaults:
    """How one runtime service (staging or prod) misbehaves; defaults are healthy."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    health_status: int = 200
    ready: bool = True
    write_frozen: bool = False
    create_status: int = 201
    create_omits_run_id: bool = False
    event_status: int | None = None
    read_status: int | None = None
    hang_paths: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FleetSpec:
    """The faults of all four services of one simulated fleet."""

    staging_control: ControlFaults = field(default_factory=ControlFaults)
    prod_control: ControlFaults = field(default_factory=ControlFaults)
    staging_runtime: RuntimeFaults = field(default_factory=RuntimeFaults)
    prod_runtime: RuntimeFaults = field(default_factory=RuntimeFaults)

    def with_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> FleetSpec:
        """The same faults, with this latency and jitter on all four services."""
        return FleetSpec(
            staging_control=replace(
                self.staging_control, latency_ms=latency_ms, jitter_ms=jitter_ms
            ),
            prod_control=replace(self.prod_control, latency_ms=latency_ms, jitter_ms=jitter_ms),
            staging_runtime=replace(
                self.staging_runtime, latency_ms=latency_ms, jitter_ms=jitter_ms
            ),
            prod_runtime=replace(self.prod_runtime, latency_ms=latency_ms, jitter_ms=jitter_ms),
        )


@dataclass(frozen=True)
class Scenario:
    """A named fleet with one known break, for the demo and the end-to-end tests."""

    name: str
    description: str
    spec: FleetSpec


def _scenarios(*items: Scenario) -> dict[str, Scenario]:
    return {item.name: item for item in items}


SCENARIOS: dict[str, Scenario] = _scenarios(
    Scenario(
        "healthy",
        "Nothing is broken: every control and runtime check passes.",
        FleetSpec(),
    ),
    Scenario(
        "control-down",
        "Prod control /healthz answers 404 (as on the first real report): "
        "control-prod-health and control-prod-smoke fail on the status code.",
        FleetSpec(prod_control=ControlFaults(health_status=404)),
    ),
    Scenario(
        "not-ready",
        "Staging control /readyz answers 503 not_ready: "
        "control-staging-health and control-staging-smoke fail on the status code.",
        FleetSpec(staging_control=ControlFaults(ready=False)),
    ),
    Scenario(
        "stale-cache",
        "Prod /manifest.json is served 'public, max-age=3600': "
        "control-prod-smoke fails because its Cache-Control lacks no-cache.",
        FleetSpec(prod_control=ControlFaults(manifest_cache_control="public, max-age=3600")),
    ),
    Scenario(
        "hashed-entry-not-immutable",
        "Staging entry.js is content-hashed but served 'public, max-age=60': "
        "control-staging-smoke fails because a hashed asset is not immutable.",
        FleetSpec(
            staging_control=ControlFaults(
                entry_js_hashed=True, hashed_asset_cache_control="public, max-age=60"
            )
        ),
    ),
    Scenario(
        "wrong-manifest-version",
        "Prod manifest says openagents.webshell.v1: control-prod-smoke fails on manifestVersion.",
        FleetSpec(prod_control=ControlFaults(manifest_version="openagents.webshell.v1")),
    ),
    Scenario(
        "maintenance",
        "Staging control is in maintenance mode (503 HTML except /healthz and /readyz): "
        "control-staging-smoke fails on the manifest's status; the health check passes.",
        FleetSpec(staging_control=ControlFaults(maintenance=True)),
    ),
    Scenario(
        "sync-token-down",
        "Prod sync-token routes answer 503 sync_token_unavailable: "
        "control-prod-smoke fails when run with an access token.",
        FleetSpec(prod_control=ControlFaults(sync_token_unavailable=True)),
    ),
    Scenario(
        "frozen-writes",
        "Prod runtime write path is frozen: the prod runtime smoke fails at "
        "POST /internal/v1/runs with 503 write_path_frozen.",
        FleetSpec(prod_runtime=RuntimeFaults(write_frozen=True)),
    ),
    Scenario(
        "runtime-create-200",
        "Staging runtime creates runs with 200 instead of 201: "
        "the staging runtime smoke fails on the create status code.",
        FleetSpec(staging_runtime=RuntimeFaults(create_status=200)),
    ),
    Scenario(
        "hang",
        "Staging control /readyz never answers: control-staging-health and "
        "control-staging-smoke fail on their deadline, and the run still ends.",
        FleetSpec(staging_control=ControlFaults(hang_paths=frozenset({"/readyz"}))),
    ),
    Scenario(
        "slow",
        "Every service answers after 100 ms: all checks pass, only slower "
        "(shows that the probes run concurrently).",
        FleetSpec().with_latency(100.0),
    ),
)
