"""Shared schema pieces: strict base schema, pagination arguments, list envelopes, field validators."""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from marshmallow import validate

class WholeMatch(validate.Regexp):
    """``validate.Regexp`` matching the WHOLE value: Python's ``$`` also matches before a final newline,
    so ``^[A-Z]{2}$`` let "UA\\n" through (and a slug "kiis\\n" reached a Location header: a 500). The
    pattern keeps its ``^...$`` form, which means the same in the OpenAPI (ECMA-262) description."""

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


SLUG = WholeMatch(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Must be a lowercase slug like 'rating-group'.")
CODE = WholeMatch(
    r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$", error="Must be a lowercase code like 'peace_slightly_closer'."
)
COUNTRY = WholeMatch(r"^[A-Z]{2}$", error="Must be an ISO 3166-1 alpha-2 country code like 'UA'.")
LANGUAGE = WholeMatch(
    r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$", error="Must be a BCP 47 language tag like 'uk' or 'en'."
)
_URL = ma.fields.Url(schemes={"http", "https"}, validate=validate.Length(max=1000))


def url_field(max_length: int = 1000, **kwargs) -> ma.fields.Url:
    return ma.fields.Url(schemes={"http", "https"}, validate=validate.Length(max=max_length), **kwargs)


def text_field(max_length: int = 20_000, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(max=max_length), **kwargs)


DB_INT_MAX = 2**31 - 1  # the INTEGER columns' range (PostgreSQL int4)


class WholeNumber(ma.fields.Integer):
    """An integer field that refuses a fractional number instead of truncating it (marshmallow's
    non-strict Integer turns 12.5 into 12), and one outside the database's INTEGER range (which
    would fail on insert). Digit strings are still accepted, for the CSV loader."""

    default_error_messages = {"range": f"Must be between {-DB_INT_MAX - 1} and {DB_INT_MAX}."}

    def _validated(self, value):
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and value != int(value):
            raise self.make_error("invalid", input=value)
        number = super()._validated(value)
        if number is not None and not -DB_INT_MAX - 1 <= number <= DB_INT_MAX:
            raise self.make_error("range")
        return number


NUL_MESSAGE = "Must not contain NUL (\\u0000) characters."


def nul_errors(value: Any) -> Any:
    """Error messages, nested like marshmallow's, for every string (or key) holding a NUL character:
    PostgreSQL cannot store one, so it is refused up front on every database."""
    if isinstance(value, str):
        return [NUL_MESSAGE] if "\x00" in value else None
    if isinstance(value, Mapping):
        errors: dict[Any, Any] = {}
        for key, item in value.items():
            found = [NUL_MESSAGE] if isinstance(key, str) and "\x00" in key else nul_errors(item)
            if found:
                errors[key] = found
        return errors or None
    if isinstance(value, (list, tuple)):
        indexed = {i: found for i, item in enumerate(value) if (found := nul_errors(item))}
        return indexed or None
    return None


class StrictSchema(ma.Schema):
    """Rejects unknown fields (marshmallow's RAISE), so a typo never silently drops data, and text
    holding NUL characters."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def refuse_nul_characters(self, data: Any, **kwargs: Any) -> Any:
        errors = nul_errors(data)
        if errors:
            raise ma.ValidationError(errors)
        return data


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


# ---------------------------------------------------------------- instants (revision history)

REASON_MAX_LENGTH = 500
INSTANT_EXAMPLE = "2025-06-01T12:00:00Z"


def parse_instant(value: Any, parameter: str, *, allow_future: bool = False) -> Any:
    """An ISO 8601 date-time WITH a UTC offset (``Z`` or ``+02:00``), as an aware UTC datetime.

    A naive date-time is refused rather than guessed (the same string means different moments in
    Kyiv and in New York, and a citation must name one); so is a future instant (no record of it
    exists yet). Both are 400 problems naming the parameter (:class:`InvalidParameter`)."""
    import datetime as dt

    from pollapp.exceptions import InvalidParameter

    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(parameter, f"Must be an ISO 8601 date-time with a UTC offset, e.g. {INSTANT_EXAMPLE}.")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidParameter(
            parameter, f"'{value[:40]}' is not an ISO 8601 date-time; use e.g. {INSTANT_EXAMPLE}."
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidParameter(
            parameter, f"'{value[:40]}' has no UTC offset; add 'Z' or e.g. '+02:00' (e.g. {INSTANT_EXAMPLE})."
        )
    moment = moment.astimezone(dt.timezone.utc)
    if not allow_future and moment > dt.datetime.now(dt.timezone.utc):
        raise InvalidParameter(parameter, "Must not be in the future: nothing has been recorded for that moment yet.")
    return moment


class Instant(ma.fields.Field):
    """A query parameter holding an ISO 8601 date-time with a UTC offset (see :func:`parse_instant`);
    malformed, naive and (unless ``allow_future``) future values are 400 problems."""

    def __init__(self, *, allow_future: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"type": "string", "format": "date-time", **kwargs["metadata"]}
        super().__init__(**kwargs)
        self.allow_future = allow_future

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return parse_instant(value, self.data_key or self.name, allow_future=self.allow_future)


AS_OF_DESCRIPTION = (
    "Reproduce the data as pollapp served it at this instant: an ISO 8601 date-time with a UTC offset "
    f"(e.g. `{INSTANT_EXAMPLE}`; a date-time without offset, or a future one, is a 400 problem). Every poll "
    "is taken at its latest revision recorded by then; corrections, deletions and additions after it are "
    "ignored. Responses for a past instant never change (`Cache-Control: immutable`)."
)


def as_of_field() -> Instant:
    return Instant(load_default=None, metadata={"description": AS_OF_DESCRIPTION})


class NoArgsSchema(StrictSchema):
    """The query string of an operation that takes no query parameters: empty, so that any parameter
    sent (a typo, a filter the operation does not have) is refused (422 naming it) instead of ignored."""


class WriteArgsSchema(StrictSchema):
    """Query arguments of the writes that change polls."""

    reason = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=REASON_MAX_LENGTH),
        metadata={"description": "Why the change is made, recorded in the poll's revision history "
                                 "(e.g. 'corrected sample size per pollster's release'); at most "
                                 f"{REASON_MAX_LENGTH} characters."},
    )


class DayOrInstant(ma.fields.Field):
    """``as_of`` of the statistics, which has two meanings told apart by the value's form:

    * a day (``YYYY-MM-DD``): a real-time estimate on today's data, using only polls *published* by
      then (issue 3);
    * an instant (ISO 8601 date-time with a UTC offset): the statistic as pollapp served it at that
      moment, from the data as recorded then (issue 4, :func:`parse_instant`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"type": "string", **kwargs["metadata"]}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return ma.fields.Date()._deserialize(value.strip(), attr, data)
        return parse_instant(value, self.data_key or self.name)
