"""The Frictionless Data Package descriptor of the poll-list download ``/api/v1/polls.csv``, and the
data version both carry.

The data version of the poll list is the database's data generation with the instant of the commit
that set it (:func:`data_version`): one primary-key read. It moves in the transaction of every change
of public data (:mod:`pollapp.services.data_generation`), so it never stays the same when a row of the
download changes; it also moves when something the file does not show changes (a series' title, say),
which costs a researcher a needless re-download, never a wrong citation. Unlike a series' version it is
not a content hash: hashing every poll, question and answer would cost a full read of the database per
change, where the series' hash reads one series. It names a state of this server's database, so a
citation names the server and the retrieval date with it.

The schema is built from the layout's column catalogue (:mod:`pollapp.services.poll_layout`, the one
the CSV writer and the importer use), so the descriptor's fields are the CSV header by construction.
Constraints are only those the database enforces (NOT NULL, enumerations, check constraints), so
every file the server writes meets them. Framework-free: the view adds the data dictionary resource.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.models import DatePrecision, Population, SampleType
from pollapp.services import poll_layout

#: The layout's column types as Table Schema types (lists and names are ``;``-joined strings).
TYPES = {"text": "string", "slug": "string", "code": "string", "list": "string", "names": "string",
         "url": "string", "date": "date", "integer": "integer", "number": "number", "boolean": "boolean"}
PRIMARY_KEY = ("poll_key", "question_code", "answer_code")
#: Never empty in a download: NOT NULL columns of the database (and the key, written from the poll id).
REQUIRED = frozenset({
    "poll_key", "pollster", "pollster_name", "self_sponsored", "field_start_date", "field_end_date",
    "field_dates_precision", "country", "population", "partisan", "internal", "tracking",
    "question_code", "question_position", "wording", "wording_exact", "language", "multi_select",
    "remainder_not_reported", "answer_code", "answer_position", "answer_label", "pct", "substantive",
})  # fmt: skip
_POPULATIONS = [p.value for p in Population]
#: Enumerations and the database's check constraints (margins are > 0 there; Table Schema v1 has
#: only inclusive bounds, so the weaker ``minimum: 0`` is stated).
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "field_dates_precision": {"enum": [p.value for p in DatePrecision]},
    "population": {"enum": _POPULATIONS},
    "question_population": {"enum": _POPULATIONS},
    "sample_type": {"enum": [s.value for s in SampleType]},
    "sample_size": {"minimum": 1},
    "design_effect": {"minimum": 1},
    "margin_of_error": {"minimum": 0, "maximum": 100},
    "confidence_level": {"minimum": 0, "maximum": 100},
    "response_rate": {"minimum": 0, "maximum": 100},
    "question_position": {"minimum": 1},
    "base_n": {"minimum": 1},
    "pct": {"minimum": 0, "maximum": 100},
}
UNITS = {"pct": "percent", "margin_of_error": "percentage points", "confidence_level": "percent",
         "response_rate": "percent", "sample_size": "respondents", "base_n": "respondents"}


def table_schema() -> dict[str, Any]:
    """The Table Schema of ``polls.csv``: every column in file order, its type, description, unit and
    constraints; empty cells are missing values; one row per answer, keyed by poll, question, answer."""
    fields = []
    for column in poll_layout.COLUMNS:
        field: dict[str, Any] = {"name": column.name, "type": TYPES[column.type]}
        if column.name == "poll_key":
            field["type"] = "integer"  # in a download it is the poll's pollapp id
        if column.type == "url":
            field["format"] = "uri"
        description = column.description
        if column.type in ("list", "names"):
            description += f" A list separated by '{poll_layout.LIST_SEPARATOR}'."
        field["description"] = description
        if column.name in UNITS:
            field["unit"] = UNITS[column.name]
        constraints = dict(CONSTRAINTS.get(column.name, {}))
        if column.name in REQUIRED:
            constraints["required"] = True
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields, "missingValues": [""], "primaryKey": list(PRIMARY_KEY)}


def data_version(session: Session) -> str:
    """``<generation>-<instant of its commit, UTC, to the second>``, or ``0`` for a database no data
    change has reached yet (see the module docstring for why this and not a content hash)."""
    generation, changed_at = repository.data_generation_stamp(session)
    if changed_at is None:
        return str(generation)
    return f"{generation}-{changed_at.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}"


def datapackage(
    session: Session, filters: repository.PollFilters, *, csv_path: str, version: str,
    created: dt.datetime | None = None, series: str | None = None,
) -> dict[str, Any]:
    """The descriptor of the CSV at ``csv_path`` (the download with the filters in its query string):
    its Table Schema, the pollsters and pages it credits (``sources``), rights, a citation naming
    ``version`` and the retrieval date.

    As for a series, no licence is invented: the figures are published poll results credited to their
    pollsters, pollapp records no licence for them, so ``licenses`` is omitted and ``rights`` says so."""
    created = created or dt.datetime.now(dt.timezone.utc)
    credits = sorted(repository.poll_sources(session, filters), key=lambda c: (c[0], c[1] or ""))
    sources = [{"title": name, **({"path": url} if url else {})} for name, url in credits]
    pollsters = sorted({name for name, _ in credits})
    filtered = filters != repository.PollFilters()
    scope = f"the polls of the series '{series}'" if series else "the polls"
    scope += " matching the download's filters" if filtered and not (series and _only_series(filters)) else ""
    name = "pollapp-polls" + (f"-{series}" if series else "")
    return {
        "name": name,
        "title": "pollapp polls" + (f" of the series '{series}'" if series else ""),
        "description": (
            f"Every poll of {scope} in pollapp's import layout (data/README.md): one row per answer, the "
            "poll's and the question's columns repeated on each of its rows. The file re-imports to the "
            "same data (flask data import, POST /api/v1/imports)."
        ),
        "version": version,
        "created": _instant(created),
        "rights": (
            "The figures are published poll results; they belong to and must be credited to the pollsters "
            "listed in sources" + (f" ({', '.join(pollsters)})" if pollsters else "") + ". pollapp states no "
            "licence for them: check each pollster's terms before republishing."
        ),
        "sources": sources,
        "citation": (
            f"Poll results by {', '.join(pollsters) if pollsters else 'the credited pollsters'}, compiled by "
            f"pollapp ({csv_path}, data version {version}, retrieved {created.date().isoformat()})."
        ),
        "resources": [
            {
                "name": name,
                "path": csv_path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": True},
                "schema": table_schema(),
            }
        ],
    }


def _only_series(filters: repository.PollFilters) -> bool:
    return filters == repository.PollFilters(series=filters.series)


def _instant(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")
