"""Bad input, proved: generated config files and environment values end in a usage error
(exit 2) naming the place, never a traceback."""

# ruff: noqa: PT017 - a generated input may be valid, so these tests look at the error if any.

from __future__ import annotations

import contextlib
import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cutover_probe.config import default_config_path, load_matrix, parse_matrix
from cutover_probe.errors import ConfigError, EnvironmentError_
from cutover_probe.planning import build_plan

from .conftest import clean_environ, invoke_cli, scaled

SHIPPED = tomllib.loads(default_config_path().read_text())
SOURCE = "generated.toml"

junk = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=30),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=6), st.integers(), max_size=2),
)


@st.composite
def broken_matrices(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    checks: list[dict[str, Any]] = data["checks"]
    how = draw(st.sampled_from(["check-value", "unknown-key", "duplicate", "variable", "top"]))
    if how == "check-value":
        check = draw(st.sampled_from(checks))
        key = draw(st.sampled_from(sorted(check)))
        check[key] = draw(junk.filter(lambda v, old=check[key]: type(v) is not type(old)))
    elif how == "unknown-key":
        check = draw(st.sampled_from(checks))
        check[draw(st.sampled_from(["kindd", "requird", "argvv", "descripton", "x"]))] = 1
    elif how == "duplicate":
        checks.append(copy.deepcopy(draw(st.sampled_from(checks))))
    elif how == "variable":
        name = draw(st.sampled_from(sorted(data["variables"])))
        field = draw(st.sampled_from(["type", "default", "in_summary", "nonsense"]))
        data["variables"][name][field] = draw(
            junk.filter(lambda v: not (field == "default" and isinstance(v, str)))
        )
    else:
        data[draw(st.sampled_from(["matrix", "checks", "variables", "extra"]))] = draw(junk)
    return data


@settings(max_examples=scaled(150), deadline=None)
@given(broken_matrices())
def test_broken_config_is_a_config_error_naming_the_place(data: dict[str, Any]) -> None:
    try:
        parse_matrix(data, source=SOURCE, path=Path(SOURCE))
    except ConfigError as exc:
        assert str(exc).startswith(f"{SOURCE}: ")
        assert exc.problem
        return
    # A few mutations are harmless (a description that is still a string, say): then the
    # matrix must at least plan without raising anything but an environment error.
    matrix = parse_matrix(data, source=SOURCE, path=Path(SOURCE))
    with contextlib.suppress(EnvironmentError_):
        build_plan(matrix, clean_environ(), Path("."))


def capture_cycle(names: list[str]) -> dict[str, Any]:
    steps = [
        {
            "name": f"s{i}",
            "path": f"/x/{{{{{names[(i + 1) % len(names)]}}}}}",
            "capture": {name: {"header": "X"}},
        }
        for i, name in enumerate(names)
    ]
    return {"id": "cycle", "kind": "http", "base_url": "http://127.0.0.1:9", "steps": steps}


@settings(max_examples=scaled(40), deadline=None)
@given(
    st.lists(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=5, unique=True
    )
)
def test_cycles_in_captured_values_are_refused(names: list[str]) -> None:
    data = copy.deepcopy(SHIPPED)
    data["checks"] = [capture_cycle(names)]
    try:
        parse_matrix(data, source=SOURCE, path=Path(SOURCE))
    except ConfigError as exc:
        assert exc.key.startswith("checks[cycle].steps[s")
        assert "is not captured by an earlier step" in exc.problem
    else:
        raise AssertionError("a step used a value no earlier step captured")


@settings(
    max_examples=scaled(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=400))
def test_random_bytes_as_a_config_file_are_a_config_error(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "random.toml"
    path.write_bytes(blob)
    try:
        load_matrix(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path))


def test_huge_and_invalid_utf8_files_exit_2_without_traceback(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# padding\n" * (6600 * 1024))
    bad = tmp_path / "bad.toml"
    bad.write_bytes(default_config_path().read_bytes().replace(b"staging", b"stag\xffing", 1))
    for path, problem in ((huge, "larger than 64 MiB"), (bad, "not UTF-8")):
        result = invoke_cli("plan", "--config", str(path), env=clean_environ(), cwd=tmp_path)
        assert result.returncode == 2
        assert f"{path}: {problem}" in result.stderr
        assert "Traceback" not in result.stderr


VARIABLES = [
    "STAGING_CONTROL_BASE_URL",
    "PROD_RUNTIME_BASE_URL",
    "RUN_LOG_PROBES",
    "FAIL_ON_REQUIRED_FAILURE",
    "LOG_PROBE_FRESHNESS",
    "LOG_PROBE_MAX_ERRORS",
    "BACKUP_MAX_AGE_HOURS",
    "RUN_BACKUP_FRESHNESS_CHECK",
]
# Parsed once: planning only reads a matrix (a run or a watch plans one matrix many times), and
# reading the TOML again per example was nine tenths of this test's CPU.
SHIPPED_MATRIX = load_matrix(default_config_path())


@settings(max_examples=scaled(200), deadline=None)
@given(st.sampled_from(VARIABLES), st.text(max_size=40))
# Found: accepted, then an internal error (a timedelta overflow) once the check ran.
@example("LOG_PROBE_FRESHNESS", "99999999999h")
@example("BACKUP_MAX_AGE_HOURS", "9" * 30)
@example("LOG_PROBE_MAX_ERRORS", "9" * 30)
# Found: a CR injected lines into SUMMARY.md.
@example("STAGING_CONTROL_BASE_URL", "http://127.0.0.1:9\r")
@example("FAIL_ON_REQUIRED_FAILURE", "1\r")
def test_environment_values_plan_or_name_the_variable(name: str, value: str) -> None:
    environ = clean_environ(**{name: value, "RUN_BACKUP_FRESHNESS_CHECK": "1"})
    if name == "RUN_BACKUP_FRESHNESS_CHECK":
        environ[name] = value
    try:
        build_plan(SHIPPED_MATRIX, environ, Path("."))
    except EnvironmentError_ as exc:
        assert exc.variable == name
        assert str(exc).startswith(f"environment variable {name}: ")


def test_a_bad_environment_value_exits_2_naming_it(tmp_path: Path) -> None:
    result = invoke_cli("plan", env=clean_environ(LOG_PROBE_MAX_ERRORS="many"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "cutover-probe: error: environment variable LOG_PROBE_MAX_ERRORS: "
        "expected a number, got 'many'\n"
    )
