"""report.html: what a person sees in a real browser, and what the file holds.

Reports are real: the CLI's `demo` (GO, and the `control-down` NO-GO) and `run --shard`/`merge`
against the simulated fleet. The browser tests open them from disk in Debian's headless Chromium
driven by Playwright (tests/browser.py); they skip when Chromium or Playwright is missing, and
fail instead when CUTOVER_PROBE_REQUIRE_BROWSER=1 (as .ci/run sets it).
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cutover_probe.fleet import SCENARIOS, FleetThread
from cutover_probe.htmlreport import critical_check, render_html
from cutover_probe.report import write_report
from cutover_probe.results import RunResults
from cutover_probe.secrets import MASK, Redactor

from .browser import browser_missing, browser_required, chromium
from .conftest import Checkout, clean_environ, fleet_environ, invoke_cli

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page

# One xdist worker for the module (make test's --dist loadgroup): its module-scoped demo reports
# and headless Chromium (~3.5 s of CPU) would otherwise be made again on every worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("htmlreport")]

Doc = dict[str, Any]
VOID = frozenset({"meta", "br", "link", "img", "hr", "input", "source", "wbr"})


class Parsed(HTMLParser):
    """A strict reading of the page: every element closed in order, plus per-section text.

    ``sections[id]`` is the text and the data-check/data-status attributes inside
    ``<section id=…>``, leaving out what legitimately differs between two runs with the same
    outcomes: elements of class ``meta`` (timestamp, wall time, shard origin), ``dur``
    (durations), ``log`` (log excerpts, which hold request timings) and ``age`` (how long ago
    the newest migration ran, in seconds at the time of the run)."""

    LEAVE_OUT = frozenset({"meta", "dur", "log", "age"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.section: str | None = None
        self.sections: dict[str, list[str]] = {}
        self.check_ids: list[str] = []
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed elements: {self.stack}"

    def skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "data-check" in values:
            self.check_ids.append(values["data-check"])
        if tag == "section":
            self.section = values.get("id")
            self.sections.setdefault(self.section or "", [])
        if tag in VOID:
            return
        skip = bool(self.LEAVE_OUT & set(values.get("class", "").split()))
        self.stack.append((tag, skip))
        if self.section and not self.skipping():
            self.sections[self.section] += [
                f"@{k}={values[k]}" for k in ("data-check", "data-status") if k in values
            ]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # <line …/> in SVG: nothing to close

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack, f"</{tag}> closes nothing"
        opened, _ = self.stack.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        if self.section and data.strip() and not self.skipping():
            self.sections[self.section].append(data.strip())


def demo(out: Path, *args: str) -> Path:
    result = invoke_cli(
        "demo", *args, "--quiet", "--output-dir", str(out), env=clean_environ(), cwd=out.parent
    )
    assert result.returncode in (0, 1), result.stderr
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A GO and a NO-GO demo report in one reports folder: 'no-go' sorts after 'go', so the
    NO-GO report compares itself with the GO one (the newest earlier report beside it)."""
    base = tmp_path_factory.mktemp("reports")
    return {"go": demo(base / "go"), "no-go": demo(base / "no-go", "--scenario", "control-down")}


def load(directory: Path) -> Doc:
    doc: Doc = json.loads((directory / "results.json").read_text())
    return doc


def typed(doc: Doc) -> RunResults:
    """An (edited) results.json as the renderers take it: validated, then the model."""
    return RunResults.from_json(doc, "results.json")


def counts(checks: list[dict[str, Any]]) -> dict[str, int]:
    def n(status: str, required: bool | None = None) -> int:
        return sum(
            c["status"] == status and (required is None or c["required"] is required)
            for c in checks
        )

    return {
        "total": len(checks),
        "passed": n("passed"),
        "required_failures": n("failed", True),
        "optional_failures": n("failed", False),
        "required_skipped": n("skipped", True),
        "optional_skipped": n("skipped", False),
        "cancelled": n("cancelled"),
    }


