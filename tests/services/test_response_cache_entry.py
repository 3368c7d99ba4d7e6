"""Entries of the whole-response cache (pollapp.services.response_cache): which bodies get a gzip
variant, that it inflates to the body, and that Redis' byte form keeps every variant."""

from __future__ import annotations

import gzip

import pytest

from pollapp.services.cache import LRUCache
from pollapp.services.response_cache import MIN_COMPRESS_BYTES, Entry, ResponseCache, compressible

TEXT = b'{"items": [' + b'{"pollster": "synthetic", "pct": 41.5}, ' * 200 + b"{}]}"


@pytest.mark.parametrize("content_type, expected", [
    ("application/json", True), ("text/html; charset=utf-8", True), ("text/csv; charset=utf-8", True),
    ("image/svg+xml", True), ("application/vnd.vegalite+json", True), ("application/problem+json", True),
    ("image/png", False), ("application/pdf", False), ("application/vnd.apache.parquet", False),
])  # fmt: skip
def test_text_bodies_get_a_gzip_variant_and_compressed_types_do_not(content_type, expected):
    entry = Entry.of(TEXT, [("Content-Type", content_type), ("ETag", '"x"')])
    assert (entry.gzip is not None) == expected
    if expected:
        head = len("Content-Type") + len(content_type) + len("ETag") + len('"x"')
        assert gzip.decompress(entry.gzip) == TEXT and len(entry) == len(TEXT) + len(entry.gzip) + head


def test_no_variant_below_the_threshold_for_coded_bodies_or_incompressible_bytes():
    json_type = ("Content-Type", "application/json")
    assert Entry.of(TEXT[: MIN_COMPRESS_BYTES - 1], [json_type]).gzip is None
    assert Entry.of(TEXT[:MIN_COMPRESS_BYTES], [json_type]).gzip is not None
    assert not compressible([json_type, ("Content-Encoding", "br")], len(TEXT))
    noise = bytes(range(256)) * 8  # does not shrink by a tenth
    assert Entry.of(gzip.compress(noise * 4), [json_type]).gzip is None
    assert Entry.of(TEXT, [json_type], compress_up_to=len(TEXT) - 1).gzip is None


def test_the_byte_form_keeps_every_variant_and_the_bound_keeps_gzip_alone_when_only_it_fits():
    entry = Entry.of(TEXT, [("Content-Type", "application/json"), ("Vary", "Accept-Encoding")])
    assert Entry.decode(entry.encode()) == entry and Entry.decode(entry.gzip_only().encode()) == entry.gzip_only()
    with pytest.raises(ValueError):
        Entry.decode(entry.encode()[:-1])

    cache = ResponseCache(LRUCache(max_entries=8, max_bytes=10**6), max_entry_bytes=len(entry) - 1)
    assert cache.set("k", entry) and cache.get("k") == entry.gzip_only()
    assert cache.local.size_bytes == len(entry.gzip_only()) < len(entry)
    cache.max_entry_bytes = len(entry.gzip_only()) - 1
    assert not cache.set("other", entry)
