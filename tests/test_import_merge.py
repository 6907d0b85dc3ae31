"""Re-importing never destroys what people wrote: merge, report, update on request, dry-run diffs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import LISTINGS, SHARED

LISTING = LISTINGS / "profile-listing.txt"
PAPER = "content/publications/2023-xue-learning-fine-grained.yaml"
TITLE = (
    "Learning Fine-grained View-Invariant Representations from Unpaired Ego-Exo Videos via Temporal Alignment"
)


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def import_(cwd: Path, listing: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, "import", str(listing), "--as-of", "2026-11-23", *extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """An imported site whose paper file a person then edited by hand."""
    assert import_(tmp_path, LISTING).returncode == 0
    path = tmp_path / PAPER
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"title: {TITLE}\n")
    text = text.replace(
        f"title: {TITLE}\n",
        "# Corrected capitalisation for the camera-ready.\n"
        f"title: {TITLE.replace('grained', 'Grained')}  # ok\n",
    )
    text = text.replace(
        "has_code: false\n",
        "has_code: false\nvenue: CVPR 2023   # accepted!\nlinks:\n  pdf: https://arxiv.org/pdf/2306.05526\n"
        "tags: [ego-exo, alignment]\nselected: true\n",
    )
    lines = text.splitlines(keepends=True)
    date = next(line for line in lines if line.startswith("date:"))
    lines.remove(date)
    lines.insert(0, date)  # a person moved the date to the top
    path.write_text("".join(lines), encoding="utf-8")
    return tmp_path


def test_reimport_keeps_every_edit_and_reports_the_difference(edited: Path) -> None:
    before = snapshot(edited / "content")
    result = import_(edited, LISTING)
    assert result.returncode == 0, result.stderr
    assert snapshot(edited / "content") == before
    assert "26 entries: 0 added, 26 already present (1 difference kept)" in result.stdout
    # the title is on line 3 of the edited file (after the moved date and the comment);
    # the listing's entry starts on line 4
    assert f"{PAPER}:3: title differs: listing line 4 has " in result.stdout
    assert "--update title" in result.stdout


def changed_listing(tmp_path: Path) -> Path:
    """The listing with one title reworded, one paper gone and one new paper."""
    text = LISTING.read_text(encoding="utf-8")
    text = text.replace(TITLE + "Zihui Xue", TITLE.replace(" via Temporal Alignment", "") + "Zihui Xue")
    lines = text.splitlines(keepends=True)
    gone = lines[-3:]  # the last paper: Multimodal Knowledge Expansion
    assert gone[1].startswith("Multimodal Knowledge Expansion")
    lines = [*lines[:-3], "CVNov 1, 2026Code\n", "A Brand New PaperZihui Xue, Kristen Grauman\n", "New.\n"]
    path = tmp_path / "changed.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_changed_listing_adds_reports_and_deletes_nothing(edited: Path, tmp_path: Path) -> None:
    before = snapshot(edited / "content")
    result = import_(edited, changed_listing(tmp_path))
    assert result.returncode == 0, result.stderr
    after = snapshot(edited / "content")
    assert set(after) - set(before) == {"publications/2026-xue-brand-new-paper.yaml"}
    assert {k: v for k, v in after.items() if k in before} == before  # nothing changed or deleted
    assert "content/publications/2021-xue-multimodal-knowledge.yaml: not in " in result.stdout
    assert f"{PAPER}:3: title differs: listing line 4 has" in result.stdout  # matched, not a new paper
    assert "1 added, 25 already present" in result.stdout


def test_update_changes_only_that_field(edited: Path, tmp_path: Path) -> None:
    before = (edited / PAPER).read_text(encoding="utf-8")
    result = import_(edited, changed_listing(tmp_path), "--update", "title")
    assert result.returncode == 0, result.stderr
    after = (edited / PAPER).read_text(encoding="utf-8")
    new_title = TITLE.replace(" via Temporal Alignment", "")
    assert after == before.replace(
        f"title: {TITLE.replace('grained', 'Grained')}  # ok\n", f"title: {new_title}  # ok\n"
    )
    assert f"updated: {PAPER}: title" in result.stdout


def test_dry_run_prints_the_diff_and_writes_nothing(edited: Path, tmp_path: Path) -> None:
    before = snapshot(edited / "content")
    result = import_(edited, changed_listing(tmp_path), "--update", "title", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert snapshot(edited / "content") == before
    assert f"--- {PAPER}\n+++ {PAPER}\n" in result.stdout
    assert f"-title: {TITLE.replace('grained', 'Grained')}  # ok\n" in result.stdout
    assert "--- /dev/null\n+++ content/publications/2026-xue-brand-new-paper.yaml\n" in result.stdout
    assert "+title: A Brand New Paper\n" in result.stdout
    assert "1 would add, 25 already present, 1 would update, 1 file not in this listing" in result.stdout


def test_update_adds_a_missing_field_in_schema_order(tmp_path: Path) -> None:
    assert import_(tmp_path, LISTING).returncode == 0
    path = tmp_path / PAPER
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("category: cs.CV\n", ""), encoding="utf-8")
    result = import_(tmp_path, LISTING, "--update", "category")
    assert result.returncode == 0
    assert path.read_text(encoding="utf-8") == text


BIB_FILES = sorted((SHARED / "corpus" / "bibtex").glob("*.bib"))


@pytest.mark.parametrize("bib", BIB_FILES, ids=[p.name.split("--")[0] for p in BIB_FILES])
def test_every_real_bibtex_file_imports_or_reports_located_errors(tmp_path: Path, bib: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", tmp_path / "templates")
    (tmp_path / "site.yaml").write_text("title: Test\n")
    result = import_(tmp_path, bib)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert result.returncode == (1 if errors else 0), result.stderr
    for line in errors:
        assert line.startswith(f"{bib}:"), line
        assert line.split(":")[1].isdigit(), line  # every problem has its line
    written = list((tmp_path / "content" / "publications").glob("*.yaml"))
    assert written
    assert f"{len(written)} added" in result.stdout
    check = run(tmp_path, "check")
    assert check.returncode == 0, check.stderr  # every imported file is valid content
    again = import_(tmp_path, bib)
    assert "0 added" in again.stdout  # and re-importing matches every one of them
