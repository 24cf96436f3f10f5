"""A reason is one line that fits: digests shortened, long reasons cut in every file and kept whole
in the log."""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path

from cutover_probe.reasons import LIMIT, fit

from .conftest import clean_environ, invoke_cli

LONG_CONFIG = """
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "1"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"

[[checks]]
id = "long-health"
kind = "control-health"
description = "a server whose error code is 400 characters long"
base_url = "${STAGING_CONTROL_BASE_URL}"
"""


def test_a_reason_is_one_line_that_fits_with_digests_shortened() -> None:
    a, b = "3f9a1c2d" + "0" * 56, "3f9a1c2d" + "1" * 56
    assert fit(f"image x@sha256:{'ab' * 32} differs") == "image x@sha256:abababab… differs"
    # Two digests that share their first 8 digits still read differently.
    short = fit(f"service sha256:{a} vs job sha256:{b}")
    assert short == "service sha256:3f9a1c2d0000… vs job sha256:3f9a1c2d1111…"
    image = "us-central1-docker.pkg.dev/openagentsgemini/openagents/runtime@sha256:"
    drift = fit(
        f"service image {image}{a} differs from migrate job image {image}{b}; newest execution "
        f"x ran image {image}{b}, service runs {image}{a}; see https://example.com/a/b:1"
    )
    assert drift.startswith(
        "service image …/runtime@sha256:3f9a1c2d0000… differs from migrate job image "
        "…/runtime@sha256:3f9a1c2d1111…; newest execution x ran image"
    )
    assert len(drift) <= LIMIT
    assert fit(f"GET https://example.com/v2/x:1 {'y' * 200}").startswith(
        "GET https://example.com/v2/x:1 "
    )
    long = fit("word " * 100)
    assert len(long) <= LIMIT
    assert long.endswith("…")
    assert "\n" not in long
    assert fit("two\nlines") == "two lines"


def test_a_long_reason_is_cut_in_every_file_and_whole_in_the_log(tmp_path: Path) -> None:
    code = "not_found_" + "x" * 400

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"error": code}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    config = tmp_path / "long.toml"
    config.write_text(LONG_CONFIG)
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            env = clean_environ(
                CI="true",
                OUTPUT_DIR=str(tmp_path / "r"),
                STAGING_CONTROL_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
            )
            result = invoke_cli(
                "run",
                "--config",
                str(config),
                "--junit",
                str(tmp_path / "junit.xml"),
                env=env,
                cwd=tmp_path,
            )
        finally:
            server.shutdown()
            thread.join(timeout=10)
    assert result.returncode == 1, result.stderr
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    whole = doc["checks"][0]["reason"]
    assert f"({code})" in whole  # results.json keeps the whole reason
    line = next(x for x in result.stdout.splitlines() if x.startswith("[failed] long-health"))
    reason = line.removeprefix("[failed] long-health (required): ")
    assert re.match(r"/(healthz|readyz): answered 404 \(not_found_xxx", reason)
    assert len(reason) <= LIMIT
    assert reason.endswith("…")
    summary = (tmp_path / "r" / "SUMMARY.md").read_text()
    assert f"| {reason} |" in summary
    assert code not in summary
    junit = (tmp_path / "junit.xml").read_text()
    assert f'message="{reason}"' in junit
    log = (tmp_path / "r" / "logs" / "long-health.log").read_text()
    assert f"({code})" in log
    html = (tmp_path / "r" / "report.html").read_text()
    assert f'<td class="reason wrap">{whole}</td>' in html
