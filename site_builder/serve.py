"""Local preview: build in memory, serve it, rebuild incrementally and reload the browser on changes.

How it is put together, and why:

- **Serving** is a small Tornado app built from ``livereload``'s parts: its browser
  client (``/livereload.js``), its websocket protocol (``LiveReloadHandler``) and
  its script injector. The pages come from an in-memory snapshot ``{path: bytes}``
  held in one attribute: a rebuild makes a new snapshot and swaps the reference,
  so a request sees the old site or the new one, never half of each. A mirror of
  the served site is kept in a temporary folder (printed at start, removed on
  exit); ``_site/`` is never touched. Requests are looked up in the snapshot, so a
  path can never reach the file system (``..`` and absolute paths get 400).
- **Watching** is ours, not ``livereload.Server.watch``: that calls the build
  function bare, once per watched path, polls every 800 ms and drops any reload
  within 3 s of the previous one (a second quick save would stay unseen). A
  thread polls ``site.yaml``, ``content/``, ``templates/`` and ``static/`` by
  (mtime, size) every 50 ms or more (4x the scan time), rebuilds once per batch of
  changes, catches every exception, and sends the reload itself to every connected
  page, with no throttle. A page whose websocket connects after a newer build than
  the one it was served from is told to reload at once, which closes the race of a
  save landing while a page is loading.
- **Incremental rebuilds**: when only paper files changed, only those are parsed
  again; the other papers are reused. An edit to a paper's text (not to who wrote it,
  when, or its facets) is spliced into the files in memory as a quick build splices it
  into ``_site/`` (:mod:`.patch`): its new entry, index row and BibTeX replace the old
  ones, and its own page, its neighbours' and the feed are rendered again. Any other
  edit goes through the build's own jobs (``render.plan_site``), so the pages are
  exactly a build's: a job whose key (what it reads of the papers) did not change
  keeps its last output, so a paper's authors edit re-renders its page, the lists,
  author pages and related papers that show it, and nothing else. Template changes
  start from a fresh environment; ``site.yaml`` and other content files re-render
  everything.
- **Mistakes** (bad YAML, unknown key, template error) keep the last good site up
  with an overlay listing each ``path:line: message``; with no good site yet,
  every page is an error page. Fixing the file brings the site back by itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import gc
import html
import json
import mimetypes
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .build import load_checked, static_files, template_problem, theme_dirs
from .cache import apply_changes
from .errors import Problem, ProblemsError, SiteBuilderError, errors_only
from .layout import CONFIG_FILE, CONTENT_DIR, PUBLICATIONS_DIR, display_path
from .loader import PaperFile, assemble_publications, load_publication_file, publication_files
from .markup import MarkdownRenderer
from .model import Publication, Site
from .output import joined
from .patch import PatchIndex, edited_papers, make_index, quick_patch, who_wrote
from .render import Fragments, Plan, keep_full_entries, make_environment, plan_site

WATCHED = (CONFIG_FILE, CONTENT_DIR, "templates", "static")
POLL_MIN = 0.05  # seconds between scans; more when a scan itself is slow (10,000 files)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
RELOAD = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
LIVE_SCRIPT = (
    b'<script>(function(){var s=document.createElement("script");'
    b's.src="/livereload.js?port="+(location.port||(location.protocol=="https:"?443:80));'
    b"document.head.appendChild(s);})();</script>"
)

BUILDING = b"<!doctype html><head><title>Building</title></head><body>Building the site\xe2\x80\xa6</body>"
NOT_FOUND = b"<!doctype html><head><title>Not found</title></head><body>Not found</body>"

Signature = tuple[int, int]


def scan(project: Path) -> dict[str, Signature]:
    """Return ``{project-relative path: (mtime_ns, size)}`` of every watched file."""
    found: dict[str, Signature] = {}
    config = project / CONFIG_FILE
    try:
        st = config.stat()
        found[CONFIG_FILE] = (st.st_mtime_ns, st.st_size)
    except OSError:
        pass
    for name in WATCHED[1:]:
        _scan_dir(project / name, name, found)
    return found


def _scan_dir(folder: Path, rel: str, found: dict[str, Signature]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(("~", ".swp", ".swx")):
            continue  # editors' temporary files
        path = f"{rel}/{entry.name}"
        try:
            if entry.is_dir():
                _scan_dir(Path(entry.path), path, found)
            else:
                st = entry.stat()
                found[path] = (st.st_mtime_ns, st.st_size)
        except OSError:
            continue


def changed_paths(old: Mapping[str, Signature], new: Mapping[str, Signature]) -> set[str]:
    """Return the paths added, removed or modified between two scans."""
    return {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}


def _is_paper(rel: str) -> bool:
    parent, _, name = rel.rpartition("/")
    return parent == f"{CONTENT_DIR}/{PUBLICATIONS_DIR}" and name.endswith((".yaml", ".yml"))


# ---------------------------------------------------------------- loading


# ---------------------------------------------------------------- rendering


PREVIEW_FULL_ENTRIES = 16 << 20  # bytes of full list entries the preview keeps from one render to the next


class Renderer:
    """Render a site to ``{path: bytes}``; a job whose key did not change keeps its last outputs.

    The same jobs as a build (:func:`~site_builder.render.plan_site`), so the preview's pages
    are exactly a build's; a paper's edit re-renders its page, the pages that show it and the
    site-wide lists, nothing else.
    """

    def __init__(self, project: Path, markdown: MarkdownRenderer | None = None) -> None:
        keep_full_entries(PREVIEW_FULL_ENTRIES)
        self.env = make_environment(theme_dirs(project, "templates"))
        self.markdown = markdown or MarkdownRenderer()
        self.fragments = Fragments()
        self._jobs: dict[str, tuple[bytes, list[tuple[str, bytes]]]] = {}
        self.rendered = 0  # files rendered by the last call, for the log
        self.plan: Plan | None = None  # what the last call rendered from (its jobs dropped)

    def forget(self) -> None:
        """Render every job next time (site.yaml, people or pages changed: what every page reads)."""
        self._jobs = {}

    def render(self, site: Site, signatures: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
        """Return every page and file of the site; template mistakes become located problems."""
        self.plan = None
        try:
            plan = plan_site(site, self.env, self.markdown, signatures, self.fragments)
            jobs = plan.jobs
            memo: dict[str, tuple[bytes, list[tuple[str, bytes]]]] = {}
            pages: dict[str, bytes] = {}
            rendered = 0
            for job in jobs:
                old = self._jobs.get(job.name)
                if old is not None and old[0] == job.key:
                    outputs = old[1]
                else:
                    outputs = [(path, text.encode("utf-8")) for path, text in job.run()]
                    rendered += len(outputs)
                memo[job.name] = (job.key, outputs)
                for path, data in outputs:
                    _add(pages, path, data)
        except jinja2.TemplateError as exc:
            raise ProblemsError([template_problem(exc)]) from None
        self._jobs = memo
        self.fragments = Fragments(self.fragments.used)  # keep only what this site uses
        self.rendered = rendered
        self.plan = dataclasses.replace(plan, jobs=[])
        return pages


def _add(pages: dict[str, bytes], path: str, data: bytes) -> None:
    if path in pages:
        raise SiteBuilderError(f"two outputs want the same path: {path}")
    pages[path] = data


def read_static(project: Path) -> dict[str, bytes]:
    """Read the static files the build would copy (:func:`~site_builder.build.static_files`)."""
    return {rel: src.read_bytes() for rel, src in static_files(project).items()}


# ---------------------------------------------------------------- the preview's state


@dataclass(frozen=True, slots=True)
class Status:
    """What is served: the last good site, and the problems of the latest build (if it failed)."""

    files: Mapping[str, bytes] | None
    problems: tuple[Problem, ...]
    generation: int


class Preview:
    """The site being previewed: scans, rebuilds and the served status, swapped whole."""

    def __init__(self, project: Path, mirror: Path) -> None:
        self.project = project
        self.mirror = mirror
        self.status = Status(None, (), 0)
        self.stopping = threading.Event()
        self.on_change: list[Callable[[], None]] = []  # callables run (in this thread) after each new status
        self._signatures: dict[str, Signature] = {}
        self._renderer: Renderer | None = None
        self._site: Site | None = None
        self._papers: dict[Path, PaperFile] = {}
        self._digests: dict[str, bytes] = {}  # paper slug → digest of its file, for the jobs' keys
        self._pages: dict[str, bytes] = {}
        self._static: dict[str, bytes] = {}
        # what a quick rebuild needs of the last render, made when first needed; and the
        # paper files' signatures that render read
        self._index: PatchIndex | None = None
        self._index_files: dict[str, Signature] = {}
        self._lock = threading.Lock()

    def first_build(self) -> None:
        """Scan and build everything; a failure is shown, not raised."""
        self._signatures = scan(self.project)
        self._rebuild(None)

    def poll(self) -> bool:
        """Scan once; rebuild if anything changed; return whether it did."""
        new = scan(self.project)
        changed = changed_paths(self._signatures, new)
        self._signatures = new
        if changed:
            self._rebuild(changed)
        return bool(changed)

    def watch(self) -> None:
        """Poll until stopped (run in a thread)."""
        while not self.stopping.is_set():
            start = time.monotonic()
            changed = self.poll()
            took = time.monotonic() - start
            if not changed:
                self.stopping.wait(max(POLL_MIN, 4 * took))

    def _rebuild(self, changed: set[str] | None) -> None:
        """Rebuild after ``changed`` (None: everything); publish the new site or the problems."""
        with self._lock:
            start = time.monotonic()
            try:
                files, note, everything = self._build(changed)
            except ProblemsError as exc:
                self._fail(tuple(exc.problems))
                return
            except SiteBuilderError as exc:
                self._fail((Problem("<build>", None, str(exc)),))
                return
            except Exception as exc:  # a bug must not stop the preview: show it and keep serving
                traceback.print_exc()
                self._fail((Problem("<site-builder>", None, f"internal error: {type(exc).__name__}: {exc}"),))
                return
            old = self.status
            self.status = Status(files, (), old.generation + 1)
            ms = (time.monotonic() - start) * 1000
            back = " (the site is back)" if old.problems else ""
            _say(f"rebuilt in {ms:.0f} ms: {note}{back}")
            self._notify()
            self._write_mirror(old.files or {}, files)
            # The site stays in memory until the next change: out of the cyclic collector's
            # way, so it does not walk ten thousand papers while the next rebuild allocates.
            # After a full reload the previous site, frozen till now, is let go of first.
            if everything:
                gc.unfreeze()
            gc.collect()
            gc.freeze()

    def _fail(self, problems: tuple[Problem, ...]) -> None:
        self._site = None  # the next change reloads everything
        for problem in problems:
            _say(str(problem))
        kept = "still serving the last good site" if self.status.files is not None else "no site to serve yet"
        _say(f"build failed: {len(problems)} problem{'s' if len(problems) != 1 else ''}; {kept}")
        self.status = Status(self.status.files, problems, self.status.generation + 1)
        self._notify()

    def _notify(self) -> None:
        for callback in self.on_change:
            callback()

    def _build(self, changed: set[str] | None) -> tuple[dict[str, bytes], str, bool]:
        """Return the new site's files, what was redone, and whether it was all (a full reload)."""
        static_only = changed is not None and all(p.startswith("static/") for p in changed)
        papers_only = changed is not None and all(_is_paper(p) or p.startswith("static/") for p in changed)
        if changed is None or any(p.startswith("templates/") for p in changed) or self._renderer is None:
            self._renderer = Renderer(self.project, self._renderer.markdown if self._renderer else None)
        static_changed = changed is None or any(p.startswith("static/") for p in changed)
        if static_changed:
            self._static = read_static(self.project)
        everything = False
        if static_only and self._site is not None:
            note = "static files"
        elif papers_only and self._site is not None and changed is not None:
            quick = None if static_changed else self._quick()
            if quick is not None:
                note = f"the edit of {quick} spliced in"
            else:
                self._site = self._reload_papers({p for p in changed if _is_paper(p)})
                self._pages = self._render(self._site)
                note = f"{self._renderer.rendered} pages re-rendered"
        else:
            self._site = None
            self._renderer.forget()
            papers = {
                path: load_publication_file(path) for path in publication_files(self.project / CONTENT_DIR)
            }
            site, warnings = load_checked(self.project, papers=papers)
            for warning in warnings:
                _say(str(warning))
            self._papers = papers
            self._digests = {path.stem: paper.digest for path, paper in papers.items()}
            pages = self._render(site)
            self._site, self._pages = site, pages
            note = f"{len(site.publications)} papers, {self._renderer.rendered} pages rendered"
            everything = True
        files = dict(self._static)
        for path, data in self._pages.items():
            if path in files:
                raise SiteBuilderError(f"two outputs want the same path: {path}")
            files[path] = data
        files[".nojekyll"] = b""
        return files, note, everything

    def _render(self, site: Site) -> dict[str, bytes]:
        """Render the site's changed jobs; the next quick rebuild starts from this render."""
        assert self._renderer is not None
        pages = self._renderer.render(site, self._digests)
        self._index = None
        self._index_files = self._paper_signatures()
        return pages

    def _paper_signatures(self) -> dict[str, Signature]:
        """Return the paper files' signatures in the last scan, by file name."""
        return {rel.rpartition("/")[2]: sig for rel, sig in self._signatures.items() if _is_paper(rel)}

    def _quick(self) -> str | None:
        """Splice the edited papers' new text into the files in memory; return their names, or None.

        As a quick build does (:func:`~site_builder.patch.quick_patch`), with the files of
        the last render for ``_site/``: the outcome is exactly what rendering gives, or it is
        None and nothing changed (a shape edit, a mistake, a paper added or removed).
        """
        renderer, site = self._renderer, self._site
        if renderer is None or site is None or renderer.plan is None:
            return None
        stats = self._paper_signatures()
        folder = self.project / CONTENT_DIR / PUBLICATIONS_DIR
        # the files as the last render read them, or as the index has them since its quick edits
        edited = edited_papers(self._index.files if self._index is not None else self._index_files, stats)
        if self._index is None:
            if not self._same_shape(edited, folder):
                return None  # found before making the index: a tenth of a second at 10,000 papers
            self._index = make_index(renderer.plan, "", "", dict(self._index_files), {}, ())
        index = self._index

        def old_entry(name: str) -> tuple[int, int, PaperFile, bytes | None] | None:
            paper = self._papers.get(folder / name)
            if paper is None:
                return None
            pub = paper.publication
            shown = renderer.markdown.render_utf8(pub.abstract) if pub is not None and pub.abstract else None
            return (*index.files[name], paper, shown)

        def held(name: str) -> Publication | None:
            paper = self._papers.get(folder / name)
            return paper.publication if paper is not None else None

        patch = quick_patch(self.project, self._pages, index, stats, edited, old_entry, renderer.env, held)
        if patch is None:
            return None
        pages = dict(self._pages)
        for rel in patch.remove:
            pages.pop(rel, None)
        pages.update((rel, joined(data)) for rel, data in patch.write.items())
        publications = list(site.publications)
        for name, (_, _, paper, _) in patch.papers.items():
            path = folder / name
            self._papers[path] = paper
            self._digests[path.stem] = paper.digest
            i = index.order.index(path.stem)  # a text edit leaves the papers' order as it was
            assert publications[i].slug == path.stem and paper.publication is not None
            publications[i] = paper.publication
        for table, changes in patch.index.items():
            apply_changes(getattr(index, table), changes)
        self._site = dataclasses.replace(site, publications=tuple(publications))
        self._pages = pages
        return ", ".join(sorted(patch.papers))

    def _same_shape(self, names: list[str], folder: Path) -> bool:
        """Return whether the paper files ``names`` were edited in their text only (read them to tell)."""
        for name in names:
            before = self._papers.get(folder / name)
            if before is None or before.publication is None:
                return False
            after = load_publication_file(folder / name).publication
            if after is None or who_wrote(after) != who_wrote(before.publication):
                return False
        return True

    def _reload_papers(self, changed: set[str]) -> Site:
        """Parse the changed paper files again and return the site with them; raise on errors."""
        assert self._site is not None
        for rel in changed:
            path = self.project / rel
            if path.is_file():
                self._papers[path] = paper = load_publication_file(path)
                self._digests[path.stem] = paper.digest
            else:
                self._papers.pop(path, None)
                self._digests.pop(path.stem, None)
        publications, problems = assemble_publications(self._papers)
        errors = errors_only(problems)
        if errors:
            raise ProblemsError(errors)
        return dataclasses.replace(self._site, publications=tuple(publications))

    def _write_mirror(self, old: Mapping[str, bytes], new: Mapping[str, bytes]) -> None:
        """Bring the temporary folder up to date with the served files (changed files only)."""
        for rel in old.keys() - new.keys():
            if self.stopping.is_set():
                return
            (self.mirror / rel).unlink(missing_ok=True)
        if not self.mirror.is_dir():
            return
        for rel, data in new.items():
            before = old.get(rel)
            if before is data or before == data:
                continue
            if self.stopping.is_set():
                return
            dest = self.mirror / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, dest)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- HTTP


