"""Build speed and memory against Hugo, side by side, on the same synthetic corpora.

Usage: python benchmarks/build_speed.py [--sizes 1000,10000] [--runs 3] [--work DIR] [--floor]

For each size: generates the corpus with ../shared/bench/gen_corpus.py (site_builder's YAML
and an equivalent Hugo site), then alternates `site-builder build` (cold: no cache, no
output) and `../shared/bench/hugo-build` (Hugo 0.168, installed on first use) --runs times
each, and prints wall-time medians, the ratio to Hugo pair by pair, peak memory of the whole
process tree (RSS and PSS summed over the build's processes, sampled from /proc every
20 ms and 0.5 s), output size and file count; then site_builder's rebuilds with its cache: nothing
changed, every paper file touched with its bytes unchanged (as a checkout or a restored CI
cache leaves them), and one paper's title, authors, venue and tags edited (quick rebuilds,
each in turn; the venue and a tag new ones), and a paper's date moved a day within its place
in the lists when some paper can be (each edit timed --runs times, five at least, the median quoted);
then the usual rebuilds, --runs times each: the paper's date moved within its year (to
another place in every list), a paper added, and that paper removed. Machines
here are noisy: quote the medians and ratios measured in one run, not one time. Before
timing a size, every source file of both sites is read once, so that neither tool's first
run waits for the disk. With --floor, it
also times writing site_builder's output files alone, with two processes and no rendering
(write_floor.py): no build of that output can be quicker on this disk.

Every cold run writes into a folder of its own, and outputs are removed only after the
last run; before timing anything the harness writes pending changes to disk and waits
--settle seconds (six minutes), then until creating a file is quick (probed every 15 s,
five minutes more at most). On an ext4 file
system without a journal, as on this project's machines, creating a file skips the inodes
freed in the last minutes one by one, so a build timed right after removing a big tree pays
for the removal (measured: the same 20,000 files took 1 s to 12 s to create, and a cold
build at 100,000 papers 68 s or 127 s); that cost would fall on whichever tool runs next,
and hardest on the one that writes more files.
--reuse-output removes and rebuilds the same folder each run instead, as a naive loop does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO.parent / "shared" / "bench"


def _tree(pid: int) -> list[int]:
    """Return ``pid`` and all its descendants, from /proc."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return found


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss(pids: list[int]) -> int:
    """Return the summed RSS (KiB) of the processes, from /proc/PID/statm (cheap to read)."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue
    return total


def _pss(pids: list[int]) -> int:
    """Return the summed PSS (KiB): a page shared by forked workers counts once in all.

    /proc/PID/smaps_rollup walks the page tables and slows a large process down, so it is
    read only every half second.
    """
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, int, float]:
    """Run a command; return wall seconds, the peak summed RSS and PSS (KiB) of its process tree, CPU seconds.

    The tree's RSS is sampled every 20 ms, its PSS every 0.5 s, from /proc: a build's forked
    workers count in full. The wall time ends when the command does: it is waited for, while
    a thread samples (a loop polling every 20 ms would add 10 ms on average, 5 % of a quick
    rebuild). CPU is user plus system time of the command and its waited-for children
    (threads and worker processes).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as errors:  # not a pipe: a build printing many warnings must not block
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        peaks = [0, 0]  # RSS, PSS
        done = threading.Event()

        def sample() -> None:
            last_pss = 0.0
            while not done.is_set():
                pids = _tree(proc.pid)
                peaks[0] = max(peaks[0], _rss(pids))
                now = time.perf_counter()
                if now - last_pss >= 0.5:
                    peaks[1], last_pss = max(peaks[1], _pss(pids)), now
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        peak_rss, peak_pss = peaks
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, peak_rss, peak_pss, cpu


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


SETTLED = 100e-6  # seconds to create an empty file on a settled disk: about 30 µs here, 0.2-0.9 ms not
PROBE_EVERY = 15.0  # seconds between two timings of file creation while the disk settles
MOST_WAIT = 300.0  # seconds a settle waits at most, after ``--settle``, for file creation to be quick


