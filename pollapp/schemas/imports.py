"""``POST /api/v1/imports``: the multipart form (file and options) and the import report; plus the
validators that the importers get injected (the API's own schemas, so a file obeys the same rules as
a ``POST /polls`` body), shared by the upload endpoint and ``flask data import``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate
from werkzeug.datastructures import FileStorage

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.schemas.common import SLUG, StrictSchema
from pollapp.schemas.errors import webargs_errors
from pollapp.schemas.organisations import PollsterInSchema, SponsorInSchema
from pollapp.schemas.polls import PollInSchema
from pollapp.schemas.series import SeriesInSchema
from pollapp.services.imports import FORMATS
from pollapp.services.imports_fte import Validators


class FileUpload(Upload):
    """A file part of the multipart body (a plain text field of the same name is refused)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Must be a file: send it as a multipart file part (with a filename).")
        return value


class ImportFormSchema(StrictSchema):
    """multipart/form-data fields of an upload."""

    file = FileUpload(required=True, metadata={"description": "The file: a pollapp poll CSV or JSON (the layout of "
                                           "`/polls.csv` and `/polls.json`) or a FiveThirtyEight approval CSV; UTF-8."})
    format = ma.fields.String(load_default="auto", validate=validate.OneOf(FORMATS),
                              metadata={"description": "Layout; `auto` detects it from the header."})
    series = ma.fields.String(load_default=None, validate=SLUG,
                              metadata={"description": "FiveThirtyEight files: add every imported question to this "
                                        "series (created if missing)."})
    dry_run = ma.fields.Boolean(load_default=False,
                                metadata={"description": "Validate and report what would change; write nothing (200)."})
    reason = ma.fields.String(load_default=None, validate=validate.Length(min=1, max=500),
                              metadata={"description": "Why the data is imported or corrected (kept with the changes)."})


class ImportCountsSchema(ma.Schema):
    class Meta:
        ordered = True

    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()


class ImportNoteSchema(ma.Schema):
    class Meta:
        ordered = True

    note = ma.fields.String()
    polls = ma.fields.Integer()


class ImportReportSchema(ma.Schema):
    """What an import created, updated and left unchanged (or would have, for a dry run)."""

    class Meta:
        ordered = True

    format = ma.fields.String(metadata={"description": "Layout imported: `pollapp` (CSV), `pollapp-json` or `fte`."})
    rows = ma.fields.Integer(metadata={"description": "Data rows (CSV) or poll documents (JSON) read."})
    dry_run = ma.fields.Boolean()
    changes = ma.fields.Integer(metadata={"description": "Records created or updated."})
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(ImportCountsSchema),
                            metadata={"description": "Per kind (polls, pollsters, sponsors, series, series members)."})
    question_bases = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                    metadata={"description": "FiveThirtyEight files: question bases per population."})
    notes = ma.fields.List(ma.fields.Nested(ImportNoteSchema))
    reason = ma.fields.String(allow_none=True)


def report_body(report: Any, *, dry_run: bool, reason: str | None) -> dict[str, Any]:
    return {
        "format": report.format,
        "rows": report.rows,
        "dry_run": dry_run,
        "changes": report.changes,
        "counts": report.counts,
        "question_bases": dict(report.bases),
        "notes": [{"note": text, "polls": n} for text, n in sorted(report.notes.items())],
        "reason": reason,
    }


def _validator(schema: ma.Schema) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Adapt a schema's ``load`` to the services' validator contract (raise InvalidInput)."""

    def validate_(raw: dict[str, Any]) -> dict[str, Any]:
        try:
            return schema.load(raw)
        except ma.ValidationError as exc:
            errors = [FieldError(e["pointer"], e["detail"]) for e in webargs_errors({"json": exc.messages})]
            raise InvalidInput("Invalid record.", errors) from exc

    return validate_


def import_validators() -> Validators:
    return Validators(
        pollster=_validator(PollsterInSchema()),
        sponsor=_validator(SponsorInSchema()),
        series=_validator(SeriesInSchema()),
        poll=_validator(PollInSchema()),
    )
