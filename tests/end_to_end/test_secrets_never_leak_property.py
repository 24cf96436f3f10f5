"""Secrets, proved: generated tokens — sent as bearer tokens, echoed back by a careless server,
handed out by the server and reused in a URL, printed by a subprocess — never reach a file,
the terminal or the diagnostic log."""

# ruff: noqa: E501 - the shell line in the TOML below reads better whole.

from __future__ import annotations

import contextlib
import html
import io
import json
import string
import tempfile
from pathlib import Path

import anyio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cutover_probe import diagnostics
from cutover_probe.engine import RunSettings
from cutover_probe.fleet import ControlFaults, FleetSpec, serve_fleet
from cutover_probe.workflow import RunRequest, run_matrix

from ..conftest import clean_environ, scaled

CONFIG = r"""
[variables.FAIL_ON_REQUIRED_FAILURE]
type = "flag"
default = "0"
[variables.OUTPUT_DIR]
type = "path"
[variables.STAGING_CONTROL_BASE_URL]
type = "url"
[variables.PROD_CONTROL_BASE_URL]
type = "url"
[variables.STAGING_CONTROL_ACCESS_TOKEN]
type = "secret"
[variables.PROD_CONTROL_ACCESS_TOKEN]
type = "secret"

[[checks]]
id = "wrong-token-smoke"
kind = "control-smoke"
base_url = "${STAGING_CONTROL_BASE_URL}"
access_token = "${STAGING_CONTROL_ACCESS_TOKEN}"

[[checks]]
id = "right-token-smoke"
kind = "control-smoke"
base_url = "${PROD_CONTROL_BASE_URL}"
access_token = "${PROD_CONTROL_ACCESS_TOKEN}"

[[checks]]
id = "token-in-url"
kind = "http"
base_url = "${PROD_CONTROL_BASE_URL}"
token = "${PROD_CONTROL_ACCESS_TOKEN}"
[[checks.steps]]
name = "issue"
method = "POST"
path = "/api/sync/token"
auth = true
json = { scopes = ["runtime.codex_worker_events"] }
capture = { sync = { json = "/data/token" } }
[[checks.steps]]
name = "reuse"
path = "/chat/{{sync}}/send?token={{sync}}"
expect = { status = "100-599" }

[[checks]]
id = "subprocess-prints-it"
kind = "command"
argv = [
  "sh", "-c",
  "printf 'token=%s\\n' \"$STAGING_CONTROL_ACCESS_TOKEN\"; printf '%s\\n' \"$PROD_CONTROL_ACCESS_TOKEN\" >&2; exit 3",
]
# Lanes inherit no token unless listed: listed here, so the lane can print them.
pass_env = ["STAGING_CONTROL_ACCESS_TOKEN", "PROD_CONTROL_ACCESS_TOKEN"]
"""

# Characters JSON and HTML escape are in the alphabet on purpose: a token must be masked
# before any format rewrites it.
tokens = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~+/=\"'<>&\\", min_size=8, max_size=40
)


def string_values(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in string_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in string_values(item)]
    return []


@settings(
    max_examples=scaled(12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(presented=tokens, accepted=tokens, prod=tokens)
# Found by hypothesis: secrets that are substrings of the document's keys ("environment",
# "checks") once renamed those keys, and the writer crashed with no results.tsv.
@example(presented="environm", accepted="checks-accepted", prod="checks")
@example(presented="required", accepted="evidence", prod="details-x")
def test_no_generated_secret_reaches_any_output(
    tmp_path: Path, presented: str, accepted: str, prod: str
) -> None:
    if presented == accepted:
        accepted += "x"
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    config = work / "matrix.toml"
    config.write_text(CONFIG)
    stdout, stderr = io.StringIO(), io.StringIO()

    async def main() -> list[str]:
        faults = ControlFaults(echo_token_in_errors=True)
        spec = FleetSpec(staging_control=faults, prod_control=faults)
        async with serve_fleet(spec, tokens={"staging": accepted, "prod": prod}) as fleet:
            environ = clean_environ(
                STAGING_CONTROL_BASE_URL=fleet.urls["STAGING_CONTROL_BASE_URL"],
                PROD_CONTROL_BASE_URL=fleet.urls["PROD_CONTROL_BASE_URL"],
                STAGING_CONTROL_ACCESS_TOKEN=presented,
                PROD_CONTROL_ACCESS_TOKEN=prod,
            )
            request = RunRequest(
                config=config,
                repo_root=work,
                environ=environ,
                output_dir=work / "report",
                settings=RunSettings(request_timeout_s=5),
                show_lines=True,
            )
            await run_matrix(request, out=stdout)
            return list(fleet.issued_sync_tokens)

    diagnostics.configure("debug", "json")
    try:
        with contextlib.redirect_stderr(stderr):
            issued = anyio.run(main)
    finally:
        diagnostics.configure("warning", "console")
    assert issued, "the sync-token route handed out tokens"
    texts = {"stdout": stdout.getvalue(), "stderr": stderr.getvalue()}
    for path in (work / "report").rglob("*"):
        if path.name == "results.json":
            # Values only: a secret that happens to spell a key ("required") is no leak, and
            # the key must stay as it is (see test_redaction_property).
            texts[str(path)] = "\n".join(string_values(json.loads(path.read_text())))
        elif path.is_file():
            texts[str(path)] = path.read_text()
    assert "token=[REDACTED]" in texts[str(work / "report" / "logs" / "subprocess-prints-it.log")]
    for secret in (presented, prod, *issued):
        # As written, and as JSON and HTML would spell it.
        forms = {secret, json.dumps(secret)[1:-1], html.escape(secret), html.escape(secret, False)}
        for where, text in texts.items():
            for form in forms:
                assert form not in text, f"{secret!r} leaked into {where} as {form!r}"
