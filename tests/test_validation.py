"""Validation of paper files and site.yaml: exact messages, exact lines, every problem at once."""

from __future__ import annotations

import datetime as dt

import pytest

from site_builder.config import DEFAULT_NAV, NavItem, SiteConfig, config_from_mapping
from site_builder.errors import Problem, Severity
from site_builder.model import Link, Publication, check_url, publication_from_mapping
from site_builder.yamlio import load_yaml

PATH = "content/publications/2023-x-paper.yaml"
SCHEME = "only http, https, mailto and relative URLs are allowed"
KNOWN = "(known: pdf, arxiv, doi, code, project, video, slides, poster, data, url)"
BASE = "title: A Paper\nauthors:\n  - Ada Lovelace\ndate: 2023-11-30\n"  # lines 1-4


def check(text: str, slug: str = "2023-x-paper") -> tuple[Publication | None, list[tuple[int | None, str]]]:
    publication, problems = publication_from_mapping(load_yaml(text, PATH), slug, PATH)
    assert all(p.path == PATH for p in problems)
    return publication, [(p.line, p.message) for p in problems]


def test_a_complete_paper() -> None:
    text = (
        BASE
        + "et_al: true\naffiliations:\n  - cmu\ncategory: cs.CV\nhas_code: true\nscore: 70.1\n"
        + "abstract: Some text.\nvenue: CVPR 2024\ntags:\n  - video\n"
        + "links:\n  code: https://github.com/x/y\n  pdf: https://x.org/p.pdf\n  project: ../../elsewhere/\n"
        + "  url: mailto:ada@example.org\nselected: true\n"
    )
    publication, problems = check(text)
    assert problems == []
    assert publication == Publication(
        slug="2023-x-paper",
        source=PATH,
        title="A Paper",
        authors=("Ada Lovelace",),
        date=dt.date(2023, 11, 30),
        et_al=True,
        affiliations=("cmu",),
        category="cs.CV",
        has_code=True,
        score=70.1,
        abstract="Some text.",
        venue="CVPR 2024",
        tags=("video",),
        links=(
            Link("pdf", "https://x.org/p.pdf"),
            Link("code", "https://github.com/x/y"),
            Link("project", "../../elsewhere/"),
            Link("url", "mailto:ada@example.org"),
        ),
        selected=True,
    )


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("authors:\n  - A B\ndate: 2023-11-30\n", [(1, "missing required key 'title'")]),
        ("\n# comment\nauthors:\n  - A B\ndate: 2023-11-30\n", [(3, "missing required key 'title'")]),
        ("title: A\ndate: 2023-11-30\n", [(1, "missing required key 'authors'")]),
        ("title: A\nauthors:\n  - A B\n", [(1, "missing required key 'date'")]),
        ("title: ''\nauthors:\n  - A B\ndate: 2023-11-30\n", [(1, "'title' must not be empty")]),
        ("title:   \nauthors:\n  - A B\ndate: 2023-11-30\n", [(1, "missing required key 'title'")]),
        (
            "title:\n  - A\nauthors:\n  - A B\ndate: 2023-11-30\n",
            [(1, "'title' must be text, got a list")],
        ),
        (
            "title: true\nauthors:\n  - A B\ndate: 2023-11-30\n",
            [(1, "'title' must be text, got true/false")],
        ),
        (
            "title: A\nauthors:\n  name: A B\ndate: 2023-11-30\n",
            [(2, "'authors' must be a list of text, got a mapping")],
        ),
        ("title: A\nauthors: []\ndate: 2023-11-30\n", [(2, "'authors' must list at least one name")]),
        (
            "title: A\nauthors:\n  - A B\n  - {name: C}\ndate: 2023-11-30\n",
            [(2, "'authors' must be a list of text, got an item that is a mapping")],
        ),
        (
            "title: A\nauthors:\n  - A B\ndate: 2023-02-30\n",
            [(4, "'date' must be a real date as YYYY-MM-DD, got '2023-02-30'")],
        ),
        (
            "title: A\nauthors:\n  - A B\ndate: 2023-13-01\n",
            [(4, "'date' must be a real date as YYYY-MM-DD, got '2023-13-01'")],
        ),
        (
            "title: A\nauthors:\n  - A B\ndate: 2023-1-5\n",
            [(4, "'date' must be a real date as YYYY-MM-DD, got '2023-1-5'")],
        ),
        (
            "title: A\nauthors:\n  - A B\ndate: Nov 30, 2023\n",
            [(4, "'date' must be a real date as YYYY-MM-DD, got 'Nov 30, 2023'")],
        ),
        (
            "title: A\nauthors:\n  - A B\ndate: 2023\n",
            [(4, "'date' must be a real date as YYYY-MM-DD, got 2023")],
        ),
        (BASE + "has_code: 'yes'\n", [(5, "'has_code' must be true or false, got 'yes'")]),
        (BASE + "et_al: 1\n", [(5, "'et_al' must be true or false, got 1")]),
        (BASE + "selected: maybe\n", [(5, "'selected' must be true or false, got 'maybe'")]),
        (BASE + "score: high\n", [(5, "'score' must be a number, got 'high'")]),
        (BASE + "score: true\n", [(5, "'score' must be a number, got True")]),
        (BASE + "score: '70.1'\n", [(5, "'score' must be a number, got '70.1'")]),
        (BASE + "tags: {a: b}\n", [(5, "'tags' must be a list of text, got a mapping")]),
        (BASE + "venue: [a]\n", [(5, "'venue' must be text, got a list")]),
        (BASE + "titel: B\n", [(5, "unknown key 'titel' — did you mean 'title'?")]),
        (BASE + "autors: [B]\n", [(5, "unknown key 'autors' — did you mean 'authors'?")]),
        (BASE + "zzzz: 1\n", [(5, "unknown key 'zzzz'")]),
        (
            BASE + "links:\n  - https://a.org\n",
            [(5, "'links' must be a mapping of kind to URL, got a list")],
        ),
        (
            BASE + "links:\n  pdf: https://a.org/p.pdf\n  github: https://github.com/x\n",
            [(7, f"unknown link kind 'github' {KNOWN}")],
        ),
        (
            BASE + "links:\n  arxv: https://arxiv.org/abs/1\n",
            [(6, f"unknown link kind 'arxv' — did you mean 'arxiv'? {KNOWN}")],
        ),
        (BASE + "links:\n  pdf: 3\n", [(6, "link 'pdf' must be a URL, got int 3")]),
        (
            BASE + "links:\n  pdf: ''\n",
            [(6, "link 'pdf' is not a valid URL (empty, or contains spaces or control characters)")],
        ),
        (
            BASE + "links:\n  pdf: https://a.org/a b.pdf\n",
            [(6, "link 'pdf' is not a valid URL (empty, or contains spaces or control characters)")],
        ),
    ],
)
def test_each_problem_has_its_message_and_line(text: str, problems: list[tuple[int, str]]) -> None:
    publication, found = check(text)
    assert found == problems
    # Without a title, an author or a date the paper is unusable; other mistakes leave it usable.
    fatal = ("missing required key", "'title' must", "'date' must", "'authors' must list")
    required_broken = any(
        m.startswith(fatal) or (m.startswith("'authors'") and m.endswith("got a mapping"))
        for _, m in problems
    )
    assert (publication is None) == required_broken


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(1)", "javascript"),
        ("  javascript:alert(1)", "javascript"),
        ("data:text/html,<script>alert(1)</script>", "data"),
        ("vbscript:msgbox(1)", "vbscript"),
        ("file:///etc/passwd", "file"),
        ("ftp://example.org/paper.pdf", "ftp"),
    ],
)
def test_non_http_link_schemes_are_refused(url: str, scheme: str) -> None:
    text = BASE + f"links:\n  code: https://github.com/x/y\n  pdf: '{url}'\n"
    publication, problems = check(text)
    assert problems == [(7, f"link 'pdf' uses the {scheme!r} scheme; {SCHEME}")]
    assert publication is not None
    assert publication.links == (Link("code", "https://github.com/x/y"),)


