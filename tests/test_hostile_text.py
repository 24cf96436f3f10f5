"""Hostile text, proved against a server and a lane of our own: rich markup, terminal escapes,
NUL, CR, U+2028 and bidi overrides in reasons and output reach every output as visible text,
never as markup or control. The live terminal view runs under a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import clean_environ, read_tsv, run_cli
from .hostile import HOSTILE, RAW_CONTROLS, hostile_server

# Any character that must never reach a file or a terminal raw (a newline between lines is ours).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe]")

CONFIG = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"
[variables.IMAGE_NOTE]
type = "string"

[[checks]]
id = "hostile-health"
kind = "control-health"
description = "a server whose error code is hostile text"
base_url = "${STAGING_CONTROL_BASE_URL}"

[[checks]]
id = "hostile-lane"
kind = "command"
description = "a lane that prints hostile text | and a pipe"
argv = [PYTHON, "-c", "import sys; sys.stdout.write(open(sys.argv[1]).read()); sys.exit(3)", TEXT]
"""


def write_config(directory: Path) -> Path:
    text = directory / "hostile.txt"
    text.write_text(HOSTILE, encoding="utf-8", newline="")
    config = directory / "hostile.toml"
    config.write_text(
        CONFIG.replace("PYTHON", json.dumps(sys.executable)).replace("TEXT", json.dumps(str(text)))
    )
    return config


def no_raw_controls(where: str, text: str) -> None:
    found = RAW.search(text)
    assert found is None, (
        f"raw {found.group()!r} in {where}: {text[max(found.start() - 40, 0) :][:80]!r}"
    )


@pytest.mark.slow
def test_hostile_text_is_visible_text_in_every_output(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    summary = tmp_path / "step-summary.md"
    with hostile_server() as url:
        result = run_cli(
            "run",
            "--config",
            str(config),
            "--output-dir",
            str(tmp_path / "report"),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--log-level",
            "debug",
            env=clean_environ(
                CI="1", STAGING_CONTROL_BASE_URL=url, GITHUB_STEP_SUMMARY=str(summary)
            ),
            cwd=tmp_path,
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    report = tmp_path / "report"
    rows = read_tsv(report / "results.tsv")
    assert [(r["check_id"], r["status"]) for r in rows] == [
        ("hostile-health", "failed"),
        ("hostile-lane", "failed"),
    ]
    outputs = {
        "stdout": result.stdout,
        "stderr (debug diagnostics)": result.stderr,
        "step summary": summary.read_text(),
        "junit.xml": (tmp_path / "junit.xml").read_text(),
    }
    outputs |= {str(p): p.read_text() for p in report.rglob("*") if p.is_file()}
    for where, text in outputs.items():
        no_raw_controls(where, text)
    # The reason is there, spelled out: cut to one line of at most 160 characters on the
    # terminal and in SUMMARY.md (the hostile text starts it), whole in the check's log.
    assert "[failed] hostile-health (required): /readyz: answered 302" in result.stdout
    summary_md = (report / "SUMMARY.md").read_text()
    log = (report / "logs" / "hostile-health.log").read_text()
    assert "\\x1b]0;pwned\\x07" in log
    # (Line breaks, U+2028 included, were folded into spaces: a reason is one line.)
    for spelled in ("\\x1b[2J", "\\x00", "\\u202eevil"):
        assert spelled in log
    assert "[/][bold red]x[/bold red]" in log
    assert "answered 302 redirect to https://evil.example/cb?" in summary_md
    # Markdown tables keep their shape: every row of a table has as many cells as its header.
    for name, text in (("SUMMARY.md", summary_md), ("step summary", outputs["step summary"])):
        table = [line for line in text.splitlines() if line.startswith("|")]
        cells = {len(re.split(r"(?<!\\)\|", line)) for line in table}
        assert len(cells) == 1, f"{name}: a row with another number of cells: {table}"
        assert len(table) == 4  # header, rule, two checks
    # JUnit parses, and carries the reason as visible text.
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    failures = [f.get("message", "") + (f.text or "") for f in suite.iter("failure")]
    assert any("\\x00" in failure and "\\ufffe" in failure for failure in failures)
    # results.json keeps the server's exact text (JSON escapes it); the renderings show it.
    html = (report / "report.html").read_text()
    assert "\\x1b]0;pwned" in html


def run_in_terminal(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> tuple[int, str]:
    """The CLI on a pseudo-terminal, so the rich live view (and its markup parser) is used."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover_probe", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def terminal_environ(**extra: str) -> dict[str, str]:
    environ = clean_environ(COLUMNS="160", LINES="40", TERM="xterm-256color", **extra)
    for name in ("CI", "NO_COLOR", "GITHUB_ACTIONS"):
        environ.pop(name, None)
    return environ


@pytest.mark.slow
def test_live_terminal_view_survives_markup_and_escapes(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with hostile_server() as url:
        code, screen = run_in_terminal(
            ["run", "--config", str(config), "--output-dir", str(tmp_path / "report")],
            terminal_environ(STAGING_CONTROL_BASE_URL=url),
            tmp_path,
        )
    assert "Traceback" not in screen, screen
    assert "internal error" not in screen, screen
    assert code == 1, screen
    assert (tmp_path / "report" / "results.tsv").is_file()
    for raw in RAW_CONTROLS:
        assert raw not in screen, f"{raw!r} reached the terminal"
    assert "hostile-health" in screen
    assert "NO-GO" in screen


@pytest.mark.slow
def test_quick_shows_hostile_text_visibly(tmp_path: Path) -> None:
    with hostile_server() as url:
        code, screen = run_in_terminal(
            ["quick"], terminal_environ(STAGING_CONTROL_BASE_URL=url), tmp_path
        )
    assert code == 1, screen
    assert "Traceback" not in screen
    for raw in RAW_CONTROLS:
        assert raw not in screen, f"{raw!r} reached the terminal"
    # The reason is cut to 160 characters before the hostile text; what shows is visible.
    assert "control-staging   NO           /readyz: answered 302 redirect to https://evil" in screen


@pytest.mark.parametrize(
    ("name", "value", "what"),
    [
        ("EXPECTED_IMAGE", "img:1\r\n## Injected heading", "a carriage return (CR)"),
        ("EXPECTED_IMAGE", "img:1\n| x | y |", "a newline (LF)"),
        ("GCP_PROJECT", "proj\rect", "a carriage return (CR)"),
        ("STAGING_CONTROL_ACCESS_TOKEN", "token-with\rCR", "a carriage return (CR)"),
        ("STAGING_CONTROL_BASE_URL", "http://127.0.0.1:9\r", "a carriage return (CR)"),
        ("DATABASES_CSV", "a,b\x1b[2J", "a control character (\\x1b)"),
        ("BACKUP_PREFIX", "x\u2028y", "a control character (\\u2028)"),
    ],
)
def test_a_control_character_in_an_environment_value_is_exit_2_naming_it(
    tmp_path: Path, name: str, value: str, what: str
) -> None:
    result = run_cli("plan", env=clean_environ(**{name: value}), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"cutover-probe: error: environment variable {name}: contains {what}\n"
