"""A broken matrix or environment stops the run before any probe, naming file, key and problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cutover_probe.config import default_config_path, load_matrix
from cutover_probe.errors import ConfigError

from .conftest import clean_environ, invoke_cli

SHIPPED = default_config_path().read_text()

MINIMAL = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.BASE]
type = "url"
[variables.TOKEN]
type = "secret"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    return path


def test_shipped_matrix_is_the_seeds_twelve_checks_in_order_then_switchable_lanes() -> None:
    matrix = load_matrix(default_config_path())
    assert [(c.id, c.required) for c in matrix.checks if c.listed_when_off] == [
        ("control-staging-health", True),
        ("control-staging-smoke", True),
        ("control-prod-health", True),
        ("control-prod-smoke", True),
        ("runtime-staging-smoke", True),
        ("runtime-prod-smoke", True),
        ("runtime-migration-drift", True),
        ("khala-contract-tests", True),
        ("cross-surface-contract-harness", False),
        ("control-error-log-probe", True),
        ("runtime-error-log-probe", True),
        ("control-canary-status", True),
    ]
    beyond_the_seed = [c for c in matrix.checks if not c.listed_when_off]
    assert [(c.id, c.enabled_by) for c in beyond_the_seed] == [
        ("laravel-backup-freshness", "RUN_BACKUP_FRESHNESS_CHECK"),
        ("control-staging-htmx-perf", "RUN_HTMX_PERF_CHECKS"),
        ("control-prod-htmx-perf", "RUN_HTMX_PERF_CHECKS"),
        ("control-parity", "RUN_PARITY_CHECK"),
        ("control-staging-tls", "RUN_TLS_CHECK"),
        ("control-prod-tls", "RUN_TLS_CHECK"),
    ]
    assert matrix.title == "Rust Staging/Prod Validation Matrix"
    expected_defaults = {
        "STAGING_CONTROL_BASE_URL": "https://staging.openagents.com",
        "PROD_CONTROL_BASE_URL": "https://openagents.com",
        "STAGING_RUNTIME_BASE_URL": "",
        "PROD_RUNTIME_BASE_URL": "",
        "GCP_PROJECT": "openagentsgemini",
        "GCP_REGION": "us-central1",
        "CONTROL_SERVICE": "openagents-control-service",
        "RUNTIME_SERVICE": "runtime",
        "MIGRATE_JOB": "runtime-migrate",
        "RUN_RUNTIME_DRIFT_CHECK": "1",
        "RUN_KHALA_CONTRACT_TESTS": "1",
        "RUN_CROSS_SURFACE": "0",
        "RUN_LOG_PROBES": "1",
        "FAIL_ON_REQUIRED_FAILURE": "1",
        "EXPECTED_IMAGE": "",
        "OUTPUT_DIR": "",
        "STAGING_CONTROL_ACCESS_TOKEN": "",
        "PROD_CONTROL_ACCESS_TOKEN": "",
    }
    seed = {name: matrix.variables[name].default for name in expected_defaults}
    assert seed == expected_defaults


@pytest.mark.parametrize(
    ("checks", "key", "problem"),
    [
        ('[[checks]]\nid = "a"\nkind = "nope"\n', "checks[a].kind", "unknown kind 'nope'"),
        ('[[checks]]\nid = "a"\n', "checks[a].kind", "missing"),
        ('[[checks]]\nid = "A b"\nkind = "command"\n', "checks[0].id", "expected an id"),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\n',
            "checks[a].base_url",
            "missing: kind control-health needs it",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${BASE}"\nbase = 1\n',
            "checks[a].base",
            "unknown key for kind 'control-health'",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${NOPE}"\n',
            "checks[a].base_url",
            "${NOPE} is not a declared variable",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-smoke"\nbase_url = "${BASE}"\n'
            'access_token = "hunter2-literal"\n',
            "checks[a].access_token",
            "a secret must be a single ${VARIABLE} reference",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${TOKEN}"\n',
            "checks[a].base_url",
            "secret ${TOKEN} used where a secret is not expected",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${BASE}"\n'
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${BASE}"\n',
            "checks[a].id",
            "duplicate check id",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${BASE}"\n'
            'required = "yes"\n',
            "checks[a].required",
            "expected true or false",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${BASE}"\n'
            'deadline = "soon"\n',
            "checks[a].deadline",
            "expected a duration",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "control-health"\nbase_url = "${BASE}"\n'
            'enabled_by = "BASE"\n',
            "checks[a].enabled_by",
            "BASE is not a declared flag",
        ),
        (
            '[[checks]]\nid = "a"\nkind = "command"\nargv = "cargo test"\n',
            "checks[a].argv",
            "expected a list of strings",
        ),
        ("", "checks", "expected at least one [[checks]] table"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, checks: str, key: str, problem: str) -> None:
    path = write(tmp_path, MINIMAL + checks)
    with pytest.raises(ConfigError) as caught:
        load_matrix(path)
    assert caught.value.source == str(path)
    assert caught.value.key == key
    assert problem in caught.value.problem


FAILING_LANE = '[[checks]]\nid = "lane"\nkind = "command"\nargv = ["false"]\n'


@pytest.mark.parametrize(
    ("declared", "environ", "exit_code"),
    [
        ("", {}, 1),  # the engine's defaults: gating on
        ("", {"FAIL_ON_REQUIRED_FAILURE": "0"}, 0),  # baseline capture from the environment
        ('[variables.FAIL_ON_REQUIRED_FAILURE]\ntype = "flag"\ndefault = "0"\n', {}, 0),
    ],
)
def test_engine_variables_need_no_declaration_and_a_matrix_may_change_their_defaults(
    tmp_path: Path, declared: str, environ: dict[str, str], exit_code: int
) -> None:
    path = write(tmp_path, declared + FAILING_LANE)
    out = tmp_path / "out"
    result = invoke_cli(
        "run",
        "-q",
        "--config",
        str(path),
        env=clean_environ(OUTPUT_DIR=str(out), **environ),
        cwd=tmp_path,
    )
    assert result.returncode == exit_code, result.stderr
    assert "lane\trequired\tfailed" in (out / "results.tsv").read_text()


def test_an_engine_variable_keeps_its_type(tmp_path: Path) -> None:
    text = '[variables.FAIL_ON_REQUIRED_FAILURE]\ntype = "string"\n' + FAILING_LANE
    with pytest.raises(ConfigError, match=r"variables\.FAIL_ON_REQUIRED_FAILURE\.type: must be"):
        load_matrix(write(tmp_path, text))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[matrix\ntitle = 1", "invalid TOML"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_unreadable_config_exits_2_through_the_cli(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    result = invoke_cli("plan", "--config", str(path), env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2
    assert str(path) in result.stderr
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_kind_exits_2_before_any_probe(tmp_path: Path) -> None:
    text = SHIPPED.replace('kind = "runtime-smoke"', 'kind = "runtime-smoek"', 1)
    path = write(tmp_path, text)
    out = tmp_path / "out"
    result = invoke_cli(
        "run", "--config", str(path), env=clean_environ(OUTPUT_DIR=str(out)), cwd=tmp_path
    )
    assert result.returncode == 2
    assert f"{path}: checks[runtime-staging-smoke].kind: unknown kind 'runtime-smoek'" in (
        result.stderr
    )
    assert not out.exists()
    assert result.stdout == ""


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = invoke_cli("plan", "--config", "nope.toml", env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.toml: no such file" in result.stderr


def test_renaming_a_lane_is_an_edit_of_the_toml(tmp_path: Path) -> None:
    text = SHIPPED.replace('id = "khala-contract-tests"', 'id = "spacetime-contract-tests"')
    baseline = default_config_path().parent / "htmx-baseline.csv"
    (tmp_path / baseline.name).write_bytes(baseline.read_bytes())
    matrix = load_matrix(write(tmp_path, text))
    assert "spacetime-contract-tests" in [c.id for c in matrix.checks]
    assert tomllib.loads(text)  # still the same shape
