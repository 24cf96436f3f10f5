"""Decide, before anything runs, what each check will do: run with resolved parameters, or be
skipped with the seed's reason. Touches no network; `cutover-probe plan` prints exactly this.

Resolution follows the seed script: an unset *or empty* variable takes its default, a flag runs
its lanes only when it is "1", and a check whose base URL is unset is skipped with
"<VARIABLE> unset".
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cutover_probe.config import REFERENCE
from cutover_probe.errors import EnvironmentError_
from cutover_probe.model import Matrix, PlannedCheck, Variable
from cutover_probe.probes import KINDS
from cutover_probe.secrets import Redactor, Secret

FLAG_VALUES = ("0", "1")


@dataclass(frozen=True)
class Plan:
    matrix: Matrix
    values: Mapping[str, str | Secret]  # every variable, resolved; secrets wrapped
    checks: tuple[PlannedCheck, ...]
    repo_root: Path
    redactor: Redactor

    @property
    def gating(self) -> bool:
        return self.values[self.matrix.gate_variable] == "1"

    def environment_summary(self) -> list[tuple[str, str]]:
        """The variables SUMMARY.md shows: secrets only as set/unset, empty as <unset>."""
        rows = []
        for var in self.matrix.variables.values():
            if not var.in_summary:
                continue
            value = self.values[var.name]
            if isinstance(value, Secret):
                shown = "<set>" if value else "<unset>"
            else:
                shown = value or "<unset>"
            rows.append((var.name, shown))
        return rows


def resolve_variables(
    matrix: Matrix, environ: Mapping[str, str], repo_root: Path
) -> dict[str, str | Secret]:
    values: dict[str, str | Secret] = {"REPO_ROOT": str(repo_root)}
    for var in matrix.variables.values():
        raw = environ.get(var.name, "") or var.default
        values[var.name] = _typed(var, raw)
    return values


def _typed(var: Variable, raw: str) -> str | Secret:
    if var.type == "secret":
        return Secret(raw)
    if var.type == "flag" and raw not in FLAG_VALUES:
        raise EnvironmentError_(var.name, f"expected 0 or 1, got {raw!r}")
    if var.type == "url" and raw:
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EnvironmentError_(var.name, f"{raw!r} is not an http:// or https:// URL")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise EnvironmentError_(var.name, f"{raw!r} has a malformed port") from None
        if parts.query or parts.fragment:
            raise EnvironmentError_(var.name, f"{raw!r}: a base URL has no query or fragment")
    if "\n" in raw or "\t" in raw:
        raise EnvironmentError_(var.name, "contains a tab or a newline")
    return raw


def interpolate(value: Any, values: Mapping[str, str | Secret]) -> Any:
    """Replace ``${VAR}`` references; a lone secret reference becomes the `Secret` itself."""
    if isinstance(value, list):
        return [interpolate(item, values) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, values) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    whole = REFERENCE.fullmatch(value)
    if whole and isinstance(values.get(whole.group(1)), Secret):
        return values[whole.group(1)]

    def substitute(match: re.Match[str]) -> str:
        resolved = values[match.group(1)]
        return str(resolved)

    return REFERENCE.sub(substitute, value)


def build_plan(matrix: Matrix, environ: Mapping[str, str], repo_root: Path) -> Plan:
    values = resolve_variables(matrix, environ, repo_root)
    redactor = Redactor(v for v in values.values() if isinstance(v, Secret))
    planned = []
    for index, check in enumerate(matrix.checks):
        kind = KINDS[check.kind]
        params = {name: interpolate(value, values) for name, value in check.params.items()}
        skip = _skip_reason(check.enabled_by, check.requires_set, kind.unavailable, values)
        command = skip if skip is not None else describe(kind.command, params)
        planned.append(
            PlannedCheck(index=index, check=check, params=params, skip_reason=skip, command=command)
        )
    return Plan(
        matrix=matrix,
        values=values,
        checks=tuple(planned),
        repo_root=repo_root,
        redactor=redactor,
    )


def _skip_reason(
    enabled_by: str | None,
    requires_set: tuple[str, ...],
    unavailable: str | None,
    values: Mapping[str, str | Secret],
) -> str | None:
    if enabled_by is not None and values[enabled_by] != "1":
        return f"{enabled_by}={values[enabled_by]}"
    for name in requires_set:
        if not values[name]:
            return f"{name} unset"
    return unavailable


def describe(template: str, params: Mapping[str, Any]) -> str:
    """The command column: what ran, readable and secret-free (secrets format as a mask)."""
    fields: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Secret):
            fields[name] = value
            fields[f"{name}_state"] = "set" if value else "unset"
        elif isinstance(value, list):
            fields[name] = shlex.join(str(item) for item in value)
        else:
            fields[name] = value
    return template.format_map(fields)
