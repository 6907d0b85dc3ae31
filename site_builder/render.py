"""Render a :class:`Site` to ``{output path: HTML text}`` with Jinja; no file is written here."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from .categories import category_name
from .config import SiteConfig
from .facets import author_slug, facet_panel, publication_index, search_index
from .markup import MarkdownRenderer
from .model import Publication, Site
from .slugs import ascii_fold

RECENT_ON_HOME = 5
# The publications page carries this many papers in its HTML; the rest are listed on year
# pages (complete without JavaScript) and rendered from the JSON index by the script.
LIST_HTML_LIMIT = 500


@dataclass(frozen=True, slots=True)
class AuthorView:
    """An author's name as shown, and whether the person is a lab member."""

    name: str
    member: bool
    slug: str


@dataclass(frozen=True, slots=True)
class PaperView:
    """What templates need of one paper, computed once per build."""

    pub: Publication
    path: str  # relative to the site root, e.g. "publications/2023-xue-egocentric/"
    authors: tuple[AuthorView, ...]
    abstract_html: Markup
    category_name: str | None


@dataclass(frozen=True, slots=True)
class YearGroup:
    """The papers of one year, newest first."""

    year: int
    papers: tuple[PaperView, ...]


def make_environment(template_dirs: Sequence[Path]) -> jinja2.Environment:
    """Return the Jinja environment: the first folder that has a template wins, autoescape on."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["link_from"] = link_from
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}"
    env.filters["shortdate"] = lambda d: f"{d:%b} {d.day}, {d.year}"
    return env


def link_from(url: str, root: str) -> str:
    """Return a URL usable from a page whose site root is ``root``: site paths become relative."""
    if not url:
        return root
    if "://" in url or url.startswith(("mailto:", "#", "//")):
        return url
    return root + url.lstrip("/")


def _name_key(name: str) -> str:
    return " ".join(ascii_fold(name).casefold().replace(".", " ").split())


def paper_views(site: Site, markdown: MarkdownRenderer) -> tuple[PaperView, ...]:
    """Build the template view of every paper, in the site's order (newest first)."""
    members = {_name_key(m) for m in site.config.members}
    views = []
    for pub in site.publications:
        views.append(
            PaperView(
                pub=pub,
                path=f"publications/{pub.slug}/",
                authors=tuple(AuthorView(a, _name_key(a) in members, author_slug(a)) for a in pub.authors),
                abstract_html=markdown.render(pub.abstract) if pub.abstract else Markup(""),
                category_name=category_name(pub.category) if pub.category else None,
            )
        )
    return tuple(views)


def by_year(papers: Sequence[PaperView]) -> tuple[YearGroup, ...]:
    """Group papers (already newest first) by year."""
    return tuple(
        YearGroup(year, tuple(group)) for year, group in itertools.groupby(papers, key=lambda v: v.pub.year)
    )


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _script_json(value: object) -> str:
    """Return JSON safe to inline in a ``<script type="application/json">`` element."""
    return _json(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def root_for(path: str) -> str:
    """Return the relative prefix from an output page back to the site root (``./``, ``../../``)."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def _page(env: jinja2.Environment, template: str, path: str, config: SiteConfig, **context: object) -> str:
    return env.get_template(template).render(
        site=config,
        root=root_for(path),
        page_path=path,
        **context,
    )


def render_pages(
    site: Site, env: jinja2.Environment, markdown: MarkdownRenderer
) -> Iterator[tuple[str, str]]:
    """Yield ``(output path, HTML)`` for every page of the site."""
    config = site.config
    views = paper_views(site, markdown)
    years = by_year(views)
    intro = markdown.render(config.intro, latex=False) if config.intro else Markup("")
    yield (
        "index.html",
        _page(
            env,
            "home.html",
            "index.html",
            config,
            intro=intro,
            recent=views[:RECENT_ON_HOME],
            total=len(views),
            years=years,
        ),
    )
    shown = views[:LIST_HTML_LIMIT]
    truncated = len(shown) < len(views)
    index = publication_index(site.publications, config.members)
    index["complete"] = not truncated
    yield (
        "publications/index.html",
        _page(
            env,
            "publications.html",
            "publications/index.html",
            config,
            years=by_year(shown),
            all_years=years,
            truncated=truncated,
            total=len(views),
            index_json=Markup(_script_json(index)),
            facets=facet_panel(index),
        ),
    )
    if truncated:
        for group in years:
            path = f"publications/years/{group.year}/index.html"
            yield path, _page(env, "year.html", path, config, group=group, all_years=years, total=len(views))
    yield "publications/search.json", _json(search_index(site.publications))
    for i, view in enumerate(views):
        path = f"{view.path}index.html"
        newer = views[i - 1] if i > 0 else None
        older = views[i + 1] if i + 1 < len(views) else None
        yield path, _page(env, "publication.html", path, config, paper=view, newer=newer, older=older)
    yield "404.html", _page(env, "404.html", "404.html", config)
