"""How users get cutover-probe: the GitHub Action, the docs' workflows, the version.

The action file and every workflow in the docs are validated against GitHub's published JSON
schemas, the copies the check-jsonschema package vendors, run as its CLI (what a user would
run), so a misspelt key fails here rather than on GitHub. The action's gate step is run as
written, with bash, against the simulated fleet. The wheel itself is tested outside the
checkout by `make dist-check` (tests/dist_check.sh), which .ci/run calls.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cutover_probe import __version__
from cutover_probe.fleet import SCENARIOS, FleetSpec, FleetThread

from .conftest import HTTP_ONLY, REPO, Checkout, fleet_environ

ACTION = REPO / "action.yml"
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def doc_workflows() -> list[tuple[str, str]]:
    """(name, text) of every YAML block in the docs that is a GitHub workflow (has `jobs`)."""
    found = []
    for doc in DOCS:
        for number, match in enumerate(YAML_BLOCK.finditer(doc.read_text(encoding="utf-8")), 1):
            block = load_yaml(match.group(1))
            if isinstance(block, dict) and "jobs" in block:
                found.append((f"{doc.name}-yaml-{number}", match.group(1)))
    return found


def check_schema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_workflows(directory: Path) -> list[Path]:
    paths = []
    for name, text in doc_workflows():
        path = directory / f"{name}.yml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_action_matches_githubs_action_schema() -> None:
    result = check_schema("vendor.github-actions", [ACTION])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_every_workflow_in_the_docs_matches_githubs_workflow_schema(tmp_path: Path) -> None:
    workflows = write_workflows(tmp_path)
    # docs/ci.md's one-job and sharded examples at least: a lost block must not pass silently.
    assert len(workflows) >= 2, [p.name for p in workflows]
    result = check_schema("vendor.github-workflows", workflows)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize(
    ("schema", "source", "typos"),
    [
        (
            "vendor.github-actions",
            "action",
            [
                ("    required: false", "    requird: false"),
                ("  using: composite", "  using: composit"),
            ],
        ),
        (
            "vendor.github-workflows",
            "workflow",
            [("    runs-on: ", "    run-on: "), ("        if: always()", "        iff: always()")],
        ),
    ],
    ids=["action", "workflow"],
)
def test_a_misspelt_key_fails_the_schema_check(
    tmp_path: Path, schema: str, source: str, typos: list[tuple[str, str]]
) -> None:
    if source == "action":
        text = ACTION.read_text(encoding="utf-8")
    else:
        text = next(text for name, text in doc_workflows() if "ci.md" in name)
    # One broken copy per typo, checked in one run of the checker (each run starts a Python
    # of its own): every copy must be named among the errors.
    broken = []
    for number, (right, wrong) in enumerate(typos, 1):
        assert right in text
        broken.append(tmp_path / f"broken-{source}-{number}.yml")
        broken[-1].write_text(text.replace(right, wrong, 1), encoding="utf-8")
    result = check_schema(schema, broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors were encountered" in result.stdout + result.stderr
    for path in broken:
        assert f"{path}::" in result.stdout + result.stderr, result.stdout + result.stderr


def test_workflows_give_the_action_only_its_own_inputs() -> None:
    """The schema cannot know the action's inputs: a misspelt `with:` key would pass it."""
    action = load_yaml(ACTION.read_text(encoding="utf-8"))
    inputs = set(action["inputs"])
    uses = 0
    for name, text in doc_workflows():
        for job in load_yaml(text)["jobs"].values():
            for step in job.get("steps", []):
                if "/cutover-probe@" in step.get("uses", ""):
                    uses += 1
                    assert set(step.get("with", {})) <= inputs, (name, step["with"])
    assert uses >= 3  # the one-job gate, the shard and the merge


def gate_step() -> tuple[str, dict[str, str]]:
    """The action's gate step: its script, and its env with `${{ inputs.x }}` left to fill."""
    action = load_yaml(ACTION.read_text(encoding="utf-8"))
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "gate"]
    return step["run"], step["env"]


