"""The exception hierarchy.

Every error harborwatch raises on purpose derives from :class:`HarborwatchError`.
Errors about bad data also derive from :class:`ValueError`; errors about files and
stores also derive from :class:`OSError`, so callers that already catch the builtin
families keep working.

Errors carry a *where* (file, line or row, field) so that the CLI can print a single
line saying what went wrong, where, and what to do.
"""

from __future__ import annotations


class HarborwatchError(Exception):
    """Root of all harborwatch errors."""

    #: What the user can do about it (shown by the CLI after the message).
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class DataError(HarborwatchError, ValueError):
    """A record or value is invalid.

    ``source`` is the file, ``ref`` the 1-based physical line (a CSV header is line 1),
    ``reason`` a stable reason code (the same codes the quarantine table uses) and
    ``field`` the offending field when one is known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        ref: int | None = None,
        reason: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.ref = ref
        self.reason = reason
        self.field = field
        where = ""
        if source is not None:
            where = f"{source}:{ref}: " if ref is not None else f"{source}: "
        detail = f" [{reason}]" if reason else ""
        super().__init__(f"{where}{message}{detail}", hint=hint)


class FormatError(DataError):
    """A file's format is unknown, ambiguous, or a mapping file is invalid."""


class StoreError(HarborwatchError, OSError):
    """The store cannot be opened, is locked by another process, or is inconsistent."""


class InputFileError(HarborwatchError, OSError):
    """An input file cannot be found, opened or decompressed."""


class NotFoundError(HarborwatchError, KeyError):
    """A thing asked for by its key (a vessel's MMSI, an event id) is not there."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class MissingExtraError(HarborwatchError, ImportError):
    """An optional dependency is not installed. The hint is the ``pip install`` command of the
    extra that brings it; the CLI prints message and hint on one line each, no traceback."""

    def __init__(self, feature: str, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(f"{feature} needs {module}, which is not installed",
                         hint=f'pip install "harborwatch[{extra}]"')


def require(module: str, extra: str, feature: str):
    """Import and return ``module``, or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(feature, module.split(".")[0], extra) from e
