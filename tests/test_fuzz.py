"""Property-based tests: the listing parser, the YAML loader and the BibTeX importer never crash on
arbitrary input, every problem they report is located, and a listing survives the whole import
(listing → record → YAML → Publication) unchanged.

Every test runs a fixed, derandomised set of examples, so CI sees the same inputs on every run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import string
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from site_builder.bibtex import parse_bibtex
from site_builder.errors import Problem, ProblemsError
from site_builder.importer import entry_record, from_listing
from site_builder.listing import HEADER_RE, parse_header, parse_listing
from site_builder.model import PUBLICATION_KEYS, publication_from_mapping
from site_builder.yamlio import _Loader, dump_yaml, load_yaml

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples on every run: no flaky CI, no example database needed
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
AS_OF = dt.date(2026, 11, 23)
PATH = "listing.txt"


def line_count(text: str) -> int:
    """Return the number of lines of ``text`` as a reader counts them (CRLF, CR and LF end lines)."""
    return len(re.split(r"\r\n|\r|\n", text))


def assert_located(problems: list[Problem], path: str, lines: int | None = None) -> None:
    """Assert every problem is at ``path`` with no line or a line in ``1..lines``."""
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.path == path
        assert problem.message
        if problem.line is not None:
            assert isinstance(problem.line, int) and not isinstance(problem.line, bool)
            assert problem.line >= 1
            if lines is not None:
                assert problem.line <= lines, (problem, lines)


# --- 1. the listing parser ---------------------------------------------------------------------

HEADERS = [
    "CVNov 30, 2023Code",
    "LGJun 8, 2021",
    "70.1CVApr 15",
    "70.1LGApr 15",
    "12HCFeb 29",
    "CLFeb 29, 2023",
    "ROSep 31",
    "AISept 3, 2020Code",
    "stat.MLJan 1, 1999",
    "CVDec 0",
    "LGMar 99, 2024",
    "IRJan 1, 0000",
    "CV Nov 30, 2023 Code",
]
LINE2 = [
    "Dynamic Multimodal FusionZihui Xue, Radu Marculescu",
    "Ego-Exo4DKristen Grauman, Andrew Westbury, Lorenzo Torresani et al. · cmu, gatech",
    "GPT-4 Technical ReportOpenAI",
    "Attention Is All You NeedAshish Vaswani, Noam Shazeer et al.",
    "Learning (Again)?Hal Daumé III, Laurens van der Maaten",
    ", et al.",
    ", Ann Lee",
    " · cmu",
    "x · , et al.",
    "Title, Jr., III",
    "ÀÉ, Ü",
]
ABSTRACTS = [
    "We reach 58.5\\% with ''quoted'' -- text and $\\mathcal{O}(n)$.",
    "Plain abstract.",
]
_WEIRD = st.sampled_from(
    ["", " ", "\t", "\xa0", "\ufeff", "\x00", "\u2028", "\x85", "\x0b", "\x1c", "·", "•"]
)
_HEADER_LIKE = st.from_regex(HEADER_RE, fullmatch=True)
_LINE = st.one_of(
    st.sampled_from(HEADERS),
    _HEADER_LIKE,
    st.sampled_from(LINE2),
    st.sampled_from(ABSTRACTS),
    st.text(max_size=40),
    st.tuples(_WEIRD, st.sampled_from(HEADERS + LINE2), _WEIRD).map("".join),
)
_NEWLINE = st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\n \n"])


@st.composite
def listing_like(draw: st.DrawFn) -> str:
    """Return text made of header lines, title lines, abstracts and junk, with copy-paste noise."""
    lines = draw(st.lists(_LINE, max_size=14))
    text = ""
    for line in lines:
        text += line + draw(_NEWLINE)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


def check_listing(text: str) -> None:
    entries, problems = parse_listing(text, PATH, AS_OF)
    assert_located(problems, PATH, line_count(text))
    for problem in problems:
        assert problem.line is not None
    for entry in entries:
        assert entry.title.strip(), entry
        assert 1 <= entry.line <= line_count(text)
        assert all(a.strip() for a in entry.authors), entry
    records = [source.record for source in from_listing(entries)]
    for record in records:
        assert set(record) <= set(PUBLICATION_KEYS)


@FUZZ
@given(st.text())
@example("CVNov 30, 2023Code\n, et al.\nabstract")
@example("CVNov 30, 2023Code\n, Ann Lee\nabstract")
@example("CVFeb 29\nT Ann Lee\n")
@example("CVFeb 30\nTitleAnn Lee\n")
@example("\ufeff\x00\r\n\r")
def test_listing_arbitrary_text_never_raises(text: str) -> None:
    check_listing(text)


@FUZZ
@given(listing_like())
def test_listing_like_text_never_raises(text: str) -> None:
    check_listing(text)


@FUZZ
@given(_HEADER_LIKE, st.sampled_from(LINE2), st.sampled_from(["", *ABSTRACTS]))
def test_any_header_gives_an_entry_or_a_located_problem(header: str, line2: str, abstract: str) -> None:
    assert parse_header(header) is not None
    text = f"{header}\n{line2}\n{abstract}\n"
    entries, problems = parse_listing(text, PATH, AS_OF)
    assert_located(problems, PATH, line_count(text))
    assert entries or problems
    for entry in entries:
        assert entry.date <= AS_OF or re.search(r",\s*\d{4}", header)
        assert entry.title.strip()


# --- 2. the YAML loader and the publication validator ------------------------------------------

_SCALARS = [
    "x",
    "Ann Lee",
    "2023-11-30",
    "2023-02-30",
    "Nov 30, 2023",
    "12",
    "70.1",
    "-0",
    "0x1f",
    "0o17",
    "1e400",
    ".nan",
    "-.inf",
    "true",
    "no",
    "null",
    "~",
    "''",
    '""',
    "'it''s'",
    '"a\\u00e9\\x00"',
    "|\n  block\n  text",
    ">\n  folded",
    "[a, b]",
    "[]",
    "{}",
    "{pdf: https://x.org/a.pdf}",
    "{javascript: x}",
    "{pdf: 'javascript:alert(1)'}",
    "{pdf: [a]}",
    "{pdf: 3}",
    "[[a], {b: c}]",
    "[" * 50 + "]" * 50,
    "&a x",
    "*a",
    "&b [*b]",
    "!!int x",
    "!!int 0x",
    "!!float x",
    "!!bool x",
    "!!timestamp x",
    "!!timestamp 2020-01-01",
    "!!timestamp 2020-01-01 10:00:00",
    "!!binary aGk=",
    "!!binary ***",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1]",
    "!!str",
    "!!map [a]",
    "!!seq {a: 1}",
    "!custom x",
    "!<tag:yaml.org,2002:int> 7",
    "0x" + "f" * 4000,
    "0b" + "1" * 15000,
]
_KEYS = [
    *PUBLICATION_KEYS,
    "titel",
    "link",
    "<<",
    "? [a]",
    "1",
    "null",
    "true",
    "'title'",
    '"date"',
    "? 0x" + "f" * 4000,
]
_INDENT = st.sampled_from(["", "", "", "", "", "", "  ", "    ", "\t", "- ", "  - "])


@st.composite
def yaml_like(draw: st.DrawFn) -> str:
    """Return YAML-ish text: schema keys, odd values, tags, anchors, indentation and junk lines."""
    if draw(st.booleans()):  # a mapping that loads: distinct keys, odd values, maybe a valid paper
        keys = draw(st.lists(st.sampled_from(_KEYS[:-1]), unique=True, max_size=8))
        base = "title: T\nauthors: [Ann Lee]\ndate: 2020-01-01\n" if draw(st.booleans()) else ""
        keys = [k for k in keys if not (base and k in ("title", "authors", "date"))]
        return base + "".join(f"{k}: {draw(st.sampled_from(_SCALARS))}\n" for k in keys)
    lines = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.integers(0, 8))
        if kind <= 5:
            key = draw(st.sampled_from(_KEYS))
            value = draw(st.sampled_from(_SCALARS) | st.text(max_size=15))
            lines.append(f"{draw(_INDENT)}{key}: {value}")
        elif kind == 6:
            lines.append(draw(_INDENT) + draw(st.sampled_from(_SCALARS)))
        elif kind == 7:
            lines.append(draw(st.text(max_size=20)))
        else:
            lines.append(draw(st.sampled_from(["---", "...", "%YAML 1.1", "#", "", "<<: *a", "<<: [x]"])))
    text = draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n"])).join(lines)
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


def check_yaml(text: str) -> None:
    try:
        value = load_yaml(text, "p.yaml")
    except ProblemsError as exc:
        assert exc.problems
        assert_located(exc.problems, "p.yaml")
        return
    publication, problems = publication_from_mapping(value, "slug", "p.yaml")
    assert_located(problems, "p.yaml")
    if publication is not None:
        assert publication.title and publication.authors


@FUZZ
@given(st.text())
@example("\x00")
@example("a: 1\n\x00")
@example("- " * 3000 + "x")
@example("{a: " * 3000 + "}" * 3000)
@example("[" * 3000 + "]" * 3000)
@example("title: T\nauthors: [A]\ndate: 2020-01-01\net_al: " + "[" * 3000 + "]" * 3000)
@example("title: 0x" + "f" * 4000)
@example("&a {x: *a}")
def test_yaml_arbitrary_text_loads_or_raises_located_problems(text: str) -> None:
    check_yaml(text)


@FUZZ
@given(yaml_like())
def test_yaml_like_text_loads_or_raises_located_problems(text: str) -> None:
    check_yaml(text)


class _GenericLoader(_Loader):
    """The loader without its shortcut for text values: every node constructed by PyYAML's own code."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        return yaml.constructor.SafeConstructor.construct_object(self, node, deep=deep)


