"""The build cache in ``.site-builder-cache/`` (git-ignored): what the last build read and wrote.

- an **input fingerprint**: every input file's path, size and modification time (site.yaml,
  content/, the templates and static folders in use, and site_builder's own code); when it
  and the output folder are as the last build left them, the build has nothing to do. When
  times changed, the files other than papers are known by their bytes (and papers each by
  its own): a checkout, a restored CI cache or a new install of the same code changes nothing;
- **parsed papers**, by file, with their rendered abstracts, reused while the file's size
  and modification time stay the same, or its bytes (a file only touched, or checked out
  again, is read and hashed, not parsed): an edit parses one file, not ten thousand; they
  are kept in 32 shard files, and a save rewrites only the shards whose papers changed;
- **each job's key and outputs** (a paper's page and citation files, an author's page, a
  list page: :class:`~site_builder.render.Job`), so a rebuild renders only the jobs whose
  key changed and leaves every other file as it is (same bytes, same modification time);
- a **digest of every output file**, and the modification time of every output folder, to
  know that the output is still what the last build wrote.

The cache only ever saves work: deleting the folder gives the same output, more slowly.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

CACHE_DIR = ".site-builder-cache"
FORMAT = 17
STATE_FILE = "state.pickle"  # small: read by every build
DATA_FILE = "build.pickle"  # large: read when something changed
JOURNAL_FILE = "patched.pickle"  # what quick rebuilds (patch.py) changed since the last full save
UPDATING = "updating"  # present while a rebuild replaces files in the output


def compiled_templates(project: Path) -> Path:
    """Return the folder where the project's templates are kept compiled."""
    return project / CACHE_DIR / "templates"


def digest(data: bytes) -> bytes:
    """Return a short content digest (SHA-256: processors have instructions for it, twice BLAKE2b's speed)."""
    return hashlib.sha256(data).digest()[:16]


SHARED_DIGESTS_FROM = 4096  # files, from which their digests are found on every core


