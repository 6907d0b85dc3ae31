"""Real builds of a small hand-written project: pages, links, escaping, determinism, safe output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.errors import Problem, ProblemsError, SiteBuilderError

from .conftest import REPO
from .helpers import (
    Element,
    find,
    make_project,
    parse_file,
    resolve,
    run_cli,
    snapshot,
    squash,
    tree,
    write_paper,
)

PAPERS = {
    "2024-lovelace-engines": """\
title: Analytical Engines Revisited
authors:
  - Ada Lovelace
  - Alan Turing
  - Grace Hopper
et_al: false
affiliations:
  - cam
date: 2024-05-02
category: cs.CV
has_code: true
score: 70.1
abstract: >-
  Accuracy rose to 58.5\\% on ''quoted'' cases, pages 10--20, a pause---then
  the loss $x^2$ fell. See https://example.org/a--b/ for more.
venue: CVPR 2024
tags:
  - engines
links:
  pdf: https://example.org/engines.pdf
  arxiv: https://arxiv.org/abs/2401.00001
  code: https://github.com/example/engines
  project: https://example.org/engines/
  video: https://example.org/engines.mp4
  slides: https://example.org/engines-slides.pdf
  poster: https://example.org/engines-poster.pdf
selected: true
""",
    "2024-turing-script": """\
title: '<script>alert(1)</script>'
authors:
  - Alan Turing
date: 2024-01-15
category: cs.LG
has_code: false
abstract: 'Look <img src=x onerror=alert(1)> and [x](javascript:alert(1)) here.'
""",
    "2023-hopper-template": """\
title: 'Why {{ 7*7 }} matters'
authors:
  - Grace Hopper
  - Edsger Dijkstra
date: 2023-11-30
category: cs.LG
has_code: false
abstract: Plain abstract of the template paper.
""",
    "2021-dijkstra-goto": """\
title: Go To Statement Considered Harmful Again
authors:
  - Edsger Dijkstra
et_al: true
date: 2021-03-01
has_code: true
score: 12
abstract: Old abstract about goto.
links:
  code: https://example.org/goto
""",
}
# Newest first, as the publications page must list them.
ORDER = [
    (2024, "2024-lovelace-engines", "Analytical Engines Revisited"),
    (2024, "2024-turing-script", "<script>alert(1)</script>"),
    (2023, "2023-hopper-template", "Why {{ 7*7 }} matters"),
    (2021, "2021-dijkstra-goto", "Go To Statement Considered Harmful Again"),
]
HAS_CODE = {"2024-lovelace-engines", "2021-dijkstra-goto"}
MEMBERS_OF = {
    "2024-lovelace-engines": ["Ada Lovelace", "Grace Hopper"],
    "2024-turing-script": [],
    "2023-hopper-template": ["Grace Hopper"],
    "2021-dijkstra-goto": [],
}
# The theme's own inline scripts, exactly as its templates write them; nothing else may appear.
ALLOWED_INLINE_SCRIPTS = {
    body.strip()
    for template in (REPO / "templates").glob("*.html")
    for body in re.findall(r"<script>(.*?)</script>", template.read_text(encoding="utf-8"), re.S)
}


def new_project(root: Path) -> Path:
    project = make_project(root)
    for slug, text in PAPERS.items():
        write_paper(project, slug, text)
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the project once for the read-only assertions; return (project, out)."""
    base = tmp_path_factory.mktemp("built")
    project = new_project(base / "proj")
    build(project, base / "out")
    return project, base / "out"


def pages(out: Path) -> dict[str, list[Element]]:
    return {p.relative_to(out).as_posix(): parse_file(p) for p in sorted(out.rglob("*.html"))}


def paper_items(elements: list[Element]) -> dict[str, Element]:
    return {e.attrs["id"] or "": e for e in find(elements, "li", "paper")}


def within(elements: list[Element], container: Element) -> list[Element]:
    return [e for e in elements if any(p is container for p in e.parents)]


# --- pages and structure ----------------------------------------------------------------


