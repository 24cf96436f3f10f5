"""The package's import graph has no cycles: every import, lazy ones inside functions included,
points one way. (pre-commit's `main.py` imports the commands; no command imports it back.)"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cutover_probe"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (`from . import x` counts as x alone)."""
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
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
        graph[name] = {target for target in targets if target in files and target != name}
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