def site_path(url_path: str) -> str | None:
    """Return the snapshot key for a decoded URL path, or None when it tries to leave the site."""
    if "\\" in url_path or "\x00" in url_path or url_path.startswith("/"):
        return None
    parts = url_path.split("/")
    if any(part in ("..", ".") for part in parts):
        return None
    return url_path + "index.html" if url_path == "" or url_path.endswith("/") else url_path


def error_overlay(problems: tuple[Problem, ...], standalone: bool) -> bytes:
    """Return the HTML that shows build problems, as an overlay or as a whole page."""
    items = "".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in problems)
    box = (
        '<div id="site-builder-problems" role="alert" '
        'style="position:fixed;inset:0 0 auto 0;z-index:2147483647;'
        "max-height:70vh;overflow:auto;margin:0;padding:1rem 1.5rem;background:#fff4f4;color:#5a0000;"
        'border-bottom:3px solid #c00;font:15px/1.5 system-ui,sans-serif;white-space:pre-wrap">'
        "<strong>The site could not be rebuilt.</strong> "
        f"{'Fix the file and this page reloads.' if standalone else 'Showing the last good version.'}"
        f'<ul style="margin:.5rem 0 0;padding-left:1.2rem">{items}</ul></div>'
    )
    if not standalone:
        return box.encode("utf-8")
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Build failed · site-builder</title></head>"
        f"<body>{box}</body></html>"
    )
    return page.encode("utf-8")


