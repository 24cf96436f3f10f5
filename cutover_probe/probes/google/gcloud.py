"""Google Cloud plumbing shared by the Google lanes: credentials, emulators, clients, retries.

Importing this module is cheap; the Google libraries (~0.5 s) are imported inside the functions
that build clients, so a run whose Google checks are all off never loads them.

Credentials are Application Default Credentials. An emulator, by Google's convention, is named by
an ``*_EMULATOR_HOST`` variable (``http://127.0.0.1:9000`` or ``127.0.0.1:9000``): that API's
client then talks to it with anonymous credentials. `call` retries 429/500/503 itself, within the
check's deadline, and counts every attempt into the check's evidence.

Every wait is bounded and nothing can keep the process alive. The client libraries block, so
each call runs in a daemon thread of its own (`in_thread`), never in anyio's worker threads,
which the interpreter joins at exit: an abandoned call cannot hold the process. Each attempt of
a call has a `Budget`, a total deadline (CALL_TIMEOUT_S, cut to the check's deadline) and a
byte and request allowance for all its pages together, which googlehttp.py's transport enforces
on every request the libraries send from that thread; when the budget runs out on the event
loop's side first, the call is abandoned and its socket shut.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
from anyio.lowlevel import RunVar

from cutover_probe.errors import CheckFailed, ConnectFailed, ProbeTimeout
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.google import permissions
from cutover_probe.probes.google.access import (
    API_NAMES,
    HOW_TO_AUTHENTICATE,
    GcloudLogin,
)
from cutover_probe.probes.google.access import Api as Api
from cutover_probe.probes.google.access import Endpoint as Endpoint
from cutover_probe.probes.google.access import credentials_skip_reason as credentials_skip_reason
from cutover_probe.probes.google.access import endpoint as endpoint

# Google's libraries import each other in circles (requests, urllib3, google.auth, api_core):
# two worker threads importing them at once can hit Python's import-lock deadlock detection.
# Every import of theirs goes through `library`, one at a time.
_IMPORTS = threading.Lock()
# One attempt of a call, every page of it included, from connect to the last byte.
CALL_TIMEOUT_S = 10.0
# The most one call may read, after decompression, all pages together: the probes read lists of
# dozens of items, so anything near this is a server gone wrong, and memory must stay flat.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
# The most requests one call may send: a list that hands out page tokens without end stops here.
MAX_REQUESTS = 100
# How long past its budget the event loop waits for a call's thread to report its own reason.
_ABANDON_GRACE_S = 0.5
# Google calls wait on the network in threads; a limit keeps a hundred environments' calls from
# starting a thousand threads at once.
MAX_CONCURRENT_CALLS = 128
_THREADS: RunVar[anyio.CapacityLimiter] = RunVar("cutover_probe_google_threads")


def _threads() -> anyio.CapacityLimiter:
    """One limiter per event loop (a RunVar): tests and the demo run several loops in turn."""
    try:
        return _THREADS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(MAX_CONCURRENT_CALLS)
        _THREADS.set(limiter)
        return limiter


MAX_ATTEMPTS = 4
RETRY_STATUSES = (429, 500, 503)
T = TypeVar("T")


class AnswerRefused(Exception):
    """A Google answer the transport would not read to its end; str() says why."""


class OutOfTime(AnswerRefused):
    """The call's budget ran out (or it was cancelled) before its answer was complete."""


