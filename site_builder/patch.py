"""Quick rebuilds: when only the text of a few papers changed, put their new pieces into the pages.

A rebuild that reads every paper, checks the whole site and plans every page costs about
two seconds at 10,000 papers before it renders the few pages an edit changed. But an edit
to a paper's text (its title, abstract, links, affiliations), not to who wrote it, when,
or its facets, leaves the site's shape as it was: the same pages list the same papers in
the same order (papers of one day are in file-name order, so a new title moves nothing).
Each list page showing the paper then differs from the last build only in that paper's
pieces: its entry, its row of the filter index, its search text, its BibTeX entry.

So a quick rebuild renders the old and the new piece of each edited paper, finds the old
one in each page that shows it (exactly once, or it gives up), and puts the new one in its
place; so does the pager of each neighbouring paper's page, which shows its title. The
paper's own page and the feed are rendered again in full. Everything else is left as it is.

A :class:`PatchIndex`, saved with the build cache, holds what that takes: the papers'
order, related papers, authors' pages and citation keys. Whenever a quick rebuild cannot
give exactly a full build's output (a changed shape or citation-key clash, a paper with
problems, a page not as expected, templates of the project's own) it returns None and the
build goes the usual way; nothing is written before every piece is in place. The preview
(:mod:`.serve`) keeps an index of its last render too, and patches the files it holds in
memory the same way.
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from .output import safe_join

if TYPE_CHECKING:
    import jinja2

    from .model import Publication, Site
    from .people import Directory
    from .render import Coauthors, Plan

# The last build's output: its folder, or the preview's files in memory (by output path)
Output = Path | Mapping[str, bytes]

INDEX_FILE = "patch.pickle"
MOST_EDITED = 16  # more edited papers than this: a full rebuild is about as quick


Fact = tuple[str, bool, str]  # one author of a paper: page slug, lab member, name as resolved


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
    selected: frozenset[str]  # the selected papers the home page names
    year_pages: bool  # the site has a page per year (more papers than the list page shows)
    shards: dict[int, str]  # token of each shard of parsed papers
    warnings: tuple[Problem, ...]  # the last check's, but for duplicate papers
    duplicates: dict[str, Problem]  # slug → the warning that it is the same paper as another
    digests: dict[str, bytes]  # paper file name → digest of its bytes (where known)
    author_facts: dict[str, tuple[Fact, ...]]  # slug → its authors, as the authors' pages group them
    facets: dict[str, tuple[tuple[str, ...], str | None]]  # slug → its tags and category (related papers)
    shown: dict[str, tuple[str, bool]]  # author page slug → name shown, lab member (of all authors)


@dataclass(frozen=True, slots=True)
class Patch:
    """A quick rebuild: files to write and remove, and what the cache must learn of it."""

    write: dict[str, bytes]  # output path → new content (only files whose bytes changed)
    remove: tuple[str, ...]  # output paths no longer produced (a paper's renamed citation files)
    jobs: dict[str, tuple[str, ...] | None]  # jobs whose files changed → their outputs, if they changed
    papers: dict[str, tuple[int, int, Any, str | None]]  # edited paper files, as read
    index: dict[str, dict[str, Any]]  # what changed in the tables of the index, by table (None: removed)
    warnings: tuple[Problem, ...]  # as a full rebuild's check would give them
    added: tuple[str, ...] = ()  # output paths among ``write`` that the last build did not have


def shape(pub: Publication) -> tuple[object, ...]:
    """Return what pages other than a paper's own read of it besides its pieces (who, when, facets)."""
    return (
        pub.slug,
        pub.source,
        pub.date,
        pub.authors,
        pub.et_al,
        pub.category,
        pub.has_code,
        pub.venue,
        pub.tags,
        pub.selected,
    )


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
    from .render import LIST_HTML_LIMIT, RECENT_ON_HOME
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
        selected=frozenset([v.pub.slug for v in views if v.pub.selected][:RECENT_ON_HOME]),
        year_pages=len(views) > LIST_HTML_LIMIT,
        shards=dict(shards),
        warnings=tuple(w for w in warnings if w not in told),
        duplicates=duplicates,
        digests=dict(digests or {}),
        author_facts={
            v.pub.slug: tuple(
                shared.setdefault(fact, fact)
                for fact in (
                    (a.slug, a.member, resolve(n)) for a, n in zip(v.authors, v.pub.authors, strict=True)
                )
            )
            for v in views
        },
        facets={v.pub.slug: (v.pub.tags, v.pub.category) for v in views},
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


class _GiveUp(Exception):
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
    except _GiveUp:
        return None


