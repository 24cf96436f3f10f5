"""`cutover-probe demo`: the whole matrix against the simulated fleet, no cloud, no cargo.

The fleet serves staging and production control and runtime services on 127.0.0.1; a simulated
OpenAgents checkout gives the subprocess lanes something real to run (a stand-in `cargo` on PATH
that prints a test run), so every lane runs its real code path: HTTP, subprocess, report.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cutover_probe.config import default_config_path, load_matrix
from cutover_probe.engine import RunSettings
from cutover_probe.fleet import SCENARIOS, FleetSpec, serve_fleet
from cutover_probe.fleet.checkout import SCENARIO_SWITCHES as SCENARIO_SWITCHES
from cutover_probe.fleet.checkout import TOOLCHAIN_SCENARIOS as TOOLCHAIN_SCENARIOS
from cutover_probe.fleet.checkout import make_simulated_checkout as make_simulated_checkout
from cutover_probe.report import utc_now
from cutover_probe.workflow import RunRequest, RunSummary, run_matrix

SCENARIO_NAMES = (*SCENARIOS, *TOOLCHAIN_SCENARIOS)
ALL_LANES = {
    "RUN_HTMX_PERF_CHECKS": "1",
    "RUN_PARITY_CHECK": "1",
    "RUN_BACKUP_FRESHNESS_CHECK": "1",
    "RUN_CROSS_SURFACE": "1",
}  # not RUN_TLS_CHECK: the simulated fleet speaks plain HTTP
# What a developer's machine may hold that would point the demo at real Google Cloud.
GOOGLE_VARIABLES = frozenset(
    {
        "GOOGLE_APPLICATION_CREDENTIALS",
        "CLOUDSDK_CONFIG",
        "CLOUD_RUN_EMULATOR_HOST",
        "CLOUD_LOGGING_EMULATOR_HOST",
        "STORAGE_EMULATOR_HOST",
    }
)


def describe_scenarios() -> str:
    lines = [f"{name:<28} {scenario.description}" for name, scenario in SCENARIOS.items()]
    lines += [f"{name:<28} {text}" for name, text in TOOLCHAIN_SCENARIOS.items()]
    return "\n".join(lines)


def demo_environ(base: dict[str, str], fleet_env: dict[str, str], bin_dir: Path) -> dict[str, str]:
    """The user's environment minus every variable of the contract, plus the fleet's."""
    matrix = load_matrix(default_config_path())
    environ = {
        k: v for k, v in base.items() if k not in matrix.variables and k not in GOOGLE_VARIABLES
    }
    environ.update(fleet_env)
    environ["PATH"] = f"{bin_dir}{os.pathsep}{base.get('PATH', '')}"
    return environ


async def run_demo(
    scenario: str,
    *,
    latency_ms: float | None = None,
    output_dir: Path | None = None,
    gate: bool | None = None,
    lanes: dict[str, str] | None = None,
    quiet: bool = False,
) -> RunSummary:
    spec = SCENARIOS[scenario].spec if scenario in SCENARIOS else FleetSpec()
    if latency_ms is not None:
        spec = spec.with_latency(latency_ms)
    if output_dir is None:
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        output_dir = Path.cwd() / "reports" / "demo" / f"{scenario}-{stamp}"
    with tempfile.TemporaryDirectory(prefix="cutover-demo-repo-") as tmp:
        repo = Path(tmp)
        bin_dir = make_simulated_checkout(
            repo, contract_tests_pass=scenario != "contract-tests-fail"
        )
        async with serve_fleet(spec) as fleet:
            environ = demo_environ(dict(os.environ), fleet.env(), bin_dir)
            environ["FAIL_ON_REQUIRED_FAILURE"] = "0" if gate is False else "1"
            environ.update(SCENARIO_SWITCHES.get(scenario, {}))
            environ.update(lanes or {})
            if not quiet:
                print(f"[demo] scenario {scenario}: {_description(scenario)}", flush=True)
            request = RunRequest(
                config=default_config_path(),
                repo_root=repo,
                environ=environ,
                output_dir=output_dir,
                settings=RunSettings(handle_signals=True),
                quiet=quiet,
            )
            return await run_matrix(request)


def _description(scenario: str) -> str:
    if scenario in SCENARIOS:
        return SCENARIOS[scenario].description
    return TOOLCHAIN_SCENARIOS[scenario]
