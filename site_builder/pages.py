"""The lab homepage beyond the papers: Markdown pages, the people page, news and the CNAME file.

``content/pages/<slug>.md`` is YAML front matter between ``---`` lines, then Markdown;
``index.md`` (or ``home.md``) is the home page's intro, any other becomes ``<slug>/``.
``content/news.yaml`` is a list of ``{date, text}``. Validation collects every problem
with its line; rendering returns strings and writes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from .config import NavItem, SiteConfig
from .errors import Problem, ProblemsError, Severity
from .facets import author_slug
from .markup import MarkdownRenderer
from .model import SLUG_RE, NewsItem, NewsView, Page, Site, _as_linemap, _Checker, _kind
from .people import Person
from .yamlio import LineMap, load_yaml

if TYPE_CHECKING:
    from .render import PaperView

PAGE_KEYS = ("title", "nav_title", "nav_order", "nav", "description")
HOME_SLUGS = ("index", "home")
# Folders the generator writes itself; a page may not take their place.
RESERVED_SLUGS = frozenset(
    {"publications", "authors", "people", "news", "static", "feed", "sitemap", "sitemaps"}
)
NEWS_KEYS = ("date", "text")
PEOPLE_NAV_TITLE = "People"
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


def split_front_matter(text: str, path: str) -> tuple[Any, str, list[Problem]]:
    """Split ``---`` YAML front matter from the Markdown body; front-matter lines keep their numbers."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---") or _FENCE.match(text) is None:
        return (
            None,
            text,
            [Problem(path, 1, "missing front matter: start with a '---' line, 'title: …', '---'")],
        )
    end = _FENCE.search(text, text.index("\n") + 1 if "\n" in text else len(text))
    if end is None:
        return None, text, [Problem(path, 1, "front matter is not closed: add a '---' line after it")]
    # A blank first line in place of the opening fence keeps YAML line numbers equal to file lines.
    front = "\n" + text[text.index("\n") + 1 : end.start()]
    body = text[end.end() :].lstrip("\n")
    try:
        return load_yaml(front, path), body, []
    except ProblemsError as exc:
        return None, body, exc.problems


