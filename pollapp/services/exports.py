"""Series downloads: the points of a series as CSV, TSV, JSON, xlsx or Parquet, long or wide, with a
Frictionless Data Package descriptor (Table Schema, sources, citation, data version).

Framework-free (no Flask, no marshmallow): rows come straight from the repository's SQL rows, never
row by row through a schema. CSV, TSV and JSON bodies are generators of encoded chunks so the view can
stream them; xlsx and Parquet are written from a pandas DataFrame typed from the field catalogue.

Long form: one row per (poll question, outcome), the columns of ``/series/{slug}/points``.
Wide form: one row per poll question, one ``pct`` column per series outcome (named by its code) and the
poll's methodology columns. The repository orders points by field end date, poll, question and outcome
position, so the wide rows are built by grouping consecutive rows (no pivot of the whole table needed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pandas as pd
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import InvalidParameter
from pollapp.models import Series
from pollapp.services.data_version import Hasher
from pollapp.services.data_version import points as version_points
from pollapp.services.series import _point, get_series

SHAPES = ("long", "wide")
FORMATS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
MODES_SEPARATOR = ";"
EXPORT_VERSION = 1  # bump when the layout of the files changes (part of the ETag)


@dataclass(frozen=True)
class Field:
    """One column of an export: its name (the JSON field name), Table Schema type, unit and meaning."""

    name: str
    type: str
    description: str
    unit: str | None = None
    format: str | None = None

    def table_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.format:
            out["format"] = self.format
        out["description"] = self.description
        if self.unit:
            out["unit"] = self.unit
        return out


FIELDS: tuple[Field, ...] = (
    Field("poll_id", "integer", "pollapp id of the poll (GET /api/v1/polls/{poll_id})."),
    Field("question_id", "integer", "pollapp id of the poll's question measuring this series."),
    Field("outcome", "string", "Code of the series outcome."),
    Field("pct", "number", "Sum of the answers mapped onto the outcome, percent of respondents as published (0-100).",
          "percent"),
    Field("pollster", "string", "Slug of the pollster that conducted the poll."),
    Field("pollster_name", "string", "Name of the pollster, to be credited for the figures."),
    Field("field_start_date", "date", "First day of fieldwork (ISO 8601)."),
    Field("field_end_date", "date", "Last day of fieldwork (ISO 8601)."),
    Field("field_dates_precision", "string", "How precisely the fieldwork dates are known (day, month, ...)."),
    Field("publication_date", "date", "Day the results were published (ISO 8601), empty if unknown."),
    Field("country", "string", "ISO 3166-1 alpha-2 code of the country polled."),
    Field("population", "string", "Population the question's sample represents (e.g. adults, registered_voters)."),
    Field("sample_size", "integer", "Respondents: the question's base n if given, else the poll's sample size; "
          "empty if unknown.", "respondents"),
    Field("sample_type", "string", "Probability, non-probability or mixed sample; empty if unknown."),
    Field("modes", "string", f"Data collection modes, separated by '{MODES_SEPARATOR}' (a list in the JSON export)."),
    Field("design_effect", "number", "Design effect published by the pollster (>= 1); empty if unknown."),
    Field("margin_of_error", "number", "Margin of error published by the pollster; empty if unknown.",
          "percentage points"),
    Field("partisan", "boolean", "Whether the poll was sponsored by a party or campaign."),
    Field("tracking", "boolean", "Whether the poll is a tracking poll (overlapping samples)."),
    Field("source_url", "string", "Where the pollster published the results.", format="uri"),
)
_BY_NAME = {f.name: f for f in FIELDS}
assert tuple(_BY_NAME) == repository.POINT_COLUMNS, "the catalogue must describe every point column"
WIDE_KEYS = ("poll_id", "question_id")
PRIMARY_KEYS = {"long": (*WIDE_KEYS, "outcome"), "wide": WIDE_KEYS}
METHODOLOGY = tuple(n for n in repository.POINT_COLUMNS if n not in (*WIDE_KEYS, "outcome", "pct"))


@dataclass
class Table:
    """An export: its series, shape, fields (in column order) and rows (dicts; consumed once)."""

    series: Series
    shape: str
    fields: list[Field]
    rows: Iterable[dict[str, Any]]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


def filename(slug: str, shape: str, fmt: str) -> str:
    return f"{slug}-{shape}.{fmt}"


def fields_for(series: Series, shape: str) -> list[Field]:
    """The columns of an export of ``series`` in ``shape``."""
    if shape == "long":
        return list(FIELDS)
    if shape != "wide":
        raise InvalidParameter("shape", f"Must be one of: {', '.join(SHAPES)}.")
    outcome_fields = [
        Field(o.code, "number", f"Percent of respondents for the outcome '{o.label}' (sum of the mapped answers, "
              "as published); empty if the question does not measure it.", "percent")
        for o in sorted(series.outcomes, key=lambda o: o.position)
    ]
    clash = {f.name for f in outcome_fields} & set(repository.POINT_COLUMNS)
    if clash:
        raise InvalidParameter("shape", f"The wide shape is unavailable: outcome code(s) {sorted(clash)} "
                                        "equal a column name; use the long shape.")
    return [_BY_NAME[n] for n in WIDE_KEYS] + outcome_fields + [_BY_NAME[n] for n in METHODOLOGY]


def table(
    session: Session, slug: str, filters: repository.PointFilters, shape: str = "long", *, as_of: dt.datetime | None = None
) -> Table:
    """The rows of a series export (filters as for ``/points``; ``as_of``: as served at that instant,
    see :mod:`pollapp.services.history_asof`). Raises NotFound for an unknown series.

    Unknown series and bad arguments raise here, before a response starts; the rows are streamed from
    the database as they are consumed (``repository.series_points_stream``), never all in memory."""
    series = get_series(session, slug)
    fields = fields_for(series, shape)
    points = version_points(session, series, filters, as_of)
    rows = (_point(p) for p in points)
    return Table(series, shape, fields, rows if shape == "long" else _wide(rows, fields))


def _wide(points: Iterable[dict[str, Any]], fields: Sequence[Field]) -> Iterator[dict[str, Any]]:
    outcome_names = [f.name for f in fields if f.name not in WIDE_KEYS and f.name not in METHODOLOGY]
    for _, group in itertools.groupby(points, key=lambda p: (p["poll_id"], p["question_id"])):
        group = list(group)
        row = {n: group[0][n] for n in WIDE_KEYS}
        row.update(dict.fromkeys(outcome_names))
        row.update({p["outcome"]: p["pct"] for p in group})
        row.update({n: group[0][n] for n in METHODOLOGY})
        yield row


# ---------------------------------------------------------------- encoders


def _cell(value: Any) -> Any:
    """A value as a flat file holds it: dates ISO, booleans lower case, lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return MODES_SEPARATOR.join(value)
    return value


