"""`make bench`: how close a run comes to the physical limit, written to docs/performance.md.

Measures, against the simulated fleet with a fixed latency per request, every figure as a ratio
of processes run side by side in the same minute (interleaved, medians), so the load of a shared
machine cancels out as far as it can:
  1. the whole matrix: process wall against the same command with `--only <critical check>`
     (the critical path alone, the same start-up and exit), against the seed's way
     (bench/seed_way.sh: the same requests one curl after another, then the cargo lane) and
     `--max-parallel 1`; and, for what bounds the first ratio, the matrix without its Google
     lanes and the critical path after importing what they import;
  2. start-up: `--help`, `plan`, `quick`, and `run` refused at once (exit 2, a bad URL);
  3. scale: 1, 10, 100, 300 and 1000 environments of the matrix, wall, CPU, peak RSS, the time
     per check (it must stay flat), requests, checks timed out, the event loop's worst lag
     (`CUTOVER_PROBE_LAG_MONITOR=1`, cutover_probe/lag.py);
  4. the largest size again as 4 shards (`--shard K/4`) in 4 parallel processes, merged with
     `cutover-probe merge`, its results.tsv compared byte for byte with the single process's.
The machine is small and shared: read ratios and trends. The page's fixed sections (the 1 GB
lane, how each figure is reproduced, what bounds it) are bench/bounds.md, appended as they are.

    .venv/bin/python bench/run.py [--latency-ms 100] [--repeat 5] [--sizes 1,10,100,300,1000]
    .venv/bin/python bench/run.py --quick      # repeat 3, sizes 1,10,100: about 2 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cutover_probe.commands.run import DEFAULT_MAX_PARALLEL  # noqa: E402
from cutover_probe.config import default_config_path, load_matrix  # noqa: E402
from cutover_probe.demo import make_simulated_checkout  # noqa: E402
from cutover_probe.fleet.__main__ import END_MARKER  # noqa: E402

LIBRARIES_FLOOR = ROOT / "bench" / "floor.py"
PROCESS_LIMIT_S = 600  # any one process of the bench: a hung run must not hold it for ever
GOOGLE_CALLS_PER_ENVIRONMENT = 7  # bench/floor.py's CALLS_PER_ENVIRONMENT

CLI = [sys.executable, "-m", "cutover_probe"]
GOOGLE_VARIABLES = ("GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG")
LAG = re.compile(r"event loop lag: worst (\d+) ms")
# The one simulated fleet stands for every environment's hosts, so more connections per host
# than a real run would open to one. --max-parallel is the product's default (256).
SCALE_LIMITS = ["--per-host-limit", "100", "--connection-limit", "400"]


def shard_limits(parts: int) -> list[str]:
    """The same limits shared by the shards running together on this one machine: with 400
    checks in flight in each of four shards, the lag of four loops on two busy cores cost 93
    checks their 1 min deadline; on machines of their own each would take the default."""
    return [*SCALE_LIMITS, "--max-parallel", str(DEFAULT_MAX_PARALLEL // parts)]


FLEET_START_S = 30.0
FLEET_ANSWER_S = 10.0
# The per-environment variables a scaled matrix may point at another fleet's services.
SERVICE_VARIABLES = (
    "STAGING_CONTROL_BASE_URL",
    "PROD_CONTROL_BASE_URL",
    "STAGING_RUNTIME_BASE_URL",
    "PROD_RUNTIME_BASE_URL",
)


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float  # the child's user + system time
    peak_kib: int  # the largest RSS of any child so far (getrusage cannot tell one child's)
    code: int
    stderr: str


@dataclass(frozen=True)
class FleetUse:
    requests: int
    cpu_s: float


class FleetProcesses:
    """N simulated fleets, each in a process of its own (bench/fleetproc.py), sharing tokens.

    Out of the bench's process so that the fleet neither shares a GIL with the bench nor
    hides in its figures: `use()` reads every fleet's requests and CPU so far."""

    def __init__(self, latency_ms: float, count: int) -> None:
        self.latency_ms = latency_ms
        self.count = count
        self.processes: list[subprocess.Popen[str]] = []
        self.variables: list[dict[str, str]] = []

    def __enter__(self) -> FleetProcesses:
        tokens = f"{secrets.token_urlsafe(24)},{secrets.token_urlsafe(24)}"
        environ = dict(os.environ, BENCH_FLEET_TOKENS=tokens)
        try:
            for _ in range(self.count):
                process = subprocess.Popen(
                    [
                        sys.executable,
                        str(ROOT / "bench" / "fleetproc.py"),
                        "--latency-ms",
                        f"{self.latency_ms:g}",
                    ],
                    env=environ,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                self.processes.append(process)
                self.variables.append(self._exports(process))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    @staticmethod
    def _exports(process: subprocess.Popen[str]) -> dict[str, str]:
        assert process.stdout is not None
        deadline = time.monotonic() + FLEET_START_S
        variables: dict[str, str] = {}
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise SystemExit("the simulated fleet ended before it was ready")
            if line.rstrip("\n") == END_MARKER:
                return variables
            if line.startswith("export "):
                name, _, value = line[len("export ") :].rstrip("\n").partition("=")
                variables[name] = shlex.split(value)[0] if value else ""
        raise SystemExit("the simulated fleet did not start in time")

    def env(self) -> dict[str, str]:
        """The first fleet's variables: the whole matrix, start-up and Google all use it."""
        return self.variables[0]

    def use(self) -> FleetUse:
        requests, cpu = 0, 0.0
        for process in self.processes:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write("\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())
            requests += answer["requests"]
            cpu += answer["cpu_s"]
        return FleetUse(requests, cpu)

    def __exit__(self, *_: object) -> None:
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in self.processes:
            try:
                process.wait(FLEET_ANSWER_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def base_environ(fleet_env: dict[str, str], bin_dir: Path) -> dict[str, str]:
    contract = set(load_matrix(default_config_path()).variables)
    environ = {
        k: v for k, v in os.environ.items() if k not in contract and k not in GOOGLE_VARIABLES
    }
    environ.update(fleet_env)
    environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    environ["CI"] = "1"
    # An installed tool has its bytecode compiled; a run must not recompile every module.
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return environ


def start(
    args: list[str], environ: dict[str, str], cwd: Path, cli: list[str] = CLI
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli + args,
        env=environ,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def timed(
    args: list[str],
    environ: dict[str, str],
    cwd: Path,
    codes: tuple[int, ...] = (0, 1),
    cli: list[str] = CLI,
) -> Sample:
    """One CLI process: wall, CPU, peak RSS (KiB)."""
    return timed_command([*cli, *args], environ, cwd, codes)


def timed_alone(
    args: list[str], environ: dict[str, str], cwd: Path, cli: list[str] = CLI
) -> Sample:
    """One CLI process, its own peak RSS (`os.wait4`), not the largest of every child so far;
    killed after `PROCESS_LIMIT_S`, like every process of the bench."""
    started = time.perf_counter()
    process = start(args, environ, cwd, cli)
    assert process.stderr is not None
    limit = threading.Timer(PROCESS_LIMIT_S, process.kill)
    limit.start()
    try:
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        limit.cancel()
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{args}: exit {process.returncode}\n{stderr[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, cpu, usage.ru_maxrss, process.returncode, stderr)


def median(values: list[float]) -> float:
    return statistics.median(values)


def checks_of(directory: Path) -> list[dict[str, object]]:
    doc = json.loads((directory / "results.json").read_text())
    return [c for c in doc["checks"] if c["status"] != "skipped"]


def failed_with(directory: Path, pattern: str) -> int:
    return sum(
        1
        for c in checks_of(directory)
        if c["status"] == "failed" and re.search(pattern, str(c["reason"]))
    )


def scaled_config(
    environments: int, target: Path, fleets: list[dict[str, str]] | None = None
) -> Path:
    """The shipped matrix with its per-environment checks copied for N environment pairs.

    With `fleets` (each fleet's variables), environment n talks to fleet n mod len(fleets):
    its control and runtime base URLs are written into its checks. The Google checks all use
    the emulator of the environment the run has (the first fleet's)."""
    text = default_config_path().read_text()
    head, _, rest = text.partition("\n[[checks]]")
    blocks = ["[[checks]]" + b for b in ("\n[[checks]]" + rest).split("\n[[checks]]")[1:]]
    blocks = [b.split("\n# Evidence, not checks:")[0] for b in blocks]
    shared = [b for b in blocks if 'kind = "command"' in b]
    per_env = [
        b for b in blocks if 'kind = "command"' not in b and "listed_when_off = false" not in b
    ]
    out = [head.rstrip(), *shared]
    for n in range(environments):
        for block in per_env:
            block = re.sub(r'^id = "([^"]+)"', rf'id = "\1-e{n}"', block, flags=re.M)
            if fleets and n % len(fleets):
                for name in SERVICE_VARIABLES:
                    block = block.replace("${" + name + "}", fleets[n % len(fleets)][name])
            out.append(block)
    target.write_text("\n\n".join(out) + "\n")
    return target


SEED_WAY = ROOT / "bench" / "seed_way.sh"
# What the Google lanes import (gcloud.BASE_LIBRARIES, then run_v2 and logging's clients).
GOOGLE_IMPORTS = (
    "import google.api_core.exceptions, requests, google.auth.transport.requests, "
    "google.cloud.run_v2, google.cloud.logging"
)
GOOGLE_LANES_OFF = {"RUN_RUNTIME_DRIFT_CHECK": "0", "RUN_LOG_PROBES": "0"}


def timed_command(
    argv: list[str], environ: dict[str, str], cwd: Path, codes: tuple[int, ...] = (0, 1)
) -> Sample:
    """Any process: wall, CPU, peak RSS (KiB, the largest of any child so far); its exit code
    must be one of ``codes``; it may take 10 minutes at most."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.run(
        argv,
        env=environ,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=PROCESS_LIMIT_S,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode not in codes:
        raise SystemExit(f"{argv}: exit {process.returncode}\n{process.stderr[-3000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Sample(wall, cpu, after.ru_maxrss, process.returncode, process.stderr)


def seed_way(environ: dict[str, str], repo: Path, gcloud: bool) -> Sample:
    """bench/seed_way.sh: the matrix's requests one curl after another, then the cargo lane."""
    sample = timed_command(
        ["bash", str(SEED_WAY), *(["--gcloud"] if gcloud else [])], environ, repo
    )
    if sample.code != 0:
        raise SystemExit(f"bench/seed_way.sh: a check failed\n{sample.stderr[-3000:]}")
    return sample


def whole_matrix(
    environ: dict[str, str], repo: Path, work: Path, repeat: int, critical: str
) -> tuple[list[str], dict[str, float]]:
    """The whole matrix against its critical path alone, against the seed's way
    (bench/seed_way.sh: one curl after another; with gcloud for the error-log reads too when
    it is installed) and `--max-parallel 1`, and, to show what bounds the first ratio, the
    matrix without its Google lanes and the critical path after importing what they import;
    all interleaved round by round."""
    run = [*CLI, "run", "-q"]
    only = ["--only", critical]
    with_gcloud = shutil.which("gcloud", path=environ.get("PATH")) is not None
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "whole": (run, environ),
        "critical": ([*run, *only], environ),
        "no-google": (run, {**environ, **GOOGLE_LANES_OFF}),
        "critical-google-imported": (
            [
                sys.executable,
                "-c",
                f"{GOOGLE_IMPORTS}; from cutover_probe.cli import main; main()",
                "run",
                "-q",
                *only,
            ],
            environ,
        ),
        "one-check-at-a-time": ([*run, "--max-parallel", "1"], environ),
    }
    seed_ways = {"seed-way": False, **({"seed-way-gcloud": True} if with_gcloud else {})}
    samples: dict[str, list[Sample]] = {name: [] for name in [*variants, *seed_ways]}
    for i in range(repeat):
        for name, (argv, env) in variants.items():
            out = ["--output-dir", str(work / f"{name}-{i}")]
            samples[name].append(timed_command([*argv, *out], env, repo))
        for name, gcloud in seed_ways.items():
            samples[name].append(seed_way(environ, repo, gcloud))
    wall = {name: median([s.wall_s for s in got]) for name, got in samples.items()}
    cpu = {name: median([s.cpu_s for s in got]) for name, got in samples.items()}

    def ratio(a: str, b: str) -> float:
        return median([x.wall_s / y.wall_s for x, y in zip(samples[a], samples[b], strict=True)])

    ratios = {
        "whole_over_critical": ratio("whole", "critical"),
        "no_google_over_critical": ratio("no-google", "critical"),
        "whole_over_critical_google_imported": ratio("whole", "critical-google-imported"),
        "seed_way_over_whole": ratio("seed-way", "whole"),
        "one_at_a_time_over_whole": ratio("one-check-at-a-time", "whole"),
    }
    if with_gcloud:
        ratios["seed_way_gcloud_over_whole"] = ratio("seed-way-gcloud", "whole")
    count = len(checks_of(work / "whole-0"))
    rows = {
        "whole": "`run` (the whole matrix)",
        "critical": f"`run --only {critical}` (its critical path alone)",
        "no-google": "`run` without the Google lanes (`RUN_RUNTIME_DRIFT_CHECK=0 "
        "RUN_LOG_PROBES=0`)",
        "critical-google-imported": f"`run --only {critical}` after importing what the Google "
        "lanes import (`run_v2`, `logging`, `api_core`, `google.auth`, `requests`)",
        "one-check-at-a-time": "`run --max-parallel 1` (one check at a time, each still "
        "concurrent inside)",
        "seed-way": "`bench/seed_way.sh` (the seed's way: one curl after another)",
        "seed-way-gcloud": "`bench/seed_way.sh --gcloud` (the error-log reads with "
        "`gcloud logging read`)",
    }
    lines = [
        "## The whole matrix",
        "",
        f"{count} checks that run, {repeat} runs of each process interleaved, medians. The "
        "seed's way is `bench/seed_way.sh`: the same requests one curl process after another, "
        "then the cargo lane (bench/bounds.md says what it leaves out).",
        "",
        "| process | wall | CPU |",
        "| --- | ---: | ---: |",
        *(f"| {rows[name]} | {wall[name]:.2f} s | {cpu[name]:.2f} s |" for name in samples),
        "",
        "| ratio (median of the per-round ratios) | measured | target |",
        "| --- | ---: | ---: |",
        f"| whole matrix ÷ critical path alone | {ratios['whole_over_critical']:.2f} × "
        "| ≤ 1.08 × |",
        f"| the seed's way (curl) ÷ whole matrix | {ratios['seed_way_over_whole']:.2f} × | ≥ 7 × |",
        *(
            [
                "| the seed's way with gcloud for the log reads ÷ whole matrix "
                f"| {ratios['seed_way_gcloud_over_whole']:.2f} × | ≥ 7 × |"
            ]
            if with_gcloud
            else []
        ),
        "| what bounds the first: | | |",
        "| the matrix without its Google lanes ÷ critical path alone "
        f"| {ratios['no_google_over_critical']:.2f} × | |",
        "| whole matrix ÷ critical path alone after the Google lanes' imports "
        f"| {ratios['whole_over_critical_google_imported']:.2f} × | |",
        f"| one check at a time ÷ whole matrix | {ratios['one_at_a_time_over_whole']:.2f} × | |",
        "",
    ]
    return lines, ratios


def installed_wheel(work: Path) -> list[str]:
    """The command line of the wheel installed as a user installs it: built with `python -m
    build`, in a virtual environment of its own, the package in that environment's site-packages
    (so no editable-install finder runs at each start, as it does in `.venv`). Its dependencies
    are `.venv`'s, reached by a `.pth` line (which adds the directory, not its `.pth` files), so
    nothing is downloaded."""
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    venv = work / "installed"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([str(python), "-c", purelib], text=True).strip())
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheels = [str(wheel) for wheel in dist.glob("*.whl")]
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip, "--target", str(site), *wheels],
        check=True,
    )
    return [str(python), "-m", "cutover_probe"]


FLOOR = 'python -c "import asyncclick"'


def start_up(
    environ: dict[str, str], repo: Path, work: Path, repeat: int
) -> tuple[list[str], dict[str, float]]:
    bad = dict(environ, STAGING_CONTROL_BASE_URL="not a url")
    commands = {
        "cutover-probe --help": (["--help"], environ, (0,)),
        "cutover-probe plan": (["plan"], environ, (0,)),
        "cutover-probe quick": (["quick"], environ, (0, 1)),
        "cutover-probe run, refused (exit 2: a bad URL)": (
            ["run", "-q", "--output-dir", str(work / "refused")],
            bad,
            (2,),
        ),
    }
    installed = installed_wheel(work)
    clis = {"venv": CLI, "wheel": installed}
    for cli in clis.values():
        timed(["--version"], environ, repo, cli=cli)  # bytecode compiled once, outside figures
    samples: dict[tuple[str, str], list[Sample]] = {
        (name, how): [] for name in [*commands, FLOOR] for how in clis
    }
    for _ in range(max(5, repeat)):
        for name, (args, env, codes) in commands.items():
            for how, cli in clis.items():
                samples[name, how].append(timed(args, env, repo, codes, cli))
        for how, cli in clis.items():
            # What no command can skip, in the same round: the interpreter and asyncclick.
            floor = [cli[0], "-c", "import asyncclick"]
            samples[FLOOR, how].append(timed([], environ, repo, (0,), floor))
    targets = {
        FLOOR: "(the floor)",
        "cutover-probe --help": "≤ 60 ms",
        "cutover-probe plan": "≤ 100 ms",
        "cutover-probe quick": "≤ 0.50 s",
        "cutover-probe run, refused (exit 2: a bad URL)": "(no aiohttp, no TLS)",
    }
    lines = [
        "## Start-up",
        "",
        "Each command from the development `.venv` (an editable install: setuptools' finder runs "
        "at every start) and from the wheel installed as a user installs it (`python -m build`, "
        "a virtual environment of its own; `installed_wheel` in bench/run.py), interleaved, "
        f"{max(5, repeat)} runs of each, medians. The first row is what no command can skip, "
        "measured in the same rounds: this machine's speed varies from hour to hour (the same "
        "`--help` took 54 ms and 79 ms of CPU an hour apart), so read each command beside it.",
        "",
        "| command | `.venv` wall | `.venv` CPU | installed wheel wall | installed wheel CPU "
        "| target |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    figures = {}
    for name in [FLOOR, *commands]:
        cells = []
        for how in clis:
            got = samples[name, how]
            wall = median([s.wall_s for s in got])
            figures[f"{name} ({how})"] = wall
            cells.append(f"{wall * 1000:.0f} ms | {median([s.cpu_s for s in got]) * 1000:.0f} ms")
        lines.append(f"| `{name}` | {' | '.join(cells)} | {targets[name]} |")
    lines.append("")
    return lines, figures


def scale(
    environ: dict[str, str],
    repo: Path,
    work: Path,
    sizes: list[int],
    fleets: FleetProcesses,
) -> tuple[list[str], dict[int, Path]]:
    lines = [
        "## Scale",
        "",
        "Environments of the matrix (each: control health and smoke, runtime smoke, and the four "
        "Google checks; the cargo and harness lanes once). The simulated fleet runs in "
        f"{fleets.count} process{'es' if fleets.count > 1 else ''} of its own "
        f"(`bench/fleetproc.py`; environment n talks to fleet n mod {fleets.count}, the Google "
        "checks all to the first), so `--per-host-limit 100 --connection-limit 400` (real "
        "environments have hosts of their own, each with its own per-host limit), and "
        f"`--max-parallel` at its default, {DEFAULT_MAX_PARALLEL} (a check's deadline runs from "
        "its start). One run per "
        "size; the event loop's worst lag from `CUTOVER_PROBE_LAG_MONITOR=1`. CPU per check is "
        "the prober's CPU ÷ checks: it is less sensitive to the machine's load than the wall. "
        "The libraries' floor (`bench/floor.py`, run right after at the same size) makes the "
        "run's requests with nothing of ours around them: as many plain aiohttp GETs as the run "
        "made HTTP requests, and the same Google calls through the same client libraries in a "
        "pool of threads, all at once in one process, imports included; one process with one "
        "GIL cannot make those requests on less CPU.",
        "",
        "| environments | checks | wall | prober CPU | libraries' floor: wall, CPU "
        "| CPU ÷ floor's | fleet CPU | peak RSS | wall per check "
        "| CPU per check | requests | failed | timed out | queued | worst loop lag |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: |",
    ]
    outputs: dict[int, Path] = {}
    lagged = dict(environ, CUTOVER_PROBE_LAG_MONITOR="1")
    walls: dict[int, float] = {}
    for count in sizes:
        config = scaled_config(count, work / f"scale-{count}.toml", fleets.variables)
        out = work / f"scale-{count}"
        before = fleets.use()
        sample = timed_alone(
            ["run", "-q", "--config", str(config), "--output-dir", str(out), *SCALE_LIMITS],
            lagged,
            repo,
        )
        after = fleets.use()
        floor = libraries_floor(
            count, after.requests - before.requests, google_calls(out), environ, repo, fleets
        )
        outputs[count] = out
        checks = len(checks_of(out))
        walls[count] = sample.wall_s
        lag = LAG.search(sample.stderr)
        lines.append(
            f"| {count} | {checks} | {sample.wall_s:.2f} s | {sample.cpu_s:.2f} s "
            f"| {floor.wall_s:.2f} s, {floor.cpu_s:.2f} s | {sample.cpu_s / floor.cpu_s:.2f} × "
            f"| {after.cpu_s - before.cpu_s:.2f} s "
            f"| {sample.peak_kib / 1024:.0f} MiB | {sample.wall_s / checks * 1000:.1f} ms "
            f"| {sample.cpu_s / checks * 1000:.1f} ms "
            f"| {after.requests - before.requests} | {failed_with(out, '')} "
            f"| {failed_with(out, 'timed out|timeout')} "
            f"| {failed_with(out, 'for a connection to')} "
            f"| {lag.group(1) + ' ms' if lag else '?'} |"
        )
    growth = [
        f"{size} ÷ 100 environments: {walls[size] / walls[100]:.1f} ×"
        for size in sizes
        if size > 100 and 100 in walls
    ]
    lines += [
        "",
        *([", ".join(growth) + ".", ""] if growth else []),
        "Targets: 100 environments ≤ 2.5 s and ≤ 200 MiB; 300 ≤ 3 × the 100-environment time; "
        "1000 ≤ 25 s, ≤ 300 MiB and ≤ 11 × the 100-environment time (the time per check "
        "flat). Peak RSS is the prober's own (`ru_maxrss` of the child, from `os.wait4`).",
        "",
    ]
    return lines, outputs


GOOGLE_KINDS = ("cloudrun-migration-drift", "cloudrun-canary", "cloud-logging-errors")


def google_calls(directory: Path) -> int:
    """The Google calls a run made: its Google checks' attempts (each call and retry is one)."""
    return sum(int(str(c["attempts"])) for c in checks_of(directory) if c["kind"] in GOOGLE_KINDS)


def libraries_floor(
    environments: int,
    requests: int,
    google: int,
    environ: dict[str, str],
    repo: Path,
    fleets: FleetProcesses,
) -> Sample:
    """bench/floor.py for a run of ``environments`` that made ``requests``, ``google`` of them
    Google calls: the floor makes the matrix's calls per environment, so they must match."""
    if google != GOOGLE_CALLS_PER_ENVIRONMENT * environments:
        raise SystemExit(
            f"{environments} environments made {google} Google calls, not "
            f"{GOOGLE_CALLS_PER_ENVIRONMENT} each: bench/floor.py's calls no longer mirror the "
            "matrix's Google checks (update google_calls there and CALLS_PER_ENVIRONMENT)"
        )
    urls = [f"{fleet['STAGING_CONTROL_BASE_URL']}/healthz" for fleet in fleets.variables]
    args = ["--http", str(requests - google), "--environments", str(environments), *urls]
    return timed_alone(args, environ, repo, cli=[sys.executable, str(LIBRARIES_FLOOR)])


def shards(
    environ: dict[str, str],
    repo: Path,
    work: Path,
    count: int,
    whole: Path,
    fleets: FleetProcesses,
    parts: int = 4,
) -> list[str]:
    config = work / f"scale-{count}.toml"
    before = fleets.use()
    started = time.perf_counter()
    processes = [
        start(
            [
                "run",
                "-q",
                "--config",
                str(config),
                "--output-dir",
                str(work / f"shard-{k}"),
                "--shard",
                f"{k}/{parts}",
                *shard_limits(parts),
            ],
            environ,
            repo,
        )
        for k in range(1, parts + 1)
    ]
    cpu, peak = 0.0, 0

    def kill_all() -> None:
        for process in processes:
            process.kill()

    limit = threading.Timer(PROCESS_LIMIT_S, kill_all)
    limit.start()
    try:
        for process in processes:
            assert process.stderr is not None
            process.stderr.read()
            process.stderr.close()
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
            peak = max(peak, usage.ru_maxrss)
    finally:
        limit.cancel()
    sharded = time.perf_counter() - started
    fleet_cpu = fleets.use().cpu_s - before.cpu_s
    merged = work / "merged"
    merge = timed(
        [
            "merge",
            "--output-dir",
            str(merged),
            *(str(work / f"shard-{k}") for k in range(1, parts + 1)),
        ],
        environ,
        repo,
    )
    same = (merged / "results.tsv").read_bytes() == (whole / "results.tsv").read_bytes()
    count_differing, differing = (0, []) if same else _differing(whole, merged)
    verdict = "yes" if same else f"no: {count_differing} checks differ (below)"
    return [
        "## Shards",
        "",
        f"{count} environments as {parts} shards (`--shard K/{parts}`) in {parts} parallel "
        "processes, as Cloud Run Job tasks or a CI matrix run them (here on the same two "
        "cores, against the same fleet processes, so each with "
        f"`--max-parallel {DEFAULT_MAX_PARALLEL // parts}`: the {DEFAULT_MAX_PARALLEL} checks "
        "in flight of the single process "
        "shared out), then `cutover-probe merge`.",
        "",
        "| shards, all done | shards' CPU | fleet CPU | largest shard's peak RSS | merge "
        "| merged results.tsv identical to the single process's |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
        f"| {sharded:.2f} s | {cpu:.2f} s | {fleet_cpu:.2f} s | {peak / 1024:.0f} MiB "
        f"| {merge.wall_s:.2f} s | {verdict} |",
        "",
        *(
            [
                "Statuses (single process → shards) of the checks that differ, and the single "
                "process's most common reasons:",
                "",
                "```",
                *differing[:12],
                "```",
                "",
            ]
            if differing
            else []
        ),
    ]


def _differing(whole: Path, merged: Path) -> tuple[int, list[str]]:
    """How many checks differ; how many of each status change, and the single run's reasons."""
    rows = {}
    for directory in (whole, merged):
        for line in (directory / "results.tsv").read_text().splitlines()[1:]:
            check, _, status = line.split("\t")[:3]
            rows.setdefault(check, []).append(status)
    changes: dict[str, int] = {}
    for statuses in rows.values():
        if len(set(statuses)) > 1 or len(statuses) < 2:
            key = " → ".join(statuses) if len(statuses) == 2 else f"{statuses[0]} → (missing)"
            changes[key] = changes.get(key, 0) + 1
    reasons: dict[str, int] = {}
    for check in checks_of(whole):
        if check["status"] == "failed":
            reason = re.sub(r"\d+(\.\d+)?", "N", str(check["reason"]))[:100]
            reasons[reason] = reasons.get(reason, 0) + 1
    return sum(changes.values()), [
        *(f"{count:6d}  {key}" for key, count in sorted(changes.items(), key=lambda x: -x[1])),
        *(
            f"{count:6d}  {reason}"
            for reason, count in sorted(reasons.items(), key=lambda x: -x[1])
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100,300,1000")
    parser.add_argument("--critical", default="runtime-staging-smoke")
    parser.add_argument("--quick", action="store_true", help="repeat 3, sizes 1,10,100")
    parser.add_argument(
        "--fleets", type=int, default=4, help="simulated fleet processes (default 4)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.sizes = 3, "1,10,100"
    sizes = [int(size) for size in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="cutover-bench-"))
    repo = work / "openagents"
    repo.mkdir()
    bin_dir = make_simulated_checkout(repo, contract_tests_pass=True)
    began = time.monotonic()
    lines: list[str] = []
    with FleetProcesses(args.latency_ms, args.fleets) as fleets:
        environ = base_environ(fleets.env(), bin_dir)
        timed(["--version"], environ, repo)  # compile the bytecode once, outside the figures
        part, _ = whole_matrix(environ, repo, work, args.repeat, args.critical)
        lines += part
        part, _ = start_up(environ, repo, work, args.repeat)
        lines += part
        part, outputs = scale(environ, repo, work, sizes, fleets)
        lines += part
        lines += shards(environ, repo, work, sizes[-1], outputs[sizes[-1]], fleets)
    header = [
        "# Performance",
        "",
        "Written by `make bench` (`python bench/run.py`); numbers from "
        f"{time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()} with "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f} at the end, {time.monotonic() - began:.0f} s in all. "
        f"Reproduce with `make bench` (or `.venv/bin/python bench/run.py --latency-ms "
        f"{args.latency_ms:g} --repeat {args.repeat} --sizes {args.sizes}`; `--quick` for a "
        "two-minute pass). The simulated fleet adds "
        f"{args.latency_ms:g} ms to every request.",
        "",
    ]
    text = "\n".join(header + lines + WHAT_BOUNDS_IT)
    args.output.write_text(text)
    print(text)


WHAT_BOUNDS_IT = (ROOT / "bench" / "bounds.md").read_text().splitlines()


if __name__ == "__main__":
    main()
