"""gunicorn settings of pollapp (``make run`` and the README's production command pass ``--config``;
gunicorn also reads this file by itself when started from the repository root).

Forwarded headers are pollapp's decision alone: ``POLLAPP_PROXY_COUNT`` (:mod:`pollapp.web.proxy`,
werkzeug's ProxyFix) says how many proxies are in front, and with 0 (the default) ``X-Forwarded-For``
and ``X-Forwarded-Proto`` are ignored. gunicorn by default trusts them itself from ``127.0.0.1``
(``forwarded_allow_ips``), before pollapp sees the request: a client on the same host, or anything
behind a local proxy that passes the header through, could make a plain-HTTP request look like HTTPS
(HSTS, absolute URLs). So gunicorn trusts no peer for them and derives the scheme from no header.
"""

forwarded_allow_ips = ""  # no peer may set the scheme or the forwarder headers
secure_scheme_headers: dict[str, str] = {}  # not even over a UNIX socket, which forwarded_allow_ips does not cover
forwarder_headers = ""  # SCRIPT_NAME / PATH_INFO request headers never rewrite the WSGI environ
