"""Markdown to safe HTML, the LaTeX leftovers of listings, and math to MathML."""

from __future__ import annotations

import random
import re

import pytest

from site_builder.markup import MarkdownRenderer, clean_latex

from .helpers import find, parse_html, squash

EN, EM, LQ, RQ = "\u2013", "\u2014", "\u201c", "\u201d"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("58.5\\% accuracy", "58.5% accuracy"),
        ("100\\%", "100%"),
        ("a \\& b, \\#1, x\\_y", "a & b, #1, x_y"),
        ("to ''translate'' features", f"to {LQ}translate{RQ} features"),
        ("``open'' and ''close''", f"{LQ}open{RQ} and {LQ}close{RQ}"),
        ("pages 10--20", f"pages 10{EN}20"),
        ("tasks -- hand-object", f"tasks {EN} hand-object"),
        ("a pause---then", f"a pause{EM}then"),
        ("one --- two", f"one {EM} two"),
        ("----", "----"),
        ("well-known", "well-known"),
        ("https://example.org/a--b/", "https://example.org/a--b/"),
        ("see https://x.org/a---b--c and 1--2", f"see https://x.org/a---b--c and 1{EN}2"),
        ("(http://ego-exo4d-data.org/--) -- done", f"(http://ego-exo4d-data.org/--) {EN} done"),
        ("<!-- note -->", "<!-- note -->"),
        ("a -> b", "a -> b"),
        ("plain text", "plain text"),
    ],
)
def test_clean_latex(text: str, expected: str) -> None:
    assert clean_latex(text) == expected


@pytest.fixture(scope="module")
def md() -> MarkdownRenderer:
    return MarkdownRenderer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Accuracy 58.5\\%.", "<p>Accuracy 58.5%.</p>"),
        ("to ''translate'' it", f"<p>to {LQ}translate{RQ} it</p>"),
        ("10--20 and a---b", f"<p>10{EN}20 and a{EM}b</p>"),
        ("*emphasis* and **strong**", "<p><em>emphasis</em> and <strong>strong</strong></p>"),
        ("<b>bold</b>", "<p>&lt;b&gt;bold&lt;/b&gt;</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("x <img src=x onerror=alert(1)> y", "<p>x &lt;img src=x onerror=alert(1)&gt; y</p>"),
        ("Tom & Jerry", "<p>Tom &amp; Jerry</p>"),
        (
            "Project page: https://example.org/a--b/",
            '<p>Project page: <a href="https://example.org/a--b/">https://example.org/a--b/</a></p>',
        ),
        ("[site](https://example.org/x--y)", '<p><a href="https://example.org/x--y">site</a></p>'),
        ("costs $5 and $6 today", "<p>costs $5 and $6 today</p>"),
    ],
)
def test_render_exact(md: MarkdownRenderer, text: str, expected: str) -> None:
    assert str(md.render(text)).strip() == expected


def test_render_without_latex_keeps_dashes(md: MarkdownRenderer) -> None:
    assert str(md.render("a -- b and 5\\%", latex=False)).strip() == "<p>a -- b and 5\\%</p>"


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](javascript:alert(1))",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
    ],
)
def test_unsafe_links_are_dropped(md: MarkdownRenderer, text: str) -> None:
    html = str(md.render(text))
    elements = parse_html(html)
    for element in elements:
        for attr in ("href", "src"):
            value = element.attrs.get(attr)
            if value is not None:
                compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                assert not compact.startswith(("javascript:", "vbscript:", "data:")), html
        assert element.tag not in ("script", "iframe")
        assert not any(name.startswith("on") for name in element.attrs)


