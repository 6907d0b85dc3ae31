"""Abstracts and pages from Markdown to safe HTML, with the LaTeX leftovers of listings cleaned.

Raw HTML in Markdown is shown as text, never passed through; link and image
URLs with schemes other than http(s)/mailto are dropped; ``$…$`` math becomes
MathML at build time, so the browser needs no script and makes no request.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    import markdown

# $…$ on one line, or wrapped over lines of one paragraph (listings wrap long abstracts)
_MATH = re.compile(r"(?<![\\$])\$(?!\s)((?:\\.|[^$\\\n]|\n(?![ \t]*\n)){1,400}?)(?<!\s)\$(?!\d)")
_PLACEHOLDER = "\ue000{}\ue001"  # private-use characters, which Markdown leaves alone
_PLACEHOLDER_RE = re.compile("\ue000(\\d+)\ue001")
# A word with :// inside, matched from the word's start: what \S+://\S+ finds, without trying
# every position of every word (the lazy part stops at the first :// that has a character after)
_URL = re.compile(r"(?<!\S)\S+?://\S+")
# Control characters and bidirectional overrides: never printed on a page.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_latex(text: str) -> str:
    """Replace the LaTeX leftovers of listings outside math: ``\\%``, ``''x''``, ``--``, ``---``."""
    if "\\" not in text and "''" not in text and "--" not in text:
        return text  # nothing to clean: most text (an opening `` needs a closing '')
    if "://" not in text:
        return _clean_piece(text)
    out, end = [], 0
    for url in _URL.finditer(text):  # URLs are kept as they are
        out += [_clean_piece(text[end : url.start()]), url.group()]
        end = url.end()
    out.append(_clean_piece(text[end:]))
    return "".join(out)


_ESCAPED = re.compile(r"\\([%&#_{}])")
_QUOTED = re.compile(r"(?:``|'')(?=\S)(.+?)(?<=\S)''")
_DASHES = re.compile(r"--+")


def _dash(match: re.Match[str]) -> str:
    """Return the dash for a run of hyphens: ``---`` an em dash, ``--`` an en dash, others as they are.

    Runs after ``!`` or ``<`` (``<!--``), and a ``--`` before ``>`` (``-->``), stay as they are.
    """
    run, start = match.group(), match.start()
    if start and match.string[start - 1] in "!<":
        return run
    if len(run) == 3:
        return "\u2014"
    if len(run) == 2 and not match.string.startswith(">", match.end()):
        return "\u2013"
    return run


def _clean_piece(text: str) -> str:
    if "\\" in text:
        text = _ESCAPED.sub(r"\1", text)
    if "''" in text:
        text = _QUOTED.sub("\u201c\\1\u201d", text)
    if "--" in text:
        text = _DASHES.sub(_dash, text)
    return text


@functools.lru_cache(maxsize=4096)
def _math_to_mathml(tex: str) -> str:
    try:
        from latex2mathml.converter import convert
    except ImportError:  # pragma: no cover - latex2mathml is a declared dependency
        return f'<code class="math">{html.escape(tex)}</code>'
    try:
        mathml = convert(tex)
    except Exception:
        return f'<code class="math">{html.escape(tex)}</code>'
    return mathml


# Plain prose, the usual abstract, needs little of Markdown's machinery: paragraphs of text
# with `code`, *emphasis*, **strong** and [links](https://…). Such text is converted here
# directly, to exactly the HTML Markdown gives (tests/test_markup.py checks that both agree
# on every abstract of the real corpora, and with edge cases spliced in); anything else
# (other syntax, escapes, HTML, entities, bare URLs, odd spacing or nesting) goes through
# Markdown.
_INLINE_SYNTAX = re.compile(r"[\\_<!#|~\t\r]")  # characters Markdown acts on, besides `` ***, entities
_ENTITY = re.compile(r"&[#\w]+;")
_NUMBERED = re.compile(r"\d+[.)](?:\s|$)")
_LINE_STARTS = (" ", "\t", "-", "+", "=", ">", ":")  # an indent, a list, a heading rule, a quote


def _not_plain(paragraph: str) -> bool:
    """Return whether Markdown would act on a paragraph: inline syntax, or a line's start or end.

    A line starting with a space, a tab, ``-+=>:``, a ``*`` bullet or ``1.`` / ``1)``, or
    ending with a space or a tab (a break), is a block Markdown reads otherwise. Checked
    line by line with string tests: one regular expression anchored at every line start and
    end cost a third of converting an abstract.
    """
    if _INLINE_SYNTAX.search(paragraph) or "``" in paragraph or "***" in paragraph:
        return True
    if "&" in paragraph and _ENTITY.search(paragraph):
        return True
    for line in paragraph.split("\n"):
        if line.startswith(_LINE_STARTS) or line.endswith((" ", "\t")):
            return True
        if line.startswith("*") and (len(line) == 1 or line[1].isspace()):
            return True
        if line[:1].isdecimal() and _NUMBERED.match(line):
            return True
    return False


_CODE_SPAN = re.compile(r"`([^`\s](?:[^`\n]*[^`\s])?)`")
_LINK = re.compile(r"\[([^\[\]`*]+)\]\((https?://[^\s()<>\"'`\[\]*]+)\)")
_STRONG = re.compile(r"\*\*([^*\s](?:[^*\n]*[^*\s])?)\*\*")
_EM = re.compile(r"\*([^*\s](?:[^*\n]*[^*\s])?)\*")
_LEFT = re.compile(r"[*\[\]]|https?:")  # syntax left over after the forms above: not plain
_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")


def _plain_html(text: str) -> str | None:
    """Return Markdown's HTML for plain paragraphs (code, emphasis, links), or None for anything else."""
    text = text.strip("\n")
    if not text:
        return None
    out = []
    for paragraph in _PARAGRAPHS.split(text):
        if not paragraph or _not_plain(paragraph):
            return None
        pieces = paragraph.replace("&", "&amp;").replace(">", "&gt;").split("`")
        if len(pieces) % 2 == 0:
            return None  # an odd backtick
        html = []
        for i, piece in enumerate(pieces):
            if i % 2:  # inside a code span
                if not _CODE_SPAN.fullmatch(f"`{piece}`"):
                    return None
                html.append(f"<code>{piece}</code>")
                continue
            piece = _LINK.sub(r'<a href="\2">\1</a>', piece)
            piece = _EM.sub(r"<em>\1</em>", _STRONG.sub(r"<strong>\1</strong>", piece))
            if _LEFT.search(_LINK_TAG.sub("", piece)):
                return None
            html.append(piece)
        out.append("<p>" + "".join(html) + "</p>")
    return "\n".join(out)


