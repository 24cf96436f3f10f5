"""report.html's template compiled ahead of time (cutover_probe/compiled_report.py, written by
`make templates`): it must be current with templates/report.html.j2 and the Jinja2 installed,
a run must use it, and the page it renders must be the page the template compiled at run time
renders, byte for byte."""

from __future__ import annotations

import copy

from cutover_probe.htmlreport import (
    COMPILED_MODULE,
    REPORT_TEMPLATE,
    _environment,
    _template,
    compiled_template_source,
    page_context,
)
from cutover_probe.results import RunResults

from .test_results import a_document


def test_the_shipped_compiled_template_is_current() -> None:
    assert COMPILED_MODULE.read_text(encoding="utf-8") == compiled_template_source(), (
        "templates/report.html.j2 (or Jinja2) changed: run `make templates`"
    )


def test_a_run_renders_from_the_compiled_module() -> None:
    assert _template().filename == str(COMPILED_MODULE)


def test_the_compiled_template_renders_the_same_page_as_the_source() -> None:
    doc = RunResults.from_json(a_document(), "r.json")
    earlier = copy.deepcopy(a_document())
    earlier["checks"][1]["status"] = "passed"  # so the page has a "changed since" section
    context = page_context(doc, RunResults.from_json(earlier, "e.json"))
    from_source = _environment().get_template(REPORT_TEMPLATE).render(**context)
    assert "drift" in from_source
    assert _template().render(**context) == from_source