def _reader(out: Output) -> Callable[[str], bytes | None]:
    """Return ``read(output path)``: a file's bytes as the last build left them, None when it has none."""
    if not isinstance(out, Path):
        return out.get

    def read(rel: str) -> bytes | None:
        try:
            return safe_join(out, rel).read_bytes()
        except OSError:
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
    from .build import link_problems, static_files
    from .cite import base_key, citation_keys
    from .facets import author_slug
    from .loader import PaperFile, load_publication_file, load_site
    from .markup import MarkdownRenderer
    from .people import make_directory
    from .render import (
        FEED_SIZE,
        LIST_HTML_LIMIT,
        RECENT_ON_HOME,
        AuthorPage,
        Fragments,
        Helpers,
        PaperView,
        author_page_file,
        bib_entry,
        entry_renderer,
        feed_file,
        job_of_output,
        lab_paths,
        make_environment,
        member_names,
        paper_page,
        paper_view,
        root_for,
        search_json,
    )
    from .slugs import paper_key

    rendered: dict[tuple[str, bool], str] = {}  # the edited papers' old abstracts, as the cache has them
    folder = project / CONTENT_DIR / PUBLICATIONS_DIR
    pages = _PaperPages(index.order)
    known = set(static_files(project))

    # the edited papers, read and checked first: an edit to a paper's shape gives up at once
    base_keys, same = dict(index.base_keys), dict(index.same_paper)
    old: dict[str, Publication] = {}
    new: dict[str, Publication] = {}
    papers: dict[str, tuple[int, int, PaperFile, str | None]] = {}
    for name in changed:
        slug = name.rpartition(".")[0]
        cached = old_entry(name)
        if (
            cached is None
            or not _as_indexed(index, name, cached)
            or cached[2].publication is None
            or cached[2].problems  # the last build had no paper with an error: for safety
        ):
            raise _GiveUp
        before: Publication = cached[2].publication
        if cached[3] is not None:
            rendered[before.abstract, True] = cached[3]
        paper = load_publication_file(folder / name)
        after = paper.publication
        if paper.problems or after is None or who_wrote(after) != who_wrote(before) or slug in index.selected:
            raise _GiveUp
        if link_problems(after, known, pages):
            raise _GiveUp
        same[slug] = paper_key(after.title, after.authors[0])
        base_keys[slug] = base_key(after)
        old[slug], new[slug] = before, after
        papers[name] = (*stats[name], paper, None)
    site, _ = load_site(project, {})  # site.yaml, people, pages and news: everything but the papers
    if site is None:
        raise _GiveUp
    config = site.config
    if env is None:
        env = make_environment(theme_dirs(project, "templates"), compiled_templates(project))
    entry = entry_renderer(env, config)
    env.globals["paper_entry"] = entry
    directory = make_directory(site.people, config.members)

    def file_of(slug: str) -> str:
        """Return the name of a paper's file: its slug and suffix."""
        for name in (f"{slug}.yaml", f"{slug}.yml"):
            if name in index.files:
                return name
        raise _GiveUp

    position = {slug: i for i, slug in enumerate(index.order)}
    markdown = MarkdownRenderer(rendered)
    for name, (mtime, size, paper, _) in papers.items():
        after = paper.publication
        papers[name] = (
            mtime,
            size,
            paper,
            markdown.render(after.abstract) if after and after.abstract else None,
        )

    publications: dict[str, Publication] = dict(new)

    def pub_of(slug: str) -> Publication:
        pub = publications.get(slug)
        if pub is None:
            name = file_of(slug)
            pub = held(name) if held is not None else None
            if pub is None:
                pub = load_publication_file(folder / name).publication
            if pub is None:
                raise _GiveUp
            publications[slug] = pub
        return pub

    views: dict[tuple[str, bool], PaperView] = {}

    def view_of(slug: str, abstract: bool = False) -> PaperView:
        """Return a paper's view; its abstract only when asked (brief entries, pagers, the feed show none).

        A paper shown with its abstract comes from the cache, with the abstract as rendered.
        """
        view = views.get((slug, abstract))
        if view is None:
            if abstract and slug not in new:
                name = file_of(slug)
                cached = old_entry(name)
                if cached is not None and _as_indexed(index, name, cached):
                    publications.setdefault(slug, cached[2].publication)
                    if cached[3] is not None:
                        rendered[cached[2].publication.abstract, True] = cached[3]
            view = views[slug, abstract] = paper_view(pub_of(slug), directory, markdown if abstract else None)
        return view

    # citation keys: the papers sharing an edited paper's old or new base key get theirs again
    # (letters in date order, as a full build gives them), and their own pages with them
    keys = dict(index.keys)
    moved = [slug for slug in new if base_keys[slug] != index.base_keys[slug]]
    groups = {index.base_keys[slug] for slug in moved} | {base_keys[slug] for slug in moved}
    members = [slug for slug, key in base_keys.items() if key in groups] if groups else []
    if len(members) > 8 * MOST_EDITED:
        raise _GiveUp
    keys.update(citation_keys([pub_of(slug) for slug in members]))
    rekeyed = sorted(slug for slug in members if keys[slug] != index.keys[slug])

    # the output files as the last build left them (None: it had none), the pages rendered
    # whole, and the pieces replaced in the others (each found in the page as it was)
    originals: dict[str, bytes | None] = {}
    texts: dict[str, bytes] = {}
    pieces = _Pieces()
    read = _reader(out)

    def text(rel: str) -> bytes:
        _note_original(rel, read, originals)
        data = originals[rel]
        if data is None:
            raise _GiveUp
        return data

    def splice(rel: str, before: str, after: str) -> None:
        old_piece = before.encode("utf-8")
        start = _only(text(rel), old_piece)
        if before != after:
            pieces.replace(rel, start, start + len(old_piece), after.encode("utf-8"))

    related_by: dict[str, list[str]] = {}
    for slug in new:
        related_by[slug] = []
    for slug, rel_slugs in index.related.items():
        for other in rel_slugs:
            if other in related_by:
                related_by[other].append(slug)
    old_helpers = Helpers(directory, index.keys, config.base_url)
    helpers = Helpers(directory, keys, config.base_url)
    full: set[str] = set()  # paper pages rendered again whole
    neighbours: set[str] = set()  # paper pages whose pager shows an edited paper's title
    feed = False
    removed: list[str] = []
    renamed: dict[str, tuple[str, ...]] = {}

    # who wrote the edited papers: when that changed, so did their authors' pages, the
    # authors' index, the sitemap, the filter index and some papers' related ones
    facts_now = {slug: author_facts(pub, directory) for slug, pub in new.items()}
    reshaped = [slug for slug in new if facts_now[slug] != index.author_facts[slug]]
    authorship = _Authorship(index, {slug: facts_now[slug] for slug in reshaped}) if reshaped else None
    related_now: dict[str, tuple[str, ...]] = {}
    whole: list[str] = []  # authors' pages rendered whole
    added: list[str] = []  # … of which new ones
    gone: list[str] = []  # authors' pages removed
    coauthor_lines: dict[str, tuple[str, str]] = {}  # author → their co-authors' lines, before and after
    if authorship is not None:
        related_now = _related_now(index, authorship, reshaped)
        full.update(related_now)
        people = {author_slug(person.name): person for person in site.people}
        template = env.get_template("_coauthors.html")
        for author in authorship.affected:
            had, has = authorship.papers_before[author], authorship.papers_now[author]
            if had and has and not authorship.shown_as_before(author):
                raise _GiveUp  # the co-author lines on other authors' pages show the name
            if bool(had) != bool(has) and author in people:
                raise _GiveUp  # the people page links to the author's page, or no longer does
            if not has:
                gone.append(author)
            elif had != has:
                whole.append(author)
                if not had:
                    added.append(author)
            else:
                lines = (
                    template.render(author={"coauthors": authorship.coauthors(author, after=False)}),
                    template.render(author={"coauthors": authorship.coauthors(author)}),
                )
                if not all(lines):  # a section that appears or goes: not a piece in place
                    whole.append(author)
                elif lines[0] != lines[1]:
                    coauthor_lines[author] = lines
        for author in whole:
            positions = authorship.papers_now[author]
            if len(positions) > WHOLE_AUTHOR_PAGES:
                raise _GiveUp
            author_page = AuthorPage(
                authorship.names[author],
                author,
                authorship.members[author],
                tuple(view_of(index.order[i]) for i in positions),
                authorship.coauthors(author),
                people.get(author),
            )
            for rel, html in author_page_file(site, env, author_page):
                _note_original(rel, read, originals)
                texts[rel] = html.encode("utf-8")
        for author in added:
            renamed[f"author:{author}"] = (f"authors/{author}/index.html",)
        for author in gone:
            removed.append(f"authors/{author}/index.html")
            renamed[f"author:{author}"] = ()
        for author, (before_lines, after_lines) in coauthor_lines.items():
            splice(f"authors/{author}/index.html", before_lines, after_lines)
        if whole or gone:  # papers counted anew
            _splice_author_index(text, splice, pieces, site, env, authorship, [*whole, *gone])
        if (added or gone) and config.base_url:
            kept = sorted(index.shown.keys() - set(gone))
            listed = ["", "publications/", "authors/", *lab_paths(site)]
            _splice_sitemap(text, pieces, env, config.base_url, listed, kept, added, gone)
        resolved = {slug: tuple(dict.fromkeys(fact[2] for fact in facts_now[slug])) for slug in reshaped}
        _renumber_authors(text, pieces, env, index.order, resolved, member_names(site), directory)
    not_spliced = {*whole, *gone}

    for slug, after in new.items():
        i = position[slug]
        before_view, after_view = paper_view(old[slug], directory, markdown), view_of(slug, abstract=True)
        pages_of = dict.fromkeys(fact[0] for fact in index.author_facts[slug])  # its authors' pages, before
        shown_by = [author for author in pages_of if author not in not_spliced]
        lists = [(f"authors/{author}/index.html", True) for author in shown_by]
        lists += [(f"publications/{other}/index.html", True) for other in related_by[slug]]
        if i < LIST_HTML_LIMIT:
            lists.append(("publications/index.html", False))
        if index.year_pages:
            lists.append((f"publications/years/{after.year}/index.html", False))
        if i < RECENT_ON_HOME:
            lists.append(("index.html", False))
        for rel, brief in lists:
            root = root_for(rel)
            splice(rel, str(entry(before_view, root, brief)), str(entry(after_view, root, brief)))
        _splice_row(text, pieces, slug, old[slug], after)
        splice("publications/search.json", search_json(old[slug]), search_json(after))
        full.add(slug)
        neighbours.update(index.order[j] for j in (i - 1, i + 1) if 0 <= j < len(index.order))
        feed = feed or (bool(config.base_url) and i < FEED_SIZE)
    for slug in sorted({*new, *rekeyed}):
        splice(
            "publications.bib",
            bib_entry(old.get(slug) or pub_of(slug), old_helpers, Fragments(), b""),
            bib_entry(pub_of(slug), helpers, Fragments(), b""),
        )
    if rekeyed:
        _splice_keys(text, pieces, [(position[slug], index.keys[slug], keys[slug]) for slug in rekeyed])
    for slug in rekeyed:
        full.add(slug)
        stem = f"publications/{slug}/"
        removed += [f"{stem}{index.keys[slug]}{suffix}" for suffix in (".bib", ".ris", ".json")]
        renamed[f"paper:{slug}"] = (
            f"{stem}index.html",
            *(f"{stem}{keys[slug]}{suffix}" for suffix in (".bib", ".ris", ".json")),
        )

    # the neighbours' pagers, which show the edited papers' titles
    pager = env.get_template("_pager.html")

    def pager_of(i: int, root: str, when: Mapping[str, Publication]) -> str:
        """Return the pager of the paper at ``i`` in the site's order, with the edited papers ``when``."""
        shown: list[PaperView | None] = []
        for j in (i - 1, i + 1):
            if 0 <= j < len(index.order):
                other = index.order[j]
                shown.append(paper_view(when[other], directory, None) if other in when else view_of(other))
            else:
                shown.append(None)
        return pager.render(root=root, newer=shown[0], older=shown[1])

    for slug in sorted(neighbours - full):
        rel = f"publications/{slug}/index.html"
        root = root_for(rel)
        splice(rel, pager_of(position[slug], root, old), pager_of(position[slug], root, new))

    # whole pages: the edited papers' own and the rekeyed ones, the feed
    for slug in sorted(full):
        i = position[slug]
        newer = view_of(index.order[i - 1]) if i > 0 else None
        older = view_of(index.order[i + 1]) if i + 1 < len(index.order) else None
        related = [view_of(other) for other in related_now.get(slug, index.related[slug])]
        for rel, page in paper_page(
            site, env, view_of(slug, abstract=True), newer, older, related, helpers, Fragments(), b""
        ):
            _note_original(rel, read, originals)
            texts[rel] = page.encode("utf-8")
    if feed:
        newest = [view_of(slug) for slug in index.order[:FEED_SIZE]]
        for rel, page in feed_file(site, env, newest, helpers):
            _note_original(rel, read, originals)
            texts[rel] = page.encode("utf-8")

    for rel, spliced in pieces.pages(originals):
        texts.setdefault(rel, spliced)  # a page rendered whole needs none of its pieces
    write = {}
    for rel, data in texts.items():
        if data != originals.get(rel):
            write[rel] = data
    jobs: dict[str, tuple[str, ...] | None] = {job_of_output(rel): None for rel in [*write, *removed]}
    jobs.update(renamed)
    # which papers are told to be the same as another: found again when a title changed that
    duplicates = dict(index.duplicates)
    if any(same[slug] != index.same_paper[slug] for slug in new):
        # the warnings of the papers sharing an edited paper's old or new title and first author
        touched = {index.same_paper[slug] for slug in new} | {same[slug] for slug in new}
        group = sorted((file_of(slug), slug) for slug, key in same.items() if key in touched)
        for _, slug in group:
            duplicates.pop(slug, None)
        shown = ((slug, display_path(folder / name), same[slug]) for name, slug in group)
        duplicates.update(_duplicates(shown))
    tables: dict[str, dict[str, Any]] = {
        "files": {name: stats[name] for name in changed},
        "digests": {name: papers[name][2].digest for name in changed},
        "keys": {slug: keys[slug] for slug in rekeyed},
        "base_keys": {slug: base_keys[slug] for slug in new},
        "same_paper": {slug: same[slug] for slug in new},
        "duplicates": {
            slug: duplicates.get(slug)
            for slug in duplicates.keys() | index.duplicates.keys()
            if duplicates.get(slug) != index.duplicates.get(slug)
        },
    }
    if reshaped:
        tables["author_facts"] = {slug: facts_now[slug] for slug in reshaped}
        tables["related"] = related_now
        assert authorship is not None
        tables["shown"] = {
            a: (authorship.names[a], authorship.members[a]) if authorship.papers_now[a] else None
            for a in authorship.affected
        }
    warnings = sorted([*index.warnings, *duplicates.values()], key=lambda p: (p.path, p.line or 0))
    new_files = tuple(rel for rel in write if originals.get(rel) is None)
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


