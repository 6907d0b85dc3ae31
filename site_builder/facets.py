"""The data behind the filterable publications page: facet vocabularies and a compact paper index.

Pure: papers in, JSON-ready values out. The browser script (``static/js/publications.js``)
reads ``publications/index.json`` (facets, one row per paper) and, when someone first
searches, ``publications/search.json`` (one folded search text per paper).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .categories import category_name
from .model import Publication
from .people import Directory, make_directory
from .slugs import fold, slugify

# A paper's row. Its authors are not in it: the numbers of every paper's authors are one flat
# list ("paper_authors", row after row; "author_counts" says how many are each row's), which
# an edit to who wrote a paper numbers anew (authors are numbered by their count of papers).
INDEX_FIELDS = ("slug", "title", "date", "et_al", "category", "venue", "tags", "flags", "links")
FLAG_CODE = 1
FLAG_SELECTED = 2
_WORD = re.compile(r"[a-z0-9]+(?:['’.-][a-z0-9]+)*")
_STOP = frozenset(
    "a an the of on in for and to with via from is are at by as or we our this that these those it its "
    "be been was were which can not no".split()
)
_DROPPED = _STOP | frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # stop words, one-letter words


@functools.lru_cache(maxsize=1 << 16)
def author_slug(name: str) -> str:
    """Return the URL slug of an author's name (``Piotr Dollár`` → ``piotr-dollar``)."""
    return slugify(name) or "author"


_fold_name = functools.lru_cache(maxsize=1 << 16)(fold)  # names recur: fold each once


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Distinct values of one facet, in display order, with their index."""

    values: tuple[str, ...]

    def index(self) -> dict[str, int]:
        """Return each value's position."""
        return {v: i for i, v in enumerate(self.values)}


# Per paper object, what does not change while the paper and the people do not: a preview
# keeps the paper objects of unchanged files, so a rebuild looks these up instead.
_RESOLVED: dict[int, tuple[Publication, Directory, tuple[str, ...]]] = {}
_ROWS: dict[int, tuple[Publication, int, list[Any], list[int]]] = {}  # rows, authors, by vocabularies
_VOCABULARIES: dict[str, Any] = {"last": None, "generation": 0}


def _resolved_authors(pub: Publication, directory: Directory) -> tuple[str, ...]:
    """Return a paper's distinct canonical author names."""
    hit = _RESOLVED.get(id(pub))
    if hit is not None and hit[0] is pub and (hit[1] is directory or hit[1] == directory):
        return hit[2]
    if len(_RESOLVED) > 1 << 20:  # pruned by publication_index; a bound for other callers
        _RESOLVED.clear()
    names = tuple(dict.fromkeys(directory.resolve(n) for n in pub.authors))
    _RESOLVED[id(pub)] = (pub, directory, names)
    return names


def author_vocabulary(
    papers: Sequence[Publication], members: Sequence[str], directory: Directory
) -> Vocabulary:
    """Return every author (canonical names): lab members first, in order, then by paper count and name."""
    counts: dict[str, int] = {}
    for pub in papers:
        for name in _resolved_authors(pub, directory):
            counts[name] = counts.get(name, 0) + 1
    return Vocabulary(author_order(counts, members, directory))


def author_order(counts: Mapping[str, int], members: Sequence[str], directory: Directory) -> tuple[str, ...]:
    """Return the authors (canonical names, with their paper counts) in the order of the author facet.

    Sorted by :func:`author_order_key`; equal keys (names folded alike) by first appearance.
    """
    return tuple(sorted(counts, key=author_order_key(counts, members, directory)))


def author_order_key(
    counts: Mapping[str, int], members: Sequence[str], directory: Directory
) -> Callable[[str], tuple[int, int, int, str]]:
    """Return the sort key of the author facet: lab members in order, then by paper count and name."""
    member_keys: dict[str, int] = {}
    for i, m in enumerate(members):
        member_keys.setdefault(_fold_name(directory.resolve(m)), i)

    def order(name: str) -> tuple[int, int, int, str]:
        folded = _fold_name(name)
        rank = member_keys.get(folded)
        return (0, rank, 0, "") if rank is not None else (1, 0, -counts[name], folded)

    return order


