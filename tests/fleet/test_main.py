"""`python -m cutover_probe.fleet`: the standalone simulated fleet a person points the CLI at, every
demo scenario, and export lines a shell can eval."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cutover_probe.demo import SCENARIO_NAMES

from ..conftest import clean_environ, invoke_cli


def _start_fleet(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "fleet.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover_probe.fleet", *args],
        stdout=out.open("w"),
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_environ(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "# ready" not in out.read_text().splitlines():
        time.sleep(0.1)
    return process, out


def test_the_standalone_fleet_takes_every_demo_scenario(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cutover_probe.fleet", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    choices = " ".join(result.stdout.split())
    for name in SCENARIO_NAMES:
        assert name in choices, name


def test_the_standalone_fleet_prints_export_lines_a_shell_can_eval(tmp_path: Path) -> None:
    process, out = _start_fleet(tmp_path, "--scenario", "contract-tests-fail")
    try:
        lines = out.read_text().splitlines()
        assert lines[-1] == "# ready"
        assert all(line.startswith(("export ", "# ")) for line in lines), lines
        repo = next(line for line in lines if "--repo-root" in line).split("--repo-root ")[1]
        script = 'eval "$(cat "$1")"; env'
        shell = subprocess.run(
            ["bash", "-c", script, "bash", str(out)],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_environ(),
            check=True,
        )
        exported = dict(line.split("=", 1) for line in shell.stdout.splitlines() if "=" in line)
        assert exported["STAGING_CONTROL_BASE_URL"].startswith("http://127.0.0.1:")
        assert exported["PATH"].startswith(str(Path(repo) / ".toolchain"))
        env = {**clean_environ(CI="true"), **exported}
        result = invoke_cli(
            "run",
            "--repo-root",
            repo,
            "--only",
            "khala-*",
            "--output-dir",
            str(tmp_path / "r"),
            env=env,
            cwd=tmp_path,
        )
        assert "[failed] khala-contract-tests (required): server::tests::" in result.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not Path(repo).exists(), "the simulated checkout is removed when the fleet stops"


def test_the_standalone_fleet_exports_a_scenario_s_lane_switch(tmp_path: Path) -> None:
    process, out = _start_fleet(tmp_path, "--scenario", "backups-stale")
    try:
        assert "export RUN_BACKUP_FRESHNESS_CHECK=1" in out.read_text().splitlines()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert os.path.getsize(out) > 0
