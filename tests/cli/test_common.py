"""The command line's shared parts: the note on compiling numba kernels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from numba import njit
from rich.console import Console
from typer.testing import CliRunner

from harborwatch.cli import common
from harborwatch.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "simulated_rason_sample.nmea"


def test_a_compile_after_any_command_is_announced_once_on_stderr(monkeypatch):
    """numba reports a compile only when its cache has no copy (a fresh install's first runs): the
    command line then says so once, so a long wait before the progress moves is explained."""
    buf = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=buf, width=200, force_terminal=True))
    assert CliRunner().invoke(app, ["sites", "list"]).exit_code == 0
    monkeypatch.setattr(common._compile_note["listener"], "said", False)
    assert buf.getvalue() == ""  # nothing compiled: nothing said

    @njit(cache=False)
    def first(x):
        return x + 1

    @njit(cache=False)
    def second(x):
        return x * 2

    assert first(np.int64(1)) == 2 and second(np.int64(2)) == 4 and first(np.float64(1.5)) == 2.5
    assert buf.getvalue().count("compiling numba kernels") == 1
    assert CliRunner().invoke(app, ["sites", "list"]).exit_code == 0  # the listener is registered once a process
    assert buf.getvalue().count("compiling numba kernels") == 1


def test_no_note_when_stderr_is_not_a_terminal(monkeypatch):
    """Captured or piped output (a pipeline reading ``--json``) is left as the command wrote it."""
    buf = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=buf, width=200))
    assert CliRunner().invoke(app, ["sites", "list"]).exit_code == 0
    monkeypatch.setattr(common._compile_note["listener"], "said", False)

    @njit(cache=False)
    def third(x):
        return x - 1

    assert third(np.int64(1)) == 0 and buf.getvalue() == ""


def test_long_paths_are_printed_whole_on_one_line(tmp_path):
    """Output that goes to a pipe or a log (not a terminal: 80 columns to rich) keeps a path longer
    than the console on its line: a newline inside it broke scripts and copied paths."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "lake"
    store = str(tmp_path / "s")
    r = CliRunner()
    assert r.invoke(app, ["ingest", str(SAMPLE), "--store", store, "--json"]).exit_code == 0
    res = r.invoke(app, ["store", "export", str(deep), "--store", store, "--lake", "--buckets", "2"])
    assert res.exit_code == 0, res.output
    assert len(str(deep)) > 100
    assert f"wrote {deep}/positions: 360 rows" in res.output.splitlines()