def page_from_text(text: str, stem: str, path: str) -> tuple[Page | None, list[Problem]]:
    """Validate one page file; return the Page (None if unusable) and every problem."""
    data, body, problems = split_front_matter(text, path)
    if problems:
        return None, problems
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(path, 2, f"front matter must be a mapping of keys, got {_kind(data)}")]
    if not isinstance(data, LineMap):
        data = _as_linemap(data)
    check = _Checker(data, path)
    home = stem in HOME_SLUGS
    if not SLUG_RE.fullmatch(stem):
        check.problems.append(
            Problem(path, None, f"file name {stem!r} is not a valid slug (lowercase a-z, 0-9 and '-')")
        )
    elif stem in RESERVED_SLUGS:
        check.problems.append(
            Problem(path, None, f"{stem!r} is a folder of the generated site; rename the page")
        )
    check.unknown_keys(PAGE_KEYS)
    title = check.text("title", required=not home) or ""
    order = data.get("nav_order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, (int, float))):
        check.add("nav_order", f"'nav_order' must be a number, got {order!r}")
        order = None
    page = Page(
        slug="" if home else stem,
        source=path,
        title=title,
        body=body,
        nav_title=check.text("nav_title") or "",
        nav_order=order,
        in_nav=check.flag("nav") if "nav" in data else True,
        description=check.text("description") or "",
    )
    usable = not check.problems or all(p.severity is Severity.WARNING for p in check.problems)
    return (page if usable else None), check.problems


def check_pages(pages: Sequence[Page]) -> list[Problem]:
    """Report two files that make the same page (``index.md`` and ``home.md``)."""
    seen: dict[str, str] = {}
    problems = []
    for page in pages:
        if page.slug in seen:
            problems.append(Problem(page.source, None, f"the same page as {seen[page.slug]}"))
        seen.setdefault(page.slug, page.source)
    return problems


def news_from_data(data: Any, path: str) -> tuple[list[NewsItem], list[Problem]]:
    """Validate ``news.yaml``: a list of ``{date, text}``; return the items newest first."""
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [Problem(path, 1, f"news.yaml must be a list of {{date, text}} items, got {_kind(data)}")]
    items: list[NewsItem] = []
    problems: list[Problem] = []
    for raw in data:
        line = getattr(raw, "line", 1)
        if not isinstance(raw, dict):
            problems.append(Problem(path, line, f"each news item must be a mapping, got {_kind(raw)}"))
            continue
        if not isinstance(raw, LineMap):
            raw = _as_linemap(raw)
        check = _Checker(raw, path)
        check.unknown_keys(NEWS_KEYS)
        date = check.date("date")
        text = check.text("text", required=True)
        problems.extend(check.problems)
        if date is not None and text:
            items.append(NewsItem(date, text, path, line))
    items.sort(key=lambda n: (-n.date.toordinal(), n.line or 0))
    return items, problems


def _order(value: float | None, fallback: float) -> float:
    return float(value) if value is not None else fallback


def lab_nav(config: SiteConfig, pages: Sequence[Page], people: bool) -> tuple[NavItem, ...]:
    """Merge the lab's pages (and the people page) into the navigation, in the order they ask for.

    ``site.yaml``'s entries are numbered 10, 20, 30…; a page's ``nav_order`` places it among
    them (15 goes between the first two); pages without one come last, by title.
    """
    entries: list[tuple[float, int, str, NavItem]] = [
        ((i + 1) * 10, 0, "", item) for i, item in enumerate(config.nav)
    ]
    taken = {item.url.rstrip("/") for item in config.nav}
    after = (len(config.nav) + 1) * 10
    if people and "people" not in taken:
        entries.append((after, 1, "", NavItem(PEOPLE_NAV_TITLE, "people/")))
    for page in pages:
        if page.slug and page.in_nav and page.slug not in taken:
            title = page.nav_title or page.title
            entries.append(
                (_order(page.nav_order, float("inf")), 2, title.casefold(), NavItem(title, page.path))
            )
    return tuple(item for *_, item in sorted(entries, key=lambda e: e[:3]))


def lab_config(
    config: SiteConfig,
    pages: Sequence[Page],
    news: Sequence[NewsItem],
    people: Sequence[Person],
    markdown: MarkdownRenderer,
) -> tuple[SiteConfig, list[Problem]]:
    """Return the config every page sees: the home page's intro, the merged nav and the news."""
    problems: list[Problem] = []
    intro = config.intro
    home = next((p for p in pages if not p.slug), None)
    if home is not None and home.body.strip():
        if config.intro:
            problems.append(
                Problem(
                    home.source,
                    None,
                    "site.yaml's 'intro' is also set; this page's text is the home page's intro",
                    Severity.WARNING,
                )
            )
        intro = home.body
    return (
        dataclasses.replace(
            config,
            intro=intro,
            nav=lab_nav(config, pages, bool(people)),
            news=tuple(NewsView(n.date, markdown.render(n.text, latex=False)) for n in news),
        ),
        problems,
    )


@dataclass(frozen=True, slots=True)
class PersonView:
    """A person as the people page shows them: the record and their author page, if any."""

    person: Person
    author_path: str | None  # e.g. "authors/kristen-grauman/", when they have papers here


def people_views(
    people: Iterable[Person], views: Sequence[PaperView]
) -> tuple[list[PersonView], list[PersonView]]:
    """Return the current members and the alumni, in the order of ``people.yaml``."""
    authors = {a.slug for view in views for a in view.authors}
    current: list[PersonView] = []
    alumni: list[PersonView] = []
    for person in people:
        slug = author_slug(person.name)
        view = PersonView(person, f"authors/{slug}/" if slug in authors else None)
        (alumni if person.alumni else current).append(view)
    return current, alumni


def root_for(path: str) -> str:
    """Return the relative prefix from an output page back to the site root (``./``, ``../``)."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def _render(env: jinja2.Environment, template: str, path: str, config: SiteConfig, **context: object) -> str:
    return env.get_template(template).render(site=config, root=root_for(path), page_path=path, **context)


def render_lab_pages(
    site: Site, env: jinja2.Environment, markdown: MarkdownRenderer, views: Sequence[PaperView]
) -> Iterator[tuple[str, str]]:
    """Yield the lab's Markdown pages, the people page and the CNAME file."""
    config: SiteConfig = site.config
    for page in site.pages:
        if not page.slug:
            continue
        path = f"{page.path}index.html"
        yield (
            path,
            _render(
                env,
                "page.html",
                path,
                config,
                page=page,
                body=markdown.render(page.body, latex=False),
                canonical=config.base_url + page.path if config.base_url else None,
            ),
        )
    if site.people:
        current, alumni = people_views(site.people, views)
        path = "people/index.html"
        yield (
            path,
            _render(
                env,
                "people.html",
                path,
                config,
                current=current,
                alumni=alumni,
                canonical=config.base_url + "people/" if config.base_url else None,
            ),
        )
    if config.cname:
        yield "CNAME", config.cname + "\n"
