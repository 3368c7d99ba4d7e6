"""Revision history: a poll's revisions, a series' changelog and their query arguments."""

from __future__ import annotations

import marshmallow as ma

from pollapp.models import RevisionAction, SeriesChangeKind
from pollapp.schemas.common import INSTANT_EXAMPLE, Instant, PageArgsSchema, envelope


class ChangeSchema(ma.Schema):
    class Meta:
        ordered = True

    path = ma.fields.String(metadata={"description": "JSON Pointer into the revision's snapshot; questions and "
                                                     "answers are addressed by code, e.g. "
                                                     "`/poll/questions/q1/answers/yes/pct`."})
    from_ = ma.fields.Raw(data_key="from", attribute="from", allow_none=True,
                          metadata={"description": "Value before (null: absent)."})
    to = ma.fields.Raw(allow_none=True, metadata={"description": "Value after (null: absent)."})


class RevisionSchema(ma.Schema):
    class Meta:
        ordered = True

    revision = ma.fields.Integer(metadata={"description": "Revision number of the poll, from 1."})
    action = ma.fields.Enum(RevisionAction, by_value=True)
    recorded_at = ma.fields.DateTime(format="iso")
    actor = ma.fields.String(metadata={"description": "Name of the API key (or the CLI command) that wrote it."})
    reason = ma.fields.String(allow_none=True)
    content_hash = ma.fields.String(metadata={"description": "SHA-256 of the canonical JSON snapshot."})
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema),
                             metadata={"description": "What differs from the previous revision (empty for a create)."})


RevisionPageSchema = envelope(RevisionSchema, "RevisionPageSchema")


class HistoryArgsSchema(PageArgsSchema):
    pass


class SeriesChangeSchema(ma.Schema):
    class Meta:
        ordered = True

    poll_id = ma.fields.Integer()
    revision = ma.fields.Integer()
    recorded_at = ma.fields.DateTime(format="iso")
    kind = ma.fields.Enum(SeriesChangeKind, by_value=True,
                          metadata={"description": "`added`: the poll entered the series (created, mapped or "
                                                   "restored); `corrected`: it changed while in it; `removed`: "
                                                   "it left (deleted or unmapped)."})
    action = ma.fields.Enum(RevisionAction, by_value=True)
    actor = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    changed_paths = ma.fields.List(ma.fields.String(), metadata={"description": "Paths of the revision's changes."})


SeriesChangePageSchema = envelope(SeriesChangeSchema, "SeriesChangePageSchema")


class ChangesArgsSchema(PageArgsSchema):
    since = Instant(
        allow_future=True, load_default=None,
        metadata={"description": "Only changes recorded after this instant (ISO 8601 with a UTC offset, e.g. "
                                 f"`{INSTANT_EXAMPLE}`); default: every change since the series' first poll."},
    )