class Budget:
    """What one attempt of one call may spend: time until ``deadline`` (monotonic), bytes,
    requests. Shared by the event loop (which may cancel it) and the call's thread (which
    spends it); a plain object, as the thread's requests update its counts."""

    def __init__(self, api: Api, seconds: float, not_after: float = math.inf) -> None:
        self.api = api
        self._asked = seconds
        self._not_after = not_after
        self.begin()
        self.requests = 0
        self.received = 0
        self.cancelled = False
        self._socket: socket.socket | None = None

    def begin(self) -> None:
        """Start the clock: ``seconds`` from now, but never past ``not_after`` (monotonic).
        `in_thread` starts it again once the call has a thread: waiting for one of the
        MAX_CONCURRENT_CALLS is not the API's slowness (at 1000 environments, 2,000 calls
        "timed out" while they were only queued behind the limiter)."""
        now = time.monotonic()
        self.seconds = max(min(self._asked, self._not_after - now), 0.0)
        self.deadline = now + self.seconds

    @property
    def name(self) -> str:
        return API_NAMES[self.api]

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> float:
        """The time left, or OutOfTime: called before every request and every read."""
        left = self.remaining()
        if self.cancelled or left <= 0:
            raise OutOfTime(self.out_of_time())
        return left

    def out_of_time(self) -> str:
        pages = f" (after {self.requests} requests)" if self.requests > 1 else ""
        return f"no complete answer within {round(self.seconds, 1):g}s{pages}"

    def start_request(self) -> float:
        self.check()
        if self.requests >= MAX_REQUESTS:
            raise AnswerRefused(f"{self.name} still paging after {MAX_REQUESTS} requests")
        self.requests += 1
        return self.check()

    def room(self) -> int:
        """Bytes the call may still read; a read of more is AnswerRefused (`too_large`)."""
        return MAX_ANSWER_BYTES - self.received

    def too_large(self) -> AnswerRefused:
        return AnswerRefused(f"{self.name} answer larger than {MAX_ANSWER_BYTES // 2**20} MiB")

    def reading(self, sock: socket.socket | None) -> None:
        """The socket the call's thread is reading now (None: none), for `cancel` to shut."""
        self._socket = sock
        if sock is not None and self.cancelled:
            self.cancel()

    def cancel(self) -> None:
        """From any thread: the call's next step fails, and a read blocked now returns."""
        self.cancelled = True
        sock = self._socket
        if sock is not None:
            # socket.socket's own shutdown, not ssl.SSLSocket's (which would tear down the TLS
            # object under the reading thread): the blocked recv returns, the thread ends.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_local = threading.local()


def current_budget() -> Budget | None:
    """The budget of the call running in this thread (None outside `call`)."""
    budget: Budget | None = getattr(_local, "budget", None)
    return budget


async def in_thread(function: Callable[[], T], budget: Budget | None = None) -> T:
    """Run a blocking function in a daemon thread (a pooled one, workers.py) and wait for it.

    Not anyio's worker threads: the interpreter joins those at exit, so a call blocked in a
    socket read would hold the process after the report is written, and Ctrl-C with it. A
    daemon thread is abandoned at exit. Cancelling the wait cancels ``budget`` (the thread's
    next step fails and its socket is shut); without a budget the function runs to its end.
    """
    async with _threads():
        import asyncio  # here, not at the top: `plan` imports this module without a loop

        if budget is not None:
            budget.begin()

        loop = asyncio.get_running_loop()
        done = anyio.Event()
        outcome: dict[str, Any] = {}

        def work() -> None:
            _local.budget = budget
            try:
                outcome["value"] = function()
            except BaseException as exc:  # handed to the waiting task, raised there
                outcome["error"] = exc
            finally:
                _local.budget = None
                # Scheduled, not waited for (anyio.from_thread.run_sync waits): the thread is
                # free for the next call at once instead of after the busy loop's lag (0.6 s
                # at 100 environments, so 130 threads). The loop may be gone (the run ended
                # without us): nobody waits then.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(done.set)

        from cutover_probe.probes.google.workers import WORKERS

        WORKERS.submit(work)  # a daemon thread, kept for the next call (workers.py)
        try:
            if budget is None:
                await done.wait()
            else:
                with anyio.move_on_after(budget.remaining() + _ABANDON_GRACE_S):
                    await done.wait()
                if not done.is_set():
                    budget.cancel()
                    raise OutOfTime(budget.out_of_time())
        except anyio.get_cancelled_exc_class():
            if budget is not None:
                budget.cancel()
            raise
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["value"]
    return result


