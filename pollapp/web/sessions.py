"""No cookie sessions: pollapp keeps no per-user state (reads are public, writes carry an API key).

Flask's default session interface builds an itsdangerous signer and looks for a session cookie on
every request, about 5% of the CPU of a cached read, for a session nothing ever reads or writes.
With this interface ``flask.session`` is Flask's ``NullSession`` (reading it is empty, writing to it
raises), and no ``Set-Cookie`` is ever sent.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SessionInterface


class NoSessions(SessionInterface):
    def open_session(self, app, request):  # None: Flask uses its NullSession
        return None

    def save_session(self, app, session, response) -> None:  # pragma: no cover - never called for a null session
        return None


def register(app: Flask) -> None:
    app.session_interface = NoSessions()
