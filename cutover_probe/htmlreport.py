"""report.html: one self-contained page rendered from results.json (placeholder, see issue 7)."""

from __future__ import annotations

import html
from typing import Any

Document = dict[str, Any]


def render_html(doc: Document, previous: Document | None = None) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c['id'])}</td><td>{html.escape(c['status'])}</td></tr>"
        for c in doc["checks"]
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(doc['title'])}</title></head><body><h1>{html.escape(doc['verdict']['label'])}"
        f"</h1><table>{rows}</table></body></html>\n"
    )