@pytest.mark.parametrize("url", ["java\tscript:alert(1)", "javascript:\nalert(1)", "https://a.org/\x01"])
def test_urls_with_control_characters_are_refused(url: str) -> None:
    data = load_yaml(BASE + "links:\n  pdf: x\n", PATH)
    data["links"]["pdf"] = url
    publication, problems = publication_from_mapping(data, "2023-x-paper", PATH)
    assert [(p.line, p.message) for p in problems] == [
        (6, "link 'pdf' is not a valid URL (empty, or contains spaces or control characters)")
    ]
    assert publication is not None and publication.links == ()


def test_every_whitespace_and_control_character_is_refused_in_a_url() -> None:
    """Every code point that str.isspace calls space, or below 32, makes a URL invalid; no other does."""
    chars = [chr(code) for code in range(0x110000)]
    bad = [char for char in chars if char.isspace() or ord(char) < 32]
    assert len(bad) > 32
    for char in bad:
        assert check_url(f"https://a.org/{char}x") is not None, hex(ord(char))
    good = [char for char in chars if not (char.isspace() or ord(char) < 32)]
    for start in range(0, len(good), 1000):  # a URL refused for any of them would fail
        assert check_url("https://a.org/" + "".join(good[start : start + 1000])) is None, start


def test_every_problem_is_reported_at_once() -> None:
    text = (
        "titel: Typo\n"  # 1
        "authors: Ada Lovelace\n"  # 2: a single string is accepted as one author
        "date: 2023-02-30\n"  # 3
        "has_code: 'no'\n"  # 4
        "score: lots\n"  # 5
        "links:\n"  # 6
        "  pdf: javascript:alert(1)\n"  # 7
        "  github: https://github.com/x\n"  # 8
        "  code: https://github.com/x\n"  # 9
    )
    publication, problems = check(text, slug="Bad_Slug")
    assert publication is None
    assert sorted(problems, key=lambda p: (p[0] or 0, p[1])) == [
        (None, "file name 'Bad_Slug' is not a valid slug (lowercase a-z, 0-9 and '-')"),
        (1, "missing required key 'title'"),
        (1, "unknown key 'titel' — did you mean 'title'?"),
        (3, "'date' must be a real date as YYYY-MM-DD, got '2023-02-30'"),
        (4, "'has_code' must be true or false, got 'no'"),
        (5, "'score' must be a number, got 'lots'"),
        (7, f"link 'pdf' uses the 'javascript' scheme; {SCHEME}"),
        (8, f"unknown link kind 'github' {KNOWN}"),
    ]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_a_paper_must_be_a_mapping(text: str) -> None:
    data = load_yaml(text, PATH)
    publication, problems = publication_from_mapping(data, "2023-x", PATH)
    assert publication is None
    assert len(problems) == 1 and problems[0].line == 1
    assert problems[0].message.startswith("a publication file must be a mapping of keys, got ")


