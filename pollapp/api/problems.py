"""RFC 9457 problem details for every error the API returns.

One place maps every failure to ``application/problem+json``:

* domain errors raised by services (:mod:`pollapp.exceptions`), by a table of status codes;
* HTTP exceptions (404 for an unknown URL, 405, 413, webargs' 422 and our 400s);
* anything unexpected, which becomes a 500 with no stack trace or SQL in the body (it is logged).

webargs reports validation errors nested by location (``{"json": {"field": ["msg"]}}``); they are
flattened (:func:`pollapp.schemas.errors.webargs_errors`) into ``errors``: a list of
``{"pointer": "/questions/0/answers/1/pct", "detail": ...}`` for bodies (RFC 6901 JSON Pointers) and
``{"parameter": "pollster", "detail": ...}`` for query strings.
"""

from __future__ import annotations

import http
import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, json, request
from sqlalchemy.exc import IntegrityError, OperationalError
from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError

from pollapp.exceptions import DomainError
from pollapp.schemas.errors import webargs_errors

PROBLEM_MIMETYPE = "application/problem+json"
# RFC 9457: "about:blank" when the problem is just the HTTP status (title = its phrase); pollapp's own
# problem kinds (e.g. "Not enough data") get a URN, which names the kind without pretending to be a page.
PROBLEM_TYPE_URN = "urn:pollapp:problem:"

log = logging.getLogger(__name__)
RETRY_AFTER_HEADER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}


class ProblemErrorSchema(ma.Schema):
    """One field-level problem: a JSON Pointer into the body, or a query/header parameter; a problem in
    an uploaded file also names its row and column (:class:`pollapp.exceptions.FieldError`)."""

    pointer = ma.fields.String(metadata={
        "description": "JSON Pointer (RFC 6901) into the request body; for an uploaded file, the file's name"})
    parameter = ma.fields.String(metadata={"description": "Name of the offending query parameter or header"})
    row = ma.fields.Integer(metadata={"description": "Line of the uploaded file the record starts on (1 is the header)"})
    column = ma.fields.String(metadata={"description": "Column of the uploaded file"})
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(metadata={"description": "URI identifying the problem type"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemErrorSchema))


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response (the only error body shape pollapp emits)."""
    phrase = http.HTTPStatus(status).phrase
    title = title or phrase
    kind = "about:blank" if title.lower() == phrase.lower() else PROBLEM_TYPE_URN + _slug(title)
    body: dict[str, Any] = {
        "type": kind,
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def schema_name(schema: Any) -> str:
    """OpenAPI component name: the class name without 'Schema', plus 'Patch' for partial (PATCH)
    variants, so a schema and its partial twin get distinct, stable names."""
    from apispec.ext.marshmallow.common import resolve_schema_cls

    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, ma.Schema) and schema.partial:
        name += "Patch"
    return name


class RateLimitedPlugin(BasePlugin):
    """Documents the 429 (problem+json, with ``Retry-After``) on every operation under ``/api/``:
    all of them are rate limited (:mod:`pollapp.web.ratelimits`), and a client generated from the
    spec should expect it."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        if not (path or "").startswith("/api/"):
            return
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            if 429 not in responses and "429" not in responses:
                responses["429"] = "TOO_MANY_REQUESTS"


class SharedProblemsPlugin(BasePlugin):
    """Documents the two problems any operation under ``/api/`` can answer whatever its view does: 400
    for a JSON body that does not parse (or nests too deeply, :mod:`pollapp.api.blueprint`) on every
    operation that takes one, and 503 (with ``Retry-After``) while the database is unavailable
    (:func:`database_unavailable_to_problem`). Both come from the shared error handlers, so listing
    them view by view would be easy to forget on the next endpoint."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        if not (path or "").startswith("/api/"):
            return
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            body = (operation.get("requestBody") or {}).get("content") or {}
            if "application/json" in body and 400 not in responses and "400" not in responses:
                responses["400"] = "BAD_REQUEST"
            if 503 not in responses and "503" not in responses:
                responses["503"] = "SERVICE_UNAVAILABLE"


class ProblemApi(Api):
    """flask-smorest Api whose errors (served and documented) are RFC 9457 problems."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask | None = None, **kwargs: Any) -> None:
        from apispec.ext.marshmallow import MarshmallowPlugin

        spec_kwargs = {
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
            "extra_plugins": [RateLimitedPlugin(), SharedProblemsPlugin()],
        }
        spec_kwargs.update(kwargs.pop("spec_kwargs", None) or {})
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        return http_exception_to_problem(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_MIMETYPE
            if status in (http.HTTPStatus.TOO_MANY_REQUESTS, http.HTTPStatus.SERVICE_UNAVAILABLE):
                response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def http_exception_to_problem(error: HTTPException) -> Response | HTTPException:
    # Codes below 400 (e.g. a 304 raised by a conditional request) pass through untouched.
    if error.code is None or error.code < 400:
        return error
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    errors = None
    detail = data.get("message") or error.description
    if "messages" in data:
        errors = webargs_errors(data["messages"])
        detail = "The request has invalid fields; see errors."
    elif "errors" in data:
        errors = data["errors"]
    if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return problem_response(error.code, detail, errors=errors, headers=headers)


def domain_error_to_problem(error: DomainError) -> Response:
    errors = [e.as_problem() for e in error.errors] or None
    return problem_response(error.status, error.detail, title=error.title, errors=errors, headers=error.headers)


def validation_error_to_problem(error: ma.ValidationError) -> Response:
    """A document rule checked after parsing (e.g. a merged PATCH) failed: 422 like webargs'."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return problem_response(
        422, "The request has invalid fields; see errors.", errors=webargs_errors({"json": messages})
    )


def integrity_error_to_problem(error: IntegrityError) -> Response:
    """A database constraint caught what validation did not (e.g. two clients creating one slug at
    once): nothing was written; the client can re-read and retry."""
    from pollapp.extensions import db

    db.session.rollback()
    log.warning("Integrity error on %s %s: %s", request.method, request.path, error.orig)
    return problem_response(409, "The change conflicts with stored data (a uniqueness or reference rule).")


def database_unavailable_to_problem(error: OperationalError) -> Response:
    from pollapp.extensions import db

    db.session.rollback()
    log.error("Database unavailable on %s %s: %s", request.method, request.path, error.orig)
    return problem_response(503, "The database is unavailable; retry shortly.", headers={"Retry-After": "5"})


def unexpected_error_to_problem(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_exception_to_problem(error)  # type: ignore[return-value]
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return problem_response(500, InternalServerError.description)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error_to_problem)
    app.register_error_handler(ma.ValidationError, validation_error_to_problem)
    app.register_error_handler(IntegrityError, integrity_error_to_problem)
    app.register_error_handler(OperationalError, database_unavailable_to_problem)
    app.register_error_handler(Exception, unexpected_error_to_problem)