def test_expected_pages_exist(built: tuple[Path, Path]) -> None:
    _, out = built
    expected = ["index.html", "publications/index.html", "404.html"]
    expected += [f"publications/{slug}/index.html" for slug in PAPERS]
    for rel in expected:
        assert (out / rel).is_file(), rel
    detail_pages = sorted(p.parent.name for p in (out / "publications").glob("*/index.html"))
    assert detail_pages == sorted(PAPERS)


def test_publications_page_lists_newest_first_grouped_by_year(built: tuple[Path, Path]) -> None:
    _, out = built
    page = "publications/index.html"
    elements = parse_file(out / page)
    sections = find(elements, "section", "year")
    years = []
    for section in sections:
        (h2,) = [e for e in within(elements, section) if e.tag == "h2"]
        years.append(int(squash(h2.text).split()[0]))
    assert years == [2024, 2023, 2021]
    assert len(find(elements, "h2")) == len(years)  # one h2 per year, nothing else

    year_of = {id(section): year for section, year in zip(sections, years, strict=True)}
    listed = []
    for a in find(elements, "a"):
        if a.inside("h3", "paper-title") is None:
            continue
        holder = a.inside("section", "year")
        assert holder is not None
        year = year_of[id(holder)]
        listed.append((year, a.attrs["href"], squash(a.text)))
    assert [(y, t) for y, _, t in listed] == [(y, t) for y, _, t in ORDER]
    for (_, href, _), (_, slug, _) in zip(listed, ORDER, strict=True):
        assert href is not None
        assert href.endswith(f"{slug}/"), href
        assert not href.startswith("/") and "://" not in href
        target = resolve(page, href)
        assert target == f"publications/{slug}/index.html"
        assert (out / target).is_file()


def test_every_internal_link_is_relative_and_resolves(built: tuple[Path, Path]) -> None:
    _, out = built
    checked = 0
    for page, elements in pages(out).items():
        for element in elements:
            for attr in ("href", "src"):
                url = element.attrs.get(attr)
                if url is None:
                    continue
                assert not url.startswith("/"), f"{page}: absolute {attr}={url!r}"
                assert not re.match(r"https?://(127\.|localhost|0\.0\.0\.0)", url), f"{page}: {url!r}"
                if re.match(r"(https?|mailto):", url):
                    continue
                target = resolve(page, url)
                assert target is not None and not target.startswith(".."), f"{page}: {url!r}"
                assert (out / target).is_file(), f"{page}: {attr}={url!r} -> {target} missing"
                checked += 1
    assert checked > 30  # stylesheets, icons, navigation, titles, pager, breadcrumbs


def test_members_are_highlighted_and_others_are_not(built: tuple[Path, Path]) -> None:
    _, out = built
    for page in ("publications/index.html", "index.html"):
        elements = parse_file(out / page)
        items = paper_items(elements)
        assert set(items) == set(PAPERS)
        for slug, item in items.items():
            members = [squash(e.text) for e in within(elements, item) if "member" in e.classes]
            assert members == MEMBERS_OF[slug], (page, slug)
    for slug in PAPERS:
        elements = parse_file(out / "publications" / slug / "index.html")
        (authors,) = find(elements, "p", "authors")
        members = [squash(e.text) for e in within(elements, authors) if "member" in e.classes]
        assert members == MEMBERS_OF[slug], slug
    first = parse_file(out / "publications/2024-lovelace-engines/index.html")
    (authors,) = find(first, "p", "authors")
    assert squash(authors.text) == "Ada Lovelace, Alan Turing, Grace Hopper"
    last = parse_file(out / "publications/2021-dijkstra-goto/index.html")
    (authors,) = find(last, "p", "authors")
    assert squash(authors.text) == "Edsger Dijkstra, et al."
    for page, elements in pages(out).items():
        for element in elements:
            if "member" in element.classes and "chip" not in element.classes:
                assert squash(element.text) in {"Ada Lovelace", "Grace Hopper"}, page
    # The author filter marks the same people, and only them, as members.
    elements = parse_file(out / "publications/index.html")
    member_chips = {
        e.attrs["value"]
        for e in elements
        if e.tag == "input" and (chip := e.inside("label", "chip")) is not None and "member" in chip.classes
    }
    assert member_chips == {"ada-lovelace", "grace-hopper"}


