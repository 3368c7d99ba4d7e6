"""Cross-cutting HTTP concerns for the whole app (API, newsroom pages, docs): the proxy in front,
rate limits, CORS and security headers.

They live outside :mod:`pollapp.api` and :mod:`pollapp.embed` because they apply to both, and those
two packages are independent of each other (import-linter). Order matters: Flask runs
``after_request`` functions in the reverse order of registration, so what must see the final
response (rate-limit headers, then CORS) is registered first and runs last.
"""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from pollapp.web import cors, headers, hit_path, proxy, ratelimits, response_cache, sessions

    sessions.register(app)
    ratelimits.register(app)
    cors.register(app)
    headers.register(app)
    response_cache.register(app)  # wraps the public read views (pollapp.web.response_cache)
    hit_path.register(app)  # wraps the WSGI app: repeated hits answered before Flask (pollapp.web.hit_path)
    proxy.register(app)  # outermost: what every layer inside sees is the client's scheme and address
