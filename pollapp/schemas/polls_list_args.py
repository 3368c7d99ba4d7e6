"""Query arguments of the poll list ``GET /api/v1/polls``: the filters, the text search and the sort
(the downloads ``/polls.csv`` and ``/polls.json`` take the same, without pagination:
:mod:`.poll_downloads`).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from pollapp.models import Mode, Population
from pollapp.schemas.common import COUNTRY, SLUG, PageArgsSchema
from pollapp.schemas.polls import _enum_field


POLL_SORTS = ["field_end_date", "-field_end_date", "publication_date", "-publication_date"]


class PollListArgsSchema(PageArgsSchema):
    pollster = ma.fields.List(ma.fields.String(validate=SLUG), load_default=list, metadata={"description": "Pollster slug (repeatable: any of)."})
    sponsor = ma.fields.List(ma.fields.String(validate=SLUG), load_default=list, metadata={"description": "Sponsor slug (repeatable: any of)."})
    country = ma.fields.List(ma.fields.String(validate=COUNTRY), load_default=list)
    population = ma.fields.List(_enum_field(Population), load_default=list)
    mode = ma.fields.List(_enum_field(Mode), load_default=list, metadata={"description": "Polls using any of these modes."})
    field_date_from = ma.fields.Date(
        load_default=None, metadata={"description": "Polls whose fieldwork ended on or after this date."}
    )
    field_date_to = ma.fields.Date(
        load_default=None, metadata={"description": "Polls whose fieldwork started on or before this date."}
    )
    series = ma.fields.String(load_default=None, validate=SLUG, metadata={"description": "Polls in this series."})
    tag = ma.fields.String(
        load_default=None, validate=validate.Length(min=1, max=80), metadata={"description": "Polls in any series with this tag."}
    )
    q = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=2, max=200),
        metadata={"description": "Text search in question wording (original and English), case-insensitive."},
    )
    sort = ma.fields.String(
        load_default="-field_end_date",
        validate=validate.OneOf(POLL_SORTS),
        metadata={"description": "Order; '-' for newest first. publication_date falls back to field_end_date."},
    )

    @ma.validates_schema
    def check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("field_date_from"), data.get("field_date_to")
        if start and end and end < start:
            raise ma.ValidationError({"field_date_to": ["field_date_to is before field_date_from."]})
