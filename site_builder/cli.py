"""The ``site-builder`` command: the only place that prints and picks exit codes.

Exit codes: 0 success, 1 a problem in the user's input (printed as
``path:line: message``), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .build import build, load_checked
from .errors import Problem, ProblemsError, SiteBuilderError, errors_only
from .layout import BASE_URL_ENV, CONTENT_DIR, PUBLICATIONS_DIR, display_path
from .output import replace_file, write_new_file
from .schema import PUBLICATION_KEYS


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="site-builder",
        description="Build a lab's publications website from one YAML file per paper.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the site's folder (default: the current folder)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "import",
        help="import papers from a publication listing",
        description=(
            "Import papers from a publication listing (as copied from a profile page) or a BibTeX file: "
            "one YAML file per new paper in CONTENT/publications/. Papers already there are matched by "
            "DOI, arXiv id, or title and first author; what differs is reported and kept as it is, "
            "unless named with --update. Nothing is ever deleted."
        ),
    )
    p.add_argument(
        "listing", type=Path, metavar="LISTING", help="a listing text file, or a BibTeX file (.bib)"
    )
    p.add_argument(
        "--format",
        choices=("listing", "bibtex"),
        default=None,
        help="what LISTING is (default: bibtex for .bib files, else a listing)",
    )
    p.add_argument(
        "--update",
        nargs="+",
        choices=PUBLICATION_KEYS,
        metavar="FIELD",
        help="take these fields from LISTING for papers already present"
        " (default: report differences, change nothing)",
    )
    p.add_argument(
        "--content", type=Path, default=None, metavar="DIR", help="content folder (default: ROOT/content)"
    )
    p.add_argument(
        "--as-of",
        type=_as_of,
        default=None,
        metavar="YYYY-MM-DD",
        help="reference date for dates shown without a year (default: today)",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be written, write nothing")

    p = sub.add_parser(
        "build", help="build the static site", description="Build the static site into a folder."
    )
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output folder (default: ROOT/_site)"
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="ignore and do not write .site-builder-cache/ (the output is the same, built from scratch)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but problems")
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print how long the build and each of its stages took",
    )
    _base_url_option(p)

    p = sub.add_parser(
        "check",
        help="validate site.yaml and every content file",
        description=(
            "Validate site.yaml and every content file; report every problem at once. With --links, "
            "also check every internal link, anchor and asset of the site built in --out (no network: "
            "external URLs are checked for syntax only)."
        ),
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--links", action="store_true", help="check the links of the built site too")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="the built site for --links (default: ROOT/_site)",
    )
    _base_url_option(p)

    p = sub.add_parser(
        "init",
        help="create a new site in a folder",
        description=(
            "Create a new site in DIR: site.yaml, two sample papers, people, pages, news and a "
            "GitHub Pages workflow. DIR must be empty unless --force; existing files are never overwritten."
        ),
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="the new site's folder (created if missing)")
    p.add_argument("--title", default="Example Lab", help="the site's title (default: Example Lab)")
    p.add_argument(
        "--force", action="store_true", help="add the files to a non-empty DIR (keeping any that exist)"
    )

    p = sub.add_parser(
        "serve",
        help="build and preview the site locally",
        description=("Build the site into a temporary folder and serve it, rebuilding when files change."),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--open", action="store_true", help="open the site in a web browser")
    return parser


def _base_url_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help=(
            "the public address, used only when site.yaml's base_url is empty"
            f" (the environment variable {BASE_URL_ENV} does the same)"
        ),
    )


@contextlib.contextmanager
def _base_url(url: str | None) -> Iterator[None]:
    """Make ``--base-url`` the fallback the loader reads, for the duration of one command."""
    if url is None:
        yield
        return
    before = os.environ.get(BASE_URL_ENV)
    os.environ[BASE_URL_ENV] = url
    try:
        yield
    finally:
        if before is None:
            del os.environ[BASE_URL_ENV]
        else:
            os.environ[BASE_URL_ENV] = before


def _short(value: object, other: object = None, width: int = 60) -> str:
    """Return ``value`` shortened for a message, around where it differs from ``other``."""
    text = " ".join(str(value).split())
    if len(text) <= width:
        return repr(text)
    start = 0
    if other is not None:
        theirs = " ".join(str(other).split())
        same = next((i for i, (a, b) in enumerate(zip(text, theirs, strict=False)) if a != b), len(theirs))
        start = max(0, min(same - width // 3, len(text) - width))
    snippet = text[start : start + width]
    return repr(("…" if start else "") + snippet + ("…" if start + width < len(text) else ""))


def _source_format(path: Path, given: str | None) -> str:
    if given:
        return given
    return "bibtex" if path.suffix.lower() in (".bib", ".bibtex") else "listing"


def _cmd_import(args: argparse.Namespace) -> int:
    from .importer import from_listing, plan_import  # each command's modules load when used
    from .loader import existing_content, read_text

    content = args.content if args.content is not None else args.root / CONTENT_DIR
    text, problem = read_text(args.listing)
    if problem is not None:
        raise ProblemsError([problem])
    source = display_path(args.listing)
    kind = _source_format(args.listing, args.format)
    if kind == "bibtex":
        from .bibtex import parse_bibtex

        entries, problems = parse_bibtex(text or "", source)
        noun = "BibTeX file"
    else:
        from .listing import parse_listing

        parsed, problems = parse_listing(text or "", source, args.as_of or dt.date.today())
        entries, noun = from_listing(parsed), "listing"
    for p in problems:
        print(p, file=sys.stderr)
    plan = plan_import(
        entries,
        existing_content(content),
        display_path(content / PUBLICATIONS_DIR),
        frozenset(args.update or ()),
    )
    dry = args.dry_run
    for item in plan.added:
        if dry:
            sys.stdout.writelines(
                difflib.unified_diff([], item.text.splitlines(keepends=True), "/dev/null", item.path)
            )
        else:
            write_new_file(
                Path(item.path) if Path(item.path).is_absolute() else Path.cwd() / item.path, item.text
            )
            print(f"added: {item.path} ({source}:{item.line})")
    for change in plan.updated:
        if dry:
            sys.stdout.writelines(
                difflib.unified_diff(
                    change.old.splitlines(keepends=True),
                    change.new.splitlines(keepends=True),
                    change.path,
                    change.path,
                )
            )
        else:
            replace_file(Path(change.path), change.old, change.new)
            print(f"updated: {change.path}: {', '.join(change.fields)} ({source}:{change.line})")
    for d in plan.differences:
        where = f"{d.path}:{d.file_line}" if d.file_line else d.path
        what = "is missing from the file" if d.ours is None else "differs"
        print(
            f"{where}: {d.field} {what}: {noun} line {d.source_line} has {_short(d.theirs, d.ours)}"
            + (f", the file has {_short(d.ours, d.theirs)}" if d.ours is not None else "")
            + f" (kept; --update {d.field} to take it)"
        )
    for path in plan.missing:
        print(f"{path}: not in {source} (kept)")
    for dup_line, first_line in plan.duplicates:
        print(f"{source}:{dup_line}: the same paper as line {first_line}; skipped")
    add, update = ("would add", "would update") if dry else ("added", "updated")
    print(
        f"{source}: {len(entries)} entries: {len(plan.added)} {add}, {len(plan.present)} already present"
        + (f", {len(plan.updated)} {update}" if plan.updated else "")
        + (
            f" ({len(plan.differences)} difference{'s' if len(plan.differences) != 1 else ''} kept)"
            if plan.differences
            else ""
        )
        + (
            f", {len(plan.missing)} file{'s' if len(plan.missing) != 1 else ''} not in this {noun}"
            if plan.missing
            else ""
        )
        + (f", {len(plan.duplicates)} duplicates" if plan.duplicates else "")
    )
    if plan.uncertain:
        print(f"Check the title/author split of {len(plan.uncertain)} entries:")
        for u in plan.uncertain:
            first = u.authors[0] if u.authors else "?"
            print(f"{source}:{u.line}: title {u.title!r}, first author {first!r}: {u.reason}")
    return 1 if errors_only(problems) else 0


class ProgressLine:
    """A progress bar on a terminal for builds that run longer than a second; silent otherwise.

    With ``verbose``, each stage's time is also printed when it ends (on any stream).
    """

    DELAY = 1.0  # seconds before the bar appears: quick builds print nothing
    EVERY = 0.1  # seconds between redraws

    def __init__(self, stream: TextIO, quiet: bool = False, verbose: bool = False) -> None:
        self.stream = stream
        self.bar = not quiet and stream.isatty()
        self.verbose = verbose and not quiet
        self.start = self.last = time.monotonic()
        self.stage = ""
        self.stage_start = self.start
        self.total = 0
        self.width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Report ``done`` of ``total`` items of ``stage`` (reading, rendering)."""
        now = time.monotonic()
        if stage != self.stage:
            self._end_stage(now)
            self.stage, self.stage_start, self.total = stage, now, total
        if not self.bar or now - self.start < self.DELAY or (now - self.last < self.EVERY and done < total):
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(share * 30)
        line = f"{stage} {done:,}/{total:,} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def _end_stage(self, now: float) -> None:
        if self.stage and self.verbose:
            self.clear()
            print(f"{self.stage}: {self.total:,} in {now - self.stage_start:.2f} s", file=self.stream)

    def close(self) -> None:
        """End the last stage and wipe the bar."""
        self._end_stage(time.monotonic())
        self.stage = ""
        self.clear()

    def clear(self) -> None:
        """Wipe the bar, if one is shown."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _cmd_build(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else args.root / "_site"
    start = time.perf_counter()
    progress = ProgressLine(sys.stderr, quiet=args.quiet, verbose=args.verbose)
    try:
        with _base_url(args.base_url):
            result = build(args.root, out, strict=args.strict, use_cache=not args.no_cache, progress=progress)
    finally:
        progress.close()
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    seconds = time.perf_counter() - start
    if result.up_to_date:
        message = f"{display_path(result.out)} is up to date ({result.papers} papers; nothing changed)"
    else:
        message = (
            f"built {result.papers} papers, {result.pages} pages, {result.files} files"
            f" into {display_path(result.out)}"
        )
    if not args.quiet:
        print(message + (f" in {seconds:.2f} s" if args.verbose else ""))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .linkcheck import check_links

    with _base_url(args.base_url):
        site, warnings = load_checked(args.root, strict=args.strict)
        base_url = site.config.base_url
    for warning in warnings:
        print(warning, file=sys.stderr)
    if not args.links:
        print(f"ok: site.yaml and {len(site.publications)} papers")
        return 0
    out = args.out if args.out is not None else args.root / "_site"
    if not (out / "index.html").is_file():
        raise ProblemsError([Problem(display_path(out), None, "no built site here (run site-builder build)")])
    problems = check_links(out, base_url)
    if problems:
        raise ProblemsError(problems)
    print(f"ok: site.yaml, {len(site.publications)} papers and every link of {display_path(out)}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .scaffold import site_files

    target: Path = args.dir
    if target.exists() and not target.is_dir():
        raise SiteBuilderError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not args.force:
        raise SiteBuilderError(f"{target} is not empty; use --force to add the site's files to it")
    kept = []
    for rel, text in site_files(args.title).items():
        path = target / rel
        if path.exists():
            kept.append(rel)
            continue
        write_new_file(path, text)
        print(f"created: {display_path(path)}")
    for rel in kept:
        print(f"kept: {display_path(target / rel)} (already there)")
    print(
        f"Next: cd {display_path(target)} && site-builder serve"
        " (push it to GitHub and turn on Pages with Source: GitHub Actions to publish it)"
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(args.root, args.host, args.port, open_browser=args.open)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    handler = {
        "import": _cmd_import,
        "build": _cmd_build,
        "check": _cmd_check,
        "init": _cmd_init,
        "serve": _cmd_serve,
    }[args.command]
    try:
        return handler(args)
    except ProblemsError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        return 1
    except SiteBuilderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """Run the command line as a program (``site-builder``, ``python -m site_builder``), then exit at once.

    The interpreter's normal exit frees every object one by one: half a second after a
    10,000-paper build, for memory the system reclaims anyway. Output is flushed first; a
    build leaves no temporary file behind by then, and its detached folder remover is a
    process of its own.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
