"""Write files safely: whole sites swapped in at once, single files never overwritten by accident."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import SiteBuilderError


def safe_join(root: Path, relative: str) -> Path:
    """Join a site-relative POSIX path under ``root``; refuse anything that would leave it."""
    return Path(os.path.join(root, checked_relative(relative)))


def checked_relative(relative: str) -> str:
    """Return a site-relative POSIX path as it is; refuse one that is absolute or climbs out."""
    if (
        not relative.strip("/.")
        or relative.startswith("/")
        or "/../" in f"/{relative}/"
        or "\\" in relative
        or "\x00" in relative
    ):
        raise SiteBuilderError(f"refusing to write outside the output folder: {relative!r}")
    return relative


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


# A file's content: its bytes, or its parts in order (written one after the other, not joined)
Contents = bytes | Sequence[bytes | memoryview]


def joined(data: Contents) -> bytes:
    """Return a file's content as one bytes object."""
    return data if isinstance(data, bytes) else b"".join(data)


LARGE_FILE = 1 << 18  # bytes from which a replaced file is set aside and removed later


class Writer:
    """Write output files under a folder: each folder is created once per process.

    ``fresh`` files are created (a second writer of the same path is an error); otherwise an
    existing file is replaced atomically (readers see the old bytes or the new, never half).
    A replaced large file (the list page, the search index: megabytes at 10,000 papers) is
    first linked into a folder beside the root, which :meth:`close` removes in a detached
    process: freeing a file's blocks takes milliseconds a megabyte, and a rebuild need not
    wait for it.
    """

    def __init__(self, root: Path, fresh: bool) -> None:
        self.fresh = fresh
        self._base = os.fspath(root)
        self._folders: set[str] = set()
        self._aside: Path | None = None  # the folder of replaced large files
        self._aside_count = 0  # files linked there so far (their names)

    def _destination(self, rel: str) -> str:
        dest = os.path.join(self._base, checked_relative(rel))
        folder = rel.rpartition("/")[0]
        if folder and folder not in self._folders:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            self._folders.add(folder)
        return dest

    def write(self, rel: str, data: Contents) -> None:
        """Write one file at the site path ``rel``."""
        dest = self._destination(rel)
        if self.fresh:
            try:
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise SiteBuilderError(f"two outputs want the same path: {rel}") from None
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            return
        head, tail = os.path.split(dest)
        tmp = os.path.join(head, f".{tail}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # as open() makes it
        try:
            size = _write_all(fd, data)
        finally:
            os.close(fd)
        if size >= LARGE_FILE:
            self._keep_old(dest)
        os.replace(tmp, dest)

    def _keep_old(self, dest: str) -> None:
        """Link a file about to be replaced into the folder set aside (not when it is new, or elsewhere)."""
        if not os.path.isfile(dest):
            return  # a new file: nothing to set aside
        try:
            if self._aside is None:
                self._aside = old_folder(Path(self._base))
            os.link(dest, self._aside / str(self._aside_count))
            self._aside_count += 1
        except OSError:
            pass  # a file system without links: replaced the usual way

    def close(self) -> None:
        """Remove the replaced large files (see :func:`remove_later`)."""
        if self._aside is not None:
            remove_later(self._aside)
            self._aside = None

    def link(self, rel: str, source: Path) -> bool:
        """Hard-link an unchanged file of the previous output; False when that cannot be done."""
        dest = self._destination(rel)
        try:
            os.link(source, dest)
        except OSError:
            return False
        return True


def _write_all(fd: int, data: Contents) -> int:
    """Write all of ``data`` to ``fd``; return its size."""
    if isinstance(data, bytes):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return len(data)
    parts = [part for part in data if len(part)]
    size = sum(map(len, parts))
    if not hasattr(os, "writev"):  # pragma: no cover - not POSIX
        return _write_all(fd, b"".join(parts))
    at = 0  # the first part not written whole
    while at < len(parts):
        done = os.writev(fd, parts[at : at + _MOST_PARTS])
        while at < len(parts) and done >= len(parts[at]):  # the parts written whole
            done -= len(parts[at])
            at += 1
        if done:  # and the start of the next one
            parts[at] = memoryview(parts[at])[done:]
    return size


_MOST_PARTS = 1024  # buffers one writev() takes (IOV_MAX on Linux)


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging``: two renames, the old tree removed afterwards."""
    if not out.exists():
        os.replace(staging, out)
        return
    if not out.is_dir():
        raise SiteBuilderError(f"{out} exists and is not a folder")
    old = old_folder(out)
    os.rmdir(old)
    os.replace(out, old)
    os.replace(staging, out)
    remove_later(old)


def old_folder(out: Path) -> Path:
    """Make an empty folder beside ``out`` for what a build replaced (:func:`remove_leftovers` finds it)."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))


_REMOVERS: list[int] = []  # removers started by this process and not yet reaped


def remove_later(folder: Path) -> None:
    """Remove a folder nothing uses any more, in a detached process (``rm``, else a fork) where there is one.

    Removing ten thousand pages takes seconds on some file systems; the new site is in
    place already, so the build need not wait. ``rm`` is started without copying this
    process (a fork of a build holding a large site took 7 to 50 ms). A removal cut short
    leaves the folder behind, and the next build removes it (:func:`remove_leftovers`).
    """
    for pid in list(_REMOVERS):  # those done are reaped (a preview starts one per rebuild)
        try:
            done = os.waitpid(pid, os.WNOHANG)[0] == pid
        except ChildProcessError:
            done = True
        if done:
            _REMOVERS.remove(pid)
    remover = shutil.which("rm") if hasattr(os, "posix_spawn") else None
    if remover is not None:
        quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        try:
            argv = [remover, "-rf", "--", os.fspath(folder)]
            _REMOVERS.append(os.posix_spawn(remover, argv, os.environ, file_actions=quiet, setsid=True))
            return
        except OSError:
            pass
    if not hasattr(os, "fork"):
        shutil.rmtree(folder, ignore_errors=True)
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the detached remover
        try:
            if os.fork() == 0:
                os.setsid()
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)  # the intermediate process exits at once; the remover is init's child


def remove_leftovers(out: Path) -> None:
    """Remove what killed builds and cut-short removals left beside ``out``."""
    for pattern in (f".{out.name}.building-*", f".{out.name}.old-*"):
        for stale in out.absolute().parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


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
