"""The orchestrator: the one place that knows the order of the stages.

load (site.yaml, content/) → validate → render in memory → write (atomic swap)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import __version__
from .cache import BuildCache, fingerprint, tree_files
from .errors import Problem, ProblemsError, Severity, errors_only
from .loader import CONFIG_FILE, display_path, load_site
from .markup import MarkdownRenderer
from .model import Site
from .output import check_output_dir, write_site
from .render import make_environment, render_pages

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIRS = ("content", "templates", "static")


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did."""

    out: Path
    pages: int
    files: int
    papers: int
    warnings: tuple[Problem, ...]
    up_to_date: bool = False  # nothing changed since the last build, nothing written


def theme_dirs(project: Path, sub: str) -> list[Path]:
    """Return the project's own folder ``sub`` then the built-in theme's, those that exist.

    An installed package carries its theme in ``site_builder/theme/``; a source checkout
    (editable install) uses the repository's own ``templates/`` and ``static/``, and only
    when the folder above the package is that checkout, never a stray site-packages folder.
    """
    builtin = PACKAGE_DIR / "theme" / sub
    if not builtin.is_dir() and (PACKAGE_DIR.parent / "pyproject.toml").is_file():
        builtin = PACKAGE_DIR.parent / sub
    seen: list[Path] = []
    for path in (project / sub, builtin):
        if path.is_dir() and path.resolve() not in [s.resolve() for s in seen]:
            seen.append(path)
    return seen


def static_files(project: Path) -> set[str]:
    """Return the site paths of the files copied from the static folders (``static/…``)."""
    files = set()
    for folder in theme_dirs(project, "static"):
        files |= {f"static/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()}
    return files


def local_link_problems(site: Site, project: Path) -> list[Problem]:
    """Report links to files of the site (relative URLs) that nothing in the site provides."""
    known = static_files(project)
    pages = {f"publications/{p.slug}/" for p in site.publications} | {"", "publications/", "authors/"}
    problems = []
    for pub in site.publications:
        for link in pub.links:
            url = link.url
            if "://" in url or url.startswith(("mailto:", "#", "//")):
                continue
            path = url.split("#")[0].split("?")[0].lstrip("/")
            if path in known or path in pages or f"{path}/" in pages or path.rstrip("/") + "/" in pages:
                continue
            problems.append(
                Problem(
                    pub.source,
                    link.line,
                    f"link {link.kind!r} points to {url!r}, which is not a file of the site"
                    " (put the file in static/ and link it as static/…)",
                )
            )
    return problems


def load_checked(project: Path, strict: bool = False) -> tuple[Site, list[Problem]]:
    """Load and validate the project; raise ProblemsError on errors, return the warnings."""
    site, problems = load_site(project)
    if site is not None:
        problems += local_link_problems(site, project)
    fatal = problems if strict else errors_only(problems)
    if fatal or site is None:
        raise ProblemsError(fatal or problems)
    return site, [p for p in problems if p.severity is Severity.WARNING]


def template_problem(exc: jinja2.TemplateError) -> Problem:
    """Locate a template error at ``template:line`` for the user."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(exc.filename or exc.name or "<template>", exc.lineno, exc.message or str(exc))
    frame, where = exc.__traceback__, None
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".bib", ".json")):
            where = (filename, frame.tb_lineno)
        frame = frame.tb_next
    path, line = where if where else ("<template>", None)
    return Problem(display_path(Path(path)), line, f"template error: {exc}")


def render_site(
    project: Path, site: Site, markdown: MarkdownRenderer | None = None
) -> list[tuple[str, bytes]]:
    """Render every page of the site in memory; template mistakes become located problems."""
    env = make_environment(theme_dirs(project, "templates"))
    markdown = markdown or MarkdownRenderer()
    try:
        return [(path, html.encode("utf-8")) for path, html in render_pages(site, env, markdown)]
    except jinja2.TemplateError as exc:
        raise ProblemsError([template_problem(exc)]) from None


def input_files(project: Path) -> list[Path]:
    """Return every file a build reads: configuration, content, templates, static files, our code."""
    return tree_files(
        project / CONFIG_FILE,
        project / "content",
        *theme_dirs(project, "templates"),
        *theme_dirs(project, "static"),
    )


def build(project: Path, out: Path, strict: bool = False, use_cache: bool = True) -> BuildResult:
    """Build the site of ``project`` into ``out``; leave ``out`` untouched on any failure.

    With the cache, a build whose inputs and output are as the last build left them does
    nothing, unchanged output files are linked from the previous output (their modification
    times stay), and only new abstract text goes through Markdown.
    """
    check_output_dir(out, project, SOURCE_DIRS)
    cache = BuildCache.load(project) if use_cache else BuildCache()
    code = fingerprint(tree_files(PACKAGE_DIR), extra=__version__)
    inputs = fingerprint(input_files(project), extra=f"{code}|{strict}|{os.environ.get('SITE_BASE_URL', '')}")
    target = str(out.resolve())
    if use_cache and cache.inputs == inputs and cache.out == target and cache.output_intact(out):
        summary = cache.summary
        return BuildResult(out, summary["pages"], summary["files"], summary["papers"], (), up_to_date=True)
    site, warnings = load_checked(project, strict)
    markdown = MarkdownRenderer(cache.markdown if cache.code == code else None)
    pages = render_site(project, site, markdown)
    static = [(d, "static") for d in reversed(theme_dirs(project, "static"))]
    previous = cache.outputs if cache.out == target and out.is_dir() else {}
    digests: dict[str, bytes] = {}
    files = write_site(out, [*pages, (".nojekyll", b"")], static, previous, digests)
    result = BuildResult(out, len(pages), files, len(site.publications), tuple(warnings))
    if use_cache:
        summary = {"pages": result.pages, "files": result.files, "papers": result.papers}
        BuildCache(inputs, code, target, digests, summary, markdown.cache()).save(project)
    return result