class _Pieces:
    """Replacements in pages, each of a span of the page as the last build left it."""

    def __init__(self) -> None:
        self._spans: dict[str, list[tuple[int, int, bytes]]] = {}

    def replace(self, rel: str, start: int, end: int, data: bytes) -> None:
        """Put ``data`` in place of ``page[start:end]`` of the page ``rel``."""
        self._spans.setdefault(rel, []).append((start, end, data))

    def pages(self, originals: Mapping[str, bytes | None]) -> Iterator[tuple[str, bytes]]:
        """Yield each page with its replacements, made in one copy; give up if two of them overlap."""
        for rel, spans in self._spans.items():
            original = originals[rel]
            assert original is not None  # spans are only found in pages that were read
            page = memoryview(original)  # its parts joined without copying them first
            parts: list[bytes | memoryview] = []
            at = 0
            for start, end, data in sorted(spans, key=lambda span: span[:2]):  # insertions first
                if start < at:
                    raise _GiveUp  # two pieces in one place: not a page a full build would make
                parts += [page[at:start], data]
                at = end
            parts.append(page[at:])
            yield rel, b"".join(parts)


def _only(page: bytes, piece: bytes) -> int:
    """Return where ``piece`` is in ``page``; give up unless it is there once (one pass over the page)."""
    start = page.find(piece)
    if start < 0 or page.find(piece, start + 1) >= 0:
        raise _GiveUp  # not as the last build wrote it
    return start


