"""Runner of kinds this build lists but cannot run; the planner skips them before they get here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cutover_probe.errors import CheckFailed
from cutover_probe.probes.context import ProbeContext


async def run(ctx: ProbeContext, params: Mapping[str, Any]) -> str | None:
    raise CheckFailed("this kind is not available in this build")
