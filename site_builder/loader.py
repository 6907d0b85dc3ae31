"""Read a project folder (``site.yaml`` and ``content/``) into a validated :class:`Site`."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import digest
from .config import SiteConfig, check_base_url, config_from_mapping
from .errors import Problem, ProblemsError, Severity
from .layout import (
    BASE_URL_ENV,
    CONFIG_FILE,
    CONTENT_DIR,
    NEWS_FILE,
    PAGES_DIR,
    PEOPLE_FILE,
    PUBLICATIONS_DIR,
    display_path,
)
from .markup import MarkdownRenderer
from .model import NewsItem, Page, Publication, Site, publication_from_mapping, quick_pickle
from .pages import check_pages, lab_config, news_from_data, page_from_text
from .people import Person, people_from_data
from .slugs import paper_key
from .yamlio import load_yaml

if TYPE_CHECKING:
    from .importer import Existing


def read_text(path: Path) -> tuple[str | None, Problem | None]:
    """Read a UTF-8 file; return its text or a located problem."""
    _, text, problem = _read_file(path)
    return text, problem


def _read_file(path: Path) -> tuple[bytes, str | None, Problem | None]:
    """Read a file once: its bytes, and its UTF-8 text (newlines as ``\\n``) or a located problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return b"", None, Problem(display_path(path), None, f"cannot read: {exc.strerror}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return data, None, Problem(display_path(path), line, f"not valid UTF-8 text ({exc.reason})")
    return data, text.replace("\r\n", "\n").replace("\r", "\n"), None  # as text mode reads it


def _load_yaml_file(path: Path) -> tuple[object, list[Problem]]:
    _, data, problems = _load_yaml_bytes(path)
    return data, problems


def _load_yaml_bytes(path: Path) -> tuple[bytes, object, list[Problem]]:
    raw, text, problem = _read_file(path)
    if problem is not None:
        return raw, None, [problem]
    try:
        return raw, load_yaml(text or "", display_path(path)), []
    except ProblemsError as exc:
        return raw, None, exc.problems


def publication_files(content: Path) -> list[Path]:
    """Return the paper files of a content folder, sorted by name."""
    folder = content / PUBLICATIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_config(root: Path) -> tuple[SiteConfig | None, list[Problem]]:
    """Read and validate ``site.yaml``."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return None, [
            Problem(
                display_path(path),
                None,
                "no site.yaml here (run site-builder in the site's folder, or pass --root)",
            )
        ]
    data, problems = _load_yaml_file(path)
    if problems:
        return None, problems
    config, problems = config_from_mapping(data, display_path(path))
    fallback = os.environ.get(BASE_URL_ENV, "").strip()
    if config is not None and not config.base_url and fallback:
        base_url, why = check_base_url(fallback)
        if why:
            problems.append(Problem(f"${BASE_URL_ENV} (or --base-url)", None, why))
        else:
            config = dataclasses.replace(config, base_url=base_url)
    return config, problems


@quick_pickle
@dataclass(frozen=True, slots=True)
class PaperFile:
    """One paper file as read: its paper (None when unusable), its problems, a digest of its bytes."""

    publication: Publication | None
    problems: tuple[Problem, ...]
    digest: bytes = b""  # what the pages showing it depend on (rebuilds compare it)


def load_publication_file(path: Path) -> PaperFile:
    """Read and validate one paper file."""
    raw, data, found = _load_yaml_bytes(path)
    if found:
        return PaperFile(None, tuple(found), digest(raw))
    publication, found = publication_from_mapping(data, path.stem, display_path(path))
    return PaperFile(publication, tuple(found), digest(raw))


def assemble_publications(papers: Mapping[Path, PaperFile]) -> tuple[list[Publication], list[Problem]]:
    """Check slugs and duplicate papers across files; return the papers newest first and the problems."""
    publications: list[Publication] = []
    problems: list[Problem] = []
    stems: dict[str, Path] = {}  # paths are shown as messages name them only when there is a message
    for path in sorted(papers):
        if path.stem in stems:
            also = display_path(stems[path.stem])
            problems.append(Problem(display_path(path), None, f"duplicate slug {path.stem!r}: also {also}"))
            continue
        stems[path.stem] = path
        paper = papers[path]
        problems.extend(paper.problems)
        if paper.publication is not None:
            publications.append(paper.publication)
    problems += duplicate_papers((pub.source, paper_key(pub.title, pub.authors[0])) for pub in publications)
    # Papers of one day are in file-name order, as Jekyll lists posts: fixing a title never
    # moves a paper, so an edit changes only the pages that show it (see patch.py).
    publications.sort(key=site_order)
    return publications, problems


def site_order(pub: Publication) -> tuple[int, str]:
    """Return where a paper goes in the site's order: newest first, then by slug (its file's name)."""
    return (-pub.date.toordinal(), pub.slug)


def duplicate_papers(papers: Iterable[tuple[str, str]]) -> list[Problem]:
    """Warn about each paper with the title and first author of an earlier one.

    ``papers`` are each file's path as shown and :func:`~site_builder.slugs.paper_key`, in
    file-name order; the first file of a kind is the one the others are told to match.
    """
    first: dict[str, str] = {}
    problems = []
    for shown, key in papers:
        if key in first:
            problems.append(
                Problem(
                    shown,
                    1,
                    f"the same paper as {first[key]} (same title and first author)",
                    Severity.WARNING,
                )
            )
        else:
            first[key] = shown
    return problems


def load_publications(content: Path) -> tuple[list[Publication], list[Problem]]:
    """Read and validate every paper file; return the usable papers and every problem."""
    return assemble_publications({path: load_publication_file(path) for path in publication_files(content)})


def load_people(content: Path) -> tuple[list[Person], list[Problem]]:
    """Read ``content/people.yaml`` when there is one."""
    path = content / PEOPLE_FILE
    if not path.is_file():
        return [], []
    data, problems = _load_yaml_file(path)
    if problems:
        return [], problems
    return people_from_data(data, display_path(path))


def load_pages(content: Path) -> tuple[list[Page], list[Problem]]:
    """Read and validate ``content/pages/*.md``, sorted by file name."""
    folder = content / PAGES_DIR
    if not folder.is_dir():
        return [], []
    pages: list[Page] = []
    problems: list[Problem] = []
    for path in sorted(p for p in folder.iterdir() if p.suffix in (".md", ".markdown") and p.is_file()):
        text, problem = read_text(path)
        if problem is not None:
            problems.append(problem)
            continue
        page, found = page_from_text(text or "", path.stem, display_path(path))
        problems.extend(found)
        if page is not None:
            pages.append(page)
    problems.extend(check_pages(pages))
    return pages, problems


def load_news(content: Path) -> tuple[list[NewsItem], list[Problem]]:
    """Read ``content/news.yaml`` when there is one; the items come newest first."""
    path = content / NEWS_FILE
    if not path.is_file():
        return [], []
    data, problems = _load_yaml_file(path)
    if problems:
        return [], problems
    return news_from_data(data, display_path(path))


def load_site(
    root: Path, papers: Mapping[Path, PaperFile] | None = None
) -> tuple[Site | None, list[Problem]]:
    """Read the whole project; the Site is None when the configuration is unusable.

    ``papers`` are the paper files already read (by a parallel or cached load), if any.
    """
    config, problems = load_config(root)
    if papers is None:
        publications, found = load_publications(root / CONTENT_DIR)
    else:
        publications, found = assemble_publications(papers)
    problems.extend(found)
    people, found = load_people(root / CONTENT_DIR)
    problems.extend(found)
    pages, found = load_pages(root / CONTENT_DIR)
    problems.extend(found)
    news, found = load_news(root / CONTENT_DIR)
    problems.extend(found)
    if config is None:
        return None, problems
    config, found = lab_config(config, pages, news, people, MarkdownRenderer())
    problems.extend(found)
    site = Site(
        config=config,
        publications=tuple(publications),
        people=tuple(people),
        pages=tuple(p for p in pages if p.slug),
        news=tuple(news),
    )
    return site, problems


def existing_content(content: Path) -> list[Existing]:
    """Index the paper files already present, for matching re-imported entries."""
    from .importer import Existing, record_key  # only imports need it: builds start sooner

    found = []
    for path in publication_files(content):
        text, problem = read_text(path)
        data = None
        if problem is None:
            try:
                data = load_yaml(text or "", display_path(path))
            except ProblemsError:
                data = None
        record = dict(data) if isinstance(data, dict) else None
        lines = dict(getattr(data, "lines", {}))
        found.append(
            Existing(
                path.stem,
                display_path(path),
                record_key(record) if record else None,
                text,
                record,
                {str(k): v for k, v in lines.items()},
            )
        )
    return found
