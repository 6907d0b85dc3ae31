"""Benchmark the publications page: transfer size and keystroke-to-update time in headless Chromium.

Usage: python benchmarks/filter_page.py [--sizes 26,1000,10000] [--keys 20] [--work DIR]

For each size it builds a site (26 = this lab's own content; other sizes = papers from
../shared/bench/gen_corpus.py with this repository's site.yaml, templates and static),
serves it on 127.0.0.1, and reports:
  - the gzipped size of what the page loads (HTML with its embedded index, CSS, JS),
    and of search.json, which the page fetches only when someone first searches;
  - the time from a key press in the search box to the updated list (style and layout
    included), median and 90th percentile of --keys keystrokes.
Targets (issue 3): under 50 ms median at 10,000 papers; page under 1.5 MB gzipped at
10,000 papers and under 60 KB for this lab's 26.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from tests.browser_site import serve_folder  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

QUERY = "egocentric video transformers"

HARNESS_JS = """
() => {
  window.__lat = [];
  let t0 = null;
  document.addEventListener('keydown', () => { t0 = performance.now(); }, { capture: true });
  const done = () => {
    if (t0 === null) return;
    void document.body.offsetHeight;  // style and layout of the updated list
    window.__lat.push(performance.now() - t0);
    t0 = null;
  };
  const obs = new MutationObserver(done);
  for (const id of ['results', 'static-list']) {
    obs.observe(document.getElementById(id), { childList: true, subtree: false, attributes: true });
  }
}
"""


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def make_site(n: int, work: Path) -> Path:
    """Build a site of n papers; return the output folder."""
    project = work / f"site-{n}"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    if n == 26:
        shutil.copytree(REPO / "content", project / "content")
    else:
        corpus = work / f"corpus-{n}"
        if not corpus.exists():
            subprocess.run(
                [
                    sys.executable,
                    str(SHARED / "bench" / "gen_corpus.py"),
                    str(n),
                    str(corpus),
                    "--no-pelican",
                    "--no-hugo",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        shutil.copytree(corpus / "content", project / "content")
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, project / name)
    shutil.copy(REPO / "site.yaml", project / "site.yaml")
    out = project / "_site"
    subprocess.run(
        [sys.executable, "-m", "site_builder", "--root", str(project), "build", "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=REPO,
    )
    return out


def measure(out: Path, keys: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    page_bytes = (
        gz(out / "publications" / "index.html")
        + gz(out / "static" / "css" / "site.css")
        + gz(out / "static" / "js" / "publications.js")
    )
    times: list[float] = []
    with serve_folder(out) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url + "publications/")
        page.wait_for_selector("#filters:not([hidden])")
        page.evaluate(HARNESS_JS)
        page.locator("#q").focus()
        # search.json, when the page needs it, is fetched on focus: measure once it is in
        page.wait_for_function("document.documentElement.dataset.search === 'full'", timeout=60_000)
        text = (QUERY * 3)[:keys]
        for k, ch in enumerate(text, start=1):
            page.keyboard.press("Space" if ch == " " else ch)
            page.wait_for_function(f"window.__lat.length >= {k}", timeout=10_000)
        times = page.evaluate("window.__lat")
        browser.close()
    times.sort()
    return {
        "page_gz": page_bytes,
        "search_gz": gz(out / "publications" / "search.json"),
        "median_ms": statistics.median(times),
        "p90_ms": times[int(0.9 * (len(times) - 1))],
        "keys": len(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="26,1000,10000")
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sb-filter-bench-"))
    print(f"{'papers':>7} {'page (gz)':>11} {'search.json (gz)':>17} {'keystroke median':>17} {'p90':>8}")
    for n in (int(s) for s in args.sizes.split(",")):
        out = make_site(n, work)
        r = measure(out, args.keys)
        print(
            f"{n:>7} {r['page_gz'] / 1024:>8.1f} KB {r['search_gz'] / 1024:>14.1f} KB "
            f"{r['median_ms']:>14.1f} ms {r['p90_ms']:>5.1f} ms",
            flush=True,
        )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
