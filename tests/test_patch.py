"""Quick rebuilds (patch.py): an edit to papers' text is spliced into the pages, exactly as a cold build.

Every test compares the whole output folder with a build from scratch of the same content,
and checks which way the rebuild went (the quick one reports "patching" and reads nothing
else; the usual one goes on to "reading").
"""

from __future__ import annotations

import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import site_builder.patch
import site_builder.render
from site_builder.build import build
from site_builder.errors import ProblemsError
from site_builder.output import Writer, joined
from site_builder.serve import Preview

from .helpers import files, make_project, snapshot, write_paper

SITE = """\
title: Test Lab
description: A lab used by the tests.
author: Test Lab
base_url: https://lab.example.org/
members:
  - Ada Lovelace
  - Grace Hopper
"""

PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Emmy Noether", "Kurt Gödel", "Lise Meitner"]
WORDS = ["Learning", "Learning", "Learning", "Sparse", "Robust", "Learning", "Dense", "Learning"]


def paper_text(i: int) -> str:
    """Return a paper file: papers share days, first authors and first title words (key clashes)."""
    first = PEOPLE[i % 3]  # three first authors …
    authors = [first, PEOPLE[(i + 2) % 6], PEOPLE[(i + 4) % 6]]
    day = 1 + (i % 5) * 3  # … five days per year, several papers on each
    year = 2021 + i % 3
    links = f'  pdf: "https://arxiv.org/pdf/2101.{i:05d}"\n'
    if i % 4 == 0:
        links += f'  code: "https://github.com/lab/p{i}"\n'
    return (
        f'title: "{WORDS[i % len(WORDS)]} things number {i} <b>with</b> & markup"\n'
        f"authors: [{', '.join(repr(a) for a in authors)}]\n"
        f'date: "{year}-03-{day:02d}"\n'
        f'category: "{["cs.CV", "cs.LG", "cs.CL"][i % 3]}"\n'
        f"tags: [{'vision' if i % 2 else 'language'}, {'video' if i % 5 == 0 else 'audio'}]\n"
        f'venue: "{["CVPR", "NeurIPS", "ACL"][i % 3]} {year}"\n'
        f"has_code: {'true' if i % 4 == 0 else 'false'}\n"
        f"selected: {'true' if i == 7 else 'false'}\n"
        f"links:\n{links}"
        "abstract: |\n"
        f"  We study *thing* {i} with $x^{i % 4 + 2}$ and `code`; results improve by {i}\\%.\n"
    )


PAPERS = 36


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built project whose list page shows 8 papers (the rest are on year pages)."""
    monkeypatch.setattr(site_builder.render, "LIST_HTML_LIMIT", 8)
    project = make_project(tmp_path / "project", SITE)
    for i in range(PAPERS):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out")
    return project


def rebuild(project: Path) -> list[str]:
    """Rebuild ``project`` into its output folder; return the stages it went through."""
    stages: list[str] = []
    build(project, project.parent / "out", progress=lambda stage, done, total: stages.append(stage))
    return list(dict.fromkeys(stages))


def assert_as_cold(project: Path) -> None:
    cold = project.parent / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    build(project, cold, use_cache=False)
    built, expected = files(project.parent / "out"), files(cold)
    assert built.keys() == expected.keys()
    assert [rel for rel in built if built[rel] != expected[rel]] == []


def change(project: Path, slug: str, pattern: str, replacement: str) -> None:
    path = project / "content" / "publications" / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    new = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert new != text
    path.write_text(new, encoding="utf-8")


QUICK = ["patching", "saving the cache"]


@pytest.mark.parametrize(
    ("slug", "pattern", "replacement"),
    [
        ("paper-20", r"things number", "things, numbered"),  # same first word: same key
        ("paper-00", r"^title: \"Learning", 'title: "Teaching'),  # leaves a clash group: letters shift
        ("paper-03", r"^title: \"Sparse", 'title: "Learning'),  # joins one
        ("paper-11", r"results improve", "results **really** improve, see $y_2$,"),  # the abstract
        ("paper-13", r"^links:\n", 'links:\n  slides: "https://example.org/s.pdf"\n'),  # a link
        ("paper-35", r"things number", "Things Number"),  # the newest: home page and feed
        ("paper-08", r"<b>with</b>", "<script>alert(1)</script>"),  # escaped as everywhere
        # who wrote it: authors' pages, the author index, the sitemap, the filters, related papers
        ("paper-05", r"^authors: \[", "authors: ['Marie Curie', "),  # a new author: a page of her own
        ("paper-05", r", 'Emmy Noether'", ""),  # an author leaves: her page lists one paper less
        ("paper-05", r"'Emmy Noether'", "'Ada Lovelace'"),  # a member instead: member flags, counts
        ("paper-05", r"\['Alan Turing', ", "['Lise Meitner', 'Alan Turing', "),  # a new first author:
        # the paper's citation key and those of its old and new clash group, and the duplicates' check
        ("paper-35", r"^authors: \[", "authors: ['Zoë Ärger', 'Marie Curie', "),  # the newest: home, feed
        ("paper-12", r"'Kurt Gödel'", "'Kurt Gödel', 'Kurt Gödel'"),  # twice on one paper
        # where it appeared: the venue facet's counts, and its numbering when a venue comes or goes
        ("paper-05", r'^venue: "ACL 2023"', 'venue: "CVPR 2021"'),  # to another venue of the site
        ("paper-05", r'^venue: "', 'venue: "Workshop at '),  # a venue new to the site
        ("paper-05", r'^venue: "', 'venue: "AAAI at '),  # new, and first in the facet
        ("paper-05", r'^venue: ".*"\n', ""),  # no venue any more
        ("paper-34", r'^venue: ".*"\n', 'venue: "acl 2023"\n'),  # folded as ACL 2023, but another venue
        # how it is tagged: the tag facet, its numbering, and the related papers of those sharing a tag
        ("paper-05", r"^tags: \[", "tags: [new, "),  # a tag new to the site
        ("paper-05", r"^tags: \[[^\]]*\]", "tags: [vision]"),  # one tag less
        ("paper-05", r"^tags: .*\n", ""),  # none
        ("paper-10", r"^tags: \[", "tags: [Video, "),  # folded as video, but another tag
        ("paper-35", r"^tags: \[[^\]]*\]", "tags: [audio, language, vision]"),  # the newest
        ("paper-05", r"^has_code: false", "has_code: true"),  # the count of papers with code
        ("paper-07", r"things number", "stuff number"),  # selected: named on the home page
        ("paper-07", r'^venue: ".*"', 'venue: "Selected Workshop"'),  # its venue named there too
        ("paper-04", r"^has_code: true", "has_code: false"),
        # its category: the topic facet, its numbering, and related papers
        ("paper-05", r'^category: "[^"]*"', 'category: "cs.RO"'),  # new to the site
        ("paper-05", r'^category: "[^"]*"', 'category: "cs.LG"'),  # another of the site's
        ("paper-05", r"^category: .*\n", ""),  # none
        ("paper-05", r'^category: "[^"]*"', 'category: "astro-ph.CO"'),  # first in the facet
        # a new day of the same year that leaves the paper between its neighbours in the lists:
        # its entries, row, BibTeX, page and line in the sitemap, and its clash group's letters
        # (given by date: paper-09 and paper-24, both of 2021-03-13, swap theirs)
        ("paper-24", r'^date: "2021-03-13"', 'date: "2021-03-12"'),  # last of its day, a day earlier
        ("paper-09", r'^date: "2021-03-13"', 'date: "2021-03-14"'),  # first of its day, a day later
        ("paper-14", r'^date: "2023-03-13"', 'date: "2023-12-31"'),  # the newest: home page and feed
        # whether it is selected: its entries' badge, its row's flags, the filters' "Selected"
        # count, and the home page's list of the newest selected papers
        ("paper-05", r"^selected: false", "selected: true"),  # newer than paper-07: named first
        ("paper-00", r"^selected: false", "selected: true"),  # older: named after it
    ],
)
@pytest.mark.parametrize("mapped", [False, True], ids=["read", "mapped"])
def test_a_text_or_authors_edit_is_spliced_in_and_equals_a_cold_build(
    site: Path, slug: str, pattern: str, replacement: str, mapped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each kind of edit; its pages read as bytes (small ones, as here) or mapped (large ones)."""
    if mapped:
        monkeypatch.setattr(site_builder.patch, "MAPPED_FROM", 1)
    change(site, slug, pattern, replacement)
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    assert rebuild(site) == []  # nothing more to do


