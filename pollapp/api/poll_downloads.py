"""``/api/v1/polls.csv`` and ``/api/v1/polls.json``: every poll matching the list's filters in
pollapp's own import layout (see data/README.md), so a download re-imports to the same data; and
``/api/v1/polls/datapackage.json``, the Frictionless Data Package descriptor of ``polls.csv``.

Both downloads stream (``stream_with_context``: the chunked keyset queries run while the body is sent,
and ``direct_passthrough`` so caching.py never buffers the body to hash it). Each carries the poll
list's data version (:func:`pollapp.services.exports_polls_package.data_version`, one primary-key
read) as ``Pollapp-Data-Version`` and in a strong ETag with the normalised arguments, answered 304
before any poll is read. The version is read before the rows: a write committed in between can put
newer rows under it, never older ones, so a client holding it re-downloads at the next change.

The descriptor's path ``/polls/datapackage.json`` does not collide with ``/polls/<int:poll_id>``
(Werkzeug's int converter matches digits only, and a fixed rule outranks a converter anyway).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import urllib.parse
from typing import Any

import marshmallow as ma
import orjson
from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.extensions import db
from pollapp.api.polls import poll_filters
from pollapp.schemas import dictionary
from pollapp.schemas.poll_downloads import PollDownloadArgsSchema
from pollapp.services import data_version as series_versions
from pollapp.services import exports_polls, exports_polls_package

PATH = ""
blp = Blueprint("poll_downloads", __name__, description="Downloads of polls in pollapp's import layout.")
BINARY = {"type": "string", "format": "binary"}
DEFAULT_SORT = PollDownloadArgsSchema().fields["sort"].load_default


def _download(args: dict[str, Any], fmt: str):
    version = exports_polls_package.data_version(db.session)
    basis = [version, exports_polls.LAYOUT_VERSION, fmt, _query(args)]
    etag = hashlib.sha256(orjson.dumps(basis)).hexdigest()[:40]
    if request.if_none_match.contains(etag):
        return _validators(current_app.response_class(status=200), etag, version).make_conditional(request)
    writer = exports_polls.csv_chunks if fmt == "csv" else exports_polls.json_chunks
    body = stream_with_context(writer(db.session, poll_filters(args), sort=args["sort"]))
    response = current_app.response_class(body, mimetype=exports_polls.FORMATS[fmt])
    response.direct_passthrough = True
    name = exports_polls.filename(args["series"], fmt)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _validators(response, etag, version)


def _validators(response: Response, etag: str | None, version: str) -> Response:
    if etag:
        response.set_etag(etag)  # caching.py leaves an ETag set here alone
    response.headers[series_versions.HEADER] = version
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['PUBLIC_MAX_AGE']}"
    return response


def _query(args: dict[str, Any]) -> str:
    """The validated arguments as a query string, in the schema's order, defaults left out: the same
    file always has the same URL (the descriptor's resource path, a part of the ETag)."""
    pairs: list[tuple[str, str]] = []
    for name in PollDownloadArgsSchema().fields:
        value = args.get(name)
        if value is None or value == [] or (name == "sort" and value == DEFAULT_SORT):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, enum.Enum):
                item = item.value
            pairs.append((name, item.isoformat() if isinstance(item, dt.date) else str(item)))
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


@blp.route("/polls.csv")
class PollsCsv(MethodView):
    @blp.arguments(PollDownloadArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, BINARY, content_type="text/csv",
                  description="UTF-8 CSV, one row per answer, the columns documented in data/README.md; streamed.")
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """Every poll matching the filters of `/polls` as CSV in pollapp's import layout (no pagination).

        Described by `/polls/datapackage.json` with the same arguments. `Pollapp-Data-Version` is the
        poll list's data version (the database's data generation and the instant it last changed),
        also in the ETag: `If-None-Match` is answered 304 before any poll is read."""
        return _download(args, "csv")


@blp.route("/polls.json")
class PollsJson(MethodView):
    @blp.arguments(PollDownloadArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "array", "items": {"type": "object"}}, content_type="application/json",
                  description="A JSON array of poll documents in the import shape (the body of POST /polls plus "
                  "organisation names and series memberships); streamed.")
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """Every poll matching the filters of `/polls` as JSON documents that `POST /imports` accepts.

        `Pollapp-Data-Version` and the ETag as for `polls.csv`."""
        return _download(args, "json")


@blp.route("/polls/datapackage.json")
class PollsDataPackage(MethodView):
    @blp.arguments(PollDownloadArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "object"}, content_type="application/json",
                  description="A Frictionless Data Package descriptor (https://datapackage.org).")
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """Frictionless Data Package of `polls.csv` with the same arguments (the filters and `sort` of
        `/polls`): the Table Schema of every column (type, description, unit, the constraints the
        database enforces) and its primary key (`poll_key`, `question_code`, `answer_code`), the
        pollsters and pages it credits (`sources`), rights, a citation and the poll list's data version
        (also the `Pollapp-Data-Version` of `polls.csv`: the database's data generation and the instant
        it last changed). The resource path is `polls.csv` with the same arguments. The data dictionary
        of every field (`/docs/data`) is included as the inline resource `data-dictionary`."""
        query = _query(args)
        csv_path = request.url_root.rstrip("/") + request.path.rsplit("/", 2)[0] + "/polls.csv"
        version = exports_polls_package.data_version(db.session)
        body = exports_polls_package.datapackage(
            db.session, poll_filters(args), csv_path=csv_path + (f"?{query}" if query else ""),
            version=version, series=args["series"],
        )
        body["resources"].append(dictionary.datapackage_resource())  # the codebook travels with the data
        response = current_app.response_class(current_app.json.dumps(body), mimetype="application/json")
        return _validators(response, None, version)  # caching.py adds the ETag of the body