@FUZZ
@given(yaml_like())
@example("a: &x text\nb: *x\nc: !!str 12\nd: [x, 'y', \"z\", 1, 1.5, ~, true, 2020-01-01]\ne: |\n  block\n")
def test_yaml_text_values_load_as_pyyaml_constructs_them(text: str) -> None:
    try:
        expected = yaml.load(text, Loader=_GenericLoader)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, KeyError, OverflowError, RecursionError):
        return
    got = load_yaml(text, "p.yaml")
    assert got == expected
    assert repr(got) == repr(expected)  # the same types, nested values too


_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.dates(),
    st.binary(max_size=5),
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(["pdf", "doi"]), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(PUBLICATION_KEYS) | st.text(max_size=8) | st.integers() | st.none(),
        _VALUE,
        max_size=10,
    )
)
def test_publication_from_any_mapping_never_raises(data: dict[Any, Any]) -> None:
    publication, problems = publication_from_mapping(data, "slug", "p.yaml")
    assert_located(problems, "p.yaml")
    if publication is None:
        assert problems


# --- 3. the BibTeX importer ----------------------------------------------------------------------

_BIB_FRAGMENTS = st.sampled_from(
    [
        "@article{",
        "@inproceedings(",
        "@string{",
        "@comment{",
        "@preamble{",
        "@misc{k,",
        "k1,",
        "title = {",
        "author = {",
        "author = ",
        "year = 2020",
        "year = {20x}",
        "month = jan",
        "month = {Feb.}",
        "url = {http://x.org/a b}",
        "doi = {10.1/x}",
        "eprint = {2101.00001}",
        "journal = j",
        "j = {J}",
        " and ",
        "Lee, Ann",
        '{\\"o}',
        "\\'e",
        "$x^2$",
        "{",
        "}",
        "(",
        ")",
        '"',
        "#",
        "=",
        ",",
        "%",
        "\\",
        "@",
        "\n",
        " ",
        "\r\n",
        "\x00",
    ]
)


