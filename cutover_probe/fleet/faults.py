"""Fault switches for the simulated fleet, and the named scenarios built from them.

The defaults describe the services exactly as the reference doc says the real ones
behave, so ``FleetSpec()`` is a healthy fleet and every scenario differs from it by
one deliberate break. This module is pure data: it must not import aiohttp or know
how the services are served.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

NO_CACHE = "no-cache, no-store, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
# The feed fragment's size in the perf lane's baseline CSV; its budget is 180,000 bytes.
FEED_BYTES = 52_000


@dataclass(frozen=True)
class HostileFaults:
    """Transport and protocol faults any service can show, each on the paths it names.

    The defaults are healthy. Every service's faults are these plus its own, so the shared
    middleware in common.py takes a service's faults as they are.
    """

    reset_paths: frozenset[str] = frozenset()
    trickle_paths: frozenset[str] = frozenset()
    huge_paths: frozenset[str] = frozenset()
    invalid_json_paths: frozenset[str] = frozenset()
    wrong_content_type_paths: frozenset[str] = frozenset()
    # A 302 to the same path on the fleet's other host (``Fleet.urls["REDIRECT_TARGET_URL"]``).
    redirect_paths: frozenset[str] = frozenset()
    redirect_loop_paths: frozenset[str] = frozenset()
    throttle_paths: frozenset[str] = frozenset()
    throttle_times: int = 1
    throttle_status: int = 429
    retry_after_s: float = 0.2
    # A fault that comes and goes (`watch`'s flapping scenario): the requests to these paths,
    # counted per path, go in windows of `flap_window`; every `flap_every`-th window answers
    # 503. Counting, not a clock, so a test sees the same iterations fail on any machine.
    flap_paths: frozenset[str] = frozenset()
    flap_every: int = 3
    flap_window: int = 1
    # A fault that ends (`recovers-after`): these paths answer 503 until `down_for_s` seconds
    # after the service started.
    down_paths: frozenset[str] = frozenset()
    down_for_s: float = 0.0


@dataclass(frozen=True)
class ControlFaults(HostileFaults):
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
    # Overrides the /healthz version, which staging and prod otherwise share (parity checks).
    build_version: str | None = None
    # HTMX routes: extra delay before the response headers of any path starting with a prefix.
    htmx_slow_routes: frozenset[str] = frozenset()
    htmx_slow_ms: float = 0.0
    feed_bytes: int = FEED_BYTES
    # When > 0 the feed fragment's headers go at once and its body follows in a few chunks
    # this far apart: the total time grows, the time to first byte does not.
    ttfb_trickle_ms: float = 0.0
    chat_new_location: bool = True
    settings_update_status: int = 200
    # A careless server: its 401s (and the sync-token route's errors) repeat the token sent.
    echo_token_in_errors: bool = False


@dataclass(frozen=True)
class RuntimeFaults(HostileFaults):
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


GoogleApi = Literal["run", "logging", "storage"]

# The runtime service's image in the simulated project: a digest, as Cloud Run reports it.
RUNTIME_IMAGE = (
    "us-central1-docker.pkg.dev/openagentsgemini/openagents/runtime@sha256:"
    "5f1c9e27d0a84b6f3e2d7c1a9b8e4f60d2c7a5b3e9f18c4d6a0b2e7f3c9d1a85"
)


@dataclass(frozen=True)
class GoogleWorld:
    """The names the simulated Google Cloud project holds; any other resource name is a 404.

    Project and region in request paths are not checked (a probe pointed at the wrong project
    fails on what it reads, not on a 404 the real API would not give for a typo in a region).
    """

    project: str = "openagentsgemini"
    region: str = "us-central1"
    control_service: str = "openagents-control-service"
    runtime_service: str = "runtime"
    migrate_job: str = "runtime-migrate"
    bucket: str = "openagentsgemini_cloudbuild"
    backup_prefix: str = "backups/laravel"
    databases: tuple[str, ...] = ("openagents_web", "openagents_web_staging")
    # The database whose backups `GoogleFaults.backups` breaks; the others stay fresh.
    staging_database: str = "openagents_web_staging"
    domains: tuple[str, ...] = ("staging.openagents.com", "openagents.com")


@dataclass(frozen=True)
class GoogleFaults:
    """How the simulated Cloud Run, Cloud Logging and Cloud Storage APIs misbehave.

    The defaults are a project where every Google lane passes: the runtime service and its
    migrate job run ``expected_image``, the newest migration succeeded, the control service has
    all traffic on its ready latest revision, no fresh errors are logged and every database has
    a 3 h old backup.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    image_drift: bool = False
    expected_image: str = RUNTIME_IMAGE
    executions: Literal["ok", "none", "failed", "running"] = "ok"
    execution_image_drift: bool = False
    canary: Literal[
        "stable", "rolling", "latest_not_ready", "traffic_on_unready", "traffic_not_100"
    ] = "stable"
    error_entries: int = 0
    runtime_error_entries: int = 0
    backups: Literal["fresh", "stale", "empty", "missing"] = "fresh"
    denied: frozenset[GoogleApi] = frozenset()
    throttle: int = 0
    slow_ms: float = 0.0
    cert_pending: frozenset[str] = frozenset()
    # Projects whose services still run the previous build (staging/prod image parity).
    lagging_projects: frozenset[str] = frozenset()
    # Resources that report no image: the runtime service (no container), the migrate job
    # (an empty image) or the newest execution (an empty image).
    imageless: frozenset[Literal["service", "job", "execution"]] = frozenset()
    # When set, every call must carry ``Authorization: Bearer <bearer>`` (else 401), as the real
    # APIs check the caller; the emulator convention sends none, so it is off by default.
    bearer: str = ""
    # Hostile APIs, each switch naming the APIs it breaks (``"run"`` includes the domain
    # mappings). The probes must end at their deadline with a named reason, whatever these do.
    # Every list answer carries a nextPageToken: after the real items, empty pages forever.
    endless_pages: frozenset[GoogleApi] = frozenset()
    # Headers at once, then the body one byte a second (common.TRICKLE_BYTE_INTERVAL_S).
    trickle: frozenset[GoogleApi] = frozenset()
    # Every answer is ~1 MiB of gzip that inflates to GZIP_BOMB_BYTES of JSON.
    gzip_bomb: frozenset[GoogleApi] = frozenset()
    # Requests are received and never answered.
    hang: frozenset[GoogleApi] = frozenset()


