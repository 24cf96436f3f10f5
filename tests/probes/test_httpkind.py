"""The declarative ``http`` kind: every assertion passing and failing with the words a user
reads, captures flowing between steps and staying out of artifacts, samples and percentiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cutover_probe.config import load_matrix
from cutover_probe.errors import ConfigError
from cutover_probe.fleet import ControlFaults, FleetSpec, FleetThread, serve_fleet
from cutover_probe.model import Status

from ..conftest import Checkout, fleet_environ, invoke_cli, run_in_process

HEADER = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"
[variables.STAGING_RUNTIME_BASE_URL]
type = "url"
[variables.STAGING_CONTROL_ACCESS_TOKEN]
type = "secret"
"""


def config(tmp_path: Path, checks: str) -> Path:
    path = tmp_path / "lane.toml"
    path.write_text(HEADER + checks)
    return path


def one_step(expect: str, path: str = "/healthz", extra: str = "") -> str:
    return f"""
[[checks]]
id = "lane"
kind = "http"
base_url = "${{STAGING_CONTROL_BASE_URL}}"
token = "${{STAGING_CONTROL_ACCESS_TOKEN}}"
{extra}
[[checks.steps]]
name = "probe"
path = "{path}"
expect = {expect}
"""


PASSING = [
    ("{ status = 200 }", "/healthz"),
    ("{ status = [200, 204] }", "/healthz"),
    ('{ status = "200-299" }', "/healthz"),
    ('{ headers = { cache-control = { contains = "no-cache" } } }', "/manifest.json"),
    (
        '{ headers = { Cache-Control = { equals = "no-cache, no-store, must-revalidate" } } }',
        "/sw.js",
    ),
    ('{ headers = { cache-control = { regex = "^no-cache" } } }', "/sw.js"),
    ("{ headers = { content-type = { present = true } } }", "/healthz"),
    ("{ headers = { x-nope = { present = false } } }", "/healthz"),
    ('{ body_regex = "openagents-control-service" }', "/healthz"),
    ('{ json = { "/status" = { equals = "ok" } } }', "/healthz"),
    ('{ json = { "/entry/js" = { exists = true } } }', "/manifest.json"),
    (
        '{ json = { "/manifestVersion" = { matches = "^openagents\\\\.webshell\\\\.v[0-9]+$" } } }',
        "/manifest.json",
    ),
    ('{ json = { "/nope" = { exists = false } } }', "/healthz"),
    ('{ content_type = "application/json" }', "/healthz"),
    ("{ max_bytes = 100000 }", "/manifest.json"),
    ("{ ttfb_ms = 5000, total_ms = 5000 }", "/healthz"),
]

