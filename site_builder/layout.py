"""Where things are: a project's folders and files, the built-in theme, and paths in messages.

Light on purpose (standard library only): a build that finds nothing to do needs only this,
the cache and the output check, and so starts and ends in a fraction of a second.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

CONFIG_FILE = "site.yaml"
CONTENT_DIR = "content"
PUBLICATIONS_DIR = "publications"
PAGES_DIR = "pages"
NEWS_FILE = "news.yaml"
PEOPLE_FILE = "people.yaml"
# The base URL used when site.yaml leaves 'base_url' empty (the Pages workflow sets it).
BASE_URL_ENV = "SITE_BASE_URL"
SOURCE_DIRS = ("content", "templates", "static")  # a build never writes into these
PACKAGE_DIR = Path(__file__).resolve().parent


def display_path(path: Path) -> str:
    """Return ``path`` relative to the working folder when it is inside it, for messages."""
    return _display(str(path), os.getcwd())


@functools.lru_cache(maxsize=1 << 17)
def _display(path: str, cwd: str) -> str:
    parent, name = os.path.split(path)
    if not name or name in (".", ".."):
        return path
    folder = _resolved_dir(parent or ".", cwd)
    if folder is None:
        return path  # outside the working folder: as given
    return name if str(folder) == "." else os.path.join(str(folder), name)


@functools.lru_cache(maxsize=256)
def _resolved_dir(folder: str, cwd: str) -> Path | None:
    """Return a folder resolved and made relative to ``cwd`` (None if outside): once per folder."""
    try:
        return Path(folder).resolve().relative_to(Path(cwd).resolve())
    except ValueError:
        return None


def builtin_theme_dir(sub: str) -> Path:
    """Return the built-in theme's folder ``sub`` (``templates``, ``static``); see :func:`theme_dirs`."""
    builtin = PACKAGE_DIR / "theme" / sub
    if not builtin.is_dir() and (PACKAGE_DIR.parent / "pyproject.toml").is_file():
        builtin = PACKAGE_DIR.parent / sub
    return builtin


def theme_dirs(project: Path, sub: str) -> list[Path]:
    """Return the project's own folder ``sub`` then the built-in theme's, those that exist.

    An installed package carries its theme in ``site_builder/theme/``; a source checkout
    (editable install) uses the repository's own ``templates/`` and ``static/``, and only
    when the folder above the package is that checkout, never a stray site-packages folder.
    """
    seen: list[Path] = []
    for path in (project / sub, builtin_theme_dir(sub)):
        if path.is_dir() and path.resolve() not in [s.resolve() for s in seen]:
            seen.append(path)
    return seen
