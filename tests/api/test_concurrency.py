"""Optimistic concurrency through a real HTTP server (Werkzeug, one thread per request) on the test
database: parallel PATCHes that carry the same fresh ETag let exactly one through (the others get
412 and write nothing), and a client that edits a stale copy is refused instead of overwriting."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from werkzeug.serving import make_server

from factories import make_key, poll_doc
from pollapp.extensions import db
from pollapp.models import Poll

# Each writer changes another field, so a lost update would show as two changed fields.
CHANGES = [
    {"notes": "Writer 0 (synthetic)."},
    {"sample_size": 1001},
    {"region": "Writer 2 (synthetic)"},
    {"limitations": "Writer 3 (synthetic)."},
    {"quality_procedures": "Writer 4 (synthetic)."},
    {"population_description": "Writer 5 (synthetic)"},
    {"coverage_exclusions": "Writer 6 (synthetic)"},
    {"recruitment": "Writer 7 (synthetic)"},
]


@pytest.fixture
def server(app) -> Iterator[tuple[str, int]]:
    """The test app served on a free port in a background thread; shut down afterwards."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def call(address: tuple[str, int], method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        connection.close()


def test_parallel_patches_with_one_etag_let_exactly_one_through(server, app, pollster):
    # one key per writer, so that nothing but the poll itself makes them wait for each other
    tokens = [make_key(app, name=f"writer-{i}") for i in range(len(CHANGES))]
    status, headers, created = call(server, "POST", "/api/v1/polls", poll_doc(), {"Authorization": f"Bearer {tokens[0]}"})
    assert status == 201, created
    url = f"/api/v1/polls/{created['id']}"
    status, headers, original = call(server, "GET", url)
    etag = headers["ETag"]
    start = threading.Barrier(len(CHANGES))

    def patch(i: int) -> tuple[int, Any]:
        start.wait()
        status, _, body = call(server, "PATCH", url, CHANGES[i], {"Authorization": f"Bearer {tokens[i]}", "If-Match": etag})
        return status, body

    with ThreadPoolExecutor(len(CHANGES)) as pool:
        results = list(pool.map(patch, range(len(CHANGES))))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * (len(CHANGES) - 1), results
    winner = next(i for i, (status, _) in enumerate(results) if status == 200)
    _, _, final = call(server, "GET", url)
    changed = {k for k in original if final[k] != original[k]} - {"updated_at", "disclosure"}  # both derived
    assert changed == set(CHANGES[winner]), "exactly the winner's change, nothing of the losers'"
    _, _, history = call(server, "GET", f"{url}/history")
    assert [r["action"] for r in history["items"]] == ["update", "create"]
    assert history["items"][0]["actor"] == f"writer-{winner}"
    with app.app_context():
        assert db.session.get(Poll, created["id"]).version == 2


def test_an_edit_of_a_stale_copy_is_refused_not_lost(server, app, pollster):
    alice = {"Authorization": f"Bearer {make_key(app, name='alice')}"}
    bob = {"Authorization": f"Bearer {make_key(app, name='bob')}"}
    _, _, created = call(server, "POST", "/api/v1/polls", poll_doc(), alice)
    url = f"/api/v1/polls/{created['id']}"
    _, alice_read, _ = call(server, "GET", url)
    _, bob_read, _ = call(server, "GET", url)

    assert call(server, "PATCH", url, {"notes": "Bob's note (synthetic)."}, {**bob, "If-Match": bob_read["ETag"]})[0] == 200
    status, _, problem = call(server, "PATCH", url, {"sample_size": 1200}, {**alice, "If-Match": alice_read["ETag"]})
    assert status == 412 and "GET it again" in problem["detail"]
    assert call(server, "PATCH", url, {"sample_size": 1200}, alice)[0] == 428  # no If-Match at all

    _, fresh, _ = call(server, "GET", url)
    assert call(server, "PATCH", url, {"sample_size": 1200}, {**alice, "If-Match": fresh["ETag"]})[0] == 200
    _, _, final = call(server, "GET", url)
    assert final["notes"] == "Bob's note (synthetic)." and final["sample_size"] == 1200, "both edits kept"