def _imported(names: tuple[str, ...]) -> Any:
    """The first of ``names`` if every one of them is imported (and none still being
    imported by another thread), else None."""
    modules = [sys.modules.get(name) for name in names]
    if all(
        module is not None and not getattr(module.__spec__, "_initializing", True)
        for module in modules
    ):
        return modules[0]
    return None


def library(name: str) -> Any:
    """Import one of Google's modules (or requests), serialised with every other such import.

    A module already imported is returned without the lock: run_v2's import holds it for
    ~0.5 s of CPU, and a domain mapping read that needed only what was long loaded waited
    behind it. One still being imported by another thread (``__spec__._initializing``, set by
    Python's import system while the module's code runs) takes the lock like a new one."""
    module = sys.modules.get(name)
    if module is not None and not getattr(module.__spec__, "_initializing", True):
        return module
    with _IMPORTS:
        return importlib.import_module(name)


def credentials(target: Endpoint) -> Any:
    if target.anonymous:
        return library("google.auth.credentials").AnonymousCredentials()
    if target.gcloud is not None:
        return gcloud_credentials(target.gcloud)
    auth = library("google.auth")
    try:
        creds, _ = auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except auth.exceptions.DefaultCredentialsError:
        raise CheckFailed(HOW_TO_AUTHENTICATE) from None
    return creds


# --- gcloud's login, when there are no Application Default Credentials -----------------------
# The seed's lanes needed only `gcloud auth login`; people have that more often than ADC. Its
# access token comes from `gcloud auth print-access-token`, run when google-auth needs one.

GCLOUD_TIMEOUT_S = 20.0
GCLOUD_TOKEN_LIFETIME_S = (
    600.0  # gcloud caches ~1 h tokens; asking again every few minutes is cheap
)
MAX_GCLOUD_OUTPUT = 64 * 1024


def gcloud_credentials(login: GcloudLogin) -> Any:
    """google-auth user credentials whose refresh runs `gcloud auth print-access-token`."""
    oauth2 = library("google.oauth2.credentials")
    exceptions = library("google.auth.exceptions")

    def refresh(_request: Any, scopes: Any) -> tuple[str, datetime]:
        try:
            token = print_access_token(login)
        except GcloudFailed as exc:
            raise exceptions.RefreshError(str(exc)) from None
        # google-auth compares a naive UTC expiry.
        expiry = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=GCLOUD_TOKEN_LIFETIME_S)
        return token, expiry

    return oauth2.Credentials(token=None, refresh_handler=refresh)


class GcloudFailed(Exception):
    """`gcloud auth print-access-token` gave no token."""


