"""Render a :class:`Site` to ``{output path: HTML text}`` with Jinja; no file is written here."""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import json
import pickle
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import markupsafe
from markupsafe import Markup

from .categories import category_name
from .cite import (
    arxiv_id,
    bibtex,
    bibtex_file,
    citation_keys,
    csl,
    csl_json,
    doi,
    plain_text,
    ris,
    split_name,
    venue_kind,
)
from .config import SiteConfig
from .facets import author_slug, facet_panel, publication_index, search_text
from .markup import UNPRINTABLE as _UNPRINTABLE
from .markup import MarkdownRenderer
from .model import Publication, Site, quick_pickle
from .people import Directory, Person, make_directory, name_key

RECENT_ON_HOME = 5
SELECTED_ON_HOME = 5  # the newest selected papers the home page names
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
    abstract_utf8: bytes  # its HTML, as the Markdown renderer keeps it (b"": none, or a brief view)
    category_name: str | None

    @property
    def abstract_html(self) -> Markup:
        """Return the abstract's HTML."""
        return Markup(self.abstract_utf8.decode("utf-8"))


@dataclass(frozen=True, slots=True)
class YearGroup:
    """The papers of one year, newest first."""

    year: int
    papers: tuple[PaperView, ...]


def make_environment(template_dirs: Sequence[Path], compiled: Path | None = None) -> jinja2.Environment:
    """Return the Jinja environment: the first folder that has a template wins, autoescape on.

    With ``compiled``, templates compiled to Python are kept in that folder (checked against
    their source), so a build does not compile them again: 40 ms of a quick rebuild.
    """
    cache = None
    if compiled is not None:
        compiled.mkdir(parents=True, exist_ok=True)
        cache = _CompiledTemplates(str(compiled))
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        bytecode_cache=cache,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates are read once per build (the preview makes a new environment)
    )
    env.finalize = printable
    env.filters["link_from"] = link_from
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}"
    env.filters["shortdate"] = lambda d: f"{d:%b} {d.day}, {d.year}"
    return env


# Control characters (NUL and friends) and bidirectional overrides, which could reorder what
# a reader sees around a title, never reach the page.


def printable(value: object) -> object:
    """Remove control characters and bidi overrides from every text a template prints.

    Markup (rendered Markdown, entries) is cleaned where it is made, so only plain text is checked.
    """
    if type(value) is str and _UNPRINTABLE.search(value):
        return _UNPRINTABLE.sub("", value)
    return value


# The C function markupsafe.escape calls before it wraps the text in Markup (in MarkupSafe 2.1+).
_escape_text: Callable[[str], str] = getattr(markupsafe, "_escape_inner", None) or (
    lambda text: str(markupsafe.escape(text))
)


def printed_html(value: object) -> str:
    """Return what an autoescaped template prints for ``value``: :func:`printable`, then escaped.

    One call instead of Jinja's two (``escape(finalize(value))``), and no ``Markup`` made for
    text that is only joined into the page: a paper's page prints about 120 values.
    """
    if type(value) is str:
        if _UNPRINTABLE.search(value):
            value = _UNPRINTABLE.sub("", value)
        return _escape_text(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()  # type: ignore[no-any-return]
    return _escape_text(str(value))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Compile ``{{ value }}`` in autoescaped templates to one call of :func:`printed_html`."""

    def _fused(self, frame: jinja2.compiler.Frame) -> bool:
        return (
            frame.eval_ctx.autoescape
            and not frame.eval_ctx.volatile
            and self.environment.finalize is printable
        )

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any) -> None:
        if self._fused(frame):
            self.write("environment.printed_html(")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(
        self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any
    ) -> None:
        if self._fused(frame):
            self.write(")")
        else:
            super()._output_child_post(node, frame, finalize)


class _Environment(jinja2.Environment):
    """Jinja's environment, printing values through :func:`printed_html`."""

    code_generator_class = _CodeGenerator
    printed_html = staticmethod(printed_html)


GENERATOR = "printed_html/1"  # change it when _CodeGenerator compiles templates differently


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates kept compiled, apart from those compiled by other code (another generator)."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{name}|{GENERATOR}", filename)


def link_from(url: str, root: str) -> str:
    """Return a URL usable from a page whose site root is ``root``: site paths become relative."""
    if not url:
        return root
    if "://" in url or url.startswith(("mailto:", "#", "//")):
        return url
    return root + url.lstrip("/")


@dataclass(frozen=True, slots=True)
class Helpers:
    """Per-build values every page may need: who is who, citation keys, absolute URLs."""

    directory: Directory
    keys: dict[str, str]  # paper slug → citation key
    base_url: str

    def absolute(self, path: str) -> str | None:
        """Return the absolute URL of a site path, when the site has a base URL."""
        return self.base_url + path if self.base_url else None


def make_helpers(site: Site) -> Helpers:
    """Compute the per-build helpers of a site."""
    directory = make_directory(site.people, site.config.members)
    return Helpers(directory, citation_keys(site.publications), site.config.base_url)


# The views of the last call, by paper object: a preview reuses the paper objects of files
# that did not change, and with the same people and members their views are the same.
_VIEWS: dict[str, object] = {}


def paper_views(
    site: Site, markdown: MarkdownRenderer, helpers: Helpers | None = None
) -> tuple[PaperView, ...]:
    """Build the template view of every paper, in the site's order (newest first)."""
    directory = (helpers or make_helpers(site)).directory
    context = (site.people, site.config.members)
    last = _VIEWS.get("views")
    known: dict[int, PaperView] = {}
    if last is not None and _VIEWS.get("context") == context:
        known = {id(v.pub): v for v in last}  # type: ignore[attr-defined]
    views = []
    for pub in site.publications:
        view = known.get(id(pub))
        if view is None or view.pub is not pub:
            view = paper_view(pub, directory, markdown)
        views.append(view)
    result = tuple(views)
    _VIEWS.update(views=result, context=context)
    return result


# Authors recur across papers: each way an author is shown is one object, shared by the views
_AUTHOR_VIEWS: dict[tuple[str, bool, str], AuthorView] = {}


def paper_view(pub: Publication, directory: Directory, markdown: MarkdownRenderer | None) -> PaperView:
    """Return the template view of one paper; without ``markdown``, one for brief entries (no abstract)."""
    authors = []
    for name in pub.authors:
        shown = (name, directory.is_member(name), author_slug(directory.resolve(name)))
        view = _AUTHOR_VIEWS.get(shown)
        if view is None:
            view = _AUTHOR_VIEWS[shown] = AuthorView(*shown)
        authors.append(view)
    return PaperView(
        pub=pub,
        path=f"publications/{pub.slug}/",
        authors=tuple(authors),
        abstract_utf8=markdown.render_utf8(pub.abstract) if pub.abstract and markdown else b"",
        category_name=category_name(pub.category) if pub.category else None,
    )


