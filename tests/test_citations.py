"""Citations and machine-readable metadata of paper pages, checked by real consumers.

BibTeX is read by pybtex (a BibTeX implementation: its parser in strict mode and its
``plain`` style), RIS by rispy (the parser reference managers' tooling uses), CSL-JSON
by citeproc-py (a CSL processor), head metadata by an HTML parser, compared with the YAML.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pybtex.errors
import pytest
import rispy
import yaml
from pybtex.database import parse_string
from pybtex.plugin import find_plugin
from pylatexenc.latex2text import LatexNodes2Text

from site_builder.build import build
from site_builder.cite import base_key, bibtex, citation_keys, split_name
from site_builder.model import Publication

from .conftest import REPO

BASE = "https://lab.example.org/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build this repository's site once."""
    tmp = tmp_path_factory.mktemp("cite")
    project = tmp / "project"
    for name in ("content", "templates", "static"):
        shutil.copytree(REPO / name, project / name)
    shutil.copy(REPO / "site.yaml", project / "site.yaml")
    build(project, tmp / "out")
    return tmp / "out"


def records() -> dict[str, dict[str, object]]:
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((REPO / "content" / "publications").glob("*.yaml"))
    }


class Head(HTMLParser):
    """Collect <meta>, <link rel=canonical> and JSON-LD of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.canonical: list[str] = []
        self.jsonld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("name") or a.get("property")):
            self.meta.append((a.get("name") or a.get("property") or "", a.get("content") or ""))
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a.get("href") or "")
        self._in_ld = tag == "script" and a.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.jsonld.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_ld = False

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.meta if k == name]


def head(path: Path) -> Head:
    parser = Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_paper_page_has_scholar_og_and_jsonld_matching_the_yaml(site: Path) -> None:
    for slug, rec in records().items():
        h = head(site / "publications" / slug / "index.html")
        url = f"{BASE}publications/{slug}/"
        assert h.values("citation_title") == [rec["title"]], slug
        assert h.values("citation_author") == rec["authors"], slug
        date = dt.date.fromisoformat(str(rec["date"]))
        assert h.values("citation_publication_date") == [f"{date:%Y/%m/%d}"], slug
        assert h.canonical == [url]
        assert h.values("og:url") == [url]
        assert h.values("og:title") == [rec["title"]]
        assert h.values("twitter:card") == ["summary"]
        (description,) = h.values("description")
        assert 20 < len(description) <= 201 and description[:40] == str(rec["abstract"])[:40]
        (ld,) = h.jsonld
        data = json.loads(ld)
        assert data["@type"] == "ScholarlyArticle"
        assert data["name"] == rec["title"]
        assert [a["name"] for a in data["author"]] == rec["authors"]
        assert all(a["@type"] == "Person" for a in data["author"])
        assert data["datePublished"] == date.isoformat()
        assert data["url"] == url
        assert data["abstract"].startswith(str(rec["abstract"])[:30])


def write_paper(folder: Path, slug: str, text: str) -> None:
    (folder / "content" / "publications").mkdir(parents=True, exist_ok=True)
    (folder / "content" / "publications" / f"{slug}.yaml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def rich_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with venues, PDFs, arXiv ids, DOIs and hostile characters."""
    tmp = tmp_path_factory.mktemp("rich")
    project = tmp / "project"
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, project / name)
    (project / "site.yaml").write_text(
        f"title: Lab\nbase_url: {BASE}\nrepository: https://github.com/lab/site\n"
    )
    write_paper(
        project,
        "2024-dollar-conference",
        "title: 'Segment & Track {Anything}: 50% of $5 costs_less ~ ^ \\ #1'\n"
        "authors: [Piotr Dollár, Laurens van der Maaten, Martin Luther King Jr., OpenAI]\n"
        "et_al: true\ndate: 2024-06-17\ncategory: cs.CV\nhas_code: true\nvenue: CVPR 2024\n"
        "abstract: We cut cost by 58.5\\% in $\\mathcal{O}(n^2)$ time -- see ''this''.\n"
        "links:\n  pdf: https://arxiv.org/pdf/2401.01234v2\n  code: https://github.com/x/y\n",
    )
    write_paper(
        project,
        "2023-jegou-journal",
        "title: Product Quantization for Nearest Neighbor Search\n"
        "authors: [Hervé Jégou, Matthijs Douze, Cordelia Schmid]\n"
        "date: 2023-01-05\nvenue: IEEE Transactions on Pattern Analysis and Machine Intelligence\n"
        "links:\n  doi: https://doi.org/10.1109/TPAMI.2010.57\n  pdf: static/papers/pq.pdf\n",
    )
    write_paper(
        project,
        "2022-gulcehre-preprint",
        "title: Learning Something\nauthors: [Çağlar Gülçehre, Łukasz Kaiser]\ndate: 2022-03-01\n"
        "category: cs.LG\nlinks:\n  arxiv: https://arxiv.org/abs/2203.00001\n",
    )
    write_paper(
        project,
        "2022-gulcehre-second",
        "title: Learning Something Else\nauthors: [Çağlar Gülçehre]\ndate: 2022-05-01\n",
    )
    (project / "static" / "papers").mkdir()
    (project / "static" / "papers" / "pq.pdf").write_bytes(b"%PDF-1.4\n")
    build(project, tmp / "out")
    return tmp / "out"


