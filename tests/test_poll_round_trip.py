"""Export -> import round trip of every series of the REAL seed data (``data/``), and what a
researcher's tools make of the downloads: pandas reads them with no cleaning and Frictionless
validates the served data package.

Database A is loaded with ``flask data load data/`` (a copy of the session's load: ``real_data``). For each format (CSV and JSON), a fresh database
B gets only the series definitions (``series.json``: series titles and outcomes are not part of a
poll file) and then, series by series, the polls A exports for it (``/polls.{csv,json}?series=SLUG``);
the series' data in B must equal A's (``/series/SLUG/data.csv`` with the database ids left out),
and re-importing any export, into B or A, must change nothing.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from factories import load_report
from pollapp import create_app
from pollapp.extensions import db

DATA = Path(__file__).resolve().parent.parent / "data"
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")


class Database:
    """A migrated database of this module's own (a SQLite file, or a PostgreSQL schema)."""

    def __init__(self, tmp: Path, label: str) -> None:
        config: dict = {"TESTING": True}
        self.schema = None
        if SERVER_URL and not SERVER_URL.startswith("sqlite"):
            self.schema = f"round_trip_{label}_{uuid.uuid4().hex[:10]}"
            self.admin = create_engine(SERVER_URL)
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            config["SQLALCHEMY_DATABASE_URI"] = SERVER_URL
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={self.schema}"}}
        else:
            config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp / (label + '.db')}"
        self.app: Flask = create_app(config)
        self.runner = self.app.test_cli_runner()
        self.client = self.app.test_client()
        result = self.runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output

    def invoke(self, *args: str):
        result = self.runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()
        if self.schema:
            with self.admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self.admin.dispose()


class Loaded(Database):
    """Database A: a copy of the session's load of ``data/`` (``real_data`` in conftest.py)."""

    def __init__(self, app: Flask) -> None:  # noqa: D107 - the copy is made and dropped by real_data
        self.schema = None
        self.app = app
        self.runner = app.test_cli_runner()
        self.client = app.test_client()


@pytest.fixture(scope="module")
def source(tmp_path_factory, real_data) -> Iterator[Database]:
    with real_data.copy(tmp_path_factory.mktemp("round_trip"), "round_trip_a") as app:
        yield Loaded(app)


@pytest.fixture(scope="module")
def slugs(source) -> list[str]:
    body = source.client.get("/api/v1/series?limit=500").get_json()
    assert len(body["items"]) >= 7
    return sorted(s["slug"] for s in body["items"])


def csv_rows(body: bytes) -> list[tuple]:
    frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False).drop(columns=["poll_key"])
    return sorted(map(tuple, frame.to_numpy().tolist()))


def series_data(database: Database, slug: str) -> list[tuple]:
    """The series' long CSV without the database ids, as sorted tuples of strings."""
    response = database.client.get(f"/api/v1/series/{slug}/data.csv")
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(response.get_data()), dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["poll_id", "question_id"])
    return sorted(map(tuple, frame.to_numpy().tolist()))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_every_series_survives_an_export_import_round_trip(fmt, source, slugs, tmp_path):
    series_only = tmp_path / "series_only"
    series_only.mkdir()
    shutil.copy(DATA / "series.json", series_only / "series.json")
    target = Database(tmp_path, f"b_{fmt}")
    try:
        target.invoke("data", "load", str(series_only))
        for slug in slugs:
            response = source.client.get(f"/api/v1/polls.{fmt}?series={slug}")
            assert response.status_code == 200
            path = tmp_path / f"{slug}.{fmt}"
            path.write_bytes(response.get_data())

            first = target.invoke("data", "import", str(path))
            again = target.invoke("data", "import", str(path))

            assert load_report(first)["polls"][0] + load_report(first)["polls"][2] > 0, first.output
            assert "changes: 0" in again.output, again.output
            assert series_data(target, slug) == series_data(source, slug), slug
        for slug in slugs:  # importing later series changed none of the earlier ones
            assert series_data(target, slug) == series_data(source, slug), slug
        exported = source.client.get(f"/api/v1/polls.{fmt}").get_data()
        imported = target.client.get(f"/api/v1/polls.{fmt}").get_data()
        if fmt == "json":  # the same documents (the order of polls with equal dates follows the ids)
            key = lambda d: (d["source"] or "", d["source_id"] or "")  # noqa: E731
            assert sorted(json.loads(exported), key=key) == sorted(json.loads(imported), key=key)
        else:  # the same rows, apart from poll_key (the poll's id in each database)
            assert csv_rows(exported) == csv_rows(imported)
    finally:
        target.close()