def delimited(t: Table, delimiter: str = ",", chunk_rows: int = 1000) -> Iterator[bytes]:
    """CSV (or TSV with ``delimiter="\\t"``) in UTF-8, header first, in chunks of ``chunk_rows`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(t.columns)
    columns = t.columns
    for i, row in enumerate(t.rows, 1):
        writer.writerow([_cell(row[c]) for c in columns])
        if i % chunk_rows == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(t: Table) -> Iterator[bytes]:
    """A JSON array of row objects (the items of ``/points`` in long form), one row per chunk."""
    yield b"["
    for i, row in enumerate(t.rows):
        yield (b",\n" if i else b"\n") + orjson.dumps(row)
    yield b"\n]\n"


_DTYPES = {"integer": "Int64", "number": "float64", "boolean": "boolean"}


def dataframe(t: Table) -> pd.DataFrame:
    """The export as a DataFrame typed from the catalogue (nullable integers and booleans, dates as
    ``datetime.date`` so Parquet stores date32 and xlsx date cells)."""
    columns = t.columns
    records = [
        [MODES_SEPARATOR.join(v) if isinstance(v, list) else v for v in (row[c] for c in columns)] for row in t.rows
    ]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for f in t.fields:
        if f.type in _DTYPES:
            frame[f.name] = frame[f.name].astype(_DTYPES[f.type])
        elif f.type == "string":
            frame[f.name] = frame[f.name].astype("object")
    return frame


def xlsx_bytes(t: Table) -> bytes:
    out = io.BytesIO()
    frame = dataframe(t)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=t.shape)
    return out.getvalue()


def parquet_bytes(t: Table) -> bytes:
    out = io.BytesIO()
    dataframe(t).to_parquet(out, engine="pyarrow", index=False)
    return out.getvalue()


# ---------------------------------------------------------------- versions and the data package


def datapackage(
    session: Session,
    slug: str,
    *,
    base_url: str = "",
    created: dt.datetime | None = None,
    as_of: dt.datetime | None = None,
    shape: str = "long",
    filters: repository.PointFilters | None = None,
) -> dict[str, Any]:
    """A Frictionless Data Package descriptor for the CSV export of a series in ``shape``, with the
    download's ``filters`` and ``as_of`` (the resource path carries them, so the descriptor names
    exactly the file it describes).

    ``version`` is the series' data version (of every row, as the downloads' ``Pollapp-Data-Version``
    header), whatever the filters; ``sources`` credit the pollsters of the rows the file holds.

    No licence is invented for the figures: they are published poll results credited to their
    pollsters (``sources``); ``licenses`` is present only when one is known, which pollapp does not
    record yet, so it is omitted and ``rights`` says so."""
    series = get_series(session, slug)
    fields = fields_for(series, shape)  # a clash of an outcome code with a column refuses wide here
    filters = filters or repository.PointFilters()
    filtered = filters != repository.PointFilters()
    hasher = Hasher()
    created = created or dt.datetime.now(dt.timezone.utc)
    as_of_text = as_of.isoformat().replace("+00:00", "Z") if as_of is not None else None
    sources: dict[tuple[str, str | None], dict[str, Any]] = {}
    for p in version_points(session, series, repository.PointFilters(), as_of):  # one streamed pass
        hasher.add(p)
        if not filtered:
            _credit(sources, p)
    if filtered:  # a second pass, over the rows of the filtered file only
        for p in version_points(session, series, filters, as_of):
            _credit(sources, p)
    version = hasher.hexdigest()
    pollsters = sorted({name for name, _ in sources})
    title = series.title
    csv_path = f"{base_url}/data.csv" if base_url else "data.csv"
    query = _download_query(filters, shape, as_of_text)
    if query:
        csv_path += f"?{query}"
    rows_are = "one row per poll question and outcome" if shape == "long" else (
        "one row per poll question, one percent column per outcome")
    return {
        "name": _package_name(series.slug),
        "title": title,
        "description": series.description or f"Poll results of the series '{title}', {rows_are}.",
        "version": version,
        "created": created.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "keywords": list(series.tags or []),
        "rights": (
            "The figures are published poll results; they belong to and must be credited to the pollsters "
            "listed in sources" + (f" ({', '.join(pollsters)})" if pollsters else "") + ". pollapp states no "
            "licence for them: check each pollster's terms before republishing."
        ),
        "sources": sorted(sources.values(), key=lambda s: (s["title"], s.get("path", ""))),
        "citation": (
            f"{title}. Poll results by {', '.join(pollsters) if pollsters else 'the credited pollsters'}, "
            f"compiled by pollapp (series '{series.slug}', data version {version}"
            + (f", as recorded at {as_of_text}" if as_of_text else "")
            + f", retrieved {created.date().isoformat()})."
        ),
        "resources": [
            {
                "name": _package_name(f"{series.slug}-{shape}"),
                "path": csv_path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": FORMATS["csv"],
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": True},
                "schema": {
                    "fields": [f.table_schema() for f in fields],
                    "missingValues": [""],
                    "primaryKey": list(PRIMARY_KEYS[shape]),
                },
            }
        ],
    }


def _credit(sources: dict[tuple[str, str | None], dict[str, Any]], p: dict[str, Any]) -> None:
    """Add the pollster (and the page it published on) of point row ``p`` to ``sources``."""
    key = (p["pollster_name"], p["source_url"])
    if key not in sources:
        source = {"title": p["pollster_name"]}
        if p["source_url"]:
            source["path"] = p["source_url"]
        sources[key] = source


def _download_query(filters: repository.PointFilters, shape: str, as_of_text: str | None) -> str:
    """The query string of the download a descriptor describes, parameters in the order the download
    documents them; empty for the unfiltered long form as it is now (so its path is plain ``data.csv``)."""
    pairs: list[tuple[str, str]] = [("outcome", v) for v in filters.outcomes]
    pairs += [("pollster", v) for v in filters.pollsters]
    pairs += [("population", v) for v in filters.populations]
    pairs += [(name, getattr(filters, name).isoformat()) for name in ("field_date_from", "field_date_to")
              if getattr(filters, name) is not None]
    if shape != "long":
        pairs.append(("shape", shape))
    if as_of_text:
        pairs.append(("as_of", as_of_text))
    return urllib.parse.urlencode(pairs, safe=":", quote_via=urllib.parse.quote)


def _package_name(slug: str) -> str:
    """Data Package names are lower case alphanumerics with ``-``, ``_`` and ``.``."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in slug.lower())