def _note_original(rel: str, read: Callable[[str], bytes | None], originals: dict[str, bytes | None]) -> None:
    """Note a file's bytes as the last build left them, once (None when the last build had none)."""
    if rel not in originals:
        originals[rel] = read(rel)


ROW_WINDOW = 1 << 16  # bytes in which a paper's row of the filter index is looked for


def _splice_row(
    text: Callable[[str], bytes],
    pieces: _Pieces,
    slug: str,
    before: Publication,
    after: Publication,
) -> None:
    """Replace a paper's row of the filter index inlined in the publications page."""
    from .facets import row_with_text
    from .render import script_json

    rel = "publications/index.html"
    page = text(rel)
    start = _only(page, ("[" + json.dumps(slug, ensure_ascii=False) + ",").encode("utf-8"))
    window = page[start : start + ROW_WINDOW].decode("utf-8", errors="ignore")
    try:
        row, end = json.JSONDecoder().raw_decode(window)
    except ValueError:
        raise _GiveUp from None
    old_text = window[:end].encode("utf-8")
    if (
        not isinstance(row, list)
        or row_with_text(row, before) != row
        or old_text != script_json(row).encode()
    ):
        raise _GiveUp
    new_text = script_json(row_with_text(row, after)).encode("utf-8")
    if new_text != old_text:
        pieces.replace(rel, start, start + len(old_text), new_text)


