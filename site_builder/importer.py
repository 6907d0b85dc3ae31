"""Plan an import: turn parsed entries into new YAML files, never touching existing ones.

Pure: entries and an index of the existing content in, an :class:`ImportPlan`
out. Writing the plan is the CLI's job (through :mod:`output`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .listing import ListingEntry
from .schema import PUBLICATION_KEYS
from .slugs import ascii_fold, paper_key, paper_slug
from .yamledit import set_key
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
    """A content file already in the site: its slug, text and, when it parsed, its record."""

    slug: str
    path: str
    key: str | None
    text: str | None = None
    record: dict[str, Any] | None = None
    lines: dict[str, int] = field(default_factory=dict)  # key → line in the file


@dataclass(frozen=True, slots=True)
class Added:
    """A new paper and the file text to write for it."""

    line: int
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Updated:
    """An existing file changed by ``--update``: its old and new text."""

    line: int
    path: str
    old: str
    new: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Present:
    """A source entry that matched a file already in the site."""

    line: int
    path: str


@dataclass(frozen=True, slots=True)
class Difference:
    """A field where the source says something other than the file (the file wins)."""

    path: str
    file_line: int | None
    field: str
    source_line: int
    ours: Any
    theirs: Any


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
    updated: tuple[Updated, ...] = ()
    present: tuple[Present, ...] = ()
    differences: tuple[Difference, ...] = ()
    missing: tuple[str, ...] = ()  # files whose paper the source does not have
    uncertain: tuple[Uncertain, ...] = ()
    duplicates: tuple[tuple[int, int], ...] = ()  # (line, first line of the same paper)


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


_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/([a-z-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})", re.I)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")


def identifiers(record: dict[str, Any]) -> set[str]:
    """Return the paper's persistent ids found in its links: ``doi:…`` and ``arxiv:…``."""
    ids = set()
    links = record.get("links")
    if isinstance(links, dict):
        for kind, url in links.items():
            if not isinstance(url, str):
                continue
            if kind == "doi" and (m := _DOI.search(url)):
                ids.add("doi:" + m.group(1).lower().rstrip("."))
            if m := _ARXIV.search(url):
                ids.add("arxiv:" + m.group(1).lower())
    return ids


def record_key(record: dict[str, Any]) -> str | None:
    """Return the title-and-first-author identity of a record, if it has a title."""
    title = record.get("title")
    if not isinstance(title, str):
        return None
    authors = record.get("authors")
    first = authors[0] if isinstance(authors, list) and authors else None
    return paper_key(title, str(first) if first is not None else None)


def _comparable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def _defaults(key: str) -> Any:
    return {"et_al": False, "has_code": False, "selected": False}.get(key)


