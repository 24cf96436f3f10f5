"""Secrets in every spelling, proved against a hostile server of our own: a configured token and
one learned during the run come back URL-encoded, base64'd (whole and inside longer blobs), in a
header long enough that a cut quote of it would leak a prefix, and JSON-escaped; none of those
spellings reaches a report file, JUnit, the step summary, the terminal or the debug log."""

from __future__ import annotations

import base64
import html
import json
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from .conftest import clean_environ, read_tsv, run_cli
from .hostile import hostile_server

# Quotes, a backslash, a double space, and characters URL-encoding and base64 rewrite; long, so
# that a reason quoting it is cut (at 80 characters) well inside it.
CONFIGURED = 'cfg"tok\\en  with/+=&?' + "K7p2Qx9ZmW4tR8vB3nY6" * 6
LEARNED = 'lrn"ed\\tok  also/+=' + "Hd5Jk8Lq2Ws4Er7Ty1Ui" * 6  # no "?": it goes in a path

CONFIG = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"
[variables.STAGING_CONTROL_ACCESS_TOKEN]
type = "secret"

[[checks]]
id = "redirect-leaks-configured"
kind = "control-health"
base_url = "${STAGING_CONTROL_BASE_URL}"

[[checks]]
id = "echoes-tokens"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
token = "${STAGING_CONTROL_ACCESS_TOKEN}"
[[checks.steps]]
name = "issue"
method = "POST"
path = "/issue"
capture = { learned = { json = "/data/token" } }
[[checks.steps]]
name = "echo-learned"
path = "/leak/{{learned}}"
auth = true
expect.status = 200
expect.headers = { x-echo = { equals = "calm" } }
expect.json = { "/echo" = { equals = "calm" }, "/ascii" = { equals = "calm" } }
[[checks.steps]]
name = "echo-configured"
path = "/leak/configured"
expect.status = 200
expect.headers = { x-echo = { equals = "calm" } }
expect.json = { "/echo" = { equals = "calm" } }
"""


def _b64_cores(secret: str, urlsafe: bool) -> list[str]:
    """The part of base64(prefix + secret + suffix) that only the secret decides, for each of
    the three alignments (computed here independently of the redactor)."""
    cores = []
    data = secret.encode()
    for shift in range(3):
        encoded = base64.b64encode(b"\xff" * shift + data + b"\xff\xff").decode()
        other = base64.b64encode(b"\x00" * shift + data + b"\x00\x00").decode()
        # The characters both encodings share at the same positions are the secret's own.
        same = [i for i, (a, b) in enumerate(zip(encoded, other, strict=True)) if a == b]
        core = encoded[same[0] : same[-1] + 1]
        cores.append(core.translate(str.maketrans("+/", "-_")) if urlsafe else core)
    return cores


def token_forms(secret: str) -> dict[str, str]:
    """Every spelling the leak test searches for, by name."""
    data = secret.encode()
    forms = {
        "raw": secret,
        "whitespace-normalised": " ".join(secret.split()),
        "quote(safe='')": quote(secret, safe=""),
        "quote()": quote(secret),
        "quote_plus": quote_plus(secret),
        "base64": base64.b64encode(data).decode(),
        "base64 unpadded": base64.b64encode(data).decode().rstrip("="),
        "urlsafe base64": base64.urlsafe_b64encode(data).decode(),
        "urlsafe base64 unpadded": base64.urlsafe_b64encode(data).decode().rstrip("="),
        "json.dumps()[1:-1]": json.dumps(secret)[1:-1],
        "json.dumps(ensure_ascii=False)[1:-1]": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json of json": json.dumps(json.dumps(secret))[1:-1],
        "html.escape": html.escape(secret),
        "79-character prefix": secret[:79],
    }
    for urlsafe in (False, True):
        for shift, core in enumerate(_b64_cores(secret, urlsafe)):
            forms[f"{'urlsafe ' if urlsafe else ''}base64 core at alignment {shift}"] = core
    return forms


WINDOW = 24  # no run of this many characters of any spelling may appear


def leaks(text: str, secret: str) -> list[str]:
    found = []
    for name, form in token_forms(secret).items():
        for start in range(max(len(form) - WINDOW, 0) + 1):
            if form[start : start + WINDOW] in text:
                found.append(f"{name}: {form[start : start + WINDOW]!r}")
                break
    return found


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["json", "console"])
def test_no_spelling_of_a_secret_reaches_any_output(tmp_path: Path, log_format: str) -> None:
    config = tmp_path / "matrix.toml"
    config.write_text(CONFIG)
    summary = tmp_path / "step-summary.md"
    with hostile_server(token=CONFIGURED, learned=LEARNED) as url:
        result = run_cli(
            "run",
            "--config",
            str(config),
            "--output-dir",
            str(tmp_path / "report"),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--verbose",
            "--log-level",
            "debug",
            "--log-format",
            log_format,
            env=clean_environ(
                CI="1",
                STAGING_CONTROL_BASE_URL=url,
                STAGING_CONTROL_ACCESS_TOKEN=CONFIGURED,
                GITHUB_STEP_SUMMARY=str(summary),
            ),
            cwd=tmp_path,
        )
    assert result.returncode == 1, result.stderr
    rows = read_tsv(tmp_path / "report" / "results.tsv")
    assert [r["status"] for r in rows] == ["failed", "failed"]
    outputs = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "junit.xml": (tmp_path / "junit.xml").read_text(),
        "step summary": summary.read_text(),
    }
    report = tmp_path / "report"
    outputs |= {str(p): p.read_text() for p in report.rglob("*") if p.is_file()}
    # The server really sent them: the reasons quote the header and the redirect.
    reasons = (report / "results.json").read_text()  # whole (the one-line views cut them)
    assert "redirect to https://evil.example/cb?q=[REDACTED]" in reasons
    assert "header x-echo: expected 'calm', got '[REDACTED]" in reasons
    assert "debug" in result.stderr.lower() or "check started" in result.stderr
    for where, text in outputs.items():
        for secret in (CONFIGURED, LEARNED):
            assert not leaks(text, secret), f"{where}: {leaks(text, secret)}"


def test_the_leak_search_finds_what_it_looks_for() -> None:
    """The search itself can fail: each spelling, planted in a text, is found."""
    for name, form in token_forms(LEARNED).items():
        assert leaks(f"before {form} after", LEARNED), name
    blob = base64.b64encode(b"xy" + LEARNED.encode() + b"z").decode()
    assert leaks(blob, LEARNED)


if __name__ == "__main__":  # the list of spellings, for the record
    for name in token_forms(CONFIGURED):
        sys.stdout.write(name + "\n")
