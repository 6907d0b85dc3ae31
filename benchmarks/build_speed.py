"""Build speed and memory against Hugo, side by side, on the same synthetic corpora.

Usage: python benchmarks/build_speed.py [--sizes 1000,10000] [--runs 3] [--work DIR]

For each size: generates the corpus with ../shared/bench/gen_corpus.py (site_builder's YAML
and an equivalent Hugo site), then alternates `site-builder build` and
`../shared/bench/hugo-build` (Hugo 0.168, installed on first use) --runs times each, and
prints wall-time medians, the ratio to Hugo pair by pair, peak RSS (from /usr/bin/time -v),
output size and file count; then site_builder's rebuild times: nothing changed, and one
paper edited. Machines here are noisy: quote the medians and ratios, not one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO.parent / "shared" / "bench"


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Run a command under /usr/bin/time -v; return wall seconds and peak RSS in KiB."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))  # type: ignore[union-attr]
    return wall, rss


def tree_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def project_for(corpus: Path) -> Path:
    """Put this repository's site.yaml, templates and static beside the corpus content."""
    project = corpus / "sb"
    if not project.exists():
        project.mkdir()
        (project / "content").symlink_to(corpus / "content")
    for name in ("templates", "static"):  # always this checkout's theme, never a stale copy
        shutil.rmtree(project / name, ignore_errors=True)
        shutil.copytree(REPO / name, project / name)
    shutil.copy(REPO / "site.yaml", project / "site.yaml")
    return project


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sb-build-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sb = [sys.executable, "-m", "site_builder"]
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; runs per tool: {args.runs}")
    header = (
        f"{'papers':>7} | {'tool':<12} | {'wall median':>11} | {'ratio to Hugo':>13} | {'peak RSS':>9} | "
        f"{'output':>9} | {'files':>6}"
    )
    print(header)
    print("-" * len(header))
    for n in (int(s) for s in args.sizes.split(",")):
        corpus = work / f"corpus-{n}"
        if not corpus.exists():
            subprocess.run(
                [sys.executable, str(BENCH / "gen_corpus.py"), str(n), str(corpus), "--no-pelican"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        project = project_for(corpus)
        ours, hugo, ratios = [], [], []
        for _ in range(args.runs):
            out = work / f"out-sb-{n}"
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(project / ".site-builder-cache", ignore_errors=True)
            a = timed([*sb, "--root", str(project), "build", "--quiet", "--out", str(out)], cwd=REPO)
            b = timed([str(BENCH / "hugo-build"), str(corpus), str(work / f"out-hugo-{n}")])
            ours.append(a)
            hugo.append(b)
            ratios.append(a[0] / b[0])
        for name, runs, out in (
            ("site_builder", ours, work / f"out-sb-{n}"),
            ("hugo", hugo, work / f"out-hugo-{n}"),
        ):
            size, files = tree_size(out)
            ratio = f"{statistics.median(ratios):.2f}x" if name == "site_builder" else "1.00x"
            print(
                f"{n:>7} | {name:<12} | {statistics.median(r[0] for r in runs):>9.2f} s | {ratio:>13} | "
                f"{max(r[1] for r in runs) / 1024:>5.0f} MiB | {size / 2**20:>5.1f} MiB | {files:>6}",
                flush=True,
            )
        # rebuilds on top of the last build
        out = work / f"out-sb-{n}"
        warm = [
            timed([*sb, "--root", str(project), "build", "--quiet", "--out", str(out)], cwd=REPO)[0]
            for _ in range(args.runs)
        ]
        paper = sorted((corpus / "content" / "publications").glob("*.yaml"))[n // 2]
        original = paper.read_text(encoding="utf-8")
        edits = []
        for i in range(args.runs):
            paper.write_text(original.replace("title: ", f"title: Edited {i} ", 1), encoding="utf-8")
            edits.append(
                timed([*sb, "--root", str(project), "build", "--quiet", "--out", str(out)], cwd=REPO)[0]
            )
        paper.write_text(original, encoding="utf-8")
        hugo_median = statistics.median(r[0] for r in hugo)
        warm_median = statistics.median(warm)
        print(
            f"{n:>7} | rebuild, nothing changed: {warm_median:.2f} s ({warm_median / hugo_median:.2f}x "
            f"Hugo's full build); one paper edited: {statistics.median(edits):.2f} s "
            f"({statistics.median(edits) / hugo_median:.2f}x)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