def print_access_token(login: GcloudLogin) -> str:
    """Run gcloud with a bounded wait and bounded output (it is text from outside)."""
    command = [login.program, "auth", "print-access-token", f"--account={login.account}"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            code = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=dict(login.environ),
                timeout=GCLOUD_TIMEOUT_S,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            raise GcloudFailed(
                f"gcloud auth print-access-token gave no token within {GCLOUD_TIMEOUT_S:g}s"
            ) from None
        except OSError as exc:
            raise GcloudFailed(f"gcloud auth print-access-token: {exc.strerror}") from None
        out.seek(0)
        err.seek(0)
        token = out.read(MAX_GCLOUD_OUTPUT).decode("utf-8", "replace").strip()
        problem = err.read(MAX_GCLOUD_OUTPUT).decode("utf-8", "replace").strip()
    first = problem.splitlines()[0][:200] if problem else f"exit status {code}"
    if code != 0 or not token or len(token.split()) != 1:
        raise GcloudFailed(f"gcloud auth print-access-token failed: {first}")
    return token


def note_credentials(ctx: ProbeContext, target: Endpoint) -> None:
    """Say once in a check's log, and in its details, that it acts as gcloud's login."""
    if target.gcloud is None or "credentials" in ctx.details:
        return
    ctx.details["credentials"] = target.gcloud.describe
    ctx.log(f"credentials: {target.gcloud.describe} (no Application Default Credentials)")


def client_options(target: Endpoint) -> dict[str, str]:
    return {"api_endpoint": target.url} if target.url else {}


async def call(
    ctx: ProbeContext,
    target: Endpoint,
    what: str,
    permission: str,
    function: Callable[[], T],
    *,
    scope: str = "",
) -> T:
    """Run one blocking Google call in a worker thread, retrying 429/500/503 with backoff.

    Every attempt is an evidence line; the failure reason names the cause a user can act on
    (a missing IAM permission, a refused connection, a timeout). ``scope`` is where the call's
    resource lives (``projects/ID/…`` or ``gs://BUCKET``), for the grant command of a 403.
    """
    note_credentials(ctx, target)
    # api_core's import pulls in grpc (~50 ms): keep it off the event loop like the call
    # itself; once done, a thread's round trip for it is a thread hand-off per call for nothing.
    gexc = _imported(BASE_LIBRARIES) or await in_thread(_api_exceptions)
    delay = 0.2
    for attempt in range(1, MAX_ATTEMPTS + 1):
        ctx.attempts += 1
        started = time.monotonic()
        budget = Budget(target.api, CALL_TIMEOUT_S, _not_after(ctx))
        try:
            result = await in_thread(function, budget)
        except OutOfTime as exc:
            failure: CheckFailed = ProbeTimeout(f"{what}: timeout, {exc} from {target.where}")
            ctx.log(f"{what} -> {failure}")
            raise failure from None
        except AnswerRefused as exc:
            ctx.log(f"{what} -> {exc} ({budget.requests} requests)")
            raise CheckFailed(f"{what}: {exc}") from None
        except gexc.GoogleAPICallError as exc:
            elapsed = (time.monotonic() - started) * 1000
            code = exc.code or 0
            ctx.log(f"{what} -> {code} {type(exc).__name__} ({elapsed:.0f} ms, attempt {attempt})")
            if isinstance(exc, gexc.PermissionDenied | gexc.Forbidden):
                raise _denied(ctx, target, what, exc, permission, scope) from None
            if isinstance(exc, gexc.Unauthenticated | gexc.Unauthorized):
                raise CheckFailed(f"{what}: credentials rejected: {_first_line(exc)}") from None
            if isinstance(exc, gexc.NotFound):
                raise CheckFailed(f"{what}: not found") from None
            if code in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                await anyio.sleep(delay)
                delay *= 2
                continue
            suffix = f" after {attempt} attempts" if attempt > 1 else ""
            raise CheckFailed(f"{what}: {code} {_first_line(exc)}{suffix}") from None
        except Exception as exc:  # requests' and google.auth's transport errors
            raise _transport_failure(ctx, target, what, exc) from None
        elapsed = (time.monotonic() - started) * 1000
        retried = f", after {attempt - 1} retries" if attempt > 1 else ""
        ctx.log(f"{what} -> ok ({elapsed:.0f} ms{retried})")
        if attempt > 1:
            ctx.details.setdefault("retried", []).append(f"{what}: passed on attempt {attempt}")
        return result
    raise AssertionError("unreachable")  # pragma: no cover


async def call_all(
    ctx: ProbeContext,
    target: Endpoint,
    calls: Mapping[str, tuple[str, str, Callable[[], Any]]],
    *,
    scope: str = "",
) -> dict[str, Any]:
    """Several independent calls at once (each `call`'s retries and evidence); results by key.

    A denied call lets the others finish, so the reason lists every permission the check lacks
    whichever answer came first; any other failure cancels the rest and is the reason."""
    found: dict[str, Any] = {}
    denied: list[PermissionDenied] = []

    async def one(key: str, what: str, permission: str, function: Callable[[], Any]) -> None:
        try:
            found[key] = await call(ctx, target, what, permission, function, scope=scope)
        except PermissionDenied as exc:
            denied.append(exc)

    async with anyio.create_task_group() as group:
        for key, (what, permission, function) in calls.items():
            group.start_soon(one, key, what, permission, function)
    if denied:
        raise PermissionDenied(permissions.check_reason(ctx.details))
    return found


class PermissionDenied(CheckFailed):
    """A Google call answered 403. Its text is the reason for every permission the check was
    denied so far (`permissions.check_reason`), never the library's message."""


def _denied(
    ctx: ProbeContext,
    target: Endpoint,
    what: str,
    exc: Any,
    declared: str,
    scope: str,
) -> PermissionDenied:
    """Record a 403's permission in the check's details; the reason from the set, sorted."""
    permission = permissions.denied_permission(exc, declared)
    if target.anonymous:  # an emulator's caller is nobody's account
        who = permissions.MEMBER_PLACEHOLDER
    else:
        account = target.gcloud.account if target.gcloud is not None else None
        who = permissions.member(account, ctx.environ)
    line = permissions.record(ctx.details, permission, scope, who)
    ctx.log(f"{what}: permission {permission} denied" + (f"; grant with: {line}" if line else ""))
    return PermissionDenied(permissions.check_reason(ctx.details))


def _not_after(ctx: ProbeContext) -> float:
    """When a call must end at the latest: a moment before the check's deadline, so that it
    fails with its own reason before the engine would cancel the check without one."""
    return ctx.deadline - 2 * _ABANDON_GRACE_S if ctx.deadline else math.inf


def _api_exceptions() -> Any:
    # What every call needs, imported at the first call before any client library, so the
    # calls that need no more (the domain mapping reads) never wait behind run_v2's import.
    for name in BASE_LIBRARIES:
        library(name)
    return library("google.api_core.exceptions")


BASE_LIBRARIES = (
    "google.api_core.exceptions",
    "requests",
    "google.auth.transport.requests",
    "cutover_probe.probes.google.googlehttp",
)


def _transport_failure(
    ctx: ProbeContext, target: Endpoint, what: str, exc: Exception
) -> CheckFailed:
    requests = library("requests")
    text = str(exc)
    if isinstance(exc, requests.exceptions.Timeout):  # a client's own timeout, not a budget's
        failure: CheckFailed = ProbeTimeout(f"{what}: timeout, no answer from {target.where}")
    elif isinstance(exc, requests.exceptions.ConnectionError):
        cause = "connection refused" if "refused" in text.lower() else "cannot connect"
        failure = ConnectFailed(f"{what}: {cause} to {target.where}")
    else:
        failure = CheckFailed(f"{what}: {type(exc).__name__}: {_first_line(exc)}")
    ctx.log(f"{what} -> {failure}")
    return failure


# api_core prefixes an HTTP error's message with the request ("GET https://…?%24alt=json…: "):
# transport noise in a reason, and the URL is in the evidence already.
_REQUEST_PREFIX = re.compile(r"^(?:GET|POST|PUT|PATCH|DELETE|HEAD) \S+: ")


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "message", None) or exc).strip()
    line = message.splitlines()[0] if message else ""
    return _REQUEST_PREFIX.sub("", line) or type(exc).__name__


def session(target: Endpoint, creds: Any) -> Any:
    """A requests session for the clients that take one (Cloud Logging, Cloud Storage, the
    domain mapping reads), every request through googlehttp's bounded transport."""
    if target.anonymous:
        made = library("requests").Session()
    else:
        made = library("google.auth.transport.requests").AuthorizedSession(creds)
    return bound(made, target)


def bound(made: Any, target: Endpoint) -> Any:
    """Mount the bounded transport on a requests session a client built for itself (run_v2's
    REST transports build their own AuthorizedSession)."""
    googlehttp = library("cutover_probe.probes.google.googlehttp")
    adapter = googlehttp.BoundedAdapter(target.api)
    made.mount("https://", adapter)
    made.mount("http://", adapter)
    made.merge_environment_settings = googlehttp.environment_once(made.merge_environment_settings)
    return made


def age_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