@FUZZ
@given(st.lists(_BIB_FRAGMENTS | st.text(max_size=6), max_size=30).map("".join))
def test_bibtex_fragments_never_raise(text: str) -> None:
    entries, problems = parse_bibtex(text, "t.bib")
    assert_located(problems, "t.bib", line_count(text) + 1)
    for source in entries:
        publication_from_mapping(source.record, "slug", "t.bib")


# --- 4. round trips ------------------------------------------------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyzàéèöüçñłš"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÉÎÖÜÇŁŠŽ"
_LOWER_WORD = st.text(alphabet=_LOWER + string.digits, min_size=1, max_size=8)
_CAP_WORD = st.tuples(st.sampled_from(_UPPER), st.text(alphabet=_LOWER + string.digits, max_size=7)).map(
    "".join
)
_TITLE_WORD = st.one_of(
    _LOWER_WORD,
    _CAP_WORD,
    _CAP_WORD.map(lambda w: w + ":"),
    _LOWER_WORD.map(lambda w: w + "-" + w),
    st.integers(0, 9999).map(str),
)
_TITLE = st.tuples(st.lists(_TITLE_WORD, max_size=6), _LOWER_WORD | st.integers(0, 99).map(str)).map(
    lambda t: " ".join([*t[0], t[1]])
)
_NAME_WORD = st.tuples(st.sampled_from(_UPPER), st.text(alphabet=_LOWER, min_size=1, max_size=9)).map("".join)
_AUTHOR = st.tuples(_NAME_WORD, _NAME_WORD).map(" ".join)
_AFFILIATION = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=8)
CATEGORIES = ["CV", "LG", "HC", "CL", "RO", "AI", "SD", "GR", "IR"]
_ABSTRACT = (
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"), max_size=300)
    .map(str.strip)
    .filter(lambda a: parse_header(a) is None)
)
_SCORE = st.one_of(
    st.none(),
    st.integers(0, 999).map(str),
    st.tuples(st.integers(0, 999), st.integers(0, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
)


@st.composite
def listing_entry(draw: st.DrawFn) -> dict[str, Any]:
    """Return the fields of one listing entry, as a profile would show them."""
    omit_year = draw(st.booleans())
    if omit_year:  # within the year before the reference date, so it resolves to itself
        date = draw(st.dates(AS_OF.replace(year=AS_OF.year - 1) + dt.timedelta(days=1), AS_OF))
    else:
        date = draw(st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)))
    return {
        "title": draw(_TITLE),
        "authors": draw(st.lists(_AUTHOR, min_size=1, max_size=3)),
        "et_al": draw(st.booleans()),
        "affiliations": draw(st.lists(_AFFILIATION, max_size=3)),
        "date": date,
        "omit_year": omit_year,
        "category": draw(st.sampled_from(CATEGORIES)),
        "has_code": draw(st.booleans()),
        "score": draw(_SCORE),
        "abstract": draw(_ABSTRACT),
    }


