"""A small real site for the browser tests: this lab's papers plus a few with venues, tags and accents."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from site_builder.build import build

from .conftest import REPO

EXTRA_PAPERS = {
    "2019-dollar-panoptic-segmentation": """\
title: Panoptic Segmentation
authors:
  - Alexander Kirillov
  - Kaiming He
  - Piotr Dollár
date: 2019-04-10
category: cs.CV
has_code: true
abstract: We propose and study a task we name panoptic segmentation (PS).
venue: CVPR 2019
tags: [segmentation, benchmark]
selected: true
links:
  pdf: https://arxiv.org/pdf/1801.00868
""",
    "2018-grauman-ego-summaries": """\
title: Egocentric Summaries of Long Videos
authors:
  - Kristen Grauman
  - Yong Jae Lee
date: 2018-06-01
category: cs.CV
has_code: false
abstract: Egocentric video summarization finds the important people and objects.
venue: IJCV
tags: [video, egocentric]
""",
}


def make_project(dest: Path) -> Path:
    """Copy this repository's site into ``dest`` and add the extra papers."""
    for name in ("content", "templates", "static"):
        shutil.copytree(REPO / name, dest / name)
    shutil.copy(REPO / "site.yaml", dest / "site.yaml")
    for slug, text in EXTRA_PAPERS.items():
        (dest / "content" / "publications" / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return dest


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve a folder on a free loopback port; yield its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def build_test_site(tmp: Path) -> Path:
    """Build the browser-test site into ``tmp/_site`` and return that folder."""
    project = make_project(tmp / "project")
    out = tmp / "_site"
    build(project, out)
    return out


MANY_AUTHORS = [
    "Ada Lovelace", "Charles Babbage", "Grace Hopper", "Alan Turing", "Edsger Dijkstra",
    "Barbara Liskov", "Donald Knuth", "Frances Allen",
]  # fmt: skip
EXTRA_PAPERS["2015-lovelace-many-hands"] = (
    "title: Many Hands Make Light Work\n"
    "authors:\n"
    + "".join(f"  - {a}\n" for a in MANY_AUTHORS)
    + "date: 2015-09-01\ncategory: cs.SE\nhas_code: false\n"
    "abstract: Eight authors, one paper.\n"
)

EXTRA_PAPERS["2017-oord-math"] = """\
title: Neural Discrete Representation Learning
authors: [Aäron van den Oord, Oriol Vinyals, Koray Kavukcuoglu]
date: 2017-11-02
category: cs.LG
has_code: false
abstract: Attention costs $\\mathcal{O}(n^2)$ in the sequence length; we bring it to $O(n \\log n)$.
"""
