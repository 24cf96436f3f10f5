"""`cutover-probe watch` end to end against the simulated fleet, in this process (asyncclick's
CliRunner) and, for the interrupt, as a real subprocess: exit codes, watch.json, the kept
reports, the hook's environment and the metrics a scraper reads."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from asyncclick.testing import CliRunner, Result

from cutover_probe.cli import cli

from ..conftest import REPO, read_tsv

pytestmark = pytest.mark.anyio


# Staging control's checks alone (the ones `flapping` and `recovers-after` fault), where what is
# tested is the watch (its verdicts, hook, metrics, timing, interrupt), not the other checks: an
# iteration then costs half the CPU, and a process of its own imports no Google client library.
# test_failure_limit_fails_at_the_first_failure_past_it and the --count test keep the whole
# matrix, so that no other check fails along is proved; the shard test selects its own.
FLAPPING_ONLY = ("--only", "control-staging-*")


async def watch(*args: str, env: dict[str, str] | None = None) -> Result:
    return await CliRunner().invoke(cli, ["watch", *args], env=env, catch_exceptions=False)


def history(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "watch.json").read_text())
    return doc


def verdicts(doc: dict[str, Any]) -> list[str]:
    return [it["verdict"] for it in doc["iterations"]]


async def test_count_of_go_iterations_succeeds_and_keeps_rows_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "healthy", "--interval", "0", "--count", "3", "--output-dir", str(out)
    )
    assert result.exit_code == 0, result.output
    doc = history(out)
    assert doc["schema"] == "cutover-probe/watch/v1"
    assert verdicts(doc) == ["GO", "GO", "GO"]
    assert doc["analysis"]["result"] == "successful"
    assert doc["analysis"]["exit_code"] == 0
    first = doc["iterations"][0]
    assert set(first) >= {"started_at", "verdict", "checks"}
    ids = [c["id"] for c in first["checks"]]
    # Matrix order, the order of a run's results.tsv.
    assert ids == [row["check_id"] for row in read_tsv(out / "iterations/0003/results.tsv")]
    assert set(first["checks"][0]) == {"id", "status", "duration_ms", "reason"}
    # The first iteration (a change from nothing) and the last keep their full report.
    assert sorted(p.name for p in (out / "iterations").iterdir()) == ["0001", "0003"]
    assert (out / "iterations" / "0003" / "results.tsv").is_file()
    assert [it["report"] for it in doc["iterations"]] == [
        "iterations/0001",
        None,
        "iterations/0003",
    ]
    assert "[watch] analysis SUCCESSFUL: 3 iterations, 0 NO-GO" in result.output
    assert (out / "report.html").read_text().count('class="cell s-passed"') >= 3 * 11


async def test_failure_limit_fails_at_the_first_failure_past_it(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "flapping", "--interval", "0", "--count", "9", "--failure-limit", "1",
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    doc = history(out)
    # Stops at iteration 6, the second NO-GO: the outcome is certain, 7..9 would not change it.
    assert verdicts(doc) == ["GO", "GO", "NO-GO", "GO", "GO", "NO-GO"]
    analysis = doc["analysis"]
    assert analysis["result"] == "failed"
    assert analysis["failed_iterations"] == [3, 6]
    assert analysis["failed_checks"] == {
        "control-staging-health": [3, 6],
        "control-staging-smoke": [3, 6],
    }
    assert "[watch] analysis FAILED: 2 NO-GO iterations of 6, more than --failure-limit 1" in (
        result.output
    )
    assert "[watch]   control-staging-health failed in iterations 3, 6" in result.output
    # Every NO-GO, every change of verdict and the last keep their report.
    assert sorted(p.name for p in (out / "iterations").iterdir()) == [
        "0001", "0003", "0004", "0006",
    ]  # fmt: skip
    tsv = (out / "iterations" / "0003" / "results.tsv").read_text()
    assert "control-staging-health\trequired\tfailed" in tsv


async def test_failures_within_the_limit_succeed(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "flapping", *FLAPPING_ONLY, "--interval", "0", "--count", "5",
        "--failure-limit", "1", "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert verdicts(history(out)) == ["GO", "GO", "NO-GO", "GO", "GO"]


async def test_a_selection_is_judged_on_the_selected_checks(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "flapping", "--only", "control-staging-*", "--interval", "0", "--count", "4",
        "--failure-limit", "1", "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = history(out)
    assert verdicts(doc) == ["GO", "GO", "NO-GO", "GO"]
    statuses = {c["id"]: c["status"] for c in doc["iterations"][0]["checks"]}
    assert statuses["control-prod-health"] == "skipped"  # deselected rows stay, as skips
    why = json.loads((out / "iterations" / "0004" / "results.json").read_text())["verdict"]["why"]
    assert why.endswith("deselected)")


async def test_until_go_recovers_then_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "recovers-after", "--demo-recover-after", "1.5", *FLAPPING_ONLY,
        "--until", "go", "--consecutive", "2", "--timeout", "30s", "--interval", "0.25",
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    seen = verdicts(history(out))
    assert seen[0] == "NO-GO", seen
    assert seen[-2:] == ["GO", "GO"], seen
    assert "NO-GO" not in seen[seen.index("GO") :]
    assert history(out)["analysis"]["why"] == "2 GO iterations in a row"


async def test_until_go_times_out_with_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "w"
    began = time.monotonic()
    result = await watch(
        "--demo", "recovers-after", "--demo-recover-after", "600", *FLAPPING_ONLY,
        "--until", "go", "--timeout", "1.5s", "--interval", "0.3", "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    doc = history(out)
    assert set(verdicts(doc)) == {"NO-GO"}
    assert "within --timeout 1.5s" in doc["analysis"]["why"]
    assert time.monotonic() - began < 20  # bounded by the timeout, not by anything else


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--consecutive", "2"], "--consecutive only applies with --until go"),
        (["--interval", "inf"], "--interval 'inf'"),
        (["--interval", "nan"], "--interval 'nan'"),
        (["--interval", "-1"], "--interval '-1'"),
        (["--interval", "soon"], "--interval 'soon'"),
        (["--count", "0"], "--count must be at least 1"),
        (["--until", "go"], "--until go needs --timeout"),
        (["--count", "2", "--duration", "1m"], "give one of them"),
        (["--on-change", "'unclosed"], "--on-change"),
        (["--demo-latency-ms", "5"], "need --demo SCENARIO"),
    ],
)
async def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = await watch(*args, "--output-dir", str(tmp_path / "w"))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "w").exists()


# The NO-GO's notification is slow: the GO after it (one iteration later, a fraction of a
# second) must still be heard after it.
HOOK = """
import json, os, sys, time
record = {k: v for k, v in os.environ.items()}
if record["CUTOVER_PROBE_VERDICT"] == "NO-GO":
    time.sleep(1)
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(record) + "\\n")
sys.exit(3)
"""


async def test_on_change_runs_per_change_without_secrets_and_its_failure_is_not_fatal(
    tmp_path: Path,
) -> None:
    out = tmp_path / "w"
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    calls = tmp_path / "calls.jsonl"
    env = {"SOME_ACCESS_TOKEN": "tok-abcdef-123456", "KEEP_ME": "yes"}
    result = await watch(
        "--demo", "flapping", *FLAPPING_ONLY, "--interval", "0", "--count", "5",
        "--failure-limit", "1", "--on-change", f"{sys.executable} {script} {calls}",
        "--output-dir", str(out),
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in calls.read_text().splitlines()]
    # GO (from nothing), NO-GO at 3, GO again at 4: in that order, one hook at a time.
    assert [r["CUTOVER_PROBE_VERDICT"] for r in records] == ["GO", "NO-GO", "GO"]
    assert [r["CUTOVER_PROBE_ITERATION"] for r in records] == ["1", "3", "4"]
    assert records[1]["CUTOVER_PROBE_REPORT"] == str(out / "iterations" / "0003")
    assert await anyio.Path(records[1]["CUTOVER_PROBE_REPORT"], "results.tsv").is_file()
    for record in records:
        assert record["KEEP_ME"] == "yes"
        assert not [k for k in record if k.endswith("_ACCESS_TOKEN")]
        assert "tok-abcdef-123456" not in json.dumps(record)
    assert "--on-change python" in result.output or "exited 3" in result.output


async def test_on_change_that_hangs_is_killed_in_time(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "healthy", *FLAPPING_ONLY, "--interval", "0", "--count", "1",
        "--on-change", f"{sys.executable} -c 'import time; time.sleep(60)'",
        "--on-change-timeout", "0.5s", "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no exit within 0.5s, killed" in result.output


async def test_on_change_that_cannot_start_is_logged(tmp_path: Path) -> None:
    result = await watch(
        "--demo", "healthy", *FLAPPING_ONLY, "--interval", "0", "--count", "1",
        "--on-change", str(tmp_path / "missing-program"), "--output-dir", str(tmp_path / "w"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "missing-program: could not start" in result.output


async def test_metrics_port_in_use_is_a_usage_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await watch(
            "--demo", "healthy", "--count", "1", "--metrics-port", str(port),
            "--output-dir", str(tmp_path / "w"),
        )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"--metrics-port {port}: cannot listen on 127.0.0.1" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupt_writes_the_summary_and_exits_130(sig: signal.Signals, tmp_path: Path) -> None:
    out = tmp_path / "w"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "cutover_probe", "watch", "--demo", "flapping", *FLAPPING_ONLY,
            "--interval", "0.2", "--failure-limit", "100", "--output-dir", str(out),
        ],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("[watch] iteration 4:"):
            break
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 130, stdout + stderr
    doc = history(out)
    assert doc["analysis"]["result"] == "interrupted"
    assert doc["analysis"]["exit_code"] == 130
    assert verdicts(doc)[:4] == ["GO", "GO", "NO-GO", "GO"]
    assert "[watch] analysis INTERRUPTED" in stdout
    assert (out / "report.html").is_file()


async def test_duration_starts_iterations_while_within_it(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "healthy", *FLAPPING_ONLY, "--interval", "0.4", "--duration", "1s",
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = history(out)
    offsets = [it["offset_s"] for it in doc["iterations"]]
    # Starts every 0.4 s (later when one overruns), none at or after 1 s.
    assert 1 <= len(offsets) <= 3
    assert all(offset < 1.0 for offset in offsets)
    assert doc["analysis"]["rules"]["duration_s"] == 1.0


async def test_an_iteration_longer_than_the_interval_says_so_and_the_next_starts_at_once(
    tmp_path: Path,
) -> None:
    # 50 ms a request: staging control's two checks take well over the 0.1 s interval.
    out = tmp_path / "w"
    result = await watch(
        "--demo", "healthy", *FLAPPING_ONLY, "--demo-latency-ms", "50", "--interval", "0.1",
        "--count", "2", "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(
        r"\[watch\] iteration 1 ran \d+\.\d\ds past the 0\.1s interval: the next starts at once",
        result.output,
    ), result.output
    offsets = [it["offset_s"] for it in history(out)["iterations"]]
    assert offsets[1] - offsets[0] > 0.1


SCRAPE = """
import os, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
    open(sys.argv[2], "w").write(answer.read().decode())
