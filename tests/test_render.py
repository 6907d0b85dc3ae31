"""Templates print values through one call that cleans and escapes them, exactly as Jinja's two did."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from site_builder.render import make_environment, printable, printed_html

# every construct that prints a value: plain output, filters, concatenation, loops, macros
# and call blocks, captured blocks, an explicit autoescape block (volatile), and includes
TEMPLATE = """\
<p title="{{ text }}">{{ text }}|{{ text | upper }}|{{ text ~ "<b>" }}|{{ safe }}|{{ number }}|{{ day }}</p>
{% for item in items %}<li>{{ item }}{% if not loop.last %}, {% endif %}</li>{% endfor %}
{% macro cell(value) %}<td>{{ value }}</td>{% if caller is defined %}{{ caller() }}{% endif %}{% endmacro %}
{{ cell(text) }}{% call cell(safe) %}<i>{{ text }}</i>{% endcall %}
{% set captured %}<em>{{ text }}</em>{% endset %}{{ captured }}
{% autoescape false %}{{ text }}{% endautoescape %}
{% autoescape true %}{{ text }}{% endautoescape %}
{{ items | join(", ") }}|{{ safe | safe }}|{{ text | e }}|{{ none_value }}
{% include "part.html" %}
"""
PART = "<span>{{ text }}</span>{{ items[0] }}"


def _stock_environment(folder: Path) -> jinja2.Environment:
    """Return the environment as Jinja makes it, with the same settings and finalize."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.finalize = printable
    return env


TRICKY = list("ab <>&'\"\x00\x07\x1f\x7f\u202e\u2066é\t\n")
HOSTILE = st.text(st.sampled_from(TRICKY) | st.characters(exclude_categories=["Cs"]), max_size=40)


@given(HOSTILE)
def test_printed_html_is_printable_then_escaped(text: str) -> None:
    for value in (text, Markup(text), escape(text), len(text), dt.date(2024, 1, 2), None, 1.5):
        assert printed_html(value) == str(escape(printable(value)))


def test_templates_print_as_stock_jinja(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "part.html").write_text(PART, encoding="utf-8")
    ours, stock = make_environment([tmp_path]), _stock_environment(tmp_path)
    compiled = ours.compile(TEMPLATE, raw=True)
    assert "environment.printed_html(" in compiled  # the fused call is what runs
    assert "environment.finalize(" in compiled  # inside {% autoescape false %}: str(finalize(value))
    values = [
        "<script>alert(1)</script> \u202eevil\u202c \x00nul \"q\" 'a' & é",
        "plain",
        "",
    ]
    for text in values:
        context = {
            "text": text,
            "safe": Markup("<b>bold</b>"),
            "number": 42,
            "day": dt.date(2024, 5, 6),
            "items": [text, Markup("<i>x</i>"), 3],
            "none_value": None,
        }
        got = ours.get_template("page.html").render(**context)
        assert got == stock.get_template("page.html").render(**context)
        if "<script>" in text:  # unescaped only where the template says so
            assert got.count("<script>") == 1
            assert f'title="{escape(printable(text))}"' in got  # cleaned and escaped


def test_undefined_values_still_fail(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ missing }}</p>", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        make_environment([tmp_path]).get_template("page.html").render()


def test_compiled_templates_of_another_generator_are_not_reused(tmp_path: Path) -> None:
    """A template compiled by stock Jinja (or an older site_builder) is compiled again, not loaded."""
    (tmp_path / "page.html").write_text("<p>{{ text }}</p>", encoding="utf-8")
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    stock = _stock_environment(tmp_path)
    stock.bytecode_cache = jinja2.FileSystemBytecodeCache(str(compiled))
    stock.get_template("page.html")
    assert len(list(compiled.iterdir())) == 1
    ours = make_environment([tmp_path], compiled)
    template = ours.get_template("page.html")
    code = template.root_render_func.__code__
    assert "printed_html" in code.co_names  # compiled anew by our generator, not loaded
    assert len(list(compiled.iterdir())) == 2  # kept beside the stock one, under a key of its own
    assert template.render(text="<x>") == "<p>&lt;x&gt;</p>"


def test_author_pages_list_coauthors_with_the_papers_they_share(tmp_path: Path) -> None:
    """Each author page of this lab's site lists, from the YAML, who shares how many papers, most first."""
    from site_builder.build import build
    from site_builder.facets import author_slug
    from site_builder.loader import load_site
    from site_builder.people import make_directory

    from .helpers import REPO, find, parse_file, squash

    out = tmp_path / "out"
    project = tmp_path / "lab"
    for name in ("site.yaml", "content"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, project / name)
    build(project, out, use_cache=False)
    site, _ = load_site(project)
    assert site is not None
    directory = make_directory(site.people, site.config.members)
    papers = [{author_slug(directory.resolve(name)) for name in pub.authors} for pub in site.publications]
    checked = 0
    for page in sorted((out / "authors").glob("*/index.html")):
        slug = page.parent.name
        shared: dict[str, int] = {}
        for authors in papers:
            if slug in authors:
                for other in authors - {slug}:
                    shared[other] = shared.get(other, 0) + 1
        elements = parse_file(page)
        lines = [li for li in find(elements, "li") if li.inside("ul", "coauthors")]
        anchors = [a for a in find(elements, "a") if a.inside("ul", "coauthors")]
        listed = []
        for li, a in zip(lines, anchors, strict=True):
            name, _, count = squash(li.text).rpartition(" ")
            listed.append((int(count), name, (a.attrs["href"] or "").removeprefix("../").rstrip("/")))
        assert sorted((s, n) for n, _, s in listed) == sorted(shared.items()), slug
        order = [(-n, name, s) for n, name, s in listed]
        assert order == sorted(order), slug  # most papers together first, then by name, then slug
        checked += bool(shared)
    assert checked >= 20
