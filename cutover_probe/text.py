"""Outside text made safe to show: every control character spelled out, nothing ever markup.

Servers, Google APIs, lanes and environment values put text into reasons, evidence and details.
That text is data. On a terminal an ``ESC ] 0;… BEL`` retitles the window and ``ESC [2J`` clears
it; in SUMMARY.md a CR or a U+2028 breaks a table row; in JUnit a NUL makes the file unreadable
XML; a bidi override (U+202E) makes a line read backwards. So every renderer passes outside text
through `visible` first: each such character becomes an escape a person can read (``\\x1b``,
``\\r``, ``\\u2028``), and the result holds only printable characters, no line breaks.

`visible` is idempotent (its output has nothing left to escape), so a renderer may apply it to a
value that an earlier step already made visible. Backslashes are left alone: a regex in a reason
stays readable, at the price that a literal ``\\x1b`` in the input looks like an escaped ESC.
Secrets are masked before this (the redactor sees the raw text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# C0, DEL and C1 controls; the Unicode format characters that reorder or hide text (bidi
# embeddings, overrides and isolates, zero-width characters, the BOM, interlinear annotation,
# tags); line and paragraph separators; lone surrogates (JSON can carry "\ud800", UTF-8 cannot
# encode it) and the non-characters U+FFFE/U+FFFF (both illegal in XML 1.0).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` on one line, every control or invisible formatting character spelled out."""
    return _INVISIBLE.sub(_escape, text)


def visible_values(value: Any) -> Any:
    """A document with every string value made `visible`; keys and structure untouched
    (keys are the schema's names, and a renderer looks them up)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, Mapping):
        return {key: visible_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [visible_values(item) for item in value]
    return value


def markdown_cell(text: str) -> str:
    """A Markdown table cell that cannot end its row or the table: visible, pipes escaped."""
    return " ".join(visible(str(text)).split()).replace("|", "\\|")
