"""Query arguments of the series downloads (``/series/{slug}/data.{ext}``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from pollapp.models import Population
from pollapp.schemas.common import CODE, SLUG, StrictSchema, as_of_field


class ExportArgsSchema(StrictSchema):
    """The filters of ``/series/{slug}/points`` (no pagination: a download holds every row) and the shape."""

    outcome = ma.fields.List(ma.fields.String(validate=CODE), load_default=list)
    pollster = ma.fields.List(ma.fields.String(validate=SLUG), load_default=list)
    population = ma.fields.List(ma.fields.Enum(Population, by_value=True), load_default=list)
    field_date_from = ma.fields.Date(load_default=None)
    field_date_to = ma.fields.Date(load_default=None)
    shape = ma.fields.String(
        load_default="long",
        validate=validate.OneOf(("long", "wide")),
        metadata={"description": "`long`: one row per poll question and outcome (the columns of `/points`); "
                  "`wide`: one row per poll question, one `pct` column per outcome named by its code."},
    )
    as_of = as_of_field()


class DataPackageArgsSchema(ExportArgsSchema):
    """The arguments of the download the descriptor describes (filters, ``shape``, ``as_of``): its
    resource path carries them and its Table Schema has the columns of that shape."""
