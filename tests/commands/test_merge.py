"""`cutover-probe merge`: shards joined into the report a whole run writes, and the shards it
refuses."""

from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from cutover_probe.config import default_config_path
from cutover_probe.demo import make_simulated_checkout
from cutover_probe.engine import RunSettings
from cutover_probe.fleet import SCENARIOS, FleetSpec, FleetThread
from cutover_probe.planning import Selection
from cutover_probe.workflow import Outputs, RunRequest, RunSummary, merge_reports, run_matrix

from ..conftest import Checkout, clean_environ, fleet_environ, invoke_cli, read_tsv

# One xdist worker for the module (make test's --dist loadgroup): the whole run the shard counts
# are compared with is made once.
pytestmark = pytest.mark.xdist_group("merge")


def unmissable_budgets(tmp_path: Path) -> Path:
    """The shipped matrix (and the baseline it names) with every HTMX time-to-first-byte budget
    at a minute: the fleet answers in milliseconds, so on a quiet machine the shipped budgets
    pass, but on a loaded one (tests in parallel) one run of several can miss one and the
    runs would differ for a reason that is not the merge's."""
    shipped = default_config_path()
    copy = tmp_path / "matrix"
    shutil.copytree(shipped.parent, copy)
    matrix = copy / shipped.name
    text, changed = re.subn(r"ttfb_ms = \d+", "ttfb_ms = 60000", matrix.read_text())
    assert changed >= 6, "the shipped HTMX lanes name their budgets as `ttfb_ms = N`"
    matrix.write_text(text)
    return matrix


async def _run(
    environ: dict[str, str],
    checkout: Checkout,
    config: Path,
    out: Path,
    shard: tuple[int, int] | None,
) -> RunSummary:
    request = RunRequest(
        config=config,
        repo_root=checkout.root,
        environ=environ,
        output_dir=out,
        settings=RunSettings(request_timeout_s=5),
        selection=Selection(shard=shard),
        quiet=True,
    )
    return await run_matrix(request, out=io.StringIO())


@dataclass(frozen=True)
class WholeRun:
    """The stale-cache fleet (a NO-GO, so the gate of the merge is exercised), running, and the
    report of one whole run against it: what every shard count's merge must reproduce."""

    checkout: Checkout
    config: Path
    environ: dict[str, str]
    report: Path
    summary: RunSummary


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WholeRun]:
    """Made once for the module's shard counts (one xdist worker, the group below): the whole
    run is the same for each, and the shards run against the same fleet, whose ports are in
    the rows."""
    base = tmp_path_factory.mktemp("merge")
    (base / "openagents").mkdir()
    checkout = Checkout(
        base / "openagents", make_simulated_checkout(base / "openagents", contract_tests_pass=True)
    )
    config = unmissable_budgets(base)
    with FleetThread(SCENARIOS["stale-cache"].spec) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_HTMX_PERF_CHECKS="1")
        summary = anyio.run(_run, environ, checkout, config, base / "whole", None)
        yield WholeRun(checkout, config, environ, base / "whole", summary)


@pytest.mark.anyio
@pytest.mark.parametrize("count", [1, 2, 3, 5, 13, 20])
async def test_merged_shards_equal_a_whole_run_byte_for_byte(
    whole_run: WholeRun, tmp_path: Path, count: int
) -> None:
    whole = whole_run.summary
    parts = []
    for k in range(1, count + 1):
        parts.append(tmp_path / f"shard-{k}")
        await _run(whole_run.environ, whole_run.checkout, whole_run.config, parts[-1], (k, count))
    sizes = [len(read_tsv(p / "results.tsv")) for p in parts]
    assert sum(sizes) == 14
    merged = merge_reports(parts[::-1], tmp_path / "merged", Outputs(), {}, out=io.StringIO())
    assert (tmp_path / "merged" / "results.tsv").read_bytes() == (
        whole_run.report / "results.tsv"
    ).read_bytes()
    assert merged.verdict.label == whole.verdict.label == "NO-GO"
    assert merged.verdict.counts == whole.document.verdict.counts
    for check in merged.checks:
        assert (tmp_path / "merged" / check.log_path).is_file()


def test_merge_refuses_missing_and_duplicated_shards(checkout: Checkout, tmp_path: Path) -> None:
    with FleetThread(FleetSpec()) as fleet:
        env = fleet_environ(fleet, checkout)
        for k in (1, 2, 3):
            invoke_cli(
                "run",
                "--quiet",
                "--shard",
                f"{k}/3",
                env={**env, "OUTPUT_DIR": str(tmp_path / f"s{k}")},
                cwd=checkout.root,
            )
    missing = invoke_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "m1"),
        str(tmp_path / "s1"),
        str(tmp_path / "s3"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert missing.returncode == 2
    assert "missing shard 2/3" in missing.stderr
    twice = invoke_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "m2"),
        str(tmp_path / "s1"),
        str(tmp_path / "s2"),
        str(tmp_path / "s2"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert twice.returncode == 2
    assert "shard 2/3 given twice" in twice.stderr
    ok = invoke_cli(
        "merge",
        "--output-dir",
        str(tmp_path / "m3"),
        "--junit",
        str(tmp_path / "j.xml"),
        str(tmp_path / "s3"),
        str(tmp_path / "s1"),
        str(tmp_path / "s2"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert "[matrix] verdict: GO" in ok.stdout
    assert len(list(ET.parse(tmp_path / "j.xml").getroot().iter("testcase"))) == 12
