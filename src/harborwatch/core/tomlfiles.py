"""Reading TOML files (rules, calendars, claims) with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from harborwatch.core.errors import DataError, InputFileError


def parse_toml(text: str, origin: str) -> dict:
    """The document of TOML ``text``; a syntax error is a :class:`DataError` naming ``origin``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataError(f"not valid TOML: {e}", source=origin) from e


def read_toml(path: str | Path, what: str) -> dict:
    """The document of a TOML file; a missing file is an :class:`InputFileError` ("no such
    ``what`` file")."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: no such {what} file")
    return parse_toml(p.read_text(encoding="utf-8"), str(p))


__all__ = ["parse_toml", "read_toml"]
