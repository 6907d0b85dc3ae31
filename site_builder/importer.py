"""Plan an import: turn parsed entries into new YAML files, never touching existing ones.

Pure: entries and an index of the existing content in, an :class:`ImportPlan`
out. Writing the plan is the CLI's job (through :mod:`output`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .listing import ListingEntry
from .slugs import paper_key, paper_slug
from .yamlio import dump_yaml


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One paper from an import source (a listing or a BibTeX file), as the record it would become.

    ``record`` holds schema keys in schema order (see model.PUBLICATION_KEYS); ``line`` is where
    the entry starts in its source; ``uncertain`` says why the parse is a guess, if it is.
    """

    line: int
    record: dict[str, Any]
    uncertain: str | None = None


@dataclass(frozen=True, slots=True)
class Existing:
    """A content file already in the site: its slug and, when it parsed, its paper identity."""

    slug: str
    path: str
    key: str | None


@dataclass(frozen=True, slots=True)
class Added:
    """A new paper and the file text to write for it."""

    line: int
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Present:
    """A listing entry that matched a file already in the site."""

    line: int
    path: str


@dataclass(frozen=True, slots=True)
class Uncertain:
    """An entry whose title/author split is a guess, with why."""

    line: int
    title: str
    authors: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import will do."""

    added: tuple[Added, ...] = ()
    present: tuple[Present, ...] = ()
    uncertain: tuple[Uncertain, ...] = ()
    duplicates: tuple[tuple[int, int], ...] = field(default=())  # (line, first line of the same paper)


def entry_record(entry: ListingEntry) -> dict[str, Any]:
    """Return the YAML mapping of an entry, keys in schema order, empty optional keys left out."""
    record: dict[str, Any] = {"title": entry.title, "authors": list(entry.authors)}
    if entry.et_al:
        record["et_al"] = True
    if entry.affiliations:
        record["affiliations"] = list(entry.affiliations)
    record["date"] = entry.date.isoformat()
    record["category"] = entry.category
    record["has_code"] = entry.has_code
    if entry.score is not None:
        record["score"] = entry.score
    record["abstract"] = entry.abstract
    return record


def from_listing(entries: list[ListingEntry]) -> list[SourceEntry]:
    """Return listing entries as source entries."""
    return [SourceEntry(e.line, entry_record(e), e.uncertain) for e in entries]


def plan_import(entries: list[SourceEntry], existing: list[Existing], publications_dir: str) -> ImportPlan:
    """Match entries to existing files by identity and plan a new file for each new paper."""
    by_key = {e.key: e for e in existing if e.key}
    taken = {e.slug for e in existing}
    seen: dict[str, int] = {}
    added, present, uncertain, duplicates = [], [], [], []
    for entry in entries:
        rec = entry.record
        authors = tuple(rec.get("authors", ()))
        if entry.uncertain:
            uncertain.append(Uncertain(entry.line, rec["title"], authors, entry.uncertain))
        key = paper_key(rec["title"], authors[0] if authors else None)
        if key in seen:
            duplicates.append((entry.line, seen[key]))
            continue
        seen[key] = entry.line
        if key in by_key:
            present.append(Present(entry.line, by_key[key].path))
            continue
        base = paper_slug(dt.date.fromisoformat(rec["date"]), authors, rec["title"])
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        text = dump_yaml(rec)
        added.append(Added(entry.line, f"{publications_dir}/{slug}.yaml", text))
    return ImportPlan(tuple(added), tuple(present), tuple(uncertain), tuple(duplicates))
