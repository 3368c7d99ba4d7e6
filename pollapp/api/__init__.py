"""The REST API under ``/api/v1``: flask-smorest blueprints, one module per resource.

``register_api`` wires blueprints, RFC 9457 error handling, conditional GETs and the OpenAPI
security scheme. Blueprint modules are imported here, lazily, so that :mod:`pollapp.extensions`
can import :mod:`pollapp.api.problems` without a cycle.
"""

from __future__ import annotations

from flask import Flask

API_PREFIX = "/api/v1"


def register_api(app: Flask) -> None:
    from pollapp.api import caching, pollsters, polls, series, sponsors
    from pollapp.api.problems import register_error_handlers
    from pollapp.extensions import api

    for module in (pollsters, sponsors, polls, series):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.PATH)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "API key from `flask keys create NAME`."},
    )
    register_error_handlers(app)
    caching.register(app)
