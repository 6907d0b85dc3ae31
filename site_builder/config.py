"""``site.yaml`` into a frozen :class:`SiteConfig`, reporting every problem at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import Problem
from .model import NewsView, _as_linemap, _Checker, _kind, check_url
from .yamlio import LineMap

CONFIG_KEYS = (
    "title",
    "description",
    "base_url",
    "language",
    "author",
    "intro",
    "members",
    "nav",
    "repository",
    "repository_branch",
    "footer",
    "cname",
)


@dataclass(frozen=True, slots=True)
class NavItem:
    """One entry of the site's navigation bar; ``url`` is relative to the site root."""

    title: str
    url: str


DEFAULT_NAV = (NavItem("Home", ""), NavItem("Publications", "publications/"))


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The site's settings from ``site.yaml``."""

    title: str
    description: str = ""
    base_url: str = ""
    language: str = "en"
    author: str = ""
    intro: str = ""
    members: tuple[str, ...] = ()
    nav: tuple[NavItem, ...] = ()
    repository: str = ""
    repository_branch: str = "main"
    footer: str = ""
    cname: str = ""  # a custom domain for GitHub Pages, written to the CNAME file
    news: tuple[NewsView, ...] = ()  # from content/news.yaml (not a site.yaml key), newest first

    @property
    def base_path(self) -> str:
        """Return the URL path of ``base_url`` (``/repo/``), or an empty string without a base URL."""
        return urlsplit(self.base_url).path or "/" if self.base_url else ""


_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)


def check_base_url(base_url: str) -> tuple[str, str | None]:
    """Return ``base_url`` ending in ``/`` and why it is not usable (or None)."""
    if not base_url.startswith(("http://", "https://")) or not urlsplit(base_url).netloc:
        return "", f"'base_url' must start with http:// or https://, got {base_url!r}"
    if any(ch.isspace() for ch in base_url) or "?" in base_url or "#" in base_url:
        return "", f"'base_url' must be a plain address with no spaces, query or fragment, got {base_url!r}"
    return (base_url if base_url.endswith("/") else base_url + "/"), None


def config_from_mapping(data: Any, path: str) -> tuple[SiteConfig | None, list[Problem]]:
    """Validate the mapping of ``site.yaml``; return the config (None if unusable) and problems."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(path, 1, f"site.yaml must be a mapping of keys, got {_kind(data)}")]
    if not isinstance(data, LineMap):
        data = _as_linemap(data)
    check = _Checker(data, path)
    check.unknown_keys(CONFIG_KEYS)
    title = check.text("title", required=True)
    base_url = check.text("base_url") or ""
    if base_url:
        base_url, why = check_base_url(base_url)
        if why:
            check.add("base_url", why)
    cname = (check.text("cname") or "").lower().rstrip(".")
    if cname and not _HOSTNAME.fullmatch(cname):
        check.add("cname", f"'cname' must be a domain name such as lab.example.org, got {cname!r}")
        cname = ""
    repository = check.text("repository") or ""
    if repository and check_url(repository):
        check.add("repository", f"'repository' {check_url(repository)}")
        repository = ""
    nav = _nav(data, check)
    config = SiteConfig(
        title=title or "",
        description=check.text("description") or "",
        base_url=base_url,
        language=check.text("language") or "en",
        author=check.text("author") or "",
        intro=check.text("intro") or "",
        members=check.strings("members"),
        nav=nav if nav is not None else DEFAULT_NAV,
        repository=repository.rstrip("/"),
        repository_branch=check.text("repository_branch") or "main",
        footer=check.text("footer") or "",
        cname=cname,
    )
    return (config if title else None), check.problems


def _nav(data: LineMap, check: _Checker) -> tuple[NavItem, ...] | None:
    raw = data.get("nav")
    if raw is None:
        return None
    if not isinstance(raw, list):
        check.add("nav", f"'nav' must be a list of {{title, url}} entries, got {_kind(raw)}")
        return None
    items = []
    for item in raw:
        line = getattr(item, "line", check.line("nav"))
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("title"), str)
            or not isinstance(item.get("url"), str)
        ):
            check.problems.append(
                Problem(check.path, line, "each 'nav' entry needs a 'title' and a 'url' (text)")
            )
            continue
        url = item["url"].strip()
        why = check_url(url) if url else None
        if why:
            check.problems.append(Problem(check.path, line, f"nav url {why}"))
            continue
        items.append(NavItem(item["title"].strip(), url.lstrip("/")))
    return tuple(items)
