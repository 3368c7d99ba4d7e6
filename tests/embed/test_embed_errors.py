"""Failures on the newsroom pages leak nothing: an unexpected exception is the generic 500 problem,
a database error a friendly 503 page (tests/test_outage.py takes a real database down)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from factories import PROBLEM
from pollapp.services import series as series_service

LEAKS = ("Traceback", "RuntimeError", "secret", "SELECT", "api_keys", "10.0.0.5", 'File "')


def test_an_unexpected_exception_on_a_page_is_a_generic_500(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: SELECT api_keys.key_hash FROM api_keys")

    monkeypatch.setattr(series_service, "list_series", explode)

    response = client.get("/")

    assert response.status_code == 500 and response.mimetype == PROBLEM
    assert response.get_json()["title"] == "Internal Server Error"
    assert not [leak for leak in LEAKS if leak in response.get_data(as_text=True)]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_database_error_on_a_page_is_a_friendly_503_page(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT api_keys.key_hash FROM api_keys", {}, Exception("connection refused to 10.0.0.5"))

    monkeypatch.setattr(series_service, "list_series", down)

    response = client.get("/")

    assert response.status_code == 503 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "temporarily unavailable" in html and not [leak for leak in LEAKS if leak in html]
    assert response.headers["Retry-After"] == "5" and response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