def by_year(papers: Sequence[PaperView]) -> tuple[YearGroup, ...]:
    """Group papers (already newest first) by year."""
    return tuple(
        YearGroup(year, tuple(group)) for year, group in itertools.groupby(papers, key=lambda v: v.pub.year)
    )


def _json(value: object) -> str:
    return _UNPRINTABLE.sub("", json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def script_json(value: object) -> str:
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


class _Entries:
    """Rendered list entries, most recently used last, kept as UTF-8 within a budget of bytes.

    By the identity of what they were made from (template, paper view, page depth, site.yaml;
    brief and full entries are kept apart): a preview keeps the view objects of unchanged
    papers, so their entries are reused across rebuilds too. UTF-8 is a third of a str's size
    for text with accents or math.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self.items: OrderedDict[tuple[int, int, str, int], tuple[object, object, object, bytes]] = (
            OrderedDict()
        )

    def get(
        self, key: tuple[int, int, str, int], template: object, p: object, config: object
    ) -> bytes | None:
        """Return the entry made from these very objects, if it is kept."""
        hit = self.items.get(key)
        if hit is None or hit[0] is not template or hit[1] is not p or hit[2] is not config:
            return None
        self.items.move_to_end(key)
        return hit[3]

    def keep(
        self, key: tuple[int, int, str, int], template: object, p: object, config: object, data: bytes
    ) -> None:
        """Keep an entry (and the objects it was made from, so their ids are not reused meanwhile)."""
        old = self.items.pop(key, None)
        if old is not None:
            self.held -= len(old[3])
        self.items[key] = (template, p, config, data)
        self.held += len(data)
        while self.held > self.budget:
            self.held -= len(self.items.popitem(last=False)[1][3])


# Brief entries are shown again and again: on the pages of the paper's authors and of the
# papers it is related to, from every part of the site. Their budget holds those of 100,000
# papers (about a kilobyte each), so author pages do not render them anew. A full entry is
# shown once per list (a year page, the first page of the list, the home page): a build keeps
# those of the list's first page (its year pages show them again), and the preview, which
# shows them again after each edit, keeps more (:func:`keep_full_entries`). At 10,000 papers
# a budget of 16 MiB raised a cold build's peak memory by 20 MiB for no speed.
_BRIEF_ENTRIES = _Entries(128 << 20)
_FULL_ENTRIES = _Entries(2 << 20)


def keep_full_entries(budget: int) -> None:
    """Keep up to ``budget`` bytes of full list entries in this process (a long-lived preview's)."""
    _FULL_ENTRIES.budget = budget


def entry_renderer(env: jinja2.Environment, config: SiteConfig) -> Callable[[PaperView, str, bool], Markup]:
    """Return ``paper_entry(p, root, brief=False)``: one paper's list entry (``_paper.html``), rendered once.

    A brief entry (related papers, author pages) leaves the abstract out; it is about a
    kilobyte, and shown on the pages of the paper's authors and related papers. Entries are
    kept in caches bounded in bytes, the least recently used dropped first; a hit is
    checked by identity, so no paper is hashed whole.
    """
    template = env.get_template("_paper.html")

    def paper_entry(p: PaperView, root: str, brief: bool = False) -> Markup:
        cache = _BRIEF_ENTRIES if brief else _FULL_ENTRIES
        key = (id(template), id(p), root, id(config))
        data = cache.get(key, template, p, config)
        if data is not None:
            return Markup(data.decode("utf-8"))
        html = template.render(p=p, root=root, site=config, brief=brief)
        cache.keep(key, template, p, config, html.encode("utf-8"))
        return Markup(html)

    return paper_entry


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of rendering: ``run()`` returns its outputs; ``key`` changes whenever they could.

    The key covers everything the job reads from the papers (their content, order, keys and
    neighbours); what every page reads (templates, site.yaml, people, pages, our code) is the
    caller's to add. A job whose key is unchanged gives the same outputs as last time.
    """

    name: str
    key: bytes
    run: Callable[[], list[tuple[str, str]]]


class Fragments:
    """Per-paper pieces of the site-wide files (BibTeX entries, search text), by the paper's digest.

    A build keeps them in its cache, so an edit recomputes one paper's pieces, not every
    paper's. Pieces computed in a worker process travel back with its results (:meth:`drain`).
    """

    def __init__(self, known: Mapping[tuple[object, ...], str] | None = None) -> None:
        self._known = dict(known or {})
        self.used: dict[tuple[object, ...], str] = {}  # what this build used: what the cache keeps
        self._fresh: dict[tuple[object, ...], str] = {}

    def get(self, key: tuple[object, ...], compute: Callable[[], str]) -> str:
        """Return the piece under ``key``, computing it when no build had it."""
        value = self.used.get(key)
        if value is None:
            value = self._known.get(key)
            if value is None:
                value = compute()
            self.used[key] = self._fresh[key] = value
        return value

    def drain(self) -> dict[tuple[object, ...], str]:
        """Return the pieces used in this process since the last call (a worker sends them back)."""
        fresh, self._fresh = self._fresh, {}
        return fresh

    def add(self, pieces: Mapping[tuple[object, ...], str]) -> None:
        """Take in pieces a worker computed."""
        self.used.update(pieces)


def fingerprint(*parts: object) -> bytes:
    """Return a short digest of picklable values."""
    return hashlib.blake2b(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Plan:
    """The jobs that render a site, and what they were planned from (a quick rebuild's index)."""

    jobs: list[Job]
    views: tuple[PaperView, ...]  # the site's order: newest first, then by slug
    related: list[list[PaperView]]  # per view
    helpers: Helpers
    authors: list[AuthorPage]  # in slug order


# (n, f, meanwhile) → [f(0), …, f(n - 1)], computed in any processes; meanwhile() runs in this
# one meanwhile (when given)
Mapper = Callable[..., list[Any]]


def plan_site(
    site: Site,
    env: jinja2.Environment,
    markdown: MarkdownRenderer,
    signatures: Mapping[str, bytes] | None = None,
    fragments: Fragments | None = None,
    mapper: Mapper | None = None,
    builtin: bool = False,
) -> Plan:
    """Plan the jobs that render the whole site: lists and indexes first, then papers and authors.

    Jobs are independent: they may run in any order, in any process, or not at all when
    their key says their outputs are those of the last build. ``signatures`` are digests
    of the paper files by slug (the build has them); without them, papers are digested here.
    ``builtin``: the site renders with the built-in templates, so what some pages read of
    what they are given is known (see the year pages' keys).
    """
    config = site.config
    env.globals["paper_entry"] = entry_renderer(env, config)
    helpers = make_helpers(site)
    views = paper_views(site, markdown, helpers)
    years = by_year(views)
    # A paper's name and content, what a page showing it depends on: its slug, a NUL and a
    # fixed-size digest, so keys can be made by joining bytes (ten thousand on every rebuild).
    ident = {
        id(v): f"{v.pub.slug}\x00".encode()
        + (
            signatures[v.pub.slug]
            if signatures is not None and v.pub.slug in signatures
            else fingerprint(v.pub, v.authors, v.category_name)
        )
        for v in views
    }
    keys = helpers.keys
    pieces = fragments if fragments is not None else Fragments()
    ident_of = {v.pub.slug: ident[id(v)] for v in views}
    everything = fingerprint([(ident[id(v)], keys[v.pub.slug]) for v in views])
    # related papers are found on every core (with a mapper); this process finds the authors'
    # pages meanwhile, or after them
    found: list[list[AuthorPage]] = []

    def find_authors() -> None:
        found.append(author_pages(site, views, helpers))

    related = related_papers(views, mapper, meanwhile=find_authors)
    authors = found[0] if found else author_pages(site, views, helpers)
    # A year page is given every year's papers and the site's total. The built-in template
    # shows its own papers and which years there are, no more: a paper added to one year
    # leaves the pages of the others as they were (at 10,000 papers, twelve pages of 850 full
    # entries rendered again after each paper added or removed). A project's own template
    # may show the other years' counts.
    years_shown = [g.year for g in years] if builtin else [(g.year, len(g.papers)) for g in years]
    jobs = [
        Job("home", everything, lambda: [_home(site, env, markdown, views, years)]),
        Job(
            "publications",
            everything,
            lambda: list(_publication_list(site, env, views, years, helpers, pieces, ident_of)),
        ),
    ]
    if len(views) > LIST_HTML_LIMIT:
        for group in years:
            jobs.append(
                Job(
                    f"year:{group.year}",
                    fingerprint(years_shown, [ident[id(v)] for v in group.papers]),
                    functools.partial(_year_page, site, env, group, years, len(views)),
                )
            )
    index = author_index(authors)
    jobs.append(Job("authors", fingerprint(index), lambda: [authors_index_file(site, env, index)]))

    def lab() -> list[tuple[str, str]]:
        return list(lab_pages(site, env, markdown, views))

    jobs.append(Job("lab", everything, lab))
    extra = lab_paths(site) + [f"authors/{a.slug}/" for a in authors]
    jobs.append(Job("bib", everything, lambda: _bib_file(site, helpers, pieces, ident_of)))
    if helpers.base_url:
        newest = views[:FEED_SIZE]
        feed_key = fingerprint([ident[id(v)] for v in newest])
        jobs.append(Job("feed", feed_key, lambda: feed_file(site, env, newest, helpers)))
    sitemap_key = fingerprint(extra, sorted((v.pub.slug, v.pub.date) for v in views))
    jobs.append(Job("sitemap", sitemap_key, lambda: _sitemap(env, views, helpers, extra)))
    jobs.append(Job("404", b"", lambda: [("404.html", _page(env, "404.html", "404.html", config))]))
    for i, view in enumerate(views):
        newer = views[i - 1] if i > 0 else None
        older = views[i + 1] if i + 1 < len(views) else None
        key = _bytes_key(
            ident[id(view)],
            keys[view.pub.slug].encode(),
            b"%d" % len(related[i]),
            *(ident[id(r)] for r in related[i]),
            ident[id(newer)] if newer else b"",
            ident[id(older)] if older else b"",
        )
        jobs.append(
            Job(
                f"paper:{view.pub.slug}",
                key,
                functools.partial(
                    paper_page,
                    site,
                    env,
                    view,
                    newer,
                    older,
                    related[i],
                    helpers,
                    pieces,
                    ident[id(view)],
                ),
            )
        )
    for author in authors:
        key = _bytes_key(_author_meta(author), *(ident[id(p)] for p in author.papers))
        jobs.append(Job(f"author:{author.slug}", key, functools.partial(author_page_file, site, env, author)))
    return Plan(jobs, views, related, helpers, authors)


def lab_paths(site: Site) -> list[str]:
    """Return the paths of the lab's own pages and of the people page, as the sitemap lists them."""
    paths = [page.path for page in site.pages if page.slug]
    return [*paths, "people/"] if site.people else paths


def job_of_output(rel: str) -> str:
    """Return the name of the job of :func:`plan_site` that writes the output file ``rel``."""
    parts = rel.split("/")
    if rel in ("publications/index.html", "publications/search.json"):
        return "publications"
    if parts[0] == "publications" and len(parts) > 2:
        return f"year:{parts[2]}" if parts[1] == "years" else f"paper:{parts[1]}"
    if rel == "authors/index.html":
        return "authors"
    if parts[0] == "sitemaps":
        return "sitemap"
    if parts[0] == "authors":
        return f"author:{parts[1]}"
    fixed = {
        "index.html": "home",
        "publications.bib": "bib",
        "feed.xml": "feed",
        "sitemap.xml": "sitemap",
        "robots.txt": "sitemap",
        "404.html": "404",
    }
    return fixed.get(rel, "lab")  # the lab's own pages, the people page, CNAME


def _bytes_key(*parts: bytes) -> bytes:
    """Return a digest of byte strings (each paper part is a slug, a NUL and a fixed-size digest)."""
    return hashlib.blake2b(b"\x1f".join(parts), digest_size=16).digest()


_META: dict[tuple[int, str, bool], tuple[Coauthors, bytes]] = {}


def _author_meta(author: AuthorPage) -> bytes:
    """Return a digest of an author page's own lines (name, co-authors, profile), once per grouping.

    The co-authors are the grouping's own object, kept while the grouping is reused, so
    its identity (checked, with the name) finds the digest without pickling it again.
    """
    where = (id(author.coauthors), author.name, author.member)
    cached = _META.get(where)
    if cached is not None and cached[0] is author.coauthors:
        meta = cached[1]
    else:
        if len(_META) > 1 << 17:
            _META.clear()
        meta = fingerprint(author.name, author.member, author.coauthors)
        _META[where] = (author.coauthors, meta)
    return meta + fingerprint(author.person) if author.person is not None else meta


def _home(
    site: Site,
    env: jinja2.Environment,
    markdown: MarkdownRenderer,
    views: Sequence[PaperView],
    years: tuple[YearGroup, ...],
) -> tuple[str, str]:
    config = site.config
    intro = markdown.render(config.intro, latex=False) if config.intro else Markup("")
    return (
        "index.html",
        _page(
            env,
            "home.html",
            "index.html",
            config,
            intro=intro,
            recent=views[:RECENT_ON_HOME],
            selected=[v for v in views if v.pub.selected][:SELECTED_ON_HOME],
            total=len(views),
            years=years,
        ),
    )


def lab_pages(
    site: Site, env: jinja2.Environment, markdown: MarkdownRenderer, views: Sequence[PaperView]
) -> Iterator[tuple[str, str]]:
    """Yield the lab homepage's own pages (content/pages, people, news) and the CNAME file."""
    from .pages import render_lab_pages

    return render_lab_pages(site, env, markdown, views)


def _publication_list(
    site: Site,
    env: jinja2.Environment,
    views: Sequence[PaperView],
    years: tuple[YearGroup, ...],
    helpers: Helpers,
    pieces: Fragments,
    ident_of: Mapping[str, bytes],
) -> Iterator[tuple[str, str]]:
    config = site.config
    shown = views[:LIST_HTML_LIMIT]
    truncated = len(shown) < len(views)
    index = publication_index(site.publications, member_names(site), helpers.directory)
    index["complete"] = not truncated
    index["keys"] = [helpers.keys[p.slug] for p in site.publications]
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
            index_json=Markup(script_json(index)),
            facets=facet_panel(index),
        ),
    )
    texts = [  # each paper's entry JSON-encoded once: the file is their concatenation
        pieces.get(("search-json", ident_of[p.slug]), functools.partial(search_json, p))
        for p in site.publications
    ]
    yield "publications/search.json", "[" + ",".join(texts) + "]"


def search_json(pub: Publication) -> str:
    """Return a paper's piece of ``search.json``: its folded search text, JSON-encoded."""
    return _json(search_text(pub))


def _year_page(
    site: Site, env: jinja2.Environment, group: YearGroup, years: tuple[YearGroup, ...], total: int
) -> list[tuple[str, str]]:
    """Render the page of one year, for sites whose list page shows only the newest papers."""
    path = f"publications/years/{group.year}/index.html"
    return [(path, _page(env, "year.html", path, site.config, group=group, all_years=years, total=total))]


def member_names(site: Site) -> list[str]:
    """Return the lab's members in display order: ``site.yaml`` members, then current people."""
    names = list(site.config.members)
    keys = {name_key(n) for n in names}
    for person in site.people:
        if not person.alumni and name_key(person.name) not in keys:
            names.append(person.name)
            keys.add(name_key(person.name))
    return names


RELATED = 5


RELATED_WINDOW = 25  # papers on each side, by date, looked at per shared author or tag


def _near(indexes: list[int], i: int) -> list[int]:
    """Return the entries of a sorted index list nearest to ``i`` (a prolific author's or tag's papers)."""
    if len(indexes) <= 2 * RELATED_WINDOW:
        return indexes
    k = bisect.bisect_left(indexes, i)
    return indexes[max(0, k - RELATED_WINDOW) : k + RELATED_WINDOW + 1]


class ShapeMemo:
    """The last answer of a computation that depends only on some facts of each paper, in the site's order.

    Related papers and author groups depend on who wrote what and when, not on titles or
    abstracts: a rebuild after such an edit reuses the last answer. The answer is found
    again by the papers' views (a preview keeps those of unchanged papers, so only edited
    ones are compared), else by a digest of the facts; when the facts changed, an ``update``
    may amend the last answer instead of computing it anew. A build keeps :meth:`state` in
    its cache and :meth:`seed` s the next build with it.
    """

    def __init__(self) -> None:
        self._key: bytes | None = None
        self._value: Any = None
        self._shape: list[Any] | None = None  # the facts of the last answer
        self._views: list[PaperView] | None = None  # the views the answer was last given for

    def get(
        self,
        ordered: list[PaperView],
        facts: Callable[[PaperView], Any],
        compute: Callable[[list[Any]], Any],
        update: Callable[[list[Any], list[Any], Any], Any] | None = None,
    ) -> Any:
        """Return the answer for ``ordered`` (views in the site's order), computed when the facts changed.

        ``update(old facts, new facts, old answer)`` returns the new answer, or None when it
        cannot tell it more cheaply than ``compute(new facts)``.
        """
        last = self._views
        same = (
            last is not None
            and len(last) == len(ordered)
            and all(a is b or facts(a) == facts(b) for a, b in zip(last, ordered, strict=True))
        )
        if not same:
            kept = self._shape
            if last is not None and kept is not None and len(last) == len(ordered) == len(kept):
                # the facts of the views kept from the last call are those of the last answer
                shape = [old if a is b else facts(b) for a, b, old in zip(last, ordered, kept, strict=True)]
            else:
                shape = [facts(v) for v in ordered]
            key = fingerprint(shape)
            if self._key != key:
                value = None
                if update is not None and self._shape is not None:
                    value = update(self._shape, shape, self._value)
                self._key, self._value = key, compute(shape) if value is None else value
            self._shape = shape
        self._views = ordered
        return self._value

    def state(self) -> tuple[bytes, Any, list[Any] | None] | None:
        """Return what a build keeps: the digest of the facts, the answer and the facts."""
        return (self._key, self._value, self._shape) if self._key is not None else None

    def seed(self, state: tuple[bytes, Any, list[Any] | None] | None) -> None:
        """Start from a kept state (found again by the digest of the facts only)."""
        self._key, self._value, self._shape = state if state is not None else (None, None, None)
        self._views = None


RELATED_PAPERS = ShapeMemo()
AUTHOR_GROUPS = ShapeMemo()


def _related_facts(v: PaperView) -> RelatedFacts:
    return (v.pub.slug, [a.slug for a in v.authors], v.pub.tags, v.pub.category, v.pub.date.toordinal())


def related_papers(
    views: Sequence[PaperView], mapper: Mapper | None = None, meanwhile: Callable[[], None] | None = None
) -> list[list[PaperView]]:
    """Return, per paper, the most related others (see :func:`related_rows`).

    ``views`` are in the site's order: newest first, then by slug, an order titles do not
    change. The answer depends only on each paper's authors, tags, category and date, so a
    rebuild after a title or an abstract was edited reuses the last answer, and one after a
    paper's authors, tags or date changed, or a paper was added or removed, computes again
    only the papers that share some with it.
    ``meanwhile`` goes to the ``mapper`` when the rows are computed that way (else it is not called).
    """
    rows = RELATED_PAPERS.get(
        list(views),
        _related_facts,
        lambda shape: related_rows(shape, mapper, meanwhile),
        _updated_related_rows,
    )
    return [[views[j] for j in row] for row in rows]


# slug, author slugs, tags, category, day (the date's ordinal)
RelatedFacts = tuple[str, list[str], tuple[str, ...], "str | None", int]


def _minus_score(item: tuple[int, int]) -> int:
    return -item[1]


class RelatedIndex:
    """The papers by author, tag and category, to find each paper's related ones."""

    def __init__(self, shape: Sequence[RelatedFacts]) -> None:
        by_author: dict[str, list[int]] = {}
        by_tag: dict[str, list[int]] = {}
        by_category: dict[str, list[int]] = {}
        for i, (_, authors, tags, category, _) in enumerate(shape):
            for slug in set(authors):
                by_author.setdefault(slug, []).append(i)
            for tag in set(tags):
                by_tag.setdefault(tag, []).append(i)
            if category:
                by_category.setdefault(category, []).append(i)
        self._set(shape, by_author, by_tag, by_category, [facts[4] for facts in shape])

    @classmethod
    def partial(
        cls,
        shape: Mapping[int, RelatedFacts],
        by_author: dict[str, list[int]],
        by_tag: dict[str, list[int]],
        by_category: dict[str, list[int]],
        days: Sequence[int],
    ) -> RelatedIndex:
        """Return an index finding the rows of the papers in ``shape`` (the lists they read, every day)."""
        index = cls.__new__(cls)
        index._set(shape, by_author, by_tag, by_category, days)
        return index

    def _set(
        self,
        shape: Sequence[RelatedFacts] | Mapping[int, RelatedFacts],
        by_author: dict[str, list[int]],
        by_tag: dict[str, list[int]],
        by_category: dict[str, list[int]],
        days: Sequence[int],
    ) -> None:
        self.shape, self.days = shape, days
        self.by_author, self.by_tag, self.by_category = by_author, by_tag, by_category
        self.category_sets = {category: set(papers) for category, papers in by_category.items()}

    def row(self, i: int) -> list[int]:
        """Return the most related papers of paper ``i``, best first.

        The candidates' scores are counted in C (each author's list counted three times, each
        tag's twice): at 100,000 papers a paper has a few hundred candidates.
        """
        shape = self.shape
        _, authors, tags, category, day = shape[i]
        lists: list[list[int]] = []
        for slug in set(authors):
            near = _near(self.by_author[slug], i)
            lists += (near, near, near)
        for tag in set(tags):
            near = _near(self.by_tag[tag], i)
            lists += (near, near)
        scores = Counter(itertools.chain.from_iterable(lists))
        if category:
            scores.update(scores.keys() & self.category_sets[category])  # one more for the same category
            if len(scores) <= RELATED:  # few shared people or tags: nearest papers of the category
                same = self.by_category[category]
                k = bisect.bisect_left(same, i)
                for j in same[max(0, k - RELATED) : k + RELATED + 1]:
                    scores.setdefault(j, 1)
        scores.pop(i, None)
        ranked = scores.most_common()  # by score, sorted in C
        if len(ranked) > RELATED:  # only the candidates scoring at least the fifth best can be shown
            ranked = ranked[: bisect.bisect_right(ranked, -ranked[RELATED - 1][1], key=_minus_score)]
        # best first: highest score, then nearest in date (days apart: a paper put in or
        # taken out elsewhere in the order changes no other paper's ties), then position
        days = self.days
        ranked.sort(key=lambda item: (-item[1], abs(days[item[0]] - day), item[0]))
        return [j for j, _ in ranked[:RELATED]]


def related_rows(
    shape: Sequence[RelatedFacts], mapper: Mapper | None = None, meanwhile: Callable[[], None] | None = None
) -> list[list[int]]:
    """Return, per paper, the most related others: shared authors ×3, shared tags ×2, same category.

    ``shape`` holds each paper's facts in date order. Candidates come from indexes by author
    and tag, limited to the papers nearest in date for prolific authors and common tags, so
    the cost grows with the site, not its square; ties go to the nearest in date. The rows
    are independent: a ``mapper`` (the build's) may compute them on every core, and run
    ``meanwhile`` in this process while it does.
    """
    index = RelatedIndex(shape)
    if mapper is not None:
        return mapper(len(shape), index.row, meanwhile=meanwhile)
    return [index.row(i) for i in range(len(shape))]


@dataclass(frozen=True, slots=True)
class _Changes:
    """The papers that changed between two shapes of the site (each paper's facts, its slug first)."""

    old_at: dict[str, int]  # slug → place in the old shape
    new_at: dict[str, int]  # slug → place in the new one
    changed: list[int]  # places in the new shape of the papers put in or whose facts changed
    gone: list[int]  # places in the old shape of the papers taken out
    places: list[int] | None  # each old paper's place now (-1: taken out); None when none moved


def _paper_changes(old: Sequence[tuple[Any, ...]], new: Sequence[tuple[Any, ...]]) -> _Changes | None:
    """Return how the papers of ``new`` differ from those of ``old`` (shapes a :class:`ShapeMemo` keeps).

    None when a slug is there twice, when many papers changed (computing anew is then as
    quick), or when the papers left as they were changed order.
    """
    old_at = {facts[0]: i for i, facts in enumerate(old)}
    new_at = {facts[0]: i for i, facts in enumerate(new)}
    if len(old_at) != len(old) or len(new_at) != len(new):
        return None
    changed = [i for i, facts in enumerate(new) if (j := old_at.get(facts[0])) is None or old[j] != facts]
    gone = [j for j, facts in enumerate(old) if facts[0] not in new_at]
    if len(changed) + len(gone) > max(16, len(new) // 100):
        return None
    places = None
    if len(old) != len(new) or any(a[0] != b[0] for a, b in zip(old, new, strict=True)):
        edited = {new[i][0] for i in changed} | {old[j][0] for j in gone}
        if [f[0] for f in old if f[0] not in edited] != [f[0] for f in new if f[0] not in edited]:
            return None
        places = [new_at.get(facts[0], -1) for facts in old]
    return _Changes(old_at, new_at, changed, gone, places)


def _updated_related_rows(
    old: Sequence[RelatedFacts], new: Sequence[RelatedFacts], rows: list[list[int]]
) -> list[list[int]] | None:
    """Return :func:`related_rows` of ``new`` from those of ``old``, when few papers changed.

    A paper's row reads the lists of papers of its authors and tags (and of its category),
    and the candidates' categories and days. So when a paper gained or lost authors or
    tags, the papers with one of those need a new row; when its day changed (it may have
    moved), or it was added or removed, the papers near it in its lists, where it was and
    where it is (:func:`_readers`); when its category changed, every paper that shares an
    author or a tag with it, and those of both categories. Every other row names the
    papers it did, at their places now: ties go to the nearest in days, not in places.
    None when many papers changed (computing anew is then as quick), or when those
    unchanged changed order.
    """
    if not isinstance(rows, list) or len(rows) != len(old):
        return None
    changes = _paper_changes(old, new)
    if changes is None:
        return None
    old_at, new_at, places = changes.old_at, changes.new_at, changes.places
    pairs: list[tuple[RelatedFacts | None, RelatedFacts | None]] = [  # each changed paper, before and after
        (old[j] if (j := old_at.get(new[i][0])) is not None else None, new[i]) for i in changes.changed
    ]
    pairs += [(old[j], None) for j in changes.gone]
    index = RelatedIndex(new)
    affected = set(changes.changed)
    for before, after in pairs:
        if before is None or after is None or (before[4] != after[4] and before[3] == after[3]):
            # put in, taken out, or moved by a new day: only the papers near it in its lists,
            # where it was and where it is, can read it (see :func:`_near`)
            if before is not None:
                affected.update(_readers(index, before, _slot(old, new, new_at, old_at[before[0]])))
            if after is not None:
                affected.update(_readers(index, after, new_at[after[0]]))
            continue
        if before[3] == after[3]:  # its authors or tags: the lists it joined or left
            authors, tags = set(before[1]) ^ set(after[1]), set(before[2]) ^ set(after[2])
        else:  # its category: every list of its, and both categories
            authors, tags = {*before[1], *after[1]}, {*before[2], *after[2]}
            for category in (before[3], after[3]):
                if category:
                    affected.update(index.by_category.get(category, ()))
        for slug in authors:
            affected.update(index.by_author.get(slug, ()))
        for tag in tags:
            affected.update(index.by_tag.get(tag, ()))
    if places is None:
        updated = list(rows)
    else:  # the rows kept name the same papers, at their new places
        updated = [
            [] if i in affected else [places[j] for j in rows[old_at[f[0]]]] for i, f in enumerate(new)
        ]
        if any(j < 0 for row in updated for j in row):
            return None  # a paper removed is in a row kept: not as expected
    for i in affected:
        updated[i] = index.row(i)
    return updated


def _slot(old: Sequence[RelatedFacts], new: Sequence[RelatedFacts], new_at: Mapping[str, int], i: int) -> int:
    """Return where in ``new`` the paper at ``i`` in ``old`` was: the place of the next one left as it was."""
    for facts in old[i + 1 :]:
        j = new_at.get(facts[0])
        if j is not None and new[j] == facts:
            return j
    return len(new)


def _readers(index: RelatedIndex, facts: RelatedFacts, place: int) -> list[int]:
    """Return the papers whose rows may read a paper of ``facts`` at ``place`` in the order, or gone from it.

    Those near it in each of its authors' and tags' lists, and in its category's.
    """
    found: list[int] = []
    for lists, keys in ((index.by_author, set(facts[1])), (index.by_tag, set(facts[2]))):
        for key in keys:
            found += list_readers(lists.get(key, []), place)
    if facts[3]:
        found += category_readers(index.by_category.get(facts[3], []), place)
    return found


def list_readers(papers: Sequence[int], i: int) -> Sequence[int]:
    """Return the papers of an author's or tag's list (sorted places) whose rows may read the paper at ``i``.

    A row reads :data:`RELATED_WINDOW` papers on each side in each of its lists (a short
    list whole): putting ``i`` into such a list, or taking it out, changes what the papers
    near it there read (with a margin of two), not the others'.
    """
    if len(papers) <= 2 * RELATED_WINDOW + 2:  # the whole list is every paper's window, or was
        return papers
    k = bisect.bisect_left(papers, i)
    return papers[max(0, k - RELATED_WINDOW - 2) : k + RELATED_WINDOW + 3]


def category_readers(papers: Sequence[int], i: int) -> Sequence[int]:
    """Return the papers of a category's list (sorted places) whose rows may read the paper at ``i``.

    A row with few candidates takes its category's nearest papers (:data:`RELATED`, with a
    margin of two).
    """
    k = bisect.bisect_left(papers, i)
    return papers[max(0, k - RELATED - 2) : k + RELATED + 3]


def _person(author: AuthorView, base_url: str) -> dict[str, str]:
    person = {"@type": "Person", "name": author.name}
    if base_url:
        person["url"] = f"{base_url}authors/{author.slug}/"
    return person


def paper_metadata(view: PaperView, base_url: str) -> dict[str, object]:
    """Return schema.org ScholarlyArticle JSON-LD for a paper."""
    pub = view.pub
    url = base_url + view.path if base_url else None
    same_as = [link.url for link in pub.links if "://" in link.url]
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "name": pub.title,
        "headline": pub.title[:110],
        "author": [_person(a, base_url) for a in view.authors],
        "datePublished": pub.date.isoformat(),
    }
    if pub.abstract:
        data["abstract"] = plain_text(pub.abstract)
    if url:
        data["url"] = url
        data["mainEntityOfPage"] = url
    if same_as:
        data["sameAs"] = same_as
    if pub.tags:
        data["keywords"] = list(pub.tags)
    if pub.venue:
        data["isPartOf"] = {
            "@type": "PublicationEvent" if venue_kind(pub.venue) == "conference" else "Periodical",
            "name": pub.venue,
        }
    if pub.category:
        data["about"] = view.category_name or pub.category
    return data


def _absolute_link(url: str, helpers: Helpers) -> str | None:
    if "://" in url:
        return url
    return helpers.absolute(url.lstrip("/"))


def paper_page(
    site: Site,
    env: jinja2.Environment,
    view: PaperView,
    newer: PaperView | None,
    older: PaperView | None,
    related: Sequence[PaperView],
    helpers: Helpers,
    pieces: Fragments,
    ident: bytes,
) -> list[tuple[str, str]]:
    """Render one paper's page and its BibTeX (shared with publications.bib), RIS and CSL-JSON files."""
    config = site.config
    pub = view.pub
    path = f"{view.path}index.html"
    key = helpers.keys[pub.slug]
    url = helpers.absolute(view.path)
    bib = bib_entry(pub, helpers, pieces, ident)
    pdf = pub.link("pdf")
    page = _page(
        env,
        "publication.html",
        path,
        config,
        paper=view,
        newer=newer,
        older=older,
        related=related,
        canonical=url,
        description=_description(pub),
        bibtex=bib,
        cite_key=key,
        arxiv_id=arxiv_id(pub),
        doi=doi(pub),
        pdf_url=_absolute_link(pdf, helpers) if pdf else None,
        venue_kind=venue_kind(pub.venue),
        jsonld=_jsonld(view, helpers.base_url),
        edit_url=f"{config.repository}/edit/{config.repository_branch}/content/publications/{pub.slug}.yaml"
        if config.repository
        else None,
    )
    return [
        (path, page),
        (f"{view.path}{key}.bib", bib),
        (f"{view.path}{key}.ris", ris(pub, url)),
        (f"{view.path}{key}.json", _csl_text(pub, key, url)),
    ]


def _jsonld(view: PaperView, base_url: str) -> Markup:
    return Markup(script_json(paper_metadata(view, base_url)))


def _csl_text(pub: Publication, key: str, url: str | None) -> str:
    return csl_json([csl(pub, key, url)])


def _description(pub: Publication) -> str:
    text = plain_text(pub.abstract) if pub.abstract else pub.title
    if len(text) <= 200:
        return text
    cut = text[:200].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


@quick_pickle  # thousands in the cache, and pickled for the authors' pages' keys
@dataclass(frozen=True, slots=True)
class Coauthors:
    """An author's co-authors, most papers together first: iterated as (name, slug, papers together, member).

    Kept as four parallel tuples, not a tuple per co-author: at 100,000 papers there are
    millions of co-author lines, and each such tuple would take 72 bytes more.
    """

    names: tuple[str, ...]
    slugs: tuple[str, ...]
    counts: tuple[int, ...]
    members: tuple[bool, ...]

    def __iter__(self) -> Iterator[tuple[str, str, int, bool]]:
        return zip(self.names, self.slugs, self.counts, self.members, strict=True)

    def __len__(self) -> int:
        return len(self.slugs)

    def __getitem__(self, i: int) -> tuple[str, str, int, bool]:
        return self.names[i], self.slugs[i], self.counts[i], self.members[i]


@dataclass(frozen=True, slots=True)
class AuthorPage:
    """One author: their papers, co-authors and, for lab people, their profile."""

    name: str
    slug: str
    member: bool
    papers: tuple[PaperView, ...]
    coauthors: Coauthors
    person: Person | None


AuthorGroup = tuple[str, str, bool, list[int], Coauthors]


def author_pages(site: Site, views: Sequence[PaperView], helpers: Helpers) -> list[AuthorPage]:
    """Group papers by canonical author; return one page per author, in slug order.

    ``views`` are in the site's order. The grouping depends only on who wrote what, in which
    order; a rebuild after a title or an abstract was edited reuses the last one.
    """
    resolve = helpers.directory.resolve
    shared: dict[AuthorFact, AuthorFact] = {}  # one copy of each author's facts

    def facts(v: PaperView) -> AuthorShape:
        return (v.pub.slug, v.pub.date.toordinal(), author_facts(v, resolve, shared))

    groups: list[AuthorGroup] = AUTHOR_GROUPS.get(list(views), facts, _author_groups, _updated_author_groups)
    people = {author_slug(p.name): p for p in site.people}
    return [
        AuthorPage(
            name,
            slug,
            member,
            tuple(views[i] for i in papers),
            coauthors,
            people.get(slug),
        )
        for name, slug, member, papers, coauthors in groups
    ]


AuthorFact = tuple[str, bool, str]  # one author of a paper: page slug, lab member, name as resolved
AuthorShape = tuple[str, int, tuple[AuthorFact, ...]]  # a paper's slug, day and authors


def author_facts(
    v: PaperView, resolve: Callable[[str], str], shared: dict[AuthorFact, AuthorFact] | None = None
) -> tuple[AuthorFact, ...]:
    """Return a paper's authors as :func:`author_pages` groups them (one copy of each in ``shared``)."""
    made = ((a.slug, a.member, resolve(n)) for a, n in zip(v.authors, v.pub.authors, strict=True))
    return tuple(made) if shared is None else tuple(shared.setdefault(fact, fact) for fact in made)


def _author_groups(shape: Sequence[AuthorShape]) -> list[AuthorGroup]:
    by_slug: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    members: dict[str, bool] = {}
    for i, (_, _, authors) in enumerate(shape):
        for slug, member, name in authors:
            bucket = by_slug.setdefault(slug, [])
            if not bucket or bucket[-1] != i:
                bucket.append(i)
            names.setdefault(slug, name)
            members[slug] = member
    slugs_of = [{slug for slug, _, _ in authors} for _, _, authors in shape]
    return [
        (names[slug], slug, members[slug], papers, author_coauthors(slug, papers, slugs_of, names, members))
        for slug, papers in sorted(by_slug.items())
    ]


def author_coauthors(
    slug: str,
    papers: Iterable[int],
    slugs_of: Sequence[set[str]] | Mapping[int, set[str]],
    names: Mapping[str, str],
    members: Mapping[str, bool],
) -> Coauthors:
    """Return the co-authors of an author, most papers together first.

    Counted in C, and sorted three times with keys that are C functions (a sort keeps the
    order of equal items): by slug, so that equal names come in a fixed order, then by name,
    then by papers together.
    """
    return coauthors_of_counts(
        slug, Counter(itertools.chain.from_iterable(slugs_of[i] for i in papers)), names, members
    )


def coauthors_of_counts(
    slug: str, counts: Counter[str], names: Mapping[str, str], members: Mapping[str, bool]
) -> Coauthors:
    """Return the co-authors of an author from the papers shared with each (``counts``, taken over)."""
    counts.pop(slug, None)
    order = sorted(counts)
    order.sort(key=names.__getitem__)
    order.sort(key=counts.__getitem__, reverse=True)
    return Coauthors(
        tuple(map(names.__getitem__, order)),
        tuple(order),
        tuple(map(counts.__getitem__, order)),
        tuple(map(members.__getitem__, order)),
    )


def _updated_author_groups(
    old: Sequence[AuthorShape], new: Sequence[AuthorShape], groups: list[AuthorGroup]
) -> list[AuthorGroup] | None:
    """Return :func:`_author_groups` of ``new`` from those of ``old``, when few papers changed.

    Only the authors of the changed papers (their authors or day changed, or they were
    added or removed; before or after) have other papers or co-authors; every other group
    names the papers it did, at their places now (the same object when none moved). None
    when many changed, the papers left as they were changed order, or an author's shown
    name or membership changed (a co-author line elsewhere shows it): computing anew is
    then the way.
    """
    if not isinstance(groups, list):
        return None
    changes = _paper_changes(old, new)
    if changes is None:
        return None
    changed, places = changes.changed, changes.places
    # the edited papers' old places: of those taken out, and of those changed that were there
    was = {*changes.gone, *(j for i in changed if (j := changes.old_at.get(new[i][0])) is not None)}
    by_slug = {group[1]: group for group in groups}
    affected = {slug for i in changed for slug, _, _ in new[i][2]}
    affected.update(slug for j in was for slug, _, _ in old[j][2])
    papers_of: dict[str, list[int]] = {}
    for slug in affected:
        kept = [i for i in by_slug[slug][3] if i not in was] if slug in by_slug else []
        if places is not None:
            kept = [places[i] for i in kept]
        papers = sorted({*kept, *(i for i in changed if any(a[0] == slug for a in new[i][2]))})
        if papers:
            papers_of[slug] = papers
    names: dict[str, str] = {}  # as shown: the first paper's name, the last paper's membership
    members: dict[str, bool] = {}
    for slug, papers in papers_of.items():
        names[slug] = next(a for a in new[papers[0]][2] if a[0] == slug)[2]
        members[slug] = [a for a in new[papers[-1]][2] if a[0] == slug][-1][1]
        if slug in by_slug and (by_slug[slug][0], by_slug[slug][2]) != (names[slug], members[slug]):
            return None
    for slug, group in by_slug.items():
        names.setdefault(slug, group[0])
        members.setdefault(slug, group[2])
    for slug in affected - papers_of.keys():
        del by_slug[slug]  # no papers left
    if places is not None:  # the other authors' papers, at their places now
        for slug, group in by_slug.items():
            if slug not in affected:
                now = [places[i] for i in group[3]]
                if now != group[3]:
                    by_slug[slug] = (group[0], slug, group[2], now, group[4])
    slugs_of = {i: {a[0] for a in new[i][2]} for papers in papers_of.values() for i in papers}
    for slug, papers in papers_of.items():
        coauthors = author_coauthors(slug, papers, slugs_of, names, members)
        by_slug[slug] = (names[slug], slug, members[slug], papers, coauthors)
    return [by_slug[slug] for slug in sorted(by_slug)]


@dataclass(frozen=True, slots=True)
class AuthorEntry:
    """One line of the author index: what it shows, and nothing that changes with a paper's text."""

    name: str
    slug: str
    member: bool
    count: int


def authors_pages(
    site: Site, env: jinja2.Environment, pages: Sequence[AuthorPage]
) -> Iterator[tuple[str, str]]:
    """Yield the author index and one page per author."""
    yield authors_index_file(site, env, author_index(pages))
    for author in pages:
        yield from author_page_file(site, env, author)


def author_index(pages: Sequence[AuthorPage]) -> list[AuthorEntry]:
    """Return the lines of the author index: lab members first, then by family name."""
    return author_entries((a.name, a.slug, a.member, len(a.papers)) for a in pages)


def author_entries(authors: Iterable[tuple[str, str, bool, int]]) -> list[AuthorEntry]:
    """Return the lines of the author index from each author's name, slug, membership and paper count."""
    order = sorted(authors, key=lambda a: author_entry_key(a[0], a[1], a[2]))
    return [AuthorEntry(*author) for author in order]


def author_entry_key(name: str, slug: str, member: bool) -> tuple[bool, str, str]:
    """Return where an author's line goes in the author index: lab members first, then by family name."""
    return (not member, _family_key(name), slug)


def authors_index_file(
    site: Site, env: jinja2.Environment, entries: Sequence[AuthorEntry]
) -> tuple[str, str]:
    return "authors/index.html", _page(
        env, "authors.html", "authors/index.html", site.config, authors=entries
    )


def author_page_file(site: Site, env: jinja2.Environment, author: AuthorPage) -> list[tuple[str, str]]:
    path = f"authors/{author.slug}/index.html"
    return [(path, author_page_text(site, env, author, by_year(author.papers)))]


def author_page_text(
    site: Site, env: jinja2.Environment, author: AuthorPage, years: Sequence[YearGroup]
) -> str:
    """Return an author's page showing ``years`` (their papers by year, as :func:`by_year` groups them)."""
    path = f"authors/{author.slug}/index.html"
    return _page(env, "author.html", path, site.config, author=author, years=years)


def year_section(env: jinja2.Environment, group: YearGroup, root: str, brief: bool) -> str:
    """Return one year's section of a list (``_year.html``), as a page that includes it renders it."""
    return env.get_template("_year.html").render(group=group, root=root, brief=brief)


@functools.lru_cache(maxsize=1 << 16)
def _family_key(name: str) -> str:
    parts = split_name(name)
    return name_key(parts.literal or f"{parts.family} {parts.given}")


FEED_SIZE = 20


def _bib_file(
    site: Site, helpers: Helpers, pieces: Fragments, ident_of: Mapping[str, bytes]
) -> list[tuple[str, str]]:
    """Return publications.bib: every paper's entry, each kept from the last build when unchanged."""
    entries = (bib_entry(p, helpers, pieces, ident_of[p.slug]) for p in site.publications)
    return [("publications.bib", bibtex_file(entries))]


def bib_entry(pub: Publication, helpers: Helpers, pieces: Fragments, ident: bytes) -> str:
    """Return a paper's BibTeX entry: the one its page shows and publications.bib holds."""
    key = helpers.keys[pub.slug]
    return pieces.get(
        ("bib", ident, key, helpers.base_url),
        functools.partial(bibtex, pub, key, helpers.absolute(f"publications/{pub.slug}/")),
    )


def feed_file(
    site: Site, env: jinja2.Environment, newest: Sequence[PaperView], helpers: Helpers
) -> list[tuple[str, str]]:
    """Return the Atom feed of the newest papers (with a base URL only)."""
    return [
        (
            "feed.xml",
            env.get_template("feed.xml").render(
                site=site.config,
                papers=newest,
                updated=newest[0].pub.date if newest else None,
                base=helpers.base_url,
                summaries={v.pub.slug: _description(v.pub) for v in newest},
            ),
        )
    ]


SITEMAP_LIMIT = 50_000  # pages one sitemap file may list (sitemaps.org); more: an index of files


def sitemap_file(path: str) -> str:
    """Return the file listing a page in the sitemap of a site with more than :data:`SITEMAP_LIMIT` pages.

    Papers' and authors' pages by the first character of their slugs, the others together:
    a page put in or taken out changes one file, not the numbering of every later one.
    """
    kind, _, slug = path.partition("/")
    if kind in ("publications", "authors") and slug and not slug.startswith("years/"):
        return f"sitemaps/{kind}-{slug[0]}.xml"
    return "sitemaps/pages.xml"


def _sitemap(
    env: jinja2.Environment, views: Sequence[PaperView], helpers: Helpers, extra_pages: Sequence[str]
) -> list[tuple[str, str]]:
    """Return robots.txt, and with a base URL the sitemap of every page it points to.

    A site with more pages than one sitemap may list gets a sitemap index in ``sitemap.xml``
    and the pages in files of at most :data:`SITEMAP_LIMIT` (:func:`sitemap_file`; a file
    that would hold more is cut in numbered parts).
    """
    if not helpers.base_url:
        return [("robots.txt", "User-agent: *\nAllow: /\n")]
    base = helpers.base_url
    pages = ["", "publications/", "authors/", *extra_pages]
    pages += sorted(v.path for v in views)  # by path: a title edit that reorders the list leaves it
    dates = {v.path: v.pub.date for v in views}
    robots = ("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n")
    urlset = env.get_template("sitemap.xml")
    if len(pages) <= SITEMAP_LIMIT:
        return [("sitemap.xml", urlset.render(base=base, pages=pages, dates=dates)), robots]
    files: dict[str, list[str]] = {}
    for path in pages:
        files.setdefault(sitemap_file(path), []).append(path)
    parts: list[tuple[str, list[str]]] = []
    for name, listed in sorted(files.items()):
        if len(listed) <= SITEMAP_LIMIT:
            parts.append((name, listed))
        else:
            stem = name.removesuffix(".xml")
            for k in range(0, len(listed), SITEMAP_LIMIT):
                parts.append((f"{stem}-{k // SITEMAP_LIMIT + 1}.xml", listed[k : k + SITEMAP_LIMIT]))
    index = env.get_template("sitemap_index.xml").render(base=base, files=[name for name, _ in parts])
    return [
        ("sitemap.xml", index),
        *((name, urlset.render(base=base, pages=listed, dates=dates)) for name, listed in parts),
        robots,
    ]
