"""The simulated fleet in a process of its own, for the bench: `python bench/fleetproc.py`.

In the bench's own process (`FleetThread`) the fleet shared one GIL with the bench, and at
1000 environments it could not keep up: checks timed out on the fleet's side and the figures
measured the fleet. As its own process it has a core's worth of its own, and the bench can say
how much CPU it used, so a scale table shows whether the prober or the fleet bounds a size.

It starts as `python -m cutover_probe.fleet` does: `export NAME=value` lines, then `# ready`.
Then each line read on stdin is answered with one JSON line on stdout, `{"requests": N,
"cpu_s": S}`: the requests the fleet has recorded and its own CPU time so far (the bench
takes differences around a run). End of stdin, or SIGTERM, stops it. `BENCH_FLEET_TOKENS`
(`staging,prod`) gives several fleets the same access tokens, so one matrix can spread its
environments over them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cutover_probe.fleet import FleetSpec, serve_fleet
from cutover_probe.fleet.__main__ import END_MARKER, export_lines


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def serve(latency_ms: float, tokens: dict[str, str] | None) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with serve_fleet(FleetSpec().with_latency(latency_ms), tokens=tokens) as fleet:
        for line in export_lines(fleet.env()):
            print(line)
        print(END_MARKER, flush=True)

        def answer() -> None:
            if not sys.stdin.readline():
                stop.set()
                return
            # The list is all a run's requests; only its length is read, so the fleet keeps
            # recording as the tests' fleets do.
            print(json.dumps({"requests": len(fleet.requests), "cpu_s": _cpu_s()}), flush=True)

        loop.add_reader(sys.stdin.fileno(), answer)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    tokens = None
    if given := os.environ.get("BENCH_FLEET_TOKENS"):
        staging, prod = given.split(",")
        tokens = {"staging": staging, "prod": prod}
    asyncio.run(serve(args.latency_ms, tokens))


if __name__ == "__main__":
    main()