def listing_text(entry: dict[str, Any]) -> str:
    """Return the three lines of ``entry`` as the profile page writes them."""
    date = entry["date"]
    when = f"{calendar.month_abbr[date.month]} {date.day}" + ("" if entry["omit_year"] else f", {date.year}")
    header = f"{entry['score'] or ''}{entry['category']}{when}{'Code' if entry['has_code'] else ''}"
    line2 = entry["title"] + ", ".join(entry["authors"])
    if entry["et_al"]:
        line2 += " et al."
    if entry["affiliations"]:
        line2 += " · " + ", ".join(entry["affiliations"])
    return f"{header}\n{line2}\n{entry['abstract']}\n"


def _number(text: str | None) -> float | int | None:
    if text is None:
        return None
    return float(text) if "." in text else int(text)


@FUZZ
@given(
    st.lists(listing_entry(), min_size=1, max_size=4),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_listing_round_trips_through_yaml(generated: list[dict[str, Any]], newline: str, bom: bool) -> None:
    text = "".join(listing_text(e) for e in generated).replace("\n", newline)
    if bom:
        text = "\ufeff" + text
    entries, problems = parse_listing(text, PATH, AS_OF)
    assert problems == []
    assert len(entries) == len(generated)
    for number, (want, entry) in enumerate(zip(generated, entries, strict=True)):
        assert entry.line == 3 * number + 1
        publication, problems = publication_from_mapping(
            load_yaml(dump_yaml(entry_record(entry)), "p.yaml"), "slug", "p.yaml"
        )
        assert problems == []
        assert publication is not None
        got = (
            publication.title,
            list(publication.authors),
            publication.et_al,
            list(publication.affiliations),
            publication.date,
            publication.category,
            publication.has_code,
            publication.score,
            publication.abstract,
        )
        expected = (
            want["title"],
            want["authors"],
            want["et_al"],
            want["affiliations"],
            want["date"],
            f"cs.{want['category']}",
            want["has_code"],
            _number(want["score"]),
            want["abstract"],
        )
        assert got == expected
        assert type(publication.score) is type(expected[7])


_TEXT = st.text(st.characters(exclude_categories=["Cs"]))
_RECORD_VALUE = {
    "authors": st.lists(_TEXT, max_size=4),
    "affiliations": st.lists(_TEXT, max_size=3),
    "tags": st.lists(_TEXT, max_size=3),
    "et_al": st.booleans(),
    "has_code": st.booleans(),
    "selected": st.booleans(),
    "score": st.integers() | st.floats(allow_nan=False),
    "links": st.dictionaries(st.sampled_from(["pdf", "code", "doi", "arxiv"]), _TEXT, max_size=3),
}


@st.composite
def record(draw: st.DrawFn) -> dict[str, Any]:
    """Return a record with some of the schema's keys, in schema order, and arbitrary values."""
    keys = draw(st.lists(st.sampled_from(PUBLICATION_KEYS), unique=True, min_size=1))
    out: dict[str, Any] = {}
    for key in sorted(keys, key=PUBLICATION_KEYS.index):
        out[key] = draw(_TEXT if draw(st.booleans()) else _RECORD_VALUE.get(key, _TEXT))
    return out


@FUZZ
@given(st.dictionaries(st.sampled_from(PUBLICATION_KEYS), _TEXT, min_size=1))
@example({"abstract": "a" * 80 + "\u2028" + "b"})
@example({"abstract": "a " * 50 + "\x85b"})
@example({"title": "\ufeffx", "abstract": " lead and trail "})
@example({"abstract": "x" * 70 + "  " + "y" * 70})
@example({"abstract": "l1\n  l2\n\n\nl3 \n"})
def test_dump_yaml_round_trips_text(data: dict[str, str]) -> None:
    assert load_yaml(dump_yaml(data), "p.yaml") == data


@FUZZ
@given(record())
def test_dump_yaml_round_trips_records(data: dict[str, Any]) -> None:
    assert load_yaml(dump_yaml(data), "p.yaml") == data