FAILING = [
    ("{ status = 201 }", "/healthz", "step probe: status 200, expected 201"),
    ('{ status = "500-599" }', "/healthz", "step probe: status 200, expected 500-599"),
    (
        '{ headers = { cache-control = { contains = "immutable" } } }',
        "/manifest.json",
        "step probe: header cache-control: expected to contain 'immutable', "
        "got 'no-cache, no-store, must-revalidate'",
    ),
    (
        '{ headers = { cache-control = { equals = "no-store" } } }',
        "/sw.js",
        "step probe: header cache-control: expected 'no-store', "
        "got 'no-cache, no-store, must-revalidate'",
    ),
    (
        '{ headers = { cache-control = { regex = "^public" } } }',
        "/sw.js",
        "step probe: header cache-control: expected to match /^public/, "
        "got 'no-cache, no-store, must-revalidate'",
    ),
    (
        "{ headers = { x-nope = { present = true } } }",
        "/healthz",
        "step probe: header x-nope: expected present, absent",
    ),
    (
        "{ headers = { content-type = { present = false } } }",
        "/healthz",
        "step probe: header content-type: expected absent, got 'application/json",
    ),
    ('{ body_regex = "^nope$" }', "/healthz", "step probe: body does not match /^nope$/"),
    (
        '{ json = { "/status" = { equals = "down" } } }',
        "/healthz",
        "step probe: JSON /status: expected 'down', got 'ok'",
    ),
    (
        '{ json = { "/data/token" = { exists = true } } }',
        "/healthz",
        "step probe: JSON /data/token: expected to exist, missing",
    ),
    (
        '{ json = { "/status" = { matches = "^ready$" } } }',
        "/healthz",
        "step probe: JSON /status: expected to match /^ready$/, got 'ok'",
    ),
    (
        '{ json = { "/status" = { equals = "ok" } } }',
        "/sw.js",
        "step probe: body is not JSON (application/javascript",
    ),
    (
        '{ content_type = "text/html" }',
        "/healthz",
        "step probe: content type: expected text/html, got application/json",
    ),
    ("{ max_bytes = 10 }", "/manifest.json", "bytes over budget 10"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("expect", "path"), PASSING)
async def test_assertion_passes(checkout: Checkout, tmp_path: Path, expect: str, path: str) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(fleet, checkout)
        outcomes = await run_in_process(
            environ, checkout.root, config(tmp_path, one_step(expect, path))
        )
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason


@pytest.mark.anyio
@pytest.mark.parametrize(("expect", "path", "reason"), FAILING)
async def test_assertion_fails_saying_expected_and_got(
    checkout: Checkout, tmp_path: Path, expect: str, path: str, reason: str
) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(fleet, checkout)
        outcomes = await run_in_process(
            environ, checkout.root, config(tmp_path, one_step(expect, path))
        )
    lane = outcomes["lane"]
    assert lane.status is Status.FAILED
    assert reason in lane.reason
    assert any(line.startswith("FAILED: ") and reason in line for line in lane.evidence)


@pytest.mark.anyio
async def test_ttfb_and_total_budgets_fail_on_a_slow_service(
    checkout: Checkout, tmp_path: Path
) -> None:
    spec = FleetSpec(staging_control=ControlFaults(latency_ms=150))
    async with serve_fleet(spec) as fleet:
        environ = fleet_environ(fleet, checkout)
        lane = config(tmp_path, one_step("{ ttfb_ms = 50, total_ms = 60 }"))
        outcomes = await run_in_process(environ, checkout.root, lane)
    reason = outcomes["lane"].reason
    assert "step probe: TTFB " in reason
    assert "ms over budget 50 ms" in reason
    assert "total time " in reason
    assert "ms over budget 60 ms" in reason


CAPTURE_FLOW = """
[[checks]]
id = "runs"
kind = "http"
base_url = "${STAGING_RUNTIME_BASE_URL}"

[[checks.steps]]
name = "create"
method = "POST"
path = "/internal/v1/runs"
json = { worker_id = "smoke:declarative", metadata = { source = "test" } }
expect = { status = 201 }
capture = { run_id = { json = "/run/id" } }

[[checks.steps]]
name = "read"
path = "/internal/v1/runs/{{run_id}}"
expect = { status = 200, json = { "/run/worker_id" = { equals = "smoke:declarative" } } }
"""


def test_captured_value_flows_to_later_steps_and_stays_out_of_artifacts(
    checkout: Checkout, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = invoke_cli(
            "run",
            "--verbose",
            "--config",
            str(config(tmp_path, CAPTURE_FLOW)),
            env=env,
            cwd=checkout.root,
        )
        reads = [r.path for r in fleet.requests if r.path.startswith("/internal/v1/runs/")]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(reads) == 1
    run_id = reads[0].rsplit("/", 1)[-1]
    assert len(run_id) >= 16
    texts = [result.stdout, result.stderr] + [p.read_text() for p in out.rglob("*") if p.is_file()]
    assert all(run_id not in text for text in texts)
    log = (out / "logs" / "runs.log").read_text()
    assert "captured run_id from JSON /run/id" in log
    assert "/internal/v1/runs/[REDACTED] -> 200" in log


def test_public_capture_is_shown(checkout: Checkout, tmp_path: Path) -> None:
    flow = CAPTURE_FLOW.replace('{ json = "/run/id" }', '{ json = "/run/id", public = true }')
    out = tmp_path / "report"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        result = invoke_cli(
            "run", "--config", str(config(tmp_path, flow)), env=env, cwd=checkout.root
        )
    assert result.returncode == 0
    assert "[REDACTED]" not in (out / "logs" / "runs.log").read_text()


@pytest.mark.anyio
async def test_missing_capture_fails_the_dependent_step(checkout: Checkout, tmp_path: Path) -> None:
    flow = CAPTURE_FLOW.replace('"/run/id"', '"/run/nope"')
    async with serve_fleet() as fleet:
        outcomes = await run_in_process(
            fleet_environ(fleet, checkout), checkout.root, config(tmp_path, flow)
        )
    reason = outcomes["runs"].reason
    assert "step create: could not capture run_id from /run/nope" in reason
    assert "step read: not run: {{run_id}} was not captured" in reason


@pytest.mark.parametrize(
    ("steps", "key", "problem"),
    [
        (
            '[[checks.steps]]\nname = "a"\npath = "/x/{{later}}"\n'
            '[[checks.steps]]\nname = "b"\npath = "/y"\ncapture = { later = { header = "X" } }\n',
            "checks[lane].steps[a]",
            "{{later}} is not captured by an earlier step (captured by this or a later step)",
        ),
        (
            '[[checks.steps]]\nname = "a"\npath = "/x/{{me}}"\n'
            'capture = { me = { header = "X" } }\n',
            "checks[lane].steps[a]",
            "{{me}} is not captured by an earlier step",
        ),
        (
            '[[checks.steps]]\nname = "a"\npath = "/x"\nexpect = { status = "abc" }\n',
            "checks[lane].steps[a].expect.status",
            "expected a status",
        ),
        (
            '[[checks.steps]]\nname = "a"\npath = "/x"\nexpect = { sttaus = 200 }\n',
            "checks[lane].steps[a].expect.sttaus",
            "unknown key",
        ),
        (
            '[[checks.steps]]\nname = "a"\npath = "/x"\nexpect = { body_regex = "(" }\n',
            "checks[lane].steps[a].expect.body_regex",
            "invalid regular expression",
        ),
        (
            '[[checks.steps]]\nname = "a"\npath = "/x"\nheaders = { Authorization = "Bearer x" }\n',
            "checks[lane].steps[a].headers.Authorization",
            "use auth = true",
        ),
        ('[[checks.steps]]\nname = "a"\n', "checks[lane].steps[a]", "exactly one of: path"),
        (
            'budgets = { ttfb_p97_ms = 3 }\n[[checks.steps]]\nname = "a"\npath = "/x"\n',
            "checks[lane].budgets.ttfb_p97_ms",
            "unknown budget",
        ),
    ],
)
def test_bad_steps_are_config_errors_naming_the_key(
    tmp_path: Path, steps: str, key: str, problem: str
) -> None:
    text = (
        '[[checks]]\nid = "lane"\nkind = "http"\nbase_url = "${STAGING_CONTROL_BASE_URL}"\n' + steps
    )
    with pytest.raises(ConfigError) as caught:
        load_matrix(config(tmp_path, text))
    assert caught.value.key == key
    assert problem in caught.value.problem


SAMPLED = """
[[checks]]
id = "lane"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
samples = 12
concurrency = 4
budgets = { ttfb_p95_ms = BUDGET, max_error_rate = 0.01 }
[[checks.steps]]
name = "health"
path = "/healthz"
"""


@pytest.mark.anyio
async def test_sampled_check_passes_and_fails_its_percentile_budget(
    checkout: Checkout, tmp_path: Path
) -> None:
    spec = FleetSpec(staging_control=ControlFaults(latency_ms=40))
    async with serve_fleet(spec) as fleet:
        environ = fleet_environ(fleet, checkout)
        ok = await run_in_process(
            environ, checkout.root, config(tmp_path, SAMPLED.replace("BUDGET", "5000"))
        )
        tight = await run_in_process(
            environ, checkout.root, config(tmp_path, SAMPLED.replace("BUDGET", "20"))
        )
        served = [r for r in fleet.requests if r.path == "/healthz"]
    assert len(served) == 24
    assert ok["lane"].status is Status.PASSED
    assert ok["lane"].reason == "12 samples of 1 steps within budget"
    assert ok["lane"].details["steps"]["health"]["samples"] == 12
    assert tight["lane"].status is Status.FAILED
    assert "step health: TTFB p95 " in tight["lane"].reason
    assert "ms over budget 20 ms" in tight["lane"].reason


@pytest.mark.anyio
async def test_error_rate_budget_counts_failed_samples(checkout: Checkout, tmp_path: Path) -> None:
    lane = SAMPLED.replace("BUDGET", "5000").replace('path = "/healthz"', 'path = "/nope"')
    async with serve_fleet() as fleet:
        outcomes = await run_in_process(
            fleet_environ(fleet, checkout), checkout.root, config(tmp_path, lane)
        )
    assert outcomes["lane"].reason.startswith(
        "step health: 12 of 12 samples failed (100.0%, at most 1.0% allowed): status 404"
    )


def test_results_json_carries_step_measures(checkout: Checkout, tmp_path: Path) -> None:
    out = tmp_path / "report"
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout, OUTPUT_DIR=str(out))
        lane = config(tmp_path, SAMPLED.replace("BUDGET", "5000"))
        assert invoke_cli("run", "--config", str(lane), env=env, cwd=checkout.root).returncode == 0
    details = json.loads((out / "results.json").read_text())["checks"][0]["details"]
    assert set(details["steps"]["health"]["ttfb_ms"]) == {"p50", "p90", "p95", "p99", "max"}


@pytest.mark.anyio
async def test_missing_baseline_file_fails_the_check_with_its_name(
    checkout: Checkout, tmp_path: Path
) -> None:
    lane = (
        HEADER
        + "[variables.BASELINE]\n"
        + one_step("{ status = 200 }", extra='baseline = "${BASELINE}"')
    )
    path = tmp_path / "lane.toml"
    path.write_text(lane)
    async with serve_fleet() as fleet:
        environ = fleet_environ(fleet, checkout, BASELINE=str(tmp_path / "gone.csv"))
        outcomes = await run_in_process(environ, checkout.root, path)
    assert outcomes["lane"].reason.startswith(f"baseline {tmp_path / 'gone.csv'}: cannot read")


@pytest.mark.anyio
async def test_path_without_base_url_fails_with_a_clear_reason(
    checkout: Checkout, tmp_path: Path
) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(fleet, checkout)
        del environ["STAGING_CONTROL_BASE_URL"]
        outcomes = await run_in_process(
            environ, checkout.root, config(tmp_path, one_step("{ status = 200 }"))
        )
    assert outcomes["lane"].reason == "a step has a path but the check's base_url is empty"
