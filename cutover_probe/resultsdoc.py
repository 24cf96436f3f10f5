"""A results document read back from disk (`merge`, `diff`, report.html's "what changed"),
checked field by field against docs/results-schema.md before any renderer trusts it.

A file with the right ``schema`` string can still be hand-edited, truncated by a tool or
tampered with. The results model (results.py) is built from it by trusting its shape, so a wrong
shape would surface as a KeyError or TypeError deep inside: exit 3 and no report. Here it is
exit 2 naming the file and the JSON path: ``old/results.json: checks[3].status: expected one of
passed, failed, skipped, cancelled, got 7``. `results.RunResults.from_json` calls `validate`
before it builds anything.

Self-contained on purpose (no import from the rest of the package): it is the schema written as
code. Unknown keys are allowed, as the
schema's compatibility rules say; ``details`` is open per kind, and only the parts that
report.html reads are checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

STATUSES = ("passed", "failed", "skipped", "cancelled")
LABELS = ("GO", "NO-GO", "BASELINE", "INTERRUPTED")
OVERALL = ("passed", "failed")
EXIT_CODES = (0, 1, 130)
COUNTS = (
    "total",
    "passed",
    "required_failures",
    "optional_failures",
    "required_skipped",
    "optional_skipped",
    "cancelled",
)
# Larger than any count, duration or age a run produces; a bigger number is tampering, and some
# (1e400 parses as inf) break the arithmetic of the renderers.
MAX_NUMBER = 10**15


class DocumentError(ValueError):
    """What is wrong and where: ``checks[3].status: expected …, got 7``."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


Check = Callable[[Any, str], None]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _type_name(value: Any) -> str:
    return {
        type(None): "null",
        bool: "a boolean",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), "a number")


def string(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise DocumentError(where, f"expected a string, got {_type_name(value)}")


def boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise DocumentError(where, f"expected true or false, got {_show(value)}")


def integer(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(where, f"expected a whole number, got {_show(value)}")
    if not 0 <= value <= MAX_NUMBER:
        raise DocumentError(where, f"expected a whole number from 0 to {MAX_NUMBER}, got {value}")


def number(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(where, f"expected a number, got {_show(value)}")
    if not math.isfinite(value) or not 0 <= value <= MAX_NUMBER:
        raise DocumentError(where, f"expected a number from 0 to {MAX_NUMBER}, got {value}")


def one_of(*allowed: Any) -> Check:
    def check(value: Any, where: str) -> None:
        # bool is an int: True must not pass for the exit code 1.
        if isinstance(value, bool) or value not in allowed:
            names = ", ".join(str(a) for a in allowed)
            raise DocumentError(where, f"expected one of {names}, got {_show(value)}")

    return check


def optional(check: Check) -> Check:
    def maybe(value: Any, where: str) -> None:
        if value is not None:
            check(value, where)

    return maybe


def array(item: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list):
            raise DocumentError(where, f"expected an array, got {_type_name(value)}")
        for position, element in enumerate(value):
            item(element, f"{where}[{position}]")

    return check


def mapping(item: Check) -> Check:
    """An object of any keys (strings, as JSON has them) whose values all pass ``item``."""

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise DocumentError(where, f"expected an object, got {_type_name(value)}")
        for key, element in value.items():
            item(element, f"{where}.{key}")

    return check


def record(fields: dict[str, Check], *, optional_keys: tuple[str, ...] = ()) -> Check:
    """An object with these keys (each required unless listed optional); others are allowed."""

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise DocumentError(where, f"expected an object, got {_type_name(value)}")
        for key, field_check in fields.items():
            inner = f"{where}.{key}" if where else key
            if key not in value:
                if key in optional_keys:
                    continue
                raise DocumentError(inner, "missing")
            field_check(value[key], inner)

    return check


TRAFFIC = record(
    {"revision": string, "percent": integer, "tag": string, "ready": optional(boolean)},
    optional_keys=("tag", "ready"),
)
EXECUTION = record(
    {"name": string, "state": string, "age_s": optional(integer), "image": string},
    optional_keys=("name", "state", "age_s", "image"),
)
ERROR_GROUP = record(
    {
        "message": string,
        "count": integer,
        "severity": array(string),
        "revisions": array(string),
        "last": optional(string),
    },
    optional_keys=("severity", "revisions", "last"),
)
DETAILS = record(
    {
        "traffic": array(TRAFFIC),
        "service_image": string,
        "job_image": string,
        "newest_execution": EXECUTION,
        "error_groups": array(ERROR_GROUP),
        "retried": array(string),
    },
    optional_keys=(
        "traffic",
        "service_image",
        "job_image",
        "newest_execution",
        "error_groups",
        "retried",
    ),
)
CHECK = record(
    {
        "id": string,
        "kind": string,
        "environment": optional(string),
        "required": boolean,
        "description": string,
        "status": one_of(*STATUSES),
        "reason": string,
        "command": string,
        "log_path": string,
        "started_ms": number,
        "duration_ms": number,
        "attempts": integer,
        "evidence": array(string),
        "details": DETAILS,
    }
)
DOMAIN = record(
    {"environment": string, "domain": string, "evidence": array(string)},
    optional_keys=("evidence",),
)
VERDICT = record(
    {
        "overall": one_of(*OVERALL),
        "label": one_of(*LABELS),
        "exit_code": one_of(*EXIT_CODES),
        "gating": boolean,
        "why": string,
        "counts": record(dict.fromkeys(COUNTS, integer)),
    }
)
SHARD = record({"index": integer, "count": integer})
DOCUMENT = record(
    {
        "schema": string,
        "tool": record({"name": string, "version": string}),
        "title": string,
        "timestamp": string,
        "wall_ms": number,
        "verdict": VERDICT,
        "environment": mapping(string),
        "domain_mappings": array(DOMAIN),
        "matrix": record({"source": string, "ids": array(string)}),
        "shard": optional(SHARD),
        "merged_from": array(string),
        "checks": array(CHECK),
    },
    optional_keys=("merged_from",),
)


def validate(doc: Any) -> None:
    """Raise `DocumentError` at the first place where ``doc`` is not a v1 results document."""
    DOCUMENT(doc, "")
    _timestamp(doc["timestamp"])
    shard = doc["shard"]
    if shard is not None and not 1 <= shard["index"] <= shard["count"]:
        raise DocumentError("shard.index", f"expected 1 to {shard['count']}, got {shard['index']}")
    for position, domain in enumerate(doc["domain_mappings"]):
        # Documented: every field a string, the evidence an array of strings.
        for key, value in domain.items():
            where = f"domain_mappings[{position}].{key}"
            (array(string) if key == "evidence" else string)(value, where)
        if "error" not in domain:  # read: the conditions are there
            for key in ("Ready", "CertificateProvisioned"):
                if key not in domain:
                    raise DocumentError(f"domain_mappings[{position}].{key}", "missing")


def _timestamp(value: str) -> None:
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DocumentError(
            "timestamp",
            f"expected an ISO 8601 time such as 2026-11-27T09:37:40Z, got {_show(value)}",
        ) from None