# --- site.yaml ---------------------------------------------------------------------------------


def config(text: str) -> tuple[SiteConfig | None, list[tuple[int | None, str]]]:
    result, problems = config_from_mapping(load_yaml(text, "site.yaml"), "site.yaml")
    assert all(p.path == "site.yaml" and p.severity is Severity.ERROR for p in problems)
    return result, [(p.line, p.message) for p in problems]


def test_a_complete_config() -> None:
    text = (
        "title: Lab\ndescription: We study things.\nbase_url: https://lab.example.org\nlanguage: de\n"
        "author: Ada\nintro: Hello *world*.\nmembers:\n  - Ada Lovelace\n  - Grace Hopper\n"
        "nav:\n  - title: Home\n    url: ''\n  - title: Papers\n    url: /publications/\n"
        "repository: https://github.com/lab/site/\nfooter: Made here.\n"
    )
    result, problems = config(text)
    assert problems == []
    assert result == SiteConfig(
        title="Lab",
        description="We study things.",
        base_url="https://lab.example.org/",
        language="de",
        author="Ada",
        intro="Hello *world*.",
        members=("Ada Lovelace", "Grace Hopper"),
        nav=(NavItem("Home", ""), NavItem("Papers", "publications/")),
        repository="https://github.com/lab/site",
        footer="Made here.",
    )


