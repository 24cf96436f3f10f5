"""Secrets that cannot print themselves, and the redaction pass over everything written.

Two belts: a `Secret` never renders its value (``str``, ``repr`` and f-strings all give a mask),
and a `Redactor` scrubs every known secret value from every byte the tool writes or prints.
The redactor is mutable on purpose: tokens that servers hand back during a run (the sync-token
route returns one) are learned while the run goes on.

Values shorter than `MIN_SECRET_LENGTH` are not treated as secrets: redacting "" or "a" would
corrupt every line while protecting nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Final

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
    """Replaces every registered secret value by a mask. Thread-safe: worker threads learn too."""

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        for value in secrets:
            self.add(value)

    def add(self, value: str | Secret) -> None:
        raw = value.reveal() if isinstance(value, Secret) else value
        if len(raw) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if raw in self._values:
                return
            # Longest first, so a secret that contains another is masked whole.
            self._values = tuple(sorted((*self._values, raw), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for raw in self._values:
            if raw in text:
                text = text.replace(raw, MASK)
        return text

    def __len__(self) -> int:
        return len(self._values)
