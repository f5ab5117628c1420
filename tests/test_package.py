"""The package: its docstring's quick start runs as written, and its distribution states its licence."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import harborwatch

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "simulated_rason_sample.nmea"


def test_quick_start_runs(tmp_path, monkeypatch):
    code = harborwatch.__doc__.split("Quick start::")[1]
    code = "\n".join(line[4:] for line in code.splitlines() if line.strip())
    monkeypatch.chdir(tmp_path)
    with EXAMPLE.open("rb") as f, gzip.open(tmp_path / "positions.nmea.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    scope: dict = {}
    exec(code, scope)
    assert scope["reports"][0]["records_in"] > 0 and scope["events"].num_rows > 0 and len(scope["df"]) > 0


def test_the_distribution_states_its_licence_and_ships_its_text():
    """PEP 639: an SPDX expression and the licence file (setuptools deprecated the old table form)."""
    from importlib.metadata import distribution

    dist = distribution("harborwatch")
    assert dist.metadata["License-Expression"] == "Apache-2.0"
    assert dist.metadata.get_all("License-File") == ["LICENSE"]
    text = (Path(__file__).resolve().parents[1] / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
