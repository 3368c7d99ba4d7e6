"""Whole public responses, cached by data generation: the storage half (the HTTP half is
:mod:`pollapp.web.response_cache`).

A key names everything a public representation depends on: the data generation
(:mod:`pollapp.services.data_generation`, which moves with every change of public data), the code
(:func:`code_version`), and the request (method, origin, path, query, the headers the view reads). So
an entry is never invalidated or updated: a write moves the generation, the next request computes a
new key, and old entries age out (LRU) or expire (Redis TTL). That also makes the tiers safe to stack:
a per-process LRU in front of a Redis shared by every worker and instance can never disagree with it.

Entries are the representation only (status 200, body, the headers the view set): per-request headers
(rate limits, CORS, security headers) are added on every hit by the app's ``after_request`` hooks.

Redis is optional (``REDIS_URL``) and never a dependency of correctness: any Redis error is logged
once and the request is computed as if the entry were missing; Redis is then left alone for
:data:`RETRY_AFTER` seconds, so that an outage does not add a timeout to every request.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pollapp.services.cache import LRUCache

log = logging.getLogger(__name__)

RETRY_AFTER = 5.0  # seconds without Redis after an error
#: Headers a view may set that describe the request, not the representation: never stored.
NOT_STORED = frozenset({"content-length", "set-cookie", "x-cache", "date", "retry-after"})


@dataclass(frozen=True)
class Entry:
    """A cached representation: the body and the headers the view set (status is always 200)."""

    body: bytes
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, body: bytes, headers: Iterable[tuple[str, str]]) -> Entry:
        return cls(body, tuple((k, v) for k, v in headers if k.lower() not in NOT_STORED))

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def __len__(self) -> int:  # what the LRU's byte bound counts
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)

    def encode(self) -> bytes:
        head = orjson.dumps(self.headers)
        return len(head).to_bytes(4, "big") + head + self.body

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        size = int.from_bytes(data[:4], "big")
        headers = tuple((str(k), str(v)) for k, v in orjson.loads(data[4:4 + size]))
        return cls(data[4 + size:], headers)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the code that renders responses (the package's Python sources, templates and embed
    assets, its version, STATS_VERSION): a deployment of other code never reads this one's entries
    from a shared Redis, even if someone forgot to bump a version constant."""
    import importlib.metadata

    from pollapp.stats import STATS_VERSION

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{importlib.metadata.version('pollapp')}:{STATS_VERSION}".encode())
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".html", ".js", ".css", ".json")
             and "vendor" not in p.relative_to(root).parts]
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def key(generation: int, request_parts: Iterable[str]) -> str:
    """The entry's key: readable generation and code version, then a digest of the request."""
    digest = hashlib.sha256("\x1f".join(request_parts).encode()).hexdigest()[:32]
    return f"pollapp:response:{generation}:{code_version()}:{digest}"


class RedisStore:
    """Entries in Redis with a TTL; every error degrades to a miss (see the module docstring)."""

    def __init__(self, url: str, ttl: int) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.ttl = max(1, int(ttl))
        self._down_until = 0.0
        self._logged = False
        self._lock = threading.Lock()

    def get(self, name: str) -> bytes | None:
        if self._resting():
            return None
        try:
            value = self._client.get(name)
        except self._errors as exc:
            self._failed(exc)
            return None
        return value if isinstance(value, bytes) else None

    def set(self, name: str, value: bytes) -> None:
        if self._resting():
            return
        try:
            self._client.set(name, value, ex=self.ttl)
        except self._errors as exc:
            self._failed(exc)

    def _resting(self) -> bool:
        return self._down_until > time.monotonic()

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_AFTER
            if not self._logged:
                self._logged = True
                log.warning("response cache: Redis failed (%s); serving without it, retrying every %ss",
                            exc, RETRY_AFTER)


class ResponseCache:
    """The per-process LRU (bounded by bytes), in front of Redis when one is configured."""

    def __init__(self, local: LRUCache, remote: RedisStore | None = None, max_entry_bytes: int = 4 * 1024 * 1024) -> None:
        self.local = local
        self.remote = remote
        self.max_entry_bytes = max_entry_bytes
        self.remote_hits = 0
        self.stores = 0

    def get(self, name: str) -> Entry | None:
        entry: Any = self.local.get(name)
        if entry is not None or self.remote is None:
            return entry
        data = self.remote.get(name)
        if data is None:
            return None
        try:
            entry = Entry.decode(data)
        except (ValueError, TypeError, orjson.JSONDecodeError):
            return None  # not ours (another writer's key shape): compute instead
        self.remote_hits += 1
        self.local.set(name, entry)
        return entry

    def set(self, name: str, entry: Entry) -> bool:
        """Store ``entry`` unless it is larger than ``max_entry_bytes``; True if stored."""
        if len(entry) > self.max_entry_bytes:
            return False
        self.stores += 1
        self.local.set(name, entry)  # type: ignore[arg-type]  (the LRU sizes values by len())
        if self.remote is not None:
            self.remote.set(name, entry.encode())
        return True
