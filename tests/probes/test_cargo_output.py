"""Cargo's test output read as a person would: the failing tests named in the reason, the whole
output kept in the log."""

from __future__ import annotations

import json
from pathlib import Path

from cutover_probe.probes.cargo_output import explain, failing_tests

from ..conftest import clean_environ, invoke_cli

LIBTEST = """\
running 4 tests
test server::tests::ok_one ... ok
test khala_topic_messages::replay_window ... FAILED
test server::tests::panics_as_it_should - should panic ... FAILED
test server::tests::ok_two ... ok

failures:

---- khala_topic_messages::replay_window stdout ----
thread 'khala_topic_messages::replay_window' panicked at src/khala.rs:10:5:
assertion failed
    not_a_test_name

failures:
    khala_topic_messages::replay_window
    server::tests::panics_as_it_should

test result: FAILED. 2 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out
"""


def test_cargo_output_names_the_failing_tests() -> None:
    lines = LIBTEST.splitlines()
    assert failing_tests(lines) == [
        "khala_topic_messages::replay_window",
        "server::tests::panics_as_it_should",
    ]
    assert explain("exit status 101", lines[:3]) == (
        "khala_topic_messages::replay_window failed (exit status 101)"
    )
    assert explain("exit status 101", lines) == (
        "2 tests failed: khala_topic_messages::replay_window, "
        "server::tests::panics_as_it_should (exit status 101)"
    )
    # Only the list at the end (output cut before the result lines, as a killed run leaves it).
    assert failing_tests(["failures:", "    a::b", "    c::d", "", "test result: FAILED."]) == [
        "a::b",
        "c::d",
    ]
    compile_error = ["error[E0425]: cannot find value `x`", "error: could not compile `rt` (lib)"]
    assert explain("exit status 101", compile_error) == "could not compile rt (exit status 101)"
    assert explain("exit status 1", ["all good"]) == "exit status 1"


def test_a_cargo_failure_names_the_test_and_the_log_keeps_everything(tmp_path: Path) -> None:
    env = clean_environ(CI="true")
    result = invoke_cli(
        "demo",
        "--scenario",
        "contract-tests-fail",
        "--output-dir",
        str(tmp_path / "r"),
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    reason = "server::tests::khala_topic_messages_fanout_order failed (exit status 101)"
    assert f"[failed] khala-contract-tests (required): {reason}" in result.stdout
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    check = next(c for c in doc["checks"] if c["id"] == "khala-contract-tests")
    assert check["reason"] == reason
    log = (tmp_path / "r" / "logs" / "khala-contract-tests.log").read_text()
    assert "assertion `left == right` failed: messages out of order" in log
    assert f"FAILED: {reason}" in log
    assert reason in (tmp_path / "r" / "SUMMARY.md").read_text()
