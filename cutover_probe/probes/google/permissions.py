"""Denied Google permissions: every one a check met, and the one command that grants them.

A 403 is the one Google failure a user can fix in a minute, if told exactly what is missing.
Checks call APIs concurrently, so a reason taken from the first call to fail named whichever
permission lost the race, and carried the client library's transport text with it. Here each
denied call adds its permission to the check's ``details["permissions_denied"]``
(``{"permissions", "roles", "grant"}``, each sorted, no repeats), and the reason is built from
that set alone: the same on every run, whatever the order the answers came in. The reason names
the role (one short line); the full ``gcloud … add-iam-policy-binding`` commands are in the log,
SUMMARY.md's ``## Permissions missing`` and the end-of-run lines, for the run's union.

The permission is read from the error's structure (google.rpc.ErrorInfo's ``permission``, then
the ``Permission '…'`` of its message), falling back on the one the caller declared. It is text
from outside: only a well-formed permission name is believed.

Roles are Google's least-privilege predefined ones for what the probes read (the mapping is in
docs/checks.md): ``roles/run.viewer`` for ``run.*`` get/list, ``roles/logging.viewer`` for
``logging.logEntries.list``, ``roles/storage.objectViewer`` for ``storage.objects.get/list``
(granted on the bucket, not the project: it is enough and narrower). The member is the caller's
account when it is known for certain (gcloud's login, a service account key file); otherwise the
placeholder ``MEMBER``: a guessed account would grant the wrong principal.

No Google library is imported: report rendering uses this module too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DETAILS_KEY = "permissions_denied"
MEMBER_PLACEHOLDER = "MEMBER"
PROJECT_PLACEHOLDER = "PROJECT"
# service.resource.verb, as IAM spells every permission; anything else is not believed.
_PERMISSION = re.compile(r"[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z][a-zA-Z0-9]*){2}")
_IN_MESSAGE = re.compile(r"Permission '([^']{1,100})'")
# Project ids, legacy domain-scoped ones (example.com:project) included: nothing a shell reads.
_PROJECT_ID = re.compile(r"[a-z0-9][a-z0-9.:-]{0,99}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,100}@[A-Za-z0-9.-]{1,200}")
_MAX_KEY_FILE = 64 * 1024
# Exact permissions first, then (service, verb) for the read verbs of a service.
_ROLES = {
    "logging.logEntries.list": "roles/logging.viewer",
    "storage.objects.get": "roles/storage.objectViewer",
    "storage.objects.list": "roles/storage.objectViewer",
}
_READ_VERBS = ("get", "list")
_READ_ROLES = {"run": "roles/run.viewer"}


def role_for(permission: str) -> str | None:
    """The least-privilege predefined role granting ``permission``, when this module knows it."""
    if permission in _ROLES:
        return _ROLES[permission]
    service, _, verb = permission.partition(".")
    if verb.rsplit(".", 1)[-1] in _READ_VERBS:
        return _READ_ROLES.get(service)
    return None


def denied_permission(exc: Any, declared: str) -> str:
    """The permission a 403 names: its ErrorInfo, else its message, else ``declared``."""
    metadata = getattr(exc, "metadata", None)
    named = metadata.get("permission") if isinstance(metadata, Mapping) else None
    if isinstance(named, str) and _PERMISSION.fullmatch(named):
        return named
    message = getattr(exc, "message", None)
    match = _IN_MESSAGE.search(message) if isinstance(message, str) else None
    if match and _PERMISSION.fullmatch(match.group(1)):
        return match.group(1)
    return declared


def member(account: str | None, environ: Mapping[str, str]) -> str:
    """``--member``'s value: gcloud's account, a key file's service account, else MEMBER."""
    if account and _EMAIL.fullmatch(account):
        kind = "serviceAccount" if account.endswith(".gserviceaccount.com") else "user"
        return f"{kind}:{account}"
    key_file = environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if key_file:
        try:
            with Path(key_file).open("rb") as handle:
                key = json.loads(handle.read(_MAX_KEY_FILE))
        except (OSError, ValueError):
            return MEMBER_PLACEHOLDER
        if not isinstance(key, dict) or key.get("type") != "service_account":
            return MEMBER_PLACEHOLDER
        email = key.get("client_email")
        if isinstance(email, str) and _EMAIL.fullmatch(email):
            return f"serviceAccount:{email}"
    return MEMBER_PLACEHOLDER


