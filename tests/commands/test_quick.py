"""`cutover-probe quick`: one request per service, answered ready, not ready or not checked, with
the exit code a script can branch on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cutover_probe.fleet import SCENARIOS, FleetSpec, FleetThread

from ..conftest import Checkout, fleet_environ, invoke_cli, read_tsv
from ..test_console import without_google


def _quick_env(fleet: object, checkout: Checkout) -> dict[str, str]:
    env = without_google(fleet_environ(fleet, checkout))  # type: ignore[arg-type]
    env.pop("PROD_RUNTIME_BASE_URL", None)
    return env


def test_quick_exit_codes(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        healthy = invoke_cli("quick", env=fleet_environ(fleet, checkout), cwd=tmp_path)
    with FleetThread(SCENARIOS["not-ready"].spec) as fleet:
        broken = invoke_cli("quick", env=fleet_environ(fleet, checkout), cwd=tmp_path)
    assert healthy.returncode == 0, healthy.stdout
    assert "[quick] all ready" in healthy.stdout
    assert re.search(
        r"^cloudrun-control +yes +openagents-control-service-\S+ ready, serving 100%",
        healthy.stdout,
        re.M,
    )
    assert broken.returncode == 1
    assert re.search(r"^control-staging +NO +/readyz: answered 503", broken.stdout, re.M)
    assert "[quick] not ready: control-staging" in broken.stdout
    assert not list(tmp_path.rglob("results.tsv")), "quick writes no report unless asked"


def test_quick_reports_services_it_could_not_check_as_not_checked(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = _quick_env(fleet, checkout)
        lenient = invoke_cli("quick", "--output-dir", str(tmp_path / "q"), env=env, cwd=tmp_path)
        strict = invoke_cli(
            "quick", "--strict", "--output-dir", str(tmp_path / "s"), env=env, cwd=tmp_path
        )
    out = lenient.stdout
    assert lenient.returncode == 0, out
    assert re.search(r"^runtime-prod +not checked +PROD_RUNTIME_BASE_URL unset$", out, re.M)
    assert re.search(r"^cloudrun-control +not checked +no Google Cloud credentials", out, re.M)
    assert re.search(r"^control-staging +yes +ok in \d+ ms$", out, re.M)
    summary = next(line for line in out.splitlines() if line.startswith("[quick] 3 ready"))
    assert summary.startswith(
        "[quick] 3 ready, 3 not checked (PROD_RUNTIME_BASE_URL unset, no Google Cloud "
        "credentials) ("
    )
    assert "all ready" not in out
    assert f"[quick] report: {tmp_path / 'q' / 'report.html'}" in out
    # The report tells the same story: GO on what was checked, the rest "not checked".
    doc = json.loads((tmp_path / "q" / "results.json").read_text())
    assert doc["verdict"]["label"] == "GO"
    assert doc["verdict"]["why"] == summary.removeprefix("[quick] ").rsplit(" (", 1)[0]
    rows = {row["check_id"]: row for row in read_tsv(tmp_path / "q" / "results.tsv")}
    assert rows["runtime-prod"]["command"] == "not checked: PROD_RUNTIME_BASE_URL unset"
    html = (tmp_path / "q" / "report.html").read_text()
    assert 'data-verdict="GO"' in html
    assert "not checked: PROD_RUNTIME_BASE_URL unset" in html
    # --strict: what could not be checked is a NO-GO, on the terminal and in the report.
    assert strict.returncode == 1, strict.stdout
    assert "3 not checked (PROD_RUNTIME_BASE_URL unset, no Google Cloud credentials; " in (
        strict.stdout
    )
    strict_doc = json.loads((tmp_path / "s" / "results.json").read_text())
    assert strict_doc["verdict"]["label"] == "NO-GO"
    assert 'data-verdict="NO-GO"' in (tmp_path / "s" / "report.html").read_text()


def test_quick_with_everything_checked_and_ready_says_all_ready(
    checkout: Checkout, tmp_path: Path
) -> None:
    with FleetThread(FleetSpec()) as fleet:
        result = invoke_cli("quick", "--strict", env=fleet_environ(fleet, checkout), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert re.search(r"^\[quick\] all ready \(6 services\) \(\d+\.\d+s\)$", result.stdout, re.M)
