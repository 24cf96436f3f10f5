"""A check's reason as the on-call engineer reads it: one line, at most `LIMIT` characters,
naming what failed; the whole text stays in results.json, the check's log (its ``FAILED:``
line) and report.html.

Two steps. The engine words a failed check's reason once, where the outcome is built:
`explained` lets the check's kind name what failed from its evidence (`EXPLAINERS`), so every
view says "these tests failed", not "exit status 101". Each view that shows a reason on one
line (the terminal's lines and live table, quick's table, SUMMARY.md, JUnit's message, the step
summary) passes it through `shown`, which `fit`s it. Three things make a reason long without
making it clearer: image
digests (64 hex digits, shortened to the fewest, at least 8, that still tell the digests of one
reason apart), image registry paths (dropped when the reason is still too long: two images of
one reason share them) and a lane's exit status (a cargo run names its failing tests instead,
through `probes/cargo_output.py`, chosen by `EXPLAINERS` by the check's kind). Skip reasons are
not shaped: they are the planner's own how-to text, shown whole (results.tsv carries them, as
the seed did).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence

LIMIT = 160
ELLIPSIS = "…"
SHORT_DIGEST = 8
_DIGEST = re.compile(r"\b(sha256|sha512):([0-9a-f]{16,128})\b")

SKIPPED = "skipped"
# kind -> "module:function(reason, evidence lines) -> reason", run on a failed check's reason.
EXPLAINERS = {"command": "cutover_probe.probes.cargo_output:explain"}


def shorten_digests(text: str) -> str:
    """``sha256:3f9a1c2d…``: the fewest hex digits (at least 8) that keep every distinct digest
    of the text distinct, so two images that differ still read differently."""
    digests = {match.group(2) for match in _DIGEST.finditer(text)}
    if not digests:
        return text
    length = SHORT_DIGEST
    while length < 128 and len({d[:length] for d in digests}) < len(digests):
        length += 4
    return _DIGEST.sub(
        lambda m: (
            f"{m.group(1)}:{m.group(2)[:length]}{ELLIPSIS}"
            if len(m.group(2)) > length
            else m.group(0)
        ),
        text,
    )


# An image reference: registry host, repository path, last segment, then a digest or a tag
# (``us-central1-docker.pkg.dev/project/repo/runtime@sha256:…``); not a URL's host (``//``).
_IMAGE = re.compile(
    r"(?<![/\w.:-])[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?/(?:[\w.-]+/)*"
    r"([\w.-]+(?:@sha(?:256|512):[0-9a-f]+…?|:[\w][\w.-]{0,127}))"
)


def shorten_images(text: str) -> str:
    """``…/runtime@sha256:3f9a1c2d…``: an image reference without its registry and path, which
    two images of one reason almost always share."""
    return _IMAGE.sub(lambda m: f"{ELLIPSIS}/{m.group(1)}", text)


def fit(text: str, limit: int = LIMIT) -> str:
    """One line of at most ``limit`` characters: whitespace folded, digests shortened, image
    references without their registry path when still too long, and then cut at a word
    boundary with an ellipsis."""
    line = shorten_digests(" ".join(text.split()))
    if len(line) <= limit:
        return line
    line = shorten_images(line)
    if len(line) <= limit:
        return line
    cut = line[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ;,:") + ELLIPSIS


def explained(kind: str, reason: str, evidence: Sequence[str]) -> str:
    """A failed check's reason, reworded by its kind's explainer from its evidence."""
    target = EXPLAINERS.get(kind)
    if target is None:
        return reason
    module, _, function = target.partition(":")
    explain: Callable[[str, Sequence[str]], str] = getattr(
        importlib.import_module(module), function
    )
    return explain(reason, evidence)


def shown(status: str, reason: str) -> str:
    """A reason as a one-line view shows it: `fit`, except a skip's, which is the planner's
    how-to and is shown whole (a CI log must carry it)."""
    if status == SKIPPED:
        return " ".join(reason.split())
    return fit(reason)