def test_code_badge_only_on_papers_with_code(built: tuple[Path, Path]) -> None:
    _, out = built
    elements = parse_file(out / "publications/index.html")
    for slug, item in paper_items(elements).items():
        badges = [squash(e.text) for e in within(elements, item) if "badge" in e.classes]
        assert ("Code" in badges) == (slug in HAS_CODE), (slug, badges)


def test_abstract_is_in_details_on_the_list_page(built: tuple[Path, Path]) -> None:
    _, out = built
    elements = parse_file(out / "publications/index.html")
    items = paper_items(elements)
    for slug, snippet in [
        ("2023-hopper-template", "Plain abstract of the template paper."),
        ("2021-dijkstra-goto", "Old abstract about goto."),
        ("2024-lovelace-engines", "Accuracy rose to 58.5%"),
    ]:
        details = [e for e in within(elements, items[slug]) if e.tag == "details"]
        assert len(details) == 1, slug
        assert snippet in squash(details[0].text), slug
    for prose in find(elements, "div", "prose"):
        assert prose.inside("details") is not None


def test_detail_page_cleans_latex_and_renders_math(built: tuple[Path, Path]) -> None:
    _, out = built
    elements = parse_file(out / "publications/2024-lovelace-engines/index.html")
    (section,) = [
        e for e in find(elements, "section") if e.attrs.get("aria-labelledby") == "abstract-heading"
    ]
    (prose,) = [e for e in within(elements, section) if "prose" in e.classes]
    text = squash(prose.text)
    assert "58.5% on \u201cquoted\u201d cases, pages 10\u201320, a pause\u2014then the loss" in text
    assert "\\%" not in text and "''" not in text and "$" not in text
    maths = [e for e in within(elements, prose) if e.tag == "math"]
    assert len(maths) == 1
    inner = within(elements, maths[0])
    (sup,) = [e for e in inner if e.tag == "msup"]
    assert [(e.tag, e.text) for e in within(elements, sup) if e.tag in ("mi", "mn")] == [
        ("mi", "x"),
        ("mn", "2"),
    ]
    links = [e.attrs.get("href") for e in within(elements, prose) if e.tag == "a"]
    assert links == ["https://example.org/a--b/"]  # a URL keeps its "--"
    assert "See https://example.org/a--b/ for more." in text


def test_detail_page_facts_and_links(built: tuple[Path, Path]) -> None:
    _, out = built
    elements = parse_file(out / "publications/2024-lovelace-engines/index.html")
    (h1,) = find(elements, "h1")
    assert squash(h1.text) == "Analytical Engines Revisited"
    (ul,) = [u for u in find(elements, "ul", "links") if u.inside("ol", "related") is None]
    buttons = [(squash(a.text), a.attrs["href"]) for a in within(elements, ul) if a.tag == "a"]
    assert buttons == [
        ("PDF", "https://example.org/engines.pdf"),
        ("arXiv", "https://arxiv.org/abs/2401.00001"),
        ("Code", "https://github.com/example/engines"),
        ("Project", "https://example.org/engines/"),
        ("Video", "https://example.org/engines.mp4"),
        ("Slides", "https://example.org/engines-slides.pdf"),
        ("Poster", "https://example.org/engines-poster.pdf"),
    ]
    (time,) = [t for t in find(elements, "time") if t.inside("ol", "related") is None]
    assert time.attrs["datetime"] == "2024-05-02"


# --- escaping -------------------------------------------------------------------------------


