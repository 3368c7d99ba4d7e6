"""The backup archive's format: a Frictionless data package describing every table of the metadata.

Everything is derived from ``Base.metadata`` (columns, types, primary and foreign keys), so a table or
column added by a later migration is dumped and restored without touching this module. Each table is
one JSON Lines resource (a header line with the column names, then one JSON array of values per
row, which Frictionless reads as a table) rather than CSV, because JSON keeps apart what CSV cannot without
conventions: NULL versus the empty string, JSON columns (lists and objects), numbers (integers stay
integers, floats are written in their shortest exact ``repr``), text with newlines and any Unicode.
Dates and timestamps are ISO 8601 strings; timestamps always in UTC with microseconds and an offset.

The layout is documented in docs/backup.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import sys
import typing
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Float, Integer, LargeBinary, Numeric, Table
from sqlalchemy.orm import Mapped

from pollapp.models import Base

FORMAT_VERSION = 1
DESCRIPTOR = "datapackage.json"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"
# recorded in the descriptor instead (pollapp:alembic_revision, pollapp:data_generation), or derived
# (series_data_versions: recomputed when the restore commits, pollapp.services.data_version_store)
SKIPPED_TABLES = {"alembic_version", "data_generation", "series_data_versions"}


def tables() -> list[Table]:
    """Every table of the metadata, parents before children (the order restore inserts in)."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def resource_path(table: Table) -> str:
    return f"data/{table.name}.jsonl"


def _json_kinds() -> dict[tuple[str, str], str]:
    """``array`` or ``object`` for each JSON column of a mapped class, read from its ``Mapped[...]``
    annotation: the metadata alone says only "JSON"."""
    kinds: dict[tuple[str, str], str] = {}
    for mapper in Base.registry.mappers:
        hints = typing.get_type_hints(mapper.class_, vars(sys.modules[mapper.class_.__module__]))
        for name, hint in hints.items():
            if typing.get_origin(hint) is Mapped:
                inner = typing.get_origin(typing.get_args(hint)[0]) or typing.get_args(hint)[0]
                if inner in (list, dict):
                    kinds[(mapper.local_table.name, name)] = "array" if inner is list else "object"
    return kinds


def field_type(table: Table, column: Any, json_kinds: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The Table Schema ``type`` (and ``format``/``constraints``) of one column."""
    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(kind, Enum):
        return {"type": "string", "constraints": {"enum": list(kind.enums)}}
    if isinstance(impl, Boolean):
        return {"type": "boolean"}
    if isinstance(impl, Integer):
        return {"type": "integer"}
    if isinstance(impl, (Float, Numeric)):
        return {"type": "number"}
    if isinstance(impl, DateTime):
        return {"type": "datetime", "format": DATETIME_FORMAT}
    if isinstance(impl, Date):
        return {"type": "date"}
    if isinstance(impl, JSON):
        return {"type": json_kinds.get((table.name, column.name), "any")}
    if isinstance(impl, LargeBinary):
        return {"type": "string", "format": "binary"}  # Table Schema: base64-encoded bytes
    return {"type": "string"}


def table_schema(table: Table, json_kinds: dict[tuple[str, str], str]) -> dict[str, Any]:
    fields = []
    for column in table.columns:
        field = {"name": column.name, **field_type(table, column, json_kinds)}
        if not column.nullable:
            field.setdefault("constraints", {})["required"] = True
        fields.append(field)
    schema: dict[str, Any] = {
        "fields": fields,
        "missingValues": [],  # only JSON null is missing: an empty string is a value
        "primaryKey": [c.name for c in table.primary_key.columns],
    }
    foreign_keys = [
        {"fields": [str(e.parent.name) for e in fk.elements],
         "reference": {"resource": fk.referred_table.name, "fields": [e.column.name for e in fk.elements]}}
        for fk in sorted(table.foreign_key_constraints, key=lambda fk: [e.parent.name for e in fk.elements])
    ]  # fmt: skip
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def schemas() -> dict[str, dict[str, Any]]:
    """The Table Schema of every dumped table, by table name."""
    kinds = _json_kinds()
    return {t.name: table_schema(t, kinds) for t in tables()}


def header(table: Table) -> list[str]:
    """The first line of a table's file: its column names, in the order of the values on every other line."""
    return [str(c.name) for c in table.columns]


def encoder(table: Table) -> Callable[[Any], list[Any]]:
    """Row -> JSON-ready list (in :func:`header` order): dates and timestamps as ISO strings, enums as their stored value."""
    converters: list[tuple[str, Callable[[Any], Any] | None]] = []
    for column in table.columns:
        impl = getattr(column.type, "impl", column.type)
        if isinstance(column.type, Enum):
            converters.append((str(column.name), lambda v: v.value if hasattr(v, "value") else v))
        elif isinstance(impl, DateTime):
            converters.append((str(column.name), lambda v: v.astimezone(dt.timezone.utc).strftime(DATETIME_FORMAT)))
        elif isinstance(impl, Date):
            converters.append((str(column.name), dt.date.isoformat))
        elif isinstance(impl, LargeBinary):  # e.g. a stored Idempotency-Key response body
            converters.append((str(column.name), lambda v: base64.b64encode(v).decode("ascii")))
        else:
            converters.append((str(column.name), None))

    def encode(row: Any) -> list[Any]:
        mapping = row._mapping
        return [
            convert(mapping[name]) if convert is not None and mapping[name] is not None else mapping[name]
            for name, convert in converters
        ]

    return encode


def decoder(table: Table, names: list[str]) -> Callable[[list[Any]], dict[str, Any]]:
    """JSON list (in the order of ``names``, the file's header) -> values for an INSERT (the inverse
    of :func:`encoder`)."""
    converters: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        impl = getattr(column.type, "impl", column.type)
        if isinstance(column.type, Enum) and column.type.enum_class is not None:
            converters[column.name] = column.type.enum_class
        elif isinstance(impl, DateTime):
            converters[column.name] = lambda v: dt.datetime.strptime(v, DATETIME_FORMAT).astimezone(dt.timezone.utc)
        elif isinstance(impl, Date):
            converters[column.name] = dt.date.fromisoformat
        elif isinstance(impl, Float):
            converters[column.name] = float
        elif isinstance(impl, LargeBinary):
            converters[column.name] = base64.b64decode

    def decode(values: list[Any]) -> dict[str, Any]:
        if len(values) != len(names):
            raise ValueError(f"{len(values)} values for {len(names)} columns")
        record = dict(zip(names, values))
        for name, convert in converters.items():
            value = record.get(name)
            if value is not None:
                record[name] = convert(value)
        return record

    return decode
