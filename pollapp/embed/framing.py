"""Who may frame which page: embeds and chart images anywhere, everything else nowhere.

Embed pages and chart images exist to be put in other sites' iframes (``frame-ancestors *``); the API,
its docs, the gallery and the poll pages are not meant to be framed (``frame-ancestors 'none'`` and the
older ``X-Frame-Options: DENY``), which rules out clickjacking on them. Embed pages also get a strict
content policy: scripts, styles, images and requests from pollapp itself only, so a chart cannot
call another host even by mistake ('unsafe-eval' because Vega compiles its expressions to functions).
"""

from __future__ import annotations

from flask import Flask, Response, request

FRAMABLE_PREFIXES = ("/embed/", "/charts/")
EMBED_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors *"
)
PAGE_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def framable(path: str) -> bool:
    return path.startswith(FRAMABLE_PREFIXES)


def _frame_headers(response: Response) -> Response:
    if framable(request.path):
        response.headers["Content-Security-Policy"] = EMBED_POLICY
        response.headers.pop("X-Frame-Options", None)
    else:
        # Pages of this package set PAGE_POLICY themselves; others (API, its docs) only refuse framing.
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def register(app: Flask) -> None:
    app.after_request(_frame_headers)