def search_text(pub: Publication) -> str:
    """Return the folded text a query is matched against: title, authors, venue, tags, abstract words."""
    head = " ".join([pub.title, *pub.authors, pub.venue or "", *pub.tags, pub.category or ""])
    words = dict.fromkeys(_WORD.findall(fold(pub.abstract.replace("\\", " "))))
    for word in words.keys() & _DROPPED:  # a set operation: no Python loop over every word
        del words[word]
    return f"{fold(head)} | {' '.join(words)}"


def facet_order(value: str) -> tuple[str, str]:
    """Return the sort key of venues and tags: folded, then as written (``iccv`` and ``ICCV`` alike)."""
    return fold(value), value


def index_row(pub: Publication, category: int, venue: int, tags: list[int]) -> list[Any]:
    """Return a paper's row of the index, given the positions of its facets in the vocabularies."""
    flags = (FLAG_CODE if pub.has_code else 0) | (FLAG_SELECTED if pub.selected else 0)
    return [
        pub.slug,
        pub.title,
        pub.date.isoformat(),
        1 if pub.et_al else 0,
        category,
        venue,
        tags,
        flags,
        [[link.kind, link.url] for link in pub.links],
    ]


def row_with_text(
    row: list[Any],
    pub: Publication,
    venue: int | None = None,
    tags: list[int] | None = None,
    category: int | None = None,
) -> list[Any]:
    """Return the row of ``pub`` given the row of an older version of it with the same facets.

    ``venue``, ``tags``, ``category``: their positions in the vocabularies, when they changed.
    """
    return index_row(
        pub,
        row[4] if category is None else category,
        row[5] if venue is None else venue,
        row[6] if tags is None else tags,
    )


def publication_index(
    papers: Sequence[Publication], members: Sequence[str], directory: Directory | None = None
) -> dict[str, Any]:
    """Return the compact index of every paper, newest first, for the filters."""
    directory = directory or make_directory((), members)
    authors = author_vocabulary(papers, members, directory)
    author_ix = authors.index()
    categories = Vocabulary(tuple(sorted({p.category for p in papers if p.category})))
    venues = Vocabulary(tuple(sorted({p.venue for p in papers if p.venue}, key=facet_order)))
    tags = Vocabulary(tuple(sorted({t for p in papers for t in p.tags}, key=facet_order)))
    cat_ix, venue_ix, tag_ix = categories.index(), venues.index(), tags.index()
    vocabularies = (authors, categories, venues, tags, directory)
    if _VOCABULARIES["last"] != vocabularies:  # rows hold indexes into these: new ones, new rows
        _VOCABULARIES.update(last=vocabularies, generation=_VOCABULARIES["generation"] + 1)
    generation = _VOCABULARIES["generation"]
    rows = []
    paper_authors = []
    for pub in papers:
        hit = _ROWS.get(id(pub))
        if hit is not None and hit[0] is pub and hit[1] == generation:
            rows.append(hit[2])
            paper_authors.append(hit[3])
            continue
        row = index_row(
            pub,
            cat_ix[pub.category] if pub.category else -1,
            venue_ix[pub.venue] if pub.venue else -1,
            [tag_ix[t] for t in pub.tags],
        )
        numbers = [author_ix[name] for name in _resolved_authors(pub, directory)]
        _ROWS[id(pub)] = (pub, generation, row, numbers)
        rows.append(row)
        paper_authors.append(numbers)
    if len(_ROWS) > len(papers):  # keep only this site's papers: an old paper is not held on to
        current = {id(pub) for pub in papers}
        for stale in [k for k in _ROWS if k not in current]:
            del _ROWS[stale]
        for stale in [k for k in _RESOLVED if k not in current]:
            del _RESOLVED[stale]
    return {
        "version": 2,
        "fields": list(INDEX_FIELDS),
        "categories": [[c, category_name(c)] for c in categories.values],
        "venues": list(venues.values),
        "tags": list(tags.values),
        "papers": rows,
        **author_index(authors.values, paper_authors, directory),
    }


