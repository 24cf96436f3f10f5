"""Serving the four simulated services and the Google APIs on 127.0.0.1, from async or sync code.

``serve_fleet`` is the one way a fleet is started: each service, and the simulated Google
Cloud APIs, gets a real aiohttp server on an ephemeral port, so probes talk real HTTP to
it. So does the fleet's other host, the target of the redirect fault, which is in
``Fleet.urls`` but never in ``Fleet.env()``: nothing should be pointed at it on purpose.
Shutdown must stay prompt even when a fault keeps requests hanging (or trickling), because
tests and the demo stop the fleet while such requests are still open. ``FleetThread`` wraps
the same thing for synchronous tests that run the CLI as a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from aiohttp import web

from .common import HangingHandlers, RecordedRequest
from .control import ControlService
from .faults import FleetSpec
from .google.app import GoogleService
from .redirect_target import REDIRECT_TARGET_URL, redirect_target_app
from .runtime import RuntimeService

ENVIRONMENTS = ("staging", "prod")
# The variables by which the Google lanes find an emulator; all three name the one Google app.
GOOGLE_EMULATOR_VARIABLES = (
    "CLOUD_RUN_EMULATOR_HOST",
    "CLOUD_LOGGING_EMULATOR_HOST",
    "STORAGE_EMULATOR_HOST",
)

# aiohttp's backstop for handlers that are still running at shutdown; hanging ones
# are cancelled before it applies, so it only bounds the unexpected.
_SHUTDOWN_TIMEOUT_S = 0.5
_THREAD_START_TIMEOUT_S = 10.0
_THREAD_STOP_TIMEOUT_S = 5.0


class Fleet:
    """A running fleet: where it listens, which tokens it accepts, what it saw."""

    def __init__(self, spec: FleetSpec, tokens: dict[str, str]) -> None:
        self.spec = spec
        self.tokens = tokens
        self.urls: dict[str, str] = {}
        self.google_url = ""
        self.requests: list[RecordedRequest] = []
        self.issued_sync_tokens: list[str] = []
        # The chat thread ids each environment's control service created, in order.
        self.chat_threads: dict[str, list[str]] = {env: [] for env in ENVIRONMENTS}
        # Every Cloud Logging filter received, verbatim: what a probe asked for is the evidence
        # that it bounded its window, whatever the fake then answered.
        self.log_filters: list[str] = []

    def env(self, *, with_tokens: bool = True, with_google: bool = True) -> dict[str, str]:
        """The environment variables that point the probes at this fleet.

        ``with_google=False`` leaves the emulator variables out, so that without Google
        credentials the Google lanes are skipped as on a machine that has none.
        """
        variables = {name: url for name, url in self.urls.items() if name != REDIRECT_TARGET_URL}
        if with_tokens:
            for env in ENVIRONMENTS:
                variables[f"{env.upper()}_CONTROL_ACCESS_TOKEN"] = self.tokens[env]
        if with_google and self.google_url:
            for variable in GOOGLE_EMULATOR_VARIABLES:
                variables[variable] = self.google_url
        return variables

    def __repr__(self) -> str:
        # Deliberately leaves the tokens out: a repr ends up in test failure output.
        return (
            f"Fleet(urls={self.urls!r}, google_url={self.google_url!r}, "
            f"requests={len(self.requests)})"
        )


def _resolve_tokens(tokens: dict[str, str] | None) -> dict[str, str]:
    given = tokens or {}
    unknown = set(given) - set(ENVIRONMENTS)
    if unknown:
        raise ValueError(f"tokens has unknown environments: {sorted(unknown)}")
    return {env: given.get(env) or secrets.token_urlsafe(24) for env in ENVIRONMENTS}


def _apps(fleet: Fleet, hanging: HangingHandlers) -> dict[str, web.Application]:
    spec = fleet.spec
    control_faults = {"staging": spec.staging_control, "prod": spec.prod_control}
    runtime_faults = {"staging": spec.staging_runtime, "prod": spec.prod_runtime}
    apps: dict[str, web.Application] = {}
    for env in ENVIRONMENTS:
        apps[f"{env.upper()}_CONTROL_BASE_URL"] = ControlService(
            env=env,
            faults=control_faults[env],
            access_token=fleet.tokens[env],
            record=fleet.requests.append,
            hanging=hanging,
            on_sync_token=fleet.issued_sync_tokens.append,
            on_chat_thread=fleet.chat_threads[env].append,
            redirect_target=fleet.urls[REDIRECT_TARGET_URL],
        ).app()
    for env in ENVIRONMENTS:
        apps[f"{env.upper()}_RUNTIME_BASE_URL"] = RuntimeService(
            env=env, faults=runtime_faults[env], record=fleet.requests.append, hanging=hanging
        ).app()
    return apps


@asynccontextmanager
async def serve_fleet(
    spec: FleetSpec | None = None, *, tokens: dict[str, str] | None = None
) -> AsyncIterator[Fleet]:
    """Serve the four services and the Google APIs on 127.0.0.1 until the block exits."""
    fleet = Fleet(spec or FleetSpec(), _resolve_tokens(tokens))
    hanging = HangingHandlers()
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    try:
        # First: the services' redirect faults need to know where it listens.
        fleet.urls[REDIRECT_TARGET_URL] = await start(
            redirect_target_app(record=fleet.requests.append, hanging=hanging)
        )
        for variable, app in _apps(fleet, hanging).items():
            fleet.urls[variable] = await start(app)
        fleet.google_url = await start(
            GoogleService(
                faults=fleet.spec.google,
                world=fleet.spec.google_world,
                record=fleet.requests.append,
                hanging=hanging,
                on_log_filter=fleet.log_filters.append,
            ).app()
        )
        yield fleet
    finally:
        hanging.cancel_all()
        await asyncio.gather(*(runner.cleanup() for runner in runners))


class FleetThread:
    """A fleet served from a daemon thread with its own event loop, for sync tests."""

    def __init__(
        self, spec: FleetSpec | None = None, *, tokens: dict[str, str] | None = None
    ) -> None:
        self._spec = spec
        self._tokens = tokens
        self._ready = threading.Event()
        self._fleet: Fleet | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="simulated-fleet", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the caller of __enter__
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve_fleet(self._spec, tokens=self._tokens) as fleet:
            self._fleet = fleet
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> Fleet:
        self._thread.start()
        if not self._ready.wait(_THREAD_START_TIMEOUT_S):
            raise RuntimeError("the simulated fleet did not start in time")
        if self._fleet is None:
            raise RuntimeError("the simulated fleet failed to start") from self._error
        return self._fleet

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            # The loop may end on its own between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(_THREAD_STOP_TIMEOUT_S)
