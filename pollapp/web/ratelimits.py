"""Rate limits (Flask-Limiter): anonymous reads per client address, more with an API key, writes
and imports strict per key.

Every request falls in one class, and each class has its own bucket and limit (config keys, also
``POLLAPP_<KEY>`` in the environment; any `limits` string such as ``"120/minute;2000/hour"``):

=====================  ======================  ==========================================
class                  bucket                  config key (default)
=====================  ======================  ==========================================
anonymous read         client address          ``LIMIT_ANONYMOUS_READS`` (120/minute)
read with a valid key  the key                 ``LIMIT_KEY_READS`` (600/minute)
write (POST/PUT/...)   the key, else address   ``LIMIT_WRITES`` (60/minute)
import (POST imports)  the key, else address   ``LIMIT_IMPORTS`` (10/minute)
=====================  ======================  ==========================================

Health checks, OPTIONS preflights, ``/static`` and the fingerprinted chart bundle are not limited: a
load balancer or a page with ten embeds must never be throttled for them. Counters live in memory
(per process) unless ``REDIS_URL`` is set, which several instances then share. If Redis fails,
requests are served unlimited and the failure is logged (``swallow_errors``): an outage of the
limiter's store must not become an outage of the site.

One ``Limiter`` object exists per process (:mod:`pollapp.extensions`) and Flask-Limiter keeps its
storage and switches on that object, so the last app bound in a process decides them: one app per
process, as in production, or rebuild the app (tests) to change them.
"""

from __future__ import annotations

import http

from flask import Flask, Response, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.constants import HeaderNames

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNLIMITED_ENDPOINTS = frozenset({"embed.asset", "static"})
UNLIMITED_BLUEPRINTS = frozenset({"health"})
LIMIT_KEYS = {
    "anonymous-read": "LIMIT_ANONYMOUS_READS",
    "key-read": "LIMIT_KEY_READS",
    "write": "LIMIT_WRITES",
    "import": "LIMIT_IMPORTS",
}
_DESCRIPTIONS = {
    "anonymous-read": "Anonymous reads are limited to {limit} per client address; send an API key for more.",
    "key-read": "Reads with this API key are limited to {limit}.",
    "write": "Writes are limited to {limit} per API key.",
    "import": "Imports are limited to {limit} per API key.",
}


def _identity() -> tuple[str, bool]:
    """``("key:<id>", True)`` for a valid bearer key, else ``("ip:<address>", False)``; once per request.

    A database error while looking the key up falls back to the address (and rolls back): the view
    then meets the same error and answers 503, instead of the limiter turning it into a 500."""
    if "pollapp_rate_identity" not in g:
        found = None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            from sqlalchemy.exc import SQLAlchemyError

            from pollapp.extensions import db
            from pollapp.services import keys

            try:
                found = keys.find_active(db.session, token.strip())
            except SQLAlchemyError:
                db.session.rollback()
        g.pollapp_rate_identity = (f"key:{found.id}", True) if found else (f"ip:{request.remote_addr}", False)
    return g.pollapp_rate_identity


def request_class() -> str:
    if request.method in WRITE_METHODS:
        return "import" if request.blueprint == "imports" else "write"
    return "key-read" if _identity()[1] else "anonymous-read"


def bucket() -> str:
    """The limiter's key: the class and who is asking, so each class counts on its own."""
    return f"{request_class()}:{_identity()[0]}"


def current_limit() -> str:
    if unlimited():  # answered first, so that /healthz never looks a key up in the database
        return ""
    return str(current_app.config[LIMIT_KEYS[request_class()]])


def unlimited() -> bool:
    return (
        request.method == "OPTIONS"
        or request.endpoint in UNLIMITED_ENDPOINTS
        or request.blueprint in UNLIMITED_BLUEPRINTS
    )


def _message() -> str:
    return "Too many requests. " + _DESCRIPTIONS[request_class()].format(limit=current_limit()) + (
        " Retry after the number of seconds in Retry-After."
    )


#: The one application-wide limit; its string, bucket and message depend on the request's class.
APPLICATION_LIMITS = [
    ApplicationLimit(limit_provider=current_limit, exempt_when=unlimited, error_message=_message, scope="pollapp")
]


#: Flask-Limiter's Retry-After goes under this name first (see :func:`_retry_after_on_429_only`).
LIMITER_RETRY_AFTER = "X-RateLimit-Retry-After"


def _retry_after_on_429_only(response: Response) -> Response:
    """Flask-Limiter writes its Retry-After (the end of the window) on every limited response, and on
    a 503 it would replace the database outage's own short one. It is written under
    :data:`LIMITER_RETRY_AFTER` and becomes ``Retry-After`` on a 429 only (RFC 9110 gives it meaning
    on 429 and 503), so a successful read never tells a client to back off."""
    value = response.headers.pop(LIMITER_RETRY_AFTER, None)
    if value is not None and response.status_code == http.HTTPStatus.TOO_MANY_REQUESTS:
        response.headers["Retry-After"] = value
    return response


#: The process's one limiter (see the module docstring), bound to the app by :func:`register`.
limiter = Limiter(
    key_func=bucket,
    application_limits=APPLICATION_LIMITS,
    headers_enabled=True,
    header_name_mapping={HeaderNames.RETRY_AFTER: LIMITER_RETRY_AFTER},
    swallow_errors=True,
    key_prefix="pollapp",
)


def register(app: Flask) -> None:
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.after_request(_retry_after_on_429_only)  # registered first: runs after the limiter's
    limiter.init_app(app)
