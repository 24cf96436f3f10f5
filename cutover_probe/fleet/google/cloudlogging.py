"""The simulated Cloud Logging API v2: ``entries:list``, its filter, order and pages.

The error log probes send Cloud Logging's filter language; `fleet/logfilter.py` parses and
applies it, so a probe whose filter is wrong finds the wrong entries here as it would in a real
project. Each filter received is handed to ``on_log_filter`` (the tests read them back).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .. import logfilter
from ..common import iso, json_response, utc_now
from ..faults import GoogleFaults, GoogleWorld
from .cloudrun import STABLE_REVISION, revision_id
from .shared import FakeApi, digest, google_error, page_offset

CONTROL_ERROR = "upstream connect error: connection refused to runtime-sync"
CONTROL_CRITICAL = "database pool exhausted: timed out after 30s waiting for a connection"
RUNTIME_ERROR = "panic: khala topic fanout queue full"
RUNTIME_CRITICAL = "runtime worker supervisor crashed: restarting all run workers"
_FRESH_ERRORS_WITHIN = timedelta(minutes=8)  # inside a 10 m window even after a slow request
_OLD_ERROR_AGE = timedelta(hours=2)
_LOG_PAGE_SIZE = 50  # Cloud Logging's default and, with _LOG_PAGE_MAX, its bounds
_LOG_PAGE_MAX = 1000


class CloudLogging(FakeApi):
    """Cloud Logging v2 of one simulated project: each Cloud Run service's log stream."""

    def __init__(
        self, *, faults: GoogleFaults, world: GoogleWorld, on_log_filter: Callable[[str], None]
    ) -> None:
        super().__init__(faults=faults, world=world)
        self._on_log_filter = on_log_filter

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/entries:list", self._list_entries)

    def _log_entries(self, project: str, now: datetime) -> list[dict[str, Any]]:
        """Every entry the project holds, in no particular order."""
        world, faults = self.world, self.faults
        entries: list[dict[str, Any]] = []

        def add(
            resource: dict[str, Any], severity: str, age: timedelta, message: str, *, as_json: bool
        ) -> None:
            at = now - age
            stream = "stdout" if severity in ("DEBUG", "INFO", "WARNING") else "stderr"
            insert_id = digest(project, json.dumps(resource), severity, str(age), message)[:16]
            entry: dict[str, Any] = {
                "insertId": insert_id,
                "logName": f"projects/{project}/logs/run.googleapis.com%2F{stream}",
                "resource": resource,
                "severity": severity,
                "timestamp": at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "receiveTimestamp": iso(at + timedelta(seconds=1)),
                "labels": {"instanceId": digest(insert_id)[:40]},
            }
            if as_json:
                entry["jsonPayload"] = {"message": message, "severity": severity}
            else:
                entry["textPayload"] = message
            entries.append(entry)

        streams = (
            (world.control_service, faults.error_entries, CONTROL_ERROR, CONTROL_CRITICAL),
            (world.runtime_service, faults.runtime_error_entries, RUNTIME_ERROR, RUNTIME_CRITICAL),
        )
        for service, fresh, message, critical in streams:
            labels = {
                "service_name": service,
                "revision_name": revision_id(service, STABLE_REVISION),
                "configuration_name": service,
                "location": world.region,
                "project_id": project,
            }
            resource = {"type": "cloud_run_revision", "labels": labels}
            # Always there: warnings in the window and errors well before it, which a probe
            # must not count (WARNING is below ERROR; 2 h is outside a 10 m window).
            for minutes in (1, 3, 6):
                add(
                    resource,
                    "WARNING",
                    timedelta(minutes=minutes, seconds=7),
                    "slow upstream response: 2.4s (deadline 3s)",
                    as_json=minutes == 3,
                )
            for extra_minutes, as_json in ((0, True), (4, False), (9, True)):
                add(
                    resource,
                    "ERROR",
                    _OLD_ERROR_AGE + timedelta(minutes=extra_minutes),
                    f"{message} (during the 2 h old deploy)",
                    as_json=as_json,
                )
            for index in range(fresh):
                age = timedelta(seconds=20) + _FRESH_ERRORS_WITHIN * index / fresh
                add(resource, "ERROR", age, message, as_json=index % 2 == 1)
            if fresh > 0:
                add(resource, "CRITICAL", timedelta(seconds=95), critical, as_json=True)
        # A job's error is not any service's error: the resource.type clause must exclude it.
        job = {
            "type": "cloud_run_job",
            "labels": {
                "job_name": world.migrate_job,
                "location": world.region,
                "project_id": project,
            },
        }
        add(job, "ERROR", timedelta(minutes=4), "SQLSTATE[40001]: deadlock detected", as_json=False)
        return entries

    async def _list_entries(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return google_error(400, "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return google_error(400, "Invalid JSON payload received.")
        filter_text = body.get("filter", "")
        if not isinstance(filter_text, str):
            return google_error(400, "filter must be a string.")
        self._on_log_filter(filter_text)
        names = body.get("resourceNames") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
            return google_error(400, "resourceNames: at least one resource name is required.")
        if (denied := self.denied("logging", "logging.logEntries.list", names[0])) is not None:
            return denied
        try:
            terms = logfilter.parse(filter_text)
        except logfilter.FilterError as exc:
            return google_error(400, f"Invalid filter: {exc}")
        order = str(body.get("orderBy") or "timestamp asc").strip().lower()
        if order not in ("timestamp", "timestamp asc", "timestamp desc"):
            return google_error(400, f"Invalid orderBy: {body.get('orderBy')!r}")
        try:
            page_size = int(body.get("pageSize") or _LOG_PAGE_SIZE)
        except (TypeError, ValueError):
            return google_error(400, "pageSize must be an integer.")
        page_size = min(max(page_size, 1), _LOG_PAGE_MAX)
        start = page_offset(body.get("pageToken"))
        if start is None:
            return google_error(400, "Invalid pageToken.")
        now = utc_now()
        projects = dict.fromkeys(
            n.removeprefix("projects/") for n in names if n.startswith("projects/")
        )
        found = [
            entry
            for project in projects
            for entry in self._log_entries(project, now)
            if logfilter.matches(entry, terms)
        ]
        found.sort(
            key=lambda e: (logfilter.parse_time(e["timestamp"]), e["insertId"]),
            reverse=order.endswith("desc"),
        )
        page = found[start : start + page_size]
        answer: dict[str, Any] = {"entries": page} if page else {}
        if start + page_size < len(found):
            answer["nextPageToken"] = str(start + page_size)
        if "logging" in self.faults.endless_pages:
            answer["nextPageToken"] = str(start + page_size)
        return json_response(200, answer)
