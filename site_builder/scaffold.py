"""The files of a new site (``site-builder init``) and the GitHub Pages workflow: pure text."""

from __future__ import annotations

PAGES_WORKFLOW_PATH = ".github/workflows/pages.yml"

_WORKFLOW = """\
# Build the site and publish it on GitHub Pages at every push to main.
# One-time setup: repository Settings → Pages → Source: "GitHub Actions".
name: Deploy to GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

# One deployment at a time; a newer push waits rather than cancelling one in progress.
concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
          cache-dependency-path: {cache_path}
      - name: Install site_builder
        run: {install}
      - id: pages
        uses: actions/configure-pages@v5
      - name: Restore the last build
        # its cache and output: a push that edits a few papers renders only what shows them
        # (files checked out again with the same bytes count as unchanged)
        uses: actions/cache@v4
        with:
          path: |
            .site-builder-cache
            _site
          key: site-builder-${{{{ github.run_id }}}}
          restore-keys: site-builder-
      - name: Check the content
        run: site-builder check
      - name: Build the site
        # base_url in site.yaml wins; when it is empty, the address GitHub Pages gives the site.
        run: site-builder build --out _site --base-url "${{{{ steps.pages.outputs.base_url }}}}"
      - name: Check every link of the built site
        run: site-builder check --links --out _site --base-url "${{{{ steps.pages.outputs.base_url }}}}"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def pages_workflow(install: str, cache_path: str) -> str:
    """Return the GitHub Pages workflow that installs site_builder with ``install``."""
    return _WORKFLOW.format(install=install, cache_path=cache_path)


REQUIREMENTS = """\
# What the Pages workflow installs. Replace the address with where site_builder lives,
# e.g. site_builder @ git+https://github.com/OWNER/site_builder@v0.1.0
site_builder
"""

SITE_YAML = """\
# Site configuration. `site-builder check` validates this file.
title: {title}
description: Research on things worth knowing, by the {title}.
author: {title}
# The public address. Leave it empty on GitHub Pages: the workflow passes the address
# GitHub gives the site. Set it for a custom domain, e.g. https://lab.example.org/
base_url: ""
# cname: lab.example.org    # a custom domain: written to the CNAME file
members:
  - Ada Example
nav:
  - title: Home
    url: ""
  - title: Publications
    url: publications/
"""

HOME_PAGE = """\
---
title: Home
---
We study **how things work**. This text is `content/pages/index.md`: edit it in any
text editor. Raw HTML is shown as text, so write Markdown.
"""

RESEARCH_PAGE = """\
---
title: Research
nav_order: 15
description: What the lab works on.
---
Our research asks three questions:

1. How do things work?
2. Why do they sometimes not?
3. What can we build with the answers?

See the [publications](../publications/) for the details.
"""

CONTACT_PAGE = """\
---
title: Contact
nav_order: 40
---
Write to <lab@example.org> or visit us in room 1.23.
"""

PEOPLE_YAML = """\
# The lab's people. Names (and their variants) are highlighted in every author list.
- name: Ada Example
  role: Professor
  variants: [A. Example]
  links:
    Website: https://example.org/
- name: Bo Student
  role: PhD student
- name: Cy Graduate
  role: PhD 2023, now at Somewhere
  alumni: true
"""

NEWS_YAML = """\
# News on the home page, newest first. `text` is Markdown.
- date: 2024-06-01
  text: Our paper on [first things](publications/2024-example-first-things/) appears at **FOO 2024**.
- date: 2024-01-15
  text: Bo Student joins the lab. Welcome!
"""

PAPER_ONE = """\
title: 'First Things: A Study of Beginnings'
authors:
  - Ada Example
  - Bo Student
  - Dee Colleague
date: 2024-05-20
category: cs.LG
venue: FOO 2024
abstract: >-
  We study beginnings. Every site starts with a first paper; this is that paper.
links:
  pdf: https://arxiv.org/pdf/2405.00001
selected: true
"""

PAPER_TWO = """\
title: Second Thoughts on Everything
authors:
  - Cy Graduate
  - Ada Example
date: 2023-03-02
category: cs.CV
venue: BAR Journal 12(3)
abstract: >-
  On reflection, some things are better the second time. We measure how much better.
has_code: true
links:
  code: https://example.org/second-thoughts
"""

GITIGNORE = "_site/\n.venv/\n"


def site_files(title: str = "Example Lab") -> dict[str, str]:
    """Return the files of a new site, ``{relative path: text}``."""
    return {
        "site.yaml": SITE_YAML.format(title=title),
        "content/pages/index.md": HOME_PAGE,
        "content/pages/research.md": RESEARCH_PAGE,
        "content/pages/contact.md": CONTACT_PAGE,
        "content/people.yaml": PEOPLE_YAML,
        "content/news.yaml": NEWS_YAML,
        "content/publications/2024-example-first-things.yaml": PAPER_ONE,
        "content/publications/2023-graduate-second-thoughts.yaml": PAPER_TWO,
        "requirements.txt": REQUIREMENTS,
        ".gitignore": GITIGNORE,
        PAGES_WORKFLOW_PATH: pages_workflow("python -m pip install -r requirements.txt", "requirements.txt"),
    }
