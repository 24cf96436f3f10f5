"""The package's import graph has no cycles: every import, lazy ones inside functions included,
points one way. (pre-commit's `main.py` imports the commands; no command imports it back.) And
the tests mirror the package: each module has its test module at the same place under tests/."""

from __future__ import annotations

import ast
import functools
import graphlib
from collections.abc import Mapping, Set
from pathlib import Path

import pytest

# One xdist worker for the module (make test's --dist loadgroup): the graph is then parsed once.
pytestmark = pytest.mark.xdist_group("architecture")

PACKAGE = Path(__file__).resolve().parent.parent / "cutover_probe"
TESTS = Path(__file__).resolve().parent

# Modules without a test module of their own: where they are tested instead, or why not at all.
# A module gaining its own test module must leave this list (the test below says so).
UNMIRRORED = {
    "lag.py": "the event loop's lag monitor, opt-in for make bench (bench/run.py); no unit test",
    "probes/google/workers.py": "pooled daemon threads and built_once: every Google test "
    "(probes/google/, end_to_end/test_hostile_google.py)",
    "probes/schema.py": "each kind's parameter schema: probes/test_probes.py runs every kind's",
    "probes/params.py": "each kind's parameters: probes/test_probes.py builds every kind's",
    "probes/google/access.py": "endpoints and credentials at plan time, re-exported by gcloud: "
    "probes/google/test_gcloud.py",
    "__init__.py": "the version: test_packaging.py",
    "__main__.py": "`python -m cutover_probe`, the program every run_cli test starts",
    "boundary.py": "exit codes 2, 3 and 4: every command's tests, test_workflow.py",
    "commands/__init__.py": "registers the commands: test_architecture.py and every command test",
    "commands/options.py": "the shared options, through commands/test_run.py and test_plan.py",
    "demo.py": "commands/test_demo.py",
    "diagnostics.py": "the logs through test_console.py and end_to_end/test_secret_forms.py",
    "errors.py": "the tree of errors, pure data: each raised and shown in its module's tests",
    "model.py": "the domain's data, pure data: every test reads it",
    "quick.py": "commands/test_quick.py",
    "text.py": "`visible`, as properties: test_redaction_property.py",
    "interrupts.py": "signals need a real process: end_to_end/test_signals.py, test_interrupt.py",
    "fleet/__init__.py": "the fleet's exports: fleet/test_server.py",
    "fleet/checkout.py": "the simulated checkout every lane test runs in (conftest.py checkout)",
    "fleet/common.py": "what the simulated services share, through each service's tests",
    "fleet/google/__init__.py": "the exports of the Google fakes: fleet/google/test_app.py",
    "fleet/google/shared.py": "Google's error bodies and pages, through fleet/google/test_*.py",
    "fleet/htmx_routes.py": "fleet/test_htmx.py (the routes and the service they extend)",
    "fleet/logfilter.py": "the query language, through fleet/google/test_cloudlogging.py",
    "fleet/redirect_target.py": "end_to_end/test_hostile_networks.py (redirects to another host)",
    "probes/context.py": "what a probe is handed, through every probe's tests",
    "probes/httpkind_spec.py": "the `http` kind's parameters: probes/test_httpkind.py",
    "probes/reaper.py": "escapees: probes/test_command.py, end_to_end/test_hostile_lanes.py",
    "watch/history.py": "watch.json and its rows: commands/test_watch.py, watch/test_live.py",
    "watch/hooks.py": "`--on-change` commands: commands/test_watch.py",
    "watch/runner.py": "the watch loop: commands/test_watch.py",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache  # parsing every module costs ~0.5 s of CPU: once per process, not per test
def import_graph() -> Mapping[str, Set[str]]:
    """Module -> the package's modules it imports (`from . import x` counts as x alone)."""
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, frozenset[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in files else base)
        graph[name] = frozenset(t for t in targets if t in files and t != name)
    return graph


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert "cutover_probe.engine" in graph  # the walk found the package
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        # graphlib lists each node before the one that imports it: reverse, to read "imports".
        raise AssertionError(f"import cycle: {' -> '.join(reversed(exc.args[1]))}") from None


def test_no_command_imports_the_cli_group() -> None:
    graph = import_graph()
    importers = sorted(name for name, targets in graph.items() if "cutover_probe.cli" in targets)
    assert importers == ["cutover_probe.__main__"]


def mirrored(module: Path) -> tuple[Path, ...]:
    """Where a module's tests live: cutover_probe/a/b.py in tests/a/test_b.py (or, for property
    tests, test_b_property.py); a package's __init__.py in tests/a/test_a.py; __main__.py in
    test_main.py."""
    relative = module.relative_to(PACKAGE)
    folder = TESTS.joinpath(*relative.parts[:-1])
    name = {"__init__.py": folder.name, "__main__.py": "main"}.get(relative.name, module.stem)
    return folder / f"test_{name}.py", folder / f"test_{name}_property.py"


def test_every_module_has_its_test_module_at_the_same_place() -> None:
    modules = {str(path.relative_to(PACKAGE)): path for path in PACKAGE.rglob("*.py")}
    assert "engine.py" in modules  # the walk found the package
    has_tests = {name for name, path in modules.items() if any(p.is_file() for p in mirrored(path))}
    missing = sorted(set(modules) - has_tests - set(UNMIRRORED))
    assert not missing, f"modules without tests/<same place>/test_<module>.py: {missing}"
    stale = sorted(name for name in UNMIRRORED if name not in modules or name in has_tests)
    assert not stale, f"UNMIRRORED names modules that are gone or now have tests: {stale}"


# What a stage must never import: the stages that consume its output, and the command line.
# Data flows config -> planning -> engine -> probes -> results -> reports; a stage may import
# what it calls and the types earlier stages hand it, never a later one (nothing points up).
_CLI = ("cutover_probe.workflow", "cutover_probe.commands", "cutover_probe.cli")
_RENDERERS = ("cutover_probe.report", "cutover_probe.htmlreport", "cutover_probe.ci")
NEVER_IMPORTS = {
    "cutover_probe.config": (
        "cutover_probe.planning",
        "cutover_probe.engine",
        "cutover_probe.results",
        *_RENDERERS,
        *_CLI,
    ),
    "cutover_probe.planning": ("cutover_probe.engine", "cutover_probe.results", *_RENDERERS, *_CLI),
    "cutover_probe.engine": ("cutover_probe.results", *_RENDERERS, *_CLI),
    "cutover_probe.probes": (
        "cutover_probe.config",
        "cutover_probe.planning",
        "cutover_probe.engine",
        "cutover_probe.console",
        "cutover_probe.results",
        *_RENDERERS,
        *_CLI,
    ),
    "cutover_probe.results": ("cutover_probe.engine", "cutover_probe.diffing", *_RENDERERS, *_CLI),
    "cutover_probe.report": ("cutover_probe.engine", *_CLI),
    "cutover_probe.htmlreport": ("cutover_probe.engine", *_CLI),
    "cutover_probe.ci": ("cutover_probe.engine", *_CLI),
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_stage_imports_a_later_one() -> None:
    graph = import_graph()
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for stage, forbidden in NEVER_IMPORTS.items()
        if _within(module, stage)
        for target in targets
        if any(_within(target, later) for later in forbidden)
    )
    assert "cutover_probe.probes.control" in graph  # the rule has modules to judge
    assert upward == []
