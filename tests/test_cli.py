"""The command group: help that lists every exit code a script can branch on."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import clean_environ, invoke_cli


def test_top_level_help_lists_every_exit_code(tmp_path: Path) -> None:
    result = invoke_cli("--help", env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 0
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s+\S", result.stdout, re.M), code
