"""Secrets that cannot print themselves, and the redaction pass over everything written.

Two belts: a `Secret` never renders its value (``str``, ``repr`` and f-strings all give a mask),
and a `Redactor` scrubs every known secret value from every byte the tool writes or prints.
The redactor is mutable on purpose: tokens that servers hand back during a run (the sync-token
route returns one) are learned while the run goes on.

Values shorter than `MIN_SECRET_LENGTH` are not treated as secrets: redacting "" or "a" would
corrupt every line while protecting nothing.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote, quote_plus

MIN_SECRET_LENGTH: Final = 6
MASK: Final = "[REDACTED]"


class Secret:
    """A value that must never reach a file or a terminal."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that needs it (an HTTP header)."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __repr__(self) -> str:
        return f"Secret({MASK})" if self._value else "Secret('')"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class Redactor:
    """Replaces every registered secret value, in every form it travels in, by a mask.

    One secret has many spellings: raw; URL-encoded (``quote`` with and without ``/`` safe,
    ``quote_plus``, upper- and lower-case hex) when a server puts it in a ``Location``; base64
    (standard and URL-safe, padded and not) when it is inside a basic-auth header or an
    encoded blob, including the three alignments at which it can sit inside a longer blob;
    JSON-escaped (ASCII and not) in a JSON log line; HTML-escaped.

    The spellings are matched by compiled alternations, never one pass per secret. Each is a
    trie (``ab(?:c|d)``): at each position of a line the engine tries one branch per distinct
    next character, longest first, so a secret that contains another is masked whole. Secrets
    learned during a run would make one pattern rebuilt at every new token quadratic (1000
    tokens learned one by one, a log line after each: minutes), so the secrets are kept in
    runs of 1, 2, 4, … secrets, merged like a binary counter and each compiled lazily: a new
    token costs one small compile, and a line costs one pass per run (at most 11 for 1000
    secrets; one for the configured secrets of a run). A secret that contains or is contained
    in another puts every secret in one run again, so longest-first holds across them.
    Thread-safe: worker threads learn too.
    """

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self._runs: tuple[_Run, ...] = ()  # largest first; replaced whole, read without a lock
        for value in secrets:
            self.add(value)

    def add(self, value: str | Secret) -> None:
        raw = value.reveal() if isinstance(value, Secret) else value
        if len(raw) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if raw in self._values:
                return
            related = any(raw in known or known in raw for known in self._values)
            self._values = (*self._values, raw)
            runs = [*self._runs, _Run((raw,), spellings(raw))]
            if related:
                runs = [_merged(runs)]
            while len(runs) >= 2 and len(runs[-1].values) >= len(runs[-2].values):
                runs[-2:] = [_merged(runs[-2:])]
            self._runs = tuple(runs)

    def __call__(self, text: str) -> str:
        for run in self._runs:
            pattern = run.pattern
            if pattern is None:
                with self._lock:
                    if run.pattern is None:
                        run.pattern = re.compile(alternation(run.forms))
                    pattern = run.pattern
            text = pattern.sub(MASK, text)
        return text

    def __len__(self) -> int:
        return len(self._values)


class _Run:
    """Some secrets' spellings and, once a line needed it, their compiled alternation."""

    __slots__ = ("forms", "pattern", "values")

    def __init__(self, values: tuple[str, ...], forms: frozenset[str]) -> None:
        self.values = values
        self.forms = forms
        self.pattern: re.Pattern[str] | None = None


def _merged(runs: Iterable[_Run]) -> _Run:
    runs = list(runs)
    return _Run(
        tuple(v for run in runs for v in run.values), frozenset().union(*(r.forms for r in runs))
    )


def spellings(secret: str) -> frozenset[str]:
    """Every form of ``secret`` the redactor masks (each at least `MIN_SECRET_LENGTH` long)."""
    forms = {secret, html.escape(secret), html.escape(secret, quote=False)}
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    for quoted in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms.add(quoted)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quoted))
    data = secret.encode("utf-8")
    for shift in range(3):
        # The secret at byte offset 3k+shift of a longer blob: the characters of the encoding
        # that depend on its bytes alone, whatever comes before and after it.
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        core = encoded[-(-8 * shift // 6) : 8 * (shift + len(data)) // 6]
        for alphabet in (core, core.translate(_URLSAFE)):
            forms.add(alphabet)
    whole = base64.b64encode(data).decode("ascii")
    for form in (whole, whole.translate(_URLSAFE)):
        forms.add(form)
        forms.add(form.rstrip("="))
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_LENGTH)


_URLSAFE = str.maketrans("+/", "-_")


def alternation(forms: Iterable[str]) -> str:
    """A regex matching any of ``forms``, the longest at each position: a trie of them whose
    optional tails are greedy. Runs of single-child nodes become one literal, so a long token
    costs one level of nesting, not one per character."""
    root: dict[str, Any] = {}
    for form in forms:
        node = root
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branch(root)


def _branch(node: dict[str, Any]) -> str:
    options = []
    for char in sorted(key for key in node if key):
        run, child = [char], node[char]
        while len(child) == 1 and "" not in child:
            (only,) = child
            run.append(only)
            child = child[only]
        options.append(re.escape("".join(run)) + _branch(child))
    if not options:
        return ""
    body = options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
    return f"(?:{body})?" if "" in node else body