def test_no_injected_script_handler_or_javascript_url(built: tuple[Path, Path]) -> None:
    _, out = built
    for page, elements in pages(out).items():
        for element in elements:
            assert not any(name.startswith("on") for name in element.attrs), (page, element.attrs)
            assert element.tag != "img", (page, element.attrs)
            for attr in ("href", "src", "action", "formaction", "data"):
                value = element.attrs.get(attr)
                if value is not None:
                    compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                    assert not compact.startswith("javascript:"), (page, attr, value)
            if element.tag == "script":
                src, kind = element.attrs.get("src"), element.attrs.get("type")
                if src is not None:
                    assert src.endswith(("static/js/publications.js", "static/js/paper.js")), page
                    assert element.text == "", page
                elif kind == "application/ld+json":
                    assert "<" not in element.text, page
                    assert json.loads(element.text)["@type"] == "ScholarlyArticle"
                elif kind == "application/json":
                    assert element.attrs.get("id") == "pub-index"
                    assert "<" not in element.text, page  # nothing can close the element early
                    index = json.loads(element.text)  # the JSON did not break out of its element
                    assert "<script>alert(1)</script>" in json.dumps(index, ensure_ascii=False)
                else:
                    assert element.text.strip() in ALLOWED_INLINE_SCRIPTS, (page, element.text)
        raw = (out / page).read_text(encoding="utf-8")
        assert "<script>alert" not in raw and "<img" not in raw, page


def test_hostile_title_and_abstract_show_as_text(built: tuple[Path, Path]) -> None:
    _, out = built
    elements = parse_file(out / "publications/2024-turing-script/index.html")
    (h1,) = find(elements, "h1")
    assert h1.text == "<script>alert(1)</script>"
    (title,) = find(elements, "title")
    assert title.text.startswith("<script>alert(1)</script> · ")
    (section,) = [
        e for e in find(elements, "section") if e.attrs.get("aria-labelledby") == "abstract-heading"
    ]
    (prose,) = [e for e in within(elements, section) if "prose" in e.classes]
    assert squash(prose.text) == "Look <img src=x onerror=alert(1)> and x here."
    listing = parse_file(out / "publications/index.html")
    titles = [squash(a.text) for a in find(listing, "a") if a.inside("h3", "paper-title")]
    assert "<script>alert(1)</script>" in titles


def test_template_syntax_in_content_is_not_evaluated(built: tuple[Path, Path]) -> None:
    _, out = built
    elements = parse_file(out / "publications/2023-hopper-template/index.html")
    (h1,) = find(elements, "h1")
    assert h1.text == "Why {{ 7*7 }} matters"
    listing = parse_file(out / "publications/index.html")
    titles = [squash(a.text) for a in find(listing, "a") if a.inside("h3", "paper-title")]
    assert "Why {{ 7*7 }} matters" in titles
    assert "Why 49 matters" not in titles


# --- determinism and the CLI ---------------------------------------------------------------


