"""Line-aware YAML loading and the stable, readable dump."""

from __future__ import annotations

import pytest

from site_builder.errors import Problem, ProblemsError
from site_builder.yamlio import LineMap, dump_yaml, load_yaml

LONG_WORDS = " ".join(f"word{i:03d}" for i in range(60))  # 479 characters, no word over 7

TRICKY = [
    "It's a 'quoted' title",
    'He said "hi"',
    "Title: with a colon",
    "key: value",
    "ends with a colon:",
    ": starts with colon-space",
    "- looks like a list item",
    "-starts with a dash",
    "# looks like a comment",
    "text # with a hash",
    "text #with a hash",
    "'",
    '"',
    "''",
    "yes",
    "no",
    "on",
    "off",
    "Yes",
    "NO",
    "true",
    "null",
    "~",
    "",
    " ",
    "  leading spaces",
    "trailing spaces  ",
    "1.0",
    "42",
    "0x1F",
    "1e3",
    "0o17",
    ".inf",
    "2023-11-30",
    "2023-11-30 10:00:00",
    "12:30",
    "Zoë Ng, Łukasz, 東京, Ångström, 🎉",
    "tab\there",
    "back\\slash \\% and $x^2$",
    "{braces} and [brackets]",
    "& anchor",
    "* alias",
    "! tag",
    "| pipe",
    "> greater",
    "@at",
    "`backtick`",
    "%percent",
    "a\nb",
    "a\n\nb\n",
    "line\n  indented\nback",
    "x" * 300,
    LONG_WORDS,
    LONG_WORDS + ": then a colon and # hash",
    "- " + LONG_WORDS,
    "  " + LONG_WORDS,
    LONG_WORDS + "  double  spaces  " + LONG_WORDS,
    "'" + LONG_WORDS + "'",
    "Zoë " * 40,
    "\t" + LONG_WORDS,
    LONG_WORDS + "\n",
    "\n" + LONG_WORDS,
    LONG_WORDS + " \u2028 " + LONG_WORDS,
    LONG_WORDS + " - " + LONG_WORDS,
]


def test_duplicate_key_is_located_at_the_second_key() -> None:
    text = "title: A\nauthors:\n  - B\ntitle: C\n"
    with pytest.raises(ProblemsError) as info:
        load_yaml(text, "content/publications/x.yaml")
    assert info.value.problems == [
        Problem("content/publications/x.yaml", 4, "duplicate key 'title' (first on line 1)")
    ]


def test_duplicate_key_in_a_nested_mapping() -> None:
    text = "title: A\nlinks:\n  pdf: https://a.org\n  code: https://b.org\n  pdf: https://c.org\n"
    with pytest.raises(ProblemsError) as info:
        load_yaml(text, "x.yaml")
    assert [(p.line, p.message) for p in info.value.problems] == [
        (5, "duplicate key 'pdf' (first on line 3)")
    ]


def test_line_map_gives_each_key_its_line() -> None:
    text = (
        "# a comment\n\ntitle: A\nauthors:\n  - B\n  - C\n"
        "links:\n  pdf: https://a.org\n\n  code: https://b.org\ndate: 2023-01-01\n"
    )
    data = load_yaml(text, "x.yaml")
    assert isinstance(data, LineMap)
    assert data.line == 3
    assert data.lines == {"title": 3, "authors": 4, "links": 7, "date": 11}
    assert isinstance(data["links"], LineMap)
    assert data["links"].line == 8
    assert data["links"].lines == {"pdf": 8, "code": 10}


@pytest.mark.parametrize("value", ["2023-11-30", "2023-02-30", "2023-11-30T10:00:00", "2023-11-30 10:00:00"])
def test_dates_stay_strings(value: str) -> None:
    assert load_yaml(f"date: {value}\n", "x.yaml") == {"date": value}


@pytest.mark.parametrize(
    ("text", "line"),
    [("\x00", 1), ("title: a\x00b\n", 1), ("title: a\nauthors:\n  - b\x00\n", 3)],
)
def test_nul_byte_is_a_located_error(text: str, line: int) -> None:
    with pytest.raises(ProblemsError) as info:
        load_yaml(text, "x.yaml")
    assert info.value.problems == [Problem("x.yaml", line, "the file contains a NUL byte")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("title: A: B\n", 1),
        ("title: A\nauthors: [B, C\ndate: 2023-01-01\n", 3),  # where the "," or "]" was due
        ("title: A\n  bad: indent\n", 2),
        ("title: 'unterminated\n", 2),
    ],
)
def test_syntax_errors_are_located(text: str, line: int) -> None:
    with pytest.raises(ProblemsError) as info:
        load_yaml(text, "x.yaml")
    ((problem,),) = [info.value.problems]
    assert (problem.path, problem.line) == ("x.yaml", line)
    assert problem.message.startswith("invalid YAML")


def test_dump_keeps_key_order_and_uses_block_lists() -> None:
    data = {
        "title": "T",
        "authors": ["Zoë Ng", "Bo Li"],
        "date": "2023-11-30",
        "has_code": True,
        "score": 70.1,
    }
    assert dump_yaml(data) == (
        "title: T\nauthors:\n  - Zoë Ng\n  - Bo Li\ndate: 2023-11-30\nhas_code: true\nscore: 70.1\n"
    )
    reordered = {"score": 1, "title": "T"}
    assert dump_yaml(reordered) == "score: 1\ntitle: T\n"


def test_dump_keeps_unicode() -> None:
    text = dump_yaml({"title": "Ångström 東京 — “quoted” 🎉", "abstract": "Zoë " * 40})
    assert "Ångström 東京 — “quoted” 🎉" in text
    assert "Zoë" in text
    assert "\\u" not in text and "\\x" not in text and "\\U" not in text


def test_dump_folds_a_long_abstract() -> None:
    abstract = " ".join(["We study egocentric video and the many tasks it supports."] * 12)
    text = dump_yaml({"title": "T", "abstract": abstract})
    lines = text.splitlines()
    assert lines[0] == "title: T"
    assert len(lines) >= 8
    # PyYAML folds at the first space past the width: a line may overrun by one word.
    longest_word = max(len(word) for word in abstract.split())
    assert max(len(line) for line in lines) <= 80 + longest_word
    assert load_yaml(text, "x.yaml") == {"title": "T", "abstract": abstract}


def test_dump_keeps_a_long_title_on_one_line() -> None:
    title = "A Very Long Title " * 10
    text = dump_yaml({"title": title.strip()})
    assert text.count("\n") == 1


@pytest.mark.parametrize("key", ["title", "abstract", "venue"])
@pytest.mark.parametrize("value", TRICKY, ids=[f"{i}:{s[:20]!r}" for i, s in enumerate(TRICKY)])
def test_dump_round_trips(key: str, value: str) -> None:
    data = {key: value, "authors": [value, "Plain Name"], "date": "2023-11-30"}
    text = dump_yaml(data)
    assert load_yaml(text, "x.yaml") == data
    assert "\\u" not in text or "\\u" in value  # Unicode is written as is


def test_dump_round_trips_numbers_and_flags() -> None:
    data = {
        "score": 70.1,
        "count": 12,
        "has_code": False,
        "et_al": True,
        "tags": [],
        "links": {"pdf": "https://a.org/x--y"},
    }
    assert load_yaml(dump_yaml(data), "x.yaml") == data
