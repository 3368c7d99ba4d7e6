"""HTTP caching: strong ETags on every successful JSON response, 304 on ``If-None-Match``,
412 on a stale ``If-Match``, 428 when an update or delete sends none.

The ETag is a digest of the representation's bytes, so it changes exactly when the body does
(a renamed pollster changes every poll that shows its name). Conditional GETs use Werkzeug's
``make_conditional``, which keeps ETag and Cache-Control on the 304 (flask-smorest's own 304 drops
the ETag, see the architecture notes). Writes check ``If-Match`` against the ETag the same GET
would return now, computed by :func:`representation_etag`.

Updates and deletes *require* ``If-Match`` (428 without it): a client that does not say which
version it edits can silently overwrite someone else's change. ``If-Match: *`` is refused as well
(it only asserts that the resource exists, which protects nothing). The comparison alone is not
atomic (another request can write between it and our UPDATE): the row's ``version`` column
(mapper ``version_id_col``, see :func:`pollapp.models.version_column`) closes that window, and its
StaleDataError is answered 412 here like a stale ETag.
"""

from __future__ import annotations

import hashlib
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from pollapp.api.header_docs import document_header
from pollapp.exceptions import DomainError
from pollapp.services.response_cache import GZIP_ETAG_SUFFIX

SAFE_METHODS = ("GET", "HEAD")


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


STALE = (
    "The resource changed since you read it (If-Match does not match its current ETag); "
    "GET it again, reapply your change and retry."
)


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:40]


def representation_etag(schema: ma.Schema, obj: Any) -> str:
    """The ETag a GET of ``obj`` serialised by ``schema`` carries (same bytes as flask-smorest's)."""
    return etag_of(current_app.json.response(schema.dump(obj)).get_data())


def check_if_match(schema: ma.Schema, obj: Any, *, required: bool = True, read_from: str | None = None) -> None:
    """Refuse a write whose ``If-Match`` names a representation that is no longer current (412), or
    that sends no ``If-Match`` (or ``*``) although ``required`` (428).

    ``obj`` may be a function returning the representation's object, so that a write without
    ``If-Match`` does not build it (a series' whole members list, say). ``read_from`` is the path
    whose ETag counts (default: the request's own path)."""
    if not request.if_match or request.if_match.star_tag:
        if not required:
            return
        where = read_from or request.path
        star = " 'If-Match: *' is not accepted: it would overwrite any version." if request.if_match.star_tag else ""
        raise PreconditionRequired(
            f"This write needs the ETag of the version you edit: GET {where} and send its ETag "
            f"in an If-Match header (a change made by someone else meanwhile is then refused with 412).{star}"
        )
    current = representation_etag(schema, obj() if callable(obj) else obj)
    # the ETag a client read may be the gzip variant's (every HTTP library asks for gzip): same version
    if not (request.if_match.contains(current) or request.if_match.contains(current + GZIP_ETAG_SUFFIX)):
        raise PreconditionFailed(STALE)


def requires_if_match(blp: Blueprint, etag_of_path: str = "this resource") -> Any:
    """Documents a write that needs ``If-Match``: the header parameter, 412 and 428."""

    def decorator(view: Any) -> Any:
        parameter = {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "description": f"The ETag of {etag_of_path} as you last read it (a GET's ETag header); `*` is refused.",
            "schema": {"type": "string"},
        }
        view = document_header(blp, view, parameter)
        view = blp.alt_response(412, response="PRECONDITION_FAILED")(view)
        return blp.alt_response(428, response="PRECONDITION_REQUIRED")(view)

    return decorator


def _lost_race(error: StaleDataError) -> Response:
    """Another request wrote the row between our ETag check and our UPDATE/DELETE (its version
    moved on): nothing of ours was written."""
    from pollapp.api.problems import problem_response
    from pollapp.extensions import db

    db.session.rollback()
    return problem_response(412, STALE, title=PreconditionFailed.title)


def _has_representation(response: Response) -> bool:
    is_json = response.mimetype == "application/json"
    return is_json and 200 <= response.status_code < 300 and response.status_code != 204 and not response.direct_passthrough


def representation_validators(response: Response) -> Response:
    """The ETag (digest of the body) and public Cache-Control of a successful JSON read of the API.
    Also run by the response cache before it stores a response (so a hit needs no hashing)."""
    if request.path.startswith("/api/") and request.method in SAFE_METHODS and _has_representation(response):
        if "ETag" not in response.headers:  # computed GETs set a data-version ETag before doing the work
            response.set_etag(etag_of(response.get_data()))
        response.headers.setdefault("Cache-Control", f"public, max-age={current_app.config['PUBLIC_MAX_AGE']}")
    return response


def _add_validators(response: Response) -> Response:
    if not request.path.startswith("/api/") or getattr(response, "pollapp_cached", False):
        return response  # a response-cache hit is complete (pollapp.web.response_cache)
    if request.method not in SAFE_METHODS:
        response.headers.setdefault("Cache-Control", "no-store")
        if _has_representation(response) and "ETag" not in response.headers:
            response.set_etag(etag_of(response.get_data()))
    elif _has_representation(response):
        representation_validators(response)
        response.make_conditional(request)
    return response


def register(app: Flask) -> None:
    app.after_request(_add_validators)
    app.extensions.setdefault("pollapp.representation_finalizers", []).append(representation_validators)
    app.register_error_handler(StaleDataError, _lost_race)