def _splice_keys(text: Callable[[str], bytes], pieces: _Pieces, changes: list[tuple[int, str, str]]) -> None:
    """Change papers' citation keys (at their positions, from what to what) in the filter index."""
    rel = "publications/index.html"
    page = text(rel)
    opening = b'"keys":['
    start = _only(page, opening) + len(opening)
    end = page.index(b"]", start)
    keys = page[start:end].split(b",")  # citation keys are letters and digits only
    for i, before, after in changes:
        if i >= len(keys) or keys[i] != json.dumps(before).encode():
            raise _GiveUp
        keys[i] = json.dumps(after).encode()
    pieces.replace(rel, start, end, b",".join(keys))


WHOLE_AUTHOR_PAGES = 64  # papers of an author whose page a quick rebuild renders whole (it reads each)
MOST_RELATED_PAGES = 32  # papers whose related ones a quick rebuild finds changed (each rendered whole)


def author_facts(pub: Publication, directory: Directory) -> tuple[Fact, ...]:
    """Return a paper's authors as :func:`~site_builder.render.author_pages` groups them."""
    from .facets import author_slug

    resolve = directory.resolve
    return tuple((author_slug(resolve(n)), directory.is_member(n), resolve(n)) for n in pub.authors)


def who_wrote(pub: Publication) -> tuple[object, ...]:
    """Return :func:`shape` but for who wrote the paper: what a quick rebuild needs unchanged."""
    return (pub.slug, pub.source, pub.date, pub.category, pub.has_code, pub.venue, pub.tags, pub.selected)


