"""Which tests a cargo (libtest) run says failed, read back from the lane's evidence lines.

`cargo test` exits 101 for a failing test, a panic in the harness and a compile error alike, so
"exit status 101" tells the on-call engineer nothing. libtest prints one ``test <path> ... FAILED``
line per failing test and, at the end, a ``failures:`` list of their paths; cargo prints
``error: could not compile `<crate>``` when it never got that far. This module reads those lines
(pure functions, no process, no I/O) so the engine can name the failure in the reason, while the
whole output stays in the log. Lines it does not recognise are ignored: a harness script that
prints nothing of the kind keeps its own reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_RESULT = re.compile(r"^test (\S+)(?: - should panic)? \.\.\. FAILED\b")
_LISTED = re.compile(r"^ {4}(\S+)$")
_COMPILE = re.compile(r"^error: could not compile `([^`]+)`")
SHOWN_TESTS = 3  # named in the reason; the rest are counted ("and 4 more")


def failing_tests(lines: Iterable[str]) -> list[str]:
    """Every test libtest reported failed, in the order first seen, each once: its
    ``test <path> ... FAILED`` lines, and the names listed under a ``failures:`` header (the
    other ``failures:`` header, followed by ``---- <path> stdout ----`` dumps, lists nothing)."""
    found: dict[str, None] = {}
    listing = False  # inside a failures: list of names
    header = False  # just after a failures: header, before its first non-blank line
    for raw in lines:
        line = raw.rstrip()
        result = _RESULT.match(line)
        if result:
            found.setdefault(result.group(1), None)
            listing = header = False
            continue
        if line == "failures:":
            header, listing = True, False
            continue
        if header:
            if not line:
                continue
            header = False
            listing = not line.startswith("----")
        if listing:
            listed = _LISTED.match(line)
            if listed is None:
                listing = False
            else:
                found.setdefault(listed.group(1), None)
    return list(found)


def compile_failure(lines: Iterable[str]) -> str | None:
    """The crate cargo could not compile, when that is why the run failed."""
    for line in lines:
        match = _COMPILE.match(line.rstrip())
        if match:
            return match.group(1)
    return None


def explain(reason: str, lines: Iterable[str]) -> str:
    """A failed lane's reason naming what failed (`x::y failed (exit status 101)`), or the
    reason unchanged when the output names nothing."""
    lines = list(lines)
    tests = failing_tests(lines)
    if tests:
        shown = ", ".join(tests[:SHOWN_TESTS])
        more = f" and {len(tests) - SHOWN_TESTS} more" if len(tests) > SHOWN_TESTS else ""
        head = f"{shown} failed" if len(tests) == 1 else f"{len(tests)} tests failed: {shown}{more}"
        return f"{head} ({reason})"
    crate = compile_failure(lines)
    if crate is not None:
        return f"could not compile {crate} ({reason})"
    return reason