def run_gate(
    environ: dict[str, str], workdir: Path, **given: str
) -> tuple[int, dict[str, str], str]:
    """Run the gate step as the runner would: the inputs (their defaults, then ``given``) in
    its env, bash, GITHUB_OUTPUT a file. Returns the exit code, the outputs and the output."""
    script, env_template = gate_step()
    action = load_yaml(ACTION.read_text(encoding="utf-8"))
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({name.replace("_", "-"): value for name, value in given.items()})
    env = dict(environ)
    # As after the install step, which puts its venv's bin (cutover-probe, python3) on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for variable, expression in env_template.items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expression)
        assert match, expression
        env[variable] = inputs[match.group(1)]
    outputs_file = workdir / f"github-output-{len(list(workdir.glob('github-output-*')))}"
    outputs_file.touch()
    env["GITHUB_OUTPUT"] = str(outputs_file)
    env["CI"] = "true"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = dict(
        line.split("=", 1) for line in outputs_file.read_text(encoding="utf-8").splitlines()
    )
    return result.returncode, outputs, result.stdout + result.stderr


# The gate step runs the real program; what it does with the exit code and the verdict does not
# depend on the matrix, so the seven runs get the HTTP checks alone (the action's `config`).


@pytest.mark.slow
def test_gate_step_keeps_the_exit_code_and_exposes_the_verdict(
    checkout: Checkout, tmp_path: Path
) -> None:
    workdir = tmp_path / "workspace"
    workdir.mkdir()
    with FleetThread(FleetSpec()) as fleet:
        environ = fleet_environ(fleet, checkout)
        code, outputs, output = run_gate(
            environ,
            workdir,
            output_dir="go",
            junit="go/junit.xml",
            config=str(HTTP_ONLY),
            args="--repo-root " + str(checkout.root),
        )
    assert code == 0, output
    assert outputs == {
        "verdict": "GO",
        "report-dir": str(workdir / "go"),
        "report-html": str(workdir / "go" / "report.html"),
        "exit-code": "0",
    }
    assert (workdir / "go" / "report.html").is_file()
    assert "<testsuite " in (workdir / "go" / "junit.xml").read_text(encoding="utf-8")

    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        environ = fleet_environ(fleet, checkout)
        repo = f"--repo-root {checkout.root}"
        inputs = {"config": str(HTTP_ONLY), "args": repo}
        no_go = run_gate(environ, workdir, output_dir="no-go", **inputs)
        allowed = run_gate(environ, workdir, output_dir="allowed", allow_no_go="true", **inputs)
        bad_shard = run_gate(environ, workdir, output_dir="bad", shard="4/3", allow_no_go="true")
    code, outputs, output = no_go
    assert (code, outputs["verdict"], outputs["exit-code"]) == (1, "NO-GO", "1"), output
    assert "[failed] control-prod-smoke (required)" in output
    code, outputs, output = allowed
    assert (code, outputs["verdict"], outputs["exit-code"]) == (0, "NO-GO", "1"), output
    assert "not failing this step (allow-no-go: true)" in output
    # allow-no-go forgives a NO-GO only: a misconfigured shard still fails, with no verdict.
    code, outputs, output = bad_shard
    assert (code, outputs["verdict"], outputs["exit-code"]) == (2, "", "2"), output
    assert "--shard '4/3': K must be between 1 and N" in output


@pytest.mark.slow
def test_gate_step_merges_shards_from_globs(checkout: Checkout, tmp_path: Path) -> None:
    workdir = tmp_path / "workspace"
    (workdir / "shards").mkdir(parents=True)
    repo = f"--repo-root {checkout.root}"
    with FleetThread(FleetSpec()) as fleet:
        environ = fleet_environ(fleet, checkout)
        for k in (1, 2):
            code, outputs, output = run_gate(
                environ,
                workdir,
                shard=f"{k}/2",
                output_dir=f"shards/cutover-shard-{k}",
                config=str(HTTP_ONLY),
                args=repo,
            )
            assert (code, outputs["verdict"]) == (0, "GO"), output
    code, outputs, output = run_gate(
        environ, workdir, merge="shards/cutover-shard-*", output_dir="merged"
    )
    assert (code, outputs["verdict"]) == (0, "GO"), output
    assert "merge --output-dir" in output
    # A header and the matrix's four checks, two from each shard.
    assert (workdir / "merged" / "results.tsv").read_text(encoding="utf-8").count("\n") == 5


def test_version_comes_from_one_place() -> None:
    from importlib.metadata import version

    assert version("cutover-probe") == __version__
    result = subprocess.run(
        [sys.executable, "-m", "cutover_probe", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"cutover-probe, version {__version__}\n"
