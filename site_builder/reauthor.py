"""Quick rebuilds after an edit to who wrote a few papers: the part of :mod:`.patch` about authors.

A new author, or one gone, changes more than the paper's pieces: the pages of its authors
(their papers and co-authors; a new author's page is made, an author left without papers
loses theirs), the author index and the sitemap, the filter index (authors are numbered
in the order of the author facet, by their count of papers) and the related papers of the
papers sharing an author gained or lost (after an edit to a paper's tags, :func:`reauthor`
finds again those of the papers sharing a tag gained or lost too). :func:`reauthor` does each as a full build
would, from what the index keeps of every paper (its authors as the pages group them, its
tags and category) and of every author (how they are shown). A page too long to render
(its papers would all be read) takes the papers gained or lost in place. When it cannot
be sure (a name shown otherwise, an author of the people page gaining or losing a page,
too many related lists to render) it gives up, and the build goes the usual way.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .patch import LIST_PAGE, GiveUp, Page, PatchIndex, Pieces, find_once, index_of

if TYPE_CHECKING:
    import datetime as dt

    import jinja2

    from .model import Publication, Site
    from .people import Directory, Person
    from .render import AuthorFact as Fact
    from .render import Coauthors, PaperView

WHOLE_AUTHOR_PAGES = 64  # papers of an author whose page a quick rebuild renders whole; longer: edited
MOST_RELATED_PAGES = 32  # papers whose related ones a quick rebuild finds changed (each rendered whole)
SITEMAP = "sitemap.xml"


def author_facts(pub: Publication, directory: Directory) -> tuple[Fact, ...]:
    """Return a paper's authors as :func:`~site_builder.render.author_pages` groups them."""
    from . import render

    return render.author_facts(render.paper_view(pub, directory, None), directory.resolve)


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
        edited = self.edited = {order.index(slug): slug for slug in now}
        self._shared: dict[str, Counter[str]] = {}  # author → papers shared with each co-author, before
        self._in_order: list[tuple[Fact, ...]] | None = None  # see positions
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
                raise GiveUp
        self.total_before = len(index.shown)
        self.total = self.total_before + sum(
            bool(self.papers_now[a]) - bool(self.papers_before[a]) for a in self.affected
        )

    def positions(self, authors: Iterable[str], after: bool = True) -> dict[str, list[int]]:
        """Return the papers of some authors (positions in the site's order), after the edit or before it."""
        papers: dict[str, list[int]] = {author: [] for author in authors}
        if not papers:
            return papers
        if self._in_order is None:  # every paper's authors before the edit, in the site's order
            self._in_order = [self.before[slug] for slug in self.order]
        edited = self.edited if after else {}
        wanted = papers.keys()
        for i, facts in enumerate(self._in_order):
            if i in edited:
                facts = self.now[edited[i]]
            for fact in facts:
                if fact[0] in wanted:
                    bucket = papers[fact[0]]
                    if not bucket or bucket[-1] != i:
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
        """Return an author's co-authors, after the edit or before it.

        An author with the same papers before and after shares with each co-author what
        they shared before, less the edited papers' authors before, plus those after.
        """
        from .render import coauthors_of_counts

        def shared(papers: Iterable[int], when: bool) -> Counter[str]:
            return Counter(
                itertools.chain.from_iterable({fact[0] for fact in self.facts(i, when)} for i in papers)
            )

        before = self._shared.get(author)
        if before is None:
            before = self._shared[author] = shared(self.papers_before[author], False)
        if not after:
            counts = before.copy()
        elif self.papers_now[author] == self.papers_before[author]:
            counts = before.copy()
            for i in self.papers_now[author]:
                if i in self.edited:
                    counts.subtract({fact[0] for fact in self.facts(i, False)})
                    counts.update({fact[0] for fact in self.facts(i, True)})
            counts = +counts  # without those no longer shared
        else:
            counts = shared(self.papers_now[author], True)
        own_names: Mapping[str, str] = self.names if after else {}
        own_members: Mapping[str, bool] = self.members if after else {}
        names, members = _Shown(own_names, self.index, 0), _Shown(own_members, self.index, 1)
        return coauthors_of_counts(author, counts, names, members)  # type: ignore[arg-type]

    def shown_as_before(self, author: str) -> bool:
        """Return whether an author who had and has papers is shown as before (name, membership)."""
        return self.index[author] == (self.names[author], self.members[author])


