"""Query pieces every other repository module shares: the live-poll condition, the poll loading
options, the portable JSON-list filter, the row-count and rows-as-dicts helpers.

Kept apart (and importing no sibling) so the topical modules can all use them without import cycles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from sqlalchemy import String, Select, cast, func, select
from sqlalchemy.orm import Session, selectinload

from pollapp.models import Answer, Poll, Question


#: A poll that is not soft-deleted. Every read of polls for lists, series points, statistics, exports
#: and data versions applies it; only single-poll reads (to answer 410) and history see deleted polls.
LIVE = Poll.deleted_at.is_(None)


def _poll_loading() -> list[Any]:
    return [
        selectinload(Poll.pollster),
        selectinload(Poll.sponsors),
        selectinload(Poll.partners),
        selectinload(Poll.questions).selectinload(Question.answers).selectinload(Answer.components),
    ]


def _json_list_contains(column: Any, value: str) -> Any:
    """Portable "JSON list contains a token" for the enum-checked token lists (modes, tags):
    the serialised list contains the quoted token on both SQLite and PostgreSQL."""
    return cast(column, String).like(f'%"{value}"%')


def _dicts(result: Any) -> list[dict[str, Any]]:
    """A Core result's rows as dicts (``dict(row._mapping)`` rebuilds the keys for every row: several
    times slower on the tens of thousands of rows of a large series)."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _cursor_batches(
    session: Session, query: Select[Any], wanted: Sequence[str], *, json_columns: Sequence[str] = (), batch: int,
    stream: bool = True,
) -> Iterator[list[tuple[Any, ...]]]:
    """:func:`_cursor_column_batches` as row tuples of the ``wanted`` columns."""
    for columns in _cursor_column_batches(session, query, wanted, json_columns=json_columns, batch=batch, stream=stream):
        yield list(zip(*columns))


def _cursor_columns(
    session: Session, query: Select[Any], wanted: Sequence[str], *, raw: Sequence[str] = (), batch: int,
    params: dict[str, Any] | None = None,
) -> dict[str, list[Any]]:
    """Every row of ``query`` column-wise (name -> values) for a caller that builds a frame: no row
    tuple is made. The ``raw`` columns keep the driver's values (SQLite's ISO date strings, say) for
    the caller to convert in one vectorised pass."""
    out: dict[str, list[Any]] = {name: [] for name in wanted}
    for columns in _cursor_column_batches(session, query, wanted, batch=batch, stream=False, raw=raw, params=params):
        for name, values in zip(wanted, columns):
            out[name].extend(values)
    return out


def _cursor_column_batches(
    session: Session, query: Select[Any], wanted: Sequence[str], *, json_columns: Sequence[str] = (), batch: int,
    stream: bool = True, raw: Sequence[str] = (), params: dict[str, Any] | None = None,
) -> Iterator[list[Any]]:
    """The rows of ``query`` as tuples of its ``wanted`` columns (by label), in batches of up to
    ``batch`` rows, read from the DBAPI cursor of the session's connection (its transaction), not
    through SQLAlchemy's result rows, which cost about as much as the query itself on a large series
    (issue 7). The values SQLAlchemy would convert (dates and booleans on SQLite) are converted here
    with SQLAlchemy's own result processors, once per distinct value and column by column, so the
    tuples equal what a SQLAlchemy read gives; ``json_columns`` (selected as their stored text) are
    parsed with orjson. Select enumerations as their stored strings (``type_coerce(column, String)``):
    that is what ``orjson`` writes for the enum members too.

    ``stream``: a server-side cursor on PostgreSQL (a read of any size in constant memory). Without it
    the statement is executed by SQLAlchemy (its compiled-statement cache: no compile per call, which
    matters on small series) and only the fetching bypasses its rows: for callers that keep every row."""
    connection = session.connection()
    dialect = connection.dialect
    names = [column.name for column in query.selected_columns]
    at_wanted = [names.index(name) for name in wanted]
    at_json = {names.index(name) for name in json_columns}
    at_raw = {names.index(name) for name in raw}
    result = None
    if stream:
        compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})  # IN lists expanded
        params = compiled.construct_params()
        args: Any = tuple(params[name] for name in compiled.positiontup or ()) if compiled.positional else params
        cursor = _cursor(connection.connection, dialect.name)
    else:
        result = connection.execute(query, params)  # the default fetch strategy: no row is read ahead
        cursor = result.cursor
    try:
        if result is None:
            cursor.execute(str(compiled), args)
        converters: dict[int, _Memo] = {at: _Memo(orjson.loads) for at in at_json}
        for at, (column, described) in enumerate(zip(query.selected_columns, cursor.description)):
            process = dialect.type_descriptor(column.type).result_processor(dialect, described[1])
            if process is not None and at not in at_json and at not in at_raw:
                converters[at] = _Memo(process)
        while rows := cursor.fetchmany(batch):
            columns: list[Any] = list(zip(*rows))  # column by column: one C-level pass per conversion
            for at, memo in converters.items():
                columns[at] = list(map(memo.__getitem__, columns[at]))
            yield [columns[at] for at in at_wanted]
    finally:
        if result is not None:
            result.close()
        else:
            cursor.close()


class _Memo(dict[Any, Any]):
    """A value converter that converts each distinct value once (dates and ``modes`` texts repeat over
    thousands of rows). Converted values are shared between rows: read-only. None stays None."""

    def __init__(self, convert: Any) -> None:
        super().__init__({None: None})
        self._convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = self._convert(value)
        return converted


def _cursor(dbapi_connection: Any, dialect_name: str) -> Any:
    """A DBAPI cursor on the session's connection (its transaction): server-side on PostgreSQL, so a
    series of any size is fetched in batches, as ``stream_results`` does."""
    if dialect_name == "postgresql":
        return dbapi_connection.cursor(f"pollapp_rows_{uuid.uuid4().hex}")
    return dbapi_connection.cursor()
