"""Parameter classes: small frozen dataclasses, units in their field names, checked when made.

Every rule and algorithm (``tracks.algorithms``, ``events.rules``) derives from :class:`Params`:
its ``__post_init__`` calls :meth:`Params.validate`, so an object with a meaningless value (a
negative distance, a stop speed above the move speed) cannot exist. Errors name the TOML key
(``section.field``) so a rules file can be fixed from the message.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from harborwatch.core.errors import DataError


class Params:
    """Base of parameter classes (use with ``@dataclass(frozen=True)``)."""

    #: The TOML section of the class (``[port_visits]``), used in error messages.
    section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~harborwatch.core.errors.DataError` on a meaningless value."""

    def _fail(self, name: str, what: str) -> None:
        key = f"{self.section}.{name}" if self.section else name
        raise DataError(f"{key} = {getattr(self, name)!r} must be {what}", field=key)

    def positive(self, *names: str) -> None:
        """Each named field is a finite number > 0."""
        for n in names:
            v: Any = getattr(self, n)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                self._fail(n, "a finite number > 0")

    def non_negative(self, *names: str) -> None:
        """Each named field is a finite number >= 0."""
        for n in names:
            v: Any = getattr(self, n)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                self._fail(n, "a finite number >= 0")

    def fraction(self, *names: str) -> None:
        """Each named field lies strictly between 0 and 1 (a probability, a quantile)."""
        for n in names:
            if not 0 < getattr(self, n) < 1:
                self._fail(n, "between 0 and 1")

    def coverage(self, *names: str) -> None:
        """Each named field is the coverage of an interval: in [0.5, 1)."""
        for n in names:
            if not 0.5 <= getattr(self, n) < 1:
                self._fail(n, "in [0.5, 1)")

    def one_of(self, name: str, choices: tuple[str, ...]) -> None:
        """The named field is one of ``choices``."""
        if getattr(self, name) not in choices:
            self._fail(name, "one of " + ", ".join(repr(c) for c in choices))

    def at_least(self, name: str, low: float, what: str | None = None) -> None:
        """The named field is at least ``low``."""
        if not getattr(self, name) >= low:
            self._fail(name, what or f"at least {low:g}")


__all__ = ["Params"]