@dataclass(frozen=True)
class FleetSpec:
    """The faults of all four services of one simulated fleet, and of its Google Cloud APIs."""

    staging_control: ControlFaults = field(default_factory=ControlFaults)
    prod_control: ControlFaults = field(default_factory=ControlFaults)
    staging_runtime: RuntimeFaults = field(default_factory=RuntimeFaults)
    prod_runtime: RuntimeFaults = field(default_factory=RuntimeFaults)
    google: GoogleFaults = field(default_factory=GoogleFaults)
    google_world: GoogleWorld = field(default_factory=GoogleWorld)

    def with_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> FleetSpec:
        """The same faults, with this latency and jitter on all four services and Google."""
        return replace(
            self,
            staging_control=replace(
                self.staging_control, latency_ms=latency_ms, jitter_ms=jitter_ms
            ),
            prod_control=replace(self.prod_control, latency_ms=latency_ms, jitter_ms=jitter_ms),
            staging_runtime=replace(
                self.staging_runtime, latency_ms=latency_ms, jitter_ms=jitter_ms
            ),
            prod_runtime=replace(self.prod_runtime, latency_ms=latency_ms, jitter_ms=jitter_ms),
            google=replace(self.google, latency_ms=latency_ms, jitter_ms=jitter_ms),
        )


@dataclass(frozen=True)
class Scenario:
    """A named fleet with one known break, for the demo and the end-to-end tests."""

    name: str
    description: str
    spec: FleetSpec


# Staging control's /readyz is asked twice per run of the default matrix (its health and smoke
# checks): a window of two requests is one run.
READYZ_PER_RUN = 2
RECOVERS_AFTER_S = 5.0


def recovers_after(seconds: float) -> FleetSpec:
    """Staging control /readyz answers 503 for `seconds` after the fleet starts, then 200."""
    return FleetSpec(
        staging_control=ControlFaults(down_paths=frozenset({"/readyz"}), down_for_s=seconds)
    )


def _scenarios(*items: Scenario) -> dict[str, Scenario]:
    return {item.name: item for item in items}


