"""Make docs/app.png: the real app, with the default model, after extracting a seed article.

    python docs/screenshot.py                              # starts the app on the default model
    python docs/screenshot.py --url http://127.0.0.1:7860/  # or shoots a running app

Needs Debian's chromium. Also checks that slots are highlighted, so it doubles as
the check that a freshly started app works end to end.
"""

from __future__ import annotations

import sys
from pathlib import Path


from eventslots.model.paths import SEEDS_DIR
from eventslots.serve.app import serve

PORT = 7877
OUT = Path(__file__).resolve().parent / "app.png"


def main() -> None:
    from playwright.sync_api import sync_playwright

    article = (SEEDS_DIR / "000_16352e49a1ab6733.txt").read_text(encoding="utf-8")
    url = sys.argv[sys.argv.index("--url") + 1] if "--url" in sys.argv else None
    demo = None if url else serve(port=PORT, block=False)
    url = url or f"http://127.0.0.1:{PORT}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.locator("#article textarea").fill(article)
            page.locator("#extract").click()
            page.wait_for_function(
                "() => (document.querySelector('#status')?.innerText || '').includes('Extracted.')", timeout=120_000
            )
            highlighted = page.locator("#highlighted .token.highlighted")
            if highlighted.count() == 0:
                sys.exit("no slots highlighted")
            print(f"{highlighted.count()} slots highlighted: {page.locator('#status').inner_text()}")
            page.screenshot(path=str(OUT), clip={"x": 0, "y": 0, "width": 1400, "height": 1000})
            browser.close()
    finally:
        if demo is not None:
            demo.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
