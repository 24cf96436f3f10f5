"""The control service checks, with the corrected rules of the reference doc.

health: rule 1 (/healthz and /readyz answer 200). smoke: rules 1 to 6 — status route auth,
manifest version and cache policy, service worker cache policy, the manifest's entry.js cache
policy by whether its name is content-hashed, and with a token the session and sync-token routes.
Independent requests run at once; the entry.js request waits for the manifest that names it.
"""

from __future__ import annotations

import functools
import json
import re

from cutover_probe.errors import AssertionFailed
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.httpclient import Response, fetch, join_url
from cutover_probe.probes.params import ControlHealthParams, ControlSmokeParams
from cutover_probe.probes.rules import Rule, run_rules, verdict
from cutover_probe.secrets import Secret

MANIFEST_VERSION = "openagents.webshell.v2"
# A content hash: a dash, then 8 or more letters or digits, right before the extension.
HASHED_NAME = re.compile(r"-[A-Za-z0-9]{8,}\.[A-Za-z0-9]+$")
SESSION_ROUTES = ("/api/auth/session", "/api/v1/auth/session")
SYNC_TOKEN_ROUTES = ("/api/sync/token", "/api/v1/sync/token")


async def run_health(ctx: ProbeContext, params: ControlHealthParams) -> str | None:
    base = params.base_url
    verdict(await run_rules(ctx, _health_rules(ctx, base)))
    return None


async def run_smoke(ctx: ProbeContext, params: ControlSmokeParams) -> str | None:
    base = params.base_url
    token = params.access_token
    scopes = list(params.sync_scopes)
    rules: list[Rule] = [
        *_health_rules(ctx, base),
        ("status route", lambda: _status_route(ctx, base, token)),
        ("manifest and entry.js", lambda: _manifest_and_entry(ctx, base)),
        ("sw.js", lambda: _no_cache(ctx, join_url(base, "/sw.js"))),
    ]
    if token:
        rules += [
            (f"session {route}", functools.partial(_session, ctx, base, route, token))
            for route in SESSION_ROUTES
        ]
        rules += [
            (f"sync token {route}", functools.partial(_sync_token, ctx, base, route, token, scopes))
            for route in SYNC_TOKEN_ROUTES
        ]
    else:
        ctx.log("no access token for this environment: session and sync-token routes not checked")
    verdict(await run_rules(ctx, rules))
    return None if token else "passed without a token: auth routes not checked"


def _health_rules(ctx: ProbeContext, base: str) -> list[Rule]:
    return [
        ("/readyz", lambda: _expect_status(ctx, join_url(base, "/readyz"), 200)),
        ("/healthz", lambda: _expect_status(ctx, join_url(base, "/healthz"), 200)),
    ]


async def _expect_status(ctx: ProbeContext, url: str, status: int) -> None:
    response = await fetch(ctx, "GET", url)
    if response.status != status:
        raise AssertionFailed(f"answered {response.describe_status()}, expected {status}")


async def _status_route(ctx: ProbeContext, base: str, token: Secret) -> None:
    url = join_url(base, "/api/v1/control/status")
    response = await fetch(ctx, "GET", url, token=token or None)
    if token and response.status != 200:
        raise AssertionFailed(
            f"answered {response.describe_status()} with the access token, expected 200"
        )
    if not token and response.status not in (200, 401):
        raise AssertionFailed(
            f"answered {response.describe_status()} without a token, expected 200 or 401"
        )


async def _manifest_and_entry(ctx: ProbeContext, base: str) -> None:
    response = await fetch(ctx, "GET", join_url(base, "/manifest.json"))
    if response.status != 200:
        raise AssertionFailed(f"/manifest.json answered {response.describe_status()}, expected 200")
    problems = []
    if not _no_cache_directive(response):
        problems.append(_cache_problem("/manifest.json", "no-cache", response))
    try:
        manifest = response.json()
    except AssertionFailed as exc:
        raise AssertionFailed("; ".join([*problems, str(exc)])) from None
    version = manifest.get("manifestVersion") if isinstance(manifest, dict) else None
    if version != MANIFEST_VERSION:
        problems.append(f"manifestVersion is {version!r}, expected {MANIFEST_VERSION!r}")
    entry = manifest.get("entry") if isinstance(manifest, dict) else None
    entry_js = entry.get("js") if isinstance(entry, dict) else None
    if not isinstance(entry_js, str) or not entry_js:
        problems.append("manifest has no entry.js")
    else:
        problem = await _entry_asset(ctx, base, entry_js)
        if problem:
            problems.append(problem)
    if problems:
        raise AssertionFailed("; ".join(problems))


async def _entry_asset(ctx: ProbeContext, base: str, entry_js: str) -> str | None:
    path = entry_js if entry_js.startswith("/") else "/" + entry_js
    response = await fetch(ctx, "HEAD", join_url(base, path))
    if response.status != 200:
        return f"entry.js {path} answered {response.describe_status()}, expected 200"
    cache_control = response.header("cache-control")
    directives = response.cache_control
    if HASHED_NAME.search(path):
        if "immutable" not in directives:
            return _cache_problem(f"content-hashed entry.js {path}", "immutable", response)
    elif not (directives.get("max-age") or "").isdigit():
        return _cache_problem(f"entry.js {path}", "max-age=", response)
    ctx.log(
        f"entry.js {path}: {'hashed' if HASHED_NAME.search(path) else 'not hashed'}, "
        f"Cache-Control {cache_control!r}"
    )
    return None


async def _no_cache(ctx: ProbeContext, url: str) -> None:
    response = await fetch(ctx, "GET", url)
    if response.status != 200:
        raise AssertionFailed(f"answered {response.describe_status()}, expected 200")
    if not _no_cache_directive(response):
        raise AssertionFailed(_cache_problem("", "no-cache", response).lstrip())


def _no_cache_directive(response: Response) -> bool:
    """An unqualified no-cache: the whole response is revalidated before reuse. (With a field
    list, ``no-cache="Set-Cookie"``, the rest may be served from a cache unchecked.)"""
    directives = response.cache_control
    return "no-cache" in directives and directives["no-cache"] is None


def _cache_problem(what: str, wanted: str, response: Response) -> str:
    got = response.header("cache-control") or "no Cache-Control header"
    return f"{what} Cache-Control {got!r} lacks {wanted!r}".strip()


async def _session(ctx: ProbeContext, base: str, route: str, token: Secret) -> None:
    response = await fetch(ctx, "GET", join_url(base, route), token=token)
    if response.status != 200:
        raise AssertionFailed(f"answered {response.describe_status()}, expected 200")
    body = response.json()
    if not (isinstance(body, dict) and isinstance(body.get("data"), dict)):
        raise AssertionFailed("answered 200 without a data object")


async def _sync_token(
    ctx: ProbeContext, base: str, route: str, token: Secret, scopes: list[str]
) -> None:
    response = await fetch(
        ctx, "POST", join_url(base, route), token=token, json_body={"scopes": scopes}
    )
    issued = _issued_token(response.body)
    if issued:
        ctx.learn_secret(issued)
    if response.status != 200:
        raise AssertionFailed(f"answered {response.describe_status()}, expected 200")
    if not issued:
        raise AssertionFailed("answered 200 without data.token")


def _issued_token(body: bytes) -> str | None:
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    token = data.get("token") if isinstance(data, dict) else None
    return token if isinstance(token, str) and token else None
