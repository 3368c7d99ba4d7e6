"""The REST API under ``/api/v1``: flask-smorest blueprints, one module per resource.

``register_api`` binds the flask-smorest ``api`` and wires blueprints, RFC 9457 error handling,
conditional GETs and the OpenAPI security scheme.
"""

from __future__ import annotations

from flask import Flask

from pollapp.api.problems import ProblemApi

API_PREFIX = "/api/v1"
api = ProblemApi()


def register_api(app: Flask) -> None:
    from pollapp.api import caching, pollsters, polls, series, sponsors
    from pollapp.api.problems import register_error_handlers

    api.init_app(app)
    for module in (pollsters, sponsors, polls, series):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.PATH)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "API key from `flask keys create NAME`."},
    )
    register_error_handlers(app)
    caching.register(app)
