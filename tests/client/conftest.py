"""The Python client tested against a LIVE pollapp server (:mod:`live_pollapp`): real HTTP over
TCP through the whole stack, no mocks, on the repository's real data (``data/``, the Putin-approval
file cut to one year: see :func:`live_pollapp.write_seed`).

``seeded`` is one server per session that tests only READ; a module that writes builds its own with
:func:`live_pollapp.live_server`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from live_pollapp import Live, live_server, write_seed


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    return write_seed(tmp_path_factory.mktemp("client-seed"))


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, seed_dir: Path) -> Iterator[Live]:
    """The session's read-only server (tests must not write to it)."""
    with live_server(tmp_path_factory.mktemp("client"), "client_reads", seed_dir) as live:
        yield live
