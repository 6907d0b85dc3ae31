"""Take the README's screenshots of a built site in Debian's Chromium (light and dark).

Usage: python scripts/screenshots.py [SITE_DIR] [OUT_DIR]   (defaults: _site docs)
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# one list of Chromium flags for the tests and the scripts
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main() -> int:
    """Serve SITE_DIR on a free port and save PNGs of the publications page."""
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "_site")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            page = browser.new_page(
                viewport={"width": 1100, "height": 900}, color_scheme=scheme, device_scale_factor=1
            )
            page.goto(base + "publications/")
            page.screenshot(path=str(out / f"publications-{scheme}.png"))
            page.close()
        browser.close()
    server.shutdown()
    print(f"wrote {out}/publications-light.png and publications-dark.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
