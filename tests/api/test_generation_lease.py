"""The data generation's lease (pollapp.services.data_generation): the cached-hit path trusts a generation
it read for one lease, and every commit that moves the generation waits one lease before the writer
answers, so that a read after a write, through any instance, sees the write. Data: SYNTHETIC
(stats_support)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine

from factories import create_sponsor
from pollapp.extensions import db
from pollapp.repository import CommittedGenerationReader, committed_data_generation
from pollapp.services import data_generation
from stats_support import build_world


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_read_is_trusted_for_one_lease_after_its_select_was_sent(app, client, auth):
    clock = Clock()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    try:
        reader = CommittedGenerationReader(engine, lease=0.02, clock=clock)
        without = CommittedGenerationReader(engine)  # lease 0: every read asks
        with app.app_context():
            first = reader.read()
            assert reader.selects == 1 and first == committed_data_generation(db.session)
            db.session.remove()
        create_sponsor(client, auth, "moves-the-generation")  # committed, without any wait (lease 0 here)
        clock.now += 0.019
        assert reader.read() == first and reader.selects == 1  # within the lease: no SELECT, the value read
        clock.now += 0.001
        moved = reader.read()  # the lease ran out: asked again
        with app.app_context():
            assert reader.selects == 2 and moved == committed_data_generation(db.session) and moved > first
            db.session.remove()
        engine.dispose()  # a new connection is asked at once, lease or not
        assert reader.read() == moved and reader.selects == 3 and reader.connects == 2
        assert without.read() == without.read() == moved and without.selects == 2
    finally:
        engine.dispose()


def test_a_commit_that_moves_the_generation_waits_one_lease(more_apps, auth, monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(data_generation, "_wait", waited.append)
    leased = more_apps(GENERATION_LEASE_MS=250)
    with leased.app_context():
        assert data_generation.lease_of(db.engine) == 0.25
    assert leased.wsgi_app.reader.lease == 0.25  # the app's hit path reads with that lease
    client = leased.test_client()
    assert client.get("/api/v1/series").status_code == 200 and waited == []  # reads do not wait
    assert create_sponsor(client, auth, "a-write")["slug"] == "a-write"
    assert waited == [0.25]  # one commit moved the generation: one wait, of the lease
    refused = client.post("/api/v1/sponsors", json={"slug": "another", "name": "x", "colour": "red"}, headers=auth)
    assert refused.status_code in (400, 422) and waited == [0.25]  # nothing committed: no wait


def test_a_read_after_a_write_through_another_instance_sees_it(more_apps, auth, client, monkeypatch):
    """Instance B trusts the generation it read for one lease; a write through A answers one lease
    after its commit, so B's next read asks again and serves the new data, with its new ETag. The
    control: the same write without A's wait, within B's lease, is not seen by B. Time is B's reader's
    clock, which A's wait moves on (what the wait does to the real clock), so no timing can flake."""
    polls = build_world(client, auth, rounds=2)
    writer, reader = more_apps(GENERATION_LEASE_MS=500), more_apps(GENERATION_LEASE_MS=500)
    clock = Clock()
    reader.wsgi_app.reader.clock = clock
    a, b = writer.test_client(), reader.test_client()
    url = f"/api/v1/polls/{polls[0]['id']}"

    def read_through_b() -> Any:
        answered = b.get(url)
        assert answered.status_code == 200
        return answered

    def write_through_a(etag: str, sample_size: int) -> Any:
        answered = a.patch(url, json={"sample_size": sample_size}, headers={**auth, "If-Match": etag})
        assert answered.status_code == 200, answered.get_data(as_text=True)
        return answered

    read_through_b()
    before = read_through_b()
    assert before.headers["X-Cache"] == "hit"
    monkeypatch.setattr(data_generation, "_wait", lambda seconds: None)  # the control: no wait
    written = write_through_a(before.headers["ETag"], before.get_json()["sample_size"] + 1)
    stale = read_through_b()
    assert stale.headers["ETag"] == before.headers["ETag"] and stale.headers["X-Cache"] == "hit"
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(data_generation, "_wait", wait)
    clock.now += 0.2  # B has served from its lease for a while: the wait still outlasts it
    rewritten = write_through_a(written.headers["ETag"], written.get_json()["sample_size"] + 1)
    seen = read_through_b()
    assert waits == [0.5]
    assert seen.get_json()["sample_size"] == rewritten.get_json()["sample_size"]
    assert seen.headers["ETag"] == rewritten.headers["ETag"] != written.headers["ETag"]