"""


async def test_metrics_served_during_the_watch(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = tmp_path / "scrape.py"
    script.write_text(SCRAPE)
    scraped = tmp_path / "metrics.txt"
    url = f"http://127.0.0.1:{port}/metrics"
    result = await watch(
        "--demo", "flapping", *FLAPPING_ONLY, "--interval", "0", "--count", "3",
        "--failure-limit", "1", "--metrics-port", str(port),
        "--on-change", f"{sys.executable} {script} {url} {scraped}",
        "--output-dir", str(tmp_path / "w"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"[watch] metrics: {url}" in result.output
    from prometheus_client.parser import text_string_to_metric_families

    # The hook of the last change (NO-GO at iteration 3) scraped the live server.
    text = scraped.read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["cutover_probe_watch_iterations"].samples[0].value >= 1
    assert "control-staging-health" in text
    assert "ACCESS_TOKEN" not in text
    assert "127.0.0.1" not in text  # no URL in a label


async def test_a_shard_watches_its_own_checks(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = await watch(
        "--demo", "healthy", "--shard", "1/2", "--interval", "0", "--count", "1",
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = history(out)
    ids = [c["id"] for c in doc["checks"]]
    assert ids == [row["id"] for row in doc["iterations"][0]["checks"]]
    assert ids == [row["check_id"] for row in read_tsv(out / "iterations/0001/results.tsv")]
    assert len(ids) == 6  # every other check of the twelve
