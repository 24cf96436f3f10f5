"""`watch --metrics-port`: what a scraper reads, parsed with prometheus_client's own parser
and, where Debian's prometheus package is installed, checked by `promtool check metrics`."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request

import pytest

from cutover_probe.watch.analysis import State
from cutover_probe.watch.history import CheckRow, Iteration
from cutover_probe.watch.metrics import WatchMetrics


def _iteration(number: int, status: str, verdict: str) -> Iteration:
    return Iteration(
        number=number,
        started_at="2026-11-30T12:00:00Z",
        offset_s=float(number),
        wall_ms=120.0,
        verdict=verdict,
        checks=(
            CheckRow("control-staging-health", status, 110.0, "/readyz: answered 503"),
            CheckRow("khala-contract-tests", "passed", 40.0, ""),
        ),
    )


def scrape(port: int, accept: str = "text/plain") -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return str(answer.read().decode())


def test_metrics_are_served_parsed_and_free_of_reasons() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    metrics = WatchMetrics([("control-staging-health", "staging"), ("khala-contract-tests", "")])
    port = metrics.serve("127.0.0.1", 0)
    try:
        state = State(iterations=2, failures=1)
        metrics.observe(_iteration(1, "passed", "GO"), State(iterations=1), now=1000.0)
        metrics.observe(_iteration(2, "failed", "NO-GO"), state, now=1010.0)
        text = scrape(port)
        openmetrics = scrape(port, "application/openmetrics-text; version=1.0.0")
    finally:
        metrics.close()
    samples = [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]

    def value(name: str, **labels: str) -> float:
        found = [v for n, got, v in samples if n == name and got == labels]
        assert len(found) == 1, (name, labels)
        return found[0]

    health = {"check": "control-staging-health", "env": "staging"}
    status = "cutover_probe_check_status"
    assert value(status, **health, cutover_probe_check_status="failed") == 1
    assert value(status, **health, cutover_probe_check_status="passed") == 0
    assert value("cutover_probe_check_last_success_timestamp_seconds", **health) == 1000.0
    assert value("cutover_probe_check_consecutive_failures", **health) == 1
    assert value("cutover_probe_check_duration_seconds_count", **health) == 2
    assert value("cutover_probe_watch_iterations_total") == 2
    verdict = "cutover_probe_watch_verdict"
    assert value(verdict, cutover_probe_watch_verdict="NO-GO") == 1
    assert value(verdict, cutover_probe_watch_verdict="GO") == 0
    assert {tuple(sorted(labels)) for _, labels, _ in samples} <= {
        (),
        ("check", "env"),
        ("check", "env", "le"),
        ("check", "cutover_probe_check_status", "env"),
        ("cutover_probe_watch_verdict",),
        ("cutover_probe_watch_analysis",),
    }
    # No reason text: not in a label (a sample's value, a float timestamp, may hold "503").
    assert not [v for _, labels, _ in samples for v in labels.values() if "503" in v]
    assert "readyz" not in text
    assert openmetrics.rstrip().endswith("# EOF")
    if shutil.which("promtool"):
        check = subprocess.run(
            ["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
            timeout=30, check=False,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) absent"
)
def test_metrics_pass_promtool_check_metrics() -> None:
    metrics = WatchMetrics([("control-staging-health", "staging")])
    metrics.observe(_iteration(1, "failed", "NO-GO"), State(iterations=1, failures=1))
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=metrics.text(), capture_output=True, text=True,
        timeout=30, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
