"""Property-based tests (Hypothesis) of the import service (:func:`pollapp.services.imports.import_data`):
random and broken SYNTHETIC poll files, in pollapp's layout and FiveThirtyEight's, either import or
are refused with a domain error (never another exception); a refusal leaves the database exactly as
it was, and an untouched file, once accepted, has all its polls stored. The transaction is handled
as the CLI and the upload view do: commit on success, roll back on refusal."""

from __future__ import annotations

from hypothesis import event, given, settings
from sqlalchemy import select

from factories import db_fingerprint
from import_strategies import PROPERTY_SETTINGS as SETTINGS, poll_files, with_series  # noqa: F401 (fixture)
from pollapp.exceptions import DomainError
from pollapp.extensions import db
from pollapp.models import Poll
from pollapp.schemas.imports import import_validators
from pollapp.services import imports

def stored_keys(app) -> set[tuple[str, str]]:
    with app.app_context():
        keys = {tuple(row) for row in db.session.execute(select(Poll.source, Poll.source_id))}
        db.session.remove()
    return keys


def import_or_refuse(app, name: str, data: bytes) -> DomainError | None:
    with app.app_context():
        try:
            imports.import_data(db.session, data, name, import_validators())
        except DomainError as refused:
            db.session.rollback()
            return refused
        db.session.commit()
        db.session.remove()
    return None


@SETTINGS
@given(file=poll_files())
def test_broken_files_import_or_are_refused_whole(app, with_series, file):
    name, data, _ = file
    before = db_fingerprint(app)
    refused = import_or_refuse(app, name, data)
    event("refused" if refused else "imported")
    if refused is not None:
        assert 400 <= refused.status < 500 and refused.detail
        assert db_fingerprint(app) == before


@settings(SETTINGS, max_examples=15)
@given(file=poll_files(broken=False))
def test_an_accepted_file_has_all_its_polls_stored(app, with_series, file):
    name, data, keys = file
    assert import_or_refuse(app, name, data) is None
    assert keys <= stored_keys(app)
