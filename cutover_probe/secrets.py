"""Secrets that cannot print themselves, and the redaction pass over everything written.

Two belts: a `Secret` never renders its value (``str``, ``repr`` and f-strings all give a mask),
and a `Redactor` scrubs every known secret value from every byte the tool writes or prints.
The redactor is mutable on purpose: tokens that servers hand back during a run (the sync-token
route returns one) are learned while the run goes on.

Values shorter than `MIN_SECRET_LENGTH` are not treated as secrets: redacting "" or "a" would
corrupt every line while protecting nothing.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote, quote_plus

MIN_SECRET_LENGTH: Final = 6
MASK: Final = "[REDACTED]"
HEAD_LENGTH: Final = 16  # what the search regex holds of a spelling (the whole, if shorter)


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

    A line is scanned once, left to right; at each place where some spelling could start, the
    longest spelling that is there is masked, so a secret that contains another is masked
    whole. Finding those places is a regex over the spellings' first `HEAD_LENGTH` characters
    only (a trie, in C); checking one is a binary search in the sorted spellings.
    Secrets learned during a run must stay cheap: a regex over whole spellings, rebuilt for
    every sync token learned (JWTs of ~500 characters, 20 spellings each), cost most of the
    run's CPU at 100 environments. So the heads are kept in runs of 1, 2, 4, … secrets, merged
    like a binary counter and each compiled lazily: a new token costs one small compile, every
    head is compiled about log2(n) times, and a line costs one search per run (at most 11 for
    1000 secrets; one for the configured secrets of a run). Thread-safe: worker threads learn
    too.
    """

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._forms: set[str] = set()
        self._sorted: list[str] = []  # every spelling, sorted: the binary search's list
        self._longest = 0
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
            self._values.add(raw)
            forms = spellings(raw) - self._forms
            # The spellings are in the list before the run that finds them is published.
            for form in forms:
                bisect.insort(self._sorted, form)
            self._forms |= forms
            self._longest = max(self._longest, *(len(form) for form in forms), 0)
            runs = [*self._runs, _Run(1, frozenset(form[:HEAD_LENGTH] for form in forms))]
            while len(runs) >= 2 and runs[-1].count >= runs[-2].count:
                last, before = runs.pop(), runs.pop()
                runs.append(_Run(before.count + last.count, before.heads | last.heads))
            self._runs = tuple(runs)

    def __call__(self, text: str) -> str:
        runs = self._runs
        if not runs or len(text) < MIN_SECRET_LENGTH:
            return text
        patterns = [self._pattern(run) for run in runs]
        found = [pattern.search(text) for pattern in patterns]
        pieces: list[str] = []
        done = 0  # text[:done] is in pieces
        position = 0
        while True:
            starts = [match.start() for match in found if match is not None]
            if not starts:
                break
            start = min(starts)
            form = self._longest_at(text, start)
            if form:
                pieces += (text[done:start], MASK)
                done = position = start + len(form)
            else:
                position = start + 1
            for i, match in enumerate(found):
                if match is not None and match.start() < position:
                    found[i] = patterns[i].search(text, position)
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _pattern(self, run: _Run) -> re.Pattern[str]:
        pattern = run.pattern
        if pattern is None:
            with self._lock:
                if run.pattern is None:
                    run.pattern = re.compile(alternation(run.heads))
                pattern = run.pattern
        return pattern

    def _longest_at(self, text: str, start: int) -> str:
        """The longest spelling that ``text`` holds at ``start``, or "".

        Among the sorted spellings, the last one not after the text is either a prefix of it
        or shares a common prefix with it that every shorter match must be a prefix of."""
        target = text[start : start + self._longest]
        spelled = self._sorted
        while len(target) >= MIN_SECRET_LENGTH:
            index = bisect.bisect_right(spelled, target)
            if index == 0:
                return ""
            form = spelled[index - 1]
            if target.startswith(form):
                return form
            target = target[: _common_prefix(form, target)]
        return ""

    def __len__(self) -> int:
        return len(self._values)


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share (a binary search of C comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class _Run:
    """The first characters of some secrets' spellings and, once a line needed it, their
    compiled alternation: where a spelling may start."""

    __slots__ = ("count", "heads", "pattern")

    def __init__(self, count: int, heads: frozenset[str]) -> None:
        self.count = count
        self.heads = heads
        self.pattern: re.Pattern[str] | None = None


def spellings(secret: str) -> frozenset[str]:
    """Every form of ``secret`` the redactor masks (each at least `MIN_SECRET_LENGTH` long)."""
    # Imported by the first secret (once per secret, not per line): `plan` with no secret set
    # imports none of the three (~4 ms of start-up).
    import base64
    import html
    import json

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
