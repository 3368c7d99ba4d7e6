"""Security headers on every response: API, pages, images, errors and 304s alike.

* ``X-Content-Type-Options: nosniff``: a CSV or JSON body is never run as a script or styled page.
* ``Referrer-Policy: strict-origin-when-cross-origin``: a page embedding a chart learns nothing of
  pollapp's paths beyond its origin, and no https URL leaks to http.
* ``Strict-Transport-Security`` only on requests that arrived over HTTPS (``request.is_secure``, after
  :mod:`pollapp.web.proxy`): sent over plain HTTP it would be ignored, and on a local
  ``make run`` it would only get in the way.
* A Content-Security-Policy on every HTML page. The newsroom pages set their own
  (:mod:`pollapp.embed.framing`); the ReDoc page at ``/api/v1/docs`` gets :data:`DOCS_POLICY` (its
  bundle runs a search worker from a ``blob:`` URL and styles through inline ``<style>`` elements);
  any other HTML gets :data:`FALLBACK_POLICY`, which allows nothing to run.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
FALLBACK_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def _docs_path() -> str:
    config = current_app.config
    return (config.get("OPENAPI_URL_PREFIX") or "").rstrip("/") + (config.get("OPENAPI_REDOC_PATH") or "")


def _security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = DOCS_POLICY if request.path == _docs_path() else FALLBACK_POLICY
    return response


def register(app: Flask) -> None:
    app.after_request(_security_headers)
