"""The poll list's data version and Table Schema (:mod:`pollapp.services.exports_polls_package`)."""

from __future__ import annotations

import re

from factories import create_poll, make_key
from pollapp.extensions import db
from pollapp.services import exports_polls_package, poll_layout


def version(app) -> str:
    with app.app_context():
        value = exports_polls_package.data_version(db.session)
        db.session.remove()
        return value


def test_the_version_moves_with_public_data_and_not_with_api_keys(app, client, auth, pollster):
    before = version(app)
    make_key(app, "read", "not-data")  # an API key is not public data: no new version
    assert version(app) == before

    create_poll(client, auth)

    after = version(app)
    assert after != before and re.fullmatch(r"\d+-\d{8}T\d{6}Z", after)
    assert int(after.split("-")[0]) > int(before.split("-")[0])


def test_the_schema_is_the_layout_and_its_key_is_always_filled():
    schema = exports_polls_package.table_schema()
    fields = {f["name"]: f for f in schema["fields"]}
    assert tuple(fields) == poll_layout.NAMES
    assert set(exports_polls_package.REQUIRED) | set(exports_polls_package.CONSTRAINTS) <= set(fields)
    assert all(fields[name]["constraints"]["required"] for name in schema["primaryKey"])
    assert all("required" not in f.get("constraints", {}) for n, f in fields.items()
               if n not in exports_polls_package.REQUIRED)
