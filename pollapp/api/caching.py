"""HTTP caching: strong ETags on every successful JSON response, 304 on ``If-None-Match``,
412 on a stale ``If-Match``.

The ETag is a digest of the representation's bytes, so it changes exactly when the body does
(a renamed pollster changes every poll that shows its name). Conditional GETs use Werkzeug's
``make_conditional``, which keeps ETag and Cache-Control on the 304 (flask-smorest's own 304 drops
the ETag, see the architecture notes). Writes check ``If-Match`` against the ETag the same GET
would return now, computed by :func:`representation_etag`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, request

from pollapp.exceptions import DomainError

SAFE_METHODS = ("GET", "HEAD")


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:40]


def representation_etag(schema: ma.Schema, obj: Any) -> str:
    """The ETag a GET of ``obj`` serialised by ``schema`` carries (same bytes as flask-smorest's)."""
    return etag_of(current_app.json.response(schema.dump(obj)).get_data())


def check_if_match(schema: ma.Schema, obj: Any) -> None:
    """Refuse a write whose ``If-Match`` names a representation that is no longer current.

    ``obj`` may be a function returning the representation's object, so that a write without
    ``If-Match`` does not build it (a series' whole members list, say)."""
    if not request.if_match:
        return
    if request.if_match.star_tag:
        return
    current = representation_etag(schema, obj() if callable(obj) else obj)
    if not request.if_match.contains(current):
        raise PreconditionFailed(
            "The resource changed since you read it (If-Match does not match its current ETag); "
            "GET it again, reapply your change and retry."
        )


def _add_validators(response: Response) -> Response:
    if not request.path.startswith("/api/"):
        return response
    if request.method not in SAFE_METHODS:
        response.headers.setdefault("Cache-Control", "no-store")
    is_json = response.mimetype == "application/json"
    if is_json and 200 <= response.status_code < 300 and response.status_code != 204 and not response.direct_passthrough:
        if "ETag" not in response.headers:  # computed GETs set a data-version ETag before doing the work
            response.set_etag(etag_of(response.get_data()))
        if request.method in SAFE_METHODS:
            response.headers.setdefault(
                "Cache-Control", f"public, max-age={current_app.config['PUBLIC_MAX_AGE']}"
            )
            response.make_conditional(request)
    return response


def register(app: Flask) -> None:
    app.after_request(_add_validators)
