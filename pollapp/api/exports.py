"""``/api/v1/series/{slug}/data.{csv,tsv,json,xlsx,parquet}`` and ``.../datapackage.json``: downloads
of a series' points, long or wide, and their Frictionless Data Package descriptor.

CSV, TSV and JSON stream (``direct_passthrough``, so caching.py never buffers them to hash the body);
every download carries a strong ETag from the series' data version (cached by its fingerprint, see
:mod:`pollapp.services.data_version`) and the normalised arguments, answered 304 before any row is
loaded, and the data version itself as ``Pollapp-Data-Version``. ``as_of`` rebuilds the rows as served
at that instant; a settled past instant's download never changes (``Cache-Control: immutable``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.api.statistics import stats_cache
from pollapp.extensions import db
from pollapp.repository import PointFilters
from pollapp.schemas.exports import DataPackageArgsSchema, ExportArgsSchema
from pollapp.schemas import dictionary
from pollapp.services import data_version, exports, history_asof
from pollapp.services.series import get_series

PATH = "/series"
blp = Blueprint("exports", __name__, description="Downloads of a series' data with a Frictionless Data Package.")
BINARY = {"type": "string", "format": "binary"}
#: data.json is parsed as JSON by clients (and by Schemathesis): an array of row objects, not a binary string.
JSON_ROWS = {"type": "array", "items": {"type": "object"}}


def _download(slug: str, args: dict[str, Any], fmt: str) -> Response:
    key = f"{exports.EXPORT_VERSION}:{fmt}:" + "&".join(f"{k}={args[k]!r}" for k in sorted(args))
    as_of = args["as_of"]
    series = get_series(db.session, slug)
    version = data_version.series_data_version(db.session, series, as_of=as_of, cache=stats_cache())
    etag = data_version.validator(version, as_of, key, data_version.definition_of(series))
    if request.if_none_match.contains(etag):
        return _validators(current_app.response_class(status=200), etag, version, as_of).make_conditional(request)
    table = exports.table(db.session, slug, _filters(args), args["shape"], as_of=as_of)
    writers: dict[str, Callable[[exports.Table], Any]] = {
        "csv": exports.delimited,
        "tsv": lambda t: exports.delimited(t, "\t"),
        "json": exports.json_chunks,
        "xlsx": exports.xlsx_bytes,
        "parquet": exports.parquet_bytes,
    }
    body = writers[fmt](table)
    if not isinstance(body, bytes):
        # rows are fetched from the database while the body is sent: keep the request (and so the
        # session and its cursor) alive until the last chunk
        body = stream_with_context(body)
    response = current_app.response_class(body, mimetype=exports.FORMATS[fmt])
    if not isinstance(body, bytes):
        response.direct_passthrough = True  # stream: caching.py must not buffer the body to hash it
    filename = exports.filename(slug, args["shape"], fmt)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _validators(response, etag, version, as_of)


def _filters(args: dict[str, Any]) -> PointFilters:
    return PointFilters(
        outcomes=args["outcome"],
        pollsters=args["pollster"],
        populations=[p.value for p in args["population"]],
        field_date_from=args["field_date_from"],
        field_date_to=args["field_date_to"],
    )


def _validators(response: Response, etag: str, version: str, as_of: Any = None) -> Response:
    response.set_etag(etag)  # caching.py leaves an ETag set here alone
    response.headers[data_version.HEADER] = version
    if history_asof.is_settled(as_of):
        response.headers["Cache-Control"] = data_version.IMMUTABLE
    else:
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['PUBLIC_MAX_AGE']}"
    return response


def _route(fmt: str, description: str, schema: dict[str, Any] = BINARY) -> None:
    mimetype = exports.FORMATS[fmt]

    @blp.arguments(ExportArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, schema, content_type=mimetype, description=description)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        return _download(slug, args, fmt)

    get.__doc__ = f"The series' points as {fmt.upper()}, long or wide (same filters as `/points`).\n\n{description}"
    view = type(f"SeriesData{fmt.capitalize()}", (MethodView,), {"get": get})
    blp.route(f"/<slug>/data.{fmt}")(view)


_route("csv", "Comma-separated, UTF-8, header row; streamed. Empty cell = unknown; booleans `true`/`false`.")
_route("tsv", "Tab-separated, UTF-8, header row; streamed. Empty cell = unknown.")
_route("json", "A JSON array of row objects (the items of `/points` in long form); streamed.", JSON_ROWS)
_route("xlsx", "An Excel workbook with one sheet named after the shape.")
_route("parquet", "Apache Parquet (typed columns: dates as date32, nullable integers and booleans).")


@blp.route("/<slug>/datapackage.json")
class SeriesDataPackage(MethodView):
    @blp.arguments(DataPackageArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "object"}, content_type="application/json",
                  description="A Frictionless Data Package descriptor (https://datapackage.org).")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """Frictionless Data Package of `data.csv` with the same arguments (filters, `shape`, `as_of`):
        Table Schema of every column of that shape (type, unit, description; in wide form one `pct`
        column per outcome, described by its label) and its primary key, sources, rights, a citation
        and the data version (a content hash of the series' rows); with `as_of`, of the data as
        served at that instant. The resource path is the download with the same arguments. The data
        dictionary of every field (`/docs/data`) is included as the inline resource
        `data-dictionary`."""
        base_url = request.url_root.rstrip("/") + request.path.rsplit("/", 1)[0]
        body = exports.datapackage(db.session, slug, base_url=base_url, as_of=args["as_of"],
                                   shape=args["shape"], filters=_filters(args))
        body["resources"].append(dictionary.datapackage_resource())  # the codebook travels with the data
        response = current_app.response_class(current_app.json.dumps(body), mimetype="application/json")
        response.headers[data_version.HEADER] = body["version"]
        if history_asof.is_settled(args["as_of"]):
            # the rows it describes never change (the descriptor's `created` does: a cached copy is as good)
            response.headers["Cache-Control"] = data_version.IMMUTABLE
        return response
