"""Load a matrix from TOML and check every part of it before anything runs.

A config error names the file, the key and what is wrong (exit 2); it is found here, at load
time, never halfway through a run. The environment contract (the seed script's variables and
their defaults) is part of the config, so a team that renames a variable edits TOML, not Python.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cutover_probe.durations import parse_duration
from cutover_probe.errors import ConfigError
from cutover_probe.model import Check, DomainMapping, Matrix, Variable
from cutover_probe.probes import KINDS, Param
from cutover_probe.probes.schema import NESTED_TYPES

VARIABLE_TYPES = ("url", "string", "secret", "flag", "path")
BUILTIN_VARIABLES = ("REPO_ROOT",)
# The engine's own variables: every matrix has them; one may redeclare them to change a default
# or a description, never to change what they are.
ENGINE_VARIABLES = (
    Variable(
        name="FAIL_ON_REQUIRED_FAILURE",
        default="1",
        type="flag",
        description="1: exit 1 on a no-go (release gating); 0: baseline capture, exit 0",
        in_summary=False,
    ),
    Variable(
        name="OUTPUT_DIR",
        default="",
        type="path",
        description="report directory (default <repo>/<report_root>/<UTC timestamp>)",
        in_summary=False,
    ),
)
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CHECK_KEYS = {
    "id",
    "kind",
    "required",
    "description",
    "environment",
    "enabled_by",
    "requires_set",
    "deadline",
    "listed_when_off",
}
# A matrix of 1000 environments is about 4 MiB; 64 MiB is 16 times that and still read,
# parsed and validated in seconds (a bound, not a quota).
MAX_CONFIG_BYTES = 64 * 1024 * 1024
MAX_NUMBER = 10**9  # a count or an age this large is a typo; larger ones overflow timedeltas
MAX_NESTING = 64  # arrays and tables inside each other; the matrix needs about 6


def default_config_path() -> Path:
    """The matrix shipped with the tool: the seed's 12 checks."""
    return Path(__file__).resolve().parent / "configs" / "openagents.toml"


def load_matrix(path: Path) -> Matrix:
    source = str(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, "", "no such file") from None
    except OSError as exc:
        raise ConfigError(source, "", f"cannot read: {exc.strerror or exc}") from None
    if len(raw_bytes) > MAX_CONFIG_BYTES:
        raise ConfigError(source, "", f"larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB")
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "", f"not UTF-8 (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(source, "", "invalid TOML: nested too deeply") from None
    where = _too_deep(data, "", MAX_NESTING)
    if where is not None:
        raise ConfigError(source, where, f"nested more than {MAX_NESTING} levels deep")
    return parse_matrix(data, source=source, path=path)


def _too_deep(value: Any, key: str, budget: int) -> str | None:
    """The first key nested deeper than ``budget`` levels, or None. Iterative: the value may be
    deeper than Python's recursion limit."""
    stack = [(value, key, budget)]
    while stack:
        item, where, left = stack.pop()
        if isinstance(item, dict | list):
            if left <= 0:
                return where or "(top level)"
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for name, inner in pairs:
                inner_key = f"{where}.{name}" if isinstance(item, dict) else f"{where}[{name}]"
                stack.append((inner, inner_key.lstrip("."), left - 1))
    return None


def parse_matrix(data: Mapping[str, Any], *, source: str, path: Path) -> Matrix:
    unknown = set(data) - {"matrix", "variables", "checks", "domain_mappings"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            source,
            key,
            "unknown top-level key (expected matrix, variables, checks, domain_mappings)",
        )
    header = _table(data.get("matrix", {}), source, "matrix")
    _no_unknown(header, {"title", "report_root"}, source, "matrix")
    title = _string(header.get("title", "Validation Matrix"), source, "matrix.title")
    report_root = _string(
        header.get("report_root", "docs/reports/validation"), source, "matrix.report_root"
    )
    variables = _parse_variables(data.get("variables", {}), source)
    raw_checks = data.get("checks")
    if not isinstance(raw_checks, list) or not raw_checks:
        raise ConfigError(source, "checks", "expected at least one [[checks]] table")
    checks: list[Check] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_checks):
        check = _parse_check(raw, position, variables, source, path.parent)
        if check.id in seen:
            raise ConfigError(source, f"checks[{check.id}].id", "duplicate check id")
        seen.add(check.id)
        checks.append(check)
    return Matrix(
        source=path,
        title=title,
        report_root=report_root,
        variables=variables,
        checks=tuple(checks),
        domain_mappings=_parse_domain_mappings(data.get("domain_mappings", []), variables, source),
    )


