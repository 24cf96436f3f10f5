"""The part of the Cloud Logging query language that the simulated Logging API evaluates.

An error-log probe is only right if its filter selects what the real API would select, so the
fake evaluates filters instead of ignoring them: comparisons on dotted fields, joined by ``AND``
or by juxtaposition (the real language's implicit AND), severities compared by rank and
timestamps by time, values quoted or not. Anything outside that subset (OR, NOT, parentheses,
regular expressions, functions) is refused as an invalid filter rather than half-matched, so a
probe that starts sending it finds out from a 400 instead of from a wrong verdict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SEVERITY_RANKS = {
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
}
_TIME_FIELDS = frozenset({"timestamp", "receiveTimestamp"})

_COMPARISON = re.compile(
    r"""(?P<field>[A-Za-z_]\w*(?:\.[A-Za-z_][\w-]*)*)
        \s*(?P<op>=~|!~|>=|<=|!=|=|>|<|:)\s*
        (?P<value>"(?:[^"\\]|\\.)*"|[^\s"()]+)""",
    re.VERBOSE,
)
_AND = re.compile(r"AND\s+")
_UNSUPPORTED = re.compile(r"(?:OR|NOT)\b|[-()]")


class FilterError(ValueError):
    """The filter is not in the subset this fake understands (the API answers 400)."""


@dataclass(frozen=True)
class Comparison:
    """One ``field op value`` term of a filter; every term must hold for an entry to match."""

    field: str
    op: str
    value: str

    def matches(self, entry: Mapping[str, Any]) -> bool:
        actual = _lookup(entry, self.field)
        if actual is None:
            # As in Cloud Logging: a comparison on a field the entry lacks never holds.
            return False
        if self.field == "severity":
            return _compare(severity_rank(str(actual)), self.op, severity_rank(self.value))
        if self.field in _TIME_FIELDS:
            return _compare(parse_time(str(actual)), self.op, parse_time(self.value))
        if self.op == ":":
            # ``:`` is "has": a case-insensitive substring match for text fields.
            return self.value.lower() in str(actual).lower()
        return _compare(str(actual), self.op, self.value)


def parse(text: str) -> tuple[Comparison, ...]:
    """The terms of ``text``; an empty filter has none and matches every entry."""
    terms: list[Comparison] = []
    position = 0
    text = text.strip()
    while position < len(text):
        if terms:
            joined = _AND.match(text, position)
            if joined is not None:
                position = joined.end()
        if _UNSUPPORTED.match(text, position):
            raise FilterError(f"unsupported syntax at {text[position:]!r}")
        found = _COMPARISON.match(text, position)
        if found is None:
            raise FilterError(f"expected a comparison at {text[position:]!r}")
        term = Comparison(found["field"], found["op"], _unquote(found["value"]))
        _validate(term)
        terms.append(term)
        position = found.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tuple(terms)


def matches(entry: Mapping[str, Any], terms: Sequence[Comparison]) -> bool:
    return all(term.matches(entry) for term in terms)


def severity_rank(value: str) -> int:
    name = value.strip().upper()
    if name in SEVERITY_RANKS:
        return SEVERITY_RANKS[name]
    if name.isdigit():
        return int(name)
    raise FilterError(f"unknown severity {value!r}")


def parse_time(value: str) -> datetime:
    """RFC 3339 as the API accepts it: ``Z`` or an offset (also ``+0000``), any fraction."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(f"invalid timestamp {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _validate(term: Comparison) -> None:
    if term.op in ("=~", "!~"):
        raise FilterError(f"regular expressions are not supported ({term.field}{term.op})")
    if term.field == "severity":
        severity_rank(term.value)
    elif term.field in _TIME_FIELDS:
        parse_time(term.value)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _lookup(entry: Mapping[str, Any], dotted: str) -> str | int | float | None:
    current: Any = entry
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current if isinstance(current, str | int | float) else None


def _compare(left: Any, op: str, right: Any) -> bool:
    if op in ("=", ":"):
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == ">=":
        return bool(left >= right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left < right)