def interrupted(doc: Doc) -> Doc:
    """A real document as if the run had been interrupted after its first four checks."""
    doc = copy.deepcopy(doc)
    for check in doc["checks"][4:]:
        if check["status"] != "skipped":
            check.update(status="cancelled", reason="cancelled: the run was interrupted")
            check.update(details={}, evidence=[*check["evidence"][:1], check["reason"]])
    why = "the run was interrupted; unfinished checks are cancelled"
    doc["verdict"].update(overall="failed", label="INTERRUPTED", exit_code=130, why=why)
    doc["verdict"]["counts"] = counts(doc["checks"])
    return doc


def only_skipped(doc: Doc) -> Doc:
    """A real document in which every check was skipped (deselected)."""
    doc = copy.deepcopy(doc)
    for check in doc["checks"]:
        reason = "deselected: matched by --skip *"
        check.update(status="skipped", reason=reason, command=reason, evidence=[reason])
        check.update(started_ms=0.0, duration_ms=0.0, attempts=0, details={})
    doc.update(domain_mappings=[], wall_ms=3.1)
    doc["verdict"].update(overall="failed", label="NO-GO", exit_code=1, why="required skipped")
    doc["verdict"]["counts"] = counts(doc["checks"])
    return doc


@pytest.fixture(scope="module")
def edited(reports: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The interrupted and the only-skipped documents, written as reports by the writer."""
    out = {}
    for name, edit in (("interrupted", interrupted), ("only-skipped", only_skipped)):
        directory = tmp_path_factory.mktemp(name)
        write_report(directory, typed(edit(load(reports["no-go"]))), Redactor())
        out[name] = directory
    return out


# --- the file --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["go", "no-go"])
def test_html_parses_and_names_every_check(reports: dict[str, Path], name: str) -> None:
    text = (reports[name] / "report.html").read_text()
    doc = load(reports[name])
    page = Parsed(text)
    ids = [c["id"] for c in doc["checks"]]
    for check_id in ids:
        assert check_id in page.check_ids
    rows = [t[len("@data-check=") :] for t in page.sections["checks"] if t.startswith("@data-c")]
    assert rows == ids  # matrix order
    assert page.sections["verdict"][0] == doc["verdict"]["label"]
    for forbidden in ("<script", "<link", "<img", "@import", "url(", 'http-equiv="refresh'):
        assert forbidden not in text.lower()
    assert "default-src 'none'" in text  # and the browser is told to fetch nothing
    assert "prefers-color-scheme:dark" in text


def test_no_go_report_compares_with_the_earlier_go_report(reports: dict[str, Path]) -> None:
    page = Parsed((reports["no-go"] / "report.html").read_text())
    changes = " ".join(page.sections["changes"])
    assert "Newly failing" in changes
    assert load(reports["go"])["timestamp"] in changes
    assert "control-prod-health" in changes
    assert "control-prod-smoke" in changes
    back = Parsed(render_html(typed(load(reports["go"])), typed(load(reports["no-go"]))))
    assert "Newly passing" in " ".join(back.sections["changes"])
    assert "changes" not in Parsed(render_html(typed(load(reports["go"])), None)).sections


def test_panels_show_canary_drift_errors_and_domains(reports: dict[str, Path]) -> None:
    doc = load(reports["go"])
    text = " ".join(Parsed((reports["go"] / "report.html").read_text()).sections["panels"])
    assert "Canary traffic split" in text
    assert "openagents-control-service-00042-abc" in text
    assert "Migration drift" in text
    assert "same image" in text
    assert "Error-log groups" in text
    assert "staging.openagents.com" in text
    drift = next(c for c in doc["checks"] if c["id"] == "runtime-migration-drift")
    drift["details"]["job_image"] = "example/runtime@sha256:0ld"
    logs = next(c for c in doc["checks"] if c["id"] == "control-error-log-probe")
    logs["details"]["error_groups"] = [
        {
            "message": "pool <exhausted>",
            "count": 25,
            "severity": ["ERROR"],
            "revisions": ["r1"],
            "last": None,
        }
    ]
    html = render_html(typed(doc))
    assert "images differ" in html
    assert "example/runtime@sha256:0ld" in html
    assert "pool &lt;exhausted&gt;" in html
    assert ">25<" in html


def test_no_secret_reaches_the_page(reports: dict[str, Path], tmp_path: Path) -> None:
    token = "tok_" + secrets.token_hex(16)
    doc = load(reports["no-go"])
    check = next(c for c in doc["checks"] if c["status"] == "failed")
    check["reason"] = f"answered 401 with Authorization: Bearer {token}"
    check["evidence"].append(f"sent token {token}")
    doc["environment"]["STAGING_CONTROL_ACCESS_TOKEN"] = token
    doc["domain_mappings"][0]["route"] = token
    doc["checks"][-1]["description"] = "<script>alert(1)</script>"
    assert token in render_html(typed(doc))  # the page would show it, were it not for the writer
    write_report(tmp_path, typed(doc), Redactor([token]))
    text = (tmp_path / "report.html").read_text()
    assert token not in text
    assert MASK in text
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)" in text


def test_merged_shards_render_like_the_whole_run(checkout: Checkout, tmp_path: Path) -> None:
    """Compared: the verdict block without its meta line (timestamp, wall time, "merged from"),
    the needs-attention block without log excerpts (they hold timings), the check table without
    durations, the evidence panels (without the migration's age) and the environment. Not
    compared: the timeline, whose coordinates (and so its critical path) come from two different
    runs; only its set of bars is."""
    with FleetThread(SCENARIOS["control-down"].spec) as fleet:
        env = fleet_environ(fleet, checkout)
        outputs = [("whole", ()), ("s1", ("--shard", "1/2")), ("s2", ("--shard", "2/2"))]
        for name, args in outputs:
            out = tmp_path / name / "report"  # one folder each: no earlier report beside it
            result = invoke_cli(
                "run", "--quiet", *args, "--output-dir", str(out), env=env, cwd=checkout.root
            )
            assert result.returncode == 1, result.stderr
    merged = tmp_path / "merged" / "report"
    result = invoke_cli(
        "merge",
        "--output-dir",
        str(merged),
        str(tmp_path / "s2" / "report"),
        str(tmp_path / "s1" / "report"),
        env=clean_environ(),
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert load(merged)["merged_from"]
    whole = Parsed((tmp_path / "whole" / "report" / "report.html").read_text()).sections
    parts = Parsed((merged / "report.html").read_text()).sections
    for section in ("verdict", "attention", "checks", "panels", "environment"):
        assert parts[section] == whole[section], section
    assert "NO-GO" in whole["verdict"]
    assert sorted(t for t in parts["timeline"] if t.startswith("@")) == sorted(
        t for t in whole["timeline"] if t.startswith("@")
    )  # the same bars, wherever they are drawn
    assert "Merged report" in " ".join(parts["timeline"])


def test_interrupted_and_only_skipped_documents_render(edited: dict[str, Path]) -> None:
    page = Parsed((edited["interrupted"] / "report.html").read_text())
    assert page.sections["verdict"][0] == "INTERRUPTED"
    attention = page.sections["attention"]
    assert "@data-status=cancelled" in page.sections["checks"]
    assert "cancelled: the run was interrupted" in attention
    page = Parsed((edited["only-skipped"] / "report.html").read_text())
    assert "No check ran" in " ".join(page.sections["timeline"])
    blocking = [t for t in page.sections["attention"] if t.startswith("@data-check=")]
    assert len(blocking) == 11  # the required checks that were skipped block the gate
    assert not [t for t in page.sections["timeline"] if t.startswith("@")]
    assert critical_check(typed(load(edited["only-skipped"])).checks) is None


# --- in the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(reports: dict[str, Path], edited: dict[str, Path]) -> Iterator[BrowserContext]:
    # The reports first, whichever test asks for the browser first: Playwright's sync API runs
    # an event loop in this thread while the browser is open, and invoke_cli cannot start its
    # own there ("Already running asyncio in this thread", seen when xdist ordered it so).
    del reports, edited
    if missing := browser_missing():
        if browser_required():
            pytest.fail(f"browser test required (CUTOVER_PROBE_REQUIRE_BROWSER=1) but {missing}")
        pytest.skip(f"browser test skipped: {missing}")
    with chromium() as context:
        yield context


class Opened:
    """A report opened in a new tab, with every request and every console error recorded."""

    def __init__(self, context: BrowserContext, report: Path) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page: Page = context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", self.console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.url = (report / "report.html").as_uri()
        self.page.goto(self.url)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def assert_quiet(self) -> None:
        assert all(url.startswith("file://") for url in self.requests), self.requests
        assert set(self.requests) <= {self.url}, self.requests
        assert not self.errors, self.errors
        self.page.close()


def check_page(context: BrowserContext, report: Path) -> Opened:
    """What every report must show: the verdict, one row per check, one bar per check that
    ran, the critical path on the check that ended last."""
    doc = load(report)
    opened = Opened(context, report)
    page = opened.page
    assert page.locator("#verdict .label").inner_text() == doc["verdict"]["label"]
    assert page.locator("#verdict .label").is_visible()
    rows = page.locator("#checks tbody tr[data-check]")
    assert rows.count() == len(doc["checks"])
    for row, check in zip(rows.all(), doc["checks"], strict=True):
        assert row.get_attribute("data-check") == check["id"]
        assert row.get_attribute("data-status") == check["status"]
    ran = [c for c in doc["checks"] if c["status"] != "skipped"]
    bars = page.locator("#timeline rect.bar")
    assert bars.count() == len(ran)
    assert sorted(b.get_attribute("data-check") or "" for b in bars.all()) == sorted(
        c["id"] for c in ran
    )
    critical = critical_check(typed(doc).checks)
    marked = page.locator("#timeline rect.bar.critical")
    if critical is None:
        assert marked.count() == 0
        assert page.locator("#no-bars").is_visible()
    else:
        assert marked.count() == 1
        assert marked.get_attribute("data-check") == critical.id
        assert marked.is_visible()
        assert page.get_by_text("critical path", exact=False).first.is_visible()
    return opened


def test_go_report_in_the_browser(browser: BrowserContext, reports: dict[str, Path]) -> None:
    opened = check_page(browser, reports["go"])
    assert opened.page.locator("#attention").inner_text().count("Nothing") == 1
    assert opened.page.locator(".canary svg rect").count() >= 1
    opened.assert_quiet()


def test_no_go_failed_log_expands_on_click(
    browser: BrowserContext, reports: dict[str, Path]
) -> None:
    opened = check_page(browser, reports["no-go"])
    page = opened.page
    failed = page.locator('#attention [data-check="control-prod-health"]')
    assert "answered 404" in failed.inner_text()
    excerpt = failed.locator("details.log pre")
    assert not excerpt.is_visible()  # collapsed by default
    failed.locator("details.log summary").click()
    assert excerpt.is_visible()
    assert "FAILED: /healthz: answered 404 (not_found), expected 200" in excerpt.inner_text()
    assert page.locator("#newly-failing").is_visible()
    opened.assert_quiet()


@pytest.mark.parametrize("name", ["interrupted", "only-skipped"])
def test_edited_reports_in_the_browser(
    browser: BrowserContext, edited: dict[str, Path], name: str
) -> None:
    check_page(browser, edited[name]).assert_quiet()


def test_the_template_escapes_every_value_as_html_escape_does() -> None:
    """Autoescape with html.escape's spelling: quotes in attributes and text cannot end them."""
    from .test_results import a_document

    doc = a_document()
    hostile = "<b>\"x\" 'y' &amp;</b>"
    doc["title"] = hostile
    doc["checks"][0]["id"] = hostile
    doc["checks"][0]["details"]["traffic"][0]["revision"] = hostile
    page = render_html(typed(doc))
    assert hostile not in page
    spelled = "&lt;b&gt;&quot;x&quot; &#x27;y&#x27; &amp;amp;&lt;/b&gt;"
    assert f"<h1>{spelled}</h1>" in page
    assert f'data-check="{spelled}"' in page
    assert f"<code>{spelled}</code> 90%" in page  # the canary panel, from typed evidence
