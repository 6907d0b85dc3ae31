"""The build cache in ``.site-builder-cache/`` (git-ignored): what the last build read and wrote.

- an **input fingerprint**: every input file's path, size and modification time (site.yaml,
  content/, the templates and static folders in use, and site_builder's own code); when it
  and the output folder are as the last build left them, the build has nothing to do;
- a **digest of every output file**, so a rebuild links unchanged files from the previous
  output instead of writing them again: their modification times stay, and rsync or a Pages
  upload sees only what changed;
- **rendered abstracts** keyed by their Markdown text, so Markdown runs only for new text.

The cache only ever saves work: deleting the folder gives the same output, more slowly.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_DIR = ".site-builder-cache"
_FIELDS = ("inputs", "code", "out", "outputs", "summary", "markdown")
FORMAT = 2


def digest(data: bytes) -> bytes:
    """Return a short content digest."""
    return hashlib.blake2b(data, digest_size=16).digest()


def fingerprint(files: Iterable[Path], extra: str = "") -> str:
    """Return a digest of the paths, sizes and modification times of ``files``."""
    h = hashlib.blake2b(extra.encode(), digest_size=16)
    for path in sorted(set(files)):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def tree_files(*roots: Path) -> list[Path]:
    """Return every file under the given files and folders (missing ones are skipped)."""
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            for dirpath, _dirs, names in os.walk(root):
                files.extend(Path(dirpath) / n for n in names)
    return files


@dataclass
class BuildCache:
    """What the last build of a project read and wrote."""

    inputs: str = ""
    code: str = ""  # site_builder's own code: rendered abstracts are only reused under the same code
    out: str = ""
    outputs: dict[str, bytes] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    markdown: dict[tuple[str, bool], str] = field(default_factory=dict)

    @classmethod
    def load(cls, project: Path) -> BuildCache:
        """Read the cache, or return an empty one when there is none or it is unreadable."""
        try:
            with open(project / CACHE_DIR / "build.pickle", "rb") as handle:
                data = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != FORMAT or not set(_FIELDS) <= set(data):
            return cls()
        return cls(
            data["inputs"], data["code"], data["out"], data["outputs"], data["summary"], data["markdown"]
        )

    def save(self, project: Path) -> None:
        """Write the cache atomically."""
        folder = project / CACHE_DIR
        folder.mkdir(exist_ok=True)
        (folder / ".gitignore").write_text("*\n")
        tmp = folder / "build.pickle.tmp"
        data = {
            "format": FORMAT,
            "inputs": self.inputs,
            "code": self.code,
            "out": self.out,
            "outputs": self.outputs,
            "summary": self.summary,
            "markdown": self.markdown,
        }
        with open(tmp, "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / "build.pickle")

    def output_intact(self, out: Path) -> bool:
        """Return whether ``out`` still holds exactly the files the last build wrote."""
        if not self.outputs or not out.is_dir():
            return False
        found = {p.relative_to(out).as_posix() for p in tree_files(out)}
        return found == set(self.outputs)
