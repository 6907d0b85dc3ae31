"""Write files safely: whole sites swapped in at once, single files never overwritten by accident."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .cache import digest
from .errors import SiteBuilderError


def safe_join(root: Path, relative: str) -> Path:
    """Join a site-relative POSIX path under ``root``; refuse anything that would leave it."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in relative or "\x00" in relative:
        raise SiteBuilderError(f"refusing to write outside the output folder: {relative!r}")
    return root.joinpath(*pure.parts)


def check_output_dir(out: Path, project: Path, protected: Iterable[str]) -> None:
    """Refuse an output folder that is the project, a parent of it, or in or above a source folder."""
    target = out.resolve()
    root = project.resolve()
    if target == root or target in root.parents:
        raise SiteBuilderError(
            f"refusing to build into {out}: it would replace the project folder {root}"
            " (choose an output folder such as _site)"
        )
    for name in protected:
        source = (project / name).resolve()
        if target == source or source in target.parents or target in source.parents:
            raise SiteBuilderError(
                f"refusing to build into {out}: it would replace files in {source}"
                " (choose an output folder such as _site)"
            )


def write_site(
    out: Path,
    pages: Iterable[tuple[str, bytes]],
    static_dirs: Iterable[tuple[Path, str]],
    previous: dict[str, bytes] | None = None,
    written_digests: dict[str, bytes] | None = None,
) -> int:
    """Write a whole site into a temporary folder beside ``out`` and swap it in; return the file count.

    If anything fails (or the process dies) before the swap, ``out`` is left as it was. A file
    whose digest is the one in ``previous`` is hard-linked from the old output instead of
    written, so it keeps its modification time. ``written_digests`` receives every digest.
    """
    previous = previous or {}
    digests = written_digests if written_digests is not None else {}
    old = out.absolute()
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.building-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a build that was killed
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        static: dict[str, Path] = {}  # later folders override earlier ones, file by file
        for src_root, prefix in static_dirs:
            for src in sorted(src_root.rglob("*")):
                if src.is_file() and not src.name.startswith("."):
                    rel = src.relative_to(src_root).as_posix()
                    static[f"{prefix}/{rel}" if prefix else rel] = src
        written: set[str] = set()
        for rel, src in sorted(static.items()):
            _place(staging, old, rel, src.read_bytes(), previous, digests)
            written.add(rel)
        for rel, data in pages:
            if rel in written:
                raise SiteBuilderError(f"two outputs want the same path: {rel}")
            written.add(rel)
            _place(staging, old, rel, data, previous, digests)
        _swap(staging, out)
        return len(written)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _place(
    staging: Path, old: Path, rel: str, data: bytes, previous: dict[str, bytes], digests: dict[str, bytes]
) -> None:
    """Write one output file, or link the previous build's identical file."""
    dest = safe_join(staging, rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    key = digest(data)
    digests[rel] = key
    if previous.get(rel) == key:
        source = safe_join(old, rel)
        try:
            if source.stat().st_size == len(data):
                os.link(source, dest)
                return
        except OSError:
            pass  # gone, or another file system: write it
    with open(dest, "wb") as handle:
        handle.write(data)


def _swap(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging``: two renames, the old tree removed afterwards."""
    if not out.exists():
        os.replace(staging, out)
        return
    if not out.is_dir():
        raise SiteBuilderError(f"{out} exists and is not a folder")
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def write_new_file(path: Path, text: str) -> None:
    """Create a file atomically; refuse to replace one that exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.link(tmp, path)  # fails if path exists: never overwrite a person's file
    finally:
        os.unlink(tmp)


def replace_file(path: Path, expected: str, text: str) -> None:
    """Replace a file's text atomically, refusing if it changed since it was read."""
    current = path.read_text(encoding="utf-8")
    if current != expected:
        raise SiteBuilderError(f"{path} changed while importing; nothing written to it, run the import again")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