class _Shown:
    """Names or memberships shown, by page slug: as an edit left them, else as the index has them."""

    def __init__(self, own: Mapping[str, Any], index: Mapping[str, tuple[str, bool]], part: int) -> None:
        self._own, self._index, self._part = own, index, part

    def __getitem__(self, slug: str) -> Any:
        return self._own[slug] if slug in self._own else self._index[slug][self._part]


class _Authorship:
    """Who wrote which papers, for the authors of the papers of an edit to who wrote a few, before and after.

    As :func:`~site_builder.render.author_pages` groups them: an author's papers in the
    site's order, the name shown that of their first paper, the membership that of their
    last. Every other author is shown as the index has it (:attr:`PatchIndex.shown`).
    """

    def __init__(self, index: PatchIndex, now: Mapping[str, tuple[Fact, ...]]) -> None:
        order = self.order = index.order
        before = self.before = index.author_facts
        self.now, self.index = now, index.shown
        edited = {order.index(slug): slug for slug in now}
        self.affected = sorted({fact[0] for slug in now for fact in (*before[slug], *now[slug])})
        self.papers_before = self.positions(self.affected, after=False)
        self.papers_now: dict[str, list[int]] = {}
        for author in self.affected:
            kept = [i for i in self.papers_before[author] if i not in edited]
            gained = [i for i, slug in edited.items() if any(fact[0] == author for fact in now[slug])]
            self.papers_now[author] = sorted({*kept, *gained})
        own: list[tuple[dict[str, str], dict[str, bool]]] = []
        for after, papers in ((False, self.papers_before), (True, self.papers_now)):
            names, members = {}, {}
            for author, positions in papers.items():
                if positions:
                    first, last = self.facts(positions[0], after), self.facts(positions[-1], after)
                    names[author] = next(name for slug, _, name in first if slug == author)
                    members[author] = [member for slug, member, _ in last if slug == author][-1]
            own.append((names, members))
        (names_before, members_before), (self.names, self.members) = own
        for author in self.affected:  # as the index has them: else it is not the output's
            if self.papers_before[author] and index.shown.get(author) != (
                names_before[author],
                members_before[author],
            ):
                raise _GiveUp
        self.total_before = len(index.shown)
        self.total = self.total_before + sum(
            bool(self.papers_now[a]) - bool(self.papers_before[a]) for a in self.affected
        )

    def positions(self, authors: Iterable[str], after: bool = True) -> dict[str, list[int]]:
        """Return the papers of some authors (positions in the site's order), after the edit or before it."""
        papers: dict[str, list[int]] = {author: [] for author in authors}
        for i, slug in enumerate(self.order):
            for fact in self.facts(i, after) if slug in self.now else self.before[slug]:
                bucket = papers.get(fact[0])
                if bucket is not None and (not bucket or bucket[-1] != i):
                    bucket.append(i)
        return papers

    def facts(self, i: int, after: bool = True) -> tuple[Fact, ...]:
        """Return the authors of the paper at ``i`` in the site's order, after the edit or before it."""
        slug = self.order[i]
        facts = self.now.get(slug) if after else None
        return self.before[slug] if facts is None else facts

    def name(self, author: str, after: bool = True) -> str:
        """Return the name an author is shown by, after the edit or before it."""
        return str(self.names[author] if after and author in self.names else self.index[author][0])

    def member(self, author: str, after: bool = True) -> bool:
        """Return whether an author is shown as a lab member, after the edit or before it."""
        return bool(self.members[author] if after and author in self.members else self.index[author][1])

    def coauthors(self, author: str, after: bool = True) -> Coauthors:
        """Return an author's co-authors, after the edit or before it."""
        from .render import author_coauthors

        papers = self.papers_now[author] if after else self.papers_before[author]
        slugs_of = {i: {fact[0] for fact in self.facts(i, after)} for i in papers}
        own_names: Mapping[str, str] = self.names if after else {}
        own_members: Mapping[str, bool] = self.members if after else {}
        names, members = _Shown(own_names, self.index, 0), _Shown(own_members, self.index, 1)
        return author_coauthors(author, papers, slugs_of, names, members)  # type: ignore[arg-type]

    def shown_as_before(self, author: str) -> bool:
        """Return whether an author who had and has papers is shown as before (name, membership)."""
        return self.index[author] == (self.names[author], self.members[author])


