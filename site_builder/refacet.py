"""Quick rebuilds after an edit to papers' categories, venues, tags or code: the filters' part of patch.

The publications page carries the filter index (a row per paper, naming its category,
venue and tags by their numbers in the facets' vocabularies) and a checkbox per value with
its count of papers. An edit to a paper's facets changes its row and the counts of the
checkboxes it left and joined (and of "Has code" or "Selected"); a value new to the site gets a
checkbox in its place, and one no paper has any more loses it. Then the vocabulary is
numbered anew, and with it every row that names a value after the change. :func:`splice_rows` makes
those changes as text in the page as the last build wrote it, checking each piece it
reads, and gives up (:class:`~site_builder.patch.GiveUp`) when the page is not as a build
writes it. The related papers a tags or category edit changes are found by :mod:`.reauthor`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .facets import facet_order
from .patch import LIST_PAGE, GiveUp, Page, Pieces, find_once, index_of, last_index_of

if TYPE_CHECKING:
    import jinja2

    from .facets import FacetOption
    from .model import Publication

ROW_WINDOW = 1 << 16  # bytes in which a paper's row of the filter index is looked for


@dataclass(frozen=True, slots=True)
class _Facet:
    """A facet whose values an edit may add to the site or take from it."""

    name: str  # of its checkboxes, and of its fieldset (``facet-<name>``)
    key: bytes  # its vocabulary in the filter index …
    until: bytes  # … up to this
    group: int  # its numbers in a row (:data:`_ROW`): one, or a list (``many``)
    many: bool
    values: Callable[[Publication], tuple[str, ...]]  # a paper's
    order: Callable[[str], Any]  # the sort key of its vocabulary
    coded: bool = False  # its vocabulary is of [code, name] (categories), its checkboxes titled by the code

    def entry(self, value: str) -> Any:
        """Return a value as its vocabulary in the filter index has it."""
        from .categories import category_name

        return [value, category_name(value)] if self.coded else value

    def option(self, value: str, count: int) -> FacetOption:
        """Return a value's checkbox, with its count of papers."""
        from .categories import category_name
        from .facets import FacetOption

        if self.coded:
            return FacetOption(value, category_name(value), count, title=value)
        return FacetOption(value, value, count)


def _in_order(value: str) -> str:
    return value


_FACETS = (
    _Facet(
        "category",
        b'"categories":',
        b',"venues":[',
        2,
        False,
        lambda pub: (pub.category,) if pub.category else (),
        _in_order,
        coded=True,
    ),
    _Facet(
        "venue",
        b'"venues":',
        b',"tags":[',
        3,
        False,
        lambda pub: (pub.venue,) if pub.venue else (),
        facet_order,
    ),
    _Facet("tag", b'"tags":', b',"papers":[', 4, True, lambda pub: pub.tags, facet_order),
)

# A paper's row in the filter index: its slug (group 1), title and date (JSON strings: no
# quote unescaped), "et al.", the numbers of its category (2), venue (3) and tags (4), its
# flags and links (pairs of strings).
_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_LINK = rb"\[" + _STRING + rb"," + _STRING + rb"\]"
_ROW = re.compile(
    rb"\[(" + _STRING + rb")," + _STRING + rb',"[^"]*",[01],(-?\d+),(-?\d+),(\[(?:\d+(?:,\d+)*)?\]),\d+,'
    rb"\[(?:" + _LINK + rb"(?:," + _LINK + rb")*)?\]\]"
)


def splice_rows(
    text: Callable[[str], Page],
    pieces: Pieces,
    env: jinja2.Environment,
    edits: Mapping[str, tuple[Publication, Publication]],
    order: Sequence[str],
) -> None:
    """Replace the edited papers' rows of the filter index (slug → before, after), and facets they changed.

    ``text(rel)`` is a page as the last build left it, ``pieces`` takes the replacements,
    ``order`` is every paper's slug in the site's order (the rows').
    """
    from .render import script_json

    positions: dict[str, dict[str, int]] = {}  # facet → its values' numbers after the edit
    renumbered: list[tuple[_Facet, dict[bytes, bytes], dict[str, int]]] = []  # new numbers, old ones
    for facet in _FACETS:
        moves = [
            (facet.values(b), facet.values(a))
            for b, a in edits.values()
            if facet.values(b) != facet.values(a)
        ]
        if not moves:
            continue
        if any(len(set(values)) != len(values) for move in moves for values in move):
            raise GiveUp  # a tag twice on one paper counts twice: not worth the care
        page = text(LIST_PAGE)
        vocabulary, now = _facet_changes(page, pieces, env, facet, moves)
        position = positions[facet.name] = {value: i for i, value in enumerate(now)}
        if now != vocabulary:
            entries = [facet.entry(value) for value in vocabulary]
            _, (at, end) = _inline_array(page, facet.key, facet.until, entries)
            pieces.replace(
                LIST_PAGE, at, end, script_json([facet.entry(value) for value in now]).encode("utf-8")
            )
            numbers = {b"%d" % i: b"%d" % position.get(value, -1) for i, value in enumerate(vocabulary)}
            renumbered.append((facet, numbers, {value: i for i, value in enumerate(vocabulary)}))
    if renumbered:
        _renumber_rows(text(LIST_PAGE), pieces, edits, order, renumbered)
    for flag, field, label, least in _FLAGS:
        change = sum(getattr(after, field) - getattr(before, field) for before, after in edits.values())
        if change:
            _splice_flag_count(text(LIST_PAGE), pieces, env, flag, label, least, change)
    for slug, (before, after) in edits.items():
        numbers_now = {
            facet.name: [positions[facet.name][value] for value in facet.values(after)]
            for facet in _FACETS
            if facet.name in positions
        }
        _splice_row(text, pieces, slug, before, after, numbers_now)


