"""Shared test fixtures: the simulated fleet (in-loop and in a thread), a simulated OpenAgents
checkout with a stand-in cargo, and two ways to run the real CLI: in this process (asyncclick's
CliRunner, `invoke_cli`) wherever the process boundary is not the point, and as a subprocess
(`run_cli`) for signals, exit codes of the real program, start-up and what is loaded.

Nothing here mocks our own code: tests talk to real servers on 127.0.0.1 and read real files.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from asyncclick.testing import CliRunner
from hypothesis import settings

from cutover_probe.cli import YOUNG_GENERATION, cli
from cutover_probe.config import default_config_path, load_matrix
from cutover_probe.demo import make_simulated_checkout
from cutover_probe.engine import RunSettings, execute
from cutover_probe.fleet import Fleet, FleetSpec, FleetThread, serve_fleet
from cutover_probe.model import Outcome, Status
from cutover_probe.planning import build_plan

# Property tests may never flake in `make test`: the default profile is derandomized (the same
# examples every run, no example database carried between runs). `make fuzz` loads "fuzz":
# random, and `scaled` multiplies each test's example count by 20. Every case fuzzing ever
# finds is pinned with @example, so `make test` keeps checking it.
BASE_EXAMPLES = 100
settings.register_profile(
    "default", derandomize=True, database=None, max_examples=BASE_EXAMPLES, deadline=None
)
settings.register_profile(
    "fuzz", derandomize=False, database=None, max_examples=20 * BASE_EXAMPLES, deadline=None
)
settings.load_profile("default")


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection leaves alive (pytest, the test modules, the package, Google's client
    libraries: most of a worker's heap) lives until the end: moved out of the garbage
    collector's reach, so its full collections during the run do not walk it again each time.
    Only objects alive now are frozen: what a test leaves behind is still collected (and a
    resource it left open still warned about). The young generation is collected every
    `YOUNG_GENERATION` allocations, not every 700, as the CLI does for a run (cli.py): cycles
    are still collected, a little later. Over `make test` the workers' GC went from 5.0 s of
    CPU to 3.1 s frozen and 1.5 s with both."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, older, oldest)


UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker under --dist loadgroup, every test marked xdist_group carries its
    group in its node id (after pytest-xdist's own hook), or the grouping is lost: each such
    module would then build its fixtures (demo reports, Chromium, the import graph) on every
    worker, silently (pytest 9.2 with pytest-xdist 3.8, pytest-dev/pytest-xdist#1386). Such a
    test fails saying so (an error raised here would crash the worker without the message)."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid.rpartition("]")[2]:
            item.stash[UNGROUPED] = (
                "--dist loadgroup ignored this test's xdist_group: this pytest-xdist does not "
                "support this pytest (see the pin in pyproject.toml)"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if UNGROUPED in item.stash:
        pytest.fail(item.stash[UNGROUPED], pytrace=False)


def scaled(examples: int) -> int:
    """A test's example count under the loaded profile (x1 in `make test`, x20 in `make fuzz`).
    Read when a test module is imported, after the profile is chosen."""
    return max(1, examples * settings().max_examples // BASE_EXAMPLES)


REPO = Path(__file__).resolve().parent.parent
# The control and runtime HTTP checks alone: a GO against the healthy fleet without Google's
# client libraries (~0.5 s of CPU in each process that imports them), for tests about what
# the process does with a run, not about the checks.
HTTP_ONLY = REPO / "tests" / "configs" / "http-only.toml"
CONTRACT_VARIABLES = frozenset(load_matrix(default_config_path()).variables)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Checkout:
    root: Path
    bin_dir: Path


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    """A simulated OpenAgents checkout whose contract tests pass."""
    root = tmp_path / "openagents"
    root.mkdir()
    return Checkout(root, make_simulated_checkout(root, contract_tests_pass=True))


GOOGLE_VARIABLES = frozenset(
    {
        "GOOGLE_APPLICATION_CREDENTIALS",
        "CLOUD_RUN_EMULATOR_HOST",
        "CLOUD_LOGGING_EMULATOR_HOST",
        "STORAGE_EMULATOR_HOST",
        "K_SERVICE",
        "CLOUD_RUN_JOB",
        "GCE_METADATA_HOST",
        "CLOUDSDK_CORE_ACCOUNT",
        "CLOUDSDK_ACTIVE_CONFIG_NAME",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE",
    }
)


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any variable of the contract and no Google
    credentials (a gcloud login on the developer's machine must not change results),
    plus ``extra``."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in CONTRACT_VARIABLES and k not in GOOGLE_VARIABLES
    }
    environ["CLOUDSDK_CONFIG"] = "/nonexistent/cutover-probe-tests"
    environ.update(extra)
    return environ


def fleet_environ(fleet: Fleet, checkout: Checkout, **extra: str) -> dict[str, str]:
    """Everything pointed at the fleet (Google APIs through its emulator endpoints), the
    stand-in cargo on PATH."""
    environ = clean_environ(**fleet.env())
    environ["PATH"] = f"{checkout.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    environ.update(extra)
    return environ


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    async with serve_fleet() as running:
        yield running


@pytest.fixture
def fleet_thread() -> Iterator[Fleet]:
    with FleetThread(FleetSpec()) as running:
        yield running


def run_cli(
    *args: str, env: Mapping[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The real program, as a user starts it."""
    return subprocess.run(
        [sys.executable, "-m", "cutover_probe", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class Ran:
    """What a run of the CLI left: the exit code and both streams (as `run_cli`'s result)."""

    returncode: int
    stdout: str
    stderr: str


def invoke_cli(*args: str, env: Mapping[str, str], cwd: Path, timeout: float = 60) -> Ran:
    """The real CLI group in this process, as `run_cli` runs it, without a new interpreter.

    The environment is exactly ``env`` and the working directory ``cwd`` for the run (both
    restored after). Not for what needs a real process: signals, `main`'s own exit (it ends in
    ``os._exit``), start-up time, which modules a run loads, or time budgets (a fleet thread in
    this process shares its GIL with the run). From a synchronous test: the run gets an event
    loop of its own, so a fleet it talks to runs in a thread (`fleet_thread`); an async test
    awaits `invoke_cli_async`."""
    return anyio.run(_invoke, args, dict(env), cwd, timeout)


async def invoke_cli_async(*args: str, env: Mapping[str, str], cwd: Path) -> Ran:
    """`invoke_cli` in the running event loop (within 60 s, as `run_cli`)."""
    return await _invoke(args, dict(env), cwd, 60)


async def _invoke(args: tuple[str, ...], env: dict[str, str], cwd: Path, limit_s: float) -> Ran:
    saved_environ, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        with anyio.fail_after(limit_s):
            result = await CliRunner().invoke(
                cli, list(args), prog_name="cutover-probe", catch_exceptions=False
            )
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environ)
    return Ran(result.exit_code, result.stdout, result.stderr)


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = path.read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


async def run_in_process(
    environ: Mapping[str, str],
    repo_root: Path,
    config: Path | None = None,
    request_timeout_s: float = 5.0,
) -> dict[str, Outcome]:
    """Plan and execute a matrix in this event loop; outcomes by check id, in matrix order."""
    plan = build_plan(load_matrix(config or default_config_path()), environ, repo_root)
    result = await execute(plan, environ, RunSettings(request_timeout_s=request_timeout_s))
    return {outcome.check_id: outcome for outcome in result.outcomes}


# The six HTTP checks of the shipped matrix, both environments' control and runtime.
HTTP_CHECKS = (
    "control-staging-health",
    "control-staging-smoke",
    "control-prod-health",
    "control-prod-smoke",
    "runtime-staging-smoke",
    "runtime-prod-smoke",
)


# The switches that leave only those checks running: the cargo lane and the Google lanes off.
HTTP_CHECKS_ALONE = {
    "RUN_KHALA_CONTRACT_TESTS": "0",
    "RUN_RUNTIME_DRIFT_CHECK": "0",
    "RUN_LOG_PROBES": "0",
}


async def run_against(fleet: Fleet, checkout: Checkout, **extra: str) -> dict[str, Outcome]:
    """The shipped matrix in this event loop against ``fleet``, the cargo lane off."""
    environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0", **extra)
    return await run_in_process(environ, checkout.root)


def assert_only_failed(outcomes: Mapping[str, Outcome], failed: Iterable[str]) -> None:
    """Exactly these HTTP checks failed; every other one passed."""
    failed = set(failed)
    got = {check: outcomes[check].status for check in HTTP_CHECKS}
    want = {check: Status.FAILED if check in failed else Status.PASSED for check in HTTP_CHECKS}
    assert got == want, {check: outcomes[check].reason for check in HTTP_CHECKS}
