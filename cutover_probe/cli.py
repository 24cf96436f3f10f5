"""The command line: the asyncclick group and its commands, one module each under `commands/`.

The error boundary (exit codes) lives in `boundary.py` and the options several commands share in
`commands/options.py`; both are imported by the commands, so nothing imports this module back.
Start-up matters (`--help` must be instant), so heavy modules load inside the commands, never here.
"""

from __future__ import annotations

import asyncclick as click

from cutover_probe import __version__
from cutover_probe.commands import register


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cutover-probe")
async def cli() -> None:
    """Release gate for the Rust staging/production cutover: runs the validation matrix's
    checks concurrently and writes results.tsv, SUMMARY.md, results.json and report.html.

    \b
    Exit codes:
      0    GO or BASELINE (FAIL_ON_REQUIRED_FAILURE=0); quick: all checked ready
      1    NO-GO (a required check failed, was skipped or cancelled); diff:
           something newly fails; watch: the analysis failed
      2    bad usage, config, environment value or output dir; nothing probed
      3    internal error; traceback in a cutover-probe-crash-*.log temp file
      130  interrupted (SIGINT, SIGTERM or SIGHUP); the report is still written
    """


register(cli)


def main() -> None:
    cli(prog_name="cutover-probe")
