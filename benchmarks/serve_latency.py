"""Save-to-reload latency of ``site-builder serve``: a paper's title written → the new title served.

For each size, generates a corpus (``../shared/bench/gen_corpus.py``), puts this
repository's ``site.yaml``, ``templates/`` and ``static/`` beside it, starts the
preview server on a free port, waits for the first build, then edits one paper's
title ``--repeat`` times and polls its page until the new title is served. With
``--edit authors`` it gives the paper a new first author instead (which changes the
author pages, the author index, the filters and the sitemap too), and polls the page
until the new author is served.

    python benchmarks/serve_latency.py [--sizes 26 1000 10000] [--repeat 10] [--work DIR]
                                       [--edit title|authors]
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "bench" / "gen_corpus.py"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def corpus(n: int, work: Path) -> Path:
    """Return a site of ``n`` papers under ``work``, generating it the first time."""
    out = work / f"papers-{n}"
    if not (out / "content").is_dir():
        subprocess.run([sys.executable, str(GEN), str(n), str(out), "--no-pelican", "--no-hugo"], check=True)
    for name in ("templates", "static"):
        shutil.rmtree(out / name, ignore_errors=True)
        shutil.copytree(REPO / name, out / name)
    shutil.copy(REPO / "site.yaml", out / "site.yaml")
    return out


def free_port() -> int:
    """Return a free port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> str:
    """Return a page's text ('' on an error status)."""
    try:
        with OPENER.open(url, timeout=30) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError:
        return ""


def measure(site: Path, repeat: int, edit: str = "title") -> tuple[float, list[float]]:
    """Return the first build's seconds and ``repeat`` save-to-served latencies in seconds."""
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "--root", str(site), "serve", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "(Ctrl-C to stop)" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(3600):
            raise SystemExit("the server did not start")
        first = time.perf_counter() - start
        papers = sorted((site / "content" / "publications").glob("*.yaml"))
        paper = papers[len(papers) // 2]
        url = f"http://127.0.0.1:{port}/publications/{paper.stem}/"
        original = paper.read_text(encoding="utf-8")
        times = []
        for i in range(repeat):
            probe = f"Latency Probe {i} {time.time_ns()}"
            if edit == "authors":
                text = original.replace("authors: [", f'authors: ["{probe}", ', 1)
            else:
                text = re.sub(r"(?m)^title: .*$", f"title: '{probe}'", original)
            paper.write_text(text, encoding="utf-8")
            written = time.perf_counter()
            while probe not in get(url):
                if time.perf_counter() - written > 600:
                    raise SystemExit(f"{url} never showed the new {edit}")
                time.sleep(0.005)
            times.append(time.perf_counter() - written)
        paper.write_text(original, encoding="utf-8")
        return first, times
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()


def main() -> None:
    """Measure each size and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[26, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--edit", choices=["title", "authors"], default="title", help="what each edit changes"
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="where corpora are kept (default: a temp folder)"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="serve-latency-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        first, times = measure(corpus(n, work), args.repeat, args.edit)
        ms = sorted(t * 1000 for t in times)
        p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
        rows.append(f"| {n:,} | {first:.1f} s | {statistics.median(ms):.0f} ms | {p90:.0f} ms |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("| papers | first build (start → serving) | save → served, median | p90 |")
    print("|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
