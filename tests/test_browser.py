"""The publications page in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from .browser_site import build_test_site, serve_folder
from .conftest import REPO

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the browser-test site once and serve it."""
    out = build_test_site(tmp_path_factory.mktemp("browser"))
    with serve_folder(out) as url:
        yield url


@pytest.fixture
def pubs(page: Page, site_url: str) -> Page:
    """Open the publications page and wait for the filters to be ready."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site_url + "publications/")
    expect(page.locator("#filters")).to_be_visible()
    page.wait_for_selector("html.filters-ready", state="attached")
    yield page
    assert errors == []


def papers() -> list[dict[str, object]]:
    """Return every paper of the test site, read from the YAML files."""
    from .browser_site import EXTRA_PAPERS

    records = [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in (REPO / "content" / "publications").glob("*.yaml")
    ]
    records += [yaml.safe_load(text) for text in EXTRA_PAPERS.values()]
    return records


def year_of(record: dict[str, object]) -> int:
    return int(str(record["date"])[:4])


def shown_titles(page: Page) -> list[str]:
    """Return the titles of the papers on screen, from whichever list the page shows."""
    page.wait_for_selector("html.filters-ready", state="attached")
    return page.locator(
        "#results:not([hidden]) li.paper h3 a, #static-list:not([hidden]) li.paper h3 a"
    ).all_text_contents()


def chip(page: Page, facet: str, text: str):
    return page.locator(f"#facet-{facet} label.chip").filter(
        has=page.locator("span", has_text=re.compile(f"^{re.escape(text)}$"))
    )


def status(page: Page) -> str:
    return page.locator("#status").inner_text()


def test_all_papers_listed_newest_first(pubs: Page) -> None:
    records = papers()
    assert status(pubs) == f"Showing all {len(records)} papers"
    titles = shown_titles(pubs)
    expected = [r["title"] for r in sorted(records, key=lambda r: str(r["date"]), reverse=True)]
    assert titles == expected


def test_year_facet_and_or_within(pubs: Page) -> None:
    records = papers()
    chip(pubs, "year", "2023").click()
    assert sorted(shown_titles(pubs)) == sorted(r["title"] for r in records if year_of(r) == 2023)
    chip(pubs, "year", "2021").click()
    assert sorted(shown_titles(pubs)) == sorted(r["title"] for r in records if year_of(r) in (2021, 2023))
    assert (
        status(pubs) == f"Showing {sum(year_of(r) in (2021, 2023) for r in records)} of {len(records)} papers"
    )


def test_category_shows_human_name_and_filters(pubs: Page) -> None:
    records = papers()
    lg = chip(pubs, "category", "Machine Learning")
    expect(lg).to_have_attribute("title", "cs.LG")
    lg.click()
    assert sorted(shown_titles(pubs)) == sorted(r["title"] for r in records if r["category"] == "cs.LG")


def test_author_facet_members_first_and_combined_with_year(pubs: Page) -> None:
    records = papers()
    first = pubs.locator("#facet-author label.chip span:first-of-type").first
    expect(first).to_have_text("Zihui Xue")
    chip(pubs, "author", "Kristen Grauman").click()
    chip(pubs, "year", "2023").click()
    expected = [r["title"] for r in records if "Kristen Grauman" in r["authors"] and year_of(r) == 2023]
    assert sorted(shown_titles(pubs)) == sorted(expected)
    assert parse_qs(urlsplit(pubs.url).query) == {"year": ["2023"], "author": ["kristen-grauman"]}


def test_counts_follow_the_other_filters_and_empty_options_dim(pubs: Page) -> None:
    records = papers()
    chip(pubs, "author", "Kristen Grauman").click()
    for year in (2023, 2022):
        n = sum(1 for r in records if year_of(r) == year and "Kristen Grauman" in r["authors"])
        expect(chip(pubs, "year", str(year)).locator(".n")).to_have_text(str(n))
    # Grauman has no 2021 paper: the 2021 option would leave none, so it is dimmed.
    assert not any(year_of(r) == 2021 and "Kristen Grauman" in r["authors"] for r in records)
    expect(chip(pubs, "year", "2021")).to_have_class(re.compile(r"\bempty\b"))
    # The author facet's own counts ignore the author selection.
    n_xue = sum(1 for r in records if "Zihui Xue" in r["authors"])
    expect(chip(pubs, "author", "Zihui Xue").locator(".n")).to_have_text(str(n_xue))


def test_code_venue_tag_selected(pubs: Page) -> None:
    records = papers()
    chip(pubs, "more", "Has code").click()
    assert sorted(shown_titles(pubs)) == sorted(r["title"] for r in records if r.get("has_code"))
    pubs.locator("#clear").click()
    chip(pubs, "venue", "IJCV").click()
    assert shown_titles(pubs) == ["Egocentric Summaries of Long Videos"]
    pubs.locator("#clear").click()
    chip(pubs, "tag", "segmentation").click()
    assert shown_titles(pubs) == ["Panoptic Segmentation"]
    pubs.locator("#clear").click()
    chip(pubs, "more", "Selected").click()
    assert shown_titles(pubs) == ["Panoptic Segmentation"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dollar", ["Panoptic Segmentation"]),
        ("DOLLÁR", ["Panoptic Segmentation"]),
        ("grauman ego", None),
        ("  Kirillov   panoptic ", ["Panoptic Segmentation"]),
        ("zzzz-nothing", []),
    ],
)
def test_text_search(pubs: Page, query: str, expected: list[str] | None) -> None:
    if expected is None:  # every paper with both words somewhere in its title, authors or abstract
        expected = [
            r["title"]
            for r in papers()
            if all(
                w in " ".join([r["title"], *r["authors"], r.get("abstract", "")]).lower()
                for w in ("grauman", "ego")
            )
        ]
        assert len(expected) >= 3
    pubs.locator("#q").fill(query)
    assert sorted(shown_titles(pubs)) == sorted(expected)
    if not expected:
        expect(pubs.locator(".no-results")).to_be_visible()


def test_search_matches_abstract_words(pubs: Page) -> None:
    pubs.locator("#q").fill("sylvester equation")
    assert shown_titles(pubs) == [
        "Training-Free Robust Multimodal Learning via Sample-Wise Jacobian Regularization"
    ]


def test_sort_orders(pubs: Page) -> None:
    records = papers()
    pubs.locator("#sort").select_option("oldest")
    assert shown_titles(pubs) == [r["title"] for r in sorted(records, key=lambda r: str(r["date"]))]
    pubs.locator("#sort").select_option("title")
    assert shown_titles(pubs) == sorted((r["title"] for r in records), key=str.casefold)


def test_url_state_round_trip_and_back_button(page: Page, site_url: str) -> None:
    records = papers()
    page.goto(site_url + "publications/?year=2024&author=zihui-xue&q=video")
    expected = [
        r["title"]
        for r in records
        if year_of(r) == 2024
        and "Zihui Xue" in r["authors"]
        and "video" in (r["title"] + r.get("abstract", "")).lower()
    ]
    assert sorted(shown_titles(page)) == sorted(expected)
    expect(page.locator("#q")).to_have_value("video")
    expect(chip(page, "year", "2024").locator("input")).to_be_checked()
    chip(page, "year", "2025").click()
    assert parse_qs(urlsplit(page.url).query)["year"] == ["2025", "2024"]
    page.go_back()
    expect(chip(page, "year", "2025").locator("input")).not_to_be_checked()
    assert sorted(shown_titles(page)) == sorted(expected)
    page.go_back()
    assert urlsplit(page.url).query == ""
    page.go_forward()
    assert sorted(shown_titles(page)) == sorted(expected)


def test_clear_all(pubs: Page) -> None:
    pubs.locator("#q").fill("video")
    chip(pubs, "year", "2023").click()
    pubs.locator("#clear").click()
    assert status(pubs) == f"Showing all {len(papers())} papers"
    expect(pubs.locator("#q")).to_have_value("")
    assert urlsplit(pubs.url).query == ""


def test_keyboard_only(pubs: Page) -> None:
    pubs.locator("#q").focus()
    pubs.keyboard.type("egocentric")
    n = len(shown_titles(pubs))
    assert 0 < n < len(papers())
    for _ in range(3):  # past the "Filters" toggle to the first year option
        pubs.keyboard.press("Tab")
        focused = pubs.evaluate("document.activeElement.name + '=' + document.activeElement.value")
        if focused.startswith("year="):
            break
    assert focused.startswith("year=")
    pubs.keyboard.press("Space")
    assert pubs.evaluate("document.activeElement.checked") is True
    assert len(shown_titles(pubs)) <= n
    pubs.locator("#clear").focus()
    pubs.keyboard.press("Enter")
    assert status(pubs) == f"Showing all {len(papers())} papers"


def test_status_is_announced(pubs: Page) -> None:
    expect(pubs.locator("#status")).to_have_attribute("aria-live", "polite")


def test_detail_page_links_open_filtered_list(page: Page, site_url: str) -> None:
    page.goto(site_url + "publications/2023-xue-learning-fine-grained/")
    page.get_by_role("link", name="List the papers of Kristen Grauman").click()
    expect(page.locator("#filters")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query) == {"author": ["kristen-grauman"]}
    expected = [r["title"] for r in papers() if "Kristen Grauman" in r["authors"]]
    assert sorted(shown_titles(page)) == sorted(expected)
    page.go_back()
    page.locator(".paper-detail a.category-link").click()
    assert parse_qs(urlsplit(page.url).query) == {"category": ["cs.CV"]}
    assert len(shown_titles(page)) == sum(1 for r in papers() if r["category"] == "cs.CV")
    page.go_back()
    page.locator(".paper-detail .authors a", has_text="Kristen Grauman").click()
    assert urlsplit(page.url).path.endswith("/authors/kristen-grauman/")
    titles = page.locator("li.paper h3 a").all_text_contents()
    assert sorted(titles) == sorted(expected)


def test_without_javascript_every_paper_is_listed(browser: Browser, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "publications/")
    expect(page.locator("#filters")).to_be_hidden()
    titles = page.locator("#static-list li.paper h3 a").all_text_contents()
    assert sorted(titles) == sorted(r["title"] for r in papers())
    years = page.locator("#static-list section.year h2").all_inner_texts()
    assert [int(y.split()[0]) for y in years] == sorted({year_of(r) for r in papers()}, reverse=True)
    context.close()


def test_narrow_screen_has_no_horizontal_scroll(browser: Browser, site_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(site_url + "publications/")
    page.wait_for_selector("html.filters-ready", state="attached")
    # The filters fold away on a phone so the papers come first; the toggle opens them.
    expect(page.locator("#facet-panel")).not_to_have_attribute("open", "")
    page.locator("#facet-panel > summary").click()
    chip(page, "year", "2023").click()
    assert len(shown_titles(page)) == sum(1 for r in papers() if year_of(r) == 2023)
    for path in ("", "publications/", "publications/2023-grauman-ego-exo4d-understanding/"):
        page.goto(site_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path or 'home'} is {width}px wide at a 360px viewport"
    context.close()


def test_dark_theme_follows_the_system(browser: Browser, site_url: str) -> None:
    colours = []
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(site_url + "publications/")
        colours.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        context.close()
    assert colours[0] != colours[1]


def test_long_author_lists_fold_and_unfold(pubs: Page) -> None:
    from .browser_site import MANY_AUTHORS

    entry = pubs.locator("#static-list li.paper", has_text="Many Hands Make Light Work")
    entry.scroll_into_view_if_needed()
    more = entry.locator(".more-authors")
    expect(more.locator("summary")).to_have_text("and 3 more")
    assert "Frances Allen" not in entry.locator(".authors").inner_text()  # folded away, not rendered
    more.locator("summary").focus()
    pubs.keyboard.press("Enter")
    assert ", ".join(MANY_AUTHORS[5:]) in entry.locator(".authors").inner_text()


def test_year_range_when_many_years(pubs: Page) -> None:
    records = papers()
    assert len({year_of(r) for r in records}) >= 9
    pubs.locator("#year-from").select_option("2019")
    pubs.locator("#year-to").select_option("2022")
    assert sorted(shown_titles(pubs)) == sorted(r["title"] for r in records if 2019 <= year_of(r) <= 2022)
    assert parse_qs(urlsplit(pubs.url).query) == {"from": ["2019"], "to": ["2022"]}


def test_author_type_ahead(pubs: Page) -> None:
    records = papers()
    assert chip(pubs, "author", "Dima Damen").count() == 0  # not among the authors shown at first
    pubs.locator("#author-input").fill("dima damen")
    pubs.locator("#author-input").press("Enter")
    expect(chip(pubs, "author", "Dima Damen").locator("input")).to_be_checked()
    assert shown_titles(pubs) == [r["title"] for r in records if "Dima Damen" in r["authors"]]


def test_copy_bibtex_button_puts_the_entry_on_the_clipboard(browser: Browser, site_url: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + "publications/2023-grauman-ego-exo4d-understanding/")
    expected = page.locator("#bibtex").text_content()
    assert expected is not None and expected.startswith("@misc{grauman2023ego,")
    button = page.locator("button.copy-button")
    expect(button).to_have_text("Copy BibTeX")
    button.focus()
    page.keyboard.press("Enter")  # keyboard accessible
    expect(page.locator(".copy-status")).to_have_text("BibTeX copied to the clipboard")
    expect(button).to_have_text("Copied ✓")
    assert page.evaluate("navigator.clipboard.readText()") == expected
    context.close()


def test_math_shows_as_math_without_any_request_off_this_machine(page: Page, site_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site_url + "publications/2017-oord-math/")
    abstract = page.locator("section[aria-labelledby=abstract-heading]")
    expect(abstract.locator("math")).to_have_count(2)
    assert "$" not in (abstract.inner_text())
    box = abstract.locator("math").first.bounding_box()
    assert box is not None and box["width"] > 20  # laid out as math, not collapsed
    assert requests and all(urlsplit(u).hostname == "127.0.0.1" for u in requests)


def test_download_bibtex_of_the_filtered_papers(pubs: Page) -> None:
    chip(pubs, "year", "2023").click()
    with pubs.expect_download() as info:
        pubs.locator("#download-bib").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", text, re.M)
    assert len(keys) == sum(1 for r in papers() if year_of(r) == 2023) == 4
    assert all(re.search(r"2023", k) for k in keys)
    assert info.value.suggested_filename == "publications-filtered.bib"