def _related_now(
    index: PatchIndex,
    authorship: _Authorship,
    reshaped: Sequence[str],
    refaceted: Mapping[str, tuple[tuple[str, ...], str | None]],
    redated: Mapping[str, int],
) -> dict[str, tuple[str, ...]]:
    """Return the related papers that changed, by slug, after papers' authors, tags, category or day changed.

    As :func:`~site_builder.render.related_papers` updates them: the papers that may read
    an edited paper find theirs again, from the lists of papers by author, tag and category
    that their rows read. Those are the papers near it (``render.list_readers`` and
    ``category_readers``) in the list of each author it gained or lost (``reshaped``: the
    papers whose authors changed) and of each tag it gained or lost (``refaceted``: slug →
    the paper's tags and category now); when its category or its day (``redated``: slug →
    its day now, in its place) changed, in every list it is in, and near it in its categories.
    """
    from .render import RelatedIndex, category_readers, list_readers

    order = index.order
    position = {slug: order.index(slug) for slug in (*reshaped, *refaceted, *redated)}
    affected = set(position.values())
    for slug in reshaped:
        before = {fact[0] for fact in index.author_facts[slug]}
        now = {fact[0] for fact in authorship.now[slug]}
        for author in now - before:
            affected.update(list_readers(authorship.papers_now[author], position[slug]))
        for author in before - now:
            affected.update(list_readers(authorship.papers_before[author], position[slug]))
    by_tag: dict[str, list[int]] = {}
    by_category: dict[str, list[int]] = {}
    facets = [index.facets[slug] for slug in order]
    for slug, edited in refaceted.items():
        facets[position[slug]] = edited
    for i, (paper_tags, category) in enumerate(facets):
        for tag in paper_tags:
            tagged = by_tag.get(tag)
            if tagged is None:
                by_tag[tag] = [i]
            elif tagged[-1] != i:  # a tag twice on one paper lists it once
                tagged.append(i)
        if category:
            by_category.setdefault(category, []).append(i)

    def before_edit(papers: Sequence[int], i: int) -> list[int]:
        """Return a list of papers with ``i`` put back in."""
        with_it = list(papers)
        bisect.insort(with_it, i)
        return with_it

    moved = []  # papers whose category changed
    for slug, (tags, category) in refaceted.items():
        i = position[slug]
        before_tags, before_category = index.facets[slug]
        for tag in set(tags) - set(before_tags):
            affected.update(list_readers(by_tag[tag], i))
        for tag in set(before_tags) - set(tags):
            affected.update(list_readers(before_edit(by_tag.get(tag, ()), i), i))
        if category != before_category:
            moved.append(slug)
            for tag in set(tags) & set(before_tags):
                affected.update(list_readers(by_tag[tag], i))
            for papers in (
                by_category.get(category, []) if category else [],
                before_edit(by_category.get(before_category, ()), i) if before_category else [],
            ):
                affected.update(category_readers(papers, i))
    for slug in redated:  # its day: the ties of the papers near it in each of its lists
        i = position[slug]
        tags, category = refaceted.get(slug) or index.facets[slug]
        for tag in set(tags):
            affected.update(list_readers(by_tag[tag], i))
        if category:
            affected.update(category_readers(by_category[category], i))
    spread = [*moved, *(slug for slug in redated if slug not in moved)]  # in every list
    if spread:  # the lists of their authors, before and after
        authors = {
            fact[0]
            for slug in spread
            for fact in (*index.author_facts[slug], *authorship.facts(position[slug]))
        }
        for after in (True, False):
            for papers in authorship.positions(authors, after).values():
                affected.update(
                    paper
                    for slug in spread
                    if position[slug] in papers
                    for paper in list_readers(papers, position[slug])
                )
    days = [index.days[slug] for slug in order]
    for slug, day in redated.items():
        days[position[slug]] = day
    shape = {
        i: (
            order[i],
            [fact[0] for fact in authorship.facts(i)],
            *(refaceted.get(order[i]) or index.facets[order[i]]),
            days[i],
        )
        for i in affected
    }
    by_author = authorship.positions({author for facts in shape.values() for author in facts[1]})
    related = RelatedIndex.partial(shape, by_author, by_tag, by_category, days)
    changed = {}
    for i in sorted(affected):
        row = tuple(order[j] for j in related.row(i))
        if row != index.related[order[i]]:
            changed[order[i]] = row
            if len(changed) > MOST_RELATED_PAGES:
                raise GiveUp
    return changed


