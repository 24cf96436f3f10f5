"""The results model: a run's report as typed, frozen data, and its one JSON form (results.json,
schema ``cutover-probe/results/v1``, docs/results-schema.md).

Why: every artifact (results.tsv, SUMMARY.md, results.json, logs/, report.html, JUnit, the step
summary, `diff`, `merge`, watch's iterations) is rendered from the same run. Before this module
that run was an untyped dict read by string keys in a dozen places; now a renderer reads fields
mypy can follow, and a document read back from disk is validated once, here, before anything
trusts it (a bad one is exit 2 naming the file and the JSON path).

``to_json`` gives exactly the results.json the writer has always written (same keys, same order,
same numbers), so reports stay byte-identical. ``from_json`` validates with `resultsdoc` (the
schema written as code) and builds the model. A check's ``details`` stay open per kind (the
schema says so) and are kept as written; the parts a renderer reads are parsed into typed
evidence (`CanaryTraffic`, `MigrationDrift`, `ErrorGroups`), tagged by the documented key that
each kind writes, so report.html asks "is there canary evidence", never "does this dict have
a traffic key".
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

from cutover_probe.errors import UsageError
from cutover_probe.model import Status

RESULTS_SCHEMA = "cutover-probe/results/v1"
# Fields holding one of a fixed set of schema words, not outside text: mapping string values
# (redaction, `text.visible`) leaves them alone, so a secret that happens to spell "passed"
# cannot turn a status into something no renderer knows.
CONSTANT: Mapping[str, bool] = {"constant": True}

Json = dict[str, Any]
T = TypeVar("T")


# --- typed evidence in a check's details ------------------------------------------------------


@dataclass(frozen=True)
class TrafficTarget:
    """One traffic target of a `cloudrun-canary` check."""

    revision: str
    percent: int
    tag: str
    ready: bool | None  # None: the revision does not exist (or the field was not recorded)


@dataclass(frozen=True)
class CanaryTraffic:
    """`cloudrun-canary`'s ``details.traffic``: how traffic is split over revisions."""

    traffic: tuple[TrafficTarget, ...]
    kind: str = field(default="canary", metadata=CONSTANT)


@dataclass(frozen=True)
class Execution:
    name: str
    state: str
    age_s: int | None
    image: str


@dataclass(frozen=True)
class MigrationDrift:
    """`cloudrun-migration-drift`'s images: the service's, the migrate job's, its newest run."""

    service_image: str
    job_image: str
    newest_execution: Execution | None
    kind: str = field(default="drift", metadata=CONSTANT)


@dataclass(frozen=True)
class ErrorGroup:
    message: str
    count: int
    severity: tuple[str, ...]
    revisions: tuple[str, ...]
    last: str | None


@dataclass(frozen=True)
class ErrorGroups:
    """`cloud-logging-errors`' ``details.error_groups``, most frequent first."""

    groups: tuple[ErrorGroup, ...]
    kind: str = field(default="errors", metadata=CONSTANT)


Evidence = CanaryTraffic | MigrationDrift | ErrorGroups


