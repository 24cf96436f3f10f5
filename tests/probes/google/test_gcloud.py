"""Google credentials: without any the Google checks are skipped with the how-to; with the Google
lanes off no google.* module is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cutover_probe.fleet import FleetSpec, FleetThread, GoogleFaults

from ...conftest import Checkout, clean_environ, invoke_cli, read_tsv
from ...servers import GCLOUD_TOKEN, gcloud_environ, stub_gcloud
from .test_google import GOOGLE_CHECKS


def test_missing_credentials_skip_with_how_to(tmp_path: Path) -> None:
    result = invoke_cli("plan", env=clean_environ(), cwd=tmp_path)
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


def test_gcloud_login_is_used_when_there_are_no_application_default_credentials(
    checkout: Checkout, tmp_path: Path
) -> None:
    bin_dir = stub_gcloud(tmp_path)
    spec = FleetSpec(google=GoogleFaults(bearer=GCLOUD_TOKEN))
    with FleetThread(spec) as fleet:
        environ = gcloud_environ(fleet, checkout, bin_dir)
        planned = invoke_cli("plan", env=environ, cwd=checkout.root)
        out = checkout.root / "report"
        ran = invoke_cli(
            "run",
            "--only",
            "runtime-migration-drift",
            "--output-dir",
            str(out),
            "-v",
            env=environ,
            cwd=checkout.root,
        )
        google = [r for r in fleet.requests if r.service == "google"]
    drift_plan = next(x for x in planned.stdout.splitlines() if " runtime-migration-drift " in x)
    assert drift_plan.startswith("run  runtime-migration-drift")
    assert drift_plan.endswith("(credentials: gcloud auth print-access-token as sre@example.com)")
    assert ran.returncode == 1, ran.stderr  # the deselected required checks make it a NO-GO
    assert "[passed] runtime-migration-drift (required)" in ran.stdout
    assert google
    assert all(r.authorization == f"Bearer {GCLOUD_TOKEN}" for r in google)
    log = (out / "logs" / "runtime-migration-drift.log").read_text()
    assert (
        "credentials: gcloud auth print-access-token as sre@example.com "
        "(no Application Default Credentials)"
    ) in log
    calls = (tmp_path / "gcloud-calls.txt").read_text().splitlines()
    assert calls
    assert set(calls) == {"auth print-access-token --account=sre@example.com"}
    # The token never reaches an output.
    for path in out.rglob("*"):
        if path.is_file():
            assert GCLOUD_TOKEN not in path.read_text(errors="replace"), path
    assert GCLOUD_TOKEN not in planned.stdout + planned.stderr + ran.stdout + ran.stderr


def test_a_logged_out_gcloud_fails_the_check_with_gcloud_s_words(
    checkout: Checkout, tmp_path: Path
) -> None:
    bin_dir = stub_gcloud(tmp_path, fails=True)
    with FleetThread(FleetSpec(google=GoogleFaults(bearer=GCLOUD_TOKEN))) as fleet:
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
    assert ran.returncode == 1
    line = next(x for x in ran.stdout.splitlines() if "] runtime-migration-drift (" in x)
    assert line.startswith("[failed] runtime-migration-drift (required): ")
    assert "gcloud auth print-access-token failed: ERROR: (gcloud.auth.print-access-token) " in line


def test_without_gcloud_or_adc_the_google_checks_are_skipped_with_the_how_to(
    checkout: Checkout, tmp_path: Path
) -> None:
    stub_gcloud(tmp_path)
    environ = clean_environ(
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud-config"), PATH=str(tmp_path / "no-gcloud-here")
    )
    planned = invoke_cli("plan", env=environ, cwd=checkout.root)
    line = next(x for x in planned.stdout.splitlines() if " runtime-migration-drift " in x)
    assert line.startswith("skip runtime-migration-drift")
    assert "`gcloud auth login` with gcloud on the PATH" in line


def test_an_undecodable_gcloud_configuration_is_no_login_not_a_crash(tmp_path: Path) -> None:
    """gcloud on the PATH, its active_config not UTF-8: no account to act as, so the Google
    checks are skipped with the how-to (it was an internal error, exit 3)."""
    bin_dir = stub_gcloud(tmp_path)
    config = tmp_path / "gcloud-config"
    (config / "active_config").write_bytes(b"\xff\xfe")
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
    planned = invoke_cli(
        "plan", env=clean_environ(CLOUDSDK_CONFIG=str(config), PATH=path), cwd=tmp_path
    )
    assert planned.returncode == 0, planned.stderr
    line = next(x for x in planned.stdout.splitlines() if " runtime-migration-drift " in x)
    assert line.startswith("skip runtime-migration-drift")
    assert "`gcloud auth login` with gcloud on the PATH" in line
