"""The Markdown package, set up for text from paper files: raw HTML shown as text, URLs kept safe.

Imported only when some text needs Markdown's machinery (:mod:`~site_builder.markup`
converts plain prose itself): importing the package takes about 11 ms.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown
from markdown.extensions import Extension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from .model import check_url


def converter() -> markdown.Markdown:
    """Return a new converter: raw HTML as text, bare URLs linked, unsafe URLs dropped, sane lists."""
    # extensions as objects: named, they are looked up among the entry points of every
    # installed package, which took 25 ms
    return markdown.Markdown(extensions=[_SafeMarkdown(), SaneListExtension()], output_format="html")


class _SafeLinks(Treeprocessor):
    """Drop URLs that are not http(s), mailto or relative; an image left without one becomes its alt text."""

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is not None and check_url(value.strip()) is not None:
                    del element.attrib[attr]
            if element.tag == "img" and "src" not in element.attrib:
                alt = element.get("alt", "")
                element.attrib.clear()
                element.tag, element.text = "span", alt


class _BareUrl(InlineProcessor):
    """Link bare ``http(s)://`` URLs, as listings write them (``Project page: https://…``)."""

    def handleMatch(  # type: ignore[override]  # Markdown's API
        self, m: re.Match[str], data: str
    ) -> tuple[ET.Element, int, int]:
        link = ET.Element("a", {"href": m.group(0)})
        link.text = m.group(0)
        return link, m.start(0), m.end(0)


_BARE_URL = r"(?<![\w/])https?://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]]"


class _SafeMarkdown(Extension):
    """Treat raw HTML as text, link bare URLs and keep URLs safe."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_BareUrl(_BARE_URL, md), "bare_url", 90)
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
