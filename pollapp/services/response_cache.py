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
A text body of 1 KB or more also gets a gzip variant, compressed once when the entry is made (JSON and
HTML compress 12-36x here, and a hit then copies a tenth of the bytes); the entry's size, in the LRU's
byte bound and against ``max_entry_bytes``, counts every variant it holds.

Redis is optional (``REDIS_URL``) and never a dependency of correctness: any Redis error is logged
once and the request is computed as if the entry were missing; Redis is then left alone for
:data:`RETRY_AFTER` seconds, so that an outage does not add a timeout to every request.
"""

from __future__ import annotations

import functools
import gzip
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


#: The gzip variant's ETag is the identity one with this suffix (RFC 9110 8.8.3); an ``If-Match`` with
#: it names the same version of the resource (pollapp.api.caching accepts it).
GZIP_ETAG_SUFFIX = "-gzip"
#: Below this many bytes a gzip variant saves less than its headers and a round of inflating cost.
MIN_COMPRESS_BYTES = 1024
#: Worth keeping only if it saves at least a tenth of the bytes.
MAX_COMPRESSED_SHARE = 0.9
#: zlib's default: for the 6-10 MB bodies of the large set, 85-140 ms of CPU once per stored entry
#: (level 9 is ~2x slower for ~3% fewer bytes; level 1 is ~40% larger).
GZIP_LEVEL = 6
#: Media types whose bodies compress (text); images other than SVG are compressed already.
COMPRESSIBLE = ("text/", "application/json", "application/problem+json", "application/javascript",
                "application/xml", "image/svg+xml")
#: A body larger than this many times the entry bound is not compressed (its gzip could not be stored
#: either at the 8-15x ratios of JSON and HTML here, and compressing it would be paid on every request).
MAX_RATIO = 8


def compressible(headers: Iterable[tuple[str, str]], size: int) -> bool:
    """Whether a body of ``size`` bytes with these headers gets a gzip variant: text of 1 KB or more,
    not already content-coded."""
    content_type = ""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-encoding":
            return False
        if lowered == "content-type":
            content_type = value.split(";", 1)[0].strip().lower()
    return size >= MIN_COMPRESS_BYTES and (content_type.startswith(COMPRESSIBLE) or content_type.endswith(("+json", "+xml")))


def gzipped(body: bytes) -> bytes:
    """Deterministic gzip (no timestamp, no name): every worker and instance stores the same bytes."""
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


@dataclass(frozen=True)
class Entry:
    """A cached representation: the headers the view set (status is always 200), the body, and its gzip
    variant (``None`` when the body is small, not text or does not compress). ``body`` is ``None`` when
    only the gzip variant fits the entry bound (:meth:`ResponseCache.set`): a request that does not
    accept gzip then computes the response, as it did before variants existed."""

    body: bytes | None
    headers: tuple[tuple[str, str], ...]
    gzip: bytes | None = None

    @classmethod
    def of(cls, body: bytes, headers: Iterable[tuple[str, str]], *, compress_up_to: int | None = None) -> Entry:
        """The entry of a computed response; the gzip variant is compressed here, once (bodies over
        ``compress_up_to`` bytes are not compressed)."""
        stored = tuple((k, v) for k, v in headers if k.lower() not in NOT_STORED)
        variant = None
        if compressible(stored, len(body)) and (compress_up_to is None or len(body) <= compress_up_to):
            variant = gzipped(body)
            if len(variant) > MAX_COMPRESSED_SHARE * len(body):
                variant = None
        return cls(body, stored, variant)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def gzip_only(self) -> Entry:
        return Entry(None, self.headers, self.gzip)

    def __len__(self) -> int:  # what the LRU's byte bound counts: every variant held
        return len(self.body or b"") + len(self.gzip or b"") + sum(len(k) + len(v) for k, v in self.headers)

    def encode(self) -> bytes:
        head = orjson.dumps([self.headers, _size(self.body), _size(self.gzip)])
        return len(head).to_bytes(4, "big") + head + (self.body or b"") + (self.gzip or b"")

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        size = int.from_bytes(data[:4], "big")
        raw_headers, body_size, gzip_size = orjson.loads(data[4:4 + size])
        headers = tuple((str(k), str(v)) for k, v in raw_headers)
        start = 4 + size
        body = None if body_size is None else data[start:start + body_size]
        start += body_size or 0
        variant = None if gzip_size is None else data[start:start + gzip_size]
        if start + (gzip_size or 0) != len(data):
            raise ValueError("response cache entry: sizes do not add up")
        return cls(body, headers, variant)


def _size(part: bytes | None) -> int | None:
    return None if part is None else len(part)


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


def generation_of(name: str) -> int | None:
    """The data generation an entry's key (made by :func:`key`) was made for."""
    parts = name.split(":", 3)
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None


class RedisStore:
    """Entries in Redis with a TTL; every error degrades to a miss (see the module docstring)."""

    def __init__(self, url: str, ttl: int, name: str = "response cache") -> None:
        import redis

        self.name = name  # in the log line that says Redis failed

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
                log.warning("%s: Redis failed (%s); serving without it, retrying every %ss",
                            self.name, exc, RETRY_AFTER)


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
        """Store ``entry`` unless it is larger than ``max_entry_bytes`` (all variants counted); when only
        its gzip variant fits, store that alone (browsers and CDNs ask for gzip). True if stored."""
        if len(entry) > self.max_entry_bytes and entry.gzip is not None and entry.body is not None:
            entry = entry.gzip_only()
        if len(entry) > self.max_entry_bytes:
            return False
        self.stores += 1
        self.local.set(name, entry)  # type: ignore[arg-type]  (the LRU sizes values by len())
        if self.remote is not None:
            self.remote.set(name, entry.encode())
        return True
