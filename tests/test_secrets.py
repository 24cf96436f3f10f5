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