def test_re_importing_an_export_into_its_own_database_changes_nothing(source, tmp_path):
    for fmt in ("csv", "json"):
        path = tmp_path / f"all.{fmt}"
        path.write_bytes(source.client.get(f"/api/v1/polls.{fmt}").get_data())
        result = source.invoke("data", "import", str(path))
        report = load_report(result)
        assert report["polls"][:2] == (0, 0) and report["polls"][2] >= 1400, result.output
        assert "changes: 0" in result.output


# ---------------------------------------------------------------- researchers' tools


def test_pandas_reads_the_poll_download_with_no_cleaning(source):
    response = source.client.get("/api/v1/polls.csv?series=russia-putin-approval")
    frame = pd.read_csv(io.BytesIO(response.get_data()), parse_dates=["field_start_date", "field_end_date"])

    assert pd.api.types.is_datetime64_any_dtype(frame["field_end_date"])
    assert pd.api.types.is_float_dtype(frame["pct"]) and frame["pct"].between(0, 100).all()
    assert pd.api.types.is_numeric_dtype(frame["sample_size"]) and pd.api.types.is_numeric_dtype(frame["question_position"])
    assert frame["substantive"].dtype == bool and frame["tracking"].dtype == bool
    assert frame["poll_key"].nunique() >= 1374
    assert set(frame.columns) >= {"pollster", "pollster_name", "question_code", "answer_code", "series", "outcome"}


def test_pandas_reads_the_series_csv_and_parquet_with_sensible_types(source):
    slug = "ukraine-trust-zelensky"
    csv = pd.read_csv(io.BytesIO(source.client.get(f"/api/v1/series/{slug}/data.csv").get_data()),
                      parse_dates=["field_start_date", "field_end_date", "publication_date"])
    parquet = pd.read_parquet(io.BytesIO(source.client.get(f"/api/v1/series/{slug}/data.parquet").get_data()))

    for frame in (csv, parquet):
        assert len(frame) > 0
        assert pd.api.types.is_float_dtype(frame["pct"])
        assert pd.api.types.is_integer_dtype(frame["poll_id"])
        assert pd.api.types.is_numeric_dtype(frame["sample_size"])
        assert frame["partisan"].dtype in (bool, "boolean")
    assert pd.api.types.is_datetime64_any_dtype(csv["field_end_date"])
    assert all(hasattr(d, "isoformat") for d in parquet["field_end_date"])
    assert list(csv.columns) == list(parquet.columns)


@pytest.fixture(scope="module")
def served(source) -> Iterator[str]:
    """The seeded app served over HTTP on a free local port, so Frictionless fetches the descriptor
    and the resource at the URLs the descriptor itself names."""
    from live_pollapp import served_in_thread

    with served_in_thread(source.app, threaded=False) as url:
        yield url


@pytest.mark.parametrize("slug, query", [("russia-putin-approval", ""), ("ukraine-territorial-concessions", ""),
                                         ("ukraine-territorial-concessions", "?shape=wide")])
def test_frictionless_validates_the_served_data_package(served, slug, query):
    import frictionless

    report = frictionless.validate(f"{served}/api/v1/series/{slug}/datapackage.json{query}")

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    data, codebook = report.tasks  # the CSV (long, or wide with ?shape=wide) and the inline data dictionary
    assert data.stats["rows"] > 0 and codebook.stats["rows"] > 100
