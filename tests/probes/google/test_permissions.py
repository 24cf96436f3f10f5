"""A 403 from Google names every permission the check lacks, the same way on every run, with
the one command that grants them, and none of the client library's transport text.

Real google client libraries against the fleet's fake APIs, whose ``denied`` fault answers
every call of an API with Google's 403 body (ErrorInfo naming the permission).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cutover_probe.fleet import FleetSpec, FleetThread, GoogleFaults
from cutover_probe.model import Status
from cutover_probe.probes.google import permissions

from ...conftest import Checkout, fleet_environ, invoke_cli
from ...servers import GCLOUD_TOKEN, gcloud_environ, stub_gcloud
from .test_google import outcomes_with

DRIFT_REASON = (
    "permission denied: run.executions.list, run.jobs.get, run.services.get; "
    "grant roles/run.viewer on project openagentsgemini"
)
CANARY_REASON = (
    "permission denied: run.revisions.list, run.services.get; "
    "grant roles/run.viewer on project openagentsgemini"
)
RUN_GRANT = (
    "gcloud projects add-iam-policy-binding openagentsgemini --member=MEMBER "
    "--role=roles/run.viewer"
)
NOISE = ("%24", "enum-encoding", ".;", "http://", "GET ")


@pytest.mark.anyio
async def test_google_denied_gives_the_same_complete_reason_on_five_runs(
    checkout: Checkout,
) -> None:
    seen: dict[str, set[str]] = {"runtime-migration-drift": set(), "control-canary-status": set()}
    for _ in range(5):
        outcomes, _fleet = await outcomes_with(checkout, GoogleFaults(denied=frozenset({"run"})))
        for check_id, reasons in seen.items():
            assert outcomes[check_id].status is Status.FAILED
            reasons.add(outcomes[check_id].reason)
        drift = outcomes["runtime-migration-drift"]
        assert drift.details["permissions_denied"] == {
            "permissions": ["run.executions.list", "run.jobs.get", "run.services.get"],
            "roles": ["roles/run.viewer on project openagentsgemini"],
            "grant": [RUN_GRANT],
        }
        # Each denied call is in the evidence, with the command that grants its permission.
        assert (
            f"get job runtime-migrate: permission run.jobs.get denied; grant with: {RUN_GRANT}"
            in drift.evidence
        )
        assert outcomes["control-error-log-probe"].status is Status.PASSED
    assert seen == {
        "runtime-migration-drift": {DRIFT_REASON},
        "control-canary-status": {CANARY_REASON},
    }
    for reason in (DRIFT_REASON, CANARY_REASON):
        assert len(reason) <= 160  # one line that fits: the whole command is elsewhere
        for noise in NOISE:
            assert noise not in reason


def test_summary_and_end_of_run_line_carry_the_union_once(checkout: Checkout) -> None:
    out = checkout.root / "report"
    faults = GoogleFaults(denied=frozenset({"run", "logging", "storage"}))
    with FleetThread(FleetSpec(google=faults)) as fleet:
        environ = fleet_environ(
            fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0", RUN_BACKUP_FRESHNESS_CHECK="1"
        )
        ran = invoke_cli("run", "--output-dir", str(out), env=environ, cwd=checkout.root)
    assert ran.returncode == 1, ran.stderr
    rows = {line.split(" ", 2)[1]: line for line in ran.stdout.splitlines() if line.startswith("[")}
    logging_line = rows["control-error-log-probe"]
    assert logging_line.endswith(
        "permission denied: logging.logEntries.list; "
        "grant roles/logging.viewer on project openagentsgemini"
    )
    # Every database's list is denied; the reason names the permission once, on the bucket.
    assert rows["laravel-backup-freshness"].endswith(
        "permission denied: storage.objects.list; "
        "grant roles/storage.objectViewer on gs://openagentsgemini_cloudbuild"
    )
    lines = ran.stdout.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("[matrix] verdict"))
    # The union once, each command whole on its line, just before the verdict.
    assert lines[verdict - 4 : verdict] == [
        "[matrix] permissions missing: logging.logEntries.list, run.domainmappings.get, "
        "run.executions.list, run.jobs.get, run.revisions.list, run.services.get, "
        "storage.objects.list",
        "[matrix] grant with: gcloud projects add-iam-policy-binding openagentsgemini "
        "--member=MEMBER --role=roles/logging.viewer",
        f"[matrix] grant with: {RUN_GRANT}",
        "[matrix] grant with: gcloud storage buckets add-iam-policy-binding "
        "gs://openagentsgemini_cloudbuild --member=MEMBER --role=roles/storage.objectViewer",
    ]
    assert sum("permissions missing" in line for line in lines) == 1
    summary = (out / "SUMMARY.md").read_text()
    section = summary.split("## Permissions missing\n\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        # The domain mapping reads' 403s (evidence, not checks) are part of the run's union.
        "- logging.logEntries.list, run.domainmappings.get, run.executions.list, run.jobs.get, "
        "run.revisions.list, run.services.get, storage.objects.list",
        "- grant with: gcloud projects add-iam-policy-binding openagentsgemini --member=MEMBER "
        "--role=roles/logging.viewer",
        "- grant with: gcloud projects add-iam-policy-binding openagentsgemini --member=MEMBER "
        "--role=roles/run.viewer",
        "- grant with: gcloud storage buckets add-iam-policy-binding "
        "gs://openagentsgemini_cloudbuild --member=MEMBER --role=roles/storage.objectViewer",
    ]
    google = ("runtime-migration-drift", "control-canary-status", "laravel-backup-freshness")
    for noise in NOISE:
        assert noise not in section
        for check_id in (*google, "control-error-log-probe", "runtime-error-log-probe"):
            assert noise not in rows[check_id]
    for noise in ("%24", "enum-encoding", ".;"):
        assert noise not in summary
        assert noise not in (out / "results.tsv").read_text()


def test_a_healthy_run_has_no_permissions_section(checkout: Checkout) -> None:
    out = checkout.root / "report"
    with FleetThread(FleetSpec()) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        ran = invoke_cli("run", "--output-dir", str(out), env=environ, cwd=checkout.root)
    assert "permissions missing" not in ran.stdout
    assert "## Permissions missing" not in (out / "SUMMARY.md").read_text()


def test_the_grant_names_gcloud_s_account_when_that_is_who_calls(
    checkout: Checkout, tmp_path: Path
) -> None:
    bin_dir = stub_gcloud(tmp_path)
    spec = FleetSpec(google=GoogleFaults(bearer=GCLOUD_TOKEN, denied=frozenset({"run"})))
    with FleetThread(spec) as fleet:
        environ = gcloud_environ(fleet, checkout, bin_dir)
        ran = invoke_cli(
            "run",
            "--only",
            "runtime-migration-drift",
            "--output-dir",
            str(checkout.root / "report"),
            env=environ,
            cwd=checkout.root,
        )
    assert ran.returncode == 1, ran.stderr
    assert f"[failed] runtime-migration-drift (required): {DRIFT_REASON}" in ran.stdout.splitlines()
    assert (
        "[matrix] grant with: gcloud projects add-iam-policy-binding openagentsgemini "
        "--member=user:sre@example.com --role=roles/run.viewer"
    ) in ran.stdout.splitlines()


def test_the_member_is_known_or_a_placeholder(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps({"type": "service_account", "client_email": "probe@p.iam.gserviceaccount.com"})
    )
    user_adc = tmp_path / "adc.json"
    user_adc.write_text(json.dumps({"type": "authorized_user", "client_id": "x"}))
    assert permissions.member("sre@example.com", {}) == "user:sre@example.com"
    assert (
        permissions.member("ci@p.iam.gserviceaccount.com", {})
        == "serviceAccount:ci@p.iam.gserviceaccount.com"
    )
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key)}
    assert permissions.member(None, env) == "serviceAccount:probe@p.iam.gserviceaccount.com"
    # A user's ADC does not say whose it is; a missing file, nobody: never guess.
    assert permissions.member(None, {"GOOGLE_APPLICATION_CREDENTIALS": str(user_adc)}) == "MEMBER"
    missing_key = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nope")}
    assert permissions.member(None, missing_key) == "MEMBER"
    assert permissions.member(None, {}) == "MEMBER"
    assert permissions.member("x; rm -rf /", {}) == "MEMBER"


@pytest.mark.parametrize(
    ("permission", "role"),
    [
        ("run.services.get", "roles/run.viewer"),
        ("run.executions.list", "roles/run.viewer"),
        ("run.domainmappings.get", "roles/run.viewer"),
        ("logging.logEntries.list", "roles/logging.viewer"),
        ("storage.objects.list", "roles/storage.objectViewer"),
        ("storage.objects.get", "roles/storage.objectViewer"),
        ("run.services.update", None),
        ("compute.instances.get", None),
    ],
)
def test_least_privilege_roles(permission: str, role: str | None) -> None:
    assert permissions.role_for(permission) == role
