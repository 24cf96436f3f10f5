"""Every registered probe kind's schema, run for real: the TOML keys a check may use are the fields
of the kind's parameter dataclass, config and planning build that dataclass with every value
typed, and the runner is declared to take exactly it."""

from __future__ import annotations

import dataclasses
import inspect
import socket
import subprocess
import sys
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cutover_probe.config import CHECK_KEYS, load_matrix
from cutover_probe.errors import ConfigError
from cutover_probe.planning import build_plan
from cutover_probe.probes import KINDS, Kind, Param
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.httpkind_spec import Budgets, Comparison, Step
from cutover_probe.secrets import Secret

from ..conftest import clean_environ, invoke_cli

HEADER = '[variables.TOKEN]\ntype = "secret"\n'

# A value for each required parameter, as a user writes it in TOML.
EXAMPLES: dict[str, str] = {
    "url": '"https://example.test"',
    "string": '"x"',
    "secret": '"${TOKEN}"',
    "strings": '["true"]',
    "steps": '[{ name = "home", path = "/" }]',
    "comparisons": '[{ path = "/", json = ["/version"] }]',
}

# What the runner receives for each TOML type.
TYPED: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "url": str,
    "path": str,
    "secret": Secret,
    "strings": tuple,
    "names": tuple,
    "table": Mapping,
    "int": int,
    "duration": float,
    "steps": tuple,
    "budgets": Budgets,
    "comparisons": tuple,
}


def check_toml(kind: Kind[Any], extra: str = "") -> str:
    lines = ["[[checks]]", 'id = "probe"', f'kind = "{kind.name}"']
    lines += [
        f"{name} = {EXAMPLES[spec.type]}" for name, spec in kind.schema.items() if spec.required
    ]
    return HEADER + "\n".join(lines) + "\n" + extra


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_keys_a_check_accepts_are_the_fields_of_its_kinds_parameters(
    tmp_path: Path, name: str
) -> None:
    kind = KINDS[name]
    with pytest.raises(ConfigError) as caught:
        load_matrix(write(tmp_path, check_toml(kind, 'not_a_key = "x"\n')))
    assert caught.value.key == "checks[probe].not_a_key"
    known = set(caught.value.problem.partition("(known: ")[2].rstrip(")").split(", "))
    assert known - CHECK_KEYS == {f.name for f in dataclasses.fields(kind.params)}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_is_built_from_its_minimal_check_with_every_value_typed(
    tmp_path: Path, name: str
) -> None:
    kind = KINDS[name]
    matrix = load_matrix(write(tmp_path, check_toml(kind)))
    plan = build_plan(matrix, clean_environ(TOKEN="t0ken"), tmp_path)
    (planned,) = plan.checks
    params = planned.params
    assert type(params) is kind.params
    for field in dataclasses.fields(params):
        spec: Param = kind.schema[field.name]
        value = getattr(params, field.name)
        assert isinstance(value, TYPED[spec.type]), (field.name, value)
        if spec.type == "steps":
            assert value
            assert all(isinstance(step, Step) for step in value)
        if spec.type == "comparisons":
            assert value
            assert all(isinstance(item, Comparison) for item in value)
        if not spec.required and spec.type == "int":
            assert value == spec.default
    # The literal example survives as written in the command column, secrets masked.
    assert "t0ken" not in planned.command


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_runner_is_declared_to_take_its_kinds_parameters(name: str) -> None:
    kind = KINDS[name]
    assert inspect.iscoroutinefunction(kind.run)
    # The context is imported for type checking only (`plan` builds none): named here.
    hints = typing.get_type_hints(kind.run, localns={"ProbeContext": ProbeContext})
    assert list(inspect.signature(kind.run).parameters) == ["ctx", "params"]
    assert hints["ctx"] is ProbeContext
    assert hints["params"] is kind.params


def test_literal_durations_are_parsed_at_load_and_references_once_resolved(
    tmp_path: Path,
) -> None:
    text = (
        '[variables.GRACE]\ndefault = "2m"\n'
        '[[checks]]\nid = "a"\nkind = "command"\nargv = ["true"]\nkill_grace = "3s"\n'
        '[[checks]]\nid = "b"\nkind = "command"\nargv = ["true"]\nkill_grace = "${GRACE}"\n'
    )
    plan = build_plan(load_matrix(write(tmp_path, text)), clean_environ(), tmp_path)
    assert [p.params.kill_grace for p in plan.checks] == [3.0, 120.0]


def test_http_steps_arrive_parsed_with_their_variables_resolved(tmp_path: Path) -> None:
    text = (
        '[variables.ROUTE]\ndefault = "healthz"\n'
        '[[checks]]\nid = "a"\nkind = "http"\nbase_url = "http://127.0.0.1:9"\n'
        '[[checks.steps]]\nname = "health"\npath = "/${ROUTE}"\n'
        'headers = { "x-probe" = "${ROUTE}" }\n'
    )
    matrix = load_matrix(write(tmp_path, text))
    (step,) = matrix.checks[0].parsed["steps"]
    assert step.path == "/${ROUTE}"  # parsed once, at load, references left in
    plan = build_plan(matrix, clean_environ(ROUTE="readyz"), tmp_path)
    (resolved,) = plan.checks[0].params.steps
    assert (resolved.path, resolved.headers["x-probe"]) == ("/readyz", "readyz")
    assert plan.checks[0].command.startswith("GET /readyz against http://127.0.0.1:9")


def test_loading_the_registry_and_planning_import_no_network_library_and_no_runner() -> None:
    """The registry refers to each runner through a wrapper that imports it when a check of its
    kind runs: loading and planning the shipped matrix (every kind) import no runner module."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from cutover_probe.config import default_config_path, load_matrix\n"
        "from cutover_probe.planning import build_plan\n"
        "build_plan(load_matrix(default_config_path()), {}, Path('.'))\n"
        "heavy = ('aiohttp', 'yarl', 'multidict', 'google', 'requests', 'grpc', 'anyio',\n"
        "         'asyncio', 'ssl', 'subprocess')\n"
        "runners = ('httpkind', 'httpclient', 'tls', 'parity', 'control', 'runtime', 'command',\n"
        "           'google.gcloud', 'google.cloudrun', 'google.cloudlogging', 'google.backups')\n"
        "ours = {'cutover_probe.probes.' + name for name in runners}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in ours))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_quick_asks_the_services_the_matrix_names(tmp_path: Path) -> None:
    """No fixed *_BASE_URL names: a matrix with its own variables gets its own rows."""
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    text = (
        '[variables.API_URL]\ntype = "url"\n'
        '[variables.WORKER_URL]\ntype = "url"\n'
        '[[checks]]\nid = "api-staging-smoke"\nkind = "control-smoke"\n'
        'environment = "staging"\nbase_url = "${API_URL}"\n'
        '[[checks]]\nid = "worker-staging-smoke"\nkind = "runtime-smoke"\n'
        'environment = "staging"\nbase_url = "${WORKER_URL}"\n'
    )
    result = invoke_cli(
        "quick",
        "--config",
        str(write(tmp_path, text)),
        env=clean_environ(API_URL=f"http://127.0.0.1:{port}"),
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    rows = [line.split()[:3] for line in result.stdout.splitlines()[1:3]]
    assert rows[0][:2] == ["api-staging", "NO"]
    assert rows[1] == ["worker-staging", "not", "checked"]
    assert "not ready: api-staging" in result.stdout