def _facet_changes(
    page: Page,
    pieces: Pieces,
    env: jinja2.Environment,
    facet: _Facet,
    moves: list[tuple[tuple[str, ...], tuple[str, ...]]],
) -> tuple[list[str], list[str]]:
    """Put the facet's checkboxes as the papers' ``moves`` (values before, after) leave them.

    Return the facet's vocabulary before and after.
    """
    entries, _ = _inline_array(page, facet.key, facet.until)
    vocabulary = [entry[0] if facet.coded and isinstance(entry, list) else entry for entry in entries]
    if not vocabulary or vocabulary != sorted(vocabulary, key=facet.order):
        raise GiveUp
    if [facet.entry(value) for value in vocabulary] != entries:
        raise GiveUp
    chip = env.get_template("_chip.html").module.chip  # type: ignore[attr-defined]
    begin, end = _fieldset(page, facet.name)
    involved = sorted({value for move in moves for values in move for value in values}, key=facet.order)

    def box(value: str) -> Callable[[int], bytes]:
        return lambda count: str(chip(facet.name, facet.option(value, count))).encode()

    spans = {value: _chip_span(page, box(value), begin, end) for value in involved}
    counts = {value: span[2] if span else 0 for value, span in spans.items()}
    if any((value in vocabulary) != bool(spans[value]) for value in involved):
        raise GiveUp
    for left, joined in moves:
        counts.update({value: counts[value] - 1 for value in set(left) - set(joined)})
        counts.update({value: counts[value] + 1 for value in set(joined) - set(left)})
    if any(n < 0 for n in counts.values()):
        raise GiveUp
    gone = {value for value in involved if counts[value] == 0}
    now = sorted({*vocabulary, *involved} - gone, key=facet.order)
    if not now:
        raise GiveUp  # no value left: the facet goes (the usual rebuild)
    position = {value: i for i, value in enumerate(now)}
    options_end = last_index_of(page, b"</div>", begin, end)
    for value in involved:  # in the facet's order: new checkboxes at one place go in that order
        span = spans[value]
        html = b"" if value in gone else box(value)(counts[value])
        if span:
            pieces.replace(LIST_PAGE, span[0], span[1], html)
            continue
        later = [other for other in now[position[value] + 1 :] if other in vocabulary and other not in gone]
        next_span = _chip_span(page, box(later[0]), begin, end) if later else None
        at = next_span[0] if next_span else options_end
        pieces.replace(LIST_PAGE, at, at, html)
    return vocabulary, now


def _renumber_rows(
    page: Page,
    pieces: Pieces,
    edits: Mapping[str, tuple[Publication, Publication]],
    order: Sequence[str],
    renumbered: list[tuple[_Facet, dict[bytes, bytes], dict[str, int]]],
) -> None:
    """Number the venues or tags anew in every row but the edited ones (as text, no JSON)."""
    from .render import script_json

    rows_at = find_once(page, b'"papers":[') + len(b'"papers":[')
    rows_end = find_once(page, b',"authors":[', rows_at)
    heads = list(_ROW.finditer(page, rows_at, rows_end))
    if len(heads) != len(order) or not heads or heads[-1].end() + 1 != rows_end:
        raise GiveUp  # a row not found: not the index a build writes
    at = rows_at
    for slug, row in zip(order, heads, strict=True):
        if row.start() != at or (
            row[1] != b'"%s"' % slug.encode() and row[1] != script_json(slug).encode("utf-8")
        ):
            raise GiveUp  # rows one after the other, the site's papers in its order
        at = row.end() + 1
    edited = {i: edits[slug][0] for i, slug in enumerate(order) if slug in edits}
    for facet, numbers, was in renumbered:
        group = facet.group
        # each row's numbers as text, old → new: rows repeat them (a venue, a set of tags)
        known: dict[bytes, bytes] = {b"[]": b"[]"} if facet.many else {b"-1": b"-1", **numbers}
        for i, row in enumerate(heads):
            old = row[group]
            before = edited.get(i)
            if before is not None:  # the whole row is replaced: its numbers checked only
                values = [b"%d" % was.get(value, -1) for value in facet.values(before)]
                expected = b"[" + b",".join(values) + b"]" if facet.many else values[0] if values else b"-1"
                if old != expected:
                    raise GiveUp
                continue
            new = known.get(old)
            if new is None:
                if not facet.many:
                    raise GiveUp
                try:
                    new = known[old] = b"[" + b",".join(numbers[n] for n in old[1:-1].split(b",")) + b"]"
                except KeyError:
                    raise GiveUp from None
            if new != old:
                pieces.replace(LIST_PAGE, row.start(group), row.end(group), new)


