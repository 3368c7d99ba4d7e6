"""Rate limits (the `limits` library): anonymous reads per client address, more with an API key, writes
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
requests are served unlimited and the failure is logged (once, then the store is left alone for
:data:`RETRY_AFTER_ERROR` seconds): an outage of the limiter's store must not become an outage of the site.
Requests that match no route (404, 405) are not counted, as before.

Why not Flask-Limiter: its per-request machinery (resolving the limits of the endpoint, blueprint and
application on every request, building limit objects, parsing the limit strings) cost about 0.6 ms
per request, more than a whole cached read (issue 7: a cache hit must reach 60% of a bare Flask app's
throughput). Here the limit strings are parsed once per app, each request picks its class's limits
from a dict, and the counting itself is the `limits` library's (the storage and fixed-window strategy
Flask-Limiter used), with the same keys, so counters in a shared Redis carry over. The limiter lives
in ``app.extensions["pollapp.ratelimits"]``: each app has its own storage.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

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
        g.pollapp_rate_identity = (f"key:{found.id}", True) if found else (address_identity(request.remote_addr), False)
    return g.pollapp_rate_identity


def address_identity(address: str | None) -> str:
    """Who an anonymous request is: its client address (after :mod:`pollapp.web.proxy`)."""
    return f"ip:{address}"


def anonymous_read_bucket(address: str | None) -> str:
    """The bucket of an anonymous read from ``address`` (as :func:`bucket` names it)."""
    return f"anonymous-read:{address_identity(address)}"


def limiter_of(app: Flask) -> RateLimiter | None:
    """The app's limiter (``None`` when ``RATELIMIT_ENABLED`` is false)."""
    return app.extensions.get(EXTENSION)


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
        or request.endpoint is None
        or request.endpoint in UNLIMITED_ENDPOINTS
        or request.blueprint in UNLIMITED_BLUEPRINTS
    )


def _message(limit: str) -> str:
    return "Too many requests. " + _DESCRIPTIONS[request_class()].format(limit=limit) + (
        " Retry after the number of seconds in Retry-After."
    )


EXTENSION = "pollapp.ratelimits"
#: The environ key of a request counted before Flask saw it (:mod:`pollapp.web.hit_path`): its result.
COUNTED = "pollapp.ratelimit.counted"
#: What :meth:`RateLimiter.count` returns: the limit to report, the key parts, whether it is spent.
Counted = tuple[RateLimitItem, tuple[str, str, str], bool]
#: The headers that report a count (never stored with a cached response).
HEADERS = frozenset({"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"})
SCOPE = "pollapp"  # the key parts Flask-Limiter used ("LIMITER/pollapp/<bucket>/pollapp/<limit>"):
KEY_PREFIX = "pollapp"  # counters kept in a shared Redis carry over
#: Seconds the store is left alone after an error (requests are served unlimited meanwhile).
RETRY_AFTER_ERROR = 5.0


class MemoryCounters(MemoryStorage):
    """`limits`' in-process storage (``memory://``) without its timer thread.

    ``MemoryStorage`` starts a thread every time a counter moves and its last 10 ms timer has ended,
    to drop expired counters: under load that is a thread start every few requests, about as much
    CPU as the rest of the limiter. A fixed window needs none of it (``get`` already drops an expired
    counter when it is next read); the expired counters of clients that never come back are swept
    here, on the request path, at most every :attr:`SWEEP_EVERY` seconds."""

    SWEEP_EVERY = 60.0
    _next_sweep = 0.0

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY
            self.sweep(now)
        self.get(key)  # a counter past its window starts again from zero
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = now + expiry
        return self.storage.get(key, 0)

    def sweep(self, now: float) -> None:
        for key, expires in list(self.expirations.items()):
            if expires <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


