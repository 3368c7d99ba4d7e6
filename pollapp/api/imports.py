"""``POST /api/v1/imports``: upload a poll file (multipart/form-data) and import it with the same
service as ``flask data import``: all or nothing, idempotent, every problem listed by row and column."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from pollapp.api.blueprint import Blueprint, BoundedJsonParser
from webargs.multidictproxy import MultiDictProxy

from pollapp.api.auth import requires_key
from pollapp.api.idempotency import commit, idempotent
from pollapp.extensions import db
from pollapp.schemas.imports import ImportFormSchema, ImportReportSchema, import_validators, report_body
from pollapp.services import history, imports

PATH = "/imports"


class _Parser(BoundedJsonParser):
    """webargs' Flask parser with a ``multipart`` location: the form fields and the files of one
    multipart/form-data body, validated by one schema."""


_parser = _Parser()


@_parser.location_loader("multipart")
def _load_multipart(request: Any, schema: Any) -> MultiDictProxy:
    data = request.form.copy()
    data.update(request.files)
    return MultiDictProxy(data, schema)


class _UploadBlueprint(Blueprint):
    ARGUMENTS_PARSER = _parser
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "multipart": "multipart/form-data"}


blp = _UploadBlueprint("imports", __name__, description="Bulk imports of poll files (pollapp CSV/JSON, FiveThirtyEight).")


@blp.route("")
class Imports(MethodView):
    @requires_key(blp, "write")
    @idempotent(blp)
    @blp.no_query_arguments()
    @blp.arguments(ImportFormSchema, location="multipart")
    @blp.response(201, ImportReportSchema, description="Imported: the counts of what was created, updated and unchanged.")
    @blp.alt_response(200, schema=ImportReportSchema, description="Dry run: what an import would do; nothing written.")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, form: dict[str, Any]):
        """Import a poll file; `dry_run` validates and reports without writing. A file with any problem
        writes nothing and answers 422 with every problem (row, column, message; the first 100 and
        the total)."""
        upload = form["file"]
        name = (upload.filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"
        try:
            data = upload.read()
        finally:
            upload.close()  # a large part is spooled to a temporary file: release it now
        history.set_reason(db.session, form["reason"])
        try:
            report = imports.import_data(
                db.session, data, name, import_validators(), fmt=form["format"], series_slug=form["series"]
            )
        except Exception:
            db.session.rollback()
            raise
        if form["dry_run"]:
            db.session.rollback()
        else:
            commit()
        body = report_body(report, dry_run=form["dry_run"], reason=form["reason"])
        return body, 200 if form["dry_run"] else 201
