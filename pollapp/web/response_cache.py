"""The whole-response cache of public reads: a repeated GET with the same data generation is answered
from memory (or the shared Redis) with one SQL statement (the generation) and one lookup: no argument
parsing, no query, no serialisation, no body hashing.

Which views: :data:`CACHED` names every public read whose body is bounded, with the request headers its
representation depends on besides method, origin, path and query (the trend's JSON or CSV follows
``Accept``); :data:`NOT_CACHED` names the others and why. Every GET route must be in one of the two
(tests/web/test_response_cache.py), so a new view is a decision, not an accident. The views are
wrapped here, after the blueprints are registered, rather than decorated in :mod:`pollapp.api` and
:mod:`pollapp.embed`: both use it and neither may import the other or this package (import-linter),
and the wrapper runs before flask-smorest parses the query, which a hit must not pay for.

What is stored (:mod:`pollapp.services.response_cache`): a 200's body and the headers the view set,
after the finalizers in ``app.extensions["pollapp.representation_finalizers"]`` (the API's ETag of the
body and Cache-Control, :mod:`pollapp.api.caching`) have run, so a hit needs no hashing. Errors, 304s,
streamed bodies and bodies over ``RESPONSE_CACHE_MAX_ENTRY_BYTES`` are never stored. On a hit an
``If-None-Match`` matching the stored ETag is answered 304 from the stored headers.

Compression: a text body of 1 KB or more is stored with a gzip variant, compressed once when the entry
is made; a request whose ``Accept-Encoding`` allows gzip (every browser and CDN) gets it with
``Content-Encoding: gzip`` and its own strong ETag (``"<tag>-gzip"``), and ``If-None-Match`` with
either ETag is answered 304. Every response of these views says ``Vary: Accept-Encoding``. When the
entry bound holds the gzip variant but not both (a body of tens of megabytes), only the gzip variant
is stored, and a request without gzip is computed as before. Responses that are not cached
(``RESPONSE_CACHE=0``, the views in :data:`NOT_CACHED`) are not compressed: per request, gzip of a
6-10 MB body costs 85-140 ms of CPU (level 6; 33 ms at level 1), more than serving the identity bytes
on a local network; compressing those is a front proxy's or CDN's job. The per-request
headers (rate limits, CORS, security headers) are added by the ``after_request`` hooks on hits as on
misses, and the rate limit is counted (its ``before_request`` runs before any view).

Configuration (``POLLAPP_*`` in the environment): ``RESPONSE_CACHE`` (on; ``0``/``false``/``off``
disables it, e.g. to measure uncached pages), ``RESPONSE_CACHE_MAX_BYTES`` (per-process LRU, 256 MB; every variant counted),
``RESPONSE_CACHE_MAX_ENTRIES`` (4096), ``RESPONSE_CACHE_MAX_ENTRY_BYTES`` (16 MB),
``RESPONSE_CACHE_TTL`` (seconds an entry lives in Redis, 3600). ``REDIS_URL`` adds Redis behind the LRU.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import quote_etag, unquote_etag

from pollapp.extensions import db
from pollapp.services import data_generation
from pollapp.services import response_cache as store
from pollapp.services.cache import LRUCache

EXTENSION = "pollapp.response_cache"
SERVED = "pollapp.response_cache.served"  # environ: (entry key, gzip variant) of a 200 from an entry
FINALIZERS = "pollapp.representation_finalizers"
OFF = frozenset({"0", "false", "off", "no"})

#: endpoint -> request headers the representation depends on (besides method, origin, path, query).
CACHED: dict[str, tuple[str, ...]] = {
    "polls.PollCollection": (),
    "polls.PollItem": (),
    "polls.PollHistory": (),
    "pollsters.Collection": (),
    "pollsters.Item": (),
    "sponsors.Collection": (),
    "sponsors.Item": (),
    "series.SeriesCollection": (),
    "series.SeriesItem": (),
    "series.SeriesMembers": (),
    "series.SeriesPoints": (),
    "series.SeriesChanges": (),
    "statistics.SeriesTrend": ("Accept",),  # JSON, or the grid as CSV with Accept: text/csv
    "statistics.SeriesTrendCsv": (),
    "statistics.SeriesHouseEffects": (),
    "statistics.SeriesHouseEffectsCsv": (),
    "statistics.SeriesAdjustedPoints": (),
    "statistics.PollIntervals": (),
    "statistics.Compare": (),
    "charts.SeriesChartSpec": (),
    "charts.PollCardSpec": (),
    "exports.SeriesDataPackage": (),
    "poll_downloads.PollsDataPackage": (),
    "embed.series_embed": (),
    "embed.poll_embed": (),
    "embed.series_image": (),
    "embed.poll_image": (),
    "embed.oembed": (),
    "embed.gallery": (),
    "embed.poll_page": (),
}
#: GET endpoints deliberately left out, and why.
NOT_CACHED: dict[str, str] = {
    "exports.SeriesDataCsv": "streamed, unbounded",
    "exports.SeriesDataTsv": "streamed, unbounded",
    "exports.SeriesDataJson": "streamed, unbounded",
    "exports.SeriesDataParquet": "a whole-series file, unbounded",
    "exports.SeriesDataXlsx": "a whole-series file, unbounded",
    "poll_downloads.PollsCsv": "streamed, unbounded",
    "poll_downloads.PollsJson": "streamed, unbounded",
    "health.Healthz": "must reflect this process now",
    "health.Readyz": "must reflect the database now",
    "api-docs.openapi_json": "static per process, built in memory",
    "api-docs.openapi_redoc": "static page",
    "embed.methodology": "static page",
    "docs.data_dictionary": "static page (generated from the schemas once per request, no database)",
    "docs.data_dictionary_json": "static document (generated from the schemas, no database)",
    "embed.asset": "a fingerprinted file sent by Werkzeug with its own validators",
    "static": "files",
}


def register(app: Flask) -> None:
    """Wrap the :data:`CACHED` views (call after every blueprint is registered)."""
    for endpoint, vary in CACHED.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = cached(view, vary)


def enabled() -> bool:
    return enabled_in(current_app)


def enabled_in(app: Flask) -> bool:
    return switched_on(app.config.get("RESPONSE_CACHE", True))


def switched_on(value: Any) -> bool:
    """A boolean setting's value (``False``, or ``0``/``false``/``off``/``no`` from the environment, is off)."""
    return not (value is False or str(value).strip().lower() in OFF)