def plan_import(
    entries: list[SourceEntry],
    existing: list[Existing],
    publications_dir: str,
    update: frozenset[str] = frozenset(),
) -> ImportPlan:
    """Match entries to existing files, plan new files, and report (or apply) differences.

    A file is matched by DOI or arXiv id when both sides have one, else by normalised title and
    first author. Nothing a person wrote is dropped: fields only in the file stay, and fields
    that differ are reported, changed only when named in ``update``.
    """
    by_id: dict[str, Existing] = {}
    by_key: dict[str, Existing] = {}
    by_abstract: dict[str, Existing] = {}
    by_author_year: dict[tuple[str, str], list[Existing]] = {}
    for ex in existing:
        if ex.record is not None:
            for ident in identifiers(ex.record):
                by_id.setdefault(ident, ex)
            if abstract := _abstract_key(ex.record):
                by_abstract.setdefault(abstract, ex)
            if author_year := _author_year(ex.record):
                by_author_year.setdefault(author_year, []).append(ex)
        if ex.key:
            by_key.setdefault(ex.key, ex)
    taken = {e.slug for e in existing}
    seen: dict[str, int] = {}
    matched: set[str] = set()
    added: list[Added] = []
    updated: list[Updated] = []
    present: list[Present] = []
    differences: list[Difference] = []
    uncertain: list[Uncertain] = []
    duplicates: list[tuple[int, int]] = []
    for entry in entries:
        rec = entry.record
        authors = tuple(rec.get("authors", ()))
        if entry.uncertain:
            uncertain.append(Uncertain(entry.line, rec["title"], authors, entry.uncertain))
        key = record_key(rec) or ""
        ids = identifiers(rec)
        identity = min(ids) if ids else key
        if identity in seen or key in seen:
            duplicates.append((entry.line, seen.get(identity, seen.get(key, entry.line))))
            continue
        seen[identity] = seen[key] = entry.line
        match = (
            next((by_id[i] for i in sorted(ids) if i in by_id), None)
            or by_key.get(key)
            or by_abstract.get(_abstract_key(rec) or "")
            or _similar_title(rec, by_author_year.get(_author_year(rec) or ("", ""), []), matched)
        )
        if match is not None and match.path not in matched:
            matched.add(match.path)
            present.append(Present(entry.line, match.path))
            diffs = _differences(entry, match)
            changes = [d for d in diffs if d.field in update]
            differences += [d for d in diffs if d.field not in update]
            if changes and match.text is not None:
                new = match.text
                for d in changes:
                    value = rec[d.field]
                    if d.field == "links" and isinstance(d.ours, dict):
                        value = {**d.ours, **value}  # links people added stay
                    new = set_key(new, d.field, value, PUBLICATION_KEYS)
                updated.append(
                    Updated(entry.line, match.path, match.text, new, tuple(d.field for d in changes))
                )
            continue
        base = paper_slug(dt.date.fromisoformat(rec["date"]), authors, rec["title"])
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        added.append(Added(entry.line, f"{publications_dir}/{slug}.yaml", dump_yaml(rec)))
    missing = tuple(ex.path for ex in existing if ex.path not in matched)
    return ImportPlan(
        tuple(added),
        tuple(updated),
        tuple(present),
        tuple(differences),
        missing,
        tuple(uncertain),
        tuple(duplicates),
    )


def _abstract_key(record: dict[str, Any]) -> str | None:
    """Return a long abstract, normalised, as an identity (people rarely rewrite abstracts)."""
    abstract = record.get("abstract")
    if not isinstance(abstract, str):
        return None
    words = re.sub(r"[^a-z0-9]+", " ", ascii_fold(abstract).lower()).split()
    return " ".join(words) if len(words) >= 20 else None


def _author_year(record: dict[str, Any]) -> tuple[str, str] | None:
    authors = record.get("authors")
    date = record.get("date")
    if not isinstance(authors, list) or not authors or date is None:
        return None
    return paper_key("", str(authors[0])), str(date)[:4]


def _similar_title(record: dict[str, Any], candidates: list[Existing], matched: set[str]) -> Existing | None:
    """Return the candidate (same first author and year) whose title is nearly the same, if one is."""
    title = record.get("title")
    if not isinstance(title, str):
        return None
    mine = paper_key(title, None)
    best, best_ratio = None, 0.0
    for ex in candidates:
        other = ex.record.get("title") if ex.record else None
        if ex.path in matched or not isinstance(other, str):
            continue
        ratio = difflib.SequenceMatcher(None, mine, paper_key(other, None)).ratio()
        if ratio > best_ratio:
            best, best_ratio = ex, ratio
    return best if best_ratio >= 0.8 else None


def _differences(entry: SourceEntry, match: Existing) -> list[Difference]:
    """Return the fields where the source's record differs from the file's."""
    ours = match.record or {}
    diffs = []
    for field_name, theirs in entry.record.items():
        if field_name == "links" and isinstance(theirs, dict):
            raw = ours.get("links")
            mine: dict[str, Any] = raw if isinstance(raw, dict) else {}
            extra = {k: v for k, v in theirs.items() if k not in mine}
            if not extra and all(_comparable(mine.get(k)) == _comparable(v) for k, v in theirs.items()):
                continue
        mine_value = ours.get(field_name, _defaults(field_name))
        if _comparable(mine_value) == _comparable(theirs):
            continue
        diffs.append(
            Difference(match.path, match.lines.get(field_name), field_name, entry.line, mine_value, theirs)
        )
    return diffs
