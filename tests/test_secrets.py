"""Secrets cannot print themselves; the redactor masks every learned value, and only real ones."""

from __future__ import annotations

import pickle

import pytest

from cutover_probe.planning import describe
from cutover_probe.secrets import MASK, Redactor, Secret


def test_secret_never_renders_its_value() -> None:
    token = Secret("tok_live_0123456789abcdef")
    rendered = [str(token), repr(token), f"{token}", f"{token!r}", "%s" % token, format(token)]  # noqa: UP031
    assert all("0123456789" not in text for text in rendered)
    assert token.reveal() == "tok_live_0123456789abcdef"
    with pytest.raises(TypeError):
        pickle.dumps(token)


def test_command_column_shows_only_whether_a_token_is_set() -> None:
    template = "smoke of {base_url} (token {access_token_state}) {access_token}"
    text = describe(template, {"base_url": "https://x", "access_token": Secret("abcdefgh12")})
    assert text == f"smoke of https://x (token set) {MASK}"
    assert describe(template, {"base_url": "https://x", "access_token": Secret("")}).endswith(
        "(token unset) "
    )


def test_redactor_masks_learned_values_longest_first() -> None:
    redact = Redactor([Secret("abcdef123456")])
    redact.add("abcdef123456-extended")
    assert redact("x abcdef123456-extended y abcdef123456") == f"x {MASK} y {MASK}"


@pytest.mark.parametrize("short", ["", "a", "abc", "12345"])
def test_short_values_are_not_secrets(short: str) -> None:
    redact = Redactor([short])
    assert len(redact) == 0
    assert redact("a line with abc and 12345 in it") == "a line with abc and 12345 in it"


def test_report_masks_secrets_that_json_and_html_would_escape(tmp_path) -> None:
    """The second belt: a value that slipped past the first is masked before any format
    rewrites it (a token with '"' or '<' no longer matches once escaped)."""
    import html
    import json

    from cutover_probe.report import write_report
    from cutover_probe.results import RunResults

    token = 's3cr<t&tok"en\\x'
    doc = {
        "schema": "cutover-probe/results/v1",
        "tool": {"name": "cutover-probe", "version": "0"},
        "title": "t",
        "timestamp": "2026-11-27T00:00:00Z",
        "wall_ms": 1.0,
        "verdict": {
            "overall": "failed",
            "label": "NO-GO",
            "exit_code": 1,
            "gating": True,
            "why": f"because {token}",
            "counts": {
                "total": 1,
                "passed": 0,
                "required_failures": 1,
                "optional_failures": 0,
                "required_skipped": 0,
                "optional_skipped": 0,
                "cancelled": 0,
            },
        },
        "environment": {"X": token},
        "domain_mappings": [],
        "matrix": {"source": "m.toml", "ids": ["c"]},
        "shard": None,
        "checks": [
            {
                "id": "c",
                "kind": "http",
                "environment": None,
                "required": True,
                "description": "d",
                "status": "failed",
                "reason": f"got {token}",
                "command": "x",
                "log_path": "logs/c.log",
                "started_ms": 0.0,
                "duration_ms": 1.0,
                "attempts": 1,
                "evidence": [f"line {token}"],
                "details": {"k": token},
            }
        ],
    }
    out = tmp_path / "r"
    (out / "logs").mkdir(parents=True)
    write_report(out, RunResults.from_json(doc, "doc"), Redactor([token]))
    forms = {token, json.dumps(token)[1:-1], html.escape(token), html.escape(token, False)}
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not [form for form in forms if form in text], path.name