@dataclass(frozen=True)
class Details:
    """A check's ``details``: the kind's structured evidence as written (``values``, open per
    kind, written back unchanged), with the parts the renderers read parsed and typed."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """The typed panels of this check, in the order report.html shows them."""
        return parse_evidence(self.values)

    @property
    def retried(self) -> tuple[str, ...]:
        return tuple(str(item) for item in self.values.get("retried") or ())


def parse_evidence(values: Mapping[str, Any]) -> tuple[Evidence, ...]:
    """Each documented details key is the tag of one evidence type (docs/results-schema.md,
    "details by kind"): ``traffic`` (a non-empty list), ``service_image``/``job_image``,
    ``error_groups``. A loaded document has passed `resultsdoc` for these keys."""
    found: list[Evidence] = []
    if values.get("traffic"):
        found.append(
            CanaryTraffic(
                tuple(
                    TrafficTarget(
                        revision=str(t.get("revision", "")),
                        percent=int(t.get("percent") or 0),
                        tag=str(t.get("tag") or ""),
                        ready=t.get("ready"),
                    )
                    for t in values["traffic"]
                )
            )
        )
    if "service_image" in values or "job_image" in values:
        execution = values.get("newest_execution")
        found.append(
            MigrationDrift(
                service_image=str(values.get("service_image") or ""),
                job_image=str(values.get("job_image") or ""),
                newest_execution=(
                    Execution(
                        name=str(execution.get("name", "")),
                        state=str(execution.get("state", "")),
                        age_s=execution.get("age_s"),
                        image=str(execution.get("image") or ""),
                    )
                    if isinstance(execution, Mapping)
                    else None
                ),
            )
        )
    if "error_groups" in values:
        found.append(
            ErrorGroups(
                tuple(
                    ErrorGroup(
                        message=str(g.get("message", "")),
                        count=int(g.get("count") or 0),
                        severity=tuple(str(s) for s in g.get("severity") or ()),
                        revisions=tuple(str(r) for r in g.get("revisions") or ()),
                        last=g.get("last"),
                    )
                    for g in values["error_groups"] or ()
                )
            )
        )
    return tuple(found)


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainRecord:
    """One domain mapping read (evidence, not gated). Its fields are open strings
    (``Ready``, ``CertificateProvisioned``, their ``_message``s, ``route``, or ``error``),
    kept in the order they were recorded."""

    values: Mapping[str, Any]

    # Every key a record may hold (docs/results-schema.md): the read's conditions, a failed
    # read's error, a 403's permissions and grant command, and the evidence lines.
    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "environment",
            "domain",
            "Ready",
            "Ready_message",
            "CertificateProvisioned",
            "CertificateProvisioned_message",
            "route",
            "error",
            "permissions_denied",
            "grant",
            "evidence",
        }
    )

    @property
    def environment(self) -> str:
        return str(self.values.get("environment", ""))

    @property
    def domain(self) -> str:
        return str(self.values.get("domain", ""))

    @property
    def error(self) -> str:
        return str(self.values.get("error") or "")

    def condition(self, name: str) -> str:
        return str(self.values.get(name, "missing"))

    def message(self, name: str) -> str:
        return str(self.values.get(f"{name}_message") or "")

    @property
    def route(self) -> str:
        return str(self.values.get("route", ""))


@dataclass(frozen=True)
class CheckResult:
    """What happened to one check, as the report shows it."""

    id: str
    kind: str
    environment: str | None
    required: bool
    description: str
    status: Status
    reason: str
    command: str
    log_path: str
    started_ms: float
    duration_ms: float
    attempts: int
    evidence: tuple[str, ...]
    details: Details = field(default_factory=Details)

    @property
    def required_label(self) -> str:
        return "required" if self.required else "optional"

    @property
    def ran(self) -> bool:
        return self.status is not Status.SKIPPED

    @property
    def end_ms(self) -> float:
        return float(self.started_ms or 0) + float(self.duration_ms or 0)


@dataclass(frozen=True)
class Counts:
    total: int
    passed: int
    required_failures: int
    optional_failures: int
    required_skipped: int
    optional_skipped: int
    cancelled: int


@dataclass(frozen=True)
class VerdictRecord:
    overall: str = field(metadata=CONSTANT)  # "passed" or "failed"
    label: str = field(metadata=CONSTANT)  # GO, NO-GO, BASELINE, INTERRUPTED
    exit_code: int
    gating: bool
    why: str
    counts: Counts


@dataclass(frozen=True)
class Tool:
    name: str
    version: str


@dataclass(frozen=True)
class MatrixRef:
    source: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Shard:
    index: int
    count: int


@dataclass(frozen=True)
class RunResults:
    """The run as data: what every artifact is rendered from."""

    tool: Tool
    title: str
    timestamp: str  # ISO 8601, UTC, to the second, with Z
    wall_ms: float
    verdict: VerdictRecord
    environment: Mapping[str, str]
    domain_mappings: tuple[DomainRecord, ...]
    matrix: MatrixRef
    shard: Shard | None
    checks: tuple[CheckResult, ...]
    merged_from: tuple[str, ...] | None = None  # merged reports only
    schema: str = field(default=RESULTS_SCHEMA, metadata=CONSTANT)
    # Where a compared-with report was read from (`report.previous_report`,
    # `workflow.earlier_report`); never written to a results.json.
    compared_directory: str | None = field(default=None, compare=False)

    def to_json(self) -> Json:
        """results.json's content: the keys, their order and the numbers as always written."""
        doc: Json = {
            "schema": self.schema,
            "tool": {"name": self.tool.name, "version": self.tool.version},
            "title": self.title,
            "timestamp": self.timestamp,
            "wall_ms": self.wall_ms,
            "verdict": verdict_json(self.verdict),
            "environment": dict(self.environment),
            "domain_mappings": [_plain(d.values) for d in self.domain_mappings],
            "matrix": {"source": self.matrix.source, "ids": list(self.matrix.ids)},
            "shard": (
                {"index": self.shard.index, "count": self.shard.count} if self.shard else None
            ),
            "checks": [check_json(c) for c in self.checks],
        }
        if self.merged_from is not None:
            doc["merged_from"] = list(self.merged_from)
        return doc

    def dumps(self) -> str:
        """results.json as written: two-space indent, one trailing newline."""
        return json.dumps(self.to_json(), indent=2, default=str) + "\n"

    @classmethod
    def from_json(cls, obj: Any, source: str) -> RunResults:
        """A results document read back (merge, diff, "what changed"): validated against the
        schema, then typed. A bad one is a UsageError (exit 2): ``<source>: <json path>: …``."""
        from cutover_probe.resultsdoc import DocumentError, validate

        if not isinstance(obj, dict) or obj.get("schema") != RESULTS_SCHEMA:
            found = obj.get("schema") if isinstance(obj, dict) else None
            raise UsageError(f"{source}: schema {found!r}, expected {RESULTS_SCHEMA!r}")
        try:
            validate(obj)
        except DocumentError as exc:
            raise UsageError(f"{source}: {exc}") from None
        except RecursionError:  # validation recurses only as deep as the schema
            raise UsageError(f"{source}: nested too deeply") from None
        return build(obj)

    def map_strings(self, fn: Callable[[str], str]) -> RunResults:
        """Every string value (never a key, never a schema word) through ``fn``: redaction
        before any format escapes a value, and `text.visible` before rendering."""
        return map_strings(self, fn)


