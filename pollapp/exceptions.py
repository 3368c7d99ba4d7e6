"""Domain errors raised by services and mapped to RFC 9457 problems at the HTTP edge.

They carry no Flask import so that services, the CLI and researchers' scripts can use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One problem with one input: ``pointer`` is a JSON Pointer into the request body,
    ``parameter`` the name of a query parameter or header. A problem in an uploaded file also
    carries its ``row`` (the file line the record starts on; 1 is the header) and ``column``."""

    pointer: str | None
    message: str
    parameter: str | None = None
    row: int | None = None
    column: str | None = None

    def as_problem(self) -> dict[str, str | int]:
        where: dict[str, str | int] = {"parameter": self.parameter} if self.parameter else {"pointer": self.pointer or ""}
        if self.row is not None:
            where["row"] = self.row
        if self.column is not None:
            where["column"] = self.column
        return {**where, "detail": self.message}


class DomainError(Exception):
    """Base class: a request that cannot be honoured for a reason a client can act on."""

    status = 400
    title = "Bad request"
    headers: dict[str, str] = {}

    def __init__(self, detail: str, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = list(errors or [])


class InvalidParameter(DomainError):
    """A query parameter or header that is well-formed but unusable (e.g. a tampered cursor)."""

    status = 400
    title = "Invalid parameter"

    def __init__(self, parameter: str, message: str):
        super().__init__(message, [FieldError(None, message, parameter)])


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Gone(DomainError):
    """The resource existed and was deleted; what remains of it (e.g. its history) is elsewhere."""

    status = 410
    title = "Gone"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class StatisticsUnavailable(DomainError):
    """A statistic of a series cannot be computed from its data (a model that does not fit: a singular
    matrix, an optimiser that does not converge). The data itself is fine and still served; only this
    result is refused, with the reason, so a client can fall back to the raw points."""

    status = 422
    title = "Statistics unavailable"


class InsufficientData(StatisticsUnavailable):
    """Too few polls for the statistic (its most common reason to be unavailable)."""

    title = "Not enough data"


@dataclass
class ValidationReport:
    """Collects field errors so that every problem of a document is reported at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, pointer: str, message: str) -> None:
        self.errors.append(FieldError(pointer, message))

    def raise_if_any(self, detail: str = "The document has invalid fields.") -> None:
        if self.errors:
            raise InvalidInput(detail, self.errors)
