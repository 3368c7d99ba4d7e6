"""Bearer API keys on writes: ``Authorization: Bearer pa_...``. Reads are public.

Scopes (a wider one includes the narrower, :data:`pollapp.services.keys.IMPLIED`): ``write`` creates
and edits (polls, series and their members, organisations, imports); ``admin`` deletes polls,
series and organisations (and manages keys, which only the CLI does). Each write operation names its
scope in the OpenAPI description: in its security requirement and as ``x-required-scope``, which the
auth matrix test reads so that a new endpoint cannot slip through unprotected.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from pollapp.api.blueprint import Blueprint

from pollapp.exceptions import DomainError
from pollapp.extensions import db
from pollapp.services import history, keys


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="pollapp"'}


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def requires_key(blp: Blueprint, scope: str = "write") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the view needs a key with ``scope``; documented as bearer security with 401/403."""
    if scope not in keys.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _bearer_token()
            if token is None:
                raise Unauthorized("This request needs an API key: send 'Authorization: Bearer <key>'.")
            key = keys.authenticate(db.session, token)
            if key is None:
                raise Unauthorized("The API key is unknown or revoked.")
            if not keys.grants(key, scope):
                raise Forbidden(f"This API key lacks the '{scope}' scope.")
            g.api_key = key
            history.set_actor(db.session, key.name, api_key_id=key.id)  # the author of any poll revision
            return view(*args, **kwargs)

        documented = blp.doc(security=[{"bearerAuth": [scope]}], **{"x-required-scope": scope})(wrapper)
        documented = blp.alt_response(401, response="UNAUTHORIZED")(documented)
        documented = blp.alt_response(403, response="FORBIDDEN")(documented)
        return documented

    return decorator
