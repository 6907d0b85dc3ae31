"""Shared fixtures: where the repository and the shared material are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LISTINGS = SHARED / "listings"
OWN_LISTINGS = REPO / "tests" / "data" / "listings"


@pytest.fixture
def repo() -> Path:
    """Return the repository root."""
    return REPO


@pytest.fixture
def shared() -> Path:
    """Return the shared material folder (``../shared``), failing loudly when it is missing."""
    assert SHARED.is_dir(), f"the shared folder is expected beside the repository at {SHARED}"
    return SHARED


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    """Drive Debian's Chromium (Playwright's own browser download cannot work here)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)"
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
