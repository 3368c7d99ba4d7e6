"""Configuration: safe defaults in code, then the environment, then an explicit mapping (tests).

Environment variables (all optional):

``DATABASE_URL``
    Any SQLAlchemy URL (``sqlite:///path.db``, ``postgresql+psycopg://user:pw@host/db``).
    ``postgres://`` and ``postgresql://`` are accepted and mapped to the psycopg 3 driver.
    Default: ``sqlite:///<instance folder>/pollapp.db``.
``SECRET_KEY``
    Flask's secret. A random per-process value is used when unset (pollapp keeps no sessions,
    so nothing breaks, but set it in production so several workers agree).
``REDIS_URL``
    Optional ``redis://host:port/db``: rate-limit counters and cached public responses are kept there,
    so that several app instances share them (default: in each process's memory).
``POLLAPP_RESPONSE_CACHE``
    ``0``/``false``/``off`` switches the whole-response cache off (:mod:`pollapp.web.response_cache`,
    which lists its size and TTL settings). ``POLLAPP_RESPONSE_CACHE_HIT_PATH=0`` keeps the cache but
    answers every hit through Flask (:mod:`pollapp.web.hit_path`; for comparisons).
``POLLAPP_GENERATION_LEASE_MS``
    How long (ms, default 20) a cached hit may trust the data generation it read without asking the
    database again; every write that changes public data waits as long before it answers, so reads
    after a write see it on every instance. Give every instance of one database the same value.
``POLLAPP_*``
    Any other setting, e.g. ``POLLAPP_PUBLIC_MAX_AGE=120`` (parsed as JSON when possible).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},  # no pool_pre_ping: idle connections are pinged (pollapp.dbpool)
    "DATABASE_PING_AFTER": 1.0,
    # flask-smorest / OpenAPI
    "API_TITLE": "pollapp API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_REDOC_PATH": "/docs",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Published public-opinion polls with their full methodology, and statistics with their "
                "uncertainty. Reads are public; writes need `Authorization: Bearer <key>` (keys from "
                "`flask keys create NAME`). Errors are RFC 9457 `application/problem+json`. Lists are "
                "`{items, next_cursor, total}` with cursor pagination; every GET carries an ETag."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        }
    },
    "OPENAPI_REDOC_URL": "/static/vendor/redoc/redoc.standalone.js",  # served from pollapp/static (no CDN)
    # Pagination
    "PAGE_DEFAULT_LIMIT": 50,
    "PAGE_MAX_LIMIT": 500,
    # Caching of public reads (seconds)
    "PUBLIC_MAX_AGE": 60,
    # Whole-response cache of public reads (pollapp.web.response_cache): per process, plus REDIS_URL
    "RESPONSE_CACHE": True,
    "RESPONSE_CACHE_MAX_BYTES": 256 * 1024 * 1024,
    "RESPONSE_CACHE_MAX_ENTRIES": 4096,
    "RESPONSE_CACHE_MAX_ENTRY_BYTES": 16 * 1024 * 1024,
    "RESPONSE_CACHE_TTL": 3600,
    "RESPONSE_CACHE_HIT_PATH": True,  # repeated anonymous GETs answered before Flask (pollapp.web.hit_path)
    # The data generation's lease (milliseconds; POLLAPP_GENERATION_LEASE_MS): the cached-hit path trusts a
    # generation it read for this long, and a write that moves it waits as long before it answers
    # (pollapp.services.data_generation). The same on every instance of one database; 0: off.
    "GENERATION_LEASE_MS": 20,
    # Largest request body accepted (bytes; POLLAPP_MAX_CONTENT_LENGTH): room for a 50 MB poll file upload
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    # Idempotency-Key records (seconds): kept a day; an attempt silent this long is presumed dead
    "IDEMPOTENCY_TTL": 24 * 3600,
    "IDEMPOTENCY_LOCK_TIMEOUT": 300,
    # HTTP edge (pollapp.web): reverse proxies trusted for X-Forwarded-*, rate limits (limits strings)
    "PROXY_COUNT": 0,
    "RATELIMIT_ENABLED": True,
    "LIMIT_ANONYMOUS_READS": "120/minute",
    "LIMIT_KEY_READS": "600/minute",
    "LIMIT_WRITES": "60/minute",
    "LIMIT_IMPORTS": "10/minute",
}


def normalize_database_url(url: str) -> str:
    """Map the URL spellings hosting platforms hand out onto SQLAlchemy's psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(app, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config``: defaults, then environment, then ``overrides``."""
    app.config.update(DEFAULTS)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    app.config.from_prefixed_env("POLLAPP")
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        os.makedirs(app.instance_path, exist_ok=True)
        database_url = "sqlite:///" + os.path.join(app.instance_path, "pollapp.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(database_url)
    if overrides:
        app.config.update(overrides)
        if "SQLALCHEMY_DATABASE_URI" in overrides:
            app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
                overrides["SQLALCHEMY_DATABASE_URI"]
            )
