"""The ``http`` kind's parameters, as data: steps, assertions, captures, sampling and budgets.

Which http module is which: this one *parses* the kind's parameters and sends nothing; the
kind's runner is `httpkind.py`, and the HTTP client every probe sends requests with is
`httpclient.py`. Pure parsing and validation, no network library: config loading calls
`parse_steps`, `parse_budgets` and `parse_comparisons`, so a typo in a lane's TOML is an exit 2
naming file, check and key before anything runs; the runner (`probes/httpkind.py`) parses the
resolved parameters again into the same dataclasses. The JSON pointers these parameters name
are resolved here too (`resolve_pointer`, `MISSING`), for the ``http`` kind and ``parity``.

Captured values are referenced as ``{{name}}`` (environment variables keep ``${NAME}``), and only
values captured by an *earlier* step may be used, which also rules out cycles.

Config imports this module for every matrix with an ``http`` or ``parity`` check, so its classes
are declared ``eq=False`` like the parameters' (`params.py`): compared by identity, without a
generated ``__eq__`` and ``__hash__`` to create at every start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CAPTURE_REF = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
STEP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
BUDGET_KEY = re.compile(r"^(ttfb|total)_(p50|p90|p95|p99|max)_ms$")
DEFAULT_STATUS = "200-399"
MISSING = object()  # what `resolve_pointer` gives for a part that is absent (not null)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: ``/data/items/0/id``; `MISSING` when any part is absent."""
    current = document
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


class SpecError(Exception):
    """A problem at ``key`` (relative to the check): config turns it into a ConfigError."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")


@dataclass(frozen=True, eq=False)
class HeaderRule:
    """One ``expect.headers`` rule: the response header present, equal, containing, matching."""

    name: str
    present: bool | None = None
    equals: str | None = None
    contains: str | None = None
    regex: str | None = None


@dataclass(frozen=True, eq=False)
class JsonRule:
    """One ``expect.json`` rule at a JSON pointer: exists, equals or matches."""

    pointer: str
    exists: bool | None = None
    equals: Any = None
    has_equals: bool = False
    matches: str | None = None


@dataclass(frozen=True, eq=False)
class Expect:
    """What a step's response must be: status, headers, body, JSON, size and times."""

    status: tuple[tuple[int, int], ...] = ((200, 399),)
    status_text: str = DEFAULT_STATUS
    headers: tuple[HeaderRule, ...] = ()
    body_regex: str | None = None
    json: tuple[JsonRule, ...] = ()
    content_type: str | None = None
    max_bytes: int | None = None
    ttfb_ms: float | None = None
    total_ms: float | None = None


@dataclass(frozen=True, eq=False)
class Capture:
    """A value a step takes from its response (a header or a JSON pointer) for later steps."""

    name: str
    header: str | None = None
    json: str | None = None
    regex: str | None = None
    public: bool = False


@dataclass(frozen=True, eq=False)
class Step:
    """One request of an ``http`` check, with its expectations and captures."""

    name: str
    method: str
    path: str | None
    url: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    json_body: Any = None
    form: Mapping[str, str] | None = None
    auth: bool = False
    retry: bool | None = None  # None: only safe methods (GET, HEAD, OPTIONS) are asked again
    expect: Expect = Expect()
    captures: tuple[Capture, ...] = ()


@dataclass(frozen=True, eq=False)
class Budgets:
    """Latency percentiles, error rate and growth over a baseline that samples may not exceed."""

    percentiles: tuple[tuple[str, str, float], ...] = ()  # (metric, stat, limit ms)
    max_error_rate: float = 0.0
    ttfb_p95_vs_baseline: float | None = None  # allowed growth over the baseline, 0.2 = 20 %


