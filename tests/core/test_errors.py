"""One root exception; a missing extra names its pip command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harborwatch.core.errors import HarborwatchError, MissingExtraError, NotFoundError, require

SRC = Path(__file__).resolve().parents[2] / "src" / "harborwatch"
BUILTIN = {"ValueError", "TypeError", "KeyError", "RuntimeError", "Exception", "ImportError", "OSError",
           "IndexError", "LookupError", "AssertionError"}


def test_a_missing_extra_is_our_error_with_the_pip_command():
    with pytest.raises(MissingExtraError) as e:
        require("harborwatch_no_such_module", "sat", "reading GeoTIFFs")
    assert isinstance(e.value, HarborwatchError) and isinstance(e.value, ImportError)
    assert e.value.hint == 'pip install "harborwatch[sat]"'
    assert "reading GeoTIFFs needs harborwatch_no_such_module" in str(e.value)


def test_not_found_is_a_key_error_with_a_plain_message():
    e = NotFoundError("no track of MMSI 1")
    assert isinstance(e, KeyError) and str(e) == "no track of MMSI 1"


def test_the_package_raises_only_its_own_errors():
    """No ``raise ValueError(...)`` and the like: every deliberate error derives from HarborwatchError."""
    found = []
    for p in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    isinstance(node.exc.func, ast.Name) and node.exc.func.id in BUILTIN:
                found.append(f"{p.relative_to(SRC)}:{node.lineno} {node.exc.func.id}")
    assert found == []


def test_the_cli_prints_a_missing_extra_in_one_line_with_its_hint(monkeypatch, capsys):
    from harborwatch.cli import main as cli

    def command() -> None:
        require("harborwatch_no_such_module", "spark", "the Spark engine")

    monkeypatch.setattr(cli, "app", command)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    text = capsys.readouterr().err
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1
    assert 'pip install "harborwatch[spark]"' in text
