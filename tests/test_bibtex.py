"""The BibTeX importer: each construct on hand-written snippets, the real corpus, and arbitrary text."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.bibtex import parse_bibtex
from site_builder.errors import Problem, Severity
from site_builder.model import publication_from_mapping

from .conftest import SHARED

CORPUS = sorted((SHARED / "corpus" / "bibtex").glob("*.bib"))
ENTRY_RE = re.compile(r"^\s*@(\w+)\s*[{(]", re.M)


def one(text: str) -> dict[str, Any]:
    """Parse text holding one entry; return its record, asserting there were no problems."""
    entries, problems = parse_bibtex(text, "t.bib")
    assert problems == []
    assert len(entries) == 1
    return entries[0].record


def entry(fields: str, kind: str = "article", key: str = "k") -> str:
    """Return an entry with a title, an author and a year, plus the given fields."""
    return f"@{kind}{{{key},\n  title = {{T}},\n  author = {{Ann Lee}},\n  year = 2020,\n{fields}\n}}\n"


# (BibTeX of one entry, key of the record, expected value)
CASES = [
    # LaTeX accents and commands to Unicode
    (r"@article{k, title={M{\"o}bius and {\ss}}, author={A B}, year=2020}", "title", "Möbius and ß"),
    (r"@article{k, title={Caf\'{e} \& Cr\`eme}, author={A B}, year=2020}", "title", "Café & Crème"),
    (
        r"@article{k, title={Antol{\'\i}k {\v{S}}ev{\v c}{\'\i}k}, author={A B}, year=2020}",
        "title",
        "Antolík Ševčík",
    ),
    (r"@article{k, title={Pages 1--10 and a---b}, author={A B}, year=2020}", "title", "Pages 1–10 and a—b"),
    (
        r"@article{k, title={{\textquotedblleft}Hi{\textquotedblright} ``x''}, author={A B}, year=2020}",
        "title",
        "“Hi” “x”",
    ),
    # protective braces removed, whitespace collapsed, math verbatim
    (
        "@article{k, title={A {Complete} Recipe for\n   {MCMC}}, author={A B}, year=2020}",
        "title",
        "A Complete Recipe for MCMC",
    ),
    (
        r'@article{k, title="{Hot $\alpha$-particles}", author={A B}, year=2020}',
        "title",
        r"Hot $\alpha$-particles",
    ),
    (r"@article{k, title={A 95% win}, author={A B}, year=2020}", "title", "A 95% win"),
    # names: Last, First / Last, Jr, First / First von Last / corporate / ties
    (
        r"@article{k, title={T}, author={Knuth, Donald E. and Lamport, Leslie}, year=2020}",
        "authors",
        ["Donald E. Knuth", "Leslie Lamport"],
    ),
    (
        r"@article{k, title={T}, author={King, Jr, Martin Luther}, year=2020}",
        "authors",
        ["Martin Luther King Jr"],
    ),
    (
        r"@article{k, title={T}, author={Ludwig van Beethoven and de la Cruz, Juan}, year=2020}",
        "authors",
        ["Ludwig van Beethoven", "Juan de la Cruz"],
    ),
    (
        r"@article{k, title={T}, author={{DES Collaboration} and {Barnes and Noble}}, year=2020}",
        "authors",
        ["DES Collaboration", "Barnes and Noble"],
    ),
    (
        r"@article{k, title={T}, author={{M{\"o}ller}, A.~V. and J{\'a}n Antol{\'\i}k}, year=2020}",
        "authors",
        ["A. V. Möller", "Ján Antolík"],
    ),
    # and others
    (r"@article{k, title={T}, author={Lee, Ann and others}, year=2020}", "et_al", True),
    (r"@article{k, title={T}, author={Lee, Ann and others}, year=2020}", "authors", ["Ann Lee"]),
    # dates: month macros, names, numbers, day, missing month
    (r"@article{k, title={T}, author={A B}, year=2021, month=oct}", "date", "2021-10-01"),
    (r"@article{k, title={T}, author={A B}, year={2021}, month={November}}", "date", "2021-11-01"),
    (r"@article{k, title={T}, author={A B}, year={2021}, month={9}, day={22}}", "date", "2021-09-22"),
    (r"@article{k, title={T}, author={A B}, year={2021}, month={Sept.}}", "date", "2021-09-01"),
    (r"@article{k, title={T}, author={A B}, year={2021}}", "date", "2021-01-01"),
    (r"@article{k, title={T}, author={A B}, date={2022-03-04}}", "date", "2022-03-04"),
    # @string macros and # concatenation
    (
        '@string{icml = "Intl. Conf. on Machine Learning"}\n'
        "@inproceedings{k, title={T}, author={A B}, year=2020, booktitle=icml}",
        "venue",
        "Intl. Conf. on Machine Learning",
    ),
    (
        '@string{pre = "Proc. of "}\n'
        '@inproceedings{k, title={T}, author={A B}, year=2020, booktitle=pre # {NeurIPS} # " 2020"}',
        "venue",
        "Proc. of NeurIPS 2020",
    ),
    (
        '@string{mnras = "Monthly Notices"}\n'
        "@article{k, title={T}, author={A B}, year=2020, journal={\\mnras}}",
        "venue",
        "Monthly Notices",
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, journal={Phys. Rev. {L}etters}}",
        "venue",
        "Phys. Rev. Letters",
    ),
    # category, tags, abstract
    (r"@article{k, title={T}, author={A B}, year=2020, primaryClass={cs.CV}}", "category", "cs.CV"),
    (
        r"@article{k, title={T}, author={A B}, year=2020, keywords={Vision; video, ego, Video}}",
        "tags",
        ["Vision", "video", "ego"],
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, abstract={We show $x^2$ is {\em big}: 30\% more.}}",
        "abstract",
        "We show $x^2$ is big: 30% more.",
    ),
    (
        "@article{k, title={T}, author={A B}, year=2020, abstract={One\n line.\n\n Two.}}",
        "abstract",
        "One line.\n\nTwo.",
    ),
    # links
    (
        r"@article{k, title={T}, author={A B}, year=2020, doi={10.1145/3377811.3380410}}",
        "links",
        {"doi": "https://doi.org/10.1145/3377811.3380410"},
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, doi={https://doi.org/10.1/x}}",
        "links",
        {"doi": "https://doi.org/10.1/x"},
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, eprint={2311.18259}, archivePrefix={arXiv}}",
        "links",
        {"arxiv": "https://arxiv.org/abs/2311.18259"},
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, eprint={hep-th/9901001}}",
        "links",
        {"arxiv": "https://arxiv.org/abs/hep-th/9901001"},
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, code={https://github.com/a/b}, pdf={https://x.org/p.pdf}}",
        "links",
        {"pdf": "https://x.org/p.pdf", "code": "https://github.com/a/b"},
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, url={\url{https://x.org/a\_b}}, video={https://youtu.be/q}}",
        "links",
        {"video": "https://youtu.be/q", "url": "https://x.org/a_b"},
    ),
    (
        r"@article{k, title={T}, author={A B}, year=2020, url={https://arxiv.org/abs/1511.05641}}",
        "links",
        {"arxiv": "https://arxiv.org/abs/1511.05641"},
    ),
    (r"@article{k, title={T}, author={A B}, year=2020, code={https://github.com/a/b}}", "has_code", True),
    (r"@article{k, title={T}, author={A B}, year=2020, url={https://github.com/a/b}}", "has_code", True),
    (r"@article{k, title={T}, author={A B}, year=2020}", "has_code", False),
]


@pytest.mark.parametrize(("bib", "key", "expected"), CASES)
def test_construct(bib: str, key: str, expected: Any) -> None:
    assert one(bib)[key] == expected


def test_full_record_in_schema_order() -> None:
    bib = r"""