def strict_pybtex(text: str) -> object:
    pybtex.errors.set_strict_mode(True)
    try:
        return parse_string(text, "bibtex")
    finally:
        pybtex.errors.set_strict_mode(False)


@pytest.mark.parametrize("which", ["site", "rich_site"])
def test_site_bibtex_passes_a_real_bibtex_run(which: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(which)
    text = (out / "publications.bib").read_text(encoding="utf-8")
    database = strict_pybtex(text)  # strict: any syntax problem or duplicate key raises
    assert len(database.entries) == len(list((out / "publications").glob("*/index.html")))
    style = find_plugin("pybtex.style.formatting", "plain")()
    pybtex.errors.set_strict_mode(True)  # a missing field or bad name in the style raises too
    try:
        formatted = list(style.format_entries(database.entries.values()))
    finally:
        pybtex.errors.set_strict_mode(False)
    assert len(formatted) == len(database.entries)
    for per_paper in out.glob("publications/*/*.bib"):
        assert len(strict_pybtex(per_paper.read_text(encoding="utf-8")).entries) == 1


def test_bibtex_escapes_and_types(rich_site: Path) -> None:
    db = strict_pybtex((rich_site / "publications.bib").read_text(encoding="utf-8"))
    conf = db.entries["dollar2024segment"]
    assert conf.type == "inproceedings"
    assert conf.fields["booktitle"] == "CVPR 2024"
    decoded = LatexNodes2Text().latex_to_text(conf.fields["title"]).replace("ˆ", "^")
    assert decoded == "Segment & Track {Anything}: 50% of $5 costs_less ~ ^ \\ #1"
    people = conf.persons["author"]
    assert [str(p) for p in people][:3] == [
        "Dollár, Piotr".replace("á", "{\\'{a}}"),
        "van der Maaten, Laurens",
        "King, Jr., Martin Luther",
    ]
    assert people[0].last_names == ["Doll{\\'{a}}r"]
    assert people[1].prelast_names == ["van", "der"]
    assert str(people[3]) == "{OpenAI}"
    assert str(people[-1]) == "others"  # et al.
    assert conf.fields["eprint"] == "2401.01234"
    journal = db.entries["jegou2023product"]
    assert journal.type == "article" and journal.fields["doi"] == "10.1109/TPAMI.2010.57"
    preprint = db.entries["gulcehre2022learninga"]
    assert preprint.type == "misc"
    assert (preprint.fields["eprint"], preprint.fields["archiveprefix"]) == ("2203.00001", "arXiv")
    assert preprint.fields["primaryclass"] == "cs.LG"
    assert "gulcehre2022learningb" in db.entries  # clash resolved by date order
    assert LatexNodes2Text().latex_to_text(str(preprint.persons["author"][0])) == "Gülçehre, Çağlar"


def test_keys_are_stable_and_unique() -> None:
    def pub(slug: str, title: str, day: int) -> Publication:
        return Publication(slug, f"{slug}.yaml", title, ("Zihui Xue",), dt.date(2023, 1, day))

    a, b, c = pub("a", "Learning X", 2), pub("b", "Learning Y", 1), pub("c", "The Art of Learning", 3)
    assert base_key(a) == "xue2023learning"
    assert base_key(c) == "xue2023art"
    keys = citation_keys([a, b, c])
    assert keys == {"b": "xue2023learninga", "a": "xue2023learningb", "c": "xue2023art"}
    assert citation_keys([c, a, b]) == keys  # the order papers come in does not matter


def test_ris_parses_back(rich_site: Path) -> None:
    (path,) = rich_site.glob("publications/2024-dollar-conference/*.ris")
    (entry,) = rispy.loads(path.read_text(encoding="utf-8"))
    assert entry["type_of_reference"] == "CPAPER"
    assert entry["title"] == "Segment & Track {Anything}: 50% of $5 costs_less ~ ^ \\ #1"
    assert entry["authors"] == [
        "Dollár, Piotr",
        "van der Maaten, Laurens",
        "King, Martin Luther, Jr.",
        "OpenAI",
    ]
    assert entry["year"] == "2024"
    assert entry["secondary_title"] == "CVPR 2024"
    assert "58.5%" in entry["abstract"] and "\\%" not in entry["abstract"]
    (journal,) = rispy.loads(next(rich_site.glob("publications/2023-jegou-journal/*.ris")).read_text("utf-8"))
    assert journal["type_of_reference"] == "JOUR" and journal["doi"] == "10.1109/TPAMI.2010.57"


def test_csl_json_is_read_by_a_csl_processor(rich_site: Path) -> None:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = []
    for path in sorted(rich_site.glob("publications/*/*.json")):
        items += json.loads(path.read_text(encoding="utf-8"))
    assert {i["type"] for i in items} == {"paper-conference", "article-journal", "article"}
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    text = "\n".join(str(entry) for entry in bibliography.bibliography())
    assert "Product Quantization for Nearest Neighbor Search" in text
    assert "Jégou" in text and "Dollár" in text


def test_scholar_tags_with_venue_pdf_arxiv_doi(rich_site: Path) -> None:
    conf = head(rich_site / "publications/2024-dollar-conference/index.html")
    assert conf.values("citation_conference_title") == ["CVPR 2024"]
    assert conf.values("citation_pdf_url") == ["https://arxiv.org/pdf/2401.01234v2"]
    assert conf.values("citation_arxiv_id") == ["2401.01234"]
    journal = head(rich_site / "publications/2023-jegou-journal/index.html")
    assert journal.values("citation_journal_title") == [
        "IEEE Transactions on Pattern Analysis and Machine Intelligence"
    ]
    assert journal.values("citation_pdf_url") == [f"{BASE}static/papers/pq.pdf"]  # made absolute
    assert journal.values("citation_doi") == ["10.1109/TPAMI.2010.57"]
    assert json.loads(journal.jsonld[0])["sameAs"] == ["https://doi.org/10.1109/TPAMI.2010.57"]


def test_fix_this_entry_links_to_the_yaml(rich_site: Path) -> None:
    html = (rich_site / "publications/2023-jegou-journal/index.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/lab/site/edit/main/content/publications/2023-jegou-journal.yaml"' in html


def test_math_renders_as_mathml(rich_site: Path) -> None:
    html = (rich_site / "publications/2024-dollar-conference/index.html").read_text(encoding="utf-8")
    abstract = html[html.index('id="abstract-heading"') : html.index('id="cite-heading"')]
    assert "<math" in abstract and "$" not in abstract and "\\mathcal" not in abstract


def test_feed_sitemap_robots(rich_site: Path) -> None:
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(rich_site / "feed.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    assert next(e.findtext(f"{atom}title") for e in entries).startswith("Segment & Track")
    assert feed.findtext(f"{atom}updated") == "2024-06-17T00:00:00Z"
    assert entries[0].findtext(f"{atom}id") == f"{BASE}publications/2024-dollar-conference/"
    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [u.findtext(f"{sm}loc") for u in ET.parse(rich_site / "sitemap.xml").getroot()]
    assert f"{BASE}publications/2023-jegou-journal/" in locs and f"{BASE}authors/piotr-dollar/" in locs
    assert all(loc.startswith(BASE) for loc in locs)
    assert (rich_site / "robots.txt").read_text() == f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"


def test_author_pages_merge_name_variants(tmp_path: Path) -> None:
    project = tmp_path / "p"
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, project / name)
    (project / "site.yaml").write_text("title: Lab\nmembers: [Kristen Grauman]\n")
    (project / "content").mkdir()
    (project / "content" / "people.yaml").write_text(
        "- name: Kristen Grauman\n  variants: [K. Grauman, Kristen L. Grauman]\n  role: Professor\n"
    )
    write_paper(project, "2020-a", "title: A\nauthors: [K. Grauman, Ann Lee]\ndate: 2020-01-01\n")
    write_paper(project, "2021-b", "title: B\nauthors: [Kristen Grauman]\ndate: 2021-01-01\n")
    write_paper(project, "2022-c", "title: C\nauthors: [Ann Lee, Kristen L. Grauman]\ndate: 2022-01-01\n")
    build(project, tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "authors").iterdir() if p.is_dir()) == ["ann-lee", "kristen-grauman"]
    page = (out / "authors/kristen-grauman/index.html").read_text(encoding="utf-8")
    assert page.count('class="paper"') == 3 and "Professor" in page
    detail = (out / "publications/2020-a/index.html").read_text(encoding="utf-8")
    assert (
        'href="../../authors/kristen-grauman/" class="member">K. Grauman</a>' in detail
    )  # as written, linked


def test_name_split() -> None:
    assert split_name("Laurens van der Maaten") == split_name("Laurens van der Maaten")
    assert (split_name("Laurens van der Maaten").family, split_name("Laurens van der Maaten").given) == (
        "van der Maaten",
        "Laurens",
    )
    assert split_name("Martin Luther King Jr.").suffix == "Jr."
    assert split_name("OpenAI").literal == "OpenAI"


def test_bibtex_of_a_paper_without_venue_or_links_is_misc() -> None:
    pub = Publication("x", "x.yaml", "T", ("Ann Lee",), dt.date(2020, 2, 3))
    assert bibtex(pub, "lee2020t") == (
        "@misc{lee2020t,\n  title = {T},\n  author = {Lee, Ann},\n  year = 2020,\n  month = feb,\n"
        "  howpublished = {Preprint}\n}\n"
    )


@pytest.mark.parametrize("which", ["site", "rich_site"])
def test_site_bibtex_passes_debian_bibtex_with_no_warning(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Run the real BibTeX program with the plain style over every entry: no error, no warning."""
    if shutil.which("bibtex") is None:
        if os.environ.get("CI"):
            pytest.fail("bibtex is missing in CI: scripts/test-deps installs it")
        pytest.skip("bibtex is not installed (scripts/test-deps installs it)")
    out: Path = request.getfixturevalue(which)
    shutil.copy(out / "publications.bib", tmp_path / "publications.bib")
    keys = re.findall(r"^@\w+\{([^,]+),", (out / "publications.bib").read_text(encoding="utf-8"), re.M)
    (tmp_path / "doc.aux").write_text(
        "\\relax\n\\citation{" + ",".join(keys) + "}\n\\bibstyle{plain}\n\\bibdata{publications}\n"
    )
    result = subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    assert "Warning" not in result.stdout and "error" not in result.stdout.lower(), result.stdout
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    assert bbl.count("\\bibitem{") == len(keys)
