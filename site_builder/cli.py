"""The ``site-builder`` command: the only place that prints and picks exit codes.

Exit codes: 0 success, 1 a problem in the user's input (printed as
``path:line: message``), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .build import build, load_checked
from .errors import ProblemsError, SiteBuilderError
from .importer import from_listing, plan_import
from .listing import parse_listing
from .loader import CONTENT_DIR, PUBLICATIONS_DIR, display_path, existing_content, read_text
from .output import write_new_file


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
            "Parse a publication listing (as copied from a profile page) and write one YAML file per new "
            "paper to CONTENT/publications/. Existing files are never changed."
        ),
    )
    p.add_argument("listing", type=Path, metavar="LISTING", help="the listing text file")
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

    p = sub.add_parser(
        "check",
        help="validate site.yaml and every content file",
        description="Validate site.yaml and every content file; report every problem at once.",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")

    p = sub.add_parser(
        "serve",
        help="build and preview the site locally",
        description=("Build the site into a temporary folder and serve it, rebuilding when files change."),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--open", action="store_true", help="open the site in a web browser")
    return parser


def _cmd_import(args: argparse.Namespace) -> int:
    content = args.content if args.content is not None else args.root / CONTENT_DIR
    text, problem = read_text(args.listing)
    if problem is not None:
        raise ProblemsError([problem])
    as_of = args.as_of or dt.date.today()
    source = display_path(args.listing)
    entries, problems = parse_listing(text or "", source, as_of)
    for p in problems:
        print(p, file=sys.stderr)
    plan = plan_import(
        from_listing(entries), existing_content(content), display_path(content / PUBLICATIONS_DIR)
    )
    verb = "would add" if args.dry_run else "added"
    for item in plan.added:
        if args.dry_run:
            print(f"--- {item.path} (new, from {source}:{item.line})\n{item.text}")
        else:
            write_new_file(
                Path(item.path) if Path(item.path).is_absolute() else Path.cwd() / item.path, item.text
            )
            print(f"{verb}: {item.path} ({source}:{item.line})")
    for dup_line, first_line in plan.duplicates:
        print(f"{source}:{dup_line}: the same paper as line {first_line}; skipped")
    print(
        f"{source}: {len(entries)} entries: {len(plan.added)} {verb}, {len(plan.present)} already present"
        + (f", {len(plan.duplicates)} duplicates" if plan.duplicates else "")
    )
    if plan.uncertain:
        print(f"Check the title/author split of {len(plan.uncertain)} entries:")
        for u in plan.uncertain:
            first = u.authors[0] if u.authors else "?"
            print(f"{source}:{u.line}: title {u.title!r}, first author {first!r}: {u.reason}")
    return 1 if problems else 0


def _cmd_build(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else args.root / "_site"
    result = build(args.root, out, strict=args.strict)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    print(
        f"built {result.papers} papers, {result.pages} pages, {result.files} files"
        f" into {display_path(result.out)}"
    )
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    site, warnings = load_checked(args.root, strict=args.strict)
    for warning in warnings:
        print(warning, file=sys.stderr)
    print(f"ok: site.yaml and {len(site.publications)} papers")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(args.root, args.host, args.port, open_browser=args.open)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    handler = {"import": _cmd_import, "build": _cmd_build, "check": _cmd_check, "serve": _cmd_serve}[
        args.command
    ]
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
