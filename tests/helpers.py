"""Helpers shared by the build, CLI and validation tests: small projects, HTML parsing, snapshots."""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]

# Elements that never have an end tag, so the collector does not wait for one.
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


@dataclass
class Element:
    """One element of a parsed page: its tag, attributes, text (including descendants) and ancestors."""

    tag: str
    attrs: dict[str, str | None]
    parents: list[Element] = field(default_factory=list)
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def inside(self, tag: str, cls: str | None = None) -> Element | None:
        """Return the nearest ancestor with this tag (and class), or None."""
        for parent in reversed(self.parents):
            if parent.tag == tag and (cls is None or cls in parent.classes):
                return parent
        return None


class Collector(HTMLParser):
    """Collect every element in document order with its attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), list(self.stack))
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs), list(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


def parse_html(text: str) -> list[Element]:
    """Parse HTML text into its elements, in document order."""
    collector = Collector()
    collector.feed(text)
    collector.close()
    return collector.elements


def parse_file(path: Path) -> list[Element]:
    return parse_html(path.read_text(encoding="utf-8"))


def find(elements: list[Element], tag: str, cls: str | None = None) -> list[Element]:
    return [e for e in elements if e.tag == tag and (cls is None or cls in e.classes)]


def squash(text: str) -> str:
    return " ".join(text.split())


def resolve(page: str, url: str) -> str | None:
    """Return the output file a relative URL on ``page`` points at (None for external URLs).

    ``page`` and the result are POSIX paths relative to the output folder; folder URLs
    mean their ``index.html``.
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return page
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
    if parts.path.endswith("/") or joined == ".":
        joined = posixpath.join(joined, "index.html") if joined != "." else "index.html"
    return joined


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Return every file under ``folder`` with its bytes and mtime (ns)."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def tree(folder: Path) -> list[str]:
    """Return every path (files and folders) under ``folder``."""
    return sorted(p.relative_to(folder).as_posix() + ("/" if p.is_dir() else "") for p in folder.rglob("*"))


SITE_YAML = """\
title: Test Lab
description: A lab used by the tests.
author: Test Lab
members:
  - Ada Lovelace
  - Grace Hopper
"""


def copy_of_this_site(tmp: Path) -> Path:
    """Return a copy of this repository's own site (content, templates, static, site.yaml) under ``tmp``."""
    project = tmp / "project"
    for name in ("content", "templates", "static"):
        shutil.copytree(REPO / name, project / name)
    shutil.copy(REPO / "site.yaml", project / "site.yaml")
    return project


def files(folder: Path) -> dict[str, bytes]:
    """Return every file under ``folder`` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def make_project(root: Path, site_yaml: str = SITE_YAML) -> Path:
    """Create a project folder with site.yaml and copies of the repository's templates and static."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    (root / "content" / "publications").mkdir(parents=True)
    return root


def write_paper(project: Path, slug: str, text: str) -> Path:
    path = project / "content" / "publications" / f"{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(
    *args: str | os.PathLike[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m site_builder ARGS`` in ``cwd``; return the finished process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
