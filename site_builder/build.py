"""The orchestrator: the one place that knows the order of the stages.

load (site.yaml, content/) → validate → render in memory → write (atomic swap)

With the cache, a build with nothing to do stops after the scan, and one after an edit to
a few papers' text splices their new pieces into the pages instead (:mod:`.patch`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .cache import (
    BuildCache,
    compiled_templates,
    digest,
    file_digests,
    files_digest,
    folder_times,
    scan,
    scan_folder,
    stat_digest,
)
from .errors import Problem, ProblemsError, Severity, SiteBuilderError, errors_only
from .layout import (
    CONFIG_FILE,
    CONTENT_DIR,
    PACKAGE_DIR,
    PUBLICATIONS_DIR,
    SOURCE_DIRS,
    display_path,
    theme_dirs,
)
from .output import Contents, Writer, check_output_dir, remove_leftovers, safe_join, swap_in
from .parallel import beside, run_tasks

# Loading, Markdown and rendering (jinja2, markdown, yaml) are imported where they are
# first needed, so that a build that finds nothing to do starts and ends at once.
if TYPE_CHECKING:
    import jinja2

    from .loader import PaperFile
    from .markup import MarkdownRenderer
    from .model import Publication, Site
    from .render import Fragments, Job

__all__ = [
    "SOURCE_DIRS",
    "BuildResult",
    "build",
    "load_checked",
    "static_files",
    "template_problem",
    "theme_dirs",
]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did."""

    out: Path
    pages: int
    files: int
    papers: int
    warnings: tuple[Problem, ...]
    up_to_date: bool = False  # nothing changed since the last build, nothing written


def local_link_problems(site: Site, project: Path) -> list[Problem]:
    """Report links to files of the site (relative URLs) that nothing in the site provides."""
    known = set(static_files(project))
    pages = {f"publications/{p.slug}/" for p in site.publications}
    return [problem for pub in site.publications for problem in link_problems(pub, known, pages)]


_SITE_PAGES = frozenset({"", "publications/", "authors/"})


def link_problems(pub: Publication, known: Container[str], papers: Container[str]) -> list[Problem]:
    """Report a paper's links to site files that are neither ``known`` files nor pages of ``papers``."""
    problems = []
    for link in pub.links:
        url = link.url
        if "://" in url or url.startswith(("mailto:", "#", "//")):
            continue
        path = url.split("#")[0].split("?")[0].lstrip("/")
        if path in known or any(
            page in papers or page in _SITE_PAGES for page in (path, f"{path}/", path.rstrip("/") + "/")
        ):
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


def load_checked(
    project: Path, strict: bool = False, papers: Mapping[Path, PaperFile] | None = None
) -> tuple[Site, list[Problem]]:
    """Load and validate the project; raise ProblemsError on errors, return the warnings."""
    from .loader import load_site

    site, problems = load_site(project, papers)
    if site is not None:
        problems += local_link_problems(site, project)
    fatal = problems if strict else errors_only(problems)
    if fatal or site is None:
        raise ProblemsError(fatal or problems)
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    return site, sorted(warnings, key=lambda p: (p.path, p.line or 0))  # as errors are (ProblemsError)


FORKED_CHECK_FROM = 2000  # output folders from which their check runs in a process of its own


def template_problem(exc: jinja2.TemplateError) -> Problem:
    """Locate a template error at ``template:line`` for the user."""
    import jinja2

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


Progress = Callable[[str, int, int], None]  # stage, done, total


