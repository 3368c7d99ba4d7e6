"""HTTP plumbing of the newsroom pages: strict query arguments, caches, conditional responses.

Every chart response is a computed GET: its ETag (series data version + kind + normalised options +
host, see :func:`pollapp.services.chart_options.chart_etag`) is known from one aggregate query, so a CDN or
browser revalidating gets a 304 before any poll is loaded; a miss is served from the chart cache
(rendered bytes keyed by ETag) or built once. ``Cache-Control: public, max-age, stale-while-revalidate``
lets a CDN absorb a front-page spike and refresh in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.schemas.charts import load_query
from pollapp.services.cache import LRUCache

#: A year: the bundle's name changes with its content.
IMMUTABLE = "public, max-age=31536000, immutable"


def query_args(schema: ma.Schema) -> dict[str, Any]:
    """The query string loaded by ``schema``; unknown or invalid parameters are a 422 problem naming
    each parameter (as the API's webargs errors do)."""
    try:
        return load_query(schema, request.args)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
        errors = [
            FieldError(None, "; ".join(_flat(message)), str(name))
            for name, message in messages.items()
        ]
        raise InvalidInput("The request has invalid parameters; see errors.", errors) from exc


def _flat(message: Any) -> list[str]:
    if isinstance(message, str):
        return [message]
    if isinstance(message, dict):
        return [m for value in message.values() for m in _flat(value)]
    return [m for value in message for m in _flat(value)]


def base_url() -> str:
    return request.host_url.rstrip("/")


def cache_control() -> str:
    max_age = int(current_app.config.get("CHART_MAX_AGE", 300))
    stale = int(current_app.config.get("CHART_STALE_WHILE_REVALIDATE", 86400))
    return f"public, max-age={max_age}, stale-while-revalidate={stale}"


def chart_cache() -> LRUCache:
    """Rendered pages and images keyed by ETag (bounds from ``CHART_CACHE_*`` config)."""
    cache = current_app.extensions.get("pollapp.chart_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("pollapp.chart_cache", LRUCache(
            max_entries=int(current_app.config.get("CHART_CACHE_MAX_ENTRIES", 256)),
            max_bytes=int(current_app.config.get("CHART_CACHE_MAX_BYTES", 64 * 1024 * 1024)),
        ))
    return cache


def stats_cache() -> Any:
    """The statistics result cache that ``/api/v1/series/{slug}/trend`` uses
    (:mod:`pollapp.services.stats_cache`), so charts and the API share fitted trends."""
    from pollapp.services import stats_cache as stats_cache_service

    return stats_cache_service.of_app(current_app.extensions, current_app.config)


def computed(etag: str, mimetype: str, build: Callable[[], bytes], *, filename: str | None = None) -> Response:
    """304 if the client has ``etag``; else the cached bytes, else ``build()`` (then cached)."""
    response = current_app.response_class(status=200, mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control()
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if request.if_none_match.contains(etag):
        return response.make_conditional(request)
    cache = chart_cache()
    body = cache.get(etag)
    response.headers["X-Cache"] = "hit" if body is not None else "miss"
    if body is None:
        body = build()
        cache.set(etag, body)
    response.set_data(body)
    return response.make_conditional(request)


def fresh_data_version(key: str, compute: Callable[[], str]) -> str:
    """``compute()`` (a series' or poll's data version), remembered per process for the current data
    generation (:mod:`pollapp.services.data_generation`): exact, unlike the short TTL it replaces (a
    page built from a version a write had made stale must never be cached under the new generation),
    and as cheap (the generation is read once per request anyway, by the response cache)."""
    from pollapp.extensions import db
    from pollapp.services import data_generation

    generation = data_generation.current(db.session)
    if generation is None:
        return compute()
    versions: dict[str, tuple[int, str]] = current_app.extensions.setdefault("pollapp.chart_versions", {})
    found = versions.get(key)
    if found is not None and found[0] == generation:
        return found[1]
    version = compute()
    if len(versions) > 10_000:
        versions.clear()
    versions[key] = (generation, version)
    return version