def test_safe_links_are_kept(md: MarkdownRenderer) -> None:
    html = str(md.render("[a](https://a.org) [b](mailto:b@c.org) [c](../rel/) [d](#frag)"))
    hrefs = [e.attrs["href"] for e in find(parse_html(html), "a")]
    assert hrefs == ["https://a.org", "mailto:b@c.org", "../rel/", "#frag"]


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("$x^2$", ["msup"]),
        ("$\\frac{a}{b}$", ["mfrac"]),
        ("$\\sqrt{n}$", ["msqrt"]),
        ("$\\mathcal{O}(n)$", ["mi"]),
        ("$a_{i}$", ["msub"]),
    ],
)
def test_math_becomes_mathml(md: MarkdownRenderer, text: str, tags: list[str]) -> None:
    html = str(md.render(f"We get {text} here."))
    elements = parse_html(html)
    maths = find(elements, "math")
    assert len(maths) == 1, html
    inner = {e.tag for e in elements if any(p is maths[0] for p in e.parents)}
    for tag in tags:
        assert tag in inner, html
    assert "$" not in squash(parse_html(html)[0].text)


def test_math_is_not_touched_by_latex_cleaning(md: MarkdownRenderer) -> None:
    html = str(md.render("Range $a--b$ and 10--20."))
    elements = parse_html(html)
    (math,) = find(elements, "math")
    assert EN not in math.text
    assert f"10{EN}20" in squash(elements[0].text)


def test_math_x_squared(md: MarkdownRenderer) -> None:
    elements = parse_html(str(md.render("$x^2$")))
    (sup,) = find(elements, "msup")
    assert [(e.tag, e.text) for e in elements if any(p is sup for p in e.parents)] == [
        ("mi", "x"),
        ("mn", "2"),
    ]
    assert find(elements, "math")[0].inside("p") is not None


def test_plain_text_for_descriptions(md: MarkdownRenderer) -> None:
    assert md.plain("58.5\\%  on\n''hard'' -- cases") == f"58.5% on {LQ}hard{RQ} {EN} cases"


# ------------------------------------------------------------ the plain-prose fast path


def _markdown_itself(text: str) -> str:
    md = MarkdownRenderer()._markdown()
    md.reset()
    return md.convert(text)


