"""The command line, run as a real process: help, usage errors, check, import."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from site_builder.model import publication_from_mapping
from site_builder.yamlio import load_yaml

from .helpers import make_project, run_cli, snapshot, tree, write_paper

LISTING = Path(__file__).resolve().parents[2] / "shared" / "listings" / "profile-listing.txt"
GOOD_PAPER = """\
title: A Good Paper
authors:
  - Ada Lovelace
date: 2023-01-01
"""
# Each broken file and the one line `check` must print for it.
BROKEN = {
    "syntax-error": (
        "title: A: B\nauthors:\n  - X Y\ndate: 2023-01-01\n",
        # libyaml's wording (PyYAML's C loader, which the venv has)
        "1: invalid YAML (column 9): mapping values are not allowed in this context",
    ),
    "duplicate-key": (
        "title: Dup\nauthors:\n  - X Y\ntitle: Dup again\ndate: 2023-01-01\n",
        "4: duplicate key 'title' (first on line 1)",
    ),
    "missing-title": (
        "authors:\n  - X Y\ndate: 2023-01-01\n",
        "1: missing required key 'title'",
    ),
    "impossible-date": (
        "title: Leap\nauthors:\n  - X Y\ndate: 2023-02-30\n",
        "4: 'date' must be a real date as YYYY-MM-DD, got '2023-02-30'",
    ),
    "unknown-key": (
        "title: Typo\ntitel: Typo\nauthors:\n  - X Y\ndate: 2023-01-01\n",
        "2: unknown key 'titel' — did you mean 'title'?",
    ),
    "js-link": (
        "title: Link\nauthors:\n  - X Y\ndate: 2023-01-01\nlinks:\n"
        "  code: https://example.org/code\n  pdf: javascript:alert(1)\n",
        "7: link 'pdf' uses the 'javascript' scheme; only http, https, mailto and relative URLs are allowed",
    ),
}


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("import", ["LISTING", "--content", "--as-of", "--dry-run"]),
        ("build", ["--out", "--strict"]),
        ("check", ["--strict"]),
        ("serve", ["--host", "--port", "--open"]),
    ],
)
def test_help_of_every_command(tmp_path: Path, command: str, options: list[str]) -> None:
    done = run_cli(command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: site-builder {command}")
    for option in options:
        assert option in done.stdout, option
    assert tree(tmp_path) == []


def test_top_level_help_lists_the_commands(tmp_path: Path) -> None:
    done = run_cli("--help", cwd=tmp_path)
    assert done.returncode == 0
    for command in ("import", "build", "check", "serve", "--root"):
        assert command in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--nope"], "unrecognized arguments: --nope"),
        ([], "required: COMMAND"),
        (["publish"], "invalid choice: 'publish'"),
        (["import", "x.txt", "--as-of", "2026-13-01"], "expected a date as YYYY-MM-DD, got '2026-13-01'"),
    ],
    ids=["unknown-option", "no-command", "unknown-command", "bad-as-of"],
)
def test_bad_usage_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: site-builder")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_check_good_project(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    write_paper(project, "2023-lovelace-good", GOOD_PAPER)
    done = run_cli("--root", "proj", "check", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_check_reports_every_problem_located(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    write_paper(project, "2023-lovelace-good", GOOD_PAPER)
    for slug, (text, _) in BROKEN.items():
        write_paper(project, slug, text)
    before = snapshot(tmp_path)
    done = run_cli("--root", "proj", "check", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    expected = sorted(f"proj/content/publications/{slug}.yaml:{where}" for slug, (_, where) in BROKEN.items())
    lines = done.stderr.splitlines()
    located = [line for line in lines if line.startswith("proj/")]
    assert sorted(located) == expected
    # Besides the problems, at most a one-line summary.
    assert len(lines) - len(located) <= 1
    assert snapshot(tmp_path) == before  # check writes nothing


def test_check_reports_a_bad_site_yaml(tmp_path: Path) -> None:
    make_project(tmp_path / "proj", site_yaml="titel: Lab\nmembers: Ada\n")
    done = run_cli("--root", "proj", "check", cwd=tmp_path)
    assert done.returncode == 1
    located = [line for line in done.stderr.splitlines() if line.startswith("proj/")]
    assert sorted(located) == [
        "proj/site.yaml:1: missing required key 'title'",
        "proj/site.yaml:1: unknown key 'titel' — did you mean 'title'?",
    ]


# --- import ---------------------------------------------------------------------------------


def expected_titles() -> set[str]:
    data = json.loads(LISTING.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return {paper["title"] for paper in data["papers"]}


def test_import_twice_adds_once_and_changes_nothing(tmp_path: Path) -> None:
    content = tmp_path / "content"
    args = ("import", LISTING, "--as-of", "2026-11-23", "--content", content)
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "26 added" in first.stdout
    files = sorted((content / "publications").glob("*.yaml"))
    assert len(files) == 26
    assert tree(content) == ["publications/", *sorted(f"publications/{f.name}" for f in files)]

    titles = set()
    for path in files:
        data = load_yaml(path.read_text(encoding="utf-8"), path.name)
        publication, problems = publication_from_mapping(data, path.stem, path.name)
        assert problems == [], problems
        assert publication is not None
        titles.add(publication.title)
    assert titles == expected_titles()

    before = snapshot(tmp_path)
    second = run_cli(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 added, 26 already present" in second.stdout
    assert snapshot(tmp_path) == before  # same bytes, same mtimes, no new files


def test_import_dry_run_writes_nothing(tmp_path: Path) -> None:
    done = run_cli(
        "import",
        LISTING,
        "--as-of",
        "2026-11-23",
        "--content",
        tmp_path / "content",
        "--dry-run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "26 would add, 0 already present" in done.stdout
    assert tree(tmp_path) == []


def test_import_missing_listing(tmp_path: Path) -> None:
    done = run_cli("import", "missing.txt", "--content", "content", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "missing.txt: cannot read: No such file or directory"
    assert len([line for line in lines if "missing.txt" in line]) == 1
    assert tree(tmp_path) == []


def test_import_reports_a_line_without_header(tmp_path: Path) -> None:
    (tmp_path / "listing.txt").write_text(
        "\nthis line is not a header\nCVNov 30, 2023Code\nSome Title Of A PaperAda Lovelace, Alan Turing\n"
        "An abstract.\n",
        encoding="utf-8",
    )
    done = run_cli("import", "listing.txt", "--as-of", "2026-11-23", "--content", "content", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "listing.txt:2: expected an entry header like 'CVNov 30, 2023Code'" in done.stderr.splitlines()


# ------------------------------------------------------------ the progress line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_after_the_delay_then_wiped():
    from site_builder.cli import ProgressLine

    term = _Terminal()
    line = ProgressLine(term)
    line.DELAY = 0.0
    line("rendering", 0, 200)
    line.last = 0.0  # as if the last redraw were long ago
    line("rendering", 100, 200)
    line("rendering", 200, 200)
    line.close()
    text = term.getvalue()
    assert "\rrendering 100/200 [###############...............]  50%" in text
    assert "rendering 200/200" in text and text.endswith("\r")  # the bar is wiped at the end


def test_progress_is_silent_when_not_a_terminal_quiet_or_quick():
    from site_builder.cli import ProgressLine

    for stream, quiet, delay in (
        (io.StringIO(), False, 0.0),
        (_Terminal(), True, 0.0),
        (_Terminal(), False, 60.0),
    ):
        line = ProgressLine(stream, quiet=quiet)
        line.DELAY = delay
        line("reading", 5, 10)
        line("reading", 10, 10)
        line.close()
        assert stream.getvalue() == ""


def test_verbose_prints_each_stage_time():
    from site_builder.cli import ProgressLine

    out = io.StringIO()
    line = ProgressLine(out, verbose=True)
    line("reading", 10, 10)
    line("rendering", 40, 40)
    line.close()
    assert re.fullmatch(r"reading: 10 in \d+\.\d\d s\nrendering: 40 in \d+\.\d\d s\n", out.getvalue())


def test_a_build_piped_to_a_file_prints_no_progress_bar(tmp_path):
    from .helpers import copy_of_this_site

    project = copy_of_this_site(tmp_path)
    run = run_cli("build", "-v", "--out", tmp_path / "o", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr + run.stdout
    assert re.search(r"^rendering: \d+ in \d+\.\d\d s$", run.stderr, re.MULTILINE)
    stages = re.findall(r"^([a-z ]+): [\d,]+ in \d+\.\d\d s$", run.stderr, re.MULTILINE)
    assert stages == ["reading", "checking", "planning", "rendering", "saving the cache"], run.stderr
    # printed before the program's quick exit (os._exit): flushed, not lost
    assert re.search(r"built 26 papers, \d+ pages, \d+ files into .* in \d+\.\d\d s", run.stdout)
