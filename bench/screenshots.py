"""Screenshots of report.html for docs/report.md (a GO and a NO-GO demo report) and for
docs/watch.md (a watch of the flapping fleet), rendered by the real CLI against the simulated
fleet and photographed in headless Chromium (tests/browser.py).

    make screenshots        # or: .venv/bin/python bench/screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import browser_missing, chromium  # noqa: E402

SHOTS = (
    ("report-go.png", ("demo",)),
    ("report-no-go.png", ("demo", "--scenario", "control-down")),
    # docs/watch.md: a flapping fault fails a watch's analysis on its fourth NO-GO.
    (
        "watch-flapping.png",
        (
            "watch",
            "--demo",
            "flapping",
            "--interval",
            "0.2",
            "--count",
            "20",
            "--failure-limit",
            "3",
        ),
    ),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args()
    if missing := browser_missing():
        print(f"screenshots: {missing}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, chromium(args.width, 900) as context:
        page = context.new_page()
        for name, cli in SHOTS:
            report = Path(tmp) / name.removesuffix(".png")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cutover_probe",
                    *cli,
                    "--quiet",
                    "--output-dir",
                    str(report),
                ],
                cwd=REPO,
                check=False,  # a NO-GO exits 1; the report is what matters
                stdout=subprocess.DEVNULL,
            )
            page.goto((report / "report.html").as_uri())
            # The failed checks' log excerpts open, as a reader would click them.
            for summary in page.locator("#attention details.log summary").all()[:1]:
                summary.click()
            page.screenshot(path=str(args.out / name), full_page=True)
            print(f"screenshots: {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
