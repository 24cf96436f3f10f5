"""`cutover-probe diff OLD_DIR NEW_DIR`: checks that newly fail, newly pass or changed reason."""

from __future__ import annotations

from pathlib import Path

import asyncclick as click

from cutover_probe.boundary import boundary


@click.command("diff")
@click.argument("old", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("new", type=click.Path(path_type=Path, file_okay=False, exists=True))
@boundary
async def command(old: Path, new: Path) -> int:
    """Compare two reports: what newly fails, newly passes, or fails for another reason.
    Exit 1 when something newly fails, else 0."""
    from cutover_probe.diffing import diff_documents
    from cutover_probe.report import load_document

    old_doc, new_doc = load_document(old), load_document(new)
    lines = diff_documents(old_doc, new_doc)
    click.echo("\n".join(lines))
    return 1 if any(line == "newly failing:" for line in lines) else 0
