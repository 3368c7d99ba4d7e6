"""``/api/v1/polls.csv`` and ``/api/v1/polls.json``: every poll matching the list's filters in
pollapp's own import layout (see data/README.md), so a download re-imports to the same data.

Both stream (``stream_with_context``: the chunked keyset queries run while the body is sent, and
``direct_passthrough`` so caching.py never buffers the body to hash it).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, stream_with_context
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.extensions import db
from pollapp.api.polls import poll_filters
from pollapp.schemas.poll_downloads import PollDownloadArgsSchema
from pollapp.services import exports_polls

PATH = ""
blp = Blueprint("poll_downloads", __name__, description="Downloads of polls in pollapp's import layout.")
BINARY = {"type": "string", "format": "binary"}




def _download(args: dict[str, Any], fmt: str):
    writer = exports_polls.csv_chunks if fmt == "csv" else exports_polls.json_chunks
    body = stream_with_context(writer(db.session, poll_filters(args), sort=args["sort"]))
    response = current_app.response_class(body, mimetype=exports_polls.FORMATS[fmt])
    response.direct_passthrough = True
    name = exports_polls.filename(args["series"], fmt)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['PUBLIC_MAX_AGE']}"
    return response


@blp.route("/polls.csv")
class PollsCsv(MethodView):
    @blp.arguments(PollDownloadArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, BINARY, content_type="text/csv",
                  description="UTF-8 CSV, one row per answer, the columns documented in data/README.md; streamed.")
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """Every poll matching the filters of `/polls` as CSV in pollapp's import layout (no pagination)."""
        return _download(args, "csv")


@blp.route("/polls.json")
class PollsJson(MethodView):
    @blp.arguments(PollDownloadArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "array", "items": {"type": "object"}}, content_type="application/json",
                  description="A JSON array of poll documents in the import shape (the body of POST /polls plus "
                  "organisation names and series memberships); streamed.")
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """Every poll matching the filters of `/polls` as JSON documents that `POST /imports` accepts."""
        return _download(args, "json")