def _where(scope: str, role: str) -> tuple[str, str]:
    """(gcloud's resource group, the resource) a role is bound on for a call's ``scope``:
    ``projects/ID/…`` or ``gs://BUCKET`` (storage roles are bound on the bucket); anything
    else stands for an unknown project."""
    if scope.startswith("gs://") and role.startswith("roles/storage."):
        bucket = scope.removeprefix("gs://").split("/", 1)[0]
        if _BUCKET.fullmatch(bucket):
            return "storage buckets", f"gs://{bucket}"
    project = PROJECT_PLACEHOLDER
    if scope.startswith("projects/"):
        found = scope.split("/")[1]
        project = found if _PROJECT_ID.fullmatch(found) else PROJECT_PLACEHOLDER
    return "projects", project


def grant_line(scope: str, role: str, who: str) -> str:
    """The one gcloud command binding ``role`` for ``who`` where the denied resource lives."""
    group, resource = _where(scope, role)
    return f"gcloud {group} add-iam-policy-binding {resource} --member={who} --role={role}"


def role_on(scope: str, role: str) -> str:
    """``roles/run.viewer on project P``: the grant in words, short enough for a reason."""
    group, resource = _where(scope, role)
    return f"{role} on {'project ' if group == 'projects' else ''}{resource}"


def record(details: dict[str, Any], permission: str, scope: str, who: str) -> str | None:
    """Add one denied call to a check's details (sorted sets: the arrival order is lost);
    the command granting it, when a role is known."""
    known = details.get(DETAILS_KEY) or {}
    permissions = set(known.get("permissions", ())) | {permission}
    roles = set(known.get("roles", ()))
    grant = set(known.get("grant", ()))
    role = role_for(permission)
    line = grant_line(scope, role, who) if role is not None else None
    if role is not None and line is not None:
        roles.add(role_on(scope, role))
        grant.add(line)
    details[DETAILS_KEY] = {
        "permissions": sorted(permissions),
        "roles": sorted(roles),
        "grant": sorted(grant),
    }
    return line


def check_reason(details: Mapping[str, Any]) -> str:
    """``permission denied: a, b; grant roles/run.viewer on project P``: every permission the
    check was denied so far, and the role(s) granting them. The role, not the whole command,
    keeps a reason to one short line; the commands are in the log, SUMMARY.md and the end of
    the run."""
    known = details.get(DETAILS_KEY)
    permissions, _ = _read(known)
    roles = _strings(known, "roles")
    text = f"permission denied: {', '.join(permissions)}"
    return f"{text}; grant {', '.join(roles)}" if roles else text


def as_fields(details: Mapping[str, Any]) -> dict[str, str]:
    """A domain mapping record's share of the union: its fields are all strings, so the
    permissions are joined by ``, `` and the commands by ``; `` (neither holds those)."""
    permissions, grant = _read(details.get(DETAILS_KEY))
    if not permissions:
        return {}
    return {DETAILS_KEY: ", ".join(permissions), "grant": "; ".join(grant)}


def missing(
    details: Iterable[Mapping[str, Any]], domains: Iterable[Mapping[str, Any]] = ()
) -> tuple[list[str], list[str]]:
    """The run's union over its checks' ``details`` and its domain mapping reads (results.json's
    ``checks[].details`` and ``domain_mappings``): (permissions, commands), each sorted with no
    repeats. Read defensively: the document may come from disk."""
    permissions: set[str] = set()
    grant: set[str] = set()
    for values in details:
        found = _read(values.get(DETAILS_KEY))
        permissions.update(found[0])
        grant.update(found[1])
    for domain in domains:
        for key, into, separator in ((DETAILS_KEY, permissions, ", "), ("grant", grant, "; ")):
            value = domain.get(key)
            if isinstance(value, str):
                into.update(part for part in value.split(separator) if part)
    return sorted(permissions), sorted(grant)


def _read(value: Any) -> tuple[list[str], list[str]]:
    return _strings(value, "permissions"), _strings(value, "grant")


def _strings(value: Any, key: str) -> list[str]:
    items = value.get(key) if isinstance(value, Mapping) else None
    if not isinstance(items, list):
        return []
    return sorted({item for item in items if isinstance(item, str)})
