"""A lane's output as the prober reads it: a secret split across chunks and line cuts is still
masked."""

from __future__ import annotations

import io

from cutover_probe.probes.output import CARRY, LINE_CAP, LaneOutput
from cutover_probe.secrets import MASK, Redactor

from ..end_to_end.test_hostile_lanes import SECRET


def test_a_secret_split_across_chunks_and_line_cuts_is_still_masked() -> None:
    redactor = Redactor([SECRET])
    for sep in ("-", "\n"):
        count = 2200
        stream = ("a" * 997 + sep + SECRET) * count  # 2.2 MB: a line cut twice
        data = stream.encode()
        for size in (13, 4093, 65536):
            written = io.BytesIO()
            output = LaneOutput(redactor, written)
            for start in range(0, len(data), size):
                output.feed(data[start : start + size])
            output.finish()
            text = written.getvalue().decode()
            assert SECRET[:10] not in text
            assert text.count(MASK) == count
            assert len(text) == len(stream) - count * (len(SECRET) - len(MASK)) + 1
    # The feed that makes a line overlong ends inside a secret: the cut must keep it whole.
    for split in (1, 5, len(SECRET) - 1):
        written = io.BytesIO()
        output = LaneOutput(redactor, written)
        output.feed(("a" * LINE_CAP + SECRET[:split]).encode())
        output.feed((SECRET[split:] + "b" * 100).encode())
        output.finish()
        text = written.getvalue().decode()
        assert SECRET not in text
        assert text == "a" * LINE_CAP + MASK + "b" * 100 + "\n"
    assert CARRY < LINE_CAP
