"""The site's values: publications, links and the whole site, validated from YAML mappings.

Validation never stops at the first mistake: each ``*_from_mapping`` returns the
value (or None) together with every problem it found, each with its line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import operator
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .errors import Problem, Severity
from .schema import PUBLICATION_KEYS
from .yamlio import LineMap

LINK_KINDS = ("pdf", "arxiv", "doi", "code", "project", "video", "slides", "poster", "data", "url")
LINK_LABELS = {
    "pdf": "PDF",
    "arxiv": "arXiv",
    "doi": "DOI",
    "code": "Code",
    "project": "Project",
    "video": "Video",
    "slides": "Slides",
    "poster": "Poster",
    "data": "Data",
    "url": "Link",
}
REQUIRED_KEYS = ("title", "authors", "date")
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f]")  # whitespace (as str.isspace) and control characters


T = TypeVar("T")


def quick_pickle(cls: type[T]) -> type[T]:
    """Pickle a frozen dataclass as its constructor's arguments: ten times faster than the default.

    The build cache holds every parsed paper; this keeps reading and writing it short.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    assert len(names) > 1  # attrgetter of one name returns the value, not a tuple
    getter = operator.attrgetter(*names)

    def __reduce__(self: T) -> tuple[type[T], tuple[object, ...]]:
        return cls, getter(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@quick_pickle
@dataclass(frozen=True, slots=True)
class Link:
    """A labelled link of a paper, such as its PDF or code."""

    kind: str
    url: str
    line: int | None = field(default=None, compare=False)  # where it is written, for messages

    @property
    def label(self) -> str:
        """Return the button text for this kind of link."""
        return LINK_LABELS[self.kind]


@quick_pickle
@dataclass(frozen=True, slots=True)
class Publication:
    """One paper, as read from ``content/publications/<slug>.yaml``."""

    slug: str
    source: str
    title: str
    authors: tuple[str, ...]
    date: dt.date
    et_al: bool = False
    affiliations: tuple[str, ...] = ()
    category: str | None = None
    has_code: bool = False
    score: float | int | None = None
    abstract: str = ""
    venue: str | None = None
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    selected: bool = False

    @property
    def year(self) -> int:
        """Return the year of publication."""
        return self.date.year

    def link(self, kind: str) -> str | None:
        """Return the URL of the link of this kind, if the paper has one."""
        return next((link.url for link in self.links if link.kind == kind), None)


@dataclass(frozen=True, slots=True)
class Page:
    """A page of the lab's own, from ``content/pages/<slug>.md`` (YAML front matter, Markdown)."""

    slug: str  # "" for the home page (index.md or home.md)
    source: str
    title: str
    body: str  # Markdown
    nav_title: str = ""
    nav_order: float | None = None
    in_nav: bool = True
    description: str = ""

    @property
    def path(self) -> str:
        """Return the page's folder relative to the site root, e.g. ``research/``."""
        return f"{self.slug}/" if self.slug else ""


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One news item, from ``content/news.yaml``: a date and Markdown text."""

    date: dt.date
    text: str
    source: str
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NewsView:
    """A news item as the home page shows it: its date and its text as safe HTML."""

    date: dt.date
    html: str  # markupsafe.Markup


@dataclass(frozen=True, slots=True)
class Site:
    """Everything a build renders: the configuration and the papers, newest first."""

    config: Any  # config.SiteConfig; typed loosely to keep model free of config's imports
    publications: tuple[Publication, ...] = field(default=())
    people: tuple[Any, ...] = field(default=())  # people.Person, from content/people.yaml
    pages: tuple[Page, ...] = field(default=())  # content/pages/*.md, the home page's excluded
    news: tuple[NewsItem, ...] = field(default=())  # content/news.yaml, newest first


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return a ``did you mean`` hint for a misspelt key, or an empty string."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


def check_url(url: str) -> str | None:
    """Return why a URL is not allowed (only http(s), mailto and relative URLs are), or None."""
    if not url or _NOT_IN_URL.search(url):
        return "is not a valid URL (empty, or contains spaces or control characters)"
    scheme = urlsplit(url).scheme.lower()
    if scheme and scheme not in _SAFE_SCHEMES:
        return f"uses the {scheme!r} scheme; only http, https, mailto and relative URLs are allowed"
    return None


def parse_date(value: Any) -> dt.date | None:
    """Return a date from ``YYYY-MM-DD`` text (or a date), or None when it is not one."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


class _Checker:
    """Collect problems for one mapping, each at its key's line."""

    def __init__(self, data: LineMap, path: str) -> None:
        self.data, self.path, self.problems = data, path, list[Problem]()

    def line(self, key: str) -> int | None:
        return getattr(self.data, "lines", {}).get(key, getattr(self.data, "line", None))

    def add(self, key: str, message: str, severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(self.path, self.line(key), message, severity))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(
                    Problem(self.path, getattr(self.data, "line", 1), f"missing required key {key!r}")
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(key, f"{key!r} must be text, got {_kind(value)}")
            return None
        text = str(value).strip()
        if required and not text:
            self.add(key, f"{key!r} must not be empty")
            return None
        return text

    def unknown_keys(self, allowed: tuple[str, ...]) -> None:
        """Report every key not in ``allowed``, with a did-you-mean suggestion."""
        for key in self.data:
            if key not in allowed:
                self.add(str(key), f"unknown key {key!r}{suggest(str(key), allowed)}")

    def date(self, key: str) -> dt.date | None:
        """Return a required ``YYYY-MM-DD`` date, reporting it when missing or impossible."""
        if key not in self.data:
            self.text(key, required=True)
            return None
        date = parse_date(self.data[key])
        if date is None:
            self.add(key, f"{key!r} must be a real date as YYYY-MM-DD, got {_shown(self.data[key])}")
        return date

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(key, f"{key!r} must be true or false, got {_shown(value)}")
            return False
        return value

    def strings(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(
                    Problem(self.path, getattr(self.data, "line", 1), f"missing required key {key!r}")
                )
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.add(key, f"{key!r} must be a list of text, got {_kind(value)}")
            return ()
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.add(key, f"{key!r} must be a list of text, got an item that is {_kind(item)}")
                continue
            text = str(item).strip()
            if text:
                out.append(sys.intern(text))  # names and tags recur across papers: one copy each
        if required and not out:
            self.add(key, f"{key!r} must list at least one name")
        return tuple(out)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return f"{type(value).__name__} {value!r}"


def _shown(value: Any) -> str:
    """Return a value for a message: its repr, or its kind for a list or mapping (which may nest deeply)."""
    return _kind(value) if isinstance(value, (Mapping, list)) else repr(value)


def publication_from_mapping(data: Any, slug: str, path: str) -> tuple[Publication | None, list[Problem]]:
    """Validate one paper's mapping; return the Publication (None if unusable) and all problems."""
    if not isinstance(data, dict):
        return None, [Problem(path, 1, f"a publication file must be a mapping of keys, got {_kind(data)}")]
    if not isinstance(data, LineMap):
        data = _as_linemap(data)
    check = _Checker(data, path)
    if not SLUG_RE.fullmatch(slug):
        check.problems.append(
            Problem(path, None, f"file name {slug!r} is not a valid slug (lowercase a-z, 0-9 and '-')")
        )
    check.unknown_keys(PUBLICATION_KEYS)
    title = check.text("title", required=True)
    authors = check.strings("authors", required=True)
    date = check.date("date")
    score = data.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        check.add("score", f"'score' must be a number, got {_shown(score)}")
        score = None
    links: list[Link] = []
    raw_links = data.get("links")
    if raw_links is not None:
        if not isinstance(raw_links, dict):
            check.add("links", f"'links' must be a mapping of kind to URL, got {_kind(raw_links)}")
        else:
            link_lines = getattr(raw_links, "lines", {})
            for kind, url in raw_links.items():
                line = link_lines.get(kind, check.line("links"))
                if kind not in LINK_KINDS:
                    check.problems.append(
                        Problem(
                            path,
                            line,
                            f"unknown link kind {kind!r}{suggest(str(kind), LINK_KINDS)}"
                            f" (known: {', '.join(LINK_KINDS)})",
                        )
                    )
                    continue
                if not isinstance(url, str):
                    check.problems.append(
                        Problem(path, line, f"link {kind!r} must be a URL, got {_kind(url)}")
                    )
                    continue
                why = check_url(url.strip())
                if why:
                    check.problems.append(Problem(path, line, f"link {kind!r} {why}"))
                    continue
                links.append(Link(kind, url.strip(), line))
    links.sort(key=lambda link: LINK_KINDS.index(link.kind))
    publication = Publication(
        slug=slug,
        source=path,
        title=title or "",
        authors=authors,
        date=date or dt.date(1970, 1, 1),
        et_al=check.flag("et_al"),
        affiliations=check.strings("affiliations"),
        category=_interned(check.text("category")),
        has_code=check.flag("has_code"),
        score=score,
        abstract=check.text("abstract") or "",
        venue=_interned(check.text("venue")),
        tags=check.strings("tags"),
        links=tuple(links),
        selected=check.flag("selected"),
    )
    usable = bool(title and authors and date)
    return (publication if usable else None), check.problems


def _interned(text: str | None) -> str | None:
    """Return one shared copy of a value many papers repeat (a venue, a category)."""
    return sys.intern(text) if text is not None else None


def _as_linemap(data: dict[Any, Any]) -> LineMap:
    result = LineMap(data)
    result.line, result.lines = 1, {}
    return result
