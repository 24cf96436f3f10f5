"""Headless Chromium for the report tests and the screenshot script: Debian's /usr/bin/chromium
driven by Playwright for Python through ``executable_path`` (no browser download), with a fresh
profile directory per launch and every background fetch Chromium does on its own switched off."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM = Path(os.environ.get("CUTOVER_PROBE_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_VARIABLE = "CUTOVER_PROBE_REQUIRE_BROWSER"
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def browser_required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE) == "1"


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[BrowserContext]:
    """A browser context of a fresh headless Chromium, closed and its profile removed after."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cutover-probe-chromium-")
    try:
        with sync_playwright() as pw:
            # Playwright passes the profile as --user-data-dir itself (it refuses it in args).
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=list(ARGS),
                viewport={"width": width, "height": height},
                offline=True,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
