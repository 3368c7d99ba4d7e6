"""CORS (Flask-Cors): public reads are open to every origin, writes to none.

A newsroom's page may fetch poll data, oEmbed answers and chart images from its own scripts
(``Access-Control-Allow-Origin: *``, no credentials: pollapp has no cookies). Flask-Cors selects by
URL, not by method, so a write (or the preflight a browser sends before one) has the CORS headers
removed again: a browser then refuses to send a cross-origin write with a key, and a script on
another site can never read a write's answer.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

READ_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC_READS = {r"/api/*": {}, r"/oembed": {}, r"/charts/*": {}}
EXPOSED = [
    "ETag",
    "Link",
    "Pollapp-Data-Version",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Content-Disposition",
]


def _is_write() -> bool:
    if request.method == "OPTIONS":
        asked = request.headers.get("Access-Control-Request-Method", "").upper()
        return bool(asked) and asked not in READ_METHODS
    return request.method not in READ_METHODS


cors = CORS()  # bound to the app by :func:`register`


def _no_cors_for_writes(response: Response) -> Response:
    if _is_write():
        for name in [n for n in response.headers.keys() if n.lower().startswith("access-control-")]:
            del response.headers[name]
    return response


def register(app: Flask) -> None:
    app.after_request(_no_cors_for_writes)  # registered first: runs after Flask-Cors' own hook
    cors.init_app(
        app, resources=PUBLIC_READS, origins="*", methods=list(READ_METHODS), expose_headers=EXPOSED,
        send_wildcard=True, supports_credentials=False, max_age=86400,
    )