def _table(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(key, f"expected a table, got {type(value).__name__}")
    return value


def _known(table: Mapping[str, Any], allowed: set[str], key: str) -> None:
    for name in table:
        if name not in allowed:
            raise SpecError(f"{key}.{name}", f"unknown key (known: {', '.join(sorted(allowed))})")


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise SpecError(key, f"expected a string, got {type(value).__name__}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SpecError(key, "expected a number (0 or more)")
    return float(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(key, "expected true or false")
    return value


def _regex(value: Any, key: str) -> str:
    text = _str(value, key)
    try:
        re.compile(text)
    except re.error as exc:
        raise SpecError(key, f"invalid regular expression: {exc}") from None
    return text


def parse_status(value: Any, key: str) -> tuple[tuple[tuple[int, int], ...], str]:
    """200, [200, 201], "200-299", or a list mixing them; the second item is for messages."""
    items = value if isinstance(value, list) else [value]
    ranges: list[tuple[int, int]] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
            ranges.append((item, item))
        elif isinstance(item, str) and (m := re.fullmatch(r"\s*(\d{3})\s*-\s*(\d{3})\s*", item)):
            low, high = int(m.group(1)), int(m.group(2))
            if low > high:
                raise SpecError(key, f"empty status range {item!r}")
            ranges.append((low, high))
        else:
            raise SpecError(
                key, f"expected a status (200), a list or a range ('200-299'), got {item!r}"
            )
    if not ranges:
        raise SpecError(key, "expected at least one status")
    text = ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
    return tuple(ranges), text


def _expect(raw: Any, key: str) -> Expect:
    table = _table(raw, key)
    _known(
        table,
        {
            "status",
            "headers",
            "body_regex",
            "json",
            "content_type",
            "max_bytes",
            "ttfb_ms",
            "total_ms",
        },
        key,
    )
    status, status_text = parse_status(table.get("status", DEFAULT_STATUS), f"{key}.status")
    headers = []
    for name, rule in _table(table.get("headers", {}), f"{key}.headers").items():
        rkey = f"{key}.headers.{name}"
        rule_table = _table(rule, rkey)
        _known(rule_table, {"present", "equals", "contains", "regex"}, rkey)
        if not rule_table:
            raise SpecError(rkey, "say what to check: present, equals, contains or regex")
        headers.append(
            HeaderRule(
                name=name.lower(),
                present=_bool(rule_table["present"], f"{rkey}.present")
                if "present" in rule_table
                else None,
                equals=_str(rule_table["equals"], f"{rkey}.equals")
                if "equals" in rule_table
                else None,
                contains=_str(rule_table["contains"], f"{rkey}.contains")
                if "contains" in rule_table
                else None,
                regex=_regex(rule_table["regex"], f"{rkey}.regex")
                if "regex" in rule_table
                else None,
            )
        )
    json_rules = []
    for pointer, rule in _table(table.get("json", {}), f"{key}.json").items():
        rkey = f'{key}.json."{pointer}"'
        if not pointer.startswith("/"):
            raise SpecError(
                rkey, "a JSON path is a JSON pointer starting with '/', like /data/token"
            )
        rule_table = _table(rule, rkey)
        _known(rule_table, {"exists", "equals", "matches"}, rkey)
        if not rule_table:
            raise SpecError(rkey, "say what to check: exists, equals or matches")
        json_rules.append(
            JsonRule(
                pointer=pointer,
                exists=_bool(rule_table["exists"], f"{rkey}.exists")
                if "exists" in rule_table
                else None,
                equals=rule_table.get("equals"),
                has_equals="equals" in rule_table,
                matches=_regex(rule_table["matches"], f"{rkey}.matches")
                if "matches" in rule_table
                else None,
            )
        )
    max_bytes = table.get("max_bytes")
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)):
        raise SpecError(f"{key}.max_bytes", "expected a whole number of bytes")
    return Expect(
        status=status,
        status_text=status_text,
        headers=tuple(headers),
        body_regex=_regex(table["body_regex"], f"{key}.body_regex")
        if "body_regex" in table
        else None,
        json=tuple(json_rules),
        content_type=_str(table["content_type"], f"{key}.content_type").lower()
        if "content_type" in table
        else None,
        max_bytes=max_bytes,
        ttfb_ms=_number(table["ttfb_ms"], f"{key}.ttfb_ms") if "ttfb_ms" in table else None,
        total_ms=_number(table["total_ms"], f"{key}.total_ms") if "total_ms" in table else None,
    )


def _captures(raw: Any, key: str) -> tuple[Capture, ...]:
    captures = []
    for name, spec in _table(raw, key).items():
        ckey = f"{key}.{name}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise SpecError(ckey, "capture names are lower case letters, digits and _")
        table = _table(spec, ckey)
        _known(table, {"header", "json", "regex", "public"}, ckey)
        if ("header" in table) == ("json" in table):
            raise SpecError(ckey, "capture from exactly one of: header, json")
        pointer = _str(table["json"], f"{ckey}.json") if "json" in table else None
        if pointer is not None and not pointer.startswith("/"):
            raise SpecError(f"{ckey}.json", "a JSON path is a JSON pointer starting with '/'")
        captures.append(
            Capture(
                name=name,
                header=_str(table["header"], f"{ckey}.header").lower()
                if "header" in table
                else None,
                json=pointer,
                regex=_regex(table["regex"], f"{ckey}.regex") if "regex" in table else None,
                public=_bool(table.get("public", False), f"{ckey}.public"),
            )
        )
    return tuple(captures)


def _references(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(CAPTURE_REF.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(_references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    return set()


def parse_steps(raw: Any, key: str = "steps") -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(key, "expected at least one [[checks.steps]] table")
    steps: list[Step] = []
    captured: set[str] = set()
    names: set[str] = set()
    allowed = {
        "name",
        "method",
        "path",
        "url",
        "headers",
        "json",
        "form",
        "auth",
        "retry",
        "expect",
        "capture",
    }
    for position, item in enumerate(raw):
        table = _table(item, f"{key}[{position}]")
        name = table.get("name")
        if not isinstance(name, str) or not STEP_NAME.match(name):
            raise SpecError(f"{key}[{position}].name", "every step has a name of a-z, 0-9, _ and -")
        skey = f"{key}[{name}]"
        if name in names:
            raise SpecError(f"{skey}.name", "duplicate step name")
        names.add(name)
        _known(table, allowed, skey)
        method = _str(table.get("method", "GET"), f"{skey}.method").upper()
        if method not in METHODS:
            raise SpecError(f"{skey}.method", f"unknown method {method!r}")
        if ("path" in table) == ("url" in table):
            raise SpecError(skey, "give exactly one of: path (relative to base_url) or url")
        path = _str(table["path"], f"{skey}.path") if "path" in table else None
        if path is not None and not path.startswith("/"):
            raise SpecError(f"{skey}.path", "a path starts with '/'")
        url = _str(table["url"], f"{skey}.url") if "url" in table else None
        headers = _table(table.get("headers", {}), f"{skey}.headers")
        for hname, hvalue in headers.items():
            _str(hvalue, f"{skey}.headers.{hname}")
            if hname.lower() == "authorization":
                raise SpecError(
                    f"{skey}.headers.{hname}", "use auth = true: the token comes from the check"
                )
        if "json" in table and "form" in table:
            raise SpecError(skey, "a body is json or form, not both")
        form = None
        if "form" in table:
            form = dict(_table(table["form"], f"{skey}.form"))
            for fname, fvalue in form.items():
                _str(fvalue, f"{skey}.form.{fname}")
        for ref in sorted(_references([path, url, dict(headers), table.get("json"), form])):
            if ref not in captured:
                later = " (captured by this or a later step)" if ref in _all_captures(raw) else ""
                raise SpecError(skey, f"{{{{{ref}}}}} is not captured by an earlier step{later}")
        captures = _captures(table.get("capture", {}), f"{skey}.capture")
        for capture in captures:
            if capture.name in captured:
                raise SpecError(f"{skey}.capture.{capture.name}", "captured twice")
        captured.update(c.name for c in captures)
        steps.append(
            Step(
                name=name,
                method=method,
                path=path,
                url=url,
                headers={str(k): str(v) for k, v in headers.items()},
                json_body=table.get("json"),
                form=form,
                auth=_bool(table.get("auth", False), f"{skey}.auth"),
                retry=_bool(table["retry"], f"{skey}.retry") if "retry" in table else None,
                expect=_expect(table.get("expect", {}), f"{skey}.expect"),
                captures=captures,
            )
        )
    return tuple(steps)


def _all_captures(raw: Sequence[Any]) -> set[str]:
    names: set[str] = set()
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("capture"), Mapping):
            names.update(item["capture"])
    return names


def parse_budgets(raw: Any, key: str = "budgets") -> Budgets:
    table = _table(raw, key)
    percentiles = []
    error_rate = 0.0
    vs_baseline = None
    for name, value in table.items():
        if name == "max_error_rate":
            error_rate = _number(value, f"{key}.{name}")
            if error_rate > 1:
                raise SpecError(f"{key}.{name}", "a rate is between 0 and 1 (0.01 = 1 %)")
        elif name == "ttfb_p95_vs_baseline":
            vs_baseline = _number(value, f"{key}.{name}")
        elif match := BUDGET_KEY.match(name):
            percentiles.append((match.group(1), match.group(2), _number(value, f"{key}.{name}")))
        else:
            raise SpecError(
                f"{key}.{name}",
                "unknown budget (known: <ttfb|total>_<p50|p90|p95|p99|max>_ms, max_error_rate, "
                "ttfb_p95_vs_baseline)",
            )
    return Budgets(tuple(percentiles), error_rate, vs_baseline)


@dataclass(frozen=True, eq=False)
class Comparison:
    """One request made to both environments, and the fields that must be equal."""

    path: str
    json: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


def parse_comparisons(raw: Any, key: str = "compare") -> tuple[Comparison, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(key, "expected at least one [[checks.compare]] table")
    comparisons = []
    for position, item in enumerate(raw):
        ckey = f"{key}[{position}]"
        table = _table(item, ckey)
        _known(table, {"path", "json", "headers"}, ckey)
        path = _str(table.get("path"), f"{ckey}.path") if "path" in table else ""
        if not path.startswith("/"):
            raise SpecError(f"{ckey}.path", "a path starts with '/'")
        pointers = table.get("json", [])
        headers = table.get("headers", [])
        for name, values in (("json", pointers), ("headers", headers)):
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise SpecError(f"{ckey}.{name}", "expected a list of strings")
        for pointer in pointers:
            if not pointer.startswith("/"):
                raise SpecError(f"{ckey}.json", f"{pointer!r} is not a JSON pointer like /version")
        if not pointers and not headers:
            raise SpecError(ckey, "name json pointers or headers to compare")
        comparisons.append(Comparison(path, tuple(pointers), tuple(h.lower() for h in headers)))
    return tuple(comparisons)
