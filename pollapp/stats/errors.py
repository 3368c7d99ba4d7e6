"""Errors raised by :mod:`pollapp.stats`.

Every error is a ``ValueError`` subclass so that notebook users get the familiar
exception type, while the web layer can map the whole family to HTTP 422 with a
single ``except StatsInputError``. They carry structured fields (not only a
message) so that a problem+json response can point at the offending parameter.
"""

from __future__ import annotations


class StatsInputError(ValueError):
    """Invalid input to a statistics function (bad value, missing column, unknown option).

    ``parameter`` names the argument (or DataFrame column) at fault, when known.
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class InsufficientDataError(StatsInputError):
    """Too few observations to compute the requested statistic honestly.

    Raised instead of drawing a trend line through noise. ``count`` is how many
    usable observations were left after filtering, ``minimum`` how many are needed.
    """

    def __init__(self, message: str, *, count: int, minimum: int, parameter: str | None = None) -> None:
        super().__init__(message, parameter=parameter)
        self.count = int(count)
        self.minimum = int(minimum)
