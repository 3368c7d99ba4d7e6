"""The REST API under ``/api/v1``: flask-smorest blueprints, one module per resource.

``register_api`` binds the flask-smorest ``api`` and wires blueprints, RFC 9457 error handling,
conditional GETs and the OpenAPI security scheme.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from pollapp.api.problems import ProblemApi
from pollapp.exceptions import FieldError, InvalidParameter, NotFound

API_PREFIX = "/api/v1"
api = ProblemApi()


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` within the INTEGER columns' range: a larger id matches no route (404) instead
    of failing the query (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_nul_characters() -> None:
    """No path or query parameter of the API holds a NUL character (PostgreSQL cannot compare or
    store one): answer a problem instead of failing the query."""
    if not request.path.startswith("/api/"):
        return
    if "\x00" in request.path:
        raise NotFound("No resource has a NUL character in its URL.")
    bad = sorted({key for key, value in request.args.items(multi=True) if "\x00" in key or "\x00" in value})
    if bad:
        message = "Must not contain NUL (\\u0000) characters."
        problem = InvalidParameter(bad[0], message)
        problem.errors = [FieldError(None, message, key.replace("\x00", "")) for key in bad]
        raise problem


def register_api(app: Flask) -> None:
    from pollapp.api import (
        caching,
        charts,
        exports,
        imports,
        poll_downloads,
        pollsters,
        polls,
        series,
        sponsors,
        statistics,
    )
    from pollapp.api.problems import register_error_handlers

    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(refuse_nul_characters)
    api.init_app(app)
    for module in (pollsters, sponsors, polls, poll_downloads, series, exports, statistics, charts, imports):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.PATH)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "API key from `flask keys create NAME`."},
    )
    register_error_handlers(app)
    caching.register(app)
    _register_health(app)


def _register_health(app: Flask) -> None:
    from pollapp.api import health

    api.register_blueprint(health.blp)  # /healthz, /readyz: at the root, documented in the spec