def test_quick_rebuilds_in_a_row_then_a_full_one_stay_equal_to_cold_builds(site: Path) -> None:
    out = site.parent / "out"
    before = snapshot(out)
    change(site, "paper-00", r"^title: \"Learning", 'title: "Teaching')
    change(site, "paper-01", r"things number", "items number")
    assert rebuild(site) == QUICK  # two papers at once
    assert_as_cold(site)
    after = snapshot(out)
    kept = [rel for rel in before if rel in after and after[rel][0] == before[rel][0]]
    assert len(kept) > len(before) / 2 and all(after[rel][1] == before[rel][1] for rel in kept)
    change(site, "paper-00", r"^title: \"Teaching", 'title: "Learning')  # back into its group
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    change(site, "paper-04", r"^affiliations:.*\n|^date:", 'affiliations: ["Lab"]\ndate:')
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    # a change to site.yaml rebuilds the usual way, from the cache the quick rebuilds kept up to date
    (site / "site.yaml").write_text(SITE.replace("A lab used", "The lab used"), encoding="utf-8")
    assert "reading" in rebuild(site)
    assert_as_cold(site)
    change(site, "paper-01", r"items number", "things number")  # and quick again after it
    assert rebuild(site) == QUICK
    assert_as_cold(site)


@pytest.mark.parametrize(
    ("slug", "pattern", "replacement"),
    [
        ("paper-05", r"^date: \"(\d+)-03", r'date: "\1-04'),  # moves in the lists
        ("paper-24", r'^date: "2021-03-13"', 'date: "2021-03-10"'),  # after paper-18, of that day
        ("paper-09", r'^date: "2021-03-13"', 'date: "2022-03-13"'),  # another year: its year page
        ("paper-14", r"Kurt Gödel", "Kurt Godel"),  # his newest paper: his name as shown everywhere
        ("paper-07", r"^selected: true", "selected: false"),  # the only one: the home page's section goes
    ],
)
def test_an_edit_to_the_site_shape_takes_the_usual_way(
    site: Path, slug: str, pattern: str, replacement: str
) -> None:
    change(site, slug, pattern, replacement)
    stages = rebuild(site)
    assert stages[0] == "patching" and "reading" in stages
    assert_as_cold(site)


def test_venue_tags_and_category_edits_in_a_row_stay_equal_to_cold_builds(site: Path) -> None:
    steps = [
        ("paper-05", r'^venue: ".*"', 'venue: "Zeta Workshop"'),  # new, and last in the facet
        ("paper-06", r'^venue: ".*"', 'venue: "Zeta Workshop"'),  # joins it
        ("paper-05", r'^venue: ".*"', 'venue: "Alpha Workshop"'),  # leaves it for a new first one
        ("paper-06", r'^venue: ".*"', 'venue: "Beta Workshop"'),  # the last paper leaves: its box goes
        ("paper-05", r'^venue: ".*"', 'venue: "Beta Workshop"'),  # and the first new one's
        ("paper-05", r'^venue: ".*"', 'venue: "CVPR 2021"'),
        ("paper-06", r'^venue: ".*"', 'venue: "CVPR 2021"'),  # every venue as a cold build has them
    ]
    for slug, pattern, replacement in steps:
        change(site, slug, pattern, replacement)
        assert rebuild(site) == QUICK, (slug, replacement)
        assert_as_cold(site)
    for slug, tags in [
        ("paper-05", "[zeta]"),  # new: last in the facet
        ("paper-06", "[zeta, alpha]"),  # joins it, and another new one, first in the facet
        ("paper-05", "[vision]"),
        ("paper-06", "[audio, beta]"),  # the last paper of two tags leaves them: their boxes go
    ]:
        change(site, slug, r"^tags: .*$", f"tags: {tags}")
        assert rebuild(site) == QUICK, (slug, tags)
        assert_as_cold(site)
    for slug, category in [("paper-05", "q-bio.NC"), ("paper-06", "q-bio.NC"), ("paper-05", "cs.CV")]:
        change(site, slug, r'^category: "[^"]*"', f'category: "{category}"')
        assert rebuild(site) == QUICK, (slug, category)
        assert_as_cold(site)
    change(site, "paper-06", r'^category: "[^"]*"', 'category: "cs.LG"')  # the last of q-bio.NC leaves
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    change(site, "paper-06", r"^tags: .*$", "tags: [gamma, vision]")  # venue, tags, category in one edit
    change(site, "paper-06", r'^category: "[^"]*"', 'category: "cs.CL"')
    change(site, "paper-06", r'^venue: ".*"', 'venue: "Delta Workshop"')
    change(site, "paper-09", r"^tags: .*$", "tags: [gamma]")  # and another paper's, at once
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    change(site, "paper-07", r'^venue: ".*"', 'venue: "Gamma"')  # two at once, one of them selected
    change(site, "paper-08", r'^venue: ".*"', 'venue: "Gamma"')
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    change(site, "paper-08", r"^selected: false", "selected: true")  # selected now, with a new venue
    change(site, "paper-08", r'^venue: ".*"', 'venue: "Epsilon"')
    assert rebuild(site) == QUICK
    assert_as_cold(site)


def test_selections_in_a_row_name_the_newest_selected_papers_on_the_home_page(site: Path) -> None:
    home = site.parent / "out" / "index.html"
    # papers 24 to 29 selected one by one: each a quick rebuild (paper-07 is selected already)
    for i in range(24, 30):
        change(site, f"paper-{i:02d}", r"^selected: false", "selected: true")
        assert rebuild(site) == QUICK
    assert_as_cold(site)
    named = re.findall(r'<ul class="selected-papers">(.*?)</ul>', home.read_text(encoding="utf-8"), re.S)
    assert len(named) == 1 and named[0].count("<li>") == 5
    # one of the five named no longer selected: the sixth newest comes in, the last build's
    # index knowing every selected paper, not only those named
    change(site, "paper-29", r"^selected: true", "selected: false")
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    # two at once, one in and one out, with a title edit
    change(site, "paper-26", r"^selected: true", "selected: false")
    change(site, "paper-35", r"^selected: false", "selected: true")
    change(site, "paper-25", r"things number", "items number")
    assert rebuild(site) == QUICK
    assert_as_cold(site)


def test_an_author_page_made_by_a_quick_rebuild_goes_with_its_last_paper(site: Path) -> None:
    out = site.parent / "out"
    pages = build(site, site.parent / "cold", use_cache=False).pages
    change(site, "paper-20", r"^authors: \[", "authors: ['Marie Curie', ")
    result = build(site, out)
    assert (out / "authors" / "marie-curie" / "index.html").is_file()
    assert "authors/marie-curie/" in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert result.pages == pages + 1
    assert_as_cold(site)
    change(site, "paper-20", r"^authors: \['Marie Curie', ", "authors: [")  # back: her page goes
    assert rebuild(site) == QUICK
    assert not (out / "authors" / "marie-curie").exists()
    assert_as_cold(site)
    assert build(site, out).pages == pages
    change(site, "paper-20", r'^date: "(\d+)-03', r'date: "\1-04')  # it moves: a full rebuild from there
    assert "reading" in rebuild(site)
    assert_as_cold(site)


def sitemap_urls(out: Path) -> list[str]:
    """Return the pages every file of a site's sitemap lists, and check each file's size and kind."""
    import xml.etree.ElementTree as ET

    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    root = ET.parse(out / "sitemap.xml").getroot()
    if root.tag == f"{sm}urlset":
        return [url.findtext(f"{sm}loc") or "" for url in root]
    assert root.tag == f"{sm}sitemapindex"
    files = [(entry.findtext(f"{sm}loc") or "").removeprefix("https://lab.example.org/") for entry in root]
    assert sorted(files) == sorted(p.relative_to(out).as_posix() for p in (out / "sitemaps").iterdir())
    urls = []
    for name in files:
        part = ET.parse(out / name).getroot()
        assert part.tag == f"{sm}urlset" and 0 < len(part) <= site_builder.render.SITEMAP_LIMIT
        urls += [url.findtext(f"{sm}loc") or "" for url in part]
    return urls