def _parse_domain_mappings(
    raw: Any, variables: Mapping[str, Variable], source: str
) -> tuple[DomainMapping, ...]:
    if not isinstance(raw, list):
        raise ConfigError(source, "domain_mappings", "expected [[domain_mappings]] tables")
    mappings = []
    fields = {"environment", "url", "domain", "project", "region"}
    for position, item in enumerate(raw):
        key = f"domain_mappings[{position}]"
        table = _table(item, source, key)
        _no_unknown(table, fields, source, key)
        values = {}
        for name in sorted(fields):
            value = _string(table.get(name, ""), source, f"{key}.{name}")
            _check_references(value, Param("string"), variables, source, f"{key}.{name}")
            values[name] = value
        for name in ("environment", "project", "region"):
            if not values[name]:
                raise ConfigError(source, f"{key}.{name}", "missing")
        if not values["url"] and not values["domain"]:
            raise ConfigError(source, key, "needs a url, a domain, or both")
        mappings.append(DomainMapping(**values))
    return tuple(mappings)


def _parse_variables(raw: Any, source: str) -> dict[str, Variable]:
    table = _table(raw, source, "variables")
    variables: dict[str, Variable] = {}
    for name, spec in table.items():
        key = f"variables.{name}"
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            raise ConfigError(source, key, "variable names are upper case letters, digits and _")
        if name in BUILTIN_VARIABLES:
            raise ConfigError(source, key, f"{name} is built in and cannot be redefined")
        spec = _table(spec, source, key)
        _no_unknown(spec, {"default", "type", "description", "in_summary"}, source, key)
        var_type = spec.get("type", "string")
        if var_type not in VARIABLE_TYPES:
            raise ConfigError(
                source, f"{key}.type", f"unknown type {var_type!r} (one of {VARIABLE_TYPES})"
            )
        default = _string(spec.get("default", ""), source, f"{key}.default")
        if var_type == "secret" and default:
            raise ConfigError(
                source, f"{key}.default", "a secret has no default: it comes from the environment"
            )
        if var_type == "flag" and default not in ("0", "1"):
            raise ConfigError(source, f"{key}.default", 'a flag\'s default is "0" or "1"')
        in_summary = spec.get("in_summary", True)
        if not isinstance(in_summary, bool):
            raise ConfigError(source, f"{key}.in_summary", "expected true or false")
        variables[name] = Variable(
            name=name,
            default=default,
            type=var_type,
            description=_string(spec.get("description", ""), source, f"{key}.description"),
            in_summary=in_summary,
        )
    for engine in ENGINE_VARIABLES:
        declared = variables.setdefault(engine.name, engine)
        if declared.type != engine.type:
            raise ConfigError(source, f"variables.{engine.name}.type", f'must be "{engine.type}"')
    return variables


def _parse_check(
    raw: Any, position: int, variables: Mapping[str, Variable], source: str, base_dir: Path
) -> Check:
    table = _table(raw, source, f"checks[{position}]")
    check_id = table.get("id")
    if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
        raise ConfigError(
            source,
            f"checks[{position}].id",
            "expected an id of lower-case letters, digits, '.', '_' and '-'",
        )
    key = f"checks[{check_id}]"
    kind_name = table.get("kind")
    if not isinstance(kind_name, str):
        raise ConfigError(source, f"{key}.kind", "missing: every check names a probe kind")
    kind = KINDS.get(kind_name)
    if kind is None:
        raise ConfigError(
            source, f"{key}.kind", f"unknown kind {kind_name!r} (known: {', '.join(sorted(KINDS))})"
        )
    required = table.get("required", True)
    if not isinstance(required, bool):
        raise ConfigError(source, f"{key}.required", "expected true or false")
    environment = table.get("environment")
    if environment is not None:
        environment = _string(environment, source, f"{key}.environment")
    enabled_by = table.get("enabled_by")
    if enabled_by is not None:
        enabled_by = _string(enabled_by, source, f"{key}.enabled_by")
        var = variables.get(enabled_by)
        if var is None or var.type != "flag":
            raise ConfigError(source, f"{key}.enabled_by", f"{enabled_by} is not a declared flag")
    requires_set = table.get("requires_set", [])
    if not isinstance(requires_set, list) or not all(isinstance(v, str) for v in requires_set):
        raise ConfigError(source, f"{key}.requires_set", "expected a list of variable names")
    for name in requires_set:
        if name not in variables:
            raise ConfigError(source, f"{key}.requires_set", f"{name} is not a declared variable")
    listed_when_off = table.get("listed_when_off", True)
    if not isinstance(listed_when_off, bool):
        raise ConfigError(source, f"{key}.listed_when_off", "expected true or false")
    if not listed_when_off and enabled_by is None:
        raise ConfigError(source, f"{key}.listed_when_off", "needs enabled_by: off by which flag?")
    deadline = None
    if "deadline" in table:
        try:
            deadline = parse_duration(table["deadline"])
        except ValueError as exc:
            raise ConfigError(source, f"{key}.deadline", str(exc)) from None
    schema = kind.schema
    params: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    for name, value in table.items():
        if name in CHECK_KEYS:
            continue
        spec = schema.get(name)
        if spec is None:
            known = ", ".join(sorted(CHECK_KEYS | set(schema)))
            raise ConfigError(
                source, f"{key}.{name}", f"unknown key for kind {kind.name!r} (known: {known})"
            )
        params[name] = _check_param(
            value, spec, variables, source, f"{key}.{name}", base_dir, parsed, name
        )
    for name, spec in schema.items():
        if name not in params:
            if spec.required:
                raise ConfigError(source, f"{key}.{name}", f"missing: kind {kind.name} needs it")
            params[name] = _check_param(
                spec.default, spec, variables, source, f"{key}.{name}", base_dir, parsed, name
            )
    return Check(
        id=check_id,
        kind=kind.name,
        required=required,
        description=_string(table.get("description", ""), source, f"{key}.description"),
        environment=environment,
        params=params,
        enabled_by=enabled_by,
        requires_set=tuple(requires_set),
        deadline_s=deadline,
        listed_when_off=listed_when_off,
        parsed=parsed,
    )


