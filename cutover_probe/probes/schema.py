"""What a probe kind is: its runner, its typed parameters, how each parameter is written in TOML.

A kind's parameters are one frozen dataclass, declared in the kind's own module beside its
runner. Each field carries its TOML schema (`Param`: how the value is written, whether it is
required, its default as TOML text) as dataclass metadata, so the keys a check may use, the
values config checks and the object the runner receives are one declaration, not three.

This module imports nothing heavy: config and planning read it, and so does every probe module.
Its classes are declared ``eq=False`` like the parameters' (`params.py`): compared by identity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from cutover_probe.probes.context import ProbeContext

ParamType = Literal[
    "string",
    "url",
    "secret",
    "strings",
    "duration",
    "int",
    "table",
    "steps",
    "budgets",
    "comparisons",
    "path",
    "names",
]

# How each TOML type arrives in the typed parameters (planning converts, once):
# string, url, path -> str; secret -> Secret; strings, names -> tuple[str, ...];
# table -> Mapping[str, str]; int -> int; duration -> float seconds;
# steps -> tuple[Step, ...]; budgets -> Budgets; comparisons -> tuple[Comparison, ...].
NESTED_TYPES = ("steps", "budgets", "comparisons")


@dataclass(frozen=True, eq=False)
class Param:
    """A parameter as written in TOML. ``default`` is TOML text, interpolated like a value."""

    type: ParamType
    required: bool = True
    default: Any = None
    help: str = ""
    minimum: int = 0  # for "int"


def param(
    type: ParamType,
    *,
    required: bool = True,
    default: Any = None,
    help: str = "",
    minimum: int = 0,
) -> Any:
    """A field of a kind's parameter dataclass and its TOML schema. The field has no Python
    default: planning always builds the object with every field, defaults already applied."""
    spec = Param(type, required=required, default=default, help=help, minimum=minimum)
    return dataclasses.field(metadata={"param": spec})


P = TypeVar("P")


@dataclass(frozen=True, eq=False)
class Kind(Generic[P]):
    """One probe kind. ``run`` and ``params`` are real references, so mypy checks that the
    runner takes the parameters the kind declares."""

    name: str
    summary: str
    run: Callable[[ProbeContext, P], Awaitable[str | None]]
    params: type[P]
    command: str = ""  # a format template over the params: the report's command column
    default_deadline_s: float = 60.0
    uses_http: bool = False
    # A URL parameter that must be https: a check whose URL is http:// is skipped.
    https_param: str | None = None
    # A Google API the kind calls: without credentials (or an emulator) its checks are skipped.
    google_api: Literal["run", "logging", "storage"] | None = None

    @property
    def schema(self) -> Mapping[str, Param]:
        """The TOML keys a check of this kind accepts, in declaration order."""
        return schema_of(self.params)


_SCHEMAS: dict[type[Any], dict[str, Param]] = {}


def schema_of(params: type[Any]) -> dict[str, Param]:
    """A parameter dataclass's TOML schema (read once per class: planning asks per value)."""
    schema = _SCHEMAS.get(params)
    if schema is None:
        fields = dataclasses.fields(params)
        missing = [f.name for f in fields if not isinstance(f.metadata.get("param"), Param)]
        if missing:
            raise TypeError(f"{params.__name__}.{missing[0]} is not declared with param()")
        schema = _SCHEMAS[params] = {f.name: f.metadata["param"] for f in fields}
    return schema