_AUTHOR_PART = ("authors", "author_slugs", "members")  # of the filter index, then the papers' authors
_FLAT = b',"author_counts":['  # how many authors each paper has, then their numbers in one list


def _renumber_authors(
    text: Callable[[str], Page],
    pieces: Pieces,
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
    The order is the last one with the authors whose count changed put in their new places;
    the papers' authors, one flat list of numbers, are numbered anew as text (no JSON).
    """
    from .facets import author_options, author_order_key, author_slug
    from .render import script_json

    rel = LIST_PAGE
    page = text(rel)
    script = page.rfind(b'<script type="application/json" id="pub-index">')  # near the end of the page
    if script < 0:
        raise GiveUp
    start = find_once(page, b'"authors":[', script)
    end = find_once(page, b',"complete":', script)
    part = page[start:end]
    try:
        head = part.index(_FLAT)
        index = json.loads(b"{" + part[:head] + b"}")
        names: list[str] = index["authors"]
        slugs: list[str] = index["author_slugs"]
        was_member = {names[a] for a in index["members"]}
        counts_end = part.index(b"]", head)
        per_paper: list[int] = json.loads(part[head + len(_FLAT) - 1 : counts_end + 1])
        flat_start = part.index(b',"paper_authors":[', counts_end) + len(b',"paper_authors":[')
    except (ValueError, KeyError, TypeError, IndexError):
        raise GiveUp from None
    tokens = part[flat_start:-1].split(b",") if len(part) - 1 > flat_start else []
    if (
        list(index) != list(_AUTHOR_PART)
        or len(slugs) != len(names)
        or len(per_paper) != len(order)
        or sum(per_paper) != len(tokens)
        or not part.endswith(b"]")
    ):
        raise GiveUp
    numbers = list(map(str.encode, map(str, range(len(names)))))
    tally = Counter(tokens)
    counts = [tally.pop(number, 0) for number in numbers]
    if tally:
        raise GiveUp  # a number that names no author
    offsets = list(itertools.accumulate(per_paper, initial=0))
    position = {slug: order.index(slug) for slug in edited}
    by_name = dict(zip(names, counts, strict=True))
    shown = set()  # the names on the edited papers, before and after
    for slug, now in edited.items():
        i = position[slug]
        for token in tokens[offsets[i] : offsets[i + 1]]:
            by_name[names[int(token)]] -= 1
            shown.add(names[int(token)])
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
        k = where.get(name)
        near = values[max(0, k - 1) : k] + values[k + 1 : k + 2] if k is not None else []
        if any(key(other) == key(name) for other in near):
            raise GiveUp
    renumbered = map(str.encode, map(str, map(where.get, names, itertools.repeat(-1))))
    renumber = dict(zip(numbers, renumbered, strict=True))
    tokens = list(map(renumber.__getitem__, tokens))
    for slug in sorted(edited, key=position.__getitem__, reverse=True):  # later papers first: offsets hold
        i = position[slug]
        tokens[offsets[i] : offsets[i + 1]] = [str(where[name]).encode() for name in edited[slug]]
        per_paper[i] = len(edited[slug])
    slug_of = dict(zip(names, slugs, strict=True))
    index = {
        "authors": values,
        "author_slugs": [slug_of.get(name) or author_slug(name) for name in values],
        "members": [
            i
            for i, name in enumerate(values)
            if (name in was_member if name in slug_of else directory.is_member(name))
        ],
    }
    options, more = author_options(index, [by_name[name] for name in values])
    facet = env.get_template("_author_facet.html").render(facets={"authors": options, "more_authors": more})
    written = b"".join(
        [
            script_json(index)[1:-1].encode("utf-8"),
            _FLAT[:-1],
            script_json(per_paper).encode("utf-8"),
            b',"paper_authors":[',
            b",".join(tokens),
            b"]",
        ]
    )
    pieces.replace(rel, start, end, written)
    # the author facet: its checkboxes (and counts) as the template renders them, in place of the last ones
    opening, closing = b'      <fieldset class="facet" id="facet-author">', b"      </fieldset>\n"
    new = facet.encode("utf-8")
    if not new.startswith(opening) or not new.endswith(closing):
        raise GiveUp
    at = find_once(page, opening, 0, script)
    pieces.replace(rel, at, index_of(page, closing, at) + len(closing), new)


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
    text: Callable[[str], Page],
    splice: Callable[[str, str, str], None],
    pieces: Pieces,
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
            raise GiveUp
        parts.append((head + marker, rest[: rest.find("</ul>")].splitlines(keepends=True)))
    (head_before, lines_before), (head_after, lines_after) = parts
    if len(lines_before) != len(before) or len(lines_after) != len(after):
        raise GiveUp
    splice(rel, head_before, head_after)
    now = dict(zip((e.slug for e in after), lines_after, strict=True))
    for entry, line in zip(before, lines_before, strict=True):
        splice(rel, line, now.pop(entry.slug, ""))
    if now:  # new authors: each before the first line that comes after it
        start = find_once(page, marker.encode()) + len(marker)
        lines = page[start : index_of(page, b"</ul>", start)].splitlines(keepends=True)

        def key(line: bytes) -> tuple[bool, str, str]:
            slug = line[line.index(b'href="') + 6 : line.index(b'/"')].decode("utf-8")
            return author_entry_key(
                authorship.name(slug, after=False), slug, authorship.member(slug, after=False)
            )

        for entry in sorted(after, key=lambda e: author_entry_key(e.name, e.slug, e.member)):  # in order
            if entry.slug in now:
                k = bisect.bisect_left(lines, author_entry_key(entry.name, entry.slug, entry.member), key=key)
                at = find_once(page, lines[k]) if k < len(lines) else start + sum(map(len, lines))
                pieces.replace(rel, at, at, now[entry.slug].encode("utf-8"))


def _splice_sitemap(
    text: Callable[[str], Page],
    pieces: Pieces,
    env: jinja2.Environment,
    base_url: str,
    before: Sequence[str],
    kept: Sequence[str],
    added: Sequence[str],
    gone: Sequence[str],
    papers: int,
) -> None:
    """Add and remove authors' pages in the sitemap, which lists them by slug, without dates.

    ``before`` are the paths listed before the authors' pages (the site's and the lab's);
    ``kept``, ``added`` and ``gone`` are author slugs: with pages before and after the edit
    (sorted), with a page only after, with a page only before; ``papers`` the papers' pages.
    A site with more pages than one sitemap lists has them in files
    (:func:`~site_builder.render.sitemap_file`): each page is put in or taken out of its
    own, which must be there before and after, and hold no more than one may.
    """
    from .render import SITEMAP_LIMIT

    listed = len(before) + len(kept) + papers
    if (listed + len(gone) > SITEMAP_LIMIT) != (listed + len(added) > SITEMAP_LIMIT):
        raise GiveUp  # one sitemap file becomes an index of them, or the other way round
    file_of = _sitemap_file_of(text)
    block = _sitemap_block(env, base_url)
    change: Counter[str] = Counter()  # pages each file gains

    def find(path: str) -> tuple[int, int]:
        piece = block(path, None)
        at = find_once(text(file_of(path)), piece)
        return at, at + len(piece)

    for slug in gone:
        path = f"authors/{slug}/"
        pieces.replace(file_of(path), *find(path), b"")
        change[file_of(path)] -= 1
    for slug in sorted(added):
        path = f"authors/{slug}/"
        rel = file_of(path)
        k = bisect.bisect_left(kept, slug)
        anchor = f"authors/{kept[k - 1]}/" if k else before[-1]
        if file_of(anchor) == rel:
            _, at = find(anchor)
        else:  # the first in its file
            page = text(rel)
            at = index_of(page, b">\n", index_of(page, b"<urlset")) + 2
        pieces.replace(rel, at, at, block(path, None))
        change[rel] += 1
    for rel, gained in change.items():
        if rel != SITEMAP:  # a file of the sitemap index
            count = bytes(text(rel)).count(b"<url>") + gained  # a file of the index: rare
            if not 0 < count <= SITEMAP_LIMIT:
                raise GiveUp  # a file that goes, or that would be cut in parts


def _sitemap_file_of(text: Callable[[str], Page]) -> Callable[[str], str]:
    """Return ``file_of(path)``: the file of the last build's sitemap that lists a page.

    ``sitemap.xml`` itself, unless it is an index of files (more pages than one file lists:
    :func:`~site_builder.render.sitemap_file`).
    """
    from .render import sitemap_file

    if b"<sitemapindex" in text(SITEMAP)[:256]:
        return sitemap_file
    return lambda path: SITEMAP


def splice_sitemap_dates(
    text: Callable[[str], Page],
    pieces: Pieces,
    env: jinja2.Environment,
    base_url: str,
    redated: Sequence[tuple[Publication, Publication]],
) -> None:
    """Give papers' pages their new dates in the sitemap (each paper before and after the edit)."""
    file_of = _sitemap_file_of(text)
    block = _sitemap_block(env, base_url)
    for before, after in redated:
        path = f"publications/{before.slug}/"
        rel = file_of(path)
        old = block(path, before.date)
        at = find_once(text(rel), old)
        pieces.replace(rel, at, at + len(old), block(path, after.date))


def _sitemap_block(env: jinja2.Environment, base_url: str) -> Callable[[str, dt.date | None], bytes]:
    """Return ``block(path, date)``: a page's lines in the sitemap (what they add to an empty one)."""
    template = env.get_template(SITEMAP)
    empty = template.render(base=base_url, pages=[], dates={})

    def block(path: str, date: dt.date | None) -> bytes:
        one = template.render(base=base_url, pages=[path], dates={path: date} if date else {})
        head = next((i for i, (a, b) in enumerate(zip(empty, one, strict=False)) if a != b), len(empty))
        return one[head : head + len(one) - len(empty)].encode("utf-8")

    return block


_MARK = "site-builder-mark"  # a year no page has: where a page's year sections start


def _long_author_page(
    site: Site,
    env: jinja2.Environment,
    authorship: _Authorship,
    author: str,
    page: str,
    person: Person | None,
    entry_of: Callable[[str, bool, str], str],
    year_of: Callable[[str], int],
    edited: Collection[str],
) -> str:
    """Return an author's long page with the papers they gained or lost put in, and its counts and co-authors.

    The page is its template's output without year sections (given the number of papers
    and the co-authors, before and after), around its year sections, which are edited:
    a gained paper's entry goes before the next of the author's papers of its year (in a
    section of its own when the year had none), a lost one's goes (with its section if it
    was the year's last), an edited paper's entry is replaced, and each year's count follows.
    ``entry_of(slug, before, root)`` is a paper's entry line as this page shows it, before the
    edit or after; ``year_of(slug)`` its year (asked of the edited papers and their next only).
    """
    from .render import AuthorPage, YearGroup, author_page_text, root_for, year_section

    order = authorship.order
    root = root_for(f"authors/{author}/index.html")

    def line_of(slug: str, before: bool) -> str:
        return entry_of(slug, before, root)

    had, has = authorship.papers_before[author], authorship.papers_now[author]

    def around(count: int, after: bool) -> tuple[str, str]:
        """Return the page before and after its year sections."""
        name, member = authorship.name(author, after), authorship.member(author, after)
        papers: Any = _Counted((), count)
        shown = AuthorPage(name, author, member, papers, authorship.coauthors(author, after), person)
        empty = author_page_text(site, env, shown, ())
        marked = author_page_text(site, env, shown, (YearGroup(_MARK, ()),))  # type: ignore[arg-type]
        at = marked.find(f'<section class="year" aria-labelledby="y{_MARK}">')
        if at < 0 or marked[:at] != empty[:at]:
            raise GiveUp
        return empty[:at], empty[at:]

    head, tail = around(len(had), after=False)
    if not page.startswith(head) or not page.endswith(tail) or len(page) < len(head) + len(tail):
        raise GiveUp
    years = page[len(head) : len(page) - len(tail)]

    def section(year: int, count: int) -> tuple[str, str]:
        """Return a year section's lines before and after its entries, for ``count`` papers."""
        papers: Any = _Counted((), count)
        text = year_section(env, YearGroup(year, papers), root, True)
        cut = text.index("  </ol>\n")
        return text[:cut], text[cut:]

    def opening(year: int) -> str:
        return f'<section class="year" aria-labelledby="y{year}">\n'

    def bounds(year: int) -> tuple[int, int] | None:
        start = years.find(opening(year))
        return None if start < 0 else (start, years.index("</section>\n", start) + len("</section>\n"))

    def count(year: int) -> int:
        start = years.index(opening(year))
        head_line = years[start : years.index("</h2>", start)]
        return int(head_line.rpartition('<span class="count">')[2].partition("<")[0])

    def recount(year: int, change: int) -> None:
        nonlocal years
        start = years.index(opening(year))
        n = count(year)
        old, new = section(year, n)[0], section(year, n + change)[0]
        if years[start : start + len(old)] != old:
            raise GiveUp
        years = years[:start] + new + years[start + len(old) :]

    def replace(old: str, new: str) -> None:
        nonlocal years
        at = years.find(old)
        if at < 0 or years.find(old, at + 1) >= 0:
            raise GiveUp
        years = years[:at] + new + years[at + len(old) :]

    kept, now = set(had), set(has)
    current = list(had)  # the author's papers in the years text, as it is edited
    for i in sorted(kept - now):  # lost
        slug, year = order[i], year_of(order[i])
        replace(line_of(slug, True), "")
        if count(year) > 1:
            recount(year, -1)
        else:
            found = bounds(year)
            if found is None or years[found[0] : found[1]] != "".join(section(year, 1)):
                raise GiveUp
            years = years[: found[0]] + years[found[1] :]
        current.remove(i)
    for i in sorted(now - kept, reverse=True):  # gained, the oldest first: the next one is in place
        slug, year = order[i], year_of(order[i])
        line = line_of(slug, False)
        found = bounds(year)
        if found is None:  # a section of its own, before the next older year's
            lines = "".join(section(year, 1)).replace("  </ol>\n", line + "  </ol>\n", 1)
            sections = [int(y) for y in re.findall(r'<section class="year" aria-labelledby="y(\d+)">', years)]
            older = next((y for y in sections if y < year), None)
            at = len(years) if older is None else years.index(opening(older))
            years = years[:at] + lines + years[at:]
        else:
            later = [j for j in current if j > i]
            if later and year_of(order[later[0]]) == year:
                j = later[0]
                follow = line_of(order[j], order[j] in edited and j in kept)  # edited: replaced below
                at = years.find(follow, found[0], found[1])
                if at < 0:
                    raise GiveUp
            else:
                at = years.rindex("  </ol>\n", found[0], found[1])
            years = years[:at] + line + years[at:]
            recount(year, +1)
        current = sorted([*current, i])
    for slug in edited:  # the entries of the others: their text, or who wrote them, changed
        i = order.index(slug)
        if i in kept and i in now:
            replace(line_of(slug, True), line_of(slug, False))
    if current != has:
        raise GiveUp
    head, tail = around(len(has), after=True)
    return head + years + tail


@dataclass(frozen=True, slots=True)
class Reauthored:
    """What an edit to who wrote papers changed besides the pages it put in place itself."""

    related: dict[str, tuple[str, ...]]  # slug → its related papers, where they changed (pages to render)
    not_spliced: set[str]  # authors whose pages were rendered whole or removed (no entries to splice)
    removed: list[str]  # output paths of authors' pages no longer made
    renamed: dict[str, tuple[str, ...]]  # jobs whose outputs changed (authors' pages made or gone)
    tables: dict[str, dict[str, Any]]  # changes to the tables of the index


def reauthor(
    index: PatchIndex,
    new: Mapping[str, Publication],
    site: Site,
    env: jinja2.Environment,
    directory: Directory,
    text: Callable[[str], Page],
    splice: Callable[[str, str, str], None],
    pieces: Pieces,
    put: Callable[[str, str], None],
    view_of: Callable[[str], PaperView],
    entry_of: Callable[[str, bool, str], str],
) -> Reauthored:
    """Put an edit to who wrote the papers ``new`` (slug → the paper now) into the pages besides their own.

    ``text(rel)`` is a page as the last build left it, ``splice(rel, before, after)`` puts
    a piece in place of one found there, ``pieces`` takes other replacements, ``put(rel,
    html)`` takes a page rendered whole, ``view_of(slug)`` gives a paper's brief view, and
    ``entry_of(slug, before, root)`` its entry line in a list of an author's page (whose
    links go up to the site by ``root``), before the edit or after.
    Raise :class:`~site_builder.patch.GiveUp` when a full build is the way.
    """
    from .facets import author_slug
    from .render import AuthorPage, author_page_file, lab_paths, member_names

    config = site.config
    facts_now = {slug: author_facts(pub, directory) for slug, pub in new.items()}
    reshaped = [slug for slug in new if facts_now[slug] != index.author_facts[slug]]
    refaceted = {
        slug: (pub.tags, pub.category)
        for slug, pub in new.items()
        if (pub.tags, pub.category) != index.facets[slug]
    }
    redated = {
        slug: day for slug, pub in new.items() if (day := pub.date.toordinal()) != index.days[slug]
    }  # a new day in its place (patch checked): ties between related papers go to the nearest in days
    done = Reauthored({}, set(), [], {}, {})
    if refaceted:
        done.tables["facets"] = refaceted
    if redated:
        done.tables["days"] = redated
    if not reshaped:
        if refaceted or redated:
            related_now = _related_now(index, _Authorship(index, {}), (), refaceted, redated)
            done.related.update(related_now)
            done.tables["related"] = related_now
        return done
    authorship = _Authorship(index, {slug: facts_now[slug] for slug in reshaped})
    whole: list[str] = []  # authors' pages rendered whole
    added: list[str] = []  # … of which new ones
    gone: list[str] = []  # authors' pages removed
    coauthor_lines: dict[str, tuple[str, str]] = {}  # author → their co-authors' lines, before and after
    related_now = _related_now(index, authorship, reshaped, refaceted, redated)
    people = {author_slug(person.name): person for person in site.people}
    template = env.get_template("_coauthors.html")
    for author in authorship.affected:
        had, has = authorship.papers_before[author], authorship.papers_now[author]
        if had and has and not authorship.shown_as_before(author):
            raise GiveUp  # the co-author lines on other authors' pages show the name
        if bool(had) != bool(has) and author in people:
            raise GiveUp  # the people page links to the author's page, or no longer does
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

    def year_of(slug: str) -> int:
        return view_of(slug).pub.date.year

    for author in whole:
        positions = authorship.papers_now[author]
        if len(positions) > WHOLE_AUTHOR_PAGES and authorship.papers_before[author]:
            # too long to render (its papers read): the papers gained or lost put in (a new page
            # has only edited papers, at most MOST_EDITED of them, and is rendered)
            rel = f"authors/{author}/index.html"
            page = str(text(rel), "utf-8")
            long_page = _long_author_page(
                site, env, authorship, author, page, people.get(author), entry_of, year_of, new
            )
            put(rel, long_page)
            continue
        author_page = AuthorPage(
            authorship.names[author],
            author,
            authorship.members[author],
            tuple(view_of(index.order[i]) for i in positions),
            authorship.coauthors(author),
            people.get(author),
        )
        for rel, html in author_page_file(site, env, author_page):
            put(rel, html)
    for author in added:
        done.renamed[f"author:{author}"] = (f"authors/{author}/index.html",)
    for author in gone:
        done.removed.append(f"authors/{author}/index.html")
        done.renamed[f"author:{author}"] = ()
    for author, (before_lines, after_lines) in coauthor_lines.items():
        splice(f"authors/{author}/index.html", before_lines, after_lines)
    if whole or gone:  # papers counted anew
        _splice_author_index(text, splice, pieces, site, env, authorship, [*whole, *gone])
    if (added or gone) and config.base_url:
        kept = sorted(index.shown.keys() - set(gone))
        listed = ["", "publications/", "authors/", *lab_paths(site)]
        _splice_sitemap(text, pieces, env, config.base_url, listed, kept, added, gone, len(index.order))
    resolved = {slug: tuple(dict.fromkeys(fact[2] for fact in facts_now[slug])) for slug in reshaped}
    _renumber_authors(text, pieces, env, index.order, resolved, member_names(site), directory)
    done.related.update(related_now)
    done.not_spliced.update([*whole, *gone])
    done.tables.update(
        author_facts={slug: facts_now[slug] for slug in reshaped},
        related=related_now,
        shown={a: None for a in gone} | {a: (authorship.names[a], authorship.members[a]) for a in added},
    )
    return done
