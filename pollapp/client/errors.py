"""Typed exceptions for the API's RFC 9457 problem details.

Every error pollapp answers is ``application/problem+json`` (``type``, ``title``, ``status``,
``detail``, ``errors``): the client raises one exception class per kind of failure, so a script can
``except NotFound`` or ``except InvalidInput as e: print(e.errors)`` instead of parsing bodies.
The classes mirror the statuses the API documents; anything else falls back on
:class:`ClientError` (4xx) or :class:`ServerError` (5xx).
"""

from __future__ import annotations

from typing import Any


class PollappError(Exception):
    """Base class: an error answer of the pollapp API, with its problem details.

    Attributes: ``status`` (HTTP status), ``title``, ``detail``, ``type`` (problem type URI),
    ``instance``, ``errors`` (list of ``{"pointer" | "parameter", "detail", "row"?, "column"?}``),
    ``problem`` (the whole problem document) and ``headers`` (the response's headers).
    """

    def __init__(self, status: int, problem: dict[str, Any] | None = None, headers: Any = None,
                 url: str | None = None) -> None:
        problem = dict(problem or {})
        self.status = status
        self.problem = problem
        self.title: str = problem.get("title") or ""
        self.detail: str | None = problem.get("detail")
        self.type: str = problem.get("type") or "about:blank"
        self.instance: str | None = problem.get("instance")
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        self.headers = dict(headers or {})
        self.url = url
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.status} {self.title}".strip()
        if self.detail:
            text += f": {self.detail}"
        for error in self.errors[:5]:
            where = error.get("pointer") or error.get("parameter") or ""
            if error.get("row") is not None:
                where += f" row {error['row']}"
            if error.get("column"):
                where += f" column {error['column']}"
            text += f"\n  - {where.strip()}: {error.get('detail', '')}"
        if len(self.errors) > 5:
            text += f"\n  ... and {len(self.errors) - 5} more"
        return text


class ClientError(PollappError):
    """A 4xx answer: the request has to change before it can succeed."""


class InvalidInput(ClientError):
    """400 or 422: a parameter, body field or uploaded file is invalid; ``errors`` says which."""


class Unauthorized(ClientError):
    """401: no API key, or an unknown or revoked one (writes need a key)."""


class Forbidden(ClientError):
    """403: the API key lacks the scope (e.g. deletes need ``admin``)."""


class NotFound(ClientError):
    """404: no such poll, series or URL."""


class Gone(NotFound):
    """410: the poll was deleted (its history remains)."""


class Conflict(ClientError):
    """409: the write conflicts with existing data (e.g. a duplicate slug) or a concurrent retry."""


class PreconditionFailed(ClientError):
    """412: ``If-Match`` names a version that is no longer current: read again, reapply, retry."""


class PreconditionRequired(ClientError):
    """428: the write needs ``If-Match`` (the ETag of the version being edited)."""


class PayloadTooLarge(ClientError):
    """413: the body or uploaded file is over the server's limit."""


class RateLimited(ClientError):
    """429 after the client's retries: ``retry_after`` is the server's last Retry-After, in seconds."""

    @property
    def retry_after(self) -> float | None:
        from pollapp.client.transport import retry_after_seconds

        return retry_after_seconds(self.headers.get("Retry-After"))


class ServerError(PollappError):
    """A 5xx answer (a 500 is a server bug worth reporting)."""


class ServiceUnavailable(ServerError):
    """503 after the client's retries (e.g. the database is down)."""


_BY_STATUS: dict[int, type[PollappError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    422: InvalidInput,
    428: PreconditionRequired,
    429: RateLimited,
    503: ServiceUnavailable,
}


def error_for(status: int, problem: dict[str, Any] | None, headers: Any = None, url: str | None = None) -> PollappError:
    """The exception for an error answer: by status, else the 4xx/5xx base class."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ClientError if status >= 400 else PollappError)
    return cls(status, problem, headers, url)