@dataclass
class RateLimiter:
    """One app's limits, parsed once (class -> items, shortest window first), and its counters."""

    strategy: FixedWindowRateLimiter
    limits: dict[str, tuple[RateLimitItem, ...]]
    _down_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self) -> None:
        """Count this request in its class's bucket; raise a 429 when one of its limits is spent.
        Store errors (Redis down) serve the request unlimited and are logged once per outage. A request
        the cached-hit path counted already (:data:`COUNTED` in the environ) is not counted again."""
        g.pollapp_rate_limit = None  # (item, key parts, breached) once counted: for add_headers
        if unlimited():
            return
        counted = request.environ.get(COUNTED)
        if counted is None:
            counted = self.count(request_class(), bucket())
        g.pollapp_rate_limit = counted
        if counted is not None and counted[2]:
            raise TooManyRequests(_message(current_limit()))

    def count(self, request_class: str, bucket: str) -> Counted | None:
        """Count one request of ``request_class`` in ``bucket`` against each of the class's limits, and
        return the limit to report: the first one spent (breached), else the shortest window. ``None``
        when nothing was counted (no limits, or the store is failing)."""
        items = self.limits[request_class]
        if not items or time.monotonic() < self._down_until:
            return None
        args = (KEY_PREFIX, bucket, SCOPE)
        try:
            for item in items:
                if not self.strategy.hit(item, *args):
                    return (item, args, True)
        except Exception:  # noqa: BLE001 - any store failure: an outage of the limiter's store is not the site's
            self._failed()
            return None
        return (items[0], args, False)

    def add_headers(self, response: Response) -> Response:
        """``X-RateLimit-*`` of the request's limit on every limited answer; ``Retry-After`` on a 429
        only (RFC 9110 gives it meaning on 429 and 503: a successful read never tells a client to back
        off, and a 503 keeps its own short one)."""
        counted = g.get("pollapp_rate_limit")
        if counted is not None:
            for name, value in self.headers(counted):
                response.headers[name] = value
        return response

    def headers(self, counted: Counted) -> list[tuple[str, str]]:
        """The headers that report ``counted`` (what :meth:`count` returned) to the client."""
        item, args, breached = counted
        try:
            reset, remaining = self.strategy.get_window_stats(item, *args)
        except Exception:  # noqa: BLE001 - as in count()
            self._failed()
            return []
        reset_at = int(reset + 1)
        headers = [("X-RateLimit-Limit", str(item.amount)), ("X-RateLimit-Remaining", str(remaining)),
                   ("X-RateLimit-Reset", str(reset_at))]
        if breached:
            headers.append(("Retry-After", str(max(1, int(reset_at - time.time())))))
        return headers

    def _failed(self) -> None:
        with self._lock:
            if time.monotonic() >= self._down_until:
                log.exception("Rate-limit store failed; serving unlimited for %.0f s", RETRY_AFTER_ERROR)
            self._down_until = time.monotonic() + RETRY_AFTER_ERROR


def _limiter() -> RateLimiter | None:
    return current_app.extensions.get(EXTENSION)


def _check() -> None:
    limiter = _limiter()
    if limiter is not None:
        limiter.check()


def _add_headers(response: Response) -> Response:
    limiter = _limiter()
    return response if limiter is None else limiter.add_headers(response)


def register(app: Flask) -> None:
    """Parse the limits once and attach the hooks. ``RATELIMIT_ENABLED`` false attaches nothing that
    counts; ``RATELIMIT_STORAGE_URI`` (default ``REDIS_URL``, else ``memory://``) is any `limits`
    storage URI."""
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.before_request(_check)
    app.after_request(_add_headers)
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    uri = app.config["RATELIMIT_STORAGE_URI"]
    storage = MemoryCounters(uri) if uri == "memory://" else storage_from_string(uri)
    app.extensions[EXTENSION] = RateLimiter(
        FixedWindowRateLimiter(storage),
        {name: tuple(sorted(parse_many(str(app.config[key])))) for name, key in LIMIT_KEYS.items()},
    )