def _check_param(
    value: Any,
    spec: Param,
    variables: Mapping[str, Variable],
    source: str,
    key: str,
    base_dir: Path,
    parsed: dict[str, Any],
    name: str,
) -> Any:
    """The TOML value, checked; what needs parsing is parsed here, once, into ``parsed[name]``."""
    if spec.type in NESTED_TYPES:
        from cutover_probe.probes import httpkind_spec

        _check_nested_references(value, variables, source, key)
        try:
            if spec.type == "steps":
                parsed[name] = httpkind_spec.parse_steps(value, "")
            elif spec.type == "comparisons":
                parsed[name] = httpkind_spec.parse_comparisons(value, "")
            else:
                parsed[name] = httpkind_spec.parse_budgets(value, "")
        except httpkind_spec.SpecError as exc:
            raise ConfigError(source, f"{key}{exc.key}", exc.problem) from None
        return value
    if spec.type == "path":
        text = _string(value, source, key)
        _check_references(text, spec, variables, source, key)
        if text and not REFERENCE.search(text) and not Path(text).is_absolute():
            text = str(base_dir / text)
        if text and not REFERENCE.search(text) and not Path(text).is_file():
            raise ConfigError(source, key, f"no such file: {text}")
        return text
    if spec.type == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(source, key, "expected a list of strings")
        for item in value:
            _check_references(item, spec, variables, source, key)
        return value
    if spec.type == "names":
        if not isinstance(value, list) or not all(
            isinstance(v, str) and VARIABLE_NAME.fullmatch(v) for v in value
        ):
            raise ConfigError(source, key, "expected a list of environment variable names")
        return value
    if spec.type == "table":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(source, key, "expected a table of strings")
        for item in value.values():
            _check_references(item, spec, variables, source, key)
        return value
    if spec.type == "int":
        if isinstance(value, str) and REFERENCE.fullmatch(value):
            _check_references(value, spec, variables, source, key)
            return value  # checked once the variable is resolved
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not spec.minimum <= value <= MAX_NUMBER
        ):
            raise ConfigError(
                source, key, f"expected a whole number ({spec.minimum} to {MAX_NUMBER})"
            )
        return value
    if spec.type == "duration":
        if isinstance(value, str) and REFERENCE.search(value):
            _check_references(value, spec, variables, source, key)
            return value
        try:
            parsed[name] = parse_duration(value)
        except ValueError as exc:
            raise ConfigError(source, key, str(exc)) from None
        return value
    if not isinstance(value, str):
        raise ConfigError(source, key, f"expected a string, got {type(value).__name__}")
    _check_references(value, spec, variables, source, key)
    if spec.type == "secret" and value and not REFERENCE.fullmatch(value):
        raise ConfigError(
            source, key, "a secret must be a single ${VARIABLE} reference, never a literal value"
        )
    return value


def _check_references(
    value: str, spec: Param, variables: Mapping[str, Variable], source: str, key: str
) -> None:
    for match in REFERENCE.finditer(value):
        name = match.group(1)
        if name in BUILTIN_VARIABLES:
            continue
        var = variables.get(name)
        if var is None:
            raise ConfigError(source, key, f"${{{name}}} is not a declared variable")
        if var.type == "secret" and spec.type != "secret":
            raise ConfigError(
                source, key, f"secret ${{{name}}} used where a secret is not expected"
            )
        if spec.type == "secret" and var.type != "secret":
            raise ConfigError(source, key, f"${{{name}}} is not declared as a secret")


def _check_nested_references(
    value: Any, variables: Mapping[str, Variable], source: str, key: str
) -> None:
    if isinstance(value, str):
        _check_references(value, Param("string"), variables, source, key)
    elif isinstance(value, dict):
        for name, item in value.items():
            _check_nested_references(item, variables, source, f"{key}.{name}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _check_nested_references(item, variables, source, f"{key}[{position}]")


def _table(value: Any, source: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(source, key, f"expected a table, got {type(value).__name__}")
    return value


def _string(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(source, key, f"expected a string, got {type(value).__name__}")
    return value


def _no_unknown(table: Mapping[str, Any], allowed: set[str], source: str, key: str) -> None:
    for name in table:
        if name not in allowed:
            raise ConfigError(
                source, f"{key}.{name}", f"unknown key (known: {', '.join(sorted(allowed))})"
            )
