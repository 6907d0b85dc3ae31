"""Quick rebuilds: when the text, authors or facets of a few papers changed, splice their new pieces in.

A rebuild that reads every paper, checks the whole site and plans every page costs about
two seconds at 10,000 papers before it renders the few pages an edit changed. But an edit
to a paper's text (its title, abstract, links, affiliations), not to its year or its place
in the site's order, leaves the site's shape as it was: the same pages list the same
papers in the same order (papers of one day are in file-name order, so a new title moves
nothing). Each list page showing the paper then differs from the last build only in
that paper's pieces: its entry, its row of the filter index, its search text, its BibTeX
entry.

So a quick rebuild renders the old and the new piece of each edited paper, finds the old
one in each page that shows it (exactly once, or it gives up), and puts the new one in its
place; so does the pager of each neighbouring paper's page, which shows its title. The
paper's own page and the feed are rendered again in full. An edit to who wrote a paper
changes its authors' pages, the author index, the sitemap, the filter index's authors and
some related papers too: :mod:`.reauthor` puts those in place. An edit to its venue,
tags, category or code changes the filters' checkboxes and numbering (:mod:`.refacet`),
and a tags or category edit some related papers too. A new day in the same year that
leaves the paper between its neighbours in the site's order moves nothing either: its
entries, row and BibTeX entry show the new day, and so does its line in the sitemap;
the letters of its citation-key clash group, given in date order, may change. A paper
selected or no longer changes the filters' "Selected" count and the home page's list of
the newest selected papers (the index keeps every selected paper). Everything else is
left as it is.

A :class:`PatchIndex`, saved with the build cache, holds what that takes: the papers'
order, related papers, authors, tags and citation keys. Whenever a quick rebuild cannot
give exactly a full build's output (a changed shape or citation-key clash, a paper with
problems, a page not as expected, templates of the project's own) it returns None and the
build goes the usual way; nothing is written before every piece is in place. The preview
(:mod:`.serve`) keeps an index of its last render too, and patches the files it holds in
memory the same way.
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import (
    CACHE_DIR,
    BuildCache,
    apply_changes,
    compiled_templates,
    file_digests,
    read_data,
    write_data,
)
from .errors import Problem
from .layout import CONTENT_DIR, PUBLICATIONS_DIR, builtin_theme_dir, display_path, theme_dirs
from .output import Contents, safe_join

if TYPE_CHECKING:
    import jinja2

    from .markup import MarkdownRenderer
    from .model import Publication, Site
    from .render import AuthorFact as Fact
    from .render import PaperView, Plan

# The last build's output: its folder, or the preview's files in memory (by output path)
Output = Path | Mapping[str, bytes]

# An output file as the last build left it: its bytes, or a large file mapped into memory.
# Mapped, a page is searched where the system keeps it, and its unchanged spans are written
# from there: not copied into memory first, nor joined with the new pieces (copying 25 MB of
# list page, search index and BibTeX file twice took 20 ms of an edit's 250 at 10,000 papers).
# The last build's files are never written in place (new ones replace them), so a mapped file
# stays as it was while it is read.
Page = bytes | mmap.mmap

INDEX_FILE = "patch.pickle"
LIST_PAGE = "publications/index.html"  # with the filters, and their index inlined
MOST_EDITED = 16  # more edited papers than this: a full rebuild is about as quick


@dataclass(frozen=True, slots=True)
class PatchIndex:
    """What a quick rebuild needs of the last build, paper by paper (kept in the build cache)."""

    token: str  # the cache save it goes with
    base: str  # fingerprint of every input but the papers, and of the options and our code
    cwd: str  # where that build ran: its warnings name paths from there
    files: dict[str, tuple[int, int]]  # paper file name → modification time (ns), size
    order: tuple[str, ...]  # slugs in the site's order: newest first, then by slug
    related: dict[str, tuple[str, ...]]  # slug → slugs of its related papers
    keys: dict[str, str]  # slug → citation key
    base_keys: dict[str, str]  # slug → citation key before clashes get a letter
    same_paper: dict[str, str]  # slug → title and first author, which find duplicate papers
    selected: dict[str, bool]  # slug → True, of every selected paper (the home page names the newest)
    year_pages: bool  # the site has a page per year (more papers than the list page shows)
    shards: dict[int, str]  # token of each shard of parsed papers
    warnings: tuple[Problem, ...]  # the last check's, but for duplicate papers
    duplicates: dict[str, Problem]  # slug → the warning that it is the same paper as another
    digests: dict[str, bytes]  # paper file name → digest of its bytes (where known)
    author_facts: dict[str, tuple[Fact, ...]]  # slug → its authors, as the authors' pages group them
    facets: dict[str, tuple[tuple[str, ...], str | None]]  # slug → its tags and category (related papers)
    days: dict[str, int]  # slug → its date's ordinal (related papers break ties by days apart)
    shown: dict[str, tuple[str, bool]]  # author page slug → name shown, lab member (of all authors)


@dataclass(frozen=True, slots=True)
class Patch:
    """A quick rebuild: files to write and remove, and what the cache must learn of it."""

    write: dict[str, Contents]  # output path → new content (only files whose bytes changed)
    remove: tuple[str, ...]  # output paths no longer produced (a paper's renamed citation files)
    jobs: dict[str, tuple[str, ...] | None]  # jobs whose files changed → their outputs, if they changed
    papers: dict[str, tuple[int, int, Any, bytes | None]]  # edited paper files, as read
    index: dict[str, dict[str, Any]]  # what changed in the tables of the index, by table (None: removed)
    warnings: tuple[Problem, ...]  # as a full rebuild's check would give them
    added: tuple[str, ...] = ()  # output paths among ``write`` that the last build did not have


def who_wrote(pub: Publication) -> tuple[object, ...]:
    """Return what pages other than a paper's own read of it besides its pieces, authors, facets and day.

    Its year: what a quick rebuild needs unchanged (an edit to who wrote it is put in place
    by :mod:`.reauthor`; one to its venue, tags, category, code or selection by
    :mod:`.refacet` and :func:`_patch`; a new day of the same year, when the paper keeps its
    place in the site's order, by :func:`_patch`).
    """
    return (pub.slug, pub.source, pub.year)


def make_index(
    plan: Plan,
    token: str,
    base: str,
    files: dict[str, tuple[int, int]],
    shards: dict[int, str],
    warnings: Sequence[Problem],
    digests: Mapping[str, bytes] | None = None,
) -> PatchIndex:
    """Return the index of a build's plan; ``warnings`` are its check's (as ``load_checked`` gives them).

    ``files`` are the paper files' times and sizes, ``digests`` their bytes' digests if known.
    """
    from .cite import base_key
    from .render import LIST_HTML_LIMIT, author_facts
    from .slugs import paper_key

    views = plan.views
    resolve = plan.helpers.directory.resolve
    shared: dict[Fact, Fact] = {}  # each author's facts once: the index is read by every quick rebuild
    same = {v.pub.slug: paper_key(v.pub.title, v.pub.authors[0]) for v in views}
    pubs = {v.pub.slug: v.pub for v in views}
    by_name = [pubs[name.rpartition(".")[0]] for name in sorted(files)]
    duplicates = _duplicates((pub.slug, pub.source, same[pub.slug]) for pub in by_name)
    told = set(duplicates.values())
    return PatchIndex(
        token=token,
        base=base,
        cwd=os.getcwd(),
        files=files,
        order=tuple(v.pub.slug for v in views),
        related={
            v.pub.slug: tuple(r.pub.slug for r in rel) for v, rel in zip(views, plan.related, strict=True)
        },
        keys=dict(plan.helpers.keys),
        base_keys={v.pub.slug: base_key(v.pub) for v in views},
        same_paper=same,
        selected={v.pub.slug: True for v in views if v.pub.selected},
        year_pages=len(views) > LIST_HTML_LIMIT,
        shards=dict(shards),
        warnings=tuple(w for w in warnings if w not in told),
        duplicates=duplicates,
        digests=dict(digests or {}),
        author_facts={v.pub.slug: author_facts(v, resolve, shared) for v in views},
        facets={v.pub.slug: (v.pub.tags, v.pub.category) for v in views},
        days={v.pub.slug: v.pub.date.toordinal() for v in views},
        shown={author.slug: (author.name, author.member) for author in plan.authors},
    )


def _duplicates(papers: Iterable[tuple[str, str, str]]) -> dict[str, Problem]:
    """Return duplicate-paper warnings by slug; ``papers``: (slug, path as shown, title key), by file name."""
    from .loader import duplicate_papers

    papers = list(papers)
    slug_of = {shown: slug for slug, shown, _ in papers}
    return {
        slug_of[problem.path]: problem
        for problem in duplicate_papers((shown, key) for _, shown, key in papers)
    }


def save_index(project: Path, index: PatchIndex) -> None:
    """Keep the index in the build cache."""
    write_data(project / CACHE_DIR / INDEX_FILE, {"index": index})


def fold_into_index(project: Path, index: PatchIndex, tables: Mapping[str, Mapping[str, Any]]) -> bool:
    """Write many changes to the index (a checkout touches every paper) into its file; return whether it did.

    A few go to the journal of quick rebuilds, which each one reads and writes again whole;
    the index itself is written only by a full build, or here. ``index`` is as
    :func:`load_index` gave it (the journal's changes in it); the caller then empties the
    journal's changes to the index (:meth:`~site_builder.cache.BuildCache.save_quick`).
    """
    if sum(len(changes) for changes in tables.values()) <= MOST_EDITED:
        return False
    for name, changes in tables.items():
        apply_changes(getattr(index, name), changes)
    save_index(project, index)
    return True


def load_index(project: Path, cache: BuildCache) -> PatchIndex | None:
    """Return the index saved with ``cache``, with the changes of the quick rebuilds since."""
    index = read_data(project / CACHE_DIR / INDEX_FILE).get("index")
    if not isinstance(index, PatchIndex) or index.token != cache.token:
        return None
    journal = cache.journal(project)
    if cache.patched and journal is None:
        return None  # the journal is lost: the index no longer says what the output holds
    if journal is not None:
        for name, changes in journal.get("index", {}).items():
            apply_changes(getattr(index, name), changes)
    return index


def builtin_templates(project: Path) -> bool:
    """Return whether the project renders with the built-in templates (its own may equal them).

    Quick rebuilds know where the built-in templates put a paper's pieces; a project's own
    templates may show a paper's text anywhere, and get full rebuilds.
    """
    builtin = builtin_theme_dir("templates")
    for folder in theme_dirs(project, "templates"):
        if folder.resolve() == builtin.resolve():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                theirs = builtin / path.relative_to(folder)
                if not theirs.is_file() or theirs.read_bytes() != path.read_bytes():
                    return False
    return True


class GiveUp(Exception):
    """The quick rebuild cannot give exactly a full build's output."""


def edited_papers(files: Mapping[str, tuple[int, int]], stats: Mapping[str, tuple[int, int]]) -> list[str]:
    """Return the paper files whose time and size (``stats``) are not those in ``files``, or that are new."""
    return sorted(name for name, stat in stats.items() if files.get(name) != stat)


def unchanged_papers(folder: Path, names: Iterable[str], index: PatchIndex) -> list[str]:
    """Return the paper files among ``names`` whose bytes are as the index has them (only touched)."""
    known = [name for name in names if name in index.digests]
    found = file_digests(folder, known)
    return [name for name, now in zip(known, found, strict=True) if now == index.digests[name]]


def _as_indexed(index: PatchIndex, name: str, cached: Any) -> bool:
    """Return whether a paper's cached entry is the file as the index has it (its bytes, else its time)."""
    known = index.digests.get(name)
    if known is not None:
        return bool(cached[2].digest == known)
    return tuple(cached[:2]) == index.files[name]


def quick_patch(
    project: Path,
    out: Output,
    index: PatchIndex,
    stats: dict[str, tuple[int, int]],
    changed: list[str],
    old_entry: Callable[[str], Any],
    env: jinja2.Environment | None = None,
    held: Callable[[str], Publication | None] | None = None,
) -> Patch | None:
    """Return the quick rebuild of ``out`` after the paper files ``changed`` were edited, or None.

    ``stats`` are every paper file's modification time and size, ``changed`` is
    :func:`edited_papers` of them; ``old_entry(name)`` is a paper file's entry in the cache
    as the last build read it. ``env`` renders the pieces (by default, a build's environment);
    ``held(name)`` is an unedited paper as the caller holds it in memory (else its file is read).
    """
    if stats.keys() != index.files.keys():
        return None  # a paper added or removed: the site's shape changed
    if not changed or len(changed) > MOST_EDITED or not builtin_templates(project):
        return None
    try:
        return _patch(project, out, index, stats, changed, old_entry, env, held)
    except GiveUp:
        return None


MAPPED_FROM = 1 << 16  # bytes from which an output file is mapped, not read


def _reader(out: Output) -> Callable[[str], Page | None]:
    """Return ``read(output path)``: a file as the last build left it (a :data:`Page`), or None."""
    if not isinstance(out, Path):
        return out.get
    mapping = os.name == "posix"  # elsewhere a mapped file could not be replaced

    def read(rel: str) -> Page | None:
        try:
            with open(safe_join(out, rel), "rb") as handle:
                if mapping and os.fstat(handle.fileno()).st_size >= MAPPED_FROM:
                    return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                return handle.read()
        except (OSError, ValueError):  # ValueError: emptied since its size was read
            return None

    return read


def _patch(
    project: Path,
    out: Output,
    index: PatchIndex,
    stats: dict[str, tuple[int, int]],
    changed: list[str],
    old_entry: Callable[[str], Any],
    env: jinja2.Environment | None,
    held: Callable[[str], Publication | None] | None,
) -> Patch:
    """Return the quick rebuild (see :func:`quick_patch`); raise :class:`GiveUp` when it cannot be one.

    The stages in order: the edited papers read and checked; their places in the site's
    order checked; citation keys given again; who wrote them put in place (:mod:`.reauthor`);
    their entries, filter rows, the home page's selected papers, the sitemap's dates and the
    BibTeX spliced; the neighbours' pagers; the pages rendered whole; the index's changes.
    """
    from .loader import load_site
    from .reauthor import reauthor, splice_sitemap_dates
    from .refacet import splice_rows
    from .render import make_environment

    folder = project / CONTENT_DIR / PUBLICATIONS_DIR
    edited = _read_edited(project, folder, index, stats, changed, old_entry)
    site, _ = load_site(project, {})  # site.yaml, people, pages and news: everything but the papers
    if site is None:
        raise GiveUp
    if env is None:
        env = make_environment(theme_dirs(project, "templates"), compiled_templates(project))
    s = _Splicing(out, folder, index, edited, site, env, old_entry, held)
    new = edited.new
    redated = _redated(s)
    keys, rekeyed = _rekeyed(s, edited.base_keys, redated)
    authors = reauthor(
        index, new, site, env, s.directory, s.text, s.splice, s.pieces, s.put, s.view_of, s.entry_of
    )
    full = set(authors.related)  # paper pages rendered again whole
    removed = list(authors.removed)
    renamed = dict(authors.renamed)
    neighbours, feed = _splice_entries(s, authors.not_spliced)
    full.update(new)
    splice_rows(
        s.text, s.pieces, env, {slug: (edited.old[slug], after) for slug, after in new.items()}, index.order
    )
    _splice_selected(s)
    if redated and site.config.base_url:
        pairs = [(edited.old[slug], new[slug]) for slug in redated]
        splice_sitemap_dates(s.text, s.pieces, env, site.config.base_url, pairs)
    _splice_bib(s, keys, rekeyed)
    if rekeyed:
        _splice_keys(s.text, s.pieces, [(s.position[slug], index.keys[slug], keys[slug]) for slug in rekeyed])
    full.update(rekeyed)
    for slug in rekeyed:  # their citation files take the new key's name
        stem = f"publications/{slug}/"
        removed += [f"{stem}{index.keys[slug]}{suffix}" for suffix in _CITATION_FILES]
        renamed[f"paper:{slug}"] = (
            f"{stem}index.html",
            *(f"{stem}{keys[slug]}{suffix}" for suffix in _CITATION_FILES),
        )
    _splice_pagers(s, neighbours - full)
    _render_whole(s, sorted(full), authors.related, keys, feed)
    return _finish(s, edited, keys, rekeyed, removed, renamed, authors.tables)


_CITATION_FILES = (".bib", ".ris", ".json")  # a paper's, named by its citation key


@dataclass(frozen=True, slots=True)
class _Edited:
    """The edited papers as the last build had them and as they are now, read and checked."""

    old: dict[str, Publication]  # slug → the paper as the last build read it
    new: dict[str, Publication]  # slug → the paper now
    papers: dict[str, tuple[int, int, Any, bytes | None]]  # file name → time, size, file, abstract's HTML
    base_keys: dict[str, str]  # every paper's citation key before clashes, the edited ones' now
    same: dict[str, str]  # every paper's title and first author (duplicates), the edited ones' now
    rendered: dict[tuple[str, bool], bytes]  # abstracts' HTML as the cache has them (``markdown`` reuses)
    markdown: MarkdownRenderer  # renders the abstracts shown (their HTML as kept, when it is)
    changed: list[str]  # the edited files' names


def _read_edited(
    project: Path,
    folder: Path,
    index: PatchIndex,
    stats: dict[str, tuple[int, int]],
    changed: list[str],
    old_entry: Callable[[str], Any],
) -> _Edited:
    """Read and check the edited papers; give up at once on an edit to a paper's shape, or on problems."""
    from .build import link_problems, static_files
    from .cite import base_key
    from .loader import PaperFile, load_publication_file
    from .markup import MarkdownRenderer
    from .slugs import paper_key

    rendered: dict[tuple[str, bool], bytes] = {}
    pages = _PaperPages(index.order)
    known = set(static_files(project))
    base_keys, same = dict(index.base_keys), dict(index.same_paper)
    old: dict[str, Publication] = {}
    new: dict[str, Publication] = {}
    papers: dict[str, tuple[int, int, PaperFile, bytes | None]] = {}
    for name in changed:
        slug = name.rpartition(".")[0]
        cached = old_entry(name)
        if (
            cached is None
            or not _as_indexed(index, name, cached)
            or cached[2].publication is None
            or cached[2].problems  # the last build had no paper with an error: for safety
        ):
            raise GiveUp
        before: Publication = cached[2].publication
        if cached[3] is not None:
            rendered[before.abstract, True] = cached[3]
        paper = load_publication_file(folder / name)
        after = paper.publication
        if paper.problems or after is None or who_wrote(after) != who_wrote(before):
            raise GiveUp
        if link_problems(after, known, pages):
            raise GiveUp
        same[slug] = paper_key(after.title, after.authors[0])
        base_keys[slug] = base_key(after)
        old[slug], new[slug] = before, after
        papers[name] = (*stats[name], paper, None)
    markdown = MarkdownRenderer(rendered)
    for name, (mtime, size, paper, _) in papers.items():
        after = paper.publication
        html = markdown.render_utf8(after.abstract) if after and after.abstract else None
        papers[name] = (mtime, size, paper, html)
    return _Edited(old, new, papers, base_keys, same, rendered, markdown, changed)


class _Splicing:
    """A quick rebuild under way: the papers and pages it read, and the pieces it puts in place."""

    def __init__(
        self,
        out: Output,
        folder: Path,
        index: PatchIndex,
        edited: _Edited,
        site: Site,
        env: jinja2.Environment,
        old_entry: Callable[[str], Any],
        held: Callable[[str], Publication | None] | None,
    ) -> None:
        from .people import make_directory
        from .render import entry_renderer

        self.folder, self.index, self.site, self.env = folder, index, site, env
        self.old, self.new = edited.old, edited.new
        self._old_entry, self._held = old_entry, held
        self.entry = entry_renderer(env, site.config)
        env.globals["paper_entry"] = self.entry
        self.directory = make_directory(site.people, site.config.members)
        self.position = {slug: i for i, slug in enumerate(index.order)}
        self._rendered = edited.rendered
        self.markdown = edited.markdown
        self._publications: dict[str, Publication] = dict(edited.new)
        self._views: dict[tuple[str, bool], PaperView] = {}
        self._read = _reader(out)
        # the output files as the last build left them (None: it had none), the pages
        # rendered whole, and the pieces replaced in the others (each found in the page as it was)
        self.originals: dict[str, Page | None] = {}
        self.texts: dict[str, bytes] = {}
        self.pieces = Pieces()

    def file_of(self, slug: str) -> str:
        """Return the name of a paper's file: its slug and suffix."""
        for name in (f"{slug}.yaml", f"{slug}.yml"):
            if name in self.index.files:
                return name
        raise GiveUp

    def pub_of(self, slug: str) -> Publication:
        """Return a paper as it is now: edited, held by the caller, or read from its file."""
        from .loader import load_publication_file

        pub = self._publications.get(slug)
        if pub is None:
            name = self.file_of(slug)
            pub = self._held(name) if self._held is not None else None
            if pub is None:
                pub = load_publication_file(self.folder / name).publication
            if pub is None:
                raise GiveUp
            self._publications[slug] = pub
        return pub

    def view_of(self, slug: str, abstract: bool = False) -> PaperView:
        """Return a paper's view; its abstract only when asked (brief entries, pagers, the feed show none).

        A paper shown with its abstract comes from the cache, with the abstract as rendered.
        """
        from .render import paper_view

        view = self._views.get((slug, abstract))
        if view is None:
            if abstract and slug not in self.new:
                name = self.file_of(slug)
                cached = self._old_entry(name)
                if cached is not None and _as_indexed(self.index, name, cached):
                    self._publications.setdefault(slug, cached[2].publication)
                    if cached[3] is not None:
                        self._rendered[cached[2].publication.abstract, True] = cached[3]
            markdown = self.markdown if abstract else None
            view = self._views[slug, abstract] = paper_view(self.pub_of(slug), self.directory, markdown)
        return view

    def text(self, rel: str) -> Page:
        """Return an output file as the last build left it; give up when it had none."""
        _note_original(rel, self._read, self.originals)
        data = self.originals[rel]
        if data is None:
            raise GiveUp
        return data

    def splice(self, rel: str, before: str, after: str) -> None:
        """Put ``after`` in place of ``before``, found once in the page ``rel``."""
        old_piece = before.encode("utf-8")
        start = find_once(self.text(rel), old_piece)
        if before != after:
            self.pieces.replace(rel, start, start + len(old_piece), after.encode("utf-8"))

    def put(self, rel: str, html: str) -> None:
        """Note a page rendered whole."""
        _note_original(rel, self._read, self.originals)
        self.texts[rel] = html.encode("utf-8")

    def entry_of(self, slug: str, before: bool, root: str) -> str:
        """Return a paper's brief entry line in a list of a page at ``root``, before the edit or after."""
        from .render import paper_view

        old = self.old
        view = paper_view(old[slug], self.directory, None) if before and slug in old else self.view_of(slug)
        return f"    {self.entry(view, root, True)}\n"


def _redated(s: _Splicing) -> list[str]:
    """Return the papers with a new day, each checked to stay between its neighbours in the site's order.

    Their entries, filter rows, BibTeX entries, own pages, the feed and their lines in the
    sitemap then show the new day, and their citation-key clash groups may change letters
    (given in date order). A paper that moves in the lists gives up: the usual way.
    """
    from .loader import site_order

    order = s.index.order
    redated = sorted(slug for slug in s.new if s.new[slug].date != s.old[slug].date)
    for slug in redated:
        i = s.position[slug]
        here = site_order(s.new[slug])
        if (i > 0 and site_order(s.pub_of(order[i - 1])) >= here) or (
            i + 1 < len(order) and here >= site_order(s.pub_of(order[i + 1]))
        ):
            raise GiveUp  # it moves in every list: the usual way
    return redated


def _rekeyed(s: _Splicing, base_keys: dict[str, str], redated: list[str]) -> tuple[dict[str, str], list[str]]:
    """Return every paper's citation key now, and the papers whose key changed.

    The papers sharing an edited paper's old or new base key get theirs again (letters in
    date order, as a full build gives them).
    """
    from .cite import citation_keys

    index = s.index
    keys = dict(index.keys)
    moved = [slug for slug in s.new if base_keys[slug] != index.base_keys[slug] or slug in redated]
    groups = {index.base_keys[slug] for slug in moved} | {base_keys[slug] for slug in moved}
    members = [slug for slug, key in base_keys.items() if key in groups] if groups else []
    if len(members) > 8 * MOST_EDITED:
        raise GiveUp
    keys.update(citation_keys([s.pub_of(slug) for slug in members]))
    return keys, sorted(slug for slug in members if keys[slug] != index.keys[slug])


def _splice_entries(s: _Splicing, not_spliced: Container[str]) -> tuple[set[str], bool]:
    """Put each edited paper's new entry in every list showing it, and its new search text.

    The lists: its authors' pages (but those :mod:`.reauthor` rendered whole,
    ``not_spliced``), the pages of papers it is related to, the list page and its year's
    page, the home page. Return the papers whose pagers show an edited paper, and whether
    the feed shows one.
    """
    from .render import FEED_SIZE, LIST_HTML_LIMIT, RECENT_ON_HOME, paper_view, root_for, search_json

    index, old = s.index, s.old
    related_by: dict[str, list[str]] = {slug: [] for slug in s.new}
    for slug, rel_slugs in index.related.items():
        for other in rel_slugs:
            if other in related_by:
                related_by[other].append(slug)
    neighbours: set[str] = set()
    feed = False
    for slug, after in s.new.items():
        i = s.position[slug]
        before_view = paper_view(old[slug], s.directory, s.markdown)
        after_view = s.view_of(slug, abstract=True)
        pages_of = dict.fromkeys(fact[0] for fact in index.author_facts[slug])  # its authors' pages, before
        lists = [(f"authors/{author}/index.html", True) for author in pages_of if author not in not_spliced]
        lists += [(f"publications/{other}/index.html", True) for other in related_by[slug]]
        if i < LIST_HTML_LIMIT:
            lists.append((LIST_PAGE, False))
        if index.year_pages:
            lists.append((f"publications/years/{after.year}/index.html", False))
        if i < RECENT_ON_HOME:
            lists.append(("index.html", False))
        for rel, brief in lists:
            root = root_for(rel)
            s.splice(rel, str(s.entry(before_view, root, brief)), str(s.entry(after_view, root, brief)))
        s.splice("publications/search.json", search_json(old[slug]), search_json(after))
        neighbours.update(index.order[j] for j in (i - 1, i + 1) if 0 <= j < len(index.order))
        feed = feed or (bool(s.site.config.base_url) and i < FEED_SIZE)
    return neighbours, feed


def _splice_selected(s: _Splicing) -> None:
    """Put in place the home page's lines of the newest selected papers, if an edited paper is or was one."""
    from .render import SELECTED_ON_HOME, paper_view

    index, new = s.index, s.new
    if not any(slug in index.selected or after.selected for slug, after in new.items()):
        return
    was = [slug for slug in index.order if slug in index.selected][:SELECTED_ON_HOME]
    now = [slug for slug in index.order if (new[slug].selected if slug in new else slug in index.selected)][
        :SELECTED_ON_HOME
    ]
    if bool(was) != bool(now):
        raise GiveUp  # the section comes or goes: the usual way renders the page
    named = s.env.get_template("_selected.html")

    def lines(slugs: list[str], when: Mapping[str, Publication]) -> str:
        """Return the home page's lines of the selected papers ``slugs``, the edited ones as ``when``."""
        shown = (paper_view(when[x], s.directory, None) if x in when else s.view_of(x) for x in slugs)
        return "".join(named.render(p=view, root="./") for view in shown)

    if was:
        s.splice("index.html", lines(was, s.old), lines(now, {}))


def _splice_bib(s: _Splicing, keys: dict[str, str], rekeyed: list[str]) -> None:
    """Put the new BibTeX entries of the edited and rekeyed papers in ``publications.bib``."""
    from .render import Fragments, Helpers, bib_entry

    config = s.site.config
    old_helpers = Helpers(s.directory, s.index.keys, config.base_url)
    helpers = Helpers(s.directory, keys, config.base_url)
    for slug in sorted({*s.new, *rekeyed}):
        s.splice(
            "publications.bib",
            bib_entry(s.old.get(slug) or s.pub_of(slug), old_helpers, Fragments(), b""),
            bib_entry(s.pub_of(slug), helpers, Fragments(), b""),
        )


def _splice_pagers(s: _Splicing, slugs: set[str]) -> None:
    """Put the new pager in the pages of papers ``slugs``, which show an edited neighbour's title."""
    from .render import paper_view, root_for

    order = s.index.order
    pager = s.env.get_template("_pager.html")

    def pager_of(i: int, root: str, when: Mapping[str, Publication]) -> str:
        """Return the pager of the paper at ``i`` in the site's order, with the edited papers ``when``."""
        shown: list[PaperView | None] = []
        for j in (i - 1, i + 1):
            if 0 <= j < len(order):
                other = order[j]
                shown.append(
                    paper_view(when[other], s.directory, None) if other in when else s.view_of(other)
                )
            else:
                shown.append(None)
        return pager.render(root=root, newer=shown[0], older=shown[1])

    for slug in sorted(slugs):
        rel = f"publications/{slug}/index.html"
        root = root_for(rel)
        s.splice(rel, pager_of(s.position[slug], root, s.old), pager_of(s.position[slug], root, s.new))


def _render_whole(
    s: _Splicing,
    slugs: list[str],
    related: Mapping[str, tuple[str, ...]],
    keys: dict[str, str],
    feed: bool,
) -> None:
    """Render again whole the pages of papers ``slugs`` (``related``: new rows) and, if ``feed``, the feed."""
    from .render import FEED_SIZE, Fragments, Helpers, feed_file, paper_page

    order, site = s.index.order, s.site
    helpers = Helpers(s.directory, keys, site.config.base_url)
    for slug in slugs:
        i = s.position[slug]
        newer = s.view_of(order[i - 1]) if i > 0 else None
        older = s.view_of(order[i + 1]) if i + 1 < len(order) else None
        rows = [s.view_of(other) for other in related.get(slug, s.index.related[slug])]
        view = s.view_of(slug, abstract=True)
        for rel, page in paper_page(site, s.env, view, newer, older, rows, helpers, Fragments(), b""):
            s.put(rel, page)
    if feed:
        newest = [s.view_of(slug) for slug in order[:FEED_SIZE]]
        for rel, page in feed_file(site, s.env, newest, helpers):
            s.put(rel, page)


def _finish(
    s: _Splicing,
    edited: _Edited,
    keys: dict[str, str],
    rekeyed: list[str],
    removed: list[str],
    renamed: dict[str, tuple[str, ...]],
    author_tables: Mapping[str, dict[str, Any]],
) -> Patch:
    """Return the patch: the files whose bytes changed, the jobs they belong to, and the index's changes."""
    from .render import job_of_output

    index, new, old, same = s.index, edited.new, edited.old, edited.same
    write: dict[str, Contents] = {
        rel: data for rel, data in s.texts.items() if not same_bytes(data, s.originals.get(rel))
    }
    for rel, parts in s.pieces.pages(s.originals):
        if rel not in s.texts:  # a page rendered whole needs none of its pieces
            write[rel] = parts
    jobs: dict[str, tuple[str, ...] | None] = {job_of_output(rel): None for rel in [*write, *removed]}
    jobs.update(renamed)
    # which papers are told to be the same as another: found again when a title changed that
    duplicates = dict(index.duplicates)
    if any(same[slug] != index.same_paper[slug] for slug in new):
        # the warnings of the papers sharing an edited paper's old or new title and first author
        touched = {index.same_paper[slug] for slug in new} | {same[slug] for slug in new}
        group = sorted((s.file_of(slug), slug) for slug, key in same.items() if key in touched)
        for _, slug in group:
            duplicates.pop(slug, None)
        shown = ((slug, display_path(s.folder / name), same[slug]) for name, slug in group)
        duplicates.update(_duplicates(shown))
    changed, papers = edited.changed, edited.papers
    tables: dict[str, dict[str, Any]] = {
        "files": {name: papers[name][:2] for name in changed},
        "digests": {name: papers[name][2].digest for name in changed},
        "keys": {slug: keys[slug] for slug in rekeyed},
        "base_keys": {slug: edited.base_keys[slug] for slug in new},
        "same_paper": {slug: same[slug] for slug in new},
        "selected": {
            slug: True if after.selected else None
            for slug, after in new.items()
            if after.selected != old[slug].selected
        },
        "duplicates": {
            slug: duplicates.get(slug)
            for slug in duplicates.keys() | index.duplicates.keys()
            if duplicates.get(slug) != index.duplicates.get(slug)
        },
    }
    tables.update(author_tables)
    warnings = sorted([*index.warnings, *duplicates.values()], key=lambda p: (p.path, p.line or 0))
    new_files = tuple(rel for rel in write if s.originals.get(rel) is None)
    return Patch(write, tuple(removed), jobs, papers, tables, tuple(warnings), new_files)


class _PaperPages:
    """The set of the papers' pages (``publications/<slug>/``), for membership only, made when first asked."""

    def __init__(self, order: Sequence[str]) -> None:
        self._order = order
        self._slugs: frozenset[str] | None = None

    def __contains__(self, page: object) -> bool:
        if not isinstance(page, str) or not page.startswith("publications/") or not page.endswith("/"):
            return False
        if self._slugs is None:
            self._slugs = frozenset(self._order)
        return page[len("publications/") : -1] in self._slugs


class Pieces:
    """Replacements in pages, each of a span of the page as the last build left it."""

    def __init__(self) -> None:
        self._spans: dict[str, list[tuple[int, int, bytes]]] = {}

    def replace(self, rel: str, start: int, end: int, data: bytes) -> None:
        """Put ``data`` in place of ``page[start:end]`` of the page ``rel``."""
        self._spans.setdefault(rel, []).append((start, end, data))

    def pages(self, originals: Mapping[str, Page | None]) -> Iterator[tuple[str, Contents]]:
        """Yield each page whose replacements change it, as its parts (not joined); give up if two overlap."""
        for rel, spans in self._spans.items():
            original = originals[rel]
            assert original is not None  # spans are only found in pages that were read
            page = memoryview(original)  # its unchanged parts are not copied
            parts: list[bytes | memoryview] = []
            at = 0
            changed = False
            for start, end, data in sorted(spans, key=lambda span: span[:2]):  # insertions first
                if start < at:
                    raise GiveUp  # two pieces in one place: not a page a full build would make
                changed = changed or page[start:end] != data
                parts += [page[at:start], data]
                at = end
            if changed:
                parts.append(page[at:])
                yield rel, tuple(parts)


def same_bytes(data: bytes, page: Page | None) -> bool:
    """Return whether ``page`` holds exactly ``data``."""
    if page is None or len(page) != len(data):
        return False
    with memoryview(page) as view:
        return view == data


def index_of(page: Page, piece: bytes, begin: int = 0, end: int | None = None) -> int:
    """Return where ``piece`` is first in ``page[begin:end]`` (an index of ``page``); give up if nowhere."""
    at = page.find(piece, begin, len(page) if end is None else end)
    if at < 0:
        raise GiveUp  # not as the last build wrote it
    return at


def last_index_of(page: Page, piece: bytes, begin: int = 0, end: int | None = None) -> int:
    """Return where ``piece`` is last in ``page[begin:end]`` (an index of ``page``); give up if nowhere."""
    at = page.rfind(piece, begin, len(page) if end is None else end)
    if at < 0:
        raise GiveUp
    return at


def find_once(page: Page, piece: bytes, begin: int = 0, end: int | None = None) -> int:
    """Return where ``piece`` is in ``page[begin:end]`` (as an index of ``page``); give up unless once."""
    end = len(page) if end is None else end
    start = page.find(piece, begin, end)
    if start < 0 or page.find(piece, start + 1, end) >= 0:
        raise GiveUp  # not as the last build wrote it
    return start


def _note_original(rel: str, read: Callable[[str], Page | None], originals: dict[str, Page | None]) -> None:
    """Note a file's bytes as the last build left them, once (None when the last build had none)."""
    if rel not in originals:
        originals[rel] = read(rel)


def _splice_keys(text: Callable[[str], Page], pieces: Pieces, changes: list[tuple[int, str, str]]) -> None:
    """Change papers' citation keys (at their positions, from what to what) in the filter index."""
    page = text(LIST_PAGE)
    opening = b'"keys":['
    start = find_once(page, opening) + len(opening)
    end = index_of(page, b"]", start)
    keys = page[start:end].split(b",")  # citation keys are letters and digits only
    for i, before, after in changes:
        if i >= len(keys) or keys[i] != json.dumps(before).encode():
            raise GiveUp
        keys[i] = json.dumps(after).encode()
    pieces.replace(LIST_PAGE, start, end, b",".join(keys))
