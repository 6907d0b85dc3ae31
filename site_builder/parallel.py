"""Run independent tasks on every core: forked worker processes that share the parent's memory.

The parent forks its workers once the work is known (the loaded site, the compiled
templates), so a worker starts with everything in memory and nothing is sent to it. Every
process, the parent included, claims the next chunk of task numbers from a shared counter
until none is left, so a slow task never leaves the other cores idle; a worker sends back
what its tasks returned (small values: digests, parsed papers) when it runs out of work.

Where ``fork`` does not exist, or with one core or little work, tasks run in the parent.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import TypeVar, cast

from .errors import SiteBuilderError

T = TypeVar("T")
JOBS_ENV = "SITE_BUILDER_JOBS"


def cpu_count() -> int:
    """Return how many processes to use: ``$SITE_BUILDER_JOBS``, else the cores this process may use."""
    wanted = os.environ.get(JOBS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class WorkerFailed(SiteBuilderError):
    """A worker process died without reporting (killed, out of memory)."""


def run_tasks(
    count: int,
    task: Callable[[int], T],
    processes: int | None = None,
    chunk: int = 32,
    on_progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[T]:
    """Return ``[task(0), …, task(count - 1)]``, computed by up to ``processes`` processes.

    An exception raised by a task in a worker is raised again in the parent (the first one
    in task order), after every worker has stopped. ``on_progress`` is called in the
    parent with the number of tasks claimed so far, for a progress line. ``meanwhile``
    runs in the parent before it takes tasks too: other work, done while the workers start
    on the tasks (with one process, it runs first).
    """
    processes = min(processes or cpu_count(), max(1, count // chunk))
    if processes <= 1 or not hasattr(os, "fork"):
        if meanwhile is not None:
            meanwhile()
        inline = []
        for i in range(count):
            inline.append(task(i))
            if on_progress is not None and i % chunk == 0:
                on_progress(i)
        return inline
    import multiprocessing  # only when there is work to share: a build with nothing to do skips it

    counter = multiprocessing.get_context("fork").Value("q", 0)

    def claim() -> int:
        with counter.get_lock():
            start: int = counter.value
            counter.value = start + chunk
        if on_progress is not None and os.getpid() == parent:
            on_progress(min(start, count))
        return start

    def work() -> dict[int, T]:
        done: dict[int, T] = {}
        while (start := claim()) < count:
            for i in range(start, min(start + chunk, count)):
                done[i] = task(i)
        return done

    parent = os.getpid()
    was_frozen = gc.get_freeze_count() > 0  # a caller's freeze is the caller's to end
    gc.collect()
    gc.freeze()  # the parent's objects stay shared: the collector in a worker never touches them
    children: list[tuple[int, int]] = []
    try:
        for _ in range(processes - 1):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the worker, reported through the pipe
                os.close(read)
                _worker(write, work, parent)
            os.close(write)
            children.append((pid, read))
        results: dict[int, T] = {}
        failure: BaseException | None = None
        try:
            if meanwhile is not None:
                meanwhile()
            results = work()
        except BaseException as exc:  # stop the workers at their next claim, then report
            failure = exc
            with counter.get_lock():
                counter.value = count
        for pid, read in children:
            status, payload = _collect(pid, read)
            if status == "ok":
                results.update(cast(dict[int, T], payload))
            elif failure is None:
                failure = cast(BaseException, payload)
        children = []
        if failure is not None:
            raise failure
        return [results[i] for i in range(count)]
    finally:
        for pid, read in children:  # the parent was interrupted: stop and reap what is left
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
                os.close(read)
            except OSError:
                pass
        if not was_frozen:
            gc.unfreeze()


def beside(check: Callable[[], bool], fork: bool = True) -> Callable[[], bool]:
    """Start a yes-or-no check in a forked process; return a function that waits for its answer.

    For a check made of system calls that the caller overlaps with its own: a thread would
    not help, as the two loops would take turns holding the interpreter. A forked check
    that fails in any way answers no. Without ``fork`` (or where there is none) the check
    runs here, at once, and its errors are the caller's.
    """
    if not fork or not hasattr(os, "fork"):
        answer = check()
        return lambda: answer
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child answers with its exit status
        code = 1
        try:
            code = 0 if check() else 1
        finally:
            os._exit(code)

    def wait() -> bool:
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    return wait


def _worker(write: int, work: Callable[[], dict[int, T]], parent: int) -> None:  # pragma: no cover
    """Run in a forked worker: do tasks, send the results or the error, exit without cleanup."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(parent)
    code = 0
    try:
        try:
            payload = pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:
            try:
                payload = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                text = "".join(traceback.format_exception(exc))
                payload = pickle.dumps(("error", SiteBuilderError(f"a build worker failed:\n{text}")))
        with os.fdopen(write, "wb") as handle:
            handle.write(payload)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _die_with_parent(parent: int) -> None:  # pragma: no cover - in the worker
    """Ask Linux to kill this worker when the parent dies (a killed build leaves no orphan writing)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker stops when it finds no more tasks
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _collect(pid: int, read: int) -> tuple[str, object]:
    """Read a worker's report and reap it."""
    with os.fdopen(read, "rb") as handle:
        data = handle.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return "error", WorkerFailed(f"a build worker died ({_describe(status)}); nothing was written")
    report: tuple[str, object] = pickle.loads(data)
    return report


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
