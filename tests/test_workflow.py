"""Fail early, fail whole: every output path is tried before anything is probed (exit 2 naming
it), an output directory is held by one run at a time, and an artifact that cannot be written
after probing costs only itself (exit 4 naming it, results.tsv and results.json written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cutover_probe.fleet import FleetSpec, FleetThread

from .conftest import Checkout, Ran, clean_environ, fleet_environ, invoke_cli, read_tsv

MATRIX = """
[matrix]
title = "paths"

[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"

[variables.OUTPUT_DIR]
type = "path"

[[checks]]
id = "lane"
kind = "command"
description = "a lane that leaves a trace"
argv = [{python!r}, {script!r}]
deadline = "60s"
"""


def matrix(tmp_path: Path, body: str = "") -> Path:
    """A one-lane matrix whose lane writes ``ran`` (so a test sees whether anything was probed)
    and then runs ``body``."""
    script = tmp_path / "lane.py"
    ran = tmp_path / "ran"
    script.write_text(f"open({str(ran)!r}, 'w').write('1')\n" + textwrap.dedent(body))
    config = tmp_path / "paths.toml"
    config.write_text(MATRIX.format(python=sys.executable, script=str(script)))
    return config


def run(tmp_path: Path, *args: str, **env: str) -> Ran:
    return invoke_cli(
        "run",
        "--config",
        str(tmp_path / "paths.toml"),
        *args,
        env=clean_environ(**env),
        cwd=tmp_path,
    )


def test_unwritable_junit_path_is_exit_2_before_any_probe(tmp_path: Path) -> None:
    matrix(tmp_path)
    (tmp_path / "afile").write_text("")
    junit = tmp_path / "afile" / "junit.xml"
    result = run(tmp_path, "--junit", str(junit), OUTPUT_DIR=str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert f"--junit {junit}: cannot write there" in result.stderr
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "out").exists()


def test_unreadable_compare_to_is_exit_2_before_any_probe(tmp_path: Path) -> None:
    matrix(tmp_path)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "results.json").write_text("{not json")
    result = run(tmp_path, "--compare-to", str(earlier), OUTPUT_DIR=str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert f"{earlier}/results.json: unreadable" in result.stderr
    assert not (tmp_path / "ran").exists()


def test_step_summary_that_cannot_be_appended_to_is_exit_2_before_any_probe(
    tmp_path: Path,
) -> None:
    matrix(tmp_path)
    summary = tmp_path / "no-such-dir" / "summary.md"
    result = run(tmp_path, OUTPUT_DIR=str(tmp_path / "out"), GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 2, result.stderr
    assert f"GITHUB_STEP_SUMMARY={summary}: cannot append to it" in result.stderr
    assert not (tmp_path / "ran").exists()


def test_logs_as_a_symlink_is_exit_2_before_any_probe(tmp_path: Path) -> None:
    matrix(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "logs").symlink_to(tmp_path / "elsewhere")
    result = run(tmp_path, OUTPUT_DIR=str(out))
    assert result.returncode == 2, result.stderr
    assert f"{out}/logs is a symbolic link" in result.stderr
    assert not (tmp_path / "ran").exists()
    assert not list((tmp_path / "elsewhere").iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory anyway")
def test_read_only_output_dir_holding_logs_is_exit_2_before_any_probe(tmp_path: Path) -> None:
    matrix(tmp_path)
    out = tmp_path / "out"
    (out / "logs").mkdir(parents=True)
    out.chmod(0o555)
    try:
        result = run(tmp_path, OUTPUT_DIR=str(out))
    finally:
        out.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"output directory {out} is not writable" in result.stderr
    assert not (tmp_path / "ran").exists()


def test_output_dir_that_is_a_file_inside_a_file_is_exit_2(tmp_path: Path) -> None:
    matrix(tmp_path)
    (tmp_path / "afile").write_text("")
    out = tmp_path / "afile" / "out"
    result = run(tmp_path, OUTPUT_DIR=str(out))
    assert result.returncode == 2, result.stderr
    assert f"cannot create output directory {out}" in result.stderr
    assert not (tmp_path / "ran").exists()


def test_a_second_run_into_a_directory_in_use_is_exit_2(tmp_path: Path) -> None:
    go = tmp_path / "go"
    matrix(
        tmp_path,
        f"""
        import os, time
        for _ in range(600):
            if os.path.exists({str(go)!r}):
                break
            time.sleep(0.05)
        print("first run's lane")
        """,
    )
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-m", "cutover_probe", "run", "--config", str(tmp_path / "paths.toml")],
        env=clean_environ(OUTPUT_DIR=str(out)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(400):  # until the first run's lane has started: it holds the directory
            if (tmp_path / "ran").exists():
                break
            time.sleep(0.05)
        (tmp_path / "ran").unlink()
        second = run(tmp_path, OUTPUT_DIR=str(out))
        assert second.returncode == 2, second.stderr
        assert f"output directory {out} is in use by another run" in second.stderr
        assert not (tmp_path / "ran").exists(), "the second run probed nothing"
    finally:
        go.write_text("")
        _, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr
    [row] = read_tsv(out / "results.tsv")
    doc = json.loads((out / "results.json").read_text())
    assert row["status"] == doc["checks"][0]["status"] == "passed"
    assert "first run's lane" in doc["checks"][0]["evidence"]
    assert not (out / ".cutover-probe.lock").exists()
    # Once the first run is done, the directory holds a report: refused for that reason.
    third = run(tmp_path, OUTPUT_DIR=str(out))
    assert third.returncode == 2
    assert "already holds a report" in third.stderr


def test_an_artifact_that_fails_after_probing_costs_only_itself(tmp_path: Path) -> None:
    out = tmp_path / "out"
    junit_dir = tmp_path / "ci"
    # A hostile lane spoils two destinations after they were checked: report.html becomes a
    # directory and junit's folder becomes a file.
    matrix(
        tmp_path,
        f"""
        import os, shutil
        os.mkdir({str(out / "report.html")!r})
        shutil.rmtree({str(junit_dir)!r})
        open({str(junit_dir)!r}, "w").close()
        """,
    )
    result = run(tmp_path, "--junit", str(junit_dir / "junit.xml"), OUTPUT_DIR=str(out))
    assert result.returncode == 4, result.stdout + result.stderr
    assert "cutover-probe: error: report.html not written: IsADirectoryError" in result.stderr
    assert f"cutover-probe: error: --junit {junit_dir / 'junit.xml'} not written" in result.stderr
    assert "[matrix] verdict: GO" in result.stdout
    [row] = read_tsv(out / "results.tsv")
    assert row["status"] == "passed"
    assert json.loads((out / "results.json").read_text())["verdict"]["label"] == "GO"
    assert (out / "SUMMARY.md").is_file()
    assert (out / "logs" / "lane.log").is_file()


def test_shard_defaults_from_cloud_run_task_variables(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(
            fleet,
            checkout,
            OUTPUT_DIR=str(tmp_path / "t"),
            CLOUD_RUN_TASK_INDEX="1",
            CLOUD_RUN_TASK_COUNT="4",
        )
        result = invoke_cli("run", env=env, cwd=checkout.root)
    doc = json.loads((tmp_path / "t" / "results.json").read_text())
    assert doc["shard"] == {"index": 2, "count": 4}
    assert [c["id"] for c in doc["checks"]] == [
        "control-staging-smoke",
        "runtime-prod-smoke",
        "control-error-log-probe",
    ]
    assert "verdict for shard 2/4" in result.stdout