SCENARIOS: dict[str, Scenario] = _scenarios(
    Scenario(
        "healthy",
        "Nothing is broken: every check passes, a GO.",
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
        "control-staging-smoke fail on the 10 s request timeout, and the run still ends.",
        FleetSpec(staging_control=ControlFaults(hang_paths=frozenset({"/readyz"}))),
    ),
    Scenario(
        "slow",
        "Every service answers after 100 ms: all checks pass, only slower "
        "(shows that the probes run concurrently).",
        FleetSpec().with_latency(100.0),
    ),
    Scenario(
        "image-drift",
        "The runtime-migrate job runs an older image than the runtime service: "
        "runtime-migration-drift fails because the service and job images differ.",
        FleetSpec(google=GoogleFaults(image_drift=True)),
    ),
    Scenario(
        "migration-failed",
        "The newest runtime-migrate execution ended Completed=CONDITION_FAILED (exit code 1): "
        "runtime-migration-drift fails because the newest migration did not succeed.",
        FleetSpec(google=GoogleFaults(executions="failed")),
    ),
    Scenario(
        "no-executions",
        "The runtime-migrate job has never been executed: runtime-migration-drift fails "
        "because there is no migration to vouch for the schema.",
        FleetSpec(google=GoogleFaults(executions="none")),
    ),
    Scenario(
        "canary-not-ready",
        "The control service's latest created revision failed to start and its terminal "
        "condition failed: control-canary-status fails (latest created is not latest ready).",
        FleetSpec(google=GoogleFaults(canary="latest_not_ready")),
    ),
    Scenario(
        "traffic-on-unready",
        "10% of the control service's traffic goes to a revision whose Ready condition failed: "
        "control-canary-status fails on traffic served by an unready revision.",
        FleetSpec(google=GoogleFaults(canary="traffic_on_unready")),
    ),
    Scenario(
        "error-flood",
        "25 identical ERROR entries and one CRITICAL in the control service's logs of the last "
        "10 minutes: control-error-log-probe fails on 26 entries in its window.",
        FleetSpec(google=GoogleFaults(error_entries=25)),
    ),
    Scenario(
        "backups-stale",
        "The newest openagents_web_staging backup is 30 h old: laravel-backup-freshness fails "
        "on its 24 h limit, which only matters with RUN_BACKUP_FRESHNESS_CHECK=1 (off by "
        "default, when every check passes).",
        FleetSpec(google=GoogleFaults(backups="stale")),
    ),
    Scenario(
        "google-denied",
        "Every Cloud Run call answers 403 PERMISSION_DENIED: runtime-migration-drift and "
        "control-canary-status fail naming every missing run.* permission; the domain mapping "
        "evidence records the 403; the Cloud Logging probes still pass.",
        FleetSpec(google=GoogleFaults(denied=frozenset({"run"}))),
    ),
    Scenario(
        "google-throttled",
        "Every distinct Google API call first answers 429 RESOURCE_EXHAUSTED once: all "
        "checks still pass, each Google one on a retry that its evidence records.",
        FleetSpec(google=GoogleFaults(throttle=1)),
    ),
    Scenario(
        "google-endless-pages",
        "Cloud Logging answers every entries:list page with another nextPageToken: both error "
        "log probes fail when a call reaches 100 requests, and the process still exits.",
        FleetSpec(google=GoogleFaults(endless_pages=frozenset({"logging"}))),
    ),
    Scenario(
        "google-trickle",
        "Cloud Run sends its headers at once, then one body byte a second: "
        "runtime-migration-drift and control-canary-status fail on the 10 s bound of a whole "
        "Google answer, the domain mapping evidence records it, and the process still exits.",
        FleetSpec(google=GoogleFaults(trickle=frozenset({"run"}))),
    ),
    Scenario(
        "google-gzip-bomb",
        "Cloud Logging answers with 1 MiB of gzip that inflates to 1 GiB: both error log "
        "probes fail on an answer larger than 8 MiB, without inflating it in memory.",
        FleetSpec(google=GoogleFaults(gzip_bomb=frozenset({"logging"}))),
    ),
    Scenario(
        "google-hang",
        "Every Google API (Cloud Run, Logging, Storage, domain mappings) takes requests and never "
        "answers: every Google check fails on the 10 s bound of a Google answer, the domain "
        "mapping evidence records it, and the process still exits.",
        FleetSpec(google=GoogleFaults(hang=frozenset({"run", "logging", "storage"}))),
    ),
    Scenario(
        "staging-cert-pending",
        "staging.openagents.com's certificate is still being provisioned (Ready and "
        "CertificateProvisioned Unknown): recorded as domain mapping evidence, nothing fails.",
        FleetSpec(google=GoogleFaults(cert_pending=frozenset({"staging.openagents.com"}))),
    ),
    Scenario(
        "htmx-feed-too-large",
        "Prod's HTMX feed fragment is 250,000 bytes: control-prod-htmx-perf fails its 180,000 "
        "byte size budget when the HTMX lane is on (the demo switches it on).",
        FleetSpec(prod_control=ControlFaults(feed_bytes=250_000)),
    ),
    Scenario(
        "htmx-slow-feed",
        "Staging's HTMX feed fragment starts answering after 900 ms: control-staging-htmx-perf "
        "fails its 700 ms time-to-first-byte budget when the HTMX lane is on.",
        FleetSpec(
            staging_control=ControlFaults(
                htmx_slow_routes=frozenset({"/feed/fragments/main"}), htmx_slow_ms=900.0
            )
        ),
    ),
    Scenario(
        "htmx-chat-no-location",
        "Staging POST /chat/new answers 200 without a Location header: "
        "control-staging-htmx-perf fails its chat probe, which has no thread to send to.",
        FleetSpec(staging_control=ControlFaults(chat_new_location=False)),
    ),
    Scenario(
        "version-skew",
        "Prod /healthz reports version 0.9.2+build.4790 while staging reports "
        "0.9.3+build.4821: a staging/prod parity check fails on the version.",
        FleetSpec(prod_control=ControlFaults(build_version="0.9.2+build.4790")),
    ),
    Scenario(
        "reset",
        "Staging control resets the connection halfway through the /manifest.json body: "
        "control-staging-smoke fails on a transport error, not on a parse error.",
        FleetSpec(staging_control=ControlFaults(reset_paths=frozenset({"/manifest.json"}))),
    ),
    Scenario(
        "trickle",
        "Prod control /readyz sends its headers at once and then one body byte a second: "
        "control-prod-health and control-prod-smoke fail on the 10 s request timeout, and the run "
        "still ends.",
        FleetSpec(prod_control=ControlFaults(trickle_paths=frozenset({"/readyz"}))),
    ),
    Scenario(
        "huge-manifest",
        "Prod control /manifest.json is a 64 MiB JSON body: control-prod-smoke fails on a "
        "body too large to read, without holding it in memory.",
        FleetSpec(prod_control=ControlFaults(huge_paths=frozenset({"/manifest.json"}))),
    ),
    Scenario(
        "redirect-away",
        "Staging control /api/v1/control/status answers 302 to the same path on another "
        "host: control-staging-smoke fails on the redirect, and that host must never "
        "receive the access token.",
        FleetSpec(
            staging_control=ControlFaults(redirect_paths=frozenset({"/api/v1/control/status"}))
        ),
    ),
    Scenario(
        "flapping",
        "Staging control /readyz answers 503 in every third run of the matrix (counted by "
        "request, two per run): control-staging-health and control-staging-smoke fail runs "
        "3, 6, 9… (for `watch`).",
        FleetSpec(
            staging_control=ControlFaults(
                flap_paths=frozenset({"/readyz"}), flap_every=3, flap_window=READYZ_PER_RUN
            )
        ),
    ),
    Scenario(
        "recovers-after",
        f"Staging control /readyz answers 503 for the first {RECOVERS_AFTER_S:g} s after the "
        "fleet starts, then 200: a NO-GO that becomes a GO (for `watch --until go`).",
        recovers_after(RECOVERS_AFTER_S),
    ),
    Scenario(
        "throttled",
        "Prod control /healthz first answers 429 with Retry-After: 0.2 once: all checks "
        "still pass, control-prod-health on a retry that its evidence records.",
        FleetSpec(prod_control=ControlFaults(throttle_paths=frozenset({"/healthz"}))),
    ),
)