def _real_abstracts(limit: int) -> list[str]:
    """Every n-th abstract of the shared ACL Anthology corpus, and this site's own."""
    import gzip
    import json
    from pathlib import Path

    import yaml

    repo = Path(__file__).resolve().parents[1]
    texts = []
    for path in sorted((repo / "content" / "publications").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("abstract"):
            texts.append(data["abstract"])
    corpus = repo.parent / "shared" / "corpus" / "acl-anthology.jsonl.gz"
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        abstracts = [a for a in (json.loads(line).get("abstract") for line in handle) if a]
    step = max(1, len(abstracts) // limit)
    return texts + abstracts[::step]


EDGES = [
    " `a b` ",
    "`x`",
    " ` y`",
    "`y `",
    "\n\n  ",
    "  \n",
    "\n1. ",
    "\n2) ",
    "\n- ",
    "\n+ ",
    " & ",
    " &amp; ",
    " &#38; ",
    " > ",
    "\n> ",
    " ``a`` ",
    "\n\n\n",
    " `a`b`c` ",
    "\t",
    "\n    code",
    "\n===\n",
    "\n---\n",
    " \u00a0 ",
    ' "q" ',
    " 'q' ",
    " *e* ",
    " _e_ ",
    " [l](x) ",
    " <b> ",
    " <http://x> ",
    " \\* ",
    " http://x.org ",
    " # ",
    "\n# h",
    " a|b ",
    " ~~s~~ ",
    " `<b>` ",
    " `a & b` ",
    " `a\nb` ",
    "\n:",
    "  ",
    "\n\n",
    " **s** ",
    " *e **s** e* ",
    " ***x*** ",
    " 2*3*4 ",
    " * x * ",
    " *a\nb* ",
    " **a*b** ",
    "\n* item",
    " [t](https://x.org/a_b?c=1&d=2) ",
    " [t](http://x.org) ",
    " [a *b*](https://x.org) ",
    " [t](x.html) ",
    ' [t](https://x.org "T") ',
    " [[t]](https://x.org) ",
    " [t]: https://x.org ",
    "\n12. item",
    "\n12.5% ",
    " *`c`* ",
    " `*` ",
    " **a** **b** ",
    " *a* *b* ",
    " a*b ",
    " [t](https://x.org/(a)) ",
    "\n*x* y ",
    "\n* x ",
    "\n**x** y ",
    " [a\nb](https://x.org) ",
    " [a\n\nb](https://x.org) ",
]


def test_math_wrapped_over_two_lines_is_still_math():
    html = MarkdownRenderer().render("cost $\\mathcal{O}(n\n\\log n)$ here, $a\n\nb$ not")
    assert html.count("<math") == 1 and "$a" in html


def test_the_fast_path_gives_exactly_what_markdown_gives():
    """Plain abstracts skip Markdown: on real abstracts, with edge cases spliced in, the HTML is the same."""
    from site_builder.markup import _plain_html

    texts = _real_abstracts(4000)
    mutated = []
    for i, text in enumerate(texts):
        edge = EDGES[i % len(EDGES)]
        at = (i * 7919) % (len(text) + 1)
        mutated += [text[:at] + edge + text[at:], text + edge, edge + text]
    taken = 0
    for text in texts + mutated:
        fast = _plain_html(text)
        if fast is not None:
            taken += 1
            assert fast == _markdown_itself(text), text
    assert taken > len(texts) // 2  # the fast path is used for most prose, or it saves nothing


@pytest.mark.parametrize("edge", EDGES)
def test_markdown_syntax_never_takes_the_fast_path_wrongly(edge):
    from site_builder.markup import _plain_html

    text = f"We show{edge}that it works.\nSecond line."
    fast = _plain_html(text)
    assert fast is None or fast == _markdown_itself(text)


def test_plain_prose_renders_without_importing_markdown() -> None:
    """A rebuild whose abstracts are plain prose does not pay for importing the Markdown package."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import site_builder.build, site_builder.cli, site_builder.patch, site_builder.render\n"
        "from site_builder.markup import MarkdownRenderer\n"
        "r = MarkdownRenderer()\n"
        "text = 'We *learn* `x` with $n^2$ [here](https://example.org).'\n"
        "print(r.render(text), 'markdown' in sys.modules)\n"
        "print(r.render('- a list'), 'markdown' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    first, second = out.strip().split("\n", 1)
    assert first.startswith("<p>We <em>learn</em> <code>x</code> with <math") and first.endswith(" False")
    assert second.endswith(" True") and "<li>a list</li>" in second


def _random_texts(alphabet: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def test_paragraphs_markdown_acts_on_are_those_the_old_expression_found() -> None:
    """``_not_plain`` checks lines with string tests; it must agree with the one expression it replaced."""
    from site_builder.markup import _not_plain

    reference = re.compile(
        r"[\\_<!#|~\t\r]|&[#\w]+;|``|\*\*\*"
        r"|^[ \t]|[ \t]$|^(?:[-+=>:]|\*(?:\s|$)|\d+[.)](?:\s|$))",
        re.MULTILINE,
    )
    alphabet = [*" \t\n-+=>:*.)&#;`_<!|~\r\\", "a", "7", "\u0663", "\u00a0", "\u2003", "&amp;", "**", "12."]
    texts = _random_texts(alphabet, 60_000, seed=8)
    differ = [t for t in texts if _not_plain(t) != bool(reference.search(t))]
    assert differ == []
    assert 0.1 < sum(map(_not_plain, texts)) / len(texts) < 0.99  # both answers are tried


def test_urls_kept_from_latex_cleaning_are_those_the_old_expression_found() -> None:
    from site_builder.markup import _URL

    reference = re.compile(r"\S+://\S+")
    alphabet = ["a", ":", "/", " ", "\n", "\u00a0", "x://", "://", "\t", "-", "''"]
    texts = _random_texts(alphabet, 60_000, seed=9)
    spans = [([m.span() for m in _URL.finditer(t)], [m.span() for m in reference.finditer(t)]) for t in texts]
    differ = [t for t, (ours, theirs) in zip(texts, spans, strict=True) if ours != theirs]
    assert differ == []
    assert sum(1 for t in texts if reference.search(t)) > 1000  # URLs are found, not only missed