def test_a_site_with_more_pages_than_one_sitemap_lists_gets_an_index_of_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sitemaps.org: at most 50,000 pages a file (12 here); papers' and authors' by their first letter."""
    project = make_project(tmp_path / "project", SITE)
    for i in range(36):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    whole = build(project, tmp_path / "whole", use_cache=False)
    monkeypatch.setattr(site_builder.render, "SITEMAP_LIMIT", 12)
    build(project, tmp_path / "out", use_cache=False)
    out = tmp_path / "out"
    urls = sitemap_urls(out)
    assert sorted(urls) == sorted(sitemap_urls(whole.out)) and len(set(urls)) == len(urls) > 40
    names = sorted(p.name for p in (out / "sitemaps").iterdir())
    assert names[:2] == ["authors-a.xml", "authors-e.xml"] and "pages.xml" in names
    assert [n for n in names if n.startswith("publications-")] == [
        f"publications-p-{k}.xml" for k in (1, 2, 3)
    ]
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert robots.endswith("Sitemap: https://lab.example.org/sitemap.xml\n")


def test_quick_rebuilds_put_pages_in_and_out_of_the_sitemaps_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_builder.render, "SITEMAP_LIMIT", 12)
    project = make_project(tmp_path / "project", SITE)
    for i in range(40):  # papers under ten first letters: four a file
        write_paper(project, f"{'abcdefghij'[i % 10]}-paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out")
    assert (tmp_path / "out" / "sitemaps" / "publications-a.xml").is_file()
    change(project, "a-paper-00", r'^date: "2021-03-01"', 'date: "2021-03-02"')  # a day later, in its place
    assert rebuild(project) == QUICK
    assert_as_cold(project)
    change(project, "b-paper-11", r"^authors: \[", "authors: ['Alice Smith', ")  # a page in authors-a.xml
    assert rebuild(project) == QUICK
    assert "authors/alice-smith/" in (tmp_path / "out" / "sitemaps" / "authors-a.xml").read_text(
        encoding="utf-8"
    )
    assert_as_cold(project)
    change(project, "b-paper-11", r"^authors: \['Alice Smith', ", "authors: [")  # and out again
    assert rebuild(project) == QUICK
    assert_as_cold(project)
    change(project, "c-paper-12", r"^authors: \[", "authors: ['Marie Curie', ")  # a new file: the usual way
    assert "reading" in rebuild(project)
    assert (tmp_path / "out" / "sitemaps" / "authors-m.xml").is_file()
    assert_as_cold(project)
    assert sorted(sitemap_urls(tmp_path / "out")) == sorted(sitemap_urls(tmp_path / "cold"))


@pytest.mark.parametrize("long_pages", [False, True], ids=["pages rendered", "pages edited"])
@pytest.mark.parametrize("seed", range(6))
def test_edits_to_who_wrote_papers_in_a_row_stay_equal_to_cold_builds(
    site: Path, monkeypatch: pytest.MonkeyPatch, seed: int, long_pages: bool
) -> None:
    """Random authors for random papers, one to three at a time: each rebuild equals a cold build.

    With ``long_pages``, every author's page is edited in place as a long one is (a lab
    head's, with hundreds of papers), not rendered again.
    """
    import site_builder.reauthor

    if long_pages:
        monkeypatch.setattr(site_builder.reauthor, "WHOLE_AUTHOR_PAGES", 0)
    rng = random.Random(seed)
    names = [*PEOPLE, "Marie Curie", "Zoë Ärger", "Paul Dirac"]
    quick = 0
    for _ in range(4):
        for i in rng.sample(range(PAPERS), rng.randint(1, 3)):
            authors = rng.sample(names, rng.randint(1, 4))
            change(site, f"paper-{i:02d}", r"^authors: .*$", f"authors: [{', '.join(map(repr, authors))}]")
        quick += rebuild(site) == QUICK
        assert_as_cold(site)
    assert quick >= 2  # some give up (a name shown otherwise, the selected paper): most do not


@pytest.mark.parametrize("seed", range(8))
def test_dates_and_selections_edited_in_a_row_stay_equal_to_cold_builds(site: Path, seed: int) -> None:
    """Random days of the same year and random selections, one or two papers at a time.

    Each rebuild, quick (the papers kept their places, some paper stays selected) or the
    usual one, equals a cold build.
    """
    rng = random.Random(seed)
    ways = set()
    for _ in range(8):
        for i in rng.sample(range(PAPERS), rng.randint(1, 2)):
            path = site / "content" / "publications" / f"paper-{i:02d}.yaml"
            if rng.random() < 0.5:
                day = rng.choice([2, 3, 5, 6, 8, 9, 11, 12, 14])  # beside the days papers share
                pattern, new = r'^date: "(\d+)-03-\d\d"', rf'date: "\1-03-{day:02d}"'
            else:
                pattern, new = r"^selected: .*$", f"selected: {rng.choice(['true', 'false'])}"
            path.write_text(re.sub(pattern, new, path.read_text(encoding="utf-8"), flags=re.M), "utf-8")
        ways.add("quick" if rebuild(site) == QUICK else "usual")
        assert_as_cold(site)
    assert "quick" in ways


@pytest.mark.parametrize("seed", range(6))
def test_authors_tags_and_category_edits_with_small_windows_of_related_candidates_stay_equal_to_cold_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Random authors and tags, one to three papers at a time, where each paper's related ones
    are looked for among the 2 nearest papers of each author and tag: the quick rebuild finds
    again only the rows that may read an edited paper (those near it in a list it joined or left).
    """
    monkeypatch.setattr(site_builder.render, "RELATED_WINDOW", 2)
    monkeypatch.setattr(site_builder.render, "LIST_HTML_LIMIT", 8)
    if seed % 2:  # every page the quick rebuilds read mapped, as large ones are
        monkeypatch.setattr(site_builder.patch, "MAPPED_FROM", 1)
    project = make_project(tmp_path / "project", SITE)
    for i in range(PAPERS):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out")
    rng = random.Random(seed)

    def edit(slug: str, pattern: str, replacement: str) -> None:  # maybe to what it was: no matter
        path = project / "content" / "publications" / f"{slug}.yaml"
        path.write_text(
            re.sub(pattern, replacement, path.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8"
        )

    names = [*PEOPLE, "Marie Curie", "Paul Dirac"]
    tags = ["vision", "language", "video", "audio", "robots"]
    quick = 0
    for _ in range(5):
        for i in rng.sample(range(PAPERS), rng.randint(1, 3)):
            if rng.random() < 0.5:
                authors = rng.sample(names, rng.randint(1, 4))
                change(
                    project, f"paper-{i:02d}", r"^authors: .*$", f"authors: [{', '.join(map(repr, authors))}]"
                )
            elif rng.random() < 0.5:
                edit(f"paper-{i:02d}", r"^tags: .*$", f"tags: [{', '.join(rng.sample(tags, 2))}]")
            else:
                category = rng.choice(["cs.CV", "cs.LG", "cs.CL", "cs.RO"])
                edit(f"paper-{i:02d}", r"^category: .*$", f'category: "{category}"')
        quick += rebuild(project) == QUICK
        assert_as_cold(project)
    assert quick >= 2


def test_a_long_author_page_takes_the_papers_gained_and_lost_in_place(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import site_builder.reauthor

    monkeypatch.setattr(site_builder.reauthor, "WHOLE_AUTHOR_PAGES", 0)  # every page as long as a lab head's
    edits = [
        ("paper-01", r"^authors: \[", "authors: ['Kurt Gödel', "),  # his first paper of 2022: a new section
        ("paper-01", r"^authors: \['Kurt Gödel', ", "authors: ["),  # his last one of 2022: the section goes
        ("paper-05", r"'Emmy Noether'", "'Ada Lovelace'"),  # one paper less for her, one more for Ada
        ("paper-00", r"^authors: \[", "authors: ['Lise Meitner', "),  # her newest paper of its year
        ("paper-33", r"^authors: \[", "authors: ['Kurt Gödel', 'Lise Meitner', 'Marie Curie', "),
    ]
    for slug, pattern, replacement in edits:
        change(site, slug, pattern, replacement)
        assert rebuild(site) == QUICK
        assert_as_cold(site)


def test_an_authors_edit_that_changes_many_related_lists_takes_the_usual_way(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import site_builder.reauthor

    monkeypatch.setattr(site_builder.reauthor, "MOST_RELATED_PAGES", 0)
    change(site, "paper-05", r"'Emmy Noether'", "'Ada Lovelace'")  # two authors' pages, related papers
    stages = rebuild(site)
    assert stages[0] == "patching" and "reading" in stages
    assert_as_cold(site)


def test_an_author_who_is_on_the_people_page_gets_a_page_the_usual_way(site: Path) -> None:
    (site / "content" / "people.yaml").write_text("- name: Marie Curie\n  role: Visitor\n", encoding="utf-8")
    assert "reading" in rebuild(site)
    change(site, "paper-05", r"^authors: \[", "authors: ['Marie Curie', ")  # the people page links her page
    stages = rebuild(site)
    assert stages[0] == "patching" and "reading" in stages
    assert_as_cold(site)


def test_an_edited_paper_with_its_abstract_unchanged_takes_the_abstracts_html_from_the_cache(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import site_builder.markup

    def no_math(tex: str) -> str:
        raise AssertionError(f"math converted again: {tex}")

    convert = site_builder.markup._math_to_mathml
    monkeypatch.setattr(site_builder.markup, "_math_to_mathml", no_math)
    change(site, "paper-05", r'^date: "\d+', 'date: "2020')  # another year; its abstract has math
    assert "reading" in rebuild(site)
    monkeypatch.setattr(site_builder.markup, "_math_to_mathml", convert)  # a cold build converts it
    assert_as_cold(site)


def test_a_large_sites_lists_rendered_again_on_two_cores_equal_a_cold_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import site_builder.build
    import site_builder.parallel

    site = make_project(tmp_path / "project", SITE)
    for i in range(160):  # enough papers that an edit leaves most pages as they are
        write_paper(site, f"paper-{i:03d}", paper_text(i))
    build(site, tmp_path / "out")

    shared: list[int] = []
    run_tasks = site_builder.parallel.run_tasks

    def counting(count: int, task: Callable[[int], object], **options: object) -> list[object]:
        shared.append(int(options.get("chunk", 32)))  # type: ignore[call-overload]
        return run_tasks(count, task, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(site_builder.build, "FORKED_LISTS_FROM", 1)  # as a site of thousands of papers
    monkeypatch.setattr(site_builder.build, "run_tasks", counting)
    monkeypatch.setenv("SITE_BUILDER_JOBS", "2")
    change(site, "paper-007", r"^selected: true", "selected: false")  # the only one: the usual way
    assert "reading" in rebuild(site)
    assert shared[-1] == 1  # the changed pages rendered again, shared out one job at a time
    assert_as_cold(site)


def test_added_papers_and_the_projects_own_templates_take_the_usual_way(site: Path) -> None:
    write_paper(site, "paper-99", paper_text(99))
    assert "reading" in rebuild(site)
    assert_as_cold(site)
    entry = site / "templates" / "_paper.html"
    entry.write_text(entry.read_text(encoding="utf-8").replace('class="paper"', 'class="paper own"'))
    rebuild(site)
    change(site, "paper-20", r"things number", "things, numbered")
    assert "reading" in rebuild(site)
    assert_as_cold(site)


def test_a_mistake_in_an_edited_paper_is_reported_and_nothing_is_written(site: Path) -> None:
    before = snapshot(site.parent / "out")
    change(site, "paper-05", r"^authors:", "unknown_key: 1\nauthors:")
    with pytest.raises(ProblemsError) as caught:
        rebuild(site)
    assert [(p.line, p.message) for p in caught.value.problems] == [(2, "unknown key 'unknown_key'")]
    assert snapshot(site.parent / "out") == before


def test_a_page_not_as_the_last_build_wrote_it_makes_the_quick_rebuild_give_up(site: Path) -> None:
    page = site.parent / "out" / "publications" / "years" / "2023" / "index.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("things number 20 ", "things number twenty "), encoding="utf-8")
    change(site, "paper-20", r"things number", "things, numbered")
    assert "reading" in rebuild(site)  # the old entry is not there: the usual rebuild
    assert_as_cold(site)


def test_a_title_that_makes_a_paper_a_duplicate_or_no_more_one_warns_as_a_full_build(site: Path) -> None:
    out, cold = site.parent / "out", site.parent / "cold"
    stages: list[str] = []
    for title in (
        "Learning things number 2 <b>with</b> & markup",  # paper-02's, with the same first author
        "Learning things number 5 <b>with</b> & markup",  # its own again
    ):
        change(site, "paper-05", r"^title: .*", f'title: "{title}"')
        stages.clear()
        quick = build(site, out, progress=lambda stage, done, total: stages.append(stage))
        assert "reading" not in stages
        full = build(site, cold, use_cache=False)
        assert quick.warnings == full.warnings
        assert files(out) == files(cold)
    assert quick.warnings == ()


def test_when_the_first_of_three_same_papers_changes_title_the_others_are_told_of_the_next(
    site: Path,
) -> None:
    out, cold = site.parent / "out", site.parent / "cold"
    folder = site / "content" / "publications"
    same_title = 'title: "Learning things number 0 <b>with</b> & markup"'  # paper-00's; the same first author
    for slug, title in (
        ("paper-03", same_title),
        ("paper-06", same_title),
        ("paper-00", 'title: "Moved on"'),
    ):
        change(site, slug, r"^title: .*", title)
        stages: list[str] = []
        quick = build(site, out, progress=lambda stage, done, total, seen=stages: seen.append(stage))
        assert "reading" not in stages
        full = build(site, cold, use_cache=False)
        assert quick.warnings == full.warnings
        assert files(out) == files(cold)
    assert [(w.path, w.message) for w in quick.warnings] == [
        (
            str(folder / "paper-06.yaml"),
            f"the same paper as {folder / 'paper-03.yaml'} (same title and first author)",
        )
    ]


def test_a_quick_rebuild_reports_the_warnings_of_the_last_check(site: Path) -> None:
    change(site, "paper-06", r"^title: .*", 'title: "Learning things number 0 <b>with</b> & markup"')
    first = build(site, site.parent / "out")  # the same title and first author as paper-00
    original = site / "content" / "publications" / "paper-00.yaml"
    assert [w.message for w in first.warnings] == [
        f"the same paper as {original} (same title and first author)"
    ]
    change(site, "paper-20", r"things number", "things, numbered")
    stages: list[str] = []
    again = build(site, site.parent / "out", progress=lambda stage, done, total: stages.append(stage))
    assert "reading" not in stages
    assert again.warnings == first.warnings
    assert_as_cold(site)


def test_a_warning_gone_in_one_quick_rebuild_stays_gone_in_the_next(site: Path) -> None:
    """The journal's removals (a duplicate warning no longer due) reach the quick rebuilds after it."""
    out = site.parent / "out"
    change(site, "paper-06", r"^title: .*", 'title: "Learning things number 0 <b>with</b> & markup"')
    change(site, "paper-21", r"^date: .*", 'date: "2022-05-05"')  # a shape edit: the usual way, index saved
    for edit, way, warned in (
        (lambda: None, "usual", 1),  # paper-06 has the same title and first author as paper-00
        (lambda: change(site, "paper-06", r"^title: .*", 'title: "Learning things, again"'), "quick", 0),
        (lambda: change(site, "paper-20", r"We study", "We examine"), "quick", 0),  # its abstract only
    ):
        edit()
        stages: list[str] = []
        result = build(site, out, progress=lambda stage, done, total, seen=stages: seen.append(stage))
        assert ("reading" in stages) is (way == "usual")
        assert len(result.warnings) == warned
    assert_as_cold(site)


def test_papers_of_one_day_are_listed_by_file_name_so_a_new_title_moves_nothing(site: Path) -> None:
    def order() -> list[str]:
        page = (site.parent / "out" / "publications" / "years" / "2021" / "index.html").read_text()
        return re.findall(r'<li class="paper" id="(paper-\d+)">', page)

    before = order()
    same_day = [slug for slug in before if slug in ("paper-00", "paper-15", "paper-30")]
    assert same_day == ["paper-00", "paper-15", "paper-30"]  # all of 2021-03-01, by file name
    change(site, "paper-30", r"^title: \"Dense", 'title: "A')  # first by title now
    assert rebuild(site) == QUICK
    assert order() == before


def test_brief_entries_are_rendered_once_however_many_full_entries_the_lists_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Author pages and related papers reuse brief entries; year pages' full entries do not evict them."""
    from site_builder import render

    monkeypatch.setenv("SITE_BUILDER_JOBS", "1")
    monkeypatch.setattr(render, "LIST_HTML_LIMIT", 8)
    monkeypatch.setattr(render, "_BRIEF_ENTRIES", render._Entries(1 << 20))
    monkeypatch.setattr(render, "_FULL_ENTRIES", render._Entries(1))  # keeps none: every full entry is new
    kept: dict[str, list[object]] = {"brief": [], "full": []}
    keep = render._Entries.keep

    def counting(self: render._Entries, key: object, *args: object) -> None:
        kept["brief" if self is render._BRIEF_ENTRIES else "full"].append(key)
        keep(self, key, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(render._Entries, "keep", counting)
    project = make_project(tmp_path / "project", SITE)
    for i in range(PAPERS):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out", use_cache=False)
    assert len(kept["full"]) >= PAPERS  # the year pages
    assert len(kept["brief"]) == len(set(kept["brief"])) == PAPERS  # each paper's brief entry, once


# ------------------------------------------------------------ related papers, amended after a shape edit


Facts = tuple[str, list[str], tuple[str, ...], "str | None", int]  # slug, author slugs, tags, category, day


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prolific authors' and tags' windows of candidates, at a small size."""
    monkeypatch.setattr(site_builder.render, "RELATED_WINDOW", 3)


def random_facts(
    rng: random.Random, i: int, people: int, tags: int, categories: int, repeats: bool = False
) -> Facts:
    """Return a random paper's facts; with ``repeats``, a name or tag may come twice.

    Its day is near ``i``'s place from the newest, with ties: papers of one day, and
    candidates as many days before as after.
    """
    pick = rng.choices if repeats else rng.sample
    return (
        f"p{i}",
        list(pick([f"a{k}" for k in range(people)], k=rng.randint(1, 4))),
        tuple(pick([f"t{k}" for k in range(tags)], k=rng.randint(0, 2))),
        rng.choice([*(f"c{k}" for k in range(categories)), None]),
        740_000 - i // 3 - rng.randint(0, 1),
    )


def random_site(seed: int) -> tuple[random.Random, Callable[[int], Facts], list[Facts]]:
    """Return a random generator, a maker of a paper's random facts, and a random site's papers.

    From seed 20 on, few shared authors and tags: related papers mostly the nearest of the category.
    """
    rng = random.Random(seed)
    sparse = seed >= 20

    def facts(i: int) -> Facts:
        return random_facts(rng, i, 2000 if sparse else 80, 1000 if sparse else 40, 12)

    return rng, facts, [facts(i) for i in range(rng.randint(200, 600))]


@pytest.mark.usefixtures("small_window")
@pytest.mark.parametrize("seed", range(40))
def test_related_rows_amended_for_a_few_changed_papers_equal_rows_computed_anew(seed: int) -> None:
    from site_builder.render import _updated_related_rows, related_rows

    rng, facts, old = random_site(seed)
    new = list(old)
    for i in rng.sample(range(len(old)), rng.randint(1, 3)):  # authors or tags changed; every 4th, categories
        new[i] = facts(i) if seed % 4 == 0 else (*facts(i)[:3], *old[i][3:])
    amended = _updated_related_rows(old, new, related_rows(old))
    assert amended is not None and amended == related_rows(new)
    i = next(i for i in range(len(new) - 1) if new[i : i + 2] == old[i : i + 2])
    swapped = [*new[:i], new[i + 1], new[i], *new[i + 2 :]]  # two papers as they were, in each other's places
    assert _updated_related_rows(old, swapped, related_rows(old)) is None


@pytest.mark.usefixtures("small_window")
@pytest.mark.parametrize("seed", range(40))
def test_related_rows_amended_after_papers_added_removed_or_moved_equal_rows_computed_anew(seed: int) -> None:
    """Ties go to the nearest in days: a paper put in or taken out changes only the rows that may read it."""
    from site_builder.render import _updated_related_rows, related_rows

    rng, facts, old = random_site(seed)
    new = list(old)
    for _ in range(rng.randint(1, 3)):
        what = rng.choice(["added", "removed", "moved", "redated"])
        i = rng.randrange(len(new))
        if what == "added":
            new.insert(i, (f"new{i}", *facts(i)[1:]))
        elif what == "removed":
            del new[i]
        elif what == "moved":  # a new day: its place in the order too
            paper = new.pop(i)
            j = rng.randrange(len(new) + 1)
            new.insert(j, (*paper[:4], 740_000 - j // 3))
        else:
            new[i] = (*new[i][:4], new[i][4] + rng.choice([-1, 1]))
    amended = _updated_related_rows(old, new, related_rows(old))
    assert amended is not None and amended == related_rows(new)


@pytest.mark.usefixtures("small_window")
@pytest.mark.parametrize("seed", range(40))
def test_related_rows_a_quick_rebuild_finds_again_equal_rows_computed_anew(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick rebuild finds again only the rows that may read an edited paper (reauthor._related_now)."""
    import site_builder.reauthor as reauthor
    from site_builder.patch import PatchIndex
    from site_builder.render import related_rows

    monkeypatch.setattr(reauthor, "MOST_RELATED_PAGES", 1 << 30)
    rng = random.Random(seed)
    sparse = seed % 2 == 1  # few shared authors and tags: related papers mostly the nearest of the category

    def facts(i: int) -> Facts:
        return random_facts(rng, i, 2000 if sparse else 60, 1000 if sparse else 30, 6)

    def authors(f: Facts) -> tuple[tuple[str, bool, str], ...]:
        return tuple((a, False, a) for a in f[1])

    old = [facts(i) for i in range(rng.randint(150, 400))]
    new = list(old)
    for i in rng.sample(range(len(old)), rng.randint(1, 3)):  # authors, tags, category or day changed
        other = facts(i)
        if seed % 3 == 0:  # its category only
            new[i] = (*old[i][:3], other[3] if other[3] != old[i][3] else None, old[i][4])
        elif seed % 3 == 1:  # its day only (in its place)
            new[i] = (*old[i][:4], old[i][4] + rng.choice([-2, -1, 1, 2]))
        else:
            new[i] = tuple(other[k] if rng.random() < 0.5 else old[i][k] for k in range(5))  # type: ignore[assignment]
    order = tuple(f[0] for f in old)
    rows = related_rows(old)
    index = PatchIndex(
        token="",
        base="",
        cwd="",
        files={},
        order=order,
        related={f[0]: tuple(order[j] for j in row) for f, row in zip(old, rows, strict=True)},
        keys={},
        base_keys={},
        same_paper={},
        selected={},
        year_pages=False,
        shards={},
        warnings=(),
        duplicates={},
        digests={},
        author_facts={f[0]: authors(f) for f in old},
        facets={f[0]: (f[2], f[3]) for f in old},
        days={f[0]: f[4] for f in old},
        shown={a: (a, False) for f in old for a in f[1]} | {a: (a, False) for f in new for a in f[1]},
    )
    reshaped = [b[0] for a, b in zip(old, new, strict=True) if a[1] != b[1]]
    refaceted = {b[0]: (b[2], b[3]) for a, b in zip(old, new, strict=True) if a[2:4] != b[2:4]}
    redated = {b[0]: b[4] for a, b in zip(old, new, strict=True) if a[4] != b[4]}
    now = {slug: authors(new[order.index(slug)]) for slug in reshaped}
    changed = reauthor._related_now(index, reauthor._Authorship(index, now), reshaped, refaceted, redated)
    found = {**index.related, **changed}
    assert found == {
        f[0]: tuple(order[j] for j in row) for f, row in zip(new, related_rows(new), strict=True)
    }


AuthorFacts = tuple[tuple[str, bool, str], ...]  # per author: slug, lab member, name as shown


def random_authors(rng: random.Random, people: int, variants: bool) -> AuthorFacts:
    """Return a random paper's authors; with ``variants``, one person's name (or membership) may differ."""
    authors = []
    for k in rng.sample(range(people), k=rng.randint(1, 5)):
        name, member = f"Person {k}", k % 7 == 0
        if variants and k % 5 == 0 and rng.random() < 0.5:
            name, member = f"P. {k}", not member  # the same slug, shown otherwise
        authors.append((f"person-{k}", member, name))
    return tuple(authors)


def papers_by(authors: list[AuthorFacts]) -> list[tuple[str, int, AuthorFacts]]:
    """Return papers of these authors in the site's order: slug, day (newest first), authors."""
    return [(f"p{i}", 740_000 - i // 2, paper) for i, paper in enumerate(authors)]


@pytest.mark.parametrize("seed", range(30))
def test_author_groups_amended_for_a_few_changed_papers_equal_groups_computed_anew(seed: int) -> None:
    from site_builder.render import _author_groups, _updated_author_groups

    rng = random.Random(seed)
    variants = seed % 3 == 0  # some names shown two ways: an edit may change the name a page shows
    people = rng.choice([12, 60, 400])
    old = papers_by([random_authors(rng, people, variants) for _ in range(rng.randint(50, 400))])
    new = list(old)
    for i in rng.sample(range(len(old)), rng.randint(1, 3)):
        new[i] = (*old[i][:2], random_authors(rng, people, variants))  # authors added, removed, replaced
    if seed % 2:
        i = rng.randrange(len(new))
        new[i] = (*old[i][:2], ((f"person-{people}", False, "A Newcomer"),))  # a new author
    groups = _author_groups(old)
    amended = _updated_author_groups(old, new, groups)
    if not variants:
        assert amended is not None
    if amended is not None:
        assert amended == _author_groups(new)
        untouched = {slug for _, _, authors in new for slug, _, _ in authors} - {
            slug for a, b in zip(old, new, strict=True) if a != b for slug, _, _ in (*a[2], *b[2])
        }
        kept = {group[1]: group for group in groups}
        assert untouched and all(g is kept[g[1]] for g in amended if g[1] in untouched)
    i = next(i for i in range(len(new) - 1) if new[i : i + 2] == old[i : i + 2])
    swapped = [*new[:i], new[i + 1], new[i], *new[i + 2 :]]  # two papers as they were, in each other's places
    assert _updated_author_groups(old, swapped, groups) is None


@pytest.mark.parametrize("seed", range(30))
def test_author_groups_amended_after_papers_added_removed_or_moved_equal_groups_computed_anew(
    seed: int,
) -> None:
    from site_builder.render import _author_groups, _updated_author_groups

    rng = random.Random(seed)
    variants = seed % 3 == 0  # some names shown two ways: the first paper's name is the one shown
    people = rng.choice([12, 60, 400])
    old = papers_by([random_authors(rng, people, variants) for _ in range(rng.randint(50, 400))])
    new = list(old)
    for k in range(rng.randint(1, 3)):
        what = rng.choice(["added", "removed", "moved"])
        i = rng.randrange(len(new))
        if what == "added":
            new.insert(i, (f"new{k}", new[i][1], random_authors(rng, people, variants)))
        elif what == "removed":
            del new[i]
        else:  # a new day: its place in the order too
            paper = new.pop(i)
            j = rng.randrange(len(new) + 1)
            new.insert(j, (paper[0], new[min(j, len(new) - 1)][1], paper[2]))
    amended = _updated_author_groups(old, new, _author_groups(old))
    if not variants:
        assert amended is not None
    if amended is not None:
        assert amended == _author_groups(new)


def test_an_amended_author_group_shows_the_first_papers_name_and_the_last_papers_membership() -> None:
    from site_builder.render import _author_groups, _updated_author_groups

    old = papers_by(
        [
            (("person-1", False, "P. 1"),),
            (("person-1", True, "Person 1"), ("person-2", False, "Person 2")),
            (("person-1", False, "P. 1"), ("person-1", True, "Person 1")),  # listed twice: the last counts
        ]
    )
    new = [old[0], (*old[1][:2], (("person-1", True, "Person 1"), ("person-3", False, "Person 3"))), old[2]]
    amended = _updated_author_groups(old, new, _author_groups(old))
    assert amended is not None and amended == _author_groups(new)
    assert amended[0][:3] == ("P. 1", "person-1", True)


def _related_row_by_the_rule(shape: list[Facts], i: int) -> list[int]:
    """Paper ``i``'s related papers by the rule, candidate by candidate (the reference for the build's)."""
    from site_builder.render import RELATED, RELATED_WINDOW

    def near(papers: list[int]) -> list[int]:  # a prolific author's or tag's papers nearest in date
        if len(papers) <= 2 * RELATED_WINDOW:
            return papers
        k = sum(1 for j in papers if j < i)
        return papers[max(0, k - RELATED_WINDOW) : k + RELATED_WINDOW + 1]

    _, authors, tags, category, day = shape[i]
    scores: dict[int, int] = {}
    for weight, kind, mine in ((3, 1, authors), (2, 2, tags)):
        for value in set(mine):
            for j in near([j for j, facts in enumerate(shape) if value in facts[kind]]):
                scores[j] = scores.get(j, 0) + weight
    for j in scores:
        scores[j] += 1 if category and shape[j][3] == category else 0
    if category and len(scores) <= RELATED:  # the nearest papers of the category fill in
        same = [j for j, facts in enumerate(shape) if facts[3] == category]
        k = sum(1 for j in same if j < i)
        for j in same[max(0, k - RELATED) : k + RELATED + 1]:
            scores.setdefault(j, 1)
    scores.pop(i, None)
    return sorted(scores, key=lambda j: (-scores[j], abs(shape[j][4] - day), j))[:RELATED]


@pytest.mark.usefixtures("small_window")
@pytest.mark.parametrize("seed", range(12))
def test_related_rows_follow_the_rule_candidate_by_candidate(seed: int) -> None:
    from site_builder.render import related_rows

    rng = random.Random(seed)
    people, tags, categories = rng.choice([15, 60, 400]), rng.choice([5, 30, 300]), rng.randint(1, 6)
    shape = [
        random_facts(rng, i, people, tags, categories, repeats=True) for i in range(rng.randint(60, 250))
    ]
    assert related_rows(shape) == [_related_row_by_the_rule(shape, i) for i in range(len(shape))]


def count_calls(
    patch: pytest.MonkeyPatch, calls: list[str], module: object, name: str, label: str, amends: bool = False
) -> None:
    """Note each call of ``module.name`` in ``calls``: ``label``, "not …" if an ``amends`` one gave None."""
    function = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        result = function(*args, **kwargs)
        calls.append(f"not {label}" if amends and result is None else label)
        return result

    patch.setattr(module, name, counted)


def test_a_tags_edit_that_takes_the_usual_way_amends_the_related_papers(tmp_path: Path) -> None:
    import site_builder.render as render

    project = make_project(tmp_path / "project", SITE)
    for i in range(40):  # each author on two papers: an edit concerns a few papers' related ones
        text = paper_text(i).replace(
            paper_text(i).splitlines()[1], f"authors: ['Author {i}', 'Author {i + 1}']"
        )
        write_paper(project, f"paper-{i:02d}", text)
    build(project, tmp_path / "out")
    calls: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        count_calls(patch, calls, render, "related_rows", "computed")
        count_calls(patch, calls, render, "_updated_related_rows", "amended", amends=True)
        change(project, "paper-05", r"^tags: \[", "tags: [new, ")  # and the only selected paper no
        change(project, "paper-07", r"^selected: true", "selected: false")  # more: the usual way
        assert "reading" in rebuild(project)
    assert calls == ["amended"]
    assert_as_cold(project)


@pytest.mark.usefixtures("small_window")
@pytest.mark.parametrize("seed", range(4))
def test_papers_added_removed_and_moved_at_random_stay_equal_to_cold_builds(
    tmp_path: Path, seed: int
) -> None:
    """The usual rebuild amends related papers and author groups: after each edit, as a cold build."""
    import site_builder.render as render

    rng = random.Random(seed)
    project = make_project(tmp_path / "project", SITE)
    for i in range(40):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out")
    folder = project / "content" / "publications"
    calls: list[str] = []
    for step in range(6):
        names = sorted(path.stem for path in folder.glob("*.yaml"))
        what = rng.choice(["added", "removed", "moved", "moved"])
        if what == "added":
            write_paper(project, f"paper-{100 + step}", paper_text(100 + 10 * seed + step))
        elif what == "removed":
            (folder / f"{rng.choice(names)}.yaml").unlink()
        else:
            path = folder / f"{rng.choice(names)}.yaml"
            text = path.read_text(encoding="utf-8")
            while (
                moved := re.sub(
                    r"(?m)^date: .*", f'date: "{2021 + rng.randrange(3)}-0{rng.randint(1, 9)}-11"', text
                )
            ) == text:
                pass
            path.write_text(moved, encoding="utf-8")
        calls.clear()
        with pytest.MonkeyPatch.context() as patch:
            count_calls(patch, calls, render, "_updated_related_rows", "amended", amends=True)
            count_calls(patch, calls, render, "_updated_author_groups", "groups amended", amends=True)
            rebuild(project)
        assert sorted(calls) == ["amended", "groups amended"]
        assert_as_cold(project)


def test_papers_added_removed_or_moved_take_the_usual_way_and_amend_related_papers_and_authors(
    tmp_path: Path,
) -> None:
    """Ties between related papers go to the nearest in days: only the rows near the paper can change."""
    import site_builder.render as render

    project = make_project(tmp_path / "project", SITE)
    for i in range(60):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out")
    calls: list[str] = []
    folder = project / "content" / "publications"
    edits = [
        lambda: write_paper(project, "paper-60", paper_text(60)),  # added
        lambda: (folder / "paper-13.yaml").unlink(),  # removed
        lambda: change(project, "paper-22", r"^date: .*", 'date: "2021-01-20"'),  # moved within its year
        lambda: change(project, "paper-31", r"^date: .*", 'date: "2023-07-04"'),  # moved to another year
    ]
    groups, amend_groups = render._author_groups, render._updated_author_groups

    def counting_groups(*args: object) -> object:
        calls.append("groups computed")
        return groups(*args)  # type: ignore[arg-type]

    def counting_amend_groups(*args: object) -> object:
        calls.append("groups amended" if amend_groups(*args) is not None else "groups not amended")  # type: ignore[arg-type]
        return amend_groups(*args)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        count_calls(patch, calls, render, "related_rows", "computed")
        count_calls(patch, calls, render, "_updated_related_rows", "amended", amends=True)
        count_calls(patch, calls, render, "_author_groups", "groups computed")
        count_calls(patch, calls, render, "_updated_author_groups", "groups amended", amends=True)
        for edit in edits:
            edit()
            calls.clear()
            assert "reading" in rebuild(project)  # the usual way
            assert sorted(calls) == ["amended", "groups amended"]
            assert_as_cold(project)


def test_a_strict_build_fails_on_the_warning_a_quick_rebuild_would_give(site: Path) -> None:
    out = site.parent / "out"
    build(site, out, strict=True)
    before = snapshot(out)
    change(site, "paper-05", r"^title: .*", 'title: "Learning things number 2 <b>with</b> & markup"')
    with pytest.raises(ProblemsError) as caught:
        build(site, out, strict=True)
    assert ["same paper" in p.message for p in caught.value.problems] == [True]
    assert snapshot(out) == before


def test_related_rows_found_on_every_core_equal_rows_found_in_one_process() -> None:
    import random

    from site_builder.parallel import run_tasks
    from site_builder.render import related_rows

    rng = random.Random(7)
    shape = [
        (
            f"p{i}",
            rng.sample([f"a{k}" for k in range(60)], rng.randint(1, 4)),
            (f"t{i % 9}",),
            f"c{i % 3}",
            -i,
        )
        for i in range(500)
    ]
    ran: list[int] = []

    def mapper(
        n: int, task: Callable[[int], object], meanwhile: Callable[[], None] | None = None
    ) -> list[object]:
        return run_tasks(n, task, processes=2, chunk=16, meanwhile=meanwhile)

    forked = related_rows(shape, mapper, meanwhile=lambda: ran.append(os.getpid()))
    assert forked == related_rows(shape) and len(forked) == 500
    assert ran == [os.getpid()]  # the other work, done once, in this process, as the worker computed rows


def test_neighbours_edited_together_and_a_site_without_an_address(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", SITE.replace("base_url: https://lab.example.org/\n", ""))
    for i in range(PAPERS):
        write_paper(project, f"paper-{i:02d}", paper_text(i))
    build(project, tmp_path / "out")
    # paper-00 and paper-15 are of the same day, next to each other: each one's pager shows the other
    change(project, "paper-00", r"things number", "items number")
    change(project, "paper-15", r"results improve", "results **improve**")
    assert rebuild(project) == QUICK
    assert_as_cold(project)
    assert not (tmp_path / "out" / "feed.xml").exists()


def touch(project: Path, names: list[str], seconds: int = 1000) -> None:
    """Give paper files a later modification time, their bytes unchanged (a checkout, a restored cache)."""
    for name in names:
        path = project / "content" / "publications" / f"{name}.yaml"
        then = path.stat().st_mtime_ns + seconds * 1_000_000_000
        os.utime(path, ns=(then, then))


ALL = [f"paper-{i:02d}" for i in range(PAPERS)]


def test_papers_only_touched_are_not_read_again_and_the_output_is_left_as_it_was(site: Path) -> None:
    out = site.parent / "out"
    before = snapshot(out)
    touch(site, ALL)  # more papers than a quick rebuild takes, had their bytes changed
    stages: list[str] = []
    result = build(site, out, progress=lambda stage, done, total: stages.append(stage))
    assert result.up_to_date and "patching" not in stages and "reading" not in stages
    assert snapshot(out) == before  # same bytes, same times
    assert journal_of_index(site) == {}  # so many new times: written into the index, not the journal
    assert rebuild(site) == []  # the new times are known: nothing to do
    change(site, "paper-03", r"^title: \"Sparse", 'title: "Learning')  # a touched paper, edited
    assert rebuild(site) == QUICK
    assert_as_cold(site)


def test_touched_papers_beside_an_edited_one_leave_the_rebuild_quick(site: Path) -> None:
    touch(site, ALL[:20])  # more than a quick rebuild takes as edits
    change(site, "paper-30", r"things number", "things, numbered")
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    assert journal_of_index(site) == {}
    assert rebuild(site) == []
    change(site, "paper-31", r"things number", "things, numbered")  # a few changes: in the journal
    assert rebuild(site) == QUICK
    assert_as_cold(site)
    assert set(journal_of_index(site)["files"]) == {"paper-31.yaml"}


def journal_of_index(project: Path) -> dict[str, object]:
    """Return the changes to the quick rebuilds' index that their journal holds."""
    from site_builder.cache import read_data

    journal = read_data(project / ".site-builder-cache" / "patched.pickle")
    assert journal
    index: dict[str, object] = journal["index"]
    return index


def test_a_full_rebuild_parses_only_the_papers_whose_bytes_changed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import site_builder.loader

    parsed: list[str] = []
    load = site_builder.loader.load_publication_file

    def counted(path: Path) -> object:
        parsed.append(path.stem)
        return load(path)

    monkeypatch.setattr(site_builder.loader, "load_publication_file", counted)
    monkeypatch.setenv("SITE_BUILDER_JOBS", "1")  # counted in this process
    touch(site, ALL)
    change(site, "paper-05", r'^date: "\d+', 'date: "2020')  # another year: the usual way
    assert "reading" in rebuild(site)
    assert set(parsed) == {"paper-05"}  # (the quick way reads it too, before it gives up)
    assert_as_cold(site)


def test_a_lost_journal_of_quick_rebuilds_makes_the_next_build_a_full_one(site: Path) -> None:
    change(site, "paper-20", r"things number", "things, numbered")
    assert rebuild(site) == QUICK
    (site / ".site-builder-cache" / "patched.pickle").unlink()  # the cache no longer knows the output
    change(site, "paper-20", r"things, numbered", "things number")  # back to what the cache had
    stages = rebuild(site)
    assert "reading" in stages and "rendering" in stages
    assert_as_cold(site)


def test_every_output_names_the_job_that_writes_it(site: Path) -> None:
    from site_builder.build import load_checked
    from site_builder.layout import theme_dirs
    from site_builder.markup import MarkdownRenderer
    from site_builder.render import job_of_output, make_environment, plan_site

    loaded, _ = load_checked(site)
    plan = plan_site(loaded, make_environment(theme_dirs(site, "templates")), MarkdownRenderer())
    outputs = [(rel, job.name) for job in plan.jobs for rel, _ in job.run()]
    assert {name for _, name in outputs} >= {"home", "publications", "bib", "feed", "paper:paper-00"}
    assert [(rel, name) for rel, name in outputs if job_of_output(rel) != name] == []


# ---------------------------------------------------------------- the preview's quick rebuilds


class PreviewOf:
    """A preview of a project, in this process: each step edits a paper, polls, and says which way it went."""

    def __init__(self, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.project, self.capsys = project, capsys
        self.preview = Preview(project, project.parent / "mirror")
        self.preview.first_build()
        self.clock = os.stat(project / "site.yaml").st_mtime_ns
        capsys.readouterr()

    def edit(self, slug: str, pattern: str, replacement: str) -> str:
        """Change a paper file (with a modification time of its own), poll; return the preview's log."""
        change(self.project, slug, pattern, replacement)
        self.clock += 1_000_000_000  # one second later than any save so far: always seen as changed
        os.utime(self.project / "content" / "publications" / f"{slug}.yaml", ns=(self.clock, self.clock))
        assert self.preview.poll()
        return self.capsys.readouterr().err

    def assert_as_cold(self) -> None:
        """The files served are those of a build from scratch, byte for byte."""
        cold = self.project.parent / "cold"
        shutil.rmtree(cold, ignore_errors=True)
        build(self.project, cold, use_cache=False)
        served, expected = dict(self.preview.status.files or {}), files(cold)
        assert self.preview.status.problems == ()
        assert served.keys() == expected.keys()
        assert [rel for rel in served if served[rel] != expected[rel]] == []


SPLICED = "spliced in"


@pytest.mark.parametrize(
    ("slug", "pattern", "replacement"),
    [
        ("paper-00", r"^title: \"Learning", 'title: "Teaching'),  # leaves a clash group: letters shift
        ("paper-11", r"results improve", "results **really** improve, see $y_2$,"),  # the abstract
        ("paper-35", r"things number", "Things Number"),  # the newest: home page and feed
        ("paper-08", r"<b>with</b>", "<script>alert(1)</script>"),  # escaped as everywhere
    ],
)
def test_the_preview_splices_a_text_edit_into_the_files_it_serves_as_rendering_gives_them(
    site: Path, capsys: pytest.CaptureFixture[str], slug: str, pattern: str, replacement: str
) -> None:
    preview = PreviewOf(site, capsys)
    assert SPLICED in preview.edit(slug, pattern, replacement)
    preview.assert_as_cold()


def test_the_preview_goes_the_usual_way_after_a_shape_edit_and_splices_again_after_it(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preview = PreviewOf(site, capsys)
    assert SPLICED in preview.edit("paper-01", r"things number", "items number")
    preview.assert_as_cold()
    log = preview.edit("paper-05", r'^date: "(\d+)-03', r'date: "\1-04')  # the shape: re-rendered
    assert SPLICED not in log and "pages re-rendered" in log
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-06", r"^authors: \[", "authors: ['Marie Curie', ")  # who wrote it
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-05", r"things number", "stuff number")  # from the new render
    assert SPLICED in preview.edit("paper-09", r'^venue: "', 'venue: "Workshop at ')  # a new venue
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-09", r"^tags: \[", "tags: [new, ")  # a new tag: related papers
    assert SPLICED in preview.edit("paper-10", r'^category: "[^"]*"', 'category: "cs.RO"')  # a new category
    preview.assert_as_cold()
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-00", r"^title: \"Learning", 'title: "Teaching')  # renamed files
    assert SPLICED in preview.edit("paper-00", r"^title: \"Teaching", 'title: "Learning')  # and back
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-01", r"items number", "things number")  # the first edit undone
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-07", r"things number", "stuff number")  # selected: named at home
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-08", r"^selected: false", "selected: true")  # newly selected
    preview.assert_as_cold()
    log = preview.edit("paper-07", r"^selected: true", "selected: false")  # no longer: one left
    assert SPLICED in log
    preview.assert_as_cold()
    log = preview.edit("paper-08", r"^selected: true", "selected: false")  # none left: re-rendered
    assert SPLICED not in log and "pages re-rendered" in log
    preview.assert_as_cold()
    assert SPLICED in preview.edit("paper-24", r'^date: "2021-03-13"', 'date: "2021-03-12"')  # its day
    preview.assert_as_cold()


@pytest.mark.parametrize("seed", range(10))
def test_author_groups_list_coauthors_by_papers_together_then_name_then_slug(seed: int) -> None:
    """Each group's co-authors, checked against a plain count and sort (equal names: by slug)."""
    from site_builder.render import _author_groups

    rng = random.Random(seed)
    people = rng.choice([8, 40])
    # names repeat across slugs (k % 4), so ties on name are common
    shape = [
        tuple(
            (f"person-{k}", k % 3 == 0, f"Name {k % 4}") for k in rng.sample(range(people), rng.randint(1, 4))
        )
        for _ in range(rng.randint(20, 120))
    ]
    groups = _author_groups(papers_by(shape))
    names: dict[str, str] = {}
    members: dict[str, bool] = {}
    for authors in shape:
        for slug, member, name in authors:
            names.setdefault(slug, name)
            members[slug] = member
    assert [g[1] for g in groups] == sorted(names)
    for name, slug, member, papers, coauthors in groups:
        assert (name, member) == (names[slug], members[slug])
        assert papers == [i for i, authors in enumerate(shape) if any(a[0] == slug for a in authors)]
        together: dict[str, int] = {}
        for i in papers:
            for other in {a[0] for a in shape[i]} - {slug}:
                together[other] = together.get(other, 0) + 1
        expected = sorted(together, key=lambda o: (-together[o], names[o], o))
        assert tuple(coauthors) == tuple((names[o], o, together[o], members[o]) for o in expected)
        assert len(coauthors) == len(expected)
        assert [coauthors[k] for k in range(len(expected))] == list(coauthors)


def test_a_paper_added_changes_the_key_of_its_years_page_and_with_a_projects_own_template_every_years(
    site: Path,
) -> None:
    """The built-in year page shows which years there are, not how many papers each has; a
    project's own may show that, and then a paper added to one year changes every year's page."""
    from site_builder.build import load_checked
    from site_builder.layout import builtin_theme_dir, theme_dirs
    from site_builder.markup import MarkdownRenderer
    from site_builder.patch import builtin_templates
    from site_builder.render import make_environment, plan_site

    def year_keys() -> dict[str, bytes]:
        loaded, _ = load_checked(site)
        env = make_environment(theme_dirs(site, "templates"))
        plan = plan_site(loaded, env, MarkdownRenderer(), builtin=builtin_templates(site))
        return {job.name: job.key for job in plan.jobs if job.name.startswith("year:")}

    def changed_by_an_added_paper(slug: str, i: int) -> list[str]:
        before = year_keys()
        write_paper(site, slug, paper_text(i))  # of 2021
        after = year_keys()
        assert before.keys() == after.keys() == {"year:2021", "year:2022", "year:2023"}
        return sorted(name for name in after if after[name] != before[name])

    assert builtin_templates(site)
    assert changed_by_an_added_paper("paper-added", 36) == ["year:2021"]
    rebuild(site)
    assert_as_cold(site)
    own = (builtin_theme_dir("templates") / "year.html").read_text(encoding="utf-8")
    assert ">{{ other.year }}</a></li>" in own
    own = own.replace(
        ">{{ other.year }}</a></li>", ">{{ other.year }}</a> ({{ other.papers | length }})</li>"
    )
    (site / "templates" / "year.html").write_text(own, encoding="utf-8")
    assert not builtin_templates(site)
    rebuild(site)
    assert changed_by_an_added_paper("paper-added-too", 39) == ["year:2021", "year:2022", "year:2023"]
    rebuild(site)
    assert_as_cold(site)
    page = (site.parent / "out" / "publications" / "years" / "2023" / "index.html").read_text(
        encoding="utf-8"
    )
    assert ">2021</a> (14)</li>" in page  # its 12 papers, and the two added


def test_pieces_are_put_in_their_places_of_the_page_as_it_was_and_may_not_overlap() -> None:
    from site_builder.patch import GiveUp, Pieces

    pieces = Pieces()
    page = b"<a>one</a><b>two</b><c>three</c>"
    pieces.replace("p", page.index(b"three"), page.index(b"three") + 5, b"3")  # recorded out of order
    pieces.replace("p", page.index(b"one"), page.index(b"one") + 3, b"uno, longer")
    spliced = [(rel, joined(parts)) for rel, parts in pieces.pages({"p": page})]
    assert spliced == [("p", b"<a>uno, longer</a><b>two</b><c>3</c>")]
    pieces.replace("p", page.index(b"ne"), page.index(b"ne") + 2, b"x")  # inside the first one
    with pytest.raises(GiveUp):
        list(pieces.pages({"p": page}))


def test_pieces_are_put_in_a_mapped_page_and_a_page_they_leave_as_it_was_is_not_written(
    tmp_path: Path,
) -> None:
    import mmap

    from site_builder.patch import Pieces, index_of

    page = b"<a>one</a><b>two</b>" + b"<c>" + b"x" * 70_000 + b"</c>"
    (tmp_path / "p.html").write_bytes(page)
    with open(tmp_path / "p.html", "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    pieces = Pieces()
    at = index_of(mapped, b"two")
    pieces.replace("p", at, at + 3, b"2")
    pieces.replace("q", 3, 6, b"one")  # the same bytes: no change
    [(rel, parts)] = list(pieces.pages({"p": mapped, "q": page}))
    assert (rel, joined(parts)) == ("p", page.replace(b"two", b"2"))
    (tmp_path / "out").mkdir()
    writer = Writer(tmp_path / "out", fresh=False)
    writer.write("p.html", parts)
    assert (tmp_path / "out" / "p.html").read_bytes() == page.replace(b"two", b"2")


def test_a_link_to_a_papers_page_is_spliced_and_a_link_to_no_page_goes_the_usual_way(site: Path) -> None:
    change(site, "paper-09", r"^links:\n", 'links:\n  project: "publications/paper-03/"\n')
    assert rebuild(site) == QUICK  # a page of the site: the quick way
    assert_as_cold(site)
    change(site, "paper-09", r'project: "publications/paper-03/"', 'project: "publications/paper-99/"')
    with pytest.raises(ProblemsError) as caught:  # no such page: the usual way, which reports it
        rebuild(site)
    assert ["paper-99" in p.message for p in caught.value.problems] == [True]