def _related_now(
    index: PatchIndex, authorship: _Authorship, reshaped: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Return the related papers that changed, by slug, after the edit to who wrote the papers ``reshaped``.

    As :func:`~site_builder.render.related_papers` updates them: the papers of each author
    a paper gained or lost find theirs again, from the lists of papers by author, tag and
    category that their rows read (made for those only).
    """
    from .render import RelatedIndex

    order = index.order
    affected = {order.index(slug) for slug in reshaped}
    for slug in reshaped:
        gained_or_lost = {fact[0] for fact in index.author_facts[slug]} ^ {
            fact[0] for fact in authorship.now[slug]
        }
        for author in gained_or_lost:
            affected.update(authorship.papers_now[author])
    shape = {
        i: (order[i], [fact[0] for fact in authorship.facts(i)], *index.facets[order[i]]) for i in affected
    }
    by_author = authorship.positions({author for facts in shape.values() for author in facts[1]})
    tags = {tag for facts in shape.values() for tag in facts[2]}
    categories = {facts[3] for facts in shape.values() if facts[3]}
    by_tag: dict[str, list[int]] = {tag: [] for tag in tags}
    by_category: dict[str, list[int]] = {category: [] for category in categories}
    for i, slug in enumerate(order):
        paper_tags, category = index.facets[slug]
        for tag in set(paper_tags) & tags if paper_tags else ():
            by_tag[tag].append(i)
        if category in by_category:
            by_category[category].append(i)
    related = RelatedIndex.partial(shape, by_author, by_tag, by_category)
    changed = {}
    for i in sorted(affected):
        row = tuple(order[j] for j in related.row(i))
        if row != index.related[order[i]]:
            changed[order[i]] = row
            if len(changed) > MOST_RELATED_PAGES:
                raise _GiveUp
    return changed


_AUTHOR_PART = ("authors", "author_slugs", "members", "paper_authors")  # of the filter index, in order


def _renumber_authors(
    text: Callable[[str], bytes],
    pieces: _Pieces,
    env: jinja2.Environment,
    order: Sequence[str],
    edited: Mapping[str, tuple[str, ...]],
    members: Sequence[str],
    directory: Directory,
) -> None:
    """Write the authors' part of the filter index inlined in the publications page again.

    Authors are numbered in the order of the author facet (by their count of papers), so one
    paper's new author may number every paper's authors anew; the page's author checkboxes
    change with the counts. ``edited``: slug → the paper's authors now, resolved (distinct).
    The order is the last one with the authors whose count changed put in their new places.
    """
    from .facets import author_options, author_order_key, author_slug
    from .render import script_json

    rel = "publications/index.html"
    page = text(rel)
    start = _only(page, b'"authors":[')
    end = _only(page, b',"complete":')
    try:
        index = json.loads(b"{" + page[start:end] + b"}")
        names: list[str] = index["authors"]
        slugs: list[str] = index["author_slugs"]
        paper_authors: list[list[int]] = index["paper_authors"]
        counts = [0] * len(names)
        for numbers in paper_authors:
            for a in numbers:
                counts[a] += 1
        was_member = {names[a] for a in index["members"]}
    except (ValueError, KeyError, TypeError, IndexError):
        raise _GiveUp from None
    if len(paper_authors) != len(order) or list(index) != list(_AUTHOR_PART) or len(slugs) != len(names):
        raise _GiveUp
    facet = env.get_template("_author_facet.html")
    options, more = author_options(index, counts)
    facet_before = facet.render(facets={"authors": options, "more_authors": more})
    by_name = dict(zip(names, counts, strict=True))
    position = {slug: order.index(slug) for slug in edited}
    shown = set()  # the names on the edited papers, before and after
    for slug, now in edited.items():
        for a in paper_authors[position[slug]]:
            by_name[names[a]] -= 1
            shown.add(names[a])
        for name in now:
            by_name[name] = by_name.get(name, 0) + 1
            shown.add(name)
    key = author_order_key(by_name, members, directory)
    old_count = dict(zip(names, counts, strict=True))
    recounted = {name for name in shown if by_name[name] != old_count.get(name)}
    values = [name for name in names if name not in recounted]  # in order: their keys are as they were
    for name in sorted((name for name in recounted if by_name[name]), key=key):
        values.insert(bisect.bisect_left(values, key(name), key=key), name)
    where = {name: i for i, name in enumerate(values)}
    for name in shown:  # names folded alike tie: the order a full sort gives them is not known here
        i = where.get(name)
        near = values[max(0, i - 1) : i] + values[i + 1 : i + 2] if i is not None else []
        if any(key(other) == key(name) for other in near):
            raise _GiveUp
    renumber = [where.get(name, -1) for name in names]
    paper_authors = [[renumber[a] for a in numbers] for numbers in paper_authors]
    for slug, now in edited.items():
        paper_authors[position[slug]] = [where[name] for name in now]
    slug_of = dict(zip(names, slugs, strict=True))
    index = {
        "authors": values,
        "author_slugs": [slug_of.get(name) or author_slug(name) for name in values],
        "members": [
            i
            for i, name in enumerate(values)
            if (name in was_member if name in slug_of else directory.is_member(name))
        ],
        "paper_authors": paper_authors,
    }
    options, more = author_options(index, [by_name[name] for name in values])
    facet_after = facet.render(facets={"authors": options, "more_authors": more})
    pieces.replace(rel, start, end, script_json(index)[1:-1].encode("utf-8"))
    at = _only(page, facet_before.encode("utf-8"))
    pieces.replace(rel, at, at + len(facet_before.encode("utf-8")), facet_after.encode("utf-8"))


class _Counted(Sequence[Any]):
    """Some items of a list, with the length of the whole list: what a template shows of a long list."""

    def __init__(self, items: Sequence[Any], length: int) -> None:
        self._items, self._length = items, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: Any) -> Any:
        return self._items[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


def _splice_author_index(
    text: Callable[[str], bytes],
    splice: Callable[[str, str, str], None],
    pieces: _Pieces,
    site: Site,
    env: jinja2.Environment,
    authorship: _Authorship,
    changed: Sequence[str],
) -> None:
    """Put the lines of the authors ``changed`` (their paper counts) in the author index, and its count.

    The lines are rendered by the index's template, given just them but the number of all
    authors; a new author's line goes where the index's order puts it among the lines there.
    """
    from .render import AuthorEntry, author_entry_key, authors_index_file

    rel = "authors/index.html"
    page = text(rel)
    papers = authorship.papers_before
    before = [
        AuthorEntry(authorship.name(a, after=False), a, authorship.member(a, after=False), len(papers[a]))
        for a in changed
        if papers[a]
    ]
    after = [
        AuthorEntry(authorship.names[a], a, authorship.members[a], len(authorship.papers_now[a]))
        for a in changed
        if authorship.papers_now[a]
    ]
    marker = '<ul class="author-index">\n'
    parts = []
    for entries, total in ((before, authorship.total_before), (after, authorship.total)):
        html = authors_index_file(site, env, _Counted(entries, total))[1]
        head, found, rest = html.partition(marker)
        if not found:
            raise _GiveUp
        parts.append((head + marker, rest[: rest.find("</ul>")].splitlines(keepends=True)))
    (head_before, lines_before), (head_after, lines_after) = parts
    if len(lines_before) != len(before) or len(lines_after) != len(after):
        raise _GiveUp
    splice(rel, head_before, head_after)
    now = dict(zip((e.slug for e in after), lines_after, strict=True))
    for entry, line in zip(before, lines_before, strict=True):
        splice(rel, line, now.pop(entry.slug, ""))
    if now:  # new authors: each before the first line that comes after it
        start = _only(page, marker.encode()) + len(marker)
        lines = page[start : page.index(b"</ul>", start)].splitlines(keepends=True)

        def key(line: bytes) -> tuple[bool, str, str]:
            slug = line[line.index(b'href="') + 6 : line.index(b'/"')].decode("utf-8")
            return author_entry_key(
                authorship.name(slug, after=False), slug, authorship.member(slug, after=False)
            )

        for entry in sorted(after, key=lambda e: author_entry_key(e.name, e.slug, e.member)):  # in order
            if entry.slug in now:
                k = bisect.bisect_left(lines, author_entry_key(entry.name, entry.slug, entry.member), key=key)
                at = _only(page, lines[k]) if k < len(lines) else start + sum(map(len, lines))
                pieces.replace(rel, at, at, now[entry.slug].encode("utf-8"))


def _splice_sitemap(
    text: Callable[[str], bytes],
    pieces: _Pieces,
    env: jinja2.Environment,
    base_url: str,
    before: Sequence[str],
    kept: Sequence[str],
    added: Sequence[str],
    gone: Sequence[str],
) -> None:
    """Add and remove authors' pages in the sitemap, which lists them by slug, without dates.

    ``before`` are the paths listed before the authors' pages (the site's and the lab's);
    ``kept``, ``added`` and ``gone`` are author slugs: with pages before and after the edit
    (sorted), with a page only after, with a page only before.
    """
    rel = "sitemap.xml"
    page = text(rel)
    template = env.get_template("sitemap.xml")
    empty = template.render(base=base_url, pages=[], dates={})

    def block(path: str) -> bytes:
        """Return a page's lines in the sitemap: what the sitemap of it alone adds to an empty one."""
        one = template.render(base=base_url, pages=[path], dates={})
        head = next((i for i, (a, b) in enumerate(zip(empty, one, strict=False)) if a != b), len(empty))
        return one[head : head + len(one) - len(empty)].encode("utf-8")

    def find(path: str) -> tuple[int, int]:
        piece = block(path)
        at = _only(page, piece)
        return at, at + len(piece)

    for slug in gone:
        pieces.replace(rel, *find(f"authors/{slug}/"), b"")
    for slug in sorted(added):
        k = bisect.bisect_left(kept, slug)
        _, at = find(f"authors/{kept[k - 1]}/" if k else before[-1])
        pieces.replace(rel, at, at, block(f"authors/{slug}/"))
