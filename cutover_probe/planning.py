"""Decide, before anything runs, what each check will do: run with resolved parameters, or be
skipped with the seed's reason. Touches no network; `cutover-probe plan` prints exactly this.

Resolution follows the seed script: an unset *or empty* variable takes its default, a flag runs
its lanes only when it is "1", and a check whose base URL is unset is skipped with
"<VARIABLE> unset".
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cutover_probe.config import REFERENCE
from cutover_probe.durations import parse_duration
from cutover_probe.errors import EnvironmentError_, UsageError
from cutover_probe.model import Check, Matrix, PlannedCheck, Variable
from cutover_probe.probes import KINDS, Kind
from cutover_probe.probes.google import domains
from cutover_probe.probes.google.access import credentials_skip_reason
from cutover_probe.probes.google.access import endpoint as google_endpoint
from cutover_probe.probes.google.domains import PlannedDomain
from cutover_probe.probes.schema import NESTED_TYPES
from cutover_probe.secrets import Redactor, Secret
from cutover_probe.text import visible

FLAG_VALUES = ("0", "1")
MAX_NUMBER = 10**9  # a count or an age this large is a typo; larger ones overflow timedeltas


# eq=False here and on Plan: compared by identity; `plan` creates both classes at every start,
# and a generated __eq__ and __hash__ cost about 0.3 ms a class (docs/architecture.md).
@dataclass(frozen=True, eq=False)
class Selection:
    """Which checks a run covers: --only/--skip globs over ids, --env, and a shard K of N."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    environment: str | None = None
    shard: tuple[int, int] | None = None  # (K, N), K from 1

    def deselects(self, check: Check) -> str | None:
        """Why this check is left out of the run, or None."""
        if self.only and not any(fnmatch.fnmatchcase(check.id, g) for g in self.only):
            return f"deselected: not matched by --only {' '.join(self.only)}"
        matched = [g for g in self.skip if fnmatch.fnmatchcase(check.id, g)]
        if matched:
            return f"deselected: matched by --skip {matched[0]}"
        if self.environment and check.environment != self.environment:
            return f"deselected: not of --env {self.environment}"
        return None


def check_patterns(
    matrix: Matrix, values: Mapping[str, str | Secret], selection: Selection
) -> None:
    """A --only or --skip glob that matches no check is a typo (``contol-*``): exit 2 naming
    it, before anything runs, rather than a run that silently left everything out (--only)
    or in (--skip). An --only glob that matches only lanes switched off names the switch."""
    ids = [check.id for check in matrix.checks]
    for flag, patterns in (("--only", selection.only), ("--skip", selection.skip)):
        for pattern in patterns:
            matched = [c for c in matrix.checks if fnmatch.fnmatchcase(c.id, pattern)]
            if not matched:
                raise UsageError(
                    f"{flag} {pattern!r} matches no check (the checks: {', '.join(ids)})"
                )
            listed = [c for c in matched if c.listed_when_off or values[c.enabled_by or ""] == "1"]
            if flag == "--only" and not listed:
                switches = ", ".join(
                    dict.fromkeys(f"{c.enabled_by}={values[c.enabled_by or '']}" for c in matched)
                )
                raise UsageError(
                    f"--only {pattern!r} matches only lanes that are off ({switches}); "
                    "switch the lane on to run it"
                )


def in_shard(position: int, shard: tuple[int, int] | None) -> bool:
    """The sharding rule: the check at 0-based position i of the matrix (after lanes that are
    switched off and unlisted) belongs to shard (i mod N) + 1. Round robin spreads each lane's
    staging and prod checks over different shards, so shards take about equally long."""
    return shard is None or position % shard[1] == shard[0] - 1


@dataclass(frozen=True, eq=False)
class Plan:
    """One run's checks, resolved: `build_plan`'s answer, and everything `plan` prints."""

    matrix: Matrix
    values: Mapping[str, str | Secret]  # every variable, resolved; secrets wrapped
    checks: tuple[PlannedCheck, ...]  # this run's checks (one shard of all_ids when sharded)
    repo_root: Path
    redactor: Redactor
    domains: tuple[PlannedDomain, ...] = ()
    all_ids: tuple[str, ...] = ()  # every check of the matrix this environment lists, in order
    shard: tuple[int, int] | None = None

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


