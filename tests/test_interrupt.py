"""Ctrl-C or SIGTERM mid-run: every probe cancelled, the report written whole, exit 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover_probe.fleet import ControlFaults, FleetSpec, FleetThread

from .conftest import Checkout, fleet_environ, read_tsv


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_complete_report_and_exits_130(
    sig: signal.Signals, checkout: Checkout, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    hang = ControlFaults(hang_paths=frozenset({"/readyz"}))
    with FleetThread(FleetSpec(prod_control=hang)) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        process = subprocess.Popen(
            [sys.executable, "-m", "cutover_probe", "run"],
            env=env,
            cwd=checkout.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Wait until the quick checks have finished, so the run is stuck on the hanging ones.
        assert process.stdout is not None
        # Wait until every check but the two stuck on the hanging /readyz has finished.
        seen = []
        for line in process.stdout:
            seen.append(line)
            if sum(1 for x in seen if x.startswith("[") and "] " in x) == 10:
                break
        process.send_signal(sig)
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    assert process.returncode == 130, stderr
    assert elapsed < 5, "an interrupt is answered promptly"  # generous: CI machines are noisy
    assert "[matrix] verdict: INTERRUPTED" in "".join(seen) + stdout
    rows = {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")}
    assert len(rows) == 12
    assert rows["control-prod-health"] == rows["control-prod-smoke"] == "cancelled"
    expected = {k: "passed" for k in rows}
    expected["cross-surface-contract-harness"] = "skipped"
    expected["control-prod-health"] = expected["control-prod-smoke"] = "cancelled"
    assert rows == expected
    doc = json.loads((out / "results.json").read_text())
    assert doc["verdict"]["label"] == "INTERRUPTED"
    assert doc["verdict"]["exit_code"] == 130
    assert "- Cancelled: 2" in (out / "SUMMARY.md").read_text()