def _inject_after_body(page: bytes, snippet: bytes) -> bytes:
    start = page.find(b"<body")
    end = page.find(b">", start) if start >= 0 else -1
    return page[: end + 1] + snippet + page[end + 1 :] if end >= 0 else snippet + page


def _content_type(path: str) -> str:
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "application/javascript", "application/xml"):
        kind += "; charset=utf-8"
    return kind


def make_app(preview: Preview) -> tuple[Any, Callable[[], None]]:
    """Return the Tornado app (livereload's client and socket, the site from memory) and its reload."""
    from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler  # type: ignore[import-untyped]
    from livereload.server import LiveScriptInjector  # type: ignore[import-untyped]
    from livereload.watcher import Watcher  # type: ignore[import-untyped]
    from tornado import web

    served: dict[str, int] = {}  # URL path → generation of the HTML last served there
    LiveReloadHandler.watcher = Watcher()  # only read for its log line
    LiveReloadHandler.live_css = False

    class ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
        """livereload's socket; also reloads a page that connects after a newer build."""

        def on_message(self, message: str | bytes) -> None:
            """Answer livereload.js's handshake; reload a stale page at once."""
            super().on_message(message)
            data = json.loads(message)
            if data.get("command") == "info" and "url" in data:
                seen = served.get(urlsplit(str(data["url"])).path)
                if seen is not None and seen < preview.status.generation:
                    self.send_message(RELOAD)

    class SiteHandler(web.RequestHandler):
        """Serve the current snapshot; 400 for paths leaving the site, the site's 404 page otherwise."""

        def get(self, url_path: str) -> None:
            """Serve one path."""
            self._serve(url_path, head=False)

        def head(self, url_path: str) -> None:
            """Serve one path's headers."""
            self._serve(url_path, head=True)

        def _serve(self, url_path: str, head: bool) -> None:
            status = preview.status
            rel = site_path(url_path)
            self.set_header("Cache-Control", "no-store")
            if rel is None:
                self.set_status(400)
                self.set_header("Content-Type", "text/plain; charset=utf-8")
                self.finish(b"400 bad request: the path leaves the site\n")
                return
            files = status.files
            if files is None and not status.problems:
                self.set_status(503)
                self._send(BUILDING, "index.html", status, head)
                return
            if files is None:
                self.set_status(500)
                self._send(error_overlay(status.problems, standalone=True), "index.html", status, head)
                return
            if rel not in files and f"{rel}/index.html" in files:
                query = f"?{self.request.query}" if self.request.query else ""
                self.redirect(f"/{rel}/{query}", permanent=False)
                return
            if rel not in files:
                self.set_status(404)
                rel = "404.html"
            self._send(files.get(rel, NOT_FOUND), rel, status, head)

        def _send(self, data: bytes, rel: str, status: Status, head: bool) -> None:
            kind = _content_type(rel)
            if kind.startswith("text/html"):
                if status.problems and status.files is not None:
                    data = _inject_after_body(data, error_overlay(status.problems, standalone=False))
                if len(served) > 10_000:
                    served.clear()
                served[self.request.path] = status.generation
            self.set_header("Content-Type", kind)
            self.finish(b"" if head else data)

    class Injector(LiveScriptInjector):  # type: ignore[misc]
        script = LIVE_SCRIPT

    def broadcast() -> None:
        for waiter in list(LiveReloadHandler.waiters):
            try:
                waiter.write_message(RELOAD)
            except Exception:
                LiveReloadHandler.waiters.discard(waiter)

    app = web.Application(
        [
            (r"/livereload", ReloadSocket),
            (r"/livereload\.js", LiveReloadJSHandler),
            (r"/(.*)", SiteHandler),
        ],
        transforms=[Injector],
        log_function=lambda handler: None,
    )
    return app, broadcast


