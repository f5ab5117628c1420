"""Screenshot of a harborwatch report in headless Chromium (for the README).

    python docs/screenshot.py harborwatch-demo/report/report.html docs/report.png
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(html: str, png: str, height: int = 2000) -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("no Chromium on PATH (Debian package chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                          "--disable-background-networking", "--no-first-run"])
        page = b.new_page(viewport={"width": 1280, "height": height})
        page.goto(Path(html).resolve().as_uri())
        page.screenshot(path=png)
        b.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
