"""Every kind in the registry names a runner that exists: a misspelt or stale ``module:function``
string (a module moved, a function renamed) would otherwise pass `plan` and fail every check of
that kind at run time as an internal error."""

from __future__ import annotations

import inspect

import pytest

from cutover_probe.probes import KINDS


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_registered_runner_imports_and_is_a_coroutine_function(name: str) -> None:
    kind = KINDS[name]
    module, _, function = kind.runner.partition(":")
    assert module.startswith("cutover_probe.probes."), kind.runner
    assert function, kind.runner
    runner = kind.load()
    assert inspect.iscoroutinefunction(runner), f"{kind.runner} is not an async def"
    assert runner.__module__ == module
    assert runner.__name__ == function
