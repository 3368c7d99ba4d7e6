"""Trust ``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from as many proxies as configured.

``PROXY_COUNT`` (``POLLAPP_PROXY_COUNT``, default 0) is the number of reverse proxies in front of
pollapp. With 0 the headers are ignored: anyone could otherwise send ``X-Forwarded-For: <random>``
and get a fresh anonymous rate-limit bucket on every request. Behind one proxy (nginx, a load
balancer) set 1, so the client address (rate limits) and the scheme (HSTS, absolute URLs) are the
ones the proxy saw.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def register(app: Flask) -> None:
    count = int(app.config.get("PROXY_COUNT", 0) or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
