"""The domain's data: a matrix of checks, the plan for one run, and what happened to each check.

Frozen dataclasses only; behaviour lives in the modules that use them. Nothing here knows about
HTTP, subprocesses or report formats. Each is declared ``eq=False`` (compared by identity):
nothing compares two of them by value, and `plan` creates these classes at every start, where
the generated ``__eq__`` and ``__hash__`` cost about 0.3 ms a class (docs/architecture.md).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, eq=False)
class Variable:
    """One variable of the environment contract (the seed script's environment variables)."""

    name: str
    default: str
    type: str  # "url", "string", "secret", "flag", "path"
    description: str = ""
    in_summary: bool = True


@dataclass(frozen=True, eq=False)
class Check:
    """One row of the matrix: an id, a probe kind, and the kind's parameters.

    ``params`` holds the TOML values (defaults filled in) with ``${VAR}`` references still
    unresolved; `Plan` resolves them. ``parsed`` holds what config already parsed, so nothing is
    parsed twice: the nested specs (``steps``, ``budgets``, ``compare``) as their typed objects,
    ``${VAR}`` text left in their strings, and literal durations as seconds.
    """

    id: str
    kind: str
    required: bool
    description: str
    environment: str | None
    params: Mapping[str, Any]
    enabled_by: str | None = None
    requires_set: tuple[str, ...] = ()
    deadline_s: float | None = None
    # False: a lane beyond the seed's, absent from the report (not even "skipped") while its
    # enabled_by flag is off, so a default run keeps exactly the seed's rows.
    listed_when_off: bool = True
    parsed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def required_label(self) -> str:
        return "required" if self.required else "optional"


@dataclass(frozen=True, eq=False)
class DomainMapping:
    """Evidence, not a check: the Cloud Run domain mapping behind an environment's URL."""

    environment: str
    url: str  # may hold ${VAR} references until planned
    domain: str  # explicit domain ("" : the URL's host when it is a custom domain)
    project: str
    region: str


@dataclass(frozen=True, eq=False)
class Matrix:
    """The whole configuration: where it came from, its variables and its checks, in order."""

    source: Path
    title: str
    report_root: str
    variables: Mapping[str, Variable]
    checks: tuple[Check, ...]
    domain_mappings: tuple[DomainMapping, ...] = ()
    gate_variable: str = "FAIL_ON_REQUIRED_FAILURE"
    output_variable: str = "OUTPUT_DIR"


@dataclass(frozen=True, eq=False)
class PlannedCheck:
    """A check with its parameters resolved, and the reason it will be skipped (None: it runs)."""

    index: int
    check: Check
    params: Any  # the kind's parameter dataclass, every value resolved and typed
    skip_reason: str | None
    command: str  # a secret-free account of what will run, or the skip reason
    # Why it cannot even start (a lane's program not on PATH, its manifest missing): it is not
    # run and fails with this reason, so `plan` does not promise what will fail.
    cannot_start: str | None = None

    @property
    def id(self) -> str:
        return self.check.id


@dataclass(frozen=True, eq=False)
class Outcome:
    """What happened to one check. Truthy when the check did not fail."""

    check_id: str
    status: Status
    reason: str = ""
    duration_ms: float = 0.0
    attempts: int = 0
    evidence: tuple[str, ...] = ()
    started_s: float = 0.0  # seconds since the run started
    details: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.status is not Status.FAILED
