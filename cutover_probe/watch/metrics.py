"""`watch --metrics-port`: the watch as Prometheus/OpenMetrics text, for dashboards and alerts.

Why prometheus_client: its exposition (text format and OpenMetrics, chosen by the scraper's
Accept header) is what Prometheus, Grafana Agent and Cloud Monitoring's managed collection
parse; writing it by hand invites escaping mistakes. It is imported only when the flag is
given, so other commands never pay for it.

Labels are the check id and its environment, both from the matrix file: never a reason, a
URL or a variable's value, so no secret and no server-chosen text can reach a label. The
server binds 127.0.0.1 unless `--metrics-host` says otherwise, and runs in a daemon thread
that `close` shuts down.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from cutover_probe.errors import UsageError
from cutover_probe.watch.analysis import Result, State
from cutover_probe.watch.history import Iteration

STATUSES = ("passed", "failed", "skipped", "cancelled")
VERDICTS = ("GO", "NO-GO", "BASELINE", "INTERRUPTED")
# Check durations: a health check takes ~0.1 s, a slow Google call or lane tens of seconds.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class WatchMetrics:
    """The watch's metrics in their own registry (not the process-wide default one)."""

    def __init__(self, checks: Sequence[tuple[str, str]]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram

        self.registry = CollectorRegistry()
        self._envs = dict(checks)
        labels = ("check", "env")
        self.status = Enum(
            "cutover_probe_check_status",
            "The status of each check in the last iteration.",
            labels,
            states=list(STATUSES),
            registry=self.registry,
        )
        self.duration = Histogram(
            "cutover_probe_check_duration_seconds",
            "How long each check took, per iteration.",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.last_success = Gauge(
            "cutover_probe_check_last_success_timestamp_seconds",
            "Unix time at which the check last passed (0: not yet).",
            labels,
            registry=self.registry,
        )
        self.consecutive_failures = Gauge(
            "cutover_probe_check_consecutive_failures",
            "Iterations in a row, up to the last, in which the check failed or was cancelled.",
            labels,
            registry=self.registry,
        )
        self.verdict = Enum(
            "cutover_probe_watch_verdict",
            "The verdict of the last iteration.",
            states=list(VERDICTS),
            registry=self.registry,
        )
        self.analysis = Enum(
            "cutover_probe_watch_analysis",
            "The state of the watch's analysis.",
            states=[r.value for r in Result],
            registry=self.registry,
        )
        self.iterations = Counter(
            "cutover_probe_watch_iterations",
            "Iterations finished.",
            registry=self.registry,
        )
        self.failed_iterations = Counter(
            "cutover_probe_watch_failed_iterations",
            "Iterations whose verdict was not GO.",
            registry=self.registry,
        )
        for check_id, env in checks:
            self.last_success.labels(check_id, env).set(0)
            self.consecutive_failures.labels(check_id, env).set(0)
        self.analysis.state(Result.RUNNING.value)
        self._server: Any = None
        self._thread: Any = None

    def observe(self, iteration: Iteration, state: State, now: float | None = None) -> None:
        stamp = time.time() if now is None else now
        for row in iteration.checks:
            labels = (row.id, self._envs.get(row.id, ""))
            self.status.labels(*labels).state(row.status)
            if row.status != "skipped":
                self.duration.labels(*labels).observe(row.duration_ms / 1000)
            if row.status == "passed":
                self.last_success.labels(*labels).set(stamp)
            if row.status in ("failed", "cancelled"):
                self.consecutive_failures.labels(*labels).inc()
            else:
                self.consecutive_failures.labels(*labels).set(0)
        if iteration.verdict in VERDICTS:
            self.verdict.state(iteration.verdict)
        self.iterations.inc()
        if iteration.verdict != "GO":
            self.failed_iterations.inc()
        self.analysis.state(state.result.value)

    def finish(self, state: State) -> None:
        self.analysis.state(state.result.value)

    def serve(self, host: str, port: int) -> int:
        """Start serving /metrics; the port it listens on (``port`` 0 picks one)."""
        from prometheus_client import start_http_server

        try:
            self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise UsageError(
                f"--metrics-port {port}: cannot listen on {host}: {exc.strerror or exc}"
            ) from None
        return int(self._server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5.0)  # shutdown() has returned: the thread ends at once
            self._server = None

    def text(self) -> str:
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode()