# A value with a line break or another control character would inject lines into SUMMARY.md,
# the step summary or a header; tabs would shift results.tsv's columns. Refused by name.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _typed(var: Variable, raw: str) -> str | Secret:
    control = _CONTROL.search(raw)
    if control:
        what = {"\n": "a newline (LF)", "\r": "a carriage return (CR)", "\t": "a tab"}.get(
            control.group(), f"a control character ({visible(control.group())})"
        )
        raise EnvironmentError_(var.name, f"contains {what}")
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
    return raw


def interpolate(value: Any, values: Mapping[str, str | Secret]) -> Any:
    """Replace ``${VAR}`` references; a lone secret reference becomes the `Secret` itself.

    Also walks the typed specs config parsed (steps, budgets, comparisons): a reference can only
    stand in one of their strings, because their parsers refuse one where a number, a method or
    a status is expected, so substituting it is not parsing again."""
    if isinstance(value, list):
        return [interpolate(item, values) for item in value]
    if isinstance(value, tuple):
        return tuple(interpolate(item, values) for item in value)
    if isinstance(value, Mapping):
        return {key: interpolate(item, values) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: interpolate(getattr(value, f.name), values)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if not isinstance(value, str):
        return value
    whole = REFERENCE.fullmatch(value)
    if whole and isinstance(values.get(whole.group(1)), Secret):
        return values[whole.group(1)]

    def substitute(match: re.Match[str]) -> str:
        resolved = values[match.group(1)]
        return str(resolved)

    return REFERENCE.sub(substitute, value)


def build_plan(
    matrix: Matrix,
    environ: Mapping[str, str],
    repo_root: Path,
    selection: Selection | None = None,
) -> Plan:
    selection = selection or Selection()
    values = resolve_variables(matrix, environ, repo_root)
    check_patterns(matrix, values, selection)
    redactor = Redactor(v for v in values.values() if isinstance(v, Secret))
    planned: list[PlannedCheck] = []
    for check in matrix.checks:
        if not check.listed_when_off and values[check.enabled_by or ""] != "1":
            continue
        kind = KINDS[check.kind]
        params: dict[str, Any] = {}  # as written, resolved: the command column's view
        typed: dict[str, Any] = {}  # as the runner takes them
        for name, raw in check.params.items():
            params[name], typed[name] = _resolve(check, kind, name, raw, values)
        index = len(planned)
        skip = _skip_reason(check.enabled_by, check.requires_set, values)
        if skip is None:
            skip = selection.deselects(check)
        if skip is None and kind.google_api is not None:
            skip = credentials_skip_reason(kind.google_api, environ)
        if skip is None and kind.https_param is not None:
            url = str(params[kind.https_param])
            if not url.startswith("https://"):
                skip = f"{url} is not an https:// URL" if url else f"{kind.https_param} unset"
        command = skip if skip is not None else describe(kind.command, params)
        if skip is None and kind.google_api is not None:
            login = google_endpoint(kind.google_api, environ).gcloud
            command += f" (credentials: {login.describe})" if login is not None else ""
        blocked = None
        if skip is None and kind.name == "command":
            blocked = command_cannot_start(params, environ, repo_root)
        planned.append(
            PlannedCheck(
                index=index,
                check=check,
                params=kind.params(**typed),
                skip_reason=skip,
                command=command,
                cannot_start=blocked,
            )
        )
    mine = [p for position, p in enumerate(planned) if in_shard(position, selection.shard)]
    first_shard = selection.shard is None or selection.shard[0] == 1
    return Plan(
        matrix=matrix,
        values=values,
        checks=tuple(mine),
        repo_root=repo_root,
        redactor=redactor,
        # Domain evidence is read once, by the first shard.
        domains=plan_domains(matrix, values, environ, planned) if first_shard else (),
        all_ids=tuple(p.id for p in planned),
        shard=selection.shard,
    )


def plan_domains(
    matrix: Matrix,
    values: Mapping[str, str | Secret],
    environ: Mapping[str, str],
    checks: list[PlannedCheck],
) -> tuple[PlannedDomain, ...]:
    """The matrix's domain mappings to read (`probes/google/domains.py` decides which), their
    ``${VAR}``s resolved here like every other parameter's."""
    google_runs = any(
        KINDS[c.check.kind].google_api is not None and c.skip_reason is None for c in checks
    )
    return domains.plan_domains(
        matrix.domain_mappings,
        lambda text: str(interpolate(text, values)),
        environ,
        google_runs=google_runs,
    )


def _resolve(
    check: Check, kind: Kind[Any], name: str, raw: Any, values: Mapping[str, str | Secret]
) -> tuple[Any, Any]:
    """One parameter, resolved: (as written, for the command column; typed, for the runner).

    What config parsed (nested specs, literal durations) is taken from ``check.parsed`` and only
    has its references substituted; numbers and durations that come from variables are parsed
    here, once they are resolved."""
    spec = kind.schema[name]
    value = interpolate(raw, values)
    if spec.type == "secret":
        # An unset optional token is the default "": wrapped all the same, never printable.
        secret = Secret(value) if isinstance(value, str) else value
        return secret, secret
    if spec.type in NESTED_TYPES:
        return value, interpolate(check.parsed[name], values)
    if spec.type in ("strings", "names"):
        return value, tuple(value)
    if spec.type == "table":
        return value, dict(value)
    if spec.type == "duration" and name in check.parsed:
        return value, check.parsed[name]
    if spec.type not in ("int", "duration") or not isinstance(raw, str):
        return value, value
    reference = REFERENCE.search(raw)
    where = reference.group(1) if reference else f"{check.id}.{name}"
    if spec.type == "duration":
        try:
            seconds = parse_duration(value)
        except ValueError as exc:  # its own words: "… at most 366 days, got '99999999999h'"
            raise EnvironmentError_(where, str(exc)) from None
        return value, seconds
    try:
        number = int(str(value).strip())
    except ValueError:
        raise EnvironmentError_(where, f"expected a number, got {value!r}") from None
    if number < spec.minimum:
        raise EnvironmentError_(where, f"expected {spec.minimum} or more, got {number}")
    if number > MAX_NUMBER:
        raise EnvironmentError_(where, f"expected at most {MAX_NUMBER}, got {number}")
    return number, number


def _skip_reason(
    enabled_by: str | None,
    requires_set: tuple[str, ...],
    values: Mapping[str, str | Secret],
) -> str | None:
    if enabled_by is not None and values[enabled_by] != "1":
        return f"{enabled_by}={values[enabled_by]}"
    for name in requires_set:
        if not values[name]:
            return f"{name} unset"
    return None


def command_cannot_start(
    params: Mapping[str, Any], environ: Mapping[str, str], repo_root: Path
) -> str | None:
    """Why a `command` lane cannot start, found from the file system and PATH alone: its working
    directory, its program (on the PATH the lane will get, or a path), a ``--manifest-path`` it
    names and its ``requires_files``. None when it can start."""
    argv = [str(arg) for arg in params["argv"]]
    cwd = Path(str(params["cwd"]))
    env = {**environ, **params["env"]}
    problems: list[str] = []
    if not cwd.is_dir():
        problems.append(f"working directory {cwd} does not exist")
    needed: list[str] = []
    program = argv[0] if argv else ""
    if not program:
        problems.append("no program to run")
    elif os.sep in program:
        needed.append(program)
    elif shutil.which(program, path=env.get("PATH", os.defpath)) is None:
        problems.append(f"{program} not on PATH")
    for position, arg in enumerate(argv):
        if arg == "--manifest-path" and position + 1 < len(argv):
            needed.append(argv[position + 1])
        elif arg.startswith("--manifest-path="):
            needed.append(arg.split("=", 1)[1])
    needed += [str(path) for path in params["requires_files"]]
    for name in needed:
        path = Path(name) if os.path.isabs(name) else cwd / name
        if not path.exists():
            problems.append(_missing(path, repo_root))
        elif name == program and not os.access(path, os.X_OK):
            problems.append(f"{program} is not executable")
    return "; ".join(dict.fromkeys(problems)) or None


def _missing(path: Path, repo_root: Path) -> str:
    """A file missing under the repo root most likely means --repo-root is not the checkout."""
    try:
        inside = path.resolve().relative_to(repo_root.resolve())
    except ValueError:
        return f"missing {path}"
    return f"no {inside} under {repo_root}: is --repo-root the OpenAgents checkout?"


def _request_label(item: Mapping[str, Any]) -> str:
    """``GET /path`` for a step or a comparison, plus the fields it compares (lists of names;
    a step's json is a request body, not a list, so it adds nothing)."""
    label = f"{item.get('method', 'GET')} {item.get('path') or item.get('url')}"
    compared = [
        str(name)
        for key in ("json", "headers")
        if isinstance(item.get(key), list)
        for name in item[key]
    ]
    return f"{label} [{', '.join(compared)}]" if compared else label


def describe(template: str, params: Mapping[str, Any]) -> str:
    """The command column: what ran, readable and secret-free (secrets format as a mask)."""
    fields: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Secret):
            fields[name] = value
            fields[f"{name}_state"] = "set" if value else "unset"
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            fields[name] = ", ".join(_request_label(item) for item in value)
        elif isinstance(value, list):
            fields[name] = shlex.join(str(item) for item in value)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            # Templates append paths ("{base_url}/healthz"), as join_url does for requests.
            fields[name] = value.rstrip("/")
        else:
            fields[name] = value
    return template.format_map(fields)


