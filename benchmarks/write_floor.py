"""How long writing a built site's files alone takes: the floor under any build of that output.

Usage: python benchmarks/write_floor.py SITE DEST [--processes 2]

Reads every file of SITE into memory (not timed), then writes them all into the new folder
DEST with --processes forked writers, each creating its share of the folders and files as
a build does (one open, write and close per file; consecutive files in chunks, so the
writers seldom share a folder), and prints the seconds the writing took.
`build_speed.py --floor` runs it on site_builder's output beside the Hugo runs it times,
so the floor is measured on the same disk, in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def read_tree(site: Path) -> list[tuple[str, bytes]]:
    """Return ``(relative path, bytes)`` of every file under ``site``, in a stable order."""
    files = []
    for folder, dirs, names in os.walk(site):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                files.append((os.path.relpath(path, site), handle.read()))
    return files


def write_share(dest: str, files: list[tuple[str, bytes]]) -> None:
    """Write files under ``dest``, making their folders as needed."""
    made = {""}
    for rel, data in files:
        folder = os.path.dirname(rel)
        if folder not in made:
            os.makedirs(os.path.join(dest, folder), exist_ok=True)
            made.add(folder)
        fd = os.open(os.path.join(dest, rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


CHUNK = 64  # files in a row that one writer takes (a build's processes claim jobs in chunks)


def share(files: list[tuple[str, bytes]], k: int, processes: int) -> list[tuple[str, bytes]]:
    """Return writer ``k``'s files: every ``processes``-th chunk of consecutive files."""
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    return [item for chunk in chunks[k::processes] for item in chunk]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, help="a built site")
    parser.add_argument("dest", type=Path, help="a folder that does not exist yet")
    parser.add_argument("--processes", type=int, default=2, help="writers, as many as the build uses")
    args = parser.parse_args()
    if args.dest.exists():
        sys.exit(f"{args.dest} exists: the floor is measured into a new folder")
    files = read_tree(args.site)
    start = time.perf_counter()
    args.dest.mkdir(parents=True)
    children = []
    for k in range(1, args.processes):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - a writer
            try:
                write_share(str(args.dest), share(files, k, args.processes))
            finally:
                os._exit(0)
        children.append(pid)
    write_share(str(args.dest), share(files, 0, args.processes))
    failed = False
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed = failed or os.waitstatus_to_exitcode(status) != 0
    seconds = time.perf_counter() - start
    if failed:
        sys.exit("a writer failed")
    print(f"{seconds:.3f} s for {len(files)} files, {sum(len(d) for _, d in files) / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
