"""The build cache saves work and nothing else: a rebuild is byte-identical to a cold build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder.build import build

from .helpers import copy_of_this_site, files


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a file with ``new``, as a person editing it would."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def mtimes(folder: Path) -> dict[str, int]:
    return {
        str(f.relative_to(folder)): f.stat().st_mtime_ns for f in sorted(folder.rglob("*")) if f.is_file()
    }


def test_rebuilds_equal_cold_builds_and_keep_unchanged_files(tmp_path: Path) -> None:
    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    first = build(p, out)
    assert not first.up_to_date and (p / ".site-builder-cache" / "build.pickle").is_file()
    before = mtimes(out)
    again = build(p, out)
    assert again.up_to_date and mtimes(out) == before  # nothing changed: nothing written

    paper = p / "content" / "publications" / "2021-hua-feature-decorrelation-self.yaml"
    edit(paper, "title: On Feature", "title: Edited On Feature")
    edited = build(p, out)
    assert not edited.up_to_date
    cold = tmp_path / "cold"
    build(p, cold, use_cache=False)
    assert files(out) == files(cold)  # the incremental result is exactly a cold build's
    after = mtimes(out)
    unchanged = [k for k in before if k in after and after[k] == before[k]]
    changed = [k for k in before if k in after and after[k] != before[k]]
    assert (
        "static/css/site.css" in unchanged
        and "publications/2022-xue-dynamic-multimodal-fusion/index.html" in unchanged
    )
    assert "publications/2021-hua-feature-decorrelation-self/index.html" in changed
    assert len(changed) < len(unchanged) / 3


@pytest.mark.parametrize("forked", [False, True], ids=["checked here", "checked in a forked process"])
def test_a_changed_output_folder_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    import site_builder.build

    if forked:  # as for a big site: the output's folders are checked beside the sources' scan
        monkeypatch.setattr(site_builder.build, "FORKED_CHECK_FROM", 0)
    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    assert build(p, out).up_to_date
    (out / "publications" / "2021-hua-feature-decorrelation-self" / "index.html").unlink()
    result = build(p, out)
    assert not result.up_to_date
    assert (out / "publications" / "2021-hua-feature-decorrelation-self" / "index.html").is_file()
    assert build(p, out).up_to_date


@pytest.mark.parametrize("forked", [False, True], ids=["checked here", "checked in a forked process"])
def test_an_edit_with_the_output_changed_by_hand_takes_the_usual_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    """The quick rebuild reads while the output is checked, but never splices into a changed output."""
    import site_builder.build

    if forked:
        monkeypatch.setattr(site_builder.build, "FORKED_CHECK_FROM", 0)
    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    (out / "publications" / "2022-xue-dynamic-multimodal-fusion" / "index.html").unlink()  # another's page
    edit(
        p / "content" / "publications" / "2021-hua-feature-decorrelation-self.yaml",
        "title: On Feature",
        "title: On Features",
    )
    stages: list[str] = []
    build(p, out, progress=lambda stage, done, total: stages.append(stage))
    assert "patching" not in stages and "reading" in stages
    cold = tmp_path / "cold"
    build(p, cold, use_cache=False)
    assert files(out) == files(cold)


def test_a_broken_cache_is_ignored(tmp_path: Path) -> None:
    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    cache = p / ".site-builder-cache"
    (cache / "state.pickle").write_bytes(b"not a pickle")
    result = build(p, out)
    assert not result.up_to_date
    assert os.path.getsize(cache / "state.pickle") > 100  # and rewritten

    (cache / "build.pickle").write_bytes(b"not a pickle either")
    paper = p / "content" / "publications" / "2021-hua-feature-decorrelation-self.yaml"
    edit(paper, "title: On Feature", "title: Broken On Feature")
    build(p, out)  # needs the large part, which is unreadable: a full build
    cold = tmp_path / "cold"
    build(p, cold, use_cache=False)
    assert files(out) == files(cold)


def test_a_rebuild_stopped_while_replacing_files_is_followed_by_a_full_build(tmp_path: Path) -> None:
    from site_builder.cache import BuildCache

    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    before = files(out)
    BuildCache.mark_updating(p)  # as if killed while replacing files
    (out / "index.html").write_text("half of an old page")  # a folder's time does not see this
    result = build(p, out)
    assert not result.up_to_date
    assert files(out) == before
    assert not (p / ".site-builder-cache" / "updating").exists()


def test_an_edit_rewrites_only_its_shard_of_parsed_papers_and_a_broken_shard_is_read_again(
    tmp_path: Path,
) -> None:
    from site_builder.cache import shard_of

    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    cache = p / ".site-builder-cache"
    shards = {f.name: f.stat().st_mtime_ns for f in cache.glob("papers-*.pickle")}
    assert len(shards) > 1
    paper = p / "content" / "publications" / "2021-hua-feature-decorrelation-self.yaml"
    edit(paper, "title: On Feature", "title: Sharded On Feature")
    build(p, out)
    changed = {name for name, mtime in shards.items() if (cache / name).stat().st_mtime_ns != mtime}
    assert changed == {f"papers-{shard_of(paper.name):02d}.pickle"}

    (cache / sorted(shards)[0]).write_bytes(b"broken")  # its papers are parsed again
    edit(paper, "Sharded On", "Sharded Again On")
    build(p, out)
    build(p, tmp_path / "cold", use_cache=False)
    assert files(out) == files(tmp_path / "cold")


def test_a_full_rebuild_swaps_in_the_new_site_and_removes_the_old_one_in_the_background(
    tmp_path: Path,
) -> None:
    import time

    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    base = p / "templates" / "base.html"
    edit(base, "</footer>", "<!-- new --></footer>")
    build(p, out)  # a template changed: every page, a new folder swapped in
    assert "<!-- new -->" in (out / "index.html").read_text(encoding="utf-8")
    deadline = time.monotonic() + 30
    while list(tmp_path.glob(".out.old-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not list(tmp_path.glob(".out.old-*"))  # the old site is gone, removed by a detached process
    assert sorted(f.name for f in tmp_path.iterdir()) == ["out", "project"]


def test_a_shape_memo_recomputes_only_when_the_facts_change_and_a_seed_forgets_the_last_views() -> None:
    from types import SimpleNamespace

    from site_builder.render import ShapeMemo

    calls: list[list[object]] = []

    def compute(shape: list[object]) -> str:
        calls.append(shape)
        return f"answer {len(calls)}"

    def facts(v: object) -> object:
        return v.facts  # type: ignore[attr-defined]

    a, b = SimpleNamespace(facts=1), SimpleNamespace(facts=2)
    memo = ShapeMemo()
    assert memo.get([a, b], facts, compute) == "answer 1"
    assert memo.get([a, b], facts, compute) == "answer 1"  # the same views
    assert memo.get([a, SimpleNamespace(facts=2)], facts, compute) == "answer 1"  # an edit, same facts
    assert memo.get([a, SimpleNamespace(facts=3)], facts, compute) == "answer 2"
    state = memo.state()
    other = ShapeMemo()
    other.get([a, b], facts, compute)  # answer 3, for other views with other facts
    other.seed(state)  # a build starts from its cache: the views it saw before count no more
    assert other.get([a, b], facts, compute) == "answer 4"
    assert len(calls) == 4


def test_after_a_rebuild_that_edits_or_removes_a_paper_the_next_build_has_nothing_to_do(
    tmp_path: Path,
) -> None:
    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    paper = p / "content" / "publications" / "2021-hua-feature-decorrelation-self.yaml"
    edit(paper, "title: On Feature", "title: Again On Feature")
    assert not build(p, out).up_to_date
    assert build(p, out).up_to_date  # the folders' times were brought up to date
    paper.unlink()  # its page's folder goes: a folder the cache knew is gone
    assert not build(p, out).up_to_date
    assert not (out / "publications" / "2021-hua-feature-decorrelation-self").exists()
    assert build(p, out).up_to_date


def _wait_gone(pattern: str, folder: Path) -> list[Path]:
    import time

    deadline = time.monotonic() + 30
    while list(folder.glob(pattern)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(folder.glob(pattern))


def test_a_replaced_large_file_is_set_aside_and_removed_later(tmp_path: Path) -> None:
    from site_builder.output import LARGE_FILE, Writer

    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    big_old, big_new = b"o" * LARGE_FILE, b"n" * (LARGE_FILE + 1)
    (out / "a" / "big.html").write_bytes(big_old)
    (out / "small.html").write_bytes(b"old")
    held = (out / "a" / "big.html").open("rb")  # a reader of the old file keeps reading it whole
    writer = Writer(out, fresh=False)
    writer.write("a/big.html", big_new)
    writer.write("small.html", b"new")
    writer.write("a/new-big.html", big_new)  # no old file: nothing to set aside
    aside = list(tmp_path.glob(".out.old-*"))
    assert len(aside) == 1
    assert [f.read_bytes() == big_old for f in aside[0].iterdir()] == [True]  # only the replaced large file
    writer.close()
    assert (out / "a" / "big.html").read_bytes() == big_new
    assert (out / "small.html").read_bytes() == b"new"
    assert (out / "a" / "new-big.html").read_bytes() == big_new
    assert held.read() == big_old
    held.close()
    assert not _wait_gone(".out.old-*", tmp_path)  # removed by a detached process
    assert sorted(p.name for p in out.rglob("*")) == ["a", "big.html", "new-big.html", "small.html"]


def test_a_folder_is_removed_by_a_process_of_its_own_which_a_later_removal_reaps(tmp_path: Path) -> None:
    import time

    from site_builder import output

    for name in ("first", "second"):
        (tmp_path / name / "a").mkdir(parents=True)
        (tmp_path / name / "a" / "page.html").write_bytes(b"x" * 100_000)
    earlier = set(output._REMOVERS)  # removers of earlier tests' builds, maybe not reaped yet
    output.remove_later(tmp_path / "first")
    started = [pid for pid in output._REMOVERS if pid not in earlier]
    assert len(started) == 1 and started[0] != os.getpid()  # not removed here
    assert not _wait_gone("first", tmp_path)
    deadline = time.monotonic() + 30
    while started[0] in output._REMOVERS and time.monotonic() < deadline:  # once it has exited
        output.remove_later(tmp_path / "second")  # each call reaps the removers that are done
        time.sleep(0.02)
    assert started[0] not in output._REMOVERS
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0], os.WNOHANG)  # reaped: no zombie left behind
    assert not _wait_gone("second", tmp_path)


def test_a_writer_without_large_replacements_sets_nothing_aside(tmp_path: Path) -> None:
    from site_builder.output import LARGE_FILE, Writer

    out = tmp_path / "out"
    out.mkdir()
    (out / "page.html").write_bytes(b"x" * 10)
    writer = Writer(out, fresh=False)
    writer.write("page.html", b"y" * 10)
    writer.write("fresh.html", b"z" * LARGE_FILE)
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_quick_save_writes_every_edited_paper_of_a_shard(tmp_path: Path) -> None:
    from site_builder.cache import BuildCache, read_data, shard_of, write_data

    project = tmp_path / "p"
    folder = project / ".site-builder-cache"
    folder.mkdir(parents=True)
    names = [f"paper-{i}.yaml" for i in range(200)]
    first = names[0]
    same = [n for n in names if shard_of(n) == shard_of(first)][:3]
    assert len(same) == 3
    shard = shard_of(first)
    write_data(folder / f"papers-{shard:02d}.pickle", {"token": "t", "papers": dict.fromkeys(same, "old")})
    cache = BuildCache(token="s")
    assert cache.paper_entry(project, same[0], {shard: "t"}) == "old"
    assert cache.paper_entry(project, same[1], {shard: "other"}) is None  # not the shard saved
    cache.save_quick(project, {}, {}, {same[0]: "new 0", same[2]: "new 2"}, {shard: "t"}, {})
    saved = read_data(folder / f"papers-{shard:02d}.pickle")
    assert saved["token"] == "t"
    assert saved["papers"] == {same[0]: "new 0", same[1]: "old", same[2]: "new 2"}


@pytest.mark.parametrize("by_name", [True, False], ids=["by name in the open folder", "by path (Windows)"])
def test_scanning_a_folder_finds_its_own_files_as_the_full_scan_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_name: bool
) -> None:
    from site_builder.cache import scan, scan_folder

    if not by_name:
        monkeypatch.setattr(os, "supports_dir_fd", set())

    folder = tmp_path / "papers"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.yaml", "a.yml", "c.txt", ".hidden.yaml", "sub/d.yaml"):
        (folder / name).write_text(name * 3)
    (folder / "dir.yaml").mkdir()  # a folder with a paper's suffix
    (folder / "link.yaml").symlink_to(folder / "b.yaml")
    (folder / "broken.yaml").symlink_to(folder / "missing.yaml")
    suffixes = (".yaml", ".yml")
    found = scan_folder(folder, suffixes)
    assert [name for name, _, _ in found] == ["a.yml", "b.yaml", "link.yaml"]
    own = [s for s in scan(folder, suffixes=suffixes) if Path(s[0]).parent == folder]
    assert found == [(Path(path).name, mtime, size) for path, mtime, size in own]
    assert found[1][2] == len("b.yaml" * 3) and found[2][1:] == found[1][1:]  # a link counts as its file
    assert scan_folder(tmp_path / "none", suffixes) == []


def later(paths: list[Path], seconds: int = 1000) -> None:
    """Give files a later modification time, their bytes unchanged."""
    for path in paths:
        then = path.stat().st_mtime_ns + seconds * 1_000_000_000
        os.utime(path, ns=(then, then))


def test_inputs_touched_or_installed_again_with_the_same_bytes_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import site_builder.build
    import site_builder.cache

    code = tmp_path / "installed"  # our code, as an install puts it: touched by the next install
    shutil.copytree(site_builder.build.PACKAGE_DIR, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(site_builder.build, "PACKAGE_DIR", code)
    hashed: list[int] = []
    by_bytes = site_builder.cache.content_digest

    def counted(stats: list[tuple[str, int, int]], extra: str = "") -> str:
        hashed.append(len(stats))
        return by_bytes(stats, extra)

    monkeypatch.setattr(site_builder.cache, "content_digest", counted)
    p = copy_of_this_site(tmp_path)
    out = tmp_path / "out"
    build(p, out)
    before = mtimes(out)
    # a checkout, or a CI cache restored into a fresh clone: every input has a new time
    later(
        [
            f
            for f in [*p.rglob("*"), *code.rglob("*.py")]
            if f.is_file() and ".site-builder-cache" not in f.parts
        ]
    )
    hashed.clear()
    again = build(p, out)
    assert again.up_to_date and mtimes(out) == before
    assert len(hashed) == 2  # our code and the inputs other than papers, read once …
    assert build(p, out).up_to_date and len(hashed) == 2  # … and known by their new times since

    edit(p / "static" / "css" / "site.css", "}", "} ")  # new bytes: built again
    assert not build(p, out).up_to_date
    cold = tmp_path / "cold"
    build(p, cold, use_cache=False)
    assert files(out) == files(cold)
    assert build(p, out).up_to_date
    module = code / "render.py"
    module.write_bytes(module.read_bytes() + b"\n")  # other code: nothing of the cache is reused
    rebuilt: list[str] = []
    build(p, out, progress=lambda stage, done, total: rebuilt.append(stage))
    assert "reading" in rebuilt and "loading the cache" not in rebuilt


@pytest.mark.parametrize("way", ["in the open folder", "by path", "on every core"])
def test_file_digests_are_the_digests_of_the_files_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    import site_builder.cache
    from site_builder.cache import digest, file_digests

    if way == "by path":
        monkeypatch.setattr(os, "supports_dir_fd", set())
    if way == "on every core":
        monkeypatch.setattr(site_builder.cache, "SHARED_DIGESTS_FROM", 1)
    names = [f"p{i}.yaml" for i in range(2500)]  # more than one share of 1,024
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(b"x" * (i % 7) * 20000)  # some longer than one read
    (tmp_path / "folder.yaml").mkdir()
    found = file_digests(tmp_path, [*names, "missing.yaml", "folder.yaml"])
    assert found[: len(names)] == [digest((tmp_path / name).read_bytes()) for name in names]
    assert found[len(names) :] == [None, None]
