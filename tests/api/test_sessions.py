"""No cookie sessions (pollapp.web.sessions): a cookie is never read nor set, and the session is Flask's
null session."""

from __future__ import annotations

import flask
import pytest
from flask.sessions import NullSession


def test_a_session_cookie_is_ignored_and_none_is_ever_set(app, client):
    client.set_cookie("session", "eyJ4IjoxfQ.forged.signature")

    response = client.get("/api/v1/pollsters")

    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with app.test_request_context("/", headers={"Cookie": "session=eyJ4IjoxfQ.forged.signature"}):
        app.preprocess_request()
        assert isinstance(flask.session, NullSession) and dict(flask.session) == {}
        with pytest.raises(RuntimeError):
            flask.session["x"] = 1
