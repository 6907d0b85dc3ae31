"""Hostile content builds to inert HTML; a killed build leaves the old site exactly as it was."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

from site_builder.build import build

from .conftest import REPO

SCRIPT = "<script>alert(1)</script>"
HOSTILE_TITLE = (
    f'{SCRIPT} "quoted" </textarea></title><!-- {{{{ 7*7 }}}} {{% if true %}}x{{% endif %}} '
    "\u202egnp.exe\u202c \\0 end"
)

PAPERS = {
    "2024-hostile-one": (
        'title: "' + HOSTILE_TITLE.replace('"', '\\"').replace("\\0", "NUL:\\0") + '"\n'
        "authors: ['<img src=x onerror=alert(1)>', '\"><svg onload=alert(2)>', \"Ann O'Brien\"]\n"
        "date: 2024-01-02\n"
        "category: '<b>cs.CV</b>'\n"
        "venue: '</script><script>alert(3)</script>'\n"
        "tags: ['\"onmouseover=\"alert(4)', '<i>x</i>']\n"
        "abstract: |\n"
        "  Click [me](javascript:alert(5)) or [this](JaVaScRiPt:alert(6)) or ![i](javascript:alert(7)).\n"
        '  <iframe src="javascript:alert(8)"></iframe> <a href="javascript:alert(9)">a</a>\n'
        "  <img src=x onerror=alert(10)> [data](data:text/html,<script>alert(11)</script>)\n"
        "  {{ config }} {% for x in y %}{% endfor %} \u202eevil\u202c $x^2$ </textarea>\n"
        'links:\n  pdf: https://example.org/a.pdf?x="><script>alert(12)</script>\n'
    ),
    "2023-hostile-long": "title: " + "Long " * 20000 + "\nauthors: [A B]\ndate: 2023-01-01\n",
}

ALLOWED_SCRIPT_SRC = ("static/js/publications.js", "static/js/paper.js")


class Inspector(HTMLParser):
    """Collect everything in a page that could run code."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []
        self.in_script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("iframe", "img", "object", "embed", "textarea", "b", "i"):
            self.bad.append(f"<{tag}> element")
        if tag == "svg" and a.get("aria-hidden") != "true":  # the theme's own icons are decorative
            self.bad.append("<svg> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{name} attribute on <{tag}>")
            if name in ("href", "src", "action", "formaction") and value:
                compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if compact.startswith(("javascript:", "data:", "vbscript:")):
                    self.bad.append(f"{name}={value!r}")
        if tag == "script":
            src, kind = a.get("src"), a.get("type")
            if src is not None:
                if not src.endswith(ALLOWED_SCRIPT_SRC):
                    self.bad.append(f"script src {src}")
                self.in_script = None
            else:
                self.in_script = kind or "inline"

    def handle_data(self, data: str) -> None:
        if self.in_script in ("application/json", "application/ld+json"):
            json.loads(data)  # the data stayed inside its element
            if "<" in data:
                self.bad.append("'<' inside a JSON script element")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = None


def hostile_project(tmp: Path) -> Path:
    project = tmp / "project"
    for name in ("templates", "static"):
        import shutil

        shutil.copytree(REPO / name, project / name)
    (project / "site.yaml").write_text(
        "title: '<script>alert(0)</script> Lab'\nbase_url: https://lab.example.org/\n"
        "description: '\"><script>alert(13)</script>'\nmembers: ['<img src=x onerror=alert(14)>']\n",
        encoding="utf-8",
    )
    (project / "content" / "publications").mkdir(parents=True)
    for slug, text in PAPERS.items():
        (project / "content" / "publications" / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return project


def test_hostile_content_builds_to_inert_html(tmp_path: Path) -> None:
    project = hostile_project(tmp_path)
    build(project, tmp_path / "out")
    pages = sorted((tmp_path / "out").rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        inspector = Inspector()
        inspector.feed(text)
        assert inspector.bad == [], (page, inspector.bad)
        assert not re.search("[\x00\u202a-\u202e\u2066-\u2069]", text), page
        assert "alert(1)</script>" not in text.replace("&lt;", "<") or "&lt;script&gt;" in text
    detail = (tmp_path / "out/publications/2024-hostile-one/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail  # shown as text
    assert "{{ 7*7 }}" in detail and "49" not in detail  # data is never evaluated as a template
    assert "{% if true %}x{% endif %}" in detail
    assert "&lt;/textarea&gt;" in detail
    for path in (tmp_path / "out").rglob("*.xml"):
        import xml.etree.ElementTree as ET

        ET.parse(path)  # the feed and sitemap stay well-formed


def test_javascript_links_in_yaml_are_refused_with_their_line(tmp_path: Path) -> None:
    project = hostile_project(tmp_path)
    (project / "content" / "publications" / "2024-bad-link.yaml").write_text(
        "title: T\nauthors: [A B]\ndate: 2024-01-01\n"
        "links:\n  pdf: https://ok.org/x.pdf\n  code: javascript:alert(1)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "site_builder", "check"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        "content/publications/2024-bad-link.yaml:6: link 'code' uses the 'javascript' scheme; "
        "only http, https, mailto and relative URLs are allowed"
    ) in result.stderr


def make_big_project(tmp: Path, n: int) -> Path:
    project = tmp / "big"
    for name in ("templates", "static"):
        import shutil

        shutil.copytree(REPO / name, project / name)
    (project / "site.yaml").write_text("title: Big\nbase_url: https://lab.example.org/\n")
    folder = project / "content" / "publications"
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"2020-paper-{i:05d}.yaml").write_text(
            f"title: Paper number {i} on things\nauthors: [Ann Lee, Bo Chen {i % 50}]\n"
            f"date: 20{10 + i % 15}-0{1 + i % 9}-1{i % 9}\ncategory: cs.CV\n"
            f"abstract: An abstract with $x_{i}$ math -- and 5\\\\% of {i} things.\n"
        )
    return project


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_killed_half_way_leaves_the_old_site_exactly_as_it_was(tmp_path: Path) -> None:
    project = make_big_project(tmp_path, 1500)
    out = tmp_path / "site"
    build(project, out)
    before = snapshot(out)
    (project / "content" / "publications" / "2020-paper-00000.yaml").write_text(
        "title: Changed\nauthors: [Ann Lee]\ndate: 2020-01-01\n"
    )
    killed_while_writing = False
    for _attempt in range(3):
        proc = subprocess.Popen(
            # --no-cache: a full build, the kind that writes a whole new folder (a rebuild
            # replaces only the few files that changed, after everything has rendered)
            [
                sys.executable,
                "-m",
                "site_builder",
                "--root",
                str(project),
                "build",
                "--no-cache",
                "--out",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any(tmp_path.glob(".site.building-*/publications")):
                os.kill(proc.pid, signal.SIGKILL)
                killed_while_writing = True
                break
            time.sleep(0.002)
        proc.wait(timeout=30)
        if killed_while_writing:
            break
    assert killed_while_writing, "the build finished before it could be killed while writing"
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(out) == before  # the old site, byte for byte
    assert list(tmp_path.glob(".site.building-*"))  # the half-written copy is beside it, not in it
    build(project, out)  # the next build cleans up and succeeds
    assert not list(tmp_path.glob(".site.building-*"))
    assert "Changed" in (out / "publications" / "2020-paper-00000" / "index.html").read_text(encoding="utf-8")
