"""Locate the real samples beside the repo (../shared/data or $HARBORWATCH_SHARED/data)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ais_dir() -> Path:
    d = Path(os.environ.get("HARBORWATCH_SHARED", REPO.parent / "shared")) / "data" / "ais"
    if not d.is_dir():
        sys.exit(f"real AIS samples not found at {d}: set HARBORWATCH_SHARED")
    return d


def work_dir() -> Path:
    d = REPO / "benchmarks" / "_data"
    d.mkdir(parents=True, exist_ok=True)
    return d
