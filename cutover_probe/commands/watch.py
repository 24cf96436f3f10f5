"""`cutover-probe watch`: the matrix every --interval through a traffic shift, judged by
Argo-style analysis rules, with a history, a live view, metrics and a change hook."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncclick as click

from cutover_probe.boundary import boundary
from cutover_probe.commands import run
from cutover_probe.commands.options import (
    FiniteFloat,
    config_options,
    config_path,
    log_options,
    network_options,
    repo_path,
    selection_options,
)
from cutover_probe.commands.run import run_request
from cutover_probe.errors import UsageError

F = TypeVar("F")


def seconds(option: str, value: str | None) -> float | None:
    """``30s``, ``5m``, ``0`` or ``0.5``: seconds, finite; a UsageError (exit 2) otherwise."""
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        from cutover_probe.durations import parse_duration

        try:
            number = parse_duration(text)
        except ValueError as exc:
            raise UsageError(f"{option} {value!r}: {exc}") from None
    if not math.isfinite(number) or number < 0:
        raise UsageError(f"{option} {value!r}: expected a finite duration such as 30s or 5m")
    return number


# `run`'s own options (beyond the shared config, selection, network and log ones): watch takes
# them all, as Option objects of the run command itself, so the two cannot drift apart.
RUN_OPTIONS = (
    "output_dir",
    "junit",
    "fail_fast",
    "compare_to",
    "request_timeout",
    "per_host_limit",
    "connection_limit",
    "max_parallel",
    "verbose",
    "quiet",
)


def run_options(function: F) -> F:
    by_name = {param.name: param for param in run.command.params}
    params = getattr(function, "__click_params__", [])
    # click reverses the list it collects from decorators: add them reversed, get run's order.
    params.extend(by_name[name] for name in reversed(RUN_OPTIONS))
    function.__click_params__ = params  # type: ignore[attr-defined]
    return function


@click.command("watch")
@config_options
@selection_options
@run_options
@click.option(
    "--interval",
    default="30s",
    show_default=True,
    metavar="DURATION",
    help="Start an iteration this often, start to start (0: back to back).",
)
@click.option("--count", type=int, default=None, help="Run N iterations (analysis mode).")
@click.option(
    "--duration", default=None, metavar="DURATION", help="Start iterations for this long."
)
@click.option(
    "--failure-limit",
    type=int,
    default=None,
    help="NO-GO iterations tolerated (default 0); one more fails the analysis.",
)
@click.option(
    "--until",
    type=click.Choice(["go"]),
    default=None,
    help="Run until GO (--consecutive times in a row) instead of an analysis.",
)
@click.option(
    "--consecutive", type=int, default=None, help="With --until go: GO iterations in a row needed."
)
@click.option(
    "--timeout",
    "timeout_text",
    default=None,
    metavar="DURATION",
    help="With --until go: give up (exit 1) when no further iteration can start in time.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="Serve Prometheus/OpenMetrics text on this port (/metrics).",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Address the metrics server listens on.",
)
@click.option(
    "--on-change",
    default=None,
    metavar="CMD",
    help="Run CMD (split like a shell, run without one) when the verdict changes; it gets "
    "CUTOVER_PROBE_VERDICT and CUTOVER_PROBE_REPORT, and no secret.",
)
@click.option(
    "--on-change-timeout",
    default="10s",
    show_default=True,
    metavar="DURATION",
    help="Kill --on-change's command after this long.",
)
@click.option(
    "--demo",
    "demo",
    default=None,
    metavar="SCENARIO",
    help="Watch the simulated fleet of this demo scenario (flapping, recovers-after, …).",
)
@click.option(
    "--demo-latency-ms",
    type=FiniteFloat(0, 60_000),
    default=None,
    help="With --demo: latency added to every simulated request.",
)
@click.option(
    "--demo-recover-after",
    type=FiniteFloat(0, 86_400),
    default=None,
    help="With --demo recovers-after: seconds until staging control is ready.",
)
@network_options
@log_options
@boundary
async def command(
    config: Path | None,
    repo_root: Path | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    environment: str | None,
    shard: str | None,
    output_dir: Path | None,
    junit: Path | None,
    fail_fast: bool,
    compare_to: Path | None,
    request_timeout: float,
    per_host_limit: int,
    connection_limit: int,
    max_parallel: int | None,
    verbose: bool,
    quiet: bool,
    interval: str,
    count: int | None,
    duration: str | None,
    failure_limit: int | None,
    until: str | None,
    consecutive: int | None,
    timeout_text: str | None,
    metrics_port: int | None,
    metrics_host: str,
    on_change: str | None,
    on_change_timeout: str,
    demo: str | None,
    demo_latency_ms: float | None,
    demo_recover_after: float | None,
    ca_bundle: Path | None,
    resolve: tuple[str, ...],
    log_level: str,
    log_format: str,
) -> int:
    """Run the matrix (or a selection) every --interval in one warm process and judge the
    iterations like an Argo Rollouts analysis.

    \b
      watch --interval 30s --count 20 --failure-limit 1     # analysis during a traffic step
      watch --until go --consecutive 3 --timeout 15m         # after a deploy: wait until ready

    OUTPUT_DIR gets watch.json (every iteration's rows), report.html (checks × iterations) and
    iterations/NNNN/ (the full report of every NO-GO iteration, every change and the last).
    Exit codes: 0 analysis successful, 1 failed, 2 usage, 130 interrupted.
    """
    from cutover_probe import diagnostics
    from cutover_probe.watch.analysis import make_rules
    from cutover_probe.watch.hooks import parse_command
    from cutover_probe.watch.runner import WatchRequest, watch

    diagnostics.configure(log_level, log_format)
    interval_s = seconds("--interval", interval)
    assert interval_s is not None
    rules = make_rules(
        interval_s=interval_s,
        count=count,
        duration_s=_positive("--duration", duration),
        failure_limit=failure_limit,
        until=until,
        consecutive=consecutive,
        timeout_s=_positive("--timeout", timeout_text),
    )
    hook = parse_command(on_change)
    hook_timeout = _positive("--on-change-timeout", on_change_timeout)
    assert hook_timeout is not None
    if demo is None and (demo_latency_ms is not None or demo_recover_after is not None):
        raise UsageError("--demo-latency-ms and --demo-recover-after need --demo SCENARIO")
    async with _target(demo, demo_latency_ms, demo_recover_after, config, repo_root) as target:
        environ, config_file, root, extra_secrets = target
        run = run_request(
            config_file,
            root,
            environ,
            only=only,
            skip=skip,
            environment=environment,
            shard=shard,
            output_dir=output_dir,
            junit=junit,
            fail_fast=fail_fast,
            compare_to=compare_to,
            request_timeout=request_timeout,
            per_host_limit=per_host_limit,
            connection_limit=connection_limit,
            max_parallel=max_parallel,
            verbose=verbose,
            quiet=quiet,
            ca_bundle=ca_bundle,
            resolve=resolve,
            handle_signals=False,  # the watch takes its signals itself, between iterations too
        )
        summary = await watch(
            WatchRequest(
                run=run,
                rules=rules,
                metrics_host=metrics_host,
                metrics_port=metrics_port,
                on_change=hook,
                on_change_timeout_s=hook_timeout,
                extra_secrets=extra_secrets,
            )
        )
    return summary.exit_code


def _positive(option: str, value: str | None) -> float | None:
    number = seconds(option, value)
    if number is not None and number <= 0:
        raise UsageError(f"{option} {value!r}: must be more than 0")
    return number


@asynccontextmanager
async def _target(
    demo: str | None,
    latency_ms: float | None,
    recover_after: float | None,
    config: Path | None,
    repo_root: Path | None,
) -> AsyncIterator[tuple[dict[str, str], Path, Path, tuple[str, ...]]]:
    """The environment, config and checkout to watch: the user's, or a simulated fleet's."""
    if demo is None:
        yield dict(os.environ), config_path(config), repo_path(repo_root), ()
        return
    from cutover_probe.demo import SCENARIO_SWITCHES, demo_environ, make_simulated_checkout
    from cutover_probe.fleet import SCENARIOS, serve_fleet
    from cutover_probe.fleet.faults import recovers_after

    if demo not in SCENARIOS:
        raise UsageError(f"--demo {demo!r}: unknown scenario (one of: {', '.join(SCENARIOS)})")
    if recover_after is not None and demo != "recovers-after":
        raise UsageError("--demo-recover-after applies to --demo recovers-after")
    spec: Any = SCENARIOS[demo].spec
    if recover_after is not None:
        spec = recovers_after(recover_after)
    if latency_ms is not None:
        spec = spec.with_latency(latency_ms)
    with tempfile.TemporaryDirectory(prefix="cutover-watch-demo-") as tmp:
        repo = Path(tmp)
        bin_dir = make_simulated_checkout(repo, contract_tests_pass=True)
        async with serve_fleet(spec) as fleet:
            environ = demo_environ(dict(os.environ), fleet.env(), bin_dir)
            environ.update(SCENARIO_SWITCHES.get(demo, {}))
            if "OUTPUT_DIR" not in environ:
                from cutover_probe.report import utc_now

                stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
                environ["OUTPUT_DIR"] = str(Path.cwd() / "reports" / "watch" / f"{demo}-{stamp}")
            tokens = tuple(fleet.tokens.values())
            yield environ, config_path(config), repo, tokens
