"""Listening on every SQLAlchemy session, once: what the modules that keep derived state at commit
(:mod:`pollapp.services.history`, :mod:`pollapp.services.data_generation`,
:mod:`pollapp.services.data_version_store`) share. Listeners of one event run in the order they were
first installed, which is how the application factory orders history, then the generation bump,
then the stored data versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session


def listen(handlers: dict[str, Callable[..., Any]]) -> None:
    """Listen with each handler on its session event (idempotent: an app factory called again, as
    tests do, adds nothing)."""
    for name, handler in handlers.items():
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
