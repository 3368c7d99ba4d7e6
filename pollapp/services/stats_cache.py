"""The statistics' result cache (fitted trends, house effects, series data versions): one per process,
in front of Redis when ``REDIS_URL`` is set, so that a series fitted by one worker or instance is not
fitted again by another while its data are unchanged.

Why Redis too: whole responses are shared through Redis (:mod:`pollapp.services.response_cache`) but
keyed by the data generation, which any write moves; the statistics are keyed by the series' own data
version and fingerprint, so after a write elsewhere every instance would otherwise refit every series
it had not fitted itself (seconds each on a large series).

Keys (:mod:`pollapp.services.cache`) already name everything a value depends on; in Redis they are
prefixed with the code version (another deployment never reads these values) and hashed. Any Redis
error is a miss, as for the response cache (:class:`pollapp.services.response_cache.RedisStore`).
Configuration: ``STATS_CACHE_MAX_ENTRIES`` and ``STATS_CACHE_MAX_BYTES`` bound the local tier;
``STATS_CACHE_TTL`` (seconds, default one day) is how long a value lives in Redis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping
from typing import Any

from pollapp.services.cache import LRUCache, ResultCache
from pollapp.services.response_cache import RedisStore, code_version

#: Where an application keeps its cache (``app.extensions``): the API, charts and embeds share it.
EXTENSION = "pollapp.stats_cache"


class SharedResultCache:
    """The local LRU, then Redis: a value found in Redis is kept locally too; a value set goes to both."""

    def __init__(self, local: LRUCache, remote: RedisStore) -> None:
        self.local = local
        self.remote = remote
        self.remote_hits = 0

    def get(self, key: str) -> bytes | None:
        value = self.local.get(key)
        if value is not None:
            return value
        value = self.remote.get(_remote_name(key))
        if value is not None:
            self.remote_hits += 1
            self.local.set(key, value)
        return value

    def set(self, key: str, value: bytes) -> None:
        self.local.set(key, value)
        self.remote.set(_remote_name(key), value)

    def clear(self) -> None:
        """Forget the local tier (Redis keeps its values until they expire)."""
        self.local.clear()


def _remote_name(key: str) -> str:
    return f"pollapp:stats:{code_version()}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def build(config: Mapping[str, Any]) -> ResultCache:
    """The cache ``config`` asks for: the LRU alone, or the LRU in front of Redis."""
    local = LRUCache(max_entries=int(config.get("STATS_CACHE_MAX_ENTRIES", 64)),
                     max_bytes=int(config.get("STATS_CACHE_MAX_BYTES", 64 * 1024 * 1024)))
    url = config.get("REDIS_URL")
    if not url:
        return local
    return SharedResultCache(local, RedisStore(url, int(config.get("STATS_CACHE_TTL", 86400)), "statistics cache"))


def of_app(extensions: MutableMapping[str, Any], config: Mapping[str, Any]) -> Any:
    """The application's cache (``app.extensions``, ``app.config``), built on first use."""
    cache = extensions.get(EXTENSION)
    if cache is None:
        cache = extensions.setdefault(EXTENSION, build(config))
    return cache
