"""The command line's shared parts: the note on compiling numba kernels."""

from __future__ import annotations

import io

import numpy as np
from numba import njit
from rich.console import Console
from typer.testing import CliRunner

from harborwatch.cli import common
from harborwatch.cli.main import app


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
