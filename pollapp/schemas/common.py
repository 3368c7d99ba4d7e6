"""Shared schema pieces: strict base schema, pagination arguments, list envelopes, field validators."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Must be a lowercase slug like 'rating-group'.")
CODE = validate.Regexp(
    r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$", error="Must be a lowercase code like 'peace_slightly_closer'."
)
COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="Must be an ISO 3166-1 alpha-2 country code like 'UA'.")
LANGUAGE = validate.Regexp(
    r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$", error="Must be a BCP 47 language tag like 'uk' or 'en'."
)
_URL = ma.fields.Url(schemes={"http", "https"}, validate=validate.Length(max=1000))


def url_field(**kwargs) -> ma.fields.Url:
    return ma.fields.Url(schemes={"http", "https"}, validate=validate.Length(max=1000), **kwargs)


def text_field(max_length: int = 20_000, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(max=max_length), **kwargs)


class StrictSchema(ma.Schema):
    """Rejects unknown fields (marshmallow's RAISE), so a typo never silently drops data."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class PageArgsSchema(StrictSchema):
    """Cursor pagination: pass ``next_cursor`` from the previous page as ``cursor``."""

    limit = ma.fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "Items per page (1-500, default 50)."},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "Opaque cursor from a previous page's `next_cursor`."},
    )


def envelope(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A list envelope ``{items, next_cursor, total}`` documented for one item schema."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True, metadata={"description": "Cursor of the next page; null on the last page."}
            ),
            "total": ma.fields.Integer(metadata={"description": "Number of items matching the filters."}),
            "Meta": type("Meta", (), {"ordered": True}),
        },
    )


def is_code(value: str) -> bool:
    return re.fullmatch(r"[a-z0-9]+(?:[_-][a-z0-9]+)*", value) is not None
