"""Bad input that is not a config: tampered results.json files for `merge` and `diff`, numbers
that are not numbers (nan, inf, a hundred billion hours), and TOML nested 600 deep. Each is
exit 2 naming the place, never exit 3 (an internal error) and never accepted."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cutover_probe.ci import render_junit, render_step_summary
from cutover_probe.diffing import diff_documents
from cutover_probe.errors import UsageError
from cutover_probe.htmlreport import render_html
from cutover_probe.report import load_document, render_summary, render_tsv
from cutover_probe.results import RunResults
from cutover_probe.workflow import Outputs, merge_reports

from .conftest import clean_environ, invoke_cli, scaled

# One xdist worker for the module (make test's --dist loadgroup), which makes its real report once.
pytestmark = pytest.mark.xdist_group("resultsdoc")


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real report with every kind's details: the demo's healthy fleet, all lanes on."""
    directory = tmp_path_factory.mktemp("real") / "report"
    result = invoke_cli(
        "demo",
        "--scenario",
        "healthy",
        "--all-lanes",
        "--output-dir",
        str(directory),
        env=clean_environ(CI="1"),
        cwd=directory.parent,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return directory


@pytest.fixture(scope="module")
def real_results(real_report: Path) -> RunResults:
    """The real report as `diff` loads it, once: the old side of every tampered pair."""
    return load_document(real_report)


def tampered_copy(doc: Any, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    (into / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return into


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every JSON path of a document outside the per-kind ``details`` (which is open)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "details":
                continue
            yield from paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for position, item in enumerate(value[:3]):
            yield from paths_of(item, (*prefix, position))


def get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


JUNK = [
    None,
    7,
    -1,
    10**30,
    1e308 * 10,  # inf, written as Infinity
    math.nan,
    True,
    "text",
    [],
    {},
    [[["deep"]]],
    {"nested": {"more": [1, 2]}},
]


def mutate(doc: Any, path: tuple[Any, ...], how: str, junk: Any) -> Any:
    """``doc`` tampered at ``path``, in place: the caller parses the document afresh for each
    example, so a deep copy of it would be a second copy."""
    if not path:
        return junk
    parent, last = get(doc, path[:-1]), path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "wrap":
        parent[last] = [parent[last]]
    else:
        parent[last] = junk
    return doc


def is_change(original: Any, tampered: Any) -> bool:
    return json.dumps(original, sort_keys=True) != json.dumps(tampered, sort_keys=True)


@st.composite
def tamperings(draw: st.DrawFn, doc: Any) -> tuple[tuple[Any, ...], str, Any]:
    path = draw(st.sampled_from(sorted(paths_of(doc), key=repr)))
    how = draw(st.sampled_from(["replace", "delete", "wrap"]))
    junk = draw(
        st.sampled_from(JUNK).filter(lambda j: type(j) is not type(get(doc, path)) or j == [])
    )
    return path, how, junk


def check_exit_2_or_sound(old_doc: RunResults, new: Path, out: Path) -> None:
    """What `diff` and `merge` do with the pair: a UsageError (exit 2), or a result whose every
    rendering works. Never anything else (that would be exit 3)."""
    try:
        new_doc = load_document(new)
    except UsageError as exc:
        refused = str(exc)
    else:
        refused = ""
    if refused:
        assert refused.startswith(str(new / "results.json"))
        return
    diff_documents(old_doc, new_doc)
    render_summary(new_doc)
    render_tsv(new_doc)
    render_html(new_doc, old_doc)
    render_junit(new_doc)
    render_step_summary(new_doc)
    with contextlib.suppress(UsageError):  # "not a shard's report": exit 2 by name
        merge_reports([new], out, Outputs(), {}, out=io.StringIO())


def test_tampered_documents_are_refused_naming_the_place(real_report: Path) -> None:
    doc = json.loads((real_report / "results.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        target = tampered_copy({**doc, "checks": "x"}, Path(scratch) / "t")
        with pytest.raises(UsageError) as caught:
            load_document(target)
    assert str(caught.value).endswith("results.json: checks: expected an array, got a string")
    bad_status = copy.deepcopy(doc)
    bad_status["checks"][3]["status"] = 7
    with tempfile.TemporaryDirectory() as scratch:
        target = tampered_copy(bad_status, Path(scratch) / "t")
        with pytest.raises(UsageError) as caught:
            load_document(target)
    assert str(caught.value) == (
        f"{target / 'results.json'}: checks[3].status: "
        "expected one of passed, failed, skipped, cancelled, got 7"
    )


@settings(
    max_examples=scaled(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_tampered_document_is_exit_2_or_sound(
    real_report: Path, real_results: RunResults, data: st.DataObject
) -> None:
    doc = json.loads((real_report / "results.json").read_text())
    path, how, junk = data.draw(tamperings(doc))
    tampered = mutate(doc, path, how, junk)
    with tempfile.TemporaryDirectory() as scratch:
        new = tampered_copy(tampered, Path(scratch) / "new")
        check_exit_2_or_sound(real_results, new, Path(scratch) / "merged")


# The kinds of tampering that gave exit 3 before (12 of 17), plus more: each is exit 2 from the
# real CLI, for both `diff` and `merge`.
VARIANTS: dict[str, Any] = {
    "checks not a list": lambda d: d.update(checks={"a": 1}),
    "check not an object": lambda d: d["checks"].__setitem__(0, "x"),
    "check without status": lambda d: d["checks"][0].pop("status"),
    "status a number": lambda d: d["checks"][3].update(status=7),
    "status unknown": lambda d: d["checks"][0].update(status="exploded"),
    "reason null": lambda d: d["checks"][0].update(reason=None),
    "evidence a string": lambda d: d["checks"][0].update(evidence="line"),
    "evidence of numbers": lambda d: d["checks"][0].update(evidence=[1, 2]),
    "duration infinite": lambda d: d["checks"][0].update(duration_ms=math.inf),
    "duration nan": lambda d: d["checks"][0].update(duration_ms=math.nan),
    "attempts huge": lambda d: d["checks"][0].update(attempts=10**40),
    "required a string": lambda d: d["checks"][0].update(required="yes"),
    "verdict missing": lambda d: d.pop("verdict"),
    "verdict label unknown": lambda d: d["verdict"].update(label="MAYBE"),
    "counts a list": lambda d: d["verdict"].update(counts=[1, 2]),
    "gating a string": lambda d: d["verdict"].update(gating="1"),
    "timestamp garbage": lambda d: d.update(timestamp="yesterday"),
    "timestamp a number": lambda d: d.update(timestamp=1700000000),
    "environment a list": lambda d: d.update(environment=["A=1"]),
    "environment value null": lambda d: d["environment"].update(GCP_PROJECT=None),
    "matrix ids of numbers": lambda d: d["matrix"].update(ids=[1, 2]),
    "shard index zero": lambda d: d.update(shard={"index": 0, "count": 2}),
    "shard a string": lambda d: d.update(shard="1/2"),
    "extra nesting of checks": lambda d: d.update(checks=[d["checks"]]),
    "traffic of strings": lambda d: next(c for c in d["checks"] if "traffic" in c["details"])[
        "details"
    ].update(traffic=["100%"]),
    "error groups an object": lambda d: next(
        c for c in d["checks"] if "error_groups" in c["details"]
    )["details"].update(error_groups={"a": 1}),
    "domain mapping a number": lambda d: d.update(domain_mappings=[5]),
    "wall time negative": lambda d: d.update(wall_ms=-5),
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_merge_and_diff_of_a_tampered_document_exit_2(
    real_report: Path, tmp_path: Path, variant: str
) -> None:
    doc = json.loads((real_report / "results.json").read_text())
    VARIANTS[variant](doc)
    tampered = tampered_copy(doc, tmp_path / "tampered")
    target = tampered / "results.json"
    diff = invoke_cli("diff", str(real_report), str(tampered), env=clean_environ(), cwd=tmp_path)
    assert diff.returncode == 2, diff.stderr + diff.stdout
    assert diff.stderr.startswith(f"cutover-probe: error: {target}: "), diff.stderr
    merge = invoke_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "merged"),
        str(tampered),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert merge.returncode == 2, merge.stderr
    assert merge.stderr.startswith(f"cutover-probe: error: {target}: "), merge.stderr


def test_a_document_nested_deeply_is_exit_2(real_report: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "deep"
    tampered.mkdir()
    (tampered / "results.json").write_text("[" * 100_000 + "]" * 100_000)
    result = invoke_cli("diff", str(real_report), str(tampered), env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


# Numbers that are not numbers, in TOML, the environment and the command line.

SHIPPED = Path(__file__).resolve().parent.parent / "cutover_probe" / "configs" / "openagents.toml"


@pytest.mark.parametrize(
    ("deadline", "problem"),
    [
        ("nan", "a duration must be a finite number, got nan"),
        ("inf", "a duration must be a finite number, got inf"),
        ("-inf", "a duration must be a finite number, got -inf"),
        ("-5", "a duration must be positive, got -5"),
        ('"99999999999h"', "a duration must be at most 366 days, got '99999999999h'"),
        ("1e300", "a duration must be at most 366 days, got 1e+300"),
    ],
)
def test_a_deadline_that_is_not_a_sane_number_is_exit_2(
    tmp_path: Path, deadline: str, problem: str
) -> None:
    config = tmp_path / "matrix.toml"
    text = SHIPPED.read_text()
    config.write_text(
        text.replace(
            'id = "control-staging-health"\n',
            'id = "control-staging-health"\ndeadline = ' + deadline + "\n",
            1,
        )
    )
    result = invoke_cli("plan", "--config", str(config), env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"cutover-probe: error: {config}: checks[control-staging-health].deadline: {problem}\n"
    )


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        (
            "LOG_PROBE_FRESHNESS",
            "99999999999h",
            "a duration must be at most 366 days, got '99999999999h'",
        ),
        ("LOG_PROBE_MAX_ERRORS", "9" * 40, f"expected at most 1000000000, got {'9' * 40}"),
        ("BACKUP_MAX_AGE_HOURS", "99999999999", "expected at most 1000000000, got 99999999999"),
    ],
)
def test_an_absurd_number_in_the_environment_is_exit_2_naming_it(
    tmp_path: Path, name: str, value: str, problem: str
) -> None:
    environ = clean_environ(
        **{name: value, "RUN_LOG_PROBES": "1", "RUN_BACKUP_FRESHNESS_CHECK": "1"}
    )
    result = invoke_cli("plan", env=environ, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"cutover-probe: error: environment variable {name}: {problem}\n"


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("run", "--request-timeout", "inf"),
        ("run", "--request-timeout", "nan"),
        ("run", "--request-timeout", "1e400"),
        ("quick", "--request-timeout", "nan"),
        ("quick", "--request-timeout", "-inf"),
        ("demo", "--latency-ms", "nan"),
        ("demo", "--latency-ms", "inf"),
    ],
)
def test_a_float_option_that_is_not_finite_is_exit_2(
    tmp_path: Path, command: str, option: str, value: str
) -> None:
    result = invoke_cli(command, option, value, env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2
    assert f"Invalid value for '{option}': '{value}' is not a number from" in result.stderr


@pytest.mark.parametrize("shape", ["array", "table", "inline table"])
def test_toml_nested_600_deep_is_exit_2_naming_the_file(tmp_path: Path, shape: str) -> None:
    depth = 600
    if shape == "array":
        value = "[" * depth + "1" + "]" * depth
    elif shape == "inline table":
        value = "{a = " * depth + "1" + "}" * depth
    else:
        value = None
    config = tmp_path / "deep.toml"
    if value is None:
        config.write_text("[" + ".".join(["t"] * depth) + "]\nx = 1\n")
    else:
        config.write_text(f"x = {value}\n")
    result = invoke_cli("plan", "--config", str(config), env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"cutover-probe: error: {config}"), result.stderr
    assert "Traceback" not in result.stderr