def response_cache() -> store.ResponseCache:
    return response_cache_of(current_app)


def response_cache_of(app: Flask) -> store.ResponseCache:
    """The app's cache, created on first use (one per process; Redis shared when ``REDIS_URL`` is set)."""
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        config = app.config
        remote = None
        if config.get("REDIS_URL"):
            remote = store.RedisStore(config["REDIS_URL"], int(config.get("RESPONSE_CACHE_TTL", 3600)))
        cache = app.extensions.setdefault(EXTENSION, store.ResponseCache(
            LRUCache(max_entries=int(config.get("RESPONSE_CACHE_MAX_ENTRIES", 4096)),
                     max_bytes=int(config.get("RESPONSE_CACHE_MAX_BYTES", 256 * 1024 * 1024))),
            remote,
            max_entry_bytes=int(config.get("RESPONSE_CACHE_MAX_ENTRY_BYTES", 16 * 1024 * 1024)),  # config.DEFAULTS
        ))
    return cache


def cached(view: Callable[..., Any], vary: tuple[str, ...] = ()) -> Callable[..., Any]:
    """``view`` answered from the response cache when the same request met the same data generation."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        if not enabled():
            return _computed(view, args, kwargs)
        try:
            generation = data_generation.current(db.session())
        except SQLAlchemyError:  # the view meets the outage too, and answers it its own way
            db.session.rollback()
            return _computed(view, args, kwargs)
        if generation is None:
            return _computed(view, args, kwargs)
        name = store.key(generation, _request_parts(vary))
        cache = response_cache()
        entry = cache.get(name)
        gzip_ok = _accepts_gzip()
        if entry is not None and (entry.body is not None or (gzip_ok and entry.gzip is not None)):
            return _served(_hit(entry, gzip_ok), name, gzip_ok and entry.gzip is not None)
        response = _computed(view, args, kwargs)  # its Vary is stored with the entry: hits carry it too
        if response.status_code == 200 and not response.direct_passthrough and not response.is_streamed:
            for finalize in current_app.extensions.get(FINALIZERS, ()):
                finalize(response)
            stored = False
            if entry is None:  # else a gzip-only entry that this request does not accept: computed, as is
                entry = store.Entry.of(response.get_data(), response.headers.items(),
                                       compress_up_to=cache.max_entry_bytes * store.MAX_RATIO)
                stored = cache.set(name, entry)
            response.pollapp_cached = True  # type: ignore[attr-defined]  (finalized: the API's validators skip it)
            use_gzip = gzip_ok and entry.gzip is not None
            if use_gzip:
                response.set_data(entry.gzip)
                _as_gzip(response)
            response = _conditional(response, entry, gzip_ok)
            return _served(response, name, use_gzip) if stored else response
        return response

    return wrapper


def _served(response: Response, name: str, use_gzip: bool) -> Response:
    """Tell :mod:`pollapp.web.hit_path` which stored entry and variant this 200 is, so that it can learn
    the response's final headers and answer the next identical request itself."""
    if response.status_code == 200:
        request.environ[SERVED] = (name, use_gzip)
    return response


