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
