"""Charts: the query arguments of every chart URL (spec, images, embed pages) and of oEmbed.

The same schema serves the JSON API (flask-smorest, ``unknown=RAISE``) and the embed pages (loaded
with :func:`load_query`), so ``?pollser=`` is refused everywhere instead of silently changing a
newsroom's chart.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from pollapp.schemas.common import CODE, StrictSchema
from pollapp.services.chart_i18n import LANGUAGE_CODES
from pollapp.services.chart_options import MAX_SIZE, MIN_SIZE, THEMES
from pollapp.services.stats_inputs import TREND_METHODS

_SIZE = validate.Range(min=MIN_SIZE, max=MAX_SIZE, error=f"Must be between {MIN_SIZE} and {MAX_SIZE} pixels.")


def _choice(choices: tuple[str, ...], description: str) -> ma.fields.String:
    return ma.fields.String(load_default=None, validate=validate.OneOf(choices, error="Must be one of: {choices}."),
                            metadata={"description": description})


class LookArgsSchema(StrictSchema):
    """What every chart URL accepts: size, theme, title, language."""

    height = ma.fields.Integer(load_default=None, validate=_SIZE, metadata={"description": "Height in pixels."})
    width = ma.fields.Integer(load_default=None, validate=_SIZE, metadata={
        "description": "Width in pixels (default: as wide as the container; 640 for images)."})
    theme = _choice(THEMES, "light (default) or dark.")
    title = ma.fields.String(load_default=None, validate=validate.Length(max=200),
                             metadata={"description": "Title shown instead of the series' (or question's)."})
    lang = _choice(LANGUAGE_CODES, "Language of labels, numbers and dates: en (default) or uk.")


class ChartArgsSchema(LookArgsSchema):
    outcome = ma.fields.List(ma.fields.String(validate=CODE), load_default=list, metadata={
        "description": "Outcome code to draw (repeatable; default: every outcome of the series)."})
    method = _choice(TREND_METHODS, "Trend method: kalman (default), lowess, weighted, rolling.")
    start_date = ma.fields.Date(load_default=None, metadata={"description": "First day shown."})
    end_date = ma.fields.Date(load_default=None, metadata={"description": "Last day shown."})
    show_polls = ma.fields.Boolean(load_default=None, metadata={"description": "Draw the polls (default true)."})
    show_band = ma.fields.Boolean(load_default=None, metadata={"description": "Draw the trend band (default true)."})


class CardArgsSchema(LookArgsSchema):
    question = ma.fields.String(load_default=None, validate=CODE, metadata={
        "description": "Question code (default: the poll's first question)."})
    answer = ma.fields.String(load_default=None, validate=CODE, metadata={
        "description": "Answer code (default: the largest net answer, else the largest substantive answer)."})


class ImageArgsSchema(ChartArgsSchema):
    scale = ma.fields.Float(load_default=1.0, validate=validate.Range(min=0.5, max=3), allow_nan=False,
                            metadata={"description": "PNG pixel ratio (2 for high-density screens)."})


class CardImageArgsSchema(CardArgsSchema):
    scale = ma.fields.Float(load_default=1.0, validate=validate.Range(min=0.5, max=3), allow_nan=False,
                            metadata={"description": "PNG pixel ratio (2 for high-density screens)."})


class OEmbedArgsSchema(StrictSchema):
    url = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    maxwidth = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=10_000))
    maxheight = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=10_000))
    format = ma.fields.String(load_default="json", validate=validate.Length(max=20))


def load_query(schema: ma.Schema, args: Any) -> dict[str, Any]:
    """Load a query string (a Werkzeug MultiDict) with ``schema``: list fields take every value of a
    repeated parameter, other fields one (a repeated scalar is refused). Raises ValidationError with
    messages keyed by parameter."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in args:
        values = args.getlist(key)
        field = schema.fields.get(key)
        if isinstance(field, ma.fields.List):
            data[key] = values
        elif len(values) > 1:
            errors[key] = ["Give this parameter once."]
        else:
            data[key] = values[0]
    if errors:
        raise ma.ValidationError(errors)
    return schema.load(data)
