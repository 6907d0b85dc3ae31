"""Local preview: build into a temporary folder, serve it, rebuild and reload on changes."""

from __future__ import annotations

import shutil
import sys
import tempfile
import webbrowser
from pathlib import Path

from .build import build
from .errors import ProblemsError, SiteBuilderError

WATCHED = ("site.yaml", "content", "templates", "static")


def _rebuild(project: Path, out: Path) -> bool:
    """Build once; print problems instead of raising, so the server keeps the last good site."""
    try:
        result = build(project, out)
    except ProblemsError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("build failed; still serving the last good site", file=sys.stderr)
        return False
    except SiteBuilderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    print(f"rebuilt: {result.papers} papers, {result.pages} pages", file=sys.stderr)
    return True


def serve(project: Path, host: str, port: int, open_browser: bool = False) -> int:
    """Serve the site until interrupted; return the exit code."""
    from livereload import Server  # type: ignore[import-untyped]

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: serving on {host}: other machines on the network can see this preview", file=sys.stderr
        )
    tmp = Path(tempfile.mkdtemp(prefix="site-builder-serve-"))
    out = tmp / "site"
    try:
        build(project, out)  # the first build must succeed: there is nothing to fall back on
        server = Server()
        for name in WATCHED:
            path = project / name
            if path.exists():
                server.watch(str(path), lambda: _rebuild(project, out), delay=0.1)
        url = f"http://{host}:{port}/"
        print(f"serving {project.resolve()} at {url} (Ctrl-C to stop)", file=sys.stderr)
        if open_browser:
            webbrowser.open(url)
        server.serve(host=host, port=port, root=str(out), open_url_delay=None)
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0