def verdict_json(verdict: VerdictRecord) -> Json:
    return {
        "overall": verdict.overall,
        "label": verdict.label,
        "exit_code": verdict.exit_code,
        "gating": verdict.gating,
        "why": verdict.why,
        "counts": dataclasses.asdict(verdict.counts),
    }


def check_json(check: CheckResult) -> Json:
    return {
        "id": check.id,
        "kind": check.kind,
        "environment": check.environment,
        "required": check.required,
        "description": check.description,
        "status": check.status.value,
        "reason": check.reason,
        "command": check.command,
        "log_path": check.log_path,
        "started_ms": check.started_ms,
        "duration_ms": check.duration_ms,
        "attempts": check.attempts,
        "evidence": list(check.evidence),
        "details": _plain(check.details.values),
    }


def _plain(value: Any) -> Any:
    """Mappings as dicts and tuples as lists: what json.dumps writes either way, and what a
    test comparing with a parsed results.json expects."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- building the model from a validated document ------------------------------------------


def build(doc: Json) -> RunResults:
    """The model of a document that has passed `resultsdoc.validate` (or that we wrote)."""
    verdict = doc["verdict"]
    shard = doc.get("shard")
    merged = doc.get("merged_from")
    return RunResults(
        schema=doc["schema"],
        tool=Tool(name=doc["tool"]["name"], version=doc["tool"]["version"]),
        title=doc["title"],
        timestamp=doc["timestamp"],
        wall_ms=doc["wall_ms"],
        verdict=verdict_record(verdict),
        environment=dict(doc["environment"]),
        domain_mappings=tuple(DomainRecord(dict(d)) for d in doc["domain_mappings"]),
        matrix=MatrixRef(source=doc["matrix"]["source"], ids=tuple(doc["matrix"]["ids"])),
        shard=Shard(index=shard["index"], count=shard["count"]) if shard else None,
        checks=tuple(check_result(c) for c in doc["checks"]),
        merged_from=tuple(merged) if merged is not None else None,
    )


def verdict_record(verdict: Mapping[str, Any]) -> VerdictRecord:
    counts = verdict["counts"]
    return VerdictRecord(
        overall=verdict["overall"],
        label=verdict["label"],
        exit_code=verdict["exit_code"],
        gating=verdict["gating"],
        why=verdict["why"],
        counts=Counts(**{f.name: counts[f.name] for f in dataclasses.fields(Counts)}),
    )


def check_result(check: Mapping[str, Any]) -> CheckResult:
    return CheckResult(
        id=check["id"],
        kind=check["kind"],
        environment=check["environment"],
        required=check["required"],
        description=check["description"],
        status=Status(check["status"]),
        reason=check["reason"],
        command=check["command"],
        log_path=check["log_path"],
        started_ms=check["started_ms"],
        duration_ms=check["duration_ms"],
        attempts=check["attempts"],
        evidence=tuple(check["evidence"]),
        details=Details(dict(check["details"])),
    )


def map_strings(value: T, fn: Callable[[str], str]) -> T:
    """``value`` with every string inside it through ``fn``: dataclass fields (except those
    marked constant), mapping values (never keys), list and tuple items.

    Run several times over every check of a report (redaction, then `text.visible` for each
    format), so it does no more than it must: a dataclass or tuple none of whose strings
    changed is returned as it is (they are frozen), and a dataclass's mapped fields are
    looked up once per class. Mappings and lists are always fresh copies."""
    return cast(T, _map(value, fn))


def _map(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        if isinstance(value, enum.Enum):  # Status is a str too, and a schema word
            return value
        return fn(value)
    kind: Any = type(value)
    if kind is tuple or kind is list:  # mostly evidence lines: strings called directly
        items = [fn(item) if type(item) is str else _map(item, fn) for item in value]
        if kind is list:
            return items
        return value if all(a is b for a, b in zip(items, value, strict=True)) else tuple(items)
    names = _mapped_fields(kind)
    if names is not None:
        changes = {}
        for name in names:
            old = getattr(value, name)
            new = _map(old, fn)
            if new is not old:
                changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, Mapping):
        return {key: _map(item, fn) for key, item in value.items()}
    if isinstance(value, list):
        return [_map(item, fn) for item in value]
    if isinstance(value, tuple):
        return tuple(_map(item, fn) for item in value)
    return value


@functools.cache
def _mapped_fields(kind: Any) -> tuple[str, ...] | None:
    """The fields of a dataclass that `map_strings` maps (None: not a dataclass)."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(f.name for f in dataclasses.fields(kind) if not f.metadata.get("constant"))
