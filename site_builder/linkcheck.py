"""Check a built site's links offline: every internal link, anchor and asset must resolve.

Internal URLs are relative ones, absolute paths, and absolute URLs under ``base_url``; a
path that starts with ``base_url``'s path (``/repo/``) maps to the output folder, as
GitHub Pages serves a project site. External URLs are checked for syntax only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import Problem
from .layout import display_path

_SKIPPED_SCHEMES = frozenset({"mailto", "tel", "data"})
_XML_URL = re.compile(r"<(?:loc|id)>([^<]+)</(?:loc|id)>|\bhref=\"([^\"]+)\"")
_SITEMAP_LINE = re.compile(r"^Sitemap:\s*(\S+)", re.MULTILINE)


class _Links(HTMLParser):
    """Collect the ids and the (line, attribute, URL) of every href and src of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.urls.append((line, value.strip()))

    handle_startendtag = handle_starttag


def _ids_and_urls(text: str) -> tuple[set[str], list[tuple[int, str]]]:
    parser = _Links()
    parser.feed(text)
    parser.close()
    return parser.ids, parser.urls


def _xml_urls(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        for match in _XML_URL.finditer(line):
            yield number, (match.group(1) or match.group(2)).strip()
        for match in _SITEMAP_LINE.finditer(line):
            yield number, match.group(1)


def external_problem(url: str) -> str | None:
    """Return why an external URL is malformed, or None (no request is made)."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme in ("http", "https") and not parts.hostname:
        return "has no host name"
    return None


class LinkChecker:
    """Check the links of one output folder, caching each page's ids."""

    def __init__(self, out: Path, base_url: str = "") -> None:
        self.out = out
        base = urlsplit(base_url)
        self.origin = f"{base.scheme}://{base.netloc}".lower() if base_url else ""
        self.base_path = base.path or "/" if base_url else "/"
        self._ids: dict[str, set[str]] = {}

    def check(self) -> list[Problem]:
        """Return a problem for every broken internal link, anchor or asset, and malformed URL."""
        problems: list[Problem] = []
        for path in sorted(self.out.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(self.out).as_posix()
            if path.suffix == ".html":
                ids, urls = _ids_and_urls(path.read_text(encoding="utf-8", errors="replace"))
                self._ids.setdefault(rel, ids)
            elif rel in ("sitemap.xml", "feed.xml", "robots.txt") or rel.startswith("sitemaps/"):
                urls = list(_xml_urls(path.read_text(encoding="utf-8", errors="replace")))
            else:
                continue
            shown = display_path(path)
            for line, url in urls:
                why = self.problem(rel, url)
                if why:
                    problems.append(Problem(shown, line, why))
        return problems

    def problem(self, page: str, url: str) -> str | None:
        """Return what is wrong with ``url`` found on ``page`` (a path in the output), or None."""
        if not url:
            return "empty link"
        if url.startswith("#"):
            return self._anchor(page, unquote(url[1:]), url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in _SKIPPED_SCHEMES:
            return None
        if scheme == "javascript":
            return f"javascript: URL {url!r}"
        if scheme or parts.netloc:
            origin = f"{scheme or 'https'}://{parts.netloc}".lower()
            if not self.origin or origin != self.origin:
                why = external_problem(url)
                return f"malformed external URL {url!r}: {why}" if why else None
            return self._site_path(page, unquote(parts.path) or "/", parts.fragment, url)
        if parts.path.startswith("/"):
            return self._site_path(page, unquote(parts.path), parts.fragment, url)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
        if target == ".." or target.startswith("../"):
            return f"link {url!r} leaves the site"
        return self._target(
            page, target if target != "." else "", parts.path.endswith("/"), parts.fragment, url
        )

    def _site_path(self, page: str, path: str, fragment: str, url: str) -> str | None:
        if not path.startswith(self.base_path) and path + "/" != self.base_path:
            return f"link {url!r} is outside the site's base path {self.base_path}"
        rest = path[len(self.base_path) :]
        return self._target(page, posixpath.normpath(rest) if rest else "", path.endswith("/"), fragment, url)

    def _target(self, page: str, target: str, folder: bool, fragment: str, url: str) -> str | None:
        file = self.out / target if target else self.out
        if file.is_dir():
            target = posixpath.join(target, "index.html") if target else "index.html"
            file = self.out / target
        elif folder:
            return f"broken link {url!r}: no folder {target}/ in the site"
        if not file.is_file():
            return f"broken link {url!r}: no file {target} in the site"
        if fragment:
            return self._anchor(target, unquote(fragment), url)
        return None

    def _anchor(self, target: str, fragment: str, url: str) -> str | None:
        if not fragment or fragment == "top" or not target.endswith(".html"):
            return None
        if target not in self._ids:
            file = self.out / target
            self._ids[target] = (
                _ids_and_urls(file.read_text(encoding="utf-8", errors="replace"))[0]
                if file.is_file()
                else set()
            )
        if fragment not in self._ids[target]:
            return f"broken anchor {url!r}: no id {fragment!r} on {target}"
        return None


def check_links(out: Path, base_url: str = "") -> list[Problem]:
    """Check every link of the site built in ``out``; return the problems, located."""
    return LinkChecker(out, base_url).check()