def file_digests(folder: Path, names: Sequence[str]) -> list[bytes | None]:
    """Return the :func:`digest` of the bytes of each file ``names`` in ``folder`` (None: unreadable).

    For papers whose times changed: thousands of them after a checkout, so each file is
    opened by name in the open folder, and many are shared out to every core.
    """
    if len(names) < SHARED_DIGESTS_FROM:
        return _digests_in(folder, names)
    from .parallel import run_tasks

    step = 1024
    parts = run_tasks(
        -(-len(names) // step), lambda i: _digests_in(folder, names[i * step : (i + 1) * step]), chunk=1
    )
    return [found for part in parts for found in part]


def _digests_in(folder: Path, names: Sequence[str]) -> list[bytes | None]:
    if os.open not in os.supports_dir_fd:  # Windows
        return [_read_digest(_open_path, os.path.join(folder, name)) for name in names]
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return [None] * len(names)

    def by_name(name: str) -> int:
        return os.open(name, _READ, dir_fd=fd)

    try:
        return [_read_digest(by_name, name) for name in names]
    finally:
        os.close(fd)


_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def _open_path(path: str) -> int:
    return os.open(path, _READ)


def _read_digest(opener: Callable[[str], int], name: str) -> bytes | None:
    """Return the :func:`digest` of a file opened with ``opener``, read a block at a time, or None."""
    try:
        handle = opener(name)
    except OSError:
        return None
    try:
        whole = hashlib.sha256()
        while block := os.read(handle, 1 << 20):
            whole.update(block)
        return whole.digest()[:16]  # as digest() of the bytes
    except OSError:
        return None
    finally:
        os.close(handle)


FileStat = tuple[str, int, int]  # path, modification time (ns), size


def scan(*roots: Path, skip: Path | None = None, suffixes: tuple[str, ...] = ()) -> list[FileStat]:
    """Return the path, time and size of every file under the given files and folders, sorted.

    Folders named ``skip`` are not entered; with ``suffixes``, only files ending so count.
    Hidden files and folders (``.git``, editors' ``.swp``) are left out. Plain ``os.scandir``:
    a build of ten thousand papers starts with this, so it has to be quick.
    """
    found: list[FileStat] = []
    skipped = str(skip) if skip is not None else None

    def walk(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if entry.path != skipped:
                        walk(entry.path)
                elif not suffixes or entry.name.endswith(suffixes):
                    st = entry.stat()
                    found.append((entry.path, st.st_mtime_ns, st.st_size))
            except OSError:
                continue

    for root in roots:
        path = str(root)
        try:
            st = os.stat(path)
        except OSError:
            continue
        if os.path.isdir(path):
            walk(path)
        elif not suffixes or path.endswith(suffixes):
            found.append((path, st.st_mtime_ns, st.st_size))
    found.sort()
    return found


def scan_folder(folder: Path, suffixes: tuple[str, ...]) -> list[FileStat]:
    """Return :func:`scan` of the files directly in ``folder`` (not in sub-folders), by name, more quickly.

    Each file is looked up by its name in the open folder, not by its whole path: a third
    less time for the ten thousand files of a large site's papers. Files are named by
    their names in the folder, not their paths.
    """
    if os.stat not in os.supports_dir_fd or os.scandir not in os.supports_fd:  # Windows
        own = [s for s in scan(folder, suffixes=suffixes) if os.path.dirname(s[0]) == str(folder)]
        return [(os.path.basename(path), mtime, size) for path, mtime, size in own]
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return []
    found: list[FileStat] = []
    try:
        with os.scandir(fd) as entries:
            names = [
                e.name
                for e in entries
                if not e.name.startswith(".") and e.name.endswith(suffixes) and not e.is_dir()
            ]
        for name in names:
            try:
                st = os.stat(name, dir_fd=fd)
            except OSError:
                continue
            found.append((name, st.st_mtime_ns, st.st_size))
    except OSError:
        return []
    finally:
        os.close(fd)
    found.sort()
    return found


def stat_digest(stats: Iterable[FileStat], extra: str = "") -> str:
    """Return a digest of paths, times and sizes."""
    return hashlib.blake2b(pickle.dumps((extra, list(stats))), digest_size=16).hexdigest()


def content_digest(stats: Iterable[FileStat], extra: str = "") -> str:
    """Return a digest of paths and the files' bytes (a file that cannot be read: its time and size)."""
    total = hashlib.sha256(pickle.dumps(extra))
    for path, mtime, size in stats:
        found = _read_digest(_open_path, path)
        total.update(pickle.dumps((path, found) if found is not None else (path, mtime, size)))
    return total.hexdigest()[:32]


def files_digest(stats: list[FileStat], extra: str, known: Mapping[str, str]) -> tuple[str, str]:
    """Return a digest of files by their times and sizes, and one by their bytes.

    The bytes are read only when the times and sizes are not ``known`` (by times → by bytes,
    from the last build): a file touched, checked out again or installed again with the same
    bytes is the same file.
    """
    by_times = stat_digest(stats, extra)
    by_bytes = known.get(by_times)
    return by_times, by_bytes if by_bytes is not None else content_digest(stats, extra)


def folder_times(
    out: Path, files: Iterable[str], known: dict[str, int] | None = None
) -> dict[str, int] | None:
    """Return the modification time of ``out`` and of every folder holding one of ``files``.

    A file added, removed or renamed in a folder changes the folder's time, so equal times
    mean the same files are there; None when a folder is missing. With ``known`` times (a
    rebuild's, whose ``files`` are the ones it replaced or removed), the other folders keep
    theirs, and a folder the rebuild emptied and removed is dropped.
    """
    root = str(out)
    times = dict(known) if known is not None else {}
    folders = {""}
    for rel in files:
        while "/" in rel:
            rel = rel.rpartition("/")[0]
            if rel in folders:
                break  # its parents are in already
            folders.add(rel)
    for rel in folders:
        try:
            times[rel] = os.stat(f"{root}/{rel}" if rel else root).st_mtime_ns
        except OSError:
            if known is None:
                return None
            times.pop(rel, None)
    return times


@dataclass
class BuildCache:
    """What the last build of a project read and wrote."""

    inputs: str = ""  # fingerprint of every input: equal means nothing to do
    code: str = ""  # site_builder's own code: nothing else is reused under other code
    out: str = ""  # the output folder the rest describes
    base: bytes = b""  # everything every page reads besides the papers (theme, site.yaml, people…)
    outputs: dict[str, bytes] = field(default_factory=dict)  # output path → digest
    folders: dict[str, int] = field(default_factory=dict)  # output folder → modification time
    summary: dict[str, Any] = field(default_factory=dict)
    papers: dict[str, tuple[int, int, Any, bytes | None]] = field(default_factory=dict)  # file → parsed
    jobs: dict[str, tuple[bytes, tuple[str, ...]]] = field(default_factory=dict)  # job → key, outputs
    complete: bool = True  # False while a rebuild updates the output in place
    related: tuple[bytes, Any, Any] | None = None  # related papers: digest of what they read, rows, that
    authors: tuple[bytes, Any, Any] | None = None  # papers grouped by author, likewise
    fragments: dict[tuple[Any, ...], str] = field(default_factory=dict)  # per-paper pieces of site files
    cwd: str = ""  # where the last build ran: its parsed papers' messages name paths from there
    known: dict[str, str] = field(default_factory=dict)  # files' digest by times → by bytes (files_digest)

    token: str = ""  # the same in both files of one save
    patched: int = 0  # quick rebuilds since that save: the journal must have as many
    shards_read: dict[int, tuple[str, dict[str, Any]]] = field(
        default_factory=dict, repr=False
    )  # as read or written
    shard_tokens: dict[int, str] = field(default_factory=dict, repr=False)  # as last saved
    shards_seen: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)  # by paper_entry

    @classmethod
    def load(cls, project: Path) -> BuildCache:
        """Read the small part of the cache (enough to see that nothing changed), or an empty cache.

        The rest (parsed papers, jobs, outputs) is read by :meth:`load_rest`, when needed.
        """
        data = read_data(project / CACHE_DIR / STATE_FILE)
        try:
            cache = cls(**{name: data[name] for name in _STATE})
        except (KeyError, TypeError):
            return cls()
        if (project / CACHE_DIR / UPDATING).exists():
            cache.complete = False  # a rebuild was stopped while it replaced files
        return cache

    def load_rest(self, project: Path) -> None:
        """Read the large part of the cache; leave it empty if it is missing or from another save.

        Parsed papers are kept in shards (by file name), each named in the large part with
        its own token: a save rewrites only the shards whose papers changed.
        """
        data = read_data(project / CACHE_DIR / DATA_FILE)
        if data.get("token") != self.token or not self.token:
            return
        try:
            for name in _DATA:
                setattr(self, name, data[name])
            shards = dict(data["shards"])
        except (KeyError, TypeError, ValueError):
            for name in _DATA:
                setattr(self, name, getattr(BuildCache(), name))
            return
        journal = self.journal(project)
        if self.patched and journal is None:  # lost: what the output holds is not known
            self.outputs, self.jobs = {}, {}
        elif journal is not None:  # quick rebuilds since: their files and jobs
            apply_changes(self.outputs, journal["outputs"])
            for name, rels in journal["jobs"].items():
                if name in self.jobs:  # to be rendered again by the next full rebuild
                    self.jobs[name] = (b"", self.jobs[name][1] if rels is None else rels)
        papers: dict[str, Any] = {}
        for shard, token in shards.items():
            part = read_data(_shard_file(project / CACHE_DIR, shard))
            if part.get("token") == token and isinstance(part.get("papers"), dict):
                papers.update(part["papers"])
                self.shards_read[shard] = (token, part["papers"])
        self.papers = papers

    @staticmethod
    def mark_updating(project: Path) -> None:
        """Note that the output is being updated in place, until the next :meth:`save`."""
        (project / CACHE_DIR / UPDATING).touch()

    def save(self, project: Path) -> None:
        """Write the cache atomically: the large part, then the small part that names it."""
        folder = project / CACHE_DIR
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.is_file():
            ignore.write_text("*\n")
        self.token = os.urandom(8).hex()
        by_shard: dict[int, dict[str, Any]] = {}
        for name, entry in self.papers.items():
            by_shard.setdefault(shard_of(name), {})[name] = entry
        shards = {}
        for shard, papers in by_shard.items():
            old = self.shards_read.get(shard)
            if old is not None and _same_entries(old[1], papers):
                shards[shard] = old[0]  # unchanged: not written again
                continue
            token = os.urandom(8).hex()
            write_data(_shard_file(folder, shard), {"token": token, "papers": papers})
            shards[shard] = token
            self.shards_read[shard] = (token, papers)
        data = {name: getattr(self, name) for name in _DATA}
        write_data(folder / DATA_FILE, {"token": self.token, "shards": shards, **data})
        (folder / JOURNAL_FILE).unlink(missing_ok=True)  # its token is no longer the state's
        self._save_state(folder)
        self.shard_tokens = shards

    def _save_state(self, folder: Path) -> None:
        """Write the small part, last of a save: the output is then as the cache says."""
        write_data(folder / STATE_FILE, {name: getattr(self, name) for name in _STATE})
        (folder / UPDATING).unlink(missing_ok=True)

    def save_known(self, project: Path, known: dict[str, str]) -> None:
        """Note new times of input files whose bytes did not change (:func:`files_digest`), if any."""
        if known != self.known:
            self.known = known
            self._save_state(project / CACHE_DIR)

    def journal(self, project: Path) -> dict[str, Any] | None:
        """Return the journal of the quick rebuilds since the last save, if they all are in it."""
        journal = read_data(project / CACHE_DIR / JOURNAL_FILE)
        if not self.patched or journal.get("token") != self.token or journal.get("count") != self.patched:
            return None
        return journal

    def paper_entry(self, project: Path, name: str, shards: dict[int, str]) -> Any:
        """Return a paper file's entry from its shard, if the shard is the one saved (``shards``: tokens).

        Each shard is read once (a quick rebuild asks for a few papers, and saves the edited ones).
        """
        shard = shard_of(name)
        part = self._shard(project, shard)
        return part["papers"].get(name) if shard in shards and part.get("token") == shards[shard] else None

    def _shard(self, project: Path, shard: int) -> dict[str, Any]:
        """Return a shard's file as read (an empty dict when missing or damaged)."""
        part = self.shards_seen.get(shard)
        if part is None:
            part = self.shards_seen[shard] = read_data(_shard_file(project / CACHE_DIR, shard))
        return part

    def save_quick(
        self,
        project: Path,
        outputs: dict[str, bytes | None],
        jobs: dict[str, tuple[str, ...] | None],
        papers: dict[str, Any],
        shards: dict[int, str],
        index: dict[str, dict[str, Any]],
        index_saved: bool = False,
    ) -> None:
        """Record a quick rebuild: its files' digests (None: removed), jobs to render again, papers read.

        The large part stays as it is: what changed goes to a journal that :meth:`load_rest`
        applies (and :func:`~site_builder.patch.load_index`, the ``index`` changes; none,
        with ``index_saved``: the index was written with them all); the edited papers'
        shards are rewritten under their tokens; then the small part (inputs, folder times)
        is written, as :meth:`save` does last.
        """
        folder = project / CACHE_DIR
        journal = self.journal(project) or {"token": self.token, "outputs": {}, "jobs": {}, "index": {}}
        if index_saved:
            journal["index"] = {}
        self.patched += 1
        journal["count"] = self.patched
        journal["outputs"].update(outputs)
        for table, changes in index.items():
            journal["index"].setdefault(table, {}).update(changes)
        for name, rels in jobs.items():
            if rels is not None or name not in journal["jobs"]:
                journal["jobs"][name] = rels
        write_data(folder / JOURNAL_FILE, journal)
        changed: set[int] = set()
        for name, entry in papers.items():
            shard = shard_of(name)
            part = self._shard(project, shard)
            if part.get("token") == shards.get(shard):
                part["papers"][name] = entry
                changed.add(shard)
        for shard in sorted(changed):
            part = self.shards_seen[shard]
            write_data(_shard_file(folder, shard), {"token": part["token"], "papers": part["papers"]})
        self._save_state(folder)

    def output_intact(self, out: Path) -> bool:
        """Return whether ``out`` still holds the files the last build wrote, completely."""
        if not self.complete or not self.folders:
            return False
        root = str(out)
        for rel, when in self.folders.items():
            try:
                if os.stat(f"{root}/{rel}" if rel else root).st_mtime_ns != when:
                    return False
            except OSError:
                return False
        return True


SHARDS = 32


def apply_changes(table: dict[Any, Any], changes: Mapping[Any, Any]) -> None:
    """Apply a journal's changes to a table of the cache: a new value, or None for removed."""
    for key, value in changes.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value


def _shard_file(folder: Path, shard: int) -> Path:
    return folder / f"papers-{shard:02d}.pickle"


def shard_of(name: str) -> int:
    """Return the shard of the paper cache that holds a paper file's entry."""
    return zlib.crc32(name.encode("utf-8")) % SHARDS


def _same_entries(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Return whether a shard's entries are the ones read (unchanged papers keep their objects)."""
    return old.keys() == new.keys() and all(new[k] is v for k, v in old.items())


def read_data(path: Path) -> dict[str, Any]:
    """Read one file of the cache: a dict, or an empty one when it is missing, damaged or old."""
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle)
    except (
        OSError,
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ValueError,
        ImportError,
        IndexError,
        TypeError,
    ):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    return data


def write_data(path: Path, data: dict[str, Any]) -> None:
    """Write one file of the cache atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump({"format": FORMAT, **data}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


_STATE = ("inputs", "code", "out", "base", "folders", "summary", "token", "patched", "known")
_DATA = tuple(
    f.name
    for f in fields(BuildCache)
    if f.name not in _STATE
    and f.name not in ("complete", "papers", "shards_read", "shard_tokens", "shards_seen")
)
