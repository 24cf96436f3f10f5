"""Serve a simulated fleet in the foreground: ``python -m cutover_probe.fleet``.

For trying the probes by hand: it prints the environment variables that point at
the fleet (the access tokens included: they are throwaway secrets of this process
and the probes need them), then ``ready``, and serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .faults import RECOVERS_AFTER_S, SCENARIOS, recovers_after
from .server import serve_fleet


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cutover_probe.fleet",
        description="Serve the simulated OpenAgents staging/prod fleet on 127.0.0.1.",
    )
    parser.add_argument(
        "--scenario",
        default="healthy",
        choices=list(SCENARIOS),
        help="which break to simulate (default: healthy)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=None,
        help="latency added to every response of all four services and the Google APIs",
    )
    parser.add_argument(
        "--recover-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --scenario recovers-after: seconds until staging control is ready "
        f"(default {RECOVERS_AFTER_S:g})",
    )
    return parser


async def _serve(scenario: str, latency_ms: float | None, recover_after: float | None) -> None:
    spec = SCENARIOS[scenario].spec
    if scenario == "recovers-after" and recover_after is not None:
        spec = recovers_after(recover_after)
    if latency_ms is not None:
        spec = spec.with_latency(latency_ms)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows loops
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with serve_fleet(spec) as fleet:
        for name, value in fleet.env().items():
            print(f"{name}={value}")
        print("ready", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.latency_ms is not None and args.latency_ms < 0:
        print("--latency-ms must not be negative", file=sys.stderr)
        return 2
    if args.recover_after is not None and not 0 <= args.recover_after < float("inf"):
        print("--recover-after must be a finite number of seconds, 0 or more", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args.scenario, args.latency_ms, args.recover_after))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