def author_index(
    authors: Sequence[str], paper_authors: list[list[int]], directory: Directory
) -> dict[str, Any]:
    """Return the authors' part of the index: who they are, and each paper's (in the rows' order)."""
    return {
        "authors": list(authors),
        "author_slugs": [author_slug(a) for a in authors],
        "members": [i for i, a in enumerate(authors) if directory.is_member(a)],
        "author_counts": [len(numbers) for numbers in paper_authors],
        "paper_authors": list(itertools.chain.from_iterable(paper_authors)),
    }


def search_index(papers: Sequence[Publication]) -> list[str]:
    """Return the folded search text of every paper, in the index's order."""
    return [search_text(p) for p in papers]


TOP_AUTHORS = 12  # besides lab members; the script shows the same ones (static/js/publications.js)
RANGE_FROM_YEARS = 9  # with this many years the year facet also offers a from–to range


@dataclass(frozen=True, slots=True)
class FacetOption:
    """One checkbox of a facet, as first shown (no filter active)."""

    value: str
    label: str
    count: int
    title: str = ""
    member: bool = False


@dataclass(frozen=True, slots=True)
class FacetPanel:
    """The filter controls of the publications page, rendered in HTML so nothing shifts on load."""

    years: tuple[FacetOption, ...]
    year_range: tuple[int, ...]
    categories: tuple[FacetOption, ...]
    authors: tuple[FacetOption, ...]
    venues: tuple[FacetOption, ...]
    tags: tuple[FacetOption, ...]
    code: int
    selected: int
    more_authors: bool


def facet_panel(index: dict[str, Any]) -> FacetPanel:
    """Return the facet options and their counts over every paper, in the script's order."""
    rows = index["papers"]
    years: dict[int, int] = {}
    cats = [0] * len(index["categories"])
    venues = [0] * len(index["venues"])
    tags = [0] * len(index["tags"])
    authors = [0] * len(index["authors"])
    for a in index["paper_authors"]:
        authors[a] += 1
    code = selected = 0
    for _slug, _title, date, _et_al, cat, venue, tag_ix, flags, _links in rows:
        year = int(date[:4])
        years[year] = years.get(year, 0) + 1
        if cat >= 0:
            cats[cat] += 1
        if venue >= 0:
            venues[venue] += 1
        for t in tag_ix:
            tags[t] += 1
        code += 1 if flags & FLAG_CODE else 0
        selected += 1 if flags & FLAG_SELECTED else 0
    shown, more_authors = author_options(index, authors)
    ordered_years = sorted(years, reverse=True)
    return FacetPanel(
        years=tuple(FacetOption(str(y), str(y), years[y]) for y in ordered_years),
        year_range=tuple(sorted(years)) if len(years) >= RANGE_FROM_YEARS else (),
        categories=tuple(
            FacetOption(code_, name, cats[i], title=code_)
            for i, (code_, name) in enumerate(index["categories"])
        ),
        authors=shown,
        venues=tuple(FacetOption(v, v, venues[i]) for i, v in enumerate(index["venues"])),
        tags=tuple(FacetOption(t, t, tags[i]) for i, t in enumerate(index["tags"])),
        code=code,
        selected=selected,
        more_authors=more_authors,
    )


def author_options(index: dict[str, Any], counts: Sequence[int]) -> tuple[tuple[FacetOption, ...], bool]:
    """Return the author facet's checkboxes (members, then the most prolific others) and whether more exist.

    ``counts`` are the papers of each author of the index, by position.
    """
    members = index["members"]
    member_set = set(members)
    # the most papers first, then the first in the index; the members left out after (a few)
    ranked = heapq.nsmallest(TOP_AUTHORS + len(member_set), zip(map(operator.neg, counts), itertools.count()))
    others = [a for _, a in ranked if a not in member_set][:TOP_AUTHORS]
    shown = [*members, *others]
    options = tuple(
        FacetOption(index["author_slugs"][a], index["authors"][a], counts[a], member=a in member_set)
        for a in shown
    )
    return options, len(counts) > len(shown)
