"""The Google Cloud lanes through the real client libraries, against the fleet's fake APIs.

Each rule of migration drift, canary health, the error-log probes and backup freshness passes
and fails for its reason; retries are counted and bounded; credentials are looked for before
anything runs; the libraries are not even imported when no Google check runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cutover_probe.fleet import FleetSpec, FleetThread, GoogleFaults, serve_fleet
from cutover_probe.model import Status

from .conftest import Checkout, clean_environ, fleet_environ, read_tsv, run_cli, run_in_process

GOOGLE_CHECKS = (
    "runtime-migration-drift",
    "control-error-log-probe",
    "runtime-error-log-probe",
    "control-canary-status",
)


async def outcomes_with(checkout: Checkout, faults: GoogleFaults, **extra: str):
    async with serve_fleet(FleetSpec(google=faults)) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0", **extra)
        return await run_in_process(environ, checkout.root), fleet


@pytest.mark.anyio
async def test_healthy_google_lanes_all_pass_with_evidence(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults())
    for check_id in GOOGLE_CHECKS:
        assert outcomes[check_id].status is Status.PASSED, (check_id, outcomes[check_id].reason)
    drift = outcomes["runtime-migration-drift"]
    assert any(line.startswith("service runtime image: ") for line in drift.evidence)
    assert any(line.startswith("migrate job runtime-migrate image: ") for line in drift.evidence)
    newest = drift.details["newest_execution"]
    assert newest["state"] == "succeeded"
    assert newest["age_s"] is not None
    canary = outcomes["control-canary-status"]
    assert "revision | percent | tag | ready" in canary.evidence
    assert canary.reason.startswith("traffic: ")
    assert sum(row["percent"] for row in canary.details["traffic"]) == 100


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("faults", "extra", "reason"),
    [
        (GoogleFaults(image_drift=True), {}, "differs from migrate job image"),
        (GoogleFaults(), {"EXPECTED_IMAGE": "example/runtime:v2"}, "is not EXPECTED_IMAGE"),
        (GoogleFaults(executions="none"), {}, "migrate job runtime-migrate has no executions"),
        (GoogleFaults(executions="failed"), {}, "did not succeed (Completed failed"),
        (GoogleFaults(executions="running"), {}, "did not succeed (Completed reconciling"),
        (GoogleFaults(execution_image_drift=True), {}, "ran image"),
    ],
)
async def test_migration_drift_rules_fail_with_reason(
    checkout: Checkout, faults: GoogleFaults, extra: dict[str, str], reason: str
) -> None:
    outcomes, _ = await outcomes_with(checkout, faults, **extra)
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    assert reason in drift.reason
    # The other Google lanes are not affected.
    assert outcomes["control-canary-status"].status is Status.PASSED


@pytest.mark.anyio
async def test_expected_image_matching_passes(checkout: Checkout) -> None:
    faults = GoogleFaults()
    outcomes, _ = await outcomes_with(checkout, faults, EXPECTED_IMAGE=faults.expected_image)
    assert outcomes["runtime-migration-drift"].status is Status.PASSED


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("canary", "reason"),
    [
        ("latest_not_ready", "is not ready (latest ready:"),
        ("traffic_on_unready", "% of traffic on revision"),
        ("traffic_not_100", "traffic adds up to 90%, not 100%"),
    ],
)
async def test_canary_unhealthy_states_fail(checkout: Checkout, canary: str, reason: str) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(canary=canary))  # type: ignore[arg-type]
    status = outcomes["control-canary-status"]
    assert status.status is Status.FAILED
    assert reason in status.reason
    assert "revision | percent | tag | ready" in status.evidence


@pytest.mark.anyio
async def test_rolling_canary_is_healthy_and_shows_the_split(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(canary="rolling"))
    status = outcomes["control-canary-status"]
    assert status.status is Status.PASSED
    assert "95%" in status.reason
    assert " 5%" in status.reason
    assert [row["tag"] for row in status.details["traffic"] if row["percent"] == 5] == ["canary"]


@pytest.mark.anyio
async def test_error_flood_fails_and_groups_by_message(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(error_entries=25))
    probe = outcomes["control-error-log-probe"]
    assert probe.status is Status.FAILED
    assert "26 error entries in the last 10m (at most 0 allowed)" in probe.reason
    assert "×25 upstream connect error: connection refused to runtime-sync" in probe.reason
    grouped = [line for line in probe.evidence if line.startswith("×")]
    assert len(grouped) == 2, "25 copies of one error read as one line with a count"
    # Warnings and two-hour-old errors are never counted.
    assert outcomes["runtime-error-log-probe"].status is Status.PASSED


@pytest.mark.anyio
async def test_log_probe_tolerates_up_to_max_errors(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(
        checkout, GoogleFaults(error_entries=25), LOG_PROBE_MAX_ERRORS="30"
    )
    probe = outcomes["control-error-log-probe"]
    assert probe.status is Status.PASSED
    assert probe.reason == "26 error entries in the last 10m"


@pytest.mark.anyio
async def test_freshness_window_bounds_the_query(checkout: Checkout) -> None:
    outcomes, fleet = await outcomes_with(checkout, GoogleFaults())
    assert outcomes["runtime-error-log-probe"].status is Status.PASSED
    assert fleet.log_filters, "the probes asked Cloud Logging"
    for filter_ in fleet.log_filters:
        assert 'timestamp>="' in filter_
        assert "severity>=ERROR" in filter_
    # Widen the window: the two-hour-old errors now count, so the same fleet fails.
    wide, _ = await outcomes_with(checkout, GoogleFaults(), LOG_PROBE_FRESHNESS="3h")
    assert wide["runtime-error-log-probe"].status is Status.FAILED
    assert "in the last 3h" in wide["runtime-error-log-probe"].reason


@pytest.mark.anyio
async def test_bad_freshness_value_is_an_environment_error(checkout: Checkout) -> None:
    from cutover_probe.errors import EnvironmentError_

    with pytest.raises(EnvironmentError_, match="LOG_PROBE_FRESHNESS"):
        await outcomes_with(checkout, GoogleFaults(), LOG_PROBE_FRESHNESS="soon")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backups", "reason"),
    [
        ("stale", "openagents_web_staging: newest backup is 30.0h old (at most 24h allowed)"),
        ("empty", "openagents_web_staging: newest backup"),
        (
            "missing",
            "openagents_web_staging: no backup named backups/laravel/openagents_web_staging-",
        ),
    ],
)
async def test_backup_freshness_fails_for_each_database_problem(
    checkout: Checkout, backups: str, reason: str
) -> None:
    outcomes, _ = await outcomes_with(
        checkout,
        GoogleFaults(backups=backups),
        RUN_BACKUP_FRESHNESS_CHECK="1",  # type: ignore[arg-type]
    )
    check = outcomes["laravel-backup-freshness"]
    assert check.status is Status.FAILED
    assert reason in check.reason
    assert "openagents_web:" not in check.reason, "the healthy database is not blamed"


@pytest.mark.anyio
async def test_backup_freshness_is_absent_unless_switched_on(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults())
    assert "laravel-backup-freshness" not in outcomes
    assert len(outcomes) == 12
    on, _ = await outcomes_with(checkout, GoogleFaults(), RUN_BACKUP_FRESHNESS_CHECK="1")
    assert len(on) == 13
    fresh = on["laravel-backup-freshness"]
    assert fresh.status is Status.PASSED, fresh.reason
    assert set(fresh.details["backups"]) == {"openagents_web", "openagents_web_staging"}


@pytest.mark.anyio
async def test_permission_denied_names_the_permission(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(denied=frozenset({"run"})))
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    assert drift.reason.startswith("permission denied: run.executions.list, run.jobs.get, ")
    assert outcomes["control-error-log-probe"].status is Status.PASSED


@pytest.mark.anyio
async def test_throttled_api_passes_on_a_retry_and_says_so(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(throttle=1))
    canary = outcomes["control-canary-status"]
    assert canary.status is Status.PASSED
    assert "passed only on a retry" in canary.reason
    assert canary.attempts == 4  # two calls, each answered 429 once
    assert any("429" in line and "attempt 1" in line for line in canary.evidence)


@pytest.mark.anyio
async def test_retries_are_bounded(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(throttle=50))
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    assert "429" in drift.reason
    assert "after 4 attempts" in drift.reason


def test_missing_credentials_skip_with_how_to(tmp_path: Path) -> None:
    result = run_cli("plan", env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 0
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line.count(" ") > 1}
    lines = [rows[check_id] for check_id in GOOGLE_CHECKS]
    for line in lines:
        assert line.startswith("skip")
        assert "gcloud auth application-default login" in line
        assert "GOOGLE_APPLICATION_CREDENTIALS" in line


def test_google_libraries_not_imported_when_google_checks_are_off(tmp_path: Path) -> None:
    env = clean_environ(
        RUN_RUNTIME_DRIFT_CHECK="0",
        RUN_LOG_PROBES="0",
        RUN_KHALA_CONTRACT_TESTS="0",
        STAGING_CONTROL_BASE_URL="http://127.0.0.1:9",
        PROD_CONTROL_BASE_URL="http://127.0.0.1:9",
        OUTPUT_DIR=str(tmp_path / "out"),
        # Even with an emulator at hand (so credentials are not what stops them).
        CLOUD_RUN_EMULATOR_HOST="127.0.0.1:9",
        CLOUD_LOGGING_EMULATOR_HOST="127.0.0.1:9",
    )
    code = (
        "import sys\n"
        "from cutover_probe.cli import cli\n"
        "try:\n"
        "    cli(['run'], prog_name='cutover-probe')\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "print('google', sorted(m for m in sys.modules if m.startswith('google')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "exit 1" in result.stdout, result.stderr
    assert "google []" in result.stdout
    assert read_tsv(tmp_path / "out" / "results.tsv")[6]["command"] == "RUN_RUNTIME_DRIFT_CHECK=0"


def test_domain_mapping_evidence_in_summary_and_json(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "report"
    spec = FleetSpec(google=GoogleFaults(cert_pending=frozenset({"staging.openagents.com"})))
    with FleetThread(spec) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = run_cli("run", env=env, cwd=checkout.root)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = (out / "SUMMARY.md").read_text()
    assert "- Domain mapping staging.openagents.com (staging): Ready=Unknown" in summary
    assert "CertificateProvisioned=Unknown (Certificate is being provisioned); cert-pending" in (
        summary
    )
    assert "- Domain mapping openagents.com (prod): Ready=True, CertificateProvisioned=True" in (
        summary
    )
    doc = json.loads((out / "results.json").read_text())
    domains = {d["domain"]: d for d in doc["domain_mappings"]}
    assert domains["staging.openagents.com"]["CertificateProvisioned"] == "Unknown"
    # Evidence, not a gating row: the run is a GO and keeps its 12 rows.
    assert len(read_tsv(out / "results.tsv")) == 12