_LINK_TAG = re.compile(r'<a href="[^"]*">')


class MarkdownRenderer:
    """One reusable Markdown converter with a cache of rendered text, kept as UTF-8.

    A build holds every abstract's HTML from reading to rendering (and in its cache): as
    UTF-8 it takes half the memory of a ``str`` with one dash or accent in it (such a
    ``str`` takes two bytes a character), and a paper's view decodes it when a page shows it.
    """

    def __init__(self, cache: Mapping[tuple[str, bool], str | bytes] | None = None) -> None:
        self._known = cache if cache is not None else {}  # HTML rendered earlier, by source text
        self._md: markdown.Markdown | None = None  # made when first needed: plain text needs none
        self._cache: dict[tuple[str, bool], bytes] = {}

    def render(self, text: str, *, latex: bool = True) -> Markup:
        """Return safe HTML for Markdown text; ``latex`` cleans listing leftovers and renders math."""
        return Markup(self.render_utf8(text, latex=latex).decode("utf-8"))

    def render_utf8(self, text: str, *, latex: bool = True) -> bytes:
        """Return :meth:`render`'s HTML as UTF-8 (as it is kept)."""
        key = (text, latex)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        known = self._known.get(key)
        if known is not None:
            self._cache[key] = known if isinstance(known, bytes) else known.encode("utf-8")
            return self._cache[key]
        maths: list[str] = []

        def stash(match: re.Match[str]) -> str:
            maths.append(match.group(1))
            return _PLACEHOLDER.format(len(maths) - 1)

        source = text.replace("\ue000", "").replace("\ue001", "").replace("\x00", "")
        if latex:
            if "$" in source:  # the expression looks at every position; most text has no math
                source = _MATH.sub(stash, source)
            source = clean_latex(source)
        out = _plain_html(source)
        if out is None:
            md = self._markdown()
            md.reset()
            out = md.convert(source)
        if maths:
            out = _PLACEHOLDER_RE.sub(lambda m: _math_to_mathml(maths[int(m.group(1))]), out)
        result = self._cache[key] = UNPRINTABLE.sub("", out).encode("utf-8")
        return result

    def _markdown(self) -> markdown.Markdown:
        """Return the converter, made when first needed (plain prose needs none, nor the import)."""
        if self._md is None:
            from .safemarkdown import converter

            self._md = converter()
        return self._md

    def plain(self, text: str) -> str:
        """Return the text of Markdown with LaTeX leftovers cleaned, for meta descriptions."""
        return re.sub(r"\s+", " ", clean_latex(text)).strip()
