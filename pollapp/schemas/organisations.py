"""Pollsters (who conducted) and sponsors (who commissioned or paid)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from pollapp.schemas.common import COUNTRY, SLUG, PageArgsSchema, StrictSchema, envelope, text_field, url_field

MEMBERSHIPS = [
    "aapor_ti",  # AAPOR Transparency Initiative
    "esomar",
    "wapor",
    "british_polling_council",
    "sau",  # Sociological Association of Ukraine
    "other",
]


class PollsterInSchema(StrictSchema):
    slug = ma.fields.String(required=True, validate=[SLUG, validate.Length(max=80)])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = ma.fields.String(load_default=None, allow_none=True, validate=COUNTRY)
    website = url_field(max_length=500, load_default=None, allow_none=True)
    memberships = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(MEMBERSHIPS)),
        load_default=list,
        metadata={"description": "Professional memberships: " + ", ".join(MEMBERSHIPS)},
    )
    notes = text_field(load_default=None, allow_none=True)


class PollsterOutSchema(ma.Schema):
    class Meta:
        ordered = True

    slug = ma.fields.String()
    name = ma.fields.String()
    country = ma.fields.String(allow_none=True)
    website = ma.fields.String(allow_none=True)
    memberships = ma.fields.List(ma.fields.String())
    notes = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class SponsorInSchema(StrictSchema):
    slug = ma.fields.String(required=True, validate=[SLUG, validate.Length(max=80)])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = ma.fields.String(load_default=None, allow_none=True, validate=COUNTRY)
    website = url_field(max_length=500, load_default=None, allow_none=True)
    notes = text_field(load_default=None, allow_none=True)


class SponsorOutSchema(ma.Schema):
    class Meta:
        ordered = True

    slug = ma.fields.String()
    name = ma.fields.String()
    country = ma.fields.String(allow_none=True)
    website = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class RefSchema(ma.Schema):
    """A compact reference to a pollster or sponsor inside a poll."""

    class Meta:
        ordered = True

    slug = ma.fields.String()
    name = ma.fields.String()


PollsterPageSchema = envelope(PollsterOutSchema, "PollsterPage")
SponsorPageSchema = envelope(SponsorOutSchema, "SponsorPage")


class OrganisationListArgsSchema(PageArgsSchema):
    country = ma.fields.String(load_default=None, validate=COUNTRY)
