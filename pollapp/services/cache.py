"""A tiny cache for computed results (trend lines, house effects), behind a two-method interface.

Keys are strings that already contain everything the result depends on (the series' data version,
the normalised parameters and ``STATS_VERSION``), so nothing is ever invalidated explicitly: a write
to a poll changes the data version, the next request computes a new key, and the stale entry ages out
of the LRU. Values are the encoded representation (bytes), so that a shared store such as Redis
(:mod:`pollapp.services.stats_cache`) takes them unchanged: ``get`` / ``set`` are all a backend has to provide.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class ResultCache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


class LRUCache:
    """In-process least-recently-used cache bounded by entry count and total bytes; thread-safe.

    One per application (each gunicorn worker has its own; Redis may stand behind it:
    :mod:`pollapp.services.stats_cache`).
    ``hits`` and ``misses`` count lookups, for tests and monitoring.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 64 * 1024 * 1024) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("max_entries and max_bytes must be positive")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def set(self, key: str, value: bytes) -> None:
        size = len(value)
        if size > self.max_bytes:
            return  # larger than the whole cache: not worth evicting everything for
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._data[key] = value
            self._bytes += size
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._data.popitem(last=False)
                self._bytes -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def size_bytes(self) -> int:
        return self._bytes
