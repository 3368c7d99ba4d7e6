"""Cached hits answered before Flask: a repeated anonymous GET is served from the response cache by a
WSGI middleware, with the headers Flask's own path gave the same request.

Why: a hit through Flask (request context, routing, ``before_request`` and ``after_request`` hooks,
a pooled session for the generation) cost about 0.7 ms of CPU more than a bare Flask app serving the
same bytes, about 60% of the whole request; issue 7 asks a cached read for 60% of the bare app's
throughput. Here a hit costs a read of the data generation (one SELECT, or none while the lease on
the last one runs: :mod:`pollapp.services.data_generation`), a dictionary lookup, the rate limiter and
the start of the response.

How it stays the same response: nothing here builds a header. When Flask's path answers a GET with
a 200 from the cache (:func:`pollapp.web.response_cache.cached` puts the entry's key in the environ),
this middleware records that response's final headers, after every hook ran (validators, CORS,
security and framing headers), under everything those headers and the entry may depend on: the data
generation, scheme, host, script root, path, query string and the request headers that select a
representation (``Accept``, ``Accept-Encoding``, ``Origin``). The next GET that matches all of them
gets those headers, the entry's bytes (the same variant) and the headers that are its own: the rate
limit's (counted as Flask's path counts it, in the same bucket) and ``X-Cache: hit``.
tests/web/test_hit_path.py compares the two paths header by header and byte by byte.

What still goes through Flask: any method but GET; a request with ``Authorization`` (its rate-limit
bucket is the key's, looked up in the database), with a conditional or range header (answered 304
or partially there), or whose rate limit is spent (the 429, counted here once); any request whose
generation cannot be read, whose entry was evicted, or that was not seen before at this generation.
A write moves the generation, so nothing recorded before it matches afterwards.

Configuration: ``RESPONSE_CACHE_HIT_PATH`` (``POLLAPP_RESPONSE_CACHE_HIT_PATH``; on by default, off
with ``0``), and it is off whenever ``RESPONSE_CACHE`` is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from pollapp.extensions import db
from pollapp.services import data_generation
from pollapp.services import response_cache as store
from pollapp.web import ratelimits
from pollapp.web.response_cache import SERVED, enabled_in, response_cache_of, switched_on

EXTENSION = "pollapp.hit_path"
#: Request headers that make a GET Flask's to answer (see the module docstring).
NOT_HERE = ("HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
            "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE")
#: Response headers that belong to one request, not to the representation: never recorded.
PER_REQUEST = ratelimits.HEADERS | {"x-cache", "date"}
#: Recorded requests kept per process (each a few hundred bytes of headers).
MAX_RECORDED = 4096


class Recorded:
    """What Flask's path answered, by request: ``key -> (entry key, gzip variant, final headers)``,
    the least recently used dropped beyond :data:`MAX_RECORDED`. Also counts the hits served here."""

    def __init__(self, limit: int = MAX_RECORDED) -> None:
        self._items: OrderedDict[tuple[Any, ...], tuple[str, bool, tuple[tuple[str, str], ...]]] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: tuple[Any, ...]) -> tuple[str, bool, tuple[tuple[str, str], ...]] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[str, bool, tuple[tuple[str, str], ...]]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)


def recorded_of(app: Flask) -> Recorded:
    """The app's record (in ``app.extensions``, created on first use like the response cache)."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions.setdefault(EXTENSION, Recorded())
    return found


def _request_key(environ: dict[str, Any], generation: int) -> tuple[Any, ...]:
    get = environ.get
    return (generation, get("wsgi.url_scheme"), get("HTTP_HOST"), get("SERVER_NAME"), get("SERVER_PORT"),
            get("SCRIPT_NAME", ""), get("PATH_INFO", ""), get("QUERY_STRING", ""), get("HTTP_ACCEPT"),
            get("HTTP_ACCEPT_ENCODING"), get("HTTP_ORIGIN"))


class HitPath:
    """The middleware: wraps the Flask app's ``wsgi_app`` (inside :mod:`pollapp.web.proxy`, so the
    scheme and client address are the ones Flask sees)."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        with app.app_context():
            self.reader = data_generation.committed_reader(db.engine)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.app
        if (environ.get("REQUEST_METHOD") != "GET" or any(name in environ for name in NOT_HERE)
                or not enabled_in(app) or not switched_on(app.config.get("RESPONSE_CACHE_HIT_PATH", True))):
            return self.wsgi_app(environ, start_response)
        try:
            generation = self.reader.read()
        except Exception:  # noqa: BLE001 - the database's trouble: Flask's path meets it and answers it
            return self.wsgi_app(environ, start_response)
        key = _request_key(environ, generation)
        recorded = recorded_of(app)
        found = recorded.get(key)
        if found is not None:
            name, use_gzip, headers = found
            entry = response_cache_of(app).get(name)
            body = None if entry is None else (entry.gzip if use_gzip else entry.body)
            if body is not None:
                served = self._serve(environ, start_response, body, headers)
                if served is not None:
                    recorded.hits += 1
                    return served
        return self._through_flask(environ, start_response, key, recorded)

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any], body: bytes,
               headers: tuple[tuple[str, str], ...]) -> list[bytes] | None:
        """The hit, after counting it; ``None`` (Flask answers, without counting again) when the
        client's limit is spent."""
        limiter = ratelimits.limiter_of(self.app)
        own: list[tuple[str, str]] = []
        if limiter is not None:
            counted = limiter.count("anonymous-read", ratelimits.anonymous_read_bucket(environ.get("REMOTE_ADDR")))
            if counted is not None:
                if counted[2]:
                    environ[ratelimits.COUNTED] = counted
                    return None
                own = limiter.headers(counted)
        start_response("200 OK", [*headers, *own, ("X-Cache", "hit")])
        return [body]

    def _through_flask(self, environ: dict[str, Any], start_response: Callable[..., Any], key: tuple[Any, ...],
                       recorded: Recorded) -> Iterable[bytes]:
        """Flask's answer; when it is a 200 from a cache entry of this very generation, its final
        headers are recorded for the next identical request."""

        def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            served = environ.get(SERVED)
            if served is not None and status.startswith("200") and exc_info is None:
                name, use_gzip = served
                if store.generation_of(name) == key[0] and ratelimits.COUNTED not in environ:
                    kept = tuple((k, v) for k, v in headers if k.lower() not in PER_REQUEST)
                    recorded.put(key, (name, use_gzip, kept))
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, recording_start_response)


def register(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` (after the response cache wraps the views, before the proxy fix wraps all)."""
    app.wsgi_app = HitPath(app, app.wsgi_app)  # type: ignore[method-assign]