# ---------------------------------------------------------------- the command


async def _run(preview: Preview, host: str, port: int, open_browser: bool) -> None:
    """Listen, build, watch and serve until cancelled (Ctrl-C)."""
    from tornado.ioloop import IOLoop

    app, broadcast = make_app(preview)
    try:
        server = app.listen(port, address=host)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SiteBuilderError(
                f"port {port} on {host} is already in use (another preview?); choose another with --port"
            ) from None
        raise SiteBuilderError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    loop = IOLoop.current()
    preview.on_change.append(lambda: loop.add_callback(broadcast))
    await loop.run_in_executor(None, preview.first_build)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    _say(f"serving {display_path(preview.project)} at {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    watcher = threading.Thread(target=preview.watch, name="site-builder-watch", daemon=True)
    watcher.start()
    try:
        await asyncio.Event().wait()
    finally:
        preview.stopping.set()
        server.stop()


def serve(project: Path, host: str, port: int, open_browser: bool = False) -> int:
    """Serve the site until interrupted; return the exit code."""
    if host not in LOOPBACK:
        _say(f"warning: serving on {host}: other machines on the network can see this preview")
    tmp = Path(tempfile.mkdtemp(prefix="site-builder-serve-"))
    mirror = tmp / "site"
    mirror.mkdir()
    _say(f"temporary folder: {tmp}")
    preview = Preview(project, mirror)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C
    # Ctrl-C stops the preview even when started in the background of a script, where the
    # shell leaves SIGINT ignored and Python would keep it so.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        asyncio.run(_run(preview, host, port, open_browser))
    except KeyboardInterrupt:
        _say("stopped")
    finally:
        preview.stopping.set()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
