"""A lane's output, streamed: all of it to its log file as it comes, only an excerpt in memory.

A lane may print a gigabyte, with or without a newline. Holding it (or splitting a growing
string on every chunk) costs memory and quadratic time, and copying it into results.json and
JUnit makes reports nobody can open. So the output goes through here in fixed-size chunks:
decoded as UTF-8 (invalid bytes replaced), redacted, written to the lane's transcript file at
once, and forgotten, except the first `HEAD_BYTES` and a ring of the last `TAIL_BYTES`. The
report's evidence is that head and tail around one line saying how much was left out.

Redaction works on whole lines (a secret holds no newline). A line longer than `LINE_CAP` is
written in parts; the cut keeps back everything after the last mask, up to `CARRY` characters,
so a secret that straddles the cut is still whole when it is redacted with the next part.
"""

from __future__ import annotations

import codecs
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

from cutover_probe.secrets import MASK, Redactor
from cutover_probe.text import visible

CHUNK_BYTES = 64 * 1024  # one read from the pipe
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 64 * 1024
LINE_CAP = 1024 * 1024  # characters of one line held before it is written in parts
CARRY = 64 * 1024  # kept back at such a cut: longer than any secret


class LaneOutput:
    """Mutable by nature: one per lane run, fed chunk by chunk from the pipe."""

    def __init__(
        self,
        redactor: Redactor,
        transcript: BinaryIO | None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self._redactor = redactor
        self._transcript = transcript
        self._on_line = on_line
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pieces: list[str] = []  # the unfinished line, not yet redacted
        self._held = 0
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total_bytes = 0  # what the transcript holds of the output (redacted)

    def feed(self, data: bytes) -> None:
        self._take(self._decoder.decode(data))

    def note(self, line: str) -> None:
        """One of our own lines (already redacted) into the transcript, not the excerpt."""
        if self._transcript is not None:
            self._transcript.write((line + "\n").encode("utf-8", "replace"))

    def finish(self) -> None:
        """The pipe is closed (or no longer read): write out the unfinished last line."""
        self._take(self._decoder.decode(b"", final=True))
        if self._pieces:
            text = "".join(self._pieces)
            self._pieces, self._held = [], 0
            self._emit(self._redactor(text))
        if self._transcript is not None and self.total_bytes and not self._ends_with_newline():
            self._transcript.write(b"\n")

    def excerpt(self, where: str) -> list[str]:
        """Evidence lines: all of a short output; else its head and tail around a line saying
        how many bytes were left out and ``where`` the full output is."""
        tail = b"".join(self._tail)
        if self.total_bytes <= HEAD_BYTES + TAIL_BYTES:
            whole = bytes(self._head) + tail[len(tail) - (self.total_bytes - len(self._head)) :]
            return _lines(whole)
        head = bytes(self._head)
        tail = tail[-TAIL_BYTES:]
        # Cut at line ends near the cut, so the excerpt shows whole lines; one huge line is
        # shown as its start and its end.
        end = head.rfind(b"\n")
        if end >= len(head) // 2:
            head = head[: end + 1]
        start = tail.find(b"\n", 0, len(tail) - 1)
        if 0 <= start < len(tail) // 2:
            tail = tail[start + 1 :]
        left_out = self.total_bytes - len(head) - len(tail)
        return [*_lines(head), f"… {left_out:,} bytes left out ({where}) …", *_lines(tail)]

    def _take(self, text: str) -> None:
        if not text:
            return
        end = text.rfind("\n")
        if end >= 0:
            block = "".join((*self._pieces, text[: end + 1]))
            rest = text[end + 1 :]
            self._pieces, self._held = ([rest], len(rest)) if rest else ([], 0)
            self._emit(self._redactor(block))
            return
        self._pieces.append(text)
        self._held += len(text)
        if self._held > LINE_CAP:
            self._cut_overlong_line()

    def _cut_overlong_line(self) -> None:
        text = "".join(self._pieces)
        clean = self._redactor(text)
        # Whatever follows the last mask is unredacted text as it came (nothing matched
        # there); keep its end back in case a secret starts in it and ends in the next part.
        after_mask = len(clean) - (clean.rfind(MASK) + len(MASK)) if MASK in clean else len(clean)
        keep = min(after_mask, CARRY)
        self._emit(clean[: len(clean) - keep])
        rest = text[len(text) - keep :] if keep else ""
        self._pieces, self._held = ([rest], keep) if keep else ([], 0)

    def _emit(self, text: str) -> None:
        if not text:
            return
        # Outside text is shown, never obeyed: a lane's ESC or CR is spelled out in the log too.
        text = "\n".join(visible(line.removesuffix("\r")) for line in text.split("\n"))
        data = text.encode("utf-8", "replace")
        if self._transcript is not None:
            self._transcript.write(data)
        self.total_bytes += len(data)
        if len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
        self._tail.append(data)
        self._tail_size += len(data)
        while self._tail_size - len(self._tail[0]) >= TAIL_BYTES:
            self._tail_size -= len(self._tail.popleft())
        if self._on_line is not None:
            for line in text.splitlines():
                self._on_line(line)

    def _ends_with_newline(self) -> bool:
        return bool(self._tail) and self._tail[-1].endswith(b"\n")


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").splitlines()
