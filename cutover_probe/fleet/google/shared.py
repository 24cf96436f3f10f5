"""What the simulated Google APIs share: Google's error bodies, page tokens and the base of each
API's class (its faults, its world, and the permission check every route makes first).

Each API is its own module (`cloudrun.py`, `domains.py`, `cloudlogging.py`, `storage.py`); this
one holds only what two or more of them need, so a change to one API's fake touches one file.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from ..common import json_response
from ..faults import GoogleApi, GoogleFaults, GoogleWorld

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
}


def digest(*parts: str) -> str:
    """A stable stand-in for the ids, etags and hashes Google makes up."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def google_error(code: int, message: str, *, extra: dict[str, Any] | None = None) -> web.Response:
    """Google's error body: ``{"error": {"code", "message", "status", ...}}``."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": _STATUS_NAMES.get(code, "UNKNOWN"),
    }
    error.update(extra or {})
    return json_response(code, {"error": error})


def permission_denied(api: GoogleApi, permission: str, resource: str) -> web.Response:
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


def run_not_found(kind: str, name: str, region: str, project: str) -> web.Response:
    return google_error(
        404,
        f"Resource '{name}' of kind '{kind}' in region '{region}' in project '{project}' "
        "does not exist.",
    )


def page_offset(token: object) -> int | None:
    """The position a page token stands for: these fakes' tokens are plain offsets."""
    if token in (None, ""):
        return 0
    if isinstance(token, str) and token.isdigit():
        return int(token)
    return None


class FakeApi:
    """One simulated Google API of the project: its faults, its world, and the IAM check."""

    def __init__(self, *, faults: GoogleFaults, world: GoogleWorld) -> None:
        self.faults = faults
        self.world = world

    def denied(self, api: GoogleApi, permission: str, resource: str) -> web.Response | None:
        """The 403 the ``denied`` fault gives this call, or None to go on."""
        if api in self.faults.denied:
            return permission_denied(api, permission, resource)
        return None
