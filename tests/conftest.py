"""Shared fixtures: the real public data beside the repo (``../shared/data`` or $HARBORWATCH_SHARED)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data() -> Path | None:
    root = Path(os.environ.get("HARBORWATCH_SHARED", REPO.parent / "shared"))
    data = root / "data"
    return data if data.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    data = shared_data()
    if data is None:
        pytest.skip("real data not found: set HARBORWATCH_SHARED to the folder holding data/ (default ../shared)")
    return data


@pytest.fixture(scope="session")
def ais_dir(shared: Path) -> Path:
    d = shared / "ais"
    if not d.is_dir():
        pytest.skip(f"{d} missing")
    return d
