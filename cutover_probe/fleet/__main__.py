"""Serve a simulated fleet in the foreground: ``python -m cutover_probe.fleet``.

For trying the probes by hand: it prints the environment variables that point at
the fleet (the access tokens included: they are throwaway secrets of this process
and the probes need them) as ``export NAME=value`` lines, each value shell-quoted, then the
end marker ``# ready`` (a shell comment), and serves until Ctrl-C or SIGTERM. So the output
can be ``eval``ed or sourced whole once the marker is there::

    python -m cutover_probe.fleet --scenario image-drift > fleet.env &
    until grep -qx '# ready' fleet.env; do sleep 0.1; done
    . ./fleet.env && cutover-probe run

It takes every scenario ``cutover-probe demo`` takes: a scenario that switches a lane on
exports that switch, and ``contract-tests-fail`` (a toolchain scenario) builds a simulated
checkout whose stand-in cargo fails, puts it first on ``PATH`` and says which ``--repo-root``
to pass (removed when the fleet stops).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import sys
import tempfile
from pathlib import Path

from .checkout import SCENARIO_SWITCHES, TOOLCHAIN_SCENARIOS, make_simulated_checkout
from .faults import RECOVERS_AFTER_S, SCENARIOS, FleetSpec, recovers_after
from .server import serve_fleet

END_MARKER = "# ready"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cutover_probe.fleet",
        description="Serve the simulated OpenAgents staging/prod fleet on 127.0.0.1.",
    )
    parser.add_argument(
        "--scenario",
        default="healthy",
        choices=[*SCENARIOS, *TOOLCHAIN_SCENARIOS],
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


def export_lines(variables: dict[str, str]) -> list[str]:
    """``export NAME=value``, the value quoted for any POSIX shell (`shlex.quote`)."""
    return [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]


async def _serve(scenario: str, latency_ms: float | None, recover_after: float | None) -> None:
    spec = SCENARIOS[scenario].spec if scenario in SCENARIOS else FleetSpec()
    if scenario == "recovers-after" and recover_after is not None:
        spec = recovers_after(recover_after)
    if latency_ms is not None:
        spec = spec.with_latency(latency_ms)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows loops
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    with contextlib.ExitStack() as stack:
        extra = dict(SCENARIO_SWITCHES.get(scenario, {}))
        comments = []
        if scenario in TOOLCHAIN_SCENARIOS:
            repo = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cutover-fleet-")))
            bin_dir = make_simulated_checkout(repo, contract_tests_pass=False)
            extra["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
            comments.append(f"# {TOOLCHAIN_SCENARIOS[scenario]}")
            comments.append(f"# run: cutover-probe run --repo-root {shlex.quote(str(repo))}")
        async with serve_fleet(spec) as fleet:
            for line in [*export_lines({**fleet.env(), **extra}), *comments]:
                print(line)
            print(END_MARKER, flush=True)
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