def _computed(view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Response:
    """The view's response, saying ``Vary: Accept-Encoding`` whether or not this one is compressed
    (the same URL is, from the cache), so that no shared cache hands gzip to a client that did not
    ask for it, or the reverse."""
    response = current_app.make_response(view(*args, **kwargs))
    if response.status_code in (200, 304):
        response.vary.add("Accept-Encoding")
    return response


def _request_parts(vary: tuple[str, ...]) -> list[str]:
    """Method (HEAD is GET without the body), origin, path, the query string as sent (views echo it in
    links and page URLs, so two spellings are two representations; and it is the cheapest key), and
    the varying headers."""
    environ = request.environ
    parts = ["GET", request.scheme, request.host, environ.get("SCRIPT_NAME", ""), request.path,
             environ.get("QUERY_STRING", "")]
    parts += [f"{name}:{request.headers.get(name, '')}" for name in vary]
    return parts


def _accepts_gzip() -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip``, ``*``, with a quality above 0)."""
    return "HTTP_ACCEPT_ENCODING" in request.environ and request.accept_encodings["gzip"] > 0


def _as_gzip(response: Response) -> None:
    """The headers of the gzip variant (its body is set already; Content-Length follows it): the
    coding, and a strong ETag of its own (RFC 9110 8.8.3: ``"<identity tag>-gzip"``)."""
    response.headers["Content-Encoding"] = "gzip"
    etag = response.headers.get("ETag")
    if etag:
        response.headers["ETag"] = gzip_etag(etag)


def gzip_etag(etag: str) -> str:
    """The gzip variant's ETag header for the identity variant's ``etag`` header (weakness kept)."""
    tag, weak = unquote_etag(etag)
    return quote_etag(f"{tag}{store.GZIP_ETAG_SUFFIX}", weak)


def _conditional(response: Response, entry: store.Entry, gzip_ok: bool) -> Response:
    """304 when ``If-None-Match`` names the identity ETag or, for a client that accepts gzip, the gzip
    one (a cache may hold either variant); the 304 carries the ETag it matched, so the client knows
    which of its stored responses is still current. Werkzeug drops Content-Encoding and the body."""
    identity = entry.header("ETag")
    if not request.if_none_match or not identity:
        return response
    # the served variant's first (``*`` matches it), then the identity one
    candidates = (gzip_etag(identity), identity) if gzip_ok and entry.gzip is not None else (identity,)
    for etag in candidates:
        if request.if_none_match.contains_weak(unquote_etag(etag)[0]):  # also true for ``*``
            response.headers["ETag"] = etag
            return response.make_conditional(request)
    return response


def _hit(entry: store.Entry, gzip_ok: bool) -> Response:
    """The stored representation: gzip when accepted and there is a variant, else identity."""
    use_gzip = gzip_ok and entry.gzip is not None
    response = current_app.response_class(entry.gzip if use_gzip else entry.body, status=200, headers=list(entry.headers))
    if use_gzip:
        _as_gzip(response)
    response.headers["X-Cache"] = "hit"
    response.pollapp_cached = True  # type: ignore[attr-defined]  (final: the API's validators skip it)
    return _conditional(response, entry, gzip_ok)
