"""A simulated OpenAgents checkout for the subprocess lanes, and the scenarios that are about the
toolchain or a lane's switch rather than the services: shared by `cutover-probe demo`, `watch
--demo` and the standalone fleet (`python -m cutover_probe.fleet`), so all three accept the
same scenarios and mean the same thing by them.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

# Scenarios of the toolchain rather than the fleet.
TOOLCHAIN_SCENARIOS = {
    "contract-tests-fail": "khala-contract-tests fails: cargo test exits 101 (a failing test)",
}
# Scenarios about a lane that is off by default: the demo switches that lane on for them.
SCENARIO_SWITCHES = {
    "backups-stale": {"RUN_BACKUP_FRESHNESS_CHECK": "1"},
    "htmx-feed-too-large": {"RUN_HTMX_PERF_CHECKS": "1"},
    "htmx-slow-feed": {"RUN_HTMX_PERF_CHECKS": "1"},
    "htmx-chat-no-location": {"RUN_HTMX_PERF_CHECKS": "1"},
    "version-skew": {"RUN_PARITY_CHECK": "1"},
}
FAKE_CARGO = """#!{python}
# Stand-in for cargo in the simulated OpenAgents checkout: prints a test run and exits {code}.
import sys
print("   Compiling openagents-runtime v0.1.0 (simulated)")
print("    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.01s")
print("     Running unittests src/main.rs (target/debug/deps/openagents_runtime-0000)")
print()
print("running 3 tests")
print("test server::tests::khala_topic_messages_replay_from_cursor ... ok")
print("test server::tests::khala_topic_messages_reject_unknown_topic ... ok")
print("test server::tests::khala_topic_messages_fanout_order ... {last}")
if {code}:
    print()
    print("failures:")
    print()
    print("---- server::tests::khala_topic_messages_fanout_order stdout ----")
    print("thread 'server::tests::khala_topic_messages_fanout_order' panicked at "
          "src/server/tests.rs:812:9:")
    print("assertion `left == right` failed: messages out of order")
    print("  left: [1, 3, 2]")
    print(" right: [1, 2, 3]")
    print()
    print()
    print("failures:")
    print("    server::tests::khala_topic_messages_fanout_order")
print()
print("test result: {result}. {passed} passed; {failed} failed; 0 ignored")
if {code}:
    print()
    print("error: test failed, to rerun pass `-p openagents-runtime --bin openagents-runtime`")
sys.exit({code})
"""

HARNESS = """#!/bin/sh
echo "cross-surface contract harness (simulated): web, desktop, ios fixtures agree"
"""


def make_simulated_checkout(root: Path, *, contract_tests_pass: bool) -> Path:
    """An OpenAgents checkout with just what the subprocess lanes touch; returns the bin dir."""
    (root / "apps" / "runtime").mkdir(parents=True)
    (root / "apps" / "runtime" / "Cargo.toml").write_text(
        '[package]\nname = "openagents-runtime"\nversion = "0.1.0"\n'
    )
    (root / "scripts").mkdir()
    harness = root / "scripts" / "run-cross-surface-contract-harness.sh"
    harness.write_text(HARNESS)
    bin_dir = root / ".toolchain"
    bin_dir.mkdir()
    cargo = bin_dir / "cargo"
    cargo.write_text(
        FAKE_CARGO.format(
            python=sys.executable,
            code=0 if contract_tests_pass else 101,
            last="ok" if contract_tests_pass else "FAILED",
            result="ok" if contract_tests_pass else "FAILED",
            passed=3 if contract_tests_pass else 2,
            failed=0 if contract_tests_pass else 1,
        )
    )
    for script in (cargo, harness):
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir
