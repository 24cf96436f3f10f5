"""`cutover-probe run` as a user runs it against the simulated fleet, reading what it wrote: in
this process (asyncclick's CliRunner), except one full run, which starts the real program."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from cutover_probe.fleet import ControlFaults, FleetSpec, FleetThread

from ..conftest import (
    HTTP_CHECKS,
    HTTP_ONLY,
    Checkout,
    clean_environ,
    fleet_environ,
    invoke_cli,
    invoke_cli_async,
    read_tsv,
    run_cli,
)
from ..servers import serve_app

SEED_ORDER = [
    *HTTP_CHECKS,
    "runtime-migration-drift",
    "khala-contract-tests",
    "cross-surface-contract-harness",
    "control-error-log-probe",
    "runtime-error-log-probe",
    "control-canary-status",
]
GOOGLE_CHECKS = {
    "runtime-migration-drift",
    "control-error-log-probe",
    "runtime-error-log-probe",
    "control-canary-status",
}


def every_artifact(directory: Path) -> dict[Path, str]:
    return {p: p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_healthy_fleet_full_matrix_is_go(fleet_thread, checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "report"
    env = fleet_environ(fleet_thread, checkout, OUTPUT_DIR=str(out))
    result = run_cli("run", env=env, cwd=checkout.root)  # the real program, start to exit
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_tsv(out / "results.tsv")
    assert [r["check_id"] for r in rows] == SEED_ORDER
    for r in rows:
        if r["check_id"] == "cross-surface-contract-harness":
            assert (r["status"], r["required"], r["command"]) == (
                "skipped",
                "optional",
                "RUN_CROSS_SURFACE=0",
            )
        else:
            assert r["status"] == "passed", r
        assert r["log_path"] == f"logs/{r['check_id']}.log"
        assert (out / r["log_path"]).is_file()
    assert "[passed] control-staging-health (required)" in result.stdout
    assert "[matrix] verdict: GO" in result.stdout
    summary = (out / "SUMMARY.md").read_text()
    assert summary.startswith("# Rust Staging/Prod Validation Matrix\n")
    for bullet in (
        "- Overall: passed",
        "- Total checks: 12",
        "- Passed: 11",
        "- Required failures: 0",
        "- Optional failures: 0",
        "- Required skipped: 0",
        "- Optional skipped: 1",
    ):
        assert bullet in summary
    for section in ("## Environment", "## Check Results", "## Commands"):
        assert section in summary
    doc = json.loads((out / "results.json").read_text())
    assert doc["verdict"]["label"] == "GO"
    assert [c["id"] for c in doc["checks"]] == SEED_ORDER
    smoke = doc["checks"][1]
    assert smoke["environment"] == "staging"
    assert smoke["attempts"] >= 9
    assert any("/manifest.json -> 200" in line for line in smoke["evidence"])


def test_without_google_credentials_gate_is_no_go_and_baseline_exits_zero(
    fleet_thread, checkout: Checkout, tmp_path: Path
) -> None:
    env = fleet_environ(fleet_thread, checkout)
    for name in ("CLOUD_RUN_EMULATOR_HOST", "CLOUD_LOGGING_EMULATOR_HOST", "STORAGE_EMULATOR_HOST"):
        del env[name]
    gated = invoke_cli("run", env={**env, "OUTPUT_DIR": str(tmp_path / "g")}, cwd=checkout.root)
    assert gated.returncode == 1
    assert "[matrix] verdict: NO-GO (overall failed: 4 required skipped)" in gated.stdout
    skipped = {
        r["check_id"] for r in read_tsv(tmp_path / "g" / "results.tsv") if r["status"] == "skipped"
    }
    assert skipped == GOOGLE_CHECKS | {"cross-surface-contract-harness"}
    out = tmp_path / "b"
    result = invoke_cli(
        "run",
        env={**env, "OUTPUT_DIR": str(out), "FAIL_ON_REQUIRED_FAILURE": "0"},
        cwd=checkout.root,
    )
    assert result.returncode == 0, result.stderr
    assert "[matrix] verdict: BASELINE" in result.stdout
    assert "- Overall: failed" in (out / "SUMMARY.md").read_text()


def test_http_only_matrix_on_healthy_fleet_is_go(
    fleet_thread, checkout: Checkout, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    env = fleet_environ(fleet_thread, checkout, OUTPUT_DIR=str(out))
    result = invoke_cli("run", "--config", str(HTTP_ONLY), env=env, cwd=checkout.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[matrix] verdict: GO" in result.stdout
    assert {r["status"] for r in read_tsv(out / "results.tsv")} == {"passed"}


def test_no_secret_reaches_any_file_or_output(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "report"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = invoke_cli("run", "--verbose", env=env, cwd=checkout.root)
        issued = list(fleet.issued_sync_tokens)
        tokens = list(fleet.tokens.values())
    assert len(issued) == 4, "both environments' two sync-token routes were asked"
    texts = [result.stdout, result.stderr, *every_artifact(out).values()]
    for secret in tokens + issued:
        assert len(secret) >= 16
        for text in texts:
            assert secret not in text
    # The routes that need the token did run with it.
    assert "[passed] control-prod-smoke (required)" in result.stdout
    assert "(token set)" in (out / "results.tsv").read_text()


def test_rows_and_tsv_bytes_do_not_depend_on_finish_order(
    checkout: Checkout, tmp_path: Path
) -> None:
    spec = FleetSpec().with_latency(0, jitter_ms=60)
    reports = []
    with FleetThread(spec) as fleet:
        for attempt in range(3):
            out = tmp_path / f"report-{attempt}"
            env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
            result = invoke_cli("run", env=env, cwd=checkout.root)
            assert result.returncode == 0, result.stdout
            reports.append((out / "results.tsv").read_bytes())
            finish_order = [
                line.split("] ")[1].split(" ")[0]
                for line in result.stdout.splitlines()
                if line.startswith("[") and not line.startswith("[matrix]")
            ]
            assert sorted(finish_order) == sorted(SEED_ORDER)
    assert reports[0] == reports[1] == reports[2]


def test_refused_connection_fails_only_that_environment(
    fleet_thread, checkout: Checkout, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    out = tmp_path / "report"
    env = fleet_environ(
        fleet_thread,
        checkout,
        OUTPUT_DIR=str(out),
        PROD_CONTROL_BASE_URL=f"http://127.0.0.1:{closed_port}",
    )
    result = invoke_cli("run", env=env, cwd=checkout.root)
    assert result.returncode == 1
    status = {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")}
    assert status["control-prod-health"] == status["control-prod-smoke"] == "failed"
    assert status["control-staging-health"] == status["control-staging-smoke"] == "passed"
    assert status["runtime-prod-smoke"] == "passed"
    doc = json.loads((out / "results.json").read_text())
    reason = next(c["reason"] for c in doc["checks"] if c["id"] == "control-prod-health")
    assert "connection refused" in reason
    assert "connection refused" in (out / "logs" / "control-prod-health.log").read_text()
    assert "[failed] control-prod-health (required): " in result.stdout


def test_non_json_manifest_fails_only_its_smoke(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "report"
    with FleetThread(FleetSpec(staging_control=ControlFaults(manifest_not_json=True))) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        invoke_cli("run", env=env, cwd=checkout.root)
    status = {r["check_id"]: r["status"] for r in read_tsv(out / "results.tsv")}
    assert status["control-staging-smoke"] == "failed"
    assert status["control-staging-health"] == status["control-prod-smoke"] == "passed"
    assert "not JSON" in (out / "SUMMARY.md").read_text()


def test_output_dir_holding_a_report_is_refused(
    fleet_thread, checkout: Checkout, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    env = fleet_environ(fleet_thread, checkout, OUTPUT_DIR=str(out))
    assert invoke_cli("run", env=env, cwd=checkout.root).returncode == 0
    first = (out / "results.tsv").read_bytes()
    again = invoke_cli("run", env=env, cwd=checkout.root)
    assert again.returncode == 2
    assert "already holds a report" in again.stderr
    assert (out / "results.tsv").read_bytes() == first


def test_default_output_dir_is_under_the_repo_root(fleet_thread, checkout: Checkout) -> None:
    env = fleet_environ(fleet_thread, checkout, FAIL_ON_REQUIRED_FAILURE="0")
    result = invoke_cli("run", env=env, cwd=checkout.root)
    assert result.returncode == 0
    reports = list((checkout.root / "docs/reports/rust-cutover-validation").iterdir())
    assert len(reports) == 1
    assert len(reports[0].name) == len("20261127T085245Z")
    assert (reports[0] / "results.tsv").is_file()


def test_bad_compare_to_and_ca_bundle_exit_2_before_probing(
    fleet_thread, checkout: Checkout, tmp_path: Path
) -> None:
    empty = tmp_path / "not-a-report"
    empty.mkdir()
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate")
    cases = [
        (["--compare-to", str(empty)], f"{empty}: no results.json (not a cutover-probe report)"),
        (["--ca-bundle", str(not_pem)], f"--ca-bundle {not_pem}: "),
    ]
    for position, (args, message) in enumerate(cases):
        out = tmp_path / f"r{position}"
        before = len(fleet_thread.requests)
        env = fleet_environ(fleet_thread, checkout, OUTPUT_DIR=str(out))
        result = invoke_cli("run", *args, env=env, cwd=checkout.root)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"cutover-probe: error: {message}")
        assert len(fleet_thread.requests) == before, "nothing was probed"
        assert not out.exists()


@contextlib.asynccontextmanager
async def _holding_server(release_at: int) -> AsyncIterator[tuple[str, list[int]]]:
    """A server that holds every request until `release_at` are in flight (or 20 s pass), then
    answers each after 0.3 s more, so a run that admitted more checks than its bound would be
    seen with more in flight. Yields its URL and [peak in flight]."""
    in_flight, peak = 0, [0]
    enough = asyncio.Event()

    async def hold(request: web.Request) -> web.Response:
        nonlocal in_flight
        in_flight += 1
        peak[0] = max(peak[0], in_flight)
        if in_flight >= release_at:
            enough.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(enough.wait(), 20)
            await asyncio.sleep(0.3)
        finally:
            in_flight -= 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/hold", hold)
    async with serve_app(app) as url:
        yield url, peak


@pytest.mark.parametrize(
    ("checks", "options", "bound"),
    [(260, (), 256), (6, ("--max-parallel", "2"), 2)],
    ids=["default-256", "max-parallel-2"],
)
@pytest.mark.anyio
async def test_max_parallel_bounds_the_checks_in_flight(
    tmp_path: Path, checks: int, options: tuple[str, ...], bound: int
) -> None:
    async with _holding_server(release_at=bound) as (url, peak):
        config = tmp_path / "many.toml"
        config.write_text(
            "".join(
                f'[[checks]]\nid = "hold-{n}"\nkind = "http"\nbase_url = "{url}"\n'
                '[[checks.steps]]\nname = "hold"\npath = "/hold"\nexpect = { status = 200 }\n\n'
                for n in range(checks)
            )
        )
        out = tmp_path / "report"
        ran = await invoke_cli_async(
            "run", "-q", "--config", str(config), "--output-dir", str(out),
            "--per-host-limit", "300", "--connection-limit", "300", *options,
            env=clean_environ(), cwd=tmp_path,
        )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    rows = read_tsv(out / "results.tsv")
    assert [r["status"] for r in rows] == ["passed"] * checks
    assert peak[0] == bound