def _probe(probes: Path) -> float:
    """Return the seconds creating an empty file takes: 1,000 of them made in a new folder of ``probes``."""
    probe = probes / str(len(list(probes.iterdir())) if probes.exists() else 0)
    probe.mkdir(parents=True)
    start = time.perf_counter()
    for i in range(1000):
        os.close(os.open(probe / str(i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    return (time.perf_counter() - start) / 1000


def settle(folders: list[Path], seconds: float, probes: Path) -> float:
    """Remove folders, wait until the file system stops skipping freed inodes; return a file's creation time.

    Also after removals made before this script started. ext4 without a journal skips an
    inode freed less than a minute ago, or six while its inode table is not yet written
    back (a cold build at 100,000 papers spent 140 s in the kernel four minutes after a
    removal, 10 s another time; creating a file took 241, 156, then 29 µs, 15 s apart,
    after 60,000 files were removed, and stayed at 300 µs for a minute another time). So
    it waits ``seconds`` (six minutes by default), then times creating files in ``probes``
    (kept until the end: removing them would free inodes again) every :data:`PROBE_EVERY`
    seconds until it is quicker than :data:`SETTLED`, or :data:`MOST_WAIT` has passed.
    """
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    os.sync()
    time.sleep(seconds)
    waited, each = 0.0, _probe(probes)
    while each >= SETTLED and waited < MOST_WAIT:
        time.sleep(PROBE_EVERY)
        waited += PROBE_EVERY
        each = _probe(probes)
    return each


def warm_up(corpus: Path) -> None:
    """Read every source file of both sites once, so neither tool's first run reads them from disk.

    At 100,000 papers they may have left the page cache since they were written (our reading
    took 37-44 s in two builds, 22 s when read again straight after): the first tool to run
    would wait for the disk.
    """
    for folder, _, names in os.walk(corpus):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                while handle.read(1 << 20):
                    pass


def timed_edits(paper: Path, build: list[str], texts: list[str]) -> list[float]:
    """Time a rebuild after each edit of ``paper`` (its new text, one after the other)."""
    times = []
    for text in texts:
        paper.write_text(text, encoding="utf-8")
        times.append(timed(build, cwd=REPO)[0])
    return times


def with_field(paper: str, name: str, value: str, first: bool = False) -> str:
    """Return a paper file's text with ``name: value`` (``value`` first in its list when ``first``)."""
    pattern, new = (
        (rf"^{name}: \[", f"{name}: [{value}, ") if first else (rf"^{name}: .*$", f"{name}: {value}")
    )
    text = re.sub(pattern, new, paper, count=1, flags=re.M)
    if text == paper:  # no such field: added
        text = paper.replace("authors: [", f"{name}: {f'[{value}]' if first else value}\nauthors: [", 1)
    return text


def redatable(papers: list[Path]) -> tuple[Path, str, str] | None:
    """Return a paper whose date can move a day in its place in the site's order, nearest the middle.

    The site lists papers newest first, then by file name: a paper a day later stays in its
    place while the newer neighbour is still newer, a day earlier while the older one is
    still older (a quick rebuild). Returns the paper, its text, and its text with the new
    date; None when every move crosses a neighbour (a corpus with papers on every day).
    """
    dated = []
    for path in papers:
        found = re.search(r'^date: "(\d{4}-\d\d-\d\d)"$', path.read_text(encoding="utf-8"), flags=re.M)
        if found:
            dated.append((-dt.date.fromisoformat(found[1]).toordinal(), path.stem, path))
    dated.sort()
    middle = len(dated) // 2
    for i in [*range(middle, len(dated)), *range(middle)]:
        day = dt.date.fromordinal(-dated[i][0])
        for step, neighbour in ((1, i - 1), (-1, i + 1)):
            moved = day + dt.timedelta(days=step)
            key = (-moved.toordinal(), dated[i][1])
            if moved.year != day.year or not 0 <= neighbour < len(dated):
                continue
            if (key > dated[neighbour][:2]) if step == 1 else (key < dated[neighbour][:2]):
                text = dated[i][2].read_text(encoding="utf-8")
                return dated[i][2], text, text.replace(f'date: "{day}"', f'date: "{moved}"', 1)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated paper counts (e.g. 1000,10000,100000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="cold builds per tool and size, alternating")
    parser.add_argument("--work", type=Path, default=None, help="folder for corpora and outputs (reused)")
    parser.add_argument(
        "--settle",
        type=float,
        default=360,
        help="seconds to wait once old outputs are removed and synced (then until creating a file is quick)",
    )
    parser.add_argument(
        "--reuse-output", action="store_true", help="remove and rebuild one output folder per tool every run"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time writing site_builder's output files alone (write_floor.py), beside Hugo's build",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sb-build-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sb = [sys.executable, "-m", "site_builder"]
    # Our modules compiled once, as an installed package has them (pip compiles on install):
    # an editable checkout run with PYTHONDONTWRITEBYTECODE=1 would compile them on every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "site_builder")], check=True)
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d')}; cold runs per tool: {args.runs}; "
        + (
            "one output folder per tool, removed before each run"
            if args.reuse_output
            else "a new output folder per run"
        )
    )
    print(
        "memory: peak of the summed RSS (every 20 ms) / PSS (every 0.5 s) of the whole process tree; "
        "CPU: user + system seconds, median"
    )
    header = (
        f"{'papers':>7} | {'tool':<12} | {'wall median':>11} | {'ratio to Hugo':>13} | {'CPU':>7} | "
        f"{'peak RSS':>9} | {'peak PSS':>9} | {'RSS/Hugo':>8} | {'output':>9} | {'files':>6}"
    )
    print(header)
    print("-" * len(header))
    outputs = work / "outputs"
    probes = work / "settle-probes"
    created = settle([outputs, probes, *work.glob("out-*")], args.settle, probes)  # what earlier runs left
    print(f"disk settled: an empty file created in {created * 1e6:.0f} µs (about 30 µs here)", flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        corpus = work / f"corpus-{n}"
        if not corpus.exists():
            subprocess.run(
                [sys.executable, str(BENCH / "gen_corpus.py"), str(n), str(corpus), "--no-pelican"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        project = project_for(corpus)
        warm_up(corpus)
        ours, hugo, ratios = [], [], []
        for run in range(args.runs):
            folder = outputs / (f"{n}" if args.reuse_output else f"{n}-run{run}")
            out_sb, out_hugo = folder / "site_builder", folder / "hugo"
            shutil.rmtree(project / ".site-builder-cache", ignore_errors=True)
            if args.reuse_output:
                shutil.rmtree(out_sb, ignore_errors=True)  # hugo-build removes its own
            a = timed([*sb, "--root", str(project), "build", "--quiet", "--out", str(out_sb)], cwd=REPO)
            b = timed([str(BENCH / "hugo-build"), str(corpus), str(out_hugo)])
            ours.append(a)
            hugo.append(b)
            ratios.append(a[0] / b[0])
        hugo_rss = max(r[1] for r in hugo)
        for name, runs, out in (("site_builder", ours, out_sb), ("hugo", hugo, out_hugo)):
            size, files = tree_size(out)
            ratio = f"{statistics.median(ratios):.2f}x" if name == "site_builder" else "1.00x"
            rss, pss = max(r[1] for r in runs), max(r[2] for r in runs)
            print(
                f"{n:>7} | {name:<12} | {statistics.median(r[0] for r in runs):>9.2f} s | {ratio:>13} | "
                f"{statistics.median(r[3] for r in runs):>5.1f} s | "
                f"{rss / 1024:>5.0f} MiB | {pss / 1024:>5.0f} MiB | {rss / hugo_rss:>7.0%} | "
                f"{size / 2**20:>5.1f} MiB | {files:>6}",
                flush=True,
            )
        if args.floor:
            floor_out = outputs / f"{n}-floor"
            done = subprocess.run(
                [sys.executable, str(REPO / "benchmarks" / "write_floor.py"), str(out_sb), str(floor_out)],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds = float(done.stdout.split()[0])
            hugo_wall = statistics.median(r[0] for r in hugo)
            print(
                f"{n:>7} | writing site_builder's files alone (2 processes, no rendering): {seconds:.2f} s, "
                f"{seconds / hugo_wall:.2f}x Hugo's whole build",
                flush=True,
            )
        # rebuilds with the cache of a cold build into a folder of their own (building over
        # a cold run's folder would remove its old tree: freed inodes, see above)
        rebuilt = outputs / f"{n}-rebuilds"
        build = [*sb, "--root", str(project), "build", "--quiet", "--out", str(rebuilt)]
        shutil.rmtree(project / ".site-builder-cache", ignore_errors=True)
        timed(build, cwd=REPO)
        os.sync()  # its writes on disk: the rebuilds below do not share the cores with the kernel's writeback
        warm = [timed(build, cwd=REPO)[0] for _ in range(args.runs)]
        papers = sorted((corpus / "content" / "publications").glob("*.yaml"))
        retouched = []
        for _ in range(args.runs):
            now = time.time_ns()
            for path in papers:  # new times, same bytes: read and hashed, not parsed
                os.utime(path, ns=(now, now))
            retouched.append(timed(build, cwd=REPO)[0])
        paper = papers[n // 2]
        original = paper.read_text(encoding="utf-8")

        # five edits of each kind at least: a quick rebuild takes a few tenths of a second, and
        # the kernel's share varies (writing the same 10 MB search index took 2 to 21 ms in
        # consecutive rebuilds), so a median of three moves with one slow write
        edit_runs = range(max(args.runs, 5))
        usual_runs = range(args.runs)  # the usual rebuilds: seconds each at 10,000 papers
        try:
            # a new title: the paper's text (a quick rebuild, patch.py; the first one also changes
            # its citation key, and so the keys of the papers that shared its old one)
            edits = timed_edits(
                paper, build, [original.replace("title: ", f"title: Edited {i} ", 1) for i in edit_runs]
            )
            # a new author: author pages, the author index, related papers, the filters' numbering
            # and the sitemap change too (a quick rebuild as well, since 2026-11-25)
            reshaped = timed_edits(
                paper,
                build,
                [original.replace("authors: [", f'authors: ["New Author {i}", ', 1) for i in edit_runs],
            )
            # a venue new to the site: the venue facet gets a checkbox, and the filter index's
            # venues are numbered anew (a quick rebuild as well, since 2026-11-25)
            venues = timed_edits(
                paper, build, [with_field(original, "venue", f'"A New Venue {i}"') for i in edit_runs]
            )
            # a tag new to the site: the tag facet, its numbering, and the related papers of
            # the papers near it in the lists of the tags it gained or lost
            retagged = timed_edits(
                paper,
                build,
                [with_field(original, "tags", f'"a-new-tag-{i}"', first=True) for i in edit_runs],
            )
            # a day later or earlier, in its place in the lists: its entries, row, page and line
            # in the sitemap, and its citation-key clash group (a quick rebuild since 2026-11-25)
            found = redatable(papers)
            redated = []
            if found is not None:
                moved, before, other = found
                try:
                    redated = timed_edits(moved, build, [other if i % 2 == 0 else before for i in edit_runs])
                finally:
                    moved.write_text(before, encoding="utf-8")
            # a date that moves the paper in its year, a paper added, and that paper removed:
            # other pages list other papers (the usual rebuild, not a quick one)
            year = original.split('date: "', 1)[1][:4]
            days = [f'"{year}-01-02"', f'"{year}-12-30"']
            moves = [with_field(original, "date", days[i % 2]) for i in usual_runs]
            shifted = timed_edits(paper, build, moves)
            paper.write_text(original, encoding="utf-8")
            timed(build, cwd=REPO)
            added = paper.with_name("zz-benchmark-added-paper.yaml")
            grown, shrunk = [], []
            for i in usual_runs:
                added.write_text(original.replace("title: ", f"title: Added {i} ", 1), encoding="utf-8")
                grown.append(timed(build, cwd=REPO)[0])
                added.unlink()
                shrunk.append(timed(build, cwd=REPO)[0])
        finally:
            paper.write_text(original, encoding="utf-8")
            paper.with_name("zz-benchmark-added-paper.yaml").unlink(missing_ok=True)
        hugo_median = statistics.median(r[0] for r in hugo)
        warm_median, edit_median = statistics.median(warm), statistics.median(edits)
        reshaped_median, touched_median = statistics.median(reshaped), statistics.median(retouched)
        venue_median, tags_median = statistics.median(venues), statistics.median(retagged)
        date_median = statistics.median(redated) if redated else None
        dated = (
            f"its date a day off, in its place: {date_median:.2f} s ({date_median / hugo_median:.3f}x)"
            if date_median is not None
            else "its date a day off: no paper can move a day in its place here"
        )
        print(
            f"{n:>7} | rebuild, nothing changed: {warm_median:.2f} s ({warm_median / hugo_median:.3f}x "
            f"Hugo's full build); every paper file touched: {touched_median:.2f} s "
            f"({touched_median / hugo_median:.3f}x); one paper's title edited: {edit_median:.2f} s "
            f"({edit_median / hugo_median:.3f}x); one paper's authors edited: {reshaped_median:.2f} s "
            f"({reshaped_median / hugo_median:.3f}x); its venue edited: {venue_median:.2f} s "
            f"({venue_median / hugo_median:.3f}x); its tags edited: {tags_median:.2f} s "
            f"({tags_median / hugo_median:.3f}x); {dated}",
            flush=True,
        )
        usual = [("its date moved in its year", shifted), ("a paper added", grown), ("removed", shrunk)]
        print(
            f"{n:>7} | the usual rebuild: "
            + "; ".join(
                f"{what}: {statistics.median(times):.2f} s ({statistics.median(times) / hugo_median:.3f}x)"
                for what, times in usual
            ),
            flush=True,
        )
    shutil.rmtree(outputs, ignore_errors=True)
    shutil.rmtree(probes, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