# --- What `cutover-probe plan` prints, and the shard a command line or Cloud Run Job names ---
# Here, not in workflow.py, so that `plan` imports neither the engine nor the report writers.


def render_plan(plan: Plan) -> str:
    """What `cutover-probe plan` prints: each check, run or skip, and why."""
    lines = [f"{plan.matrix.title} — {plan.matrix.source}", ""]
    if plan.shard:
        lines.insert(1, f"shard {plan.shard[0]}/{plan.shard[1]}: {len(plan.checks)} checks")
    width = max((len(p.id) for p in plan.checks), default=10)
    for planned in plan.checks:
        action = "skip" if planned.skip_reason is not None else "run "
        detail = planned.skip_reason if planned.skip_reason is not None else planned.command
        if planned.cannot_start is not None:
            action, detail = "fail", f"cannot start: {planned.cannot_start}"
        lines.append(f"{action} {planned.id:<{width}} {planned.check.required_label:<8} {detail}")
    running = sum(1 for p in plan.checks if p.skip_reason is None and p.cannot_start is None)
    required_skips = sum(1 for p in plan.checks if p.skip_reason is not None and p.check.required)
    blocked = sum(1 for p in plan.checks if p.cannot_start is not None and p.check.required)
    failing = f"; {blocked} required cannot start" if blocked else ""
    lines += [
        "",
        f"{running} of {len(plan.checks)} checks would run; {required_skips} required "
        f"would be skipped{failing}"
        f"{' (a no-go in gating mode)' if required_skips or blocked else ''}.",
        f"mode: {'release gating' if plan.gating else 'baseline capture'}",
    ]
    return "\n".join(visible(plan.redactor(line)) for line in lines) + "\n"


def shard_from_environment(environ: Mapping[str, str]) -> tuple[int, int] | None:
    """Cloud Run Jobs give each task CLOUD_RUN_TASK_INDEX (from 0) of CLOUD_RUN_TASK_COUNT."""
    index, count = environ.get("CLOUD_RUN_TASK_INDEX"), environ.get("CLOUD_RUN_TASK_COUNT")
    if not index and not count:
        return None
    try:
        k, n = int(index or ""), int(count or "")
    except ValueError:
        raise UsageError(
            f"CLOUD_RUN_TASK_INDEX={index!r} / CLOUD_RUN_TASK_COUNT={count!r}: expected numbers"
        ) from None
    if n < 1 or not 0 <= k < n:
        raise UsageError(f"CLOUD_RUN_TASK_INDEX={k} is not a task of CLOUD_RUN_TASK_COUNT={n}")
    return (k + 1, n) if n > 1 else None


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected K/N, like 2/4") from None
    if n < 1 or not 1 <= k <= n:
        raise UsageError(f"--shard {text!r}: K must be between 1 and N")
    return k, n