def build(
    project: Path,
    out: Path,
    strict: bool = False,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the site of ``project`` into ``out``; leave ``out`` untouched on any failure.

    Stages: read the paper files (changed ones only, with the cache; on every core), check
    the whole site, plan the rendering as jobs (:func:`~site_builder.render.plan_site`),
    then either render every job on every core into a new folder swapped in whole (a cold
    build, or when much changed), or render only the jobs whose key changed and replace
    just their files (a rebuild). Nothing is written until every page has rendered. Before
    all that, a rebuild after an edit to the text of a few papers tries the quick way
    (:func:`~site_builder.patch.quick_patch`), which writes nothing unless it can give
    exactly this output.
    """
    check_output_dir(out, project, SOURCE_DIRS)
    report = progress or (lambda stage, done, total: None)
    cache = BuildCache.load(project) if use_cache else BuildCache()
    target = str(out.resolve())
    # Is the output as the last build left it (its folders' times)? Checked beside the
    # sources' scan below: both are mostly system calls, tens of thousands at 10,000 papers.
    # Its answer is waited for once, however often it is asked.
    intact = functools.cache(
        beside(
            lambda: use_cache and cache.out == target and cache.output_intact(out),
            fork=len(cache.folders) >= FORKED_CHECK_FROM,  # a fork costs about a millisecond
        )
    )
    # our code and the inputs other than papers, by their bytes (read only when their times changed)
    code_times, code = files_digest(scan(PACKAGE_DIR, suffixes=(".py",)), __version__, cache.known)
    papers_dir = project / CONTENT_DIR / PUBLICATIONS_DIR
    paper_stats = scan_folder(papers_dir, (".yaml", ".yml"))  # by name: in the folder, not sub-folders
    others = scan(
        project / CONFIG_FILE,
        project / CONTENT_DIR,
        *theme_dirs(project, "templates"),
        *theme_dirs(project, "static"),
        skip=papers_dir,
    )
    extra = f"{code}|{strict}|{os.environ.get('SITE_BASE_URL', '')}|{target}"
    base_times, base = files_digest(others, extra, cache.known)
    known = {code_times: code, base_times: base}
    inputs = stat_digest(paper_stats, extra=base)
    if cache.code != code:
        intact()  # the check's process reaped
        cache = BuildCache()  # other code: reuse nothing
    elif cache.inputs == inputs and intact():
        cache.save_known(project, known)
        return _up_to_date(out, cache)
    elif use_cache and cache.inputs != inputs:
        # the quick rebuild reads what it needs while the output's check goes on, and asks
        # for its answer before it writes anything
        with _collector_paused():  # a few papers' pieces, and the index: nothing left to collect
            quick = _quick(project, out, cache, paper_stats, base, inputs, known, strict, report, intact)
            _age_all()  # the collector resumes without scanning them (5 ms at 10,000 papers)
        if quick is not None:
            return quick
    same_output = intact() and cache.code == code
    paper_paths = [papers_dir / name for name, _, _ in paper_stats]
    stats = _by_name(paper_stats)

    import jinja2

    from .patch import builtin_templates, make_index, save_index
    from .render import AUTHOR_GROUPS, RELATED_PAPERS, Fragments, make_environment, plan_site

    # Unpickling the cache and reading make many objects and no reference cycles: the cyclic
    # collector, which would scan them again and again as they pile up, waits (it took a
    # tenth of the reading time, and a third of loading the cache at 10,000 papers).
    with _collector_paused():
        if use_cache and cache.code == code:
            report("loading the cache", 0, 0)
            cache.load_rest(project)
            same_output = same_output and bool(cache.outputs)
        markdown, parsed = _read_papers(paper_paths, stats, cache, report)
        report("checking", len(paper_paths), len(paper_paths))
        site, warnings = load_checked(project, strict, {path: parsed[path.name][2] for path in paper_paths})
        # The loaded site lives to the end of the build: out of the cyclic collector's way
        # (and shared, not copied, by the forked workers); let go of when the build ends.
        # Frozen before the collector resumes, which would scan everything made meanwhile.
        gc.freeze()
    try:
        env = make_environment(
            theme_dirs(project, "templates"), compiled_templates(project) if use_cache else None
        )
        signatures = {path.stem: parsed[path.name][2].digest for path in paper_paths}
        RELATED_PAPERS.seed(cache.related)
        AUTHOR_GROUPS.seed(cache.authors)
        fragments = Fragments(cache.fragments)
        report("planning", len(paper_paths), len(paper_paths))
        try:
            with _collector_paused():  # the plan, too, is many objects, no cycles, kept to the end
                builtin = builtin_templates(project)
                plan = plan_site(site, env, markdown, signatures, fragments, _on_every_core, builtin)
                gc.freeze()
            jobs = plan.jobs
        except jinja2.TemplateError as exc:
            raise ProblemsError([template_problem(exc)]) from None
        static = static_files(project)
        base_key = digest(f"{base}|{sorted(static)}".encode())
        dirty = [job for job in jobs if cache.jobs.get(job.name, (b"",))[0] != job.key]
        remove_leftovers(out)  # left by a build that was killed
        if same_output and cache.base == base_key and len(dirty) <= max(1, len(jobs) // 4):
            outputs, job_outputs, touched = _update(out, cache, jobs, dirty, fragments, project, report)
        else:
            touched = None  # a new folder: every folder's time is new
            # files are linked from the old output only when it is as the cache describes it
            previous = cache.outputs if cache.out == target and cache.complete and out.is_dir() else {}
            outputs, job_outputs = _write_all(out, jobs, static, previous, fragments, report)
        pages = sum(1 for rel in outputs if rel.endswith(".html"))
        result = BuildResult(out, pages, len(outputs), len(site.publications), tuple(warnings))
        if use_cache:
            report("saving the cache", len(outputs), len(outputs))
            summary = {"pages": result.pages, "files": result.files, "papers": result.papers}
            saved = BuildCache(
                inputs=inputs,
                code=code,
                out=target,
                base=base_key,
                outputs=outputs,
                folders=(
                    folder_times(out, touched, cache.folders)
                    if touched is not None
                    else folder_times(out, outputs)
                )
                or {},
                summary=summary,
                papers=parsed,
                jobs=job_outputs,
                related=RELATED_PAPERS.state(),
                authors=AUTHOR_GROUPS.state(),
                fragments=fragments.used,
                cwd=os.getcwd(),
                known=known,
                shards_read=cache.shards_read,  # shards of unchanged papers are not written again
            )
            saved.save(project)
            digests = {path.name: parsed[path.name][2].digest for path in paper_paths}
            save_index(
                project, make_index(plan, saved.token, base, stats, saved.shard_tokens, warnings, digests)
            )
        return result
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off within the block (and as it was after it)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _age_all() -> None:
    """Move every object the collector tracks to its oldest generation, which it scans the least.

    Unless a caller froze objects: :func:`gc.unfreeze` would release those too.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _quick(
    project: Path,
    out: Path,
    cache: BuildCache,
    paper_stats: list[tuple[str, int, int]],
    base: str,
    inputs: str,
    known: dict[str, str],
    strict: bool,
    report: Progress,
    intact: Callable[[], bool],
) -> BuildResult | None:
    """Rebuild quickly when only the text of a few papers changed (see :mod:`~site_builder.patch`).

    ``intact()`` tells whether the output is as the last build left it. Return None, having
    written nothing, when the usual rebuild is needed.
    """
    from .patch import edited_papers, fold_into_index, load_index, quick_patch, unchanged_papers

    index = load_index(project, cache)
    if index is None or index.base != base or index.cwd != os.getcwd():
        return None
    stats = _by_name(paper_stats)
    edited = edited_papers(index.files, stats)
    # files touched, or checked out again, with the same bytes: their new times are noted, no more
    touched_only = unchanged_papers(project / CONTENT_DIR / PUBLICATIONS_DIR, edited, index)
    if not intact():
        return None
    if touched_only:
        same = set(touched_only)
        edited = [name for name in edited if name not in same]
        if not edited and stats.keys() == index.files.keys():
            report("saving the cache", 0, 0)
            cache.inputs, cache.known = inputs, known
            tables = {"files": _stats_of(touched_only, stats)}
            saved = fold_into_index(project, index, tables)
            cache.save_quick(project, {}, {}, {}, index.shards, {} if saved else tables, saved)
            return _up_to_date(out, cache)
    report("patching", len(edited), len(edited))
    patch = quick_patch(
        project, out, index, stats, edited, lambda name: cache.paper_entry(project, name, index.shards)
    )
    if patch is None or (strict and patch.warnings):  # warnings fail a strict build: the usual way says so
        return None
    tables = patch.index
    if touched_only:
        tables = {**tables, "files": {**tables["files"], **_stats_of(touched_only, stats)}}
    _replace_in_place(project, out, patch.write.items(), patch.remove)
    report("saving the cache", len(patch.write), len(patch.write))
    touched = [*patch.write, *patch.remove]
    cache.inputs, cache.known = inputs, known
    cache.folders = folder_times(out, touched, cache.folders) or {}
    # b"": not known (the files are large, hashing them takes time): the next full rebuild
    # writes them, even if they are the same, instead of comparing
    outputs: dict[str, bytes | None] = dict.fromkeys(patch.write, b"")
    outputs.update(dict.fromkeys(patch.remove))
    if patch.added or patch.remove:  # authors' pages added or removed, a paper's citation files renamed
        pages = sum(rel.endswith(".html") for rel in patch.added)
        pages -= sum(rel.endswith(".html") for rel in patch.remove)
        files = len(patch.added) - len(patch.remove)
        summary = cache.summary
        cache.summary = {**summary, "pages": summary["pages"] + pages, "files": summary["files"] + files}
    saved = fold_into_index(project, index, tables)  # after the files: a build stopped here is a full one
    cache.save_quick(project, outputs, patch.jobs, patch.papers, index.shards, {} if saved else tables, saved)
    summary = cache.summary
    return BuildResult(out, summary["pages"], summary["files"], summary["papers"], patch.warnings)


def _up_to_date(out: Path, cache: BuildCache) -> BuildResult:
    """Return the result of a build that found the output as it should be: nothing written."""
    summary = cache.summary
    return BuildResult(out, summary["pages"], summary["files"], summary["papers"], (), up_to_date=True)


def _by_name(paper_stats: Iterable[tuple[str, int, int]]) -> dict[str, tuple[int, int]]:
    """Return the time and size of each paper file (:func:`~site_builder.cache.scan_folder`), by file name."""
    return {name: (mtime, size) for name, mtime, size in paper_stats}


def _stats_of(names: Iterable[str], stats: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Return the times and sizes of the paper files ``names``, for the index's table of files."""
    return {name: stats[name] for name in names}


# mtime, size, the file as read (with a digest of its bytes), its abstract's HTML (UTF-8)
ParsedPaper = tuple[int, int, "PaperFile", "bytes | None"]


def _read_papers(
    paths: list[Path], stats: dict[str, tuple[int, int]], cache: BuildCache, report: Progress
) -> tuple[MarkdownRenderer, dict[str, ParsedPaper]]:
    """Read and check the paper files changed since the cache was made, rendering their abstracts.

    A file whose size and modification time are those in the cache is not read again; one
    whose time changed but whose bytes did not (touched, or checked out again) is read and
    hashed, not parsed. A file with problems always is, so its messages are current.
    """
    from .loader import load_publication_file
    from .markup import MarkdownRenderer

    parsed: dict[str, ParsedPaper] = {}
    todo = []
    touched = []
    cached = cache.papers if cache.cwd == os.getcwd() else {}  # messages name paths from there
    for path in paths:
        entry = cached.get(path.name)
        if entry is None or entry[2].problems:
            todo.append(path)
        elif entry[:2] == stats[path.name]:
            parsed[path.name] = entry
        else:
            touched.append(path)
    if touched:  # all in the one folder of papers
        found = file_digests(touched[0].parent, [path.name for path in touched])
        for path, now in zip(touched, found, strict=True):
            entry = cached[path.name]
            if now == entry[2].digest:
                parsed[path.name] = (*stats[path.name], entry[2], entry[3])
            else:
                todo.append(path)
    # an edited paper whose abstract is as it was (its authors or title edited) takes the
    # abstract's HTML from the cache: no Markdown, and no math converter to import for it
    markdown = MarkdownRenderer(_abstracts(cached[path.name] for path in todo if path.name in cached))

    def read(i: int) -> tuple[PaperFile, bytes | None]:
        paper = load_publication_file(todo[i])
        pub = paper.publication
        return paper, markdown.render_utf8(pub.abstract) if pub is not None and pub.abstract else None

    report("reading", 0, len(todo))
    done = run_tasks(len(todo), read, chunk=64, on_progress=lambda n: report("reading", n, len(todo)))
    report("reading", len(todo), len(todo))
    for path, (paper, html) in zip(todo, done, strict=True):
        parsed[path.name] = (*stats[path.name], paper, html)
    return MarkdownRenderer(_abstracts(parsed.values())), parsed


def _abstracts(entries: Iterable[ParsedPaper]) -> dict[tuple[str, bool], bytes]:
    """Return the rendered abstracts of parsed papers, as :class:`MarkdownRenderer` takes them."""
    rendered = {}
    for _, _, paper, html in entries:
        if html is not None and paper.publication is not None:
            rendered[(paper.publication.abstract, True)] = html
    return rendered


def static_files(project: Path) -> dict[str, Path]:
    """Return ``{site path: source}`` of the static files; the project's own override the theme's."""
    static: dict[str, Path] = {}
    for folder in reversed(theme_dirs(project, "static")):
        for src in sorted(folder.rglob("*")):
            if src.is_file() and not src.name.startswith("."):
                static[f"static/{src.relative_to(folder).as_posix()}"] = src
    return static


RELATED_CHUNK = 2048  # papers whose related ones a process finds at a time (fewer: one process)


def _on_every_core(
    count: int, task: Callable[[int], object], meanwhile: Callable[[], None] | None = None
) -> list[object]:
    """Return ``[task(0), …]``, computed on every core; ``meanwhile()`` runs here as the workers start.

    Planning hands over its related papers, and finds the authors' pages meanwhile.
    """
    return run_tasks(count, task, chunk=RELATED_CHUNK, meanwhile=meanwhile)


def _render_job(job: Job) -> list[tuple[str, bytes]]:
    """Run one job; a template mistake becomes a located problem (in any process)."""
    import jinja2

    try:
        return [(rel, text.encode("utf-8")) for rel, text in job.run()]
    except jinja2.TemplateError as exc:
        raise ProblemsError([template_problem(exc)]) from None


def _check_unique(job_outputs: dict[str, tuple[bytes, tuple[str, ...]]], fixed: Iterable[str]) -> None:
    seen = set(fixed)
    for _key, rels in job_outputs.values():
        for rel in rels:
            if rel in seen:
                raise SiteBuilderError(f"two outputs want the same path: {rel}")
            seen.add(rel)


def _write_all(
    out: Path,
    jobs: list[Job],
    static: dict[str, Path],
    previous: dict[str, bytes],
    fragments: Fragments,
    report: Progress,
) -> tuple[dict[str, bytes], dict[str, tuple[bytes, tuple[str, ...]]]]:
    """Render every job on every core into a new folder beside ``out``, then swap it in.

    A file whose digest is the previous build's is hard-linked from the old output, so it
    keeps its modification time. If anything fails, ``out`` is left as it was.
    """
    old = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        writer = Writer(staging, fresh=True)
        outputs: dict[str, bytes] = {}

        def place(rel: str, data: bytes) -> bytes:
            key = digest(data)
            if previous.get(rel) != key or not writer.link(rel, safe_join(old, rel)):
                writer.write(rel, data)
            return key

        for rel, src in static.items():
            outputs[rel] = place(rel, src.read_bytes())
        outputs[".nojekyll"] = place(".nojekyll", b"")

        def task(i: int) -> tuple[tuple[tuple[str, bytes], ...], dict[tuple[object, ...], str]]:
            written = tuple((rel, place(rel, data)) for rel, data in _render_job(jobs[i]))
            return written, fragments.drain()

        done = run_tasks(len(jobs), task, chunk=16, on_progress=lambda n: report("rendering", n, len(jobs)))
        report("rendering", len(jobs), len(jobs))
        job_outputs = {}
        for job, (written, pieces) in zip(jobs, done, strict=True):
            fragments.add(pieces)
            job_outputs[job.name] = (job.key, tuple(rel for rel, _ in written))
            outputs.update(written)
        _check_unique(job_outputs, (*static, ".nojekyll"))
        swap_in(staging, out)
        return outputs, job_outputs
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


FORKED_LISTS_FROM = 4000  # jobs (papers and authors), from which a rebuild shares out site-wide pages


def _is_site_wide(job: Job) -> bool:
    """Return whether a job renders a site-wide page (the lists, a year, the sitemap, the feed, the lab's)."""
    return not job.name.startswith(("paper:", "author:"))


def _update(
    out: Path,
    cache: BuildCache,
    jobs: list[Job],
    dirty: list[Job],
    fragments: Fragments,
    project: Path,
    report: Progress,
) -> tuple[dict[str, bytes], dict[str, tuple[bytes, tuple[str, ...]]], list[str]]:
    """Render the dirty jobs, then replace just their changed files in ``out`` and remove stale ones.

    Also return the paths written or removed, whose folders' times changed.

    Every page renders before anything is written; while the files are replaced (each one
    atomically), the cache says the output is incomplete, so a build killed then is
    followed by a full build.
    """
    report("rendering", 0, len(dirty))
    # A few pages render faster here than a fork of this process (its pages copied as touched)
    # takes; but a large site's lists take long (at 10,000 papers the list page takes a
    # quarter of a second), and are shared out one job at a time.
    chunk = 1 if len(jobs) >= FORKED_LISTS_FROM and any(_is_site_wide(job) for job in dirty) else 32
    done = run_tasks(len(dirty), lambda i: (_render_job(dirty[i]), fragments.drain()), chunk=chunk)
    outputs = dict(cache.outputs)
    # the planned jobs only: those no longer planned are dropped, and their files removed below
    job_outputs = {job.name: cache.jobs[job.name] for job in jobs if job.name in cache.jobs}
    changed: list[tuple[str, bytes]] = []
    for job, (rendered, pieces) in zip(dirty, done, strict=True):
        fragments.add(pieces)
        job_outputs[job.name] = (job.key, tuple(rel for rel, _ in rendered))
        for rel, data in rendered:
            key = digest(data)
            if outputs.get(rel) != key:
                changed.append((rel, data))
            outputs[rel] = key
    static = {rel for rel in cache.outputs if rel.startswith("static/")} | {".nojekyll"}
    _check_unique(job_outputs, static)
    produced = static | {rel for _, rels in job_outputs.values() for rel in rels}
    stale = [rel for rel in outputs if rel not in produced]
    for rel in stale:
        del outputs[rel]
    _replace_in_place(project, out, changed, stale)
    report("rendering", len(dirty), len(dirty))
    return outputs, job_outputs, [rel for rel, _ in changed] + stale


def _replace_in_place(
    project: Path, out: Path, files: Collection[tuple[str, Contents]], stale: Collection[str]
) -> None:
    """Replace ``files`` in ``out`` (each atomically) and remove ``stale`` ones, marking the cache meanwhile.

    Until the cache is saved again, it says the output is being updated: a build killed
    in between is followed by a full one.
    """
    if not files and not stale:
        return
    BuildCache.mark_updating(project)
    writer = Writer(out.absolute(), fresh=False)
    try:
        for rel, data in files:
            writer.write(rel, data)
    finally:
        writer.close()
    for rel in stale:
        _remove(out, rel)


def _remove(out: Path, rel: str) -> None:
    """Remove a file the site no longer has, and the folders it leaves empty."""
    path = safe_join(out, rel)
    try:
        path.unlink()
        folder = path.parent
        while folder != out and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    except OSError:
        pass
