"""Work on every core: forked workers give the same results, errors and output as one process."""

from __future__ import annotations

import os
import time

import pytest

from site_builder.build import build
from site_builder.errors import Problem, ProblemsError
from site_builder.parallel import WorkerFailed, beside, run_tasks

from .helpers import copy_of_this_site, files


def test_results_come_back_in_task_order_from_every_process():
    def task(i: int) -> tuple[int, int]:
        time.sleep(0.001)  # slow enough that both processes get tasks
        return i * i, os.getpid()

    pids = run_tasks(400, task, processes=2, chunk=8)
    assert [square for square, _ in pids] == [i * i for i in range(400)]
    assert len({pid for _, pid in pids}) == 2  # the parent and one worker both worked


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_a_check_beside_answers_yes_no_and_no_when_it_fails(fork: bool) -> None:
    def fails() -> bool:
        raise OSError("gone")

    here = os.getpid()
    assert beside(lambda: True, fork=fork)() is True
    assert beside(lambda: False, fork=fork)() is False
    assert beside(lambda: os.getpid() != here, fork=fork)() is fork  # where it ran
    if fork:
        assert beside(fails)() is False
    else:
        with pytest.raises(OSError):
            beside(fails, fork=False)


@pytest.mark.parametrize("processes", [1, 2])
def test_other_work_runs_once_in_this_process_while_the_workers_start(processes: int) -> None:
    done: list[tuple[int, int]] = []

    def meanwhile() -> None:
        time.sleep(0.2)  # long enough that the worker does tasks in the meantime
        done.append((os.getpid(), len(done)))

    pids = run_tasks(400, lambda i: os.getpid(), processes=processes, chunk=8, meanwhile=meanwhile)
    assert done == [(os.getpid(), 0)]
    assert len(pids) == 400
    assert (set(pids) == {os.getpid()}) is (processes == 1)  # with two, the worker took tasks meanwhile


def test_a_failure_of_the_other_work_stops_the_workers_and_is_raised() -> None:
    def meanwhile() -> None:
        raise ProblemsError([Problem("site.yaml", 2, "bad")])

    with pytest.raises(ProblemsError, match="bad"):
        run_tasks(400, lambda i: time.sleep(0.001), processes=2, chunk=8, meanwhile=meanwhile)


def test_small_work_stays_in_this_process():
    assert {pid for pid in run_tasks(10, lambda i: os.getpid(), processes=2, chunk=8)} == {os.getpid()}


def test_a_located_problem_in_a_worker_reaches_the_parent_intact():
    parent = os.getpid()

    def task(i: int) -> int:
        if os.getpid() != parent:  # the worker fails on its first task
            raise ProblemsError([Problem("content/publications/x.yaml", 3, "bad date")])
        time.sleep(0.002)  # the parent is slow enough that the worker gets tasks
        return i

    with pytest.raises(ProblemsError) as exc:
        run_tasks(400, task, processes=2, chunk=4)
    assert [str(p) for p in exc.value.problems] == ["content/publications/x.yaml:3: bad date"]


def test_a_worker_that_dies_is_reported_not_waited_for():
    parent = os.getpid()

    def task(i: int) -> int:
        if os.getpid() != parent:
            os._exit(9)  # as if killed
        time.sleep(0.002)
        return i

    with pytest.raises(WorkerFailed, match="died"):
        run_tasks(400, task, processes=2, chunk=1)


def test_one_process_and_two_build_the_same_bytes(tmp_path, monkeypatch):
    p = copy_of_this_site(tmp_path)
    monkeypatch.setenv("SITE_BUILDER_JOBS", "1")
    build(p, tmp_path / "one", use_cache=False)
    monkeypatch.setenv("SITE_BUILDER_JOBS", "2")
    build(p, tmp_path / "two", use_cache=False)
    assert files(tmp_path / "one") == files(tmp_path / "two")


def test_a_template_error_in_any_process_is_located(tmp_path, monkeypatch):
    p = copy_of_this_site(tmp_path)
    monkeypatch.setenv("SITE_BUILDER_JOBS", "2")
    author = p / "templates" / "author.html"  # rendered by many jobs, in both processes
    author.write_text(author.read_text().replace("{{ author.name }}", "{{ author.no_such_thing }}", 1))
    with pytest.raises(ProblemsError) as exc:
        build(p, tmp_path / "out")
    (problem,) = exc.value.problems
    assert problem.path.endswith("author.html") and problem.line == 2
    assert "no_such_thing" in problem.message
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.building-*"))


def test_workers_leave_the_collector_as_they_found_it():
    import gc

    def task(i: int) -> int:
        time.sleep(0.001)
        return i

    assert gc.get_freeze_count() == 0
    run_tasks(100, task, processes=2, chunk=4)
    assert gc.get_freeze_count() == 0  # unfrozen after
    gc.freeze()  # as a build does with its loaded site
    try:
        run_tasks(100, task, processes=2, chunk=4)
        assert gc.get_freeze_count() > 0  # the caller's freeze is the caller's to end
    finally:
        gc.unfreeze()