@article{moller2020,
  author = {{M{\"o}ller}, Ana{\"\i}s and de la Cruz, Juan and others},
  title = "{Super{N}ova classification}",
  journal = {Astronomy {\&} Astrophysics},
  year = 2020, month = jul, keywords = {supernovae, ML},
  eprint = {2007.00001}, archivePrefix = {arXiv}, primaryClass = {astro-ph.IM},
  doi = {10.1051/0004-6361/1}, code = {https://github.com/a/snn},
  abstract = {We classify.},
}"""
    entries, problems = parse_bibtex(bib, "t.bib")
    assert problems == []
    assert entries[0].line == 2
    assert entries[0].uncertain is None
    assert entries[0].record == {
        "title": "SuperNova classification",
        "authors": ["Anaïs Möller", "Juan de la Cruz"],
        "et_al": True,
        "date": "2020-07-01",
        "category": "astro-ph.IM",
        "has_code": True,
        "abstract": "We classify.",
        "venue": "Astronomy & Astrophysics",
        "tags": ["supernovae", "ML"],
        "links": {
            "arxiv": "https://arxiv.org/abs/2007.00001",
            "doi": "https://doi.org/10.1051/0004-6361/1",
            "code": "https://github.com/a/snn",
        },
    }


def test_empty_optional_keys_are_left_out() -> None:
    assert list(one("@misc{k, title={T}, author={A B}, year=2020, abstract={ }, keywords={}}")) == [
        "title",
        "authors",
        "date",
        "has_code",
    ]


def test_comma_separated_authors_are_split_and_flagged() -> None:
    entries, _ = parse_bibtex("@misc{k, title={T}, author={Ann Lee, Bo Chen, Cy Dee}, year=2020}", "t.bib")
    assert entries[0].record["authors"] == ["Ann Lee", "Bo Chen", "Cy Dee"]
    assert entries[0].uncertain == "the author list looks comma-separated, not joined with 'and'"


# (BibTeX, expected problems as str, number of imported entries)
PROBLEM_CASES = [
    (
        "@article{a, author={A B}, year=2020}\n",
        ["t.bib:1: entry 'a' skipped: no title"],
        0,
    ),
    (
        "\n@article{a, title={T}, author={A B}}\n",
        ["t.bib:2: entry 'a' skipped: no year"],
        0,
    ),
    (
        "@article{a, title={T}, year={in press}}\n",
        ["t.bib:1: entry 'a' skipped: no author, year 'in press' is not a four-digit year"],
        0,
    ),
    (
        entry("", key="a") + entry("", key="b") + entry("", key="A"),
        ["t.bib:13: duplicate citation key 'A' (first at line 1); skipped"],
        2,
    ),
    (
        "@misc{a title={T}}\n" + entry("", key="b"),
        ["t.bib:1: @misc entry not readable: Expected comma after entry key, but found ="],
        1,
    ),
    (
        entry("  pdf = {/papers/x.pdf},\n  doi = {not-a-doi},"),
        [
            "t.bib:5: warning: entry 'k': link 'pdf' '/papers/x.pdf' is not an http(s) URL; left out",
            "t.bib:6: warning: entry 'k': 'doi' 'not-a-doi' is not a DOI (10.xxxx/…); left out",
        ],
        1,
    ),
    (
        entry("  url = {javascript:alert(1)},"),
        ["t.bib:5: warning: entry 'k': link 'url' 'javascript:alert(1)' is not an http(s) URL; left out"],
        1,
    ),
    (
        entry("  note = {x},\n  note = {y},"),
        ["t.bib:6: warning: entry 'k': field 'note' given twice; the first is used"],
        1,
    ),
    (
        entry("  booktitle = undefinedmacro,"),
        [
            "t.bib:5: warning: entry 'k': undefined @string macro 'undefinedmacro' in 'booktitle',"
            " kept as text"
        ],
        1,
    ),
    (
        entry("  month = {Smarch},"),
        ["t.bib:5: warning: entry 'k': month 'Smarch' is not a month; using January"],
        1,
    ),
    ("Just some notes, not BibTeX.\n", ["t.bib:1: no BibTeX entries found (such as @article{…})"], 0),
    ("", ["t.bib:1: no BibTeX entries found (such as @article{…})"], 0),
    ('@comment{x}\n@preamble{"\\newcommand{\\x}{y}"}\n@string{a = {b}}\n' + entry(""), [], 1),
]


@pytest.mark.parametrize(("bib", "expected", "imported"), PROBLEM_CASES)
def test_problems(bib: str, expected: list[str], imported: int) -> None:
    entries, problems = parse_bibtex(bib, "t.bib")
    assert [str(p) for p in problems] == expected
    assert len(entries) == imported


def test_duplicate_keeps_the_first() -> None:
    bib = (
        "@misc{a, title={First}, author={A B}, year=2020}\n"
        "@misc{a, title={Second}, author={A B}, year=2021}\n"
    )
    entries, problems = parse_bibtex(bib, "t.bib")
    assert [e.record["title"] for e in entries] == ["First"]
    assert problems == [Problem("t.bib", 2, "duplicate citation key 'a' (first at line 1); skipped")]


def test_unclosed_entry_is_located() -> None:
    entries, problems = parse_bibtex("ok\n\n@article{a, title={T}, author={A B}, year=2020", "t.bib")
    assert entries == []
    assert [(p.line, p.severity) for p in problems] == [(3, Severity.ERROR)]


def paper_entry_count(text: str) -> int:
    """Count the @-entries that are papers, independently of the importer."""
    return sum(m.group(1).lower() not in ("string", "comment", "preamble") for m in ENTRY_RE.finditer(text))


def test_corpus_is_present() -> None:
    assert len(CORPUS) == 7


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name.split("--")[0])
def test_corpus_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    entries, problems = parse_bibtex(text, str(path))
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert len(entries) + len({p.line for p in errors}) == paper_entry_count(text)
    assert len(errors) == len({p.line for p in errors})
    assert all(p.line is not None and p.line >= 1 for p in problems)
    assert not {p.line for p in errors} & {e.line for e in entries}
    for source in entries:
        publication, found = publication_from_mapping(source.record, "x", "x.bib")
        assert publication is not None, source.record
        assert [p for p in found if p.severity is Severity.ERROR] == []


def test_corpus_lines_point_at_entries() -> None:
    path = next(p for p in CORPUS if p.name.startswith("anaismoller"))
    lines = path.read_text(encoding="utf-8").splitlines()
    entries, _ = parse_bibtex("\n".join(lines), str(path))
    assert all(lines[e.line - 1].lstrip().startswith("@") for e in entries)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    entries, problems = parse_bibtex(text, "t.bib")
    assert all(isinstance(p, Problem) for p in problems)
    assert entries or problems


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='@{}=,#"%\\ \nab', max_size=60))
def test_bibtex_like_text_never_raises(text: str) -> None:
    parse_bibtex("@article{k," + text, "t.bib")
    parse_bibtex(text, "t.bib")


# "and" in any case separates names in BibTeX, so a name made of it cannot round-trip unbraced
_WORD = st.text(alphabet=string.ascii_letters, min_size=1, max_size=10).filter(lambda w: w.lower() != "and")
_NAME = st.tuples(_WORD, _WORD).map(lambda p: f"{p[0].capitalize()} {p[1].capitalize()}")


@settings(max_examples=200, deadline=None)
@given(
    title=st.lists(_WORD, min_size=1, max_size=8).map(" ".join),
    authors=st.lists(_NAME, min_size=1, max_size=5),
    year=st.integers(1900, 2100),
    last_first=st.booleans(),
)
def test_simple_entry_round_trips(title: str, authors: list[str], year: int, last_first: bool) -> None:
    written = [f"{n.split()[1]}, {n.split()[0]}" if last_first else n for n in authors]
    author = " and ".join(written)
    bib = f"@inproceedings{{key1,\n  title = {{{title}}},\n  author = {{{author}}},\n  year = {year}\n}}\n"
    record = one(bib)
    assert (record["title"], record["authors"], record["date"][:4]) == (title, authors, f"{year:04d}")