def test_config_defaults() -> None:
    result, problems = config("title: Lab\n")
    assert problems == []
    assert result == SiteConfig(title="Lab", nav=DEFAULT_NAV)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("description: x\n", [(1, "missing required key 'title'")]),
        ("title: Lab\ntitel: Lab\n", [(2, "unknown key 'titel' — did you mean 'title'?")]),
        ("title: Lab\nmember:\n  - A\n", [(2, "unknown key 'member' — did you mean 'members'?")]),
        (
            "title: Lab\nbase_url: ftp://lab.org/\n",
            [(2, "'base_url' must start with http:// or https://, got 'ftp://lab.org/'")],
        ),
        (
            "title: Lab\nbase_url: lab.org\n",
            [(2, "'base_url' must start with http:// or https://, got 'lab.org'")],
        ),
        ("title: Lab\nmembers:\n  a: b\n", [(2, "'members' must be a list of text, got a mapping")]),
        (
            "title: Lab\nnav: Home\n",
            [(2, "'nav' must be a list of {title, url} entries, got str 'Home'")],
        ),
        (
            "title: Lab\nnav:\n  - title: Home\n    url: ''\n  - title: Papers\n",
            [(5, "each 'nav' entry needs a 'title' and a 'url' (text)")],
        ),
        (
            "title: Lab\nnav:\n  - title: Evil\n    url: javascript:alert(1)\n",
            [(3, f"nav url uses the 'javascript' scheme; {SCHEME}")],
        ),
        (
            "title: Lab\nrepository: javascript:alert(1)\n",
            [(2, f"'repository' uses the 'javascript' scheme; {SCHEME}")],
        ),
    ],
)
def test_config_problems(text: str, problems: list[tuple[int, str]]) -> None:
    _, found = config(text)
    assert found == problems


def test_config_reports_every_problem_at_once() -> None:
    text = (
        "titel: Lab\n"  # 1
        "base_url: ftp://x.org\n"  # 2
        "members: {a: b}\n"  # 3
        "nav:\n"  # 4
        "  - title: Evil\n"  # 5
        "    url: javascript:alert(1)\n"
        "  - url: x/\n"  # 7
    )
    result, problems = config(text)
    assert result is None
    assert sorted(problems, key=lambda p: (p[0] or 0, p[1])) == [
        (1, "missing required key 'title'"),
        (1, "unknown key 'titel' — did you mean 'title'?"),
        (2, "'base_url' must start with http:// or https://, got 'ftp://x.org'"),
        (3, "'members' must be a list of text, got a mapping"),
        (5, f"nav url uses the 'javascript' scheme; {SCHEME}"),
        (7, "each 'nav' entry needs a 'title' and a 'url' (text)"),
    ]


def test_config_must_be_a_mapping() -> None:
    result, problems = config_from_mapping(load_yaml("- a\n", "site.yaml"), "site.yaml")
    assert result is None
    assert problems == [Problem("site.yaml", 1, "site.yaml must be a mapping of keys, got a list")]


def test_two_files_of_one_slug_are_reported_by_their_paths(tmp_path, monkeypatch) -> None:
    from site_builder.loader import load_publications

    folder = tmp_path / "content" / "publications"
    folder.mkdir(parents=True)
    paper = 'title: "A"\nauthors: ["Ada Lovelace"]\ndate: "2024-01-02"\n'
    (folder / "paper-a.yaml").write_text(paper)
    (folder / "paper-a.yml").write_text(paper.replace('"A"', '"B"'))
    monkeypatch.chdir(tmp_path)
    publications, problems = load_publications(tmp_path / "content")
    assert [p.title for p in publications] == ["A"]
    assert [str(p) for p in problems if "slug" in p.message] == [
        "content/publications/paper-a.yml: duplicate slug 'paper-a': also content/publications/paper-a.yaml"
    ]
