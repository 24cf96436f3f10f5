"""What changed between two reports: the previous report is the newest by start time, and `diff` and
report.html agree."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from cutover_probe.fleet import SCENARIOS, FleetThread

from .conftest import Checkout, fleet_environ, invoke_cli


def _copy_report(source: Path, target: Path, timestamp: str, edit: dict[str, str]) -> None:
    shutil.copytree(source, target)
    doc = json.loads((target / "results.json").read_text())
    doc["timestamp"] = timestamp
    for check in doc["checks"]:
        if check["id"] in edit:
            check["status"] = edit[check["id"]]
            check["reason"] = f"was {edit[check['id']]}"
    (target / "results.json").write_text(json.dumps(doc, indent=2) + "\n")


def test_the_previous_report_is_the_newest_by_start_time_and_diff_agrees(
    checkout: Checkout, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout, CI="true")
        seed = invoke_cli(
            "run", "-q", "--output-dir", str(tmp_path / "seed"), env=env, cwd=tmp_path
        )
        assert seed.returncode == 1
        # Names sort the other way round from their start times.
        _copy_report(tmp_path / "seed", reports / "zz-older", "2020-01-01T00:00:00Z", {})
        _copy_report(
            tmp_path / "seed",
            reports / "aa-newer",
            "2020-01-02T00:00:00Z",
            {"control-prod-health": "cancelled", "control-prod-smoke": "passed"},
        )
        result = invoke_cli("run", "--output-dir", str(reports / "now"), env=env, cwd=tmp_path)
    assert f"[matrix] compared with: {reports / 'aa-newer'}" in result.stdout
    html = (reports / "now" / "report.html").read_text()
    assert f"<code>{reports / 'aa-newer'}</code>" in html
    section = html.split('<section id="changes">')[1].split("</section>")[0]
    newly_failing = re.findall(r"<li><code>([^<]+)</code>", section.split('id="newly-failing"')[1])
    diff = invoke_cli(
        "diff", str(reports / "aa-newer"), str(reports / "now"), env=env, cwd=tmp_path
    )
    listed = diff.stdout.split("newly failing:\n")[1].split("\n")
    diff_ids = [line.split()[0] for line in listed if line.startswith("  ")]
    # cancelled -> failed and passed -> failed both newly fail, in both views.
    assert diff_ids == ["control-prod-health", "control-prod-smoke"]
    assert newly_failing[: len(diff_ids)] == diff_ids