def test_two_builds_are_byte_identical_and_match_the_cli(tmp_path: Path) -> None:
    project = new_project(tmp_path / "proj")
    build(project, tmp_path / "a")
    build(project, tmp_path / "b")
    a = {k: v[0] for k, v in snapshot(tmp_path / "a").items()}
    b = {k: v[0] for k, v in snapshot(tmp_path / "b").items()}
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []

    # Another process with another hash seed must write the same bytes.
    done = run_cli(
        "--root", project, "build", "--out", tmp_path / "cli", cwd=tmp_path, env={"PYTHONHASHSEED": "4242"}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("built 4 papers, ")
    assert "Traceback" not in done.stderr
    c = {k: v[0] for k, v in snapshot(tmp_path / "cli").items()}
    assert sorted(c) == sorted(a)
    assert [k for k in a if a[k] != c[k]] == []


def test_venues_and_tags_folded_alike_are_in_one_order_whatever_the_hash_seed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    for i, (venue, tag) in enumerate(
        [("iccv 2021", "Vision"), ("ICCV 2021", "vision"), ("Iccv 2021", "VISION")]
    ):
        write_paper(
            project,
            f"2021-paper-{i}",
            f"title: Paper {i}\nauthors: [Ada Lovelace]\ndate: 2021-01-0{i + 1}\n"
            f"venue: {venue}\ntags: [{tag}]\n",
        )
    pages = []
    for seed in ("1", "2", "3", "4"):  # sets of strings iterate in another order under each seed
        out = tmp_path / f"out-{seed}"
        done = run_cli("--root", project, "build", "--out", out, cwd=tmp_path, env={"PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        pages.append((out / "publications" / "index.html").read_text(encoding="utf-8"))
    assert all(page == pages[0] for page in pages)
    assert '"venues":["ICCV 2021","Iccv 2021","iccv 2021"]' in pages[0]  # folded alike: then as written
    assert '"tags":["VISION","Vision","vision"]' in pages[0]


# --- failures leave the output alone ------------------------------------------------------


def test_bad_date_fails_and_keeps_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path / "proj")
    out = tmp_path / "out"
    build(project, out)
    before, around = snapshot(out), tree(tmp_path)
    write_paper(project, "2023-bad-date", "title: Bad\nauthors:\n  - X Y\ndate: 2023-02-30\n")
    around = tree(tmp_path)
    with pytest.raises(ProblemsError) as info:
        build(project, out)
    assert info.value.problems == [
        Problem(
            "proj/content/publications/2023-bad-date.yaml",
            4,
            "'date' must be a real date as YYYY-MM-DD, got '2023-02-30'",
        )
    ]
    assert snapshot(out) == before
    assert tree(tmp_path) == around  # no staging folder left behind


def test_template_error_fails_and_keeps_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path / "proj")
    out = tmp_path / "out"
    build(project, out)
    before = snapshot(out)
    (project / "templates" / "404.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{{ no_such_name }}\n{% endblock %}\n'
    )
    around = tree(tmp_path)
    with pytest.raises(ProblemsError) as info:
        build(project, out)
    ((path, line, message),) = [(p.path, p.line, p.message) for p in info.value.problems]
    assert (path, line) == ("proj/templates/404.html", 3)
    assert "no_such_name" in message and "undefined" in message
    assert snapshot(out) == before
    assert tree(tmp_path) == around


@pytest.mark.parametrize(
    "target",
    ["", "content", "templates", "static", "content/publications", "static/css", ".."],
    ids=["root", "content", "templates", "static", "content-sub", "static-sub", "parent"],
)
def test_building_into_a_source_folder_is_refused(tmp_path: Path, target: str) -> None:
    project = new_project(tmp_path / "proj")
    out = (project / target) if target else project
    before = snapshot(tmp_path)
    with pytest.raises(SiteBuilderError, match="refusing to build into"):
        build(project, out)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("rel", ["../x", "a/../../b", "a/..", "/etc/passwd", "", ".", "./", "a\\b", "a\x00b"])
def test_output_paths_that_would_leave_the_folder_are_refused(tmp_path: Path, rel: str) -> None:
    from site_builder.output import Writer, safe_join

    with pytest.raises(SiteBuilderError, match="outside the output folder"):
        safe_join(tmp_path, rel)
    with pytest.raises(SiteBuilderError, match="outside the output folder"):
        Writer(tmp_path / "out", fresh=True).write(rel, b"x")
    assert not (tmp_path / "x").exists() and not (tmp_path / "out").exists()


def test_a_file_given_in_parts_is_written_whole_in_their_order(tmp_path: Path) -> None:
    from site_builder.output import Writer

    parts = [b"%d," % i for i in range(3000)]  # more than one writev() takes
    parts[7] = b""
    views = [memoryview(part) for part in parts]
    for fresh in (True, False):
        writer = Writer(tmp_path / str(fresh), fresh=fresh)
        writer.write("a/big.txt", views)
        writer.write("a/big.txt" if not fresh else "a/other.txt", parts)
        writer.close()
        expected = b"".join(parts)
        assert (tmp_path / str(fresh) / "a" / "big.txt").read_bytes() == expected
        assert not [p.name for p in (tmp_path / str(fresh) / "a").iterdir() if p.name.startswith(".")]


def test_output_paths_inside_the_folder_are_written(tmp_path: Path) -> None:
    from site_builder.output import Writer

    writer = Writer(tmp_path, fresh=True)
    writer.write("a/b/c.html", b"<p>c</p>")
    writer.write("a/d.txt", b"d")
    assert (tmp_path / "a" / "b" / "c.html").read_bytes() == b"<p>c</p>"
    assert (tmp_path / "a" / "d.txt").read_bytes() == b"d"
    with pytest.raises(SiteBuilderError, match="two outputs want the same path"):
        writer.write("a/d.txt", b"again")