def _inline_array(
    page: Page, key: bytes, until: bytes, known: list[Any] | None = None
) -> tuple[Any, tuple[int, int]]:
    """Return the array after ``key``, before ``until``, in the list page's filter index, and where it is.

    When it is ``known`` already, only where.
    """
    from .render import script_json

    start = find_once(page, key + b"[") + len(key)
    end = find_once(page, until, start)
    value = known
    if value is None:
        try:
            value, _ = json.JSONDecoder().raw_decode(page[start:end].decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise GiveUp from None
    encoded = script_json(value).encode("utf-8")
    if not isinstance(value, list) or page[start : start + len(encoded)] != encoded:
        raise GiveUp  # not as a build writes it
    return value, (start, start + len(encoded))


def _fieldset(page: Page, name: str) -> tuple[int, int]:
    """Return where the filters' fieldset ``facet-<name>`` is in the list page."""
    begin = find_once(page, b'<fieldset class="facet" id="facet-%s">' % name.encode())
    return begin, index_of(page, b"</fieldset>", begin)


def _chip_span(page: Page, box: Callable[[int], bytes], begin: int, end: int) -> tuple[int, int, int] | None:
    """Return where a checkbox is in ``page[begin:end]``, and its count; ``box(count)`` renders it."""
    marker = 9_876_543_210  # no value's count: the checkbox's text up to its count, and after it
    head, _, tail = box(marker).partition(b"%d" % marker)
    start = page.find(head, begin, end)
    if start < 0:
        return None
    digits = start + len(head)
    stop = digits
    while page[stop : stop + 1].isdigit():
        stop += 1
    if stop == digits or page[stop : stop + len(tail)] != tail:
        raise GiveUp
    count = int(page[digits:stop])
    whole = box(count)
    if find_once(page, whole, begin, end) != start:
        raise GiveUp
    return start, start + len(whole), count


# the "Show only" checkboxes: their names, the papers' fields they count, their labels, and
# the fewest papers a checkbox shown counts ("Selected" shows only while some paper is)
_FLAGS = (("code", "has_code", "Has code", 0), ("selected", "selected", "Selected", 1))


def _splice_flag_count(
    page: Page, pieces: Pieces, env: jinja2.Environment, flag: str, label: str, least: int, change: int
) -> None:
    """Change the count of a "Show only" checkbox (``flag``, ``label``, ``least``: of _FLAGS) by ``change``.

    A count below the least a shown checkbox has (the first paper selected, or the last one
    no longer) gives up: the usual way renders the page.
    """
    chip = env.get_template("_chip.html").module.chip  # type: ignore[attr-defined]

    def box(count: int) -> bytes:
        option = {"value": "1", "label": label, "count": count, "title": "", "member": False}
        return str(chip(flag, option)).encode()  # as publications.html renders it

    span = _chip_span(page, box, *_fieldset(page, "more"))
    if span is None or span[2] + change < least:
        raise GiveUp
    pieces.replace(LIST_PAGE, span[0], span[1], box(span[2] + change))


def _splice_row(
    text: Callable[[str], Page],
    pieces: Pieces,
    slug: str,
    before: Publication,
    after: Publication,
    numbers: Mapping[str, list[int]] | None = None,
) -> None:
    """Replace a paper's row of the filter index in the list page.

    ``numbers``: facet name → the numbers of the paper's values now, for the facets whose
    numbering or whose values of the paper changed.
    """
    from .facets import row_with_text
    from .render import script_json

    page = text(LIST_PAGE)
    start = find_once(page, ("[" + json.dumps(slug, ensure_ascii=False) + ",").encode("utf-8"))
    window = page[start : start + ROW_WINDOW].decode("utf-8", errors="ignore")
    try:
        row, end = json.JSONDecoder().raw_decode(window)
    except ValueError:
        raise GiveUp from None
    old_text = window[:end].encode("utf-8")
    if (
        not isinstance(row, list)
        or row_with_text(row, before) != row
        or old_text != script_json(row).encode()
    ):
        raise GiveUp
    now = numbers or {}
    single = {name: (values[0] if values else -1) for name, values in now.items() if name != "tag"}
    new_row = row_with_text(row, after, single.get("venue"), now.get("tag"), single.get("category"))
    new_text = script_json(new_row).encode("utf-8")
    if new_text != old_text:
        pieces.replace(LIST_PAGE, start, start + len(old_text), new_text)
