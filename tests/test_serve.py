"""The preview server, run as a real process on a free port: rebuilds, errors, quick saves, safety, exit."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import REPO

PAPER = "content/publications/2024-luo-put-myself-shoes.yaml"
PAPER_URL = "publications/2024-luo-put-myself-shoes/"
DEADLINE = 15.0


def free_port() -> int:
    """Return a port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_site(root: Path) -> Path:
    """Copy this repository's site into ``root``."""
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    for name in ("content", "templates", "static"):
        shutil.copytree(REPO / name, root / name)
    return root


def wait_for(check: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``check`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, str]:
    """GET a URL directly (never through a proxy); return the status and the body, errors included."""
    try:
        with NO_PROXY.open(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@dataclass
class Server:
    """A running ``site-builder serve`` and what it printed on stderr."""

    proc: subprocess.Popen[str]
    port: int
    root: Path
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def get(self, path: str) -> tuple[int, str]:
        return fetch(self.url + path)

    def shows(self, path: str, text: str) -> Callable[[], bool]:
        return lambda: text in self.get(path)[1]


def start(root: Path, host: str | None = None, sigint_ignored: bool = False) -> Server:
    """Start the server on ``root`` and wait until it serves.

    ``sigint_ignored`` starts it as a shell script's background job is (``serve &``).
    """
    port = free_port()
    extra = ["--host", host] if host else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "--root", str(root), "serve", "--port", str(port), *extra],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None,
    )
    server = Server(proc, port, root)

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            server.lines.append(line)

    server.reader = threading.Thread(target=read, daemon=True)
    server.reader.start()
    wait_for(lambda: "(Ctrl-C to stop)" in server.log or proc.poll() is not None, "the server to start")
    return server


def stop(server: Server) -> int:
    """Interrupt the server like Ctrl-C and return its exit code."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
    code = server.proc.wait(timeout=DEADLINE)
    close(server)
    return code


def close(server: Server) -> None:
    """Stop the server if it still runs (SIGTERM: it removes its temporary folder), and release its pipe."""
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
    if server.reader is not None:
        server.reader.join(timeout=DEADLINE)
    if server.proc.stderr is not None:
        server.proc.stderr.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server on a copy of this repository's site."""
    (tmp_path / "site").mkdir()
    running = start(make_site(tmp_path / "site"))
    yield running
    close(running)


def edit_title(root: Path, title: str) -> None:
    """Set the title of the test paper."""
    path = root / PAPER
    text = re.sub(r"(?m)^title: .*$", f"title: '{title}'", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")


def temp_folder(server: Server) -> Path:
    """Return the temporary folder the server announced."""
    match = re.search(r"temporary folder: (\S+)", server.log)
    assert match, server.log
    return Path(match.group(1))


def test_serves_the_site_and_shows_an_edit(server: Server) -> None:
    status, body = server.get("")
    assert status == 200 and "livereload.js" in body
    assert server.get(PAPER_URL)[0] == 200
    edit_title(server.root, "A Freshly Edited Title")
    wait_for(server.shows(PAPER_URL, "A Freshly Edited Title"), "the edited paper page")
    wait_for(server.shows("publications/", "A Freshly Edited Title"), "the list to show the edit")


def test_incremental_rebuild_equals_a_full_build(server: Server, tmp_path: Path) -> None:
    edit_title(server.root, "Incremental Equals Full")
    wait_for(server.shows(PAPER_URL, "Incremental Equals Full"), "the edited paper page")
    mirror = temp_folder(server) / "site"
    wait_for(
        lambda: "Incremental Equals Full" in (mirror / PAPER_URL / "index.html").read_text(), "the mirror"
    )
    full = tmp_path / "full"
    subprocess.run(
        [sys.executable, "-m", "site_builder", "--root", str(server.root), "build", "--out", str(full)],
        check=True,
        capture_output=True,
    )
    served = sorted(p.relative_to(mirror).as_posix() for p in mirror.rglob("*") if p.is_file())
    built = sorted(p.relative_to(full).as_posix() for p in full.rglob("*") if p.is_file())
    assert served == built
    _, mismatch, errors = filecmp.cmpfiles(mirror, full, built, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert re.search(r"rebuilt in \d+ ms: the edit of \S+ spliced in", server.log), server.log


def test_a_broken_file_shows_its_place_and_the_fix_brings_the_site_back(server: Server) -> None:
    path = server.root / PAPER
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "title: [unclosed\n", encoding="utf-8")
    line = good.count("\n") + 2  # libyaml reports the line after the unclosed flow sequence
    place = f"{PAPER}:{line}: invalid YAML"
    wait_for(server.shows("", place), "the error overlay")
    status, body = server.get(PAPER_URL)
    assert status == 200 and place in body  # the last good page, with the problem on top
    assert "Showing the last good version" in body
    path.write_text(good, encoding="utf-8")
    wait_for(lambda: "site-builder-problems" not in server.get("")[1], "the overlay to go")
    assert server.get(PAPER_URL)[0] == 200


def test_an_unknown_key_is_reported_with_its_line(server: Server) -> None:
    path = server.root / PAPER
    path.write_text(path.read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    wait_for(server.shows("", "colour"), "the unknown-key problem")
    assert re.search(re.escape(PAPER) + r":\d+: ", server.get("")[1])


def test_two_saves_within_two_seconds_both_show(server: Server) -> None:
    first = time.monotonic()
    edit_title(server.root, "First Quick Save")
    wait_for(server.shows(PAPER_URL, "First Quick Save"), "the first save")
    edit_title(server.root, "Second Quick Save")
    assert time.monotonic() - first < 2  # within livereload's 3 s throttle, which we bypass
    wait_for(server.shows(PAPER_URL, "Second Quick Save"), "the second save")


def test_paths_cannot_leave_the_site(server: Server) -> None:
    for path in (
        "../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "publications/..%2f..%2fsite.yaml",
        "/etc/passwd",
    ):
        status, body = server.get(path)
        assert status in (400, 404), path
        assert "root:" not in body and "members:" not in body
    status, body = server.get("no/such/page/")
    assert status == 404 and "not found" in body.lower()
    assert server.get("publications")[0] == 200  # redirected to publications/


def test_ctrl_c_exits_cleanly_and_removes_the_temporary_folder(server: Server) -> None:
    folder = temp_folder(server)
    assert (folder / "site" / "index.html").is_file()
    assert stop(server) == 0
    assert not folder.exists()
    assert "Traceback" not in server.log


def test_ctrl_c_stops_a_preview_started_in_the_background_of_a_script(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    server = start(make_site(tmp_path / "site"), sigint_ignored=True)
    folder = temp_folder(server)
    assert stop(server) == 0  # a shell's `serve &` ignores SIGINT; the preview takes it back
    assert not folder.exists()


def test_a_port_in_use_is_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "site_builder",
                "--root",
                str(make_site(tmp_path)),
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
    assert proc.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert "Traceback" not in proc.stderr
    folder = re.search(r"temporary folder: (\S+)", proc.stderr)
    assert folder and not Path(folder.group(1)).exists()


def test_another_host_is_served_only_when_asked_and_with_a_warning(server: Server, tmp_path: Path) -> None:
    assert "warning" not in server.log
    (tmp_path / "other").mkdir()
    other = start(make_site(tmp_path / "other"), host="127.0.0.2")  # not in the default, still local
    try:
        assert "warning: serving on 127.0.0.2: other machines" in other.log
        status, body = fetch(f"http://127.0.0.2:{other.port}/")
        assert status == 200, body[:3000] + other.log
    finally:
        assert stop(other) == 0
