"""Probe each operation for error statuses the OpenAPI document does not list (release check, 9.4).

Usage, from the clone's root with `make run`'s database loaded: `PROBE_KEY=<an admin key> .venv/bin/python
docs/release-check/probe.py` (DATABASE_URL: the database to probe, default the one `make run` serves)."""
import os, json
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.abspath("instance/pollapp.db")); os.environ["POLLAPP_RATELIMIT_ENABLED"]="false"
from wsgi import app
spec = app.test_client().get("/api/v1/openapi.json").get_json()
c = app.test_client()
W = os.environ["PROBE_KEY"]
H = {"Authorization": f"Bearer {W}"}
def doc(path, method):
    return sorted(spec["paths"][path][method]["responses"])
def probe(method, url, path, **kw):
    r = c.open(url, method=method, **kw)
    d = doc(path, method.lower())
    flag = "" if str(r.status_code) in d or r.status_code < 400 else "  <-- UNDOCUMENTED"
    print(f"{method:6} {url[:70]:70} {r.status_code} {r.content_type[:24]:24} {flag}")
S="/api/v1/series/{slug}"
probe("GET","/api/v1/compare?poll_a=999999&poll_b=1365&outcome=ready","/api/v1/compare")
probe("GET","/api/v1/compare?poll_a=1373&poll_b=1365&outcome=bogus","/api/v1/compare")
probe("GET","/api/v1/series/ukraine-territorial-concessions/chart.vl.json?outcome=bogus",S+"/chart.vl.json")
probe("GET","/api/v1/series/ukraine-territorial-concessions/chart.vl.json?start_date=2025-01-01&end_date=2024-01-01",S+"/chart.vl.json")
probe("GET","/api/v1/polls/1365/card.vl.json?question=nope",'/api/v1/polls/{poll_id}/card.vl.json')
probe("GET","/api/v1/polls/1403/card.vl.json",'/api/v1/polls/{poll_id}/card.vl.json')
probe("GET","/api/v1/polls/1403/intervals",'/api/v1/polls/{poll_id}/intervals')
probe("GET","/api/v1/series/ukraine-territorial-concessions/trend?outcome=bogus",S+"/trend")
probe("GET","/api/v1/series/ukraine-territorial-concessions/trend?as_of=2020-01-01T00:00:00%2B00:00",S+"/trend")
probe("GET","/api/v1/series/ukraine-territorial-concessions/trend?as_of=2099-01-01T00:00:00%2B00:00",S+"/trend")
probe("GET","/api/v1/series/ukraine-territorial-concessions/trend.csv?outcome=bogus",S+"/trend.csv")
probe("GET","/api/v1/series/ukraine-direct-negotiations/house-effects?outcome=support",S+"/house-effects")
probe("GET","/api/v1/series/ukraine-direct-negotiations/adjusted-points?outcome=support",S+"/adjusted-points")
probe("GET","/api/v1/series/ukraine-territorial-concessions/members?bogus=1",S+"/members")
probe("GET","/api/v1/pollsters/kiis?bogus=1","/api/v1/pollsters/{slug}")
probe("GET","/api/v1/series/ukraine-territorial-concessions?bogus=1",S)
probe("GET","/api/v1/polls/1365?bogus=1","/api/v1/polls/{poll_id}")
probe("GET","/api/v1/polls/1365/history?cursor=xx","/api/v1/polls/{poll_id}/history")
probe("GET","/api/v1/pollsters?cursor=xx","/api/v1/pollsters")
probe("GET","/api/v1/series?cursor=xx","/api/v1/series")
probe("GET","/api/v1/sponsors?cursor=xx","/api/v1/sponsors")
probe("GET","/api/v1/polls/1365/history?cursor=xx","/api/v1/polls/{poll_id}/history")
probe("GET","/api/v1/series/ukraine-territorial-concessions/points?as_of=2099-01-01T00:00:00%2B00:00",S+"/points")
probe("POST","/api/v1/polls","/api/v1/polls", headers=H, data="{bad", content_type="application/json")
probe("POST","/api/v1/pollsters","/api/v1/pollsters", headers=H, data="{bad", content_type="application/json")
probe("POST","/api/v1/series","/api/v1/series", headers=H, data="{bad", content_type="application/json")
probe("POST","/api/v1/sponsors","/api/v1/sponsors", headers=H, data="{bad", content_type="application/json")
probe("POST","/api/v1/series/ukraine-territorial-concessions/members",S+"/members", headers=H, data="{bad", content_type="application/json")
probe("POST","/api/v1/series/ukraine-territorial-concessions/members",S+"/members", headers=H, json={"question_id": 1367, "outcomes": {}})
probe("POST","/api/v1/imports","/api/v1/imports", headers=H)
probe("POST","/api/v1/polls","/api/v1/polls", headers={**H, "Idempotency-Key": "x"*300}, json={})
probe("POST","/api/v1/imports","/api/v1/imports", headers={**H, "Idempotency-Key": "x"*300})
et = c.get("/api/v1/pollsters/kiis").headers["ETag"]
probe("PATCH","/api/v1/pollsters/kiis","/api/v1/pollsters/{slug}", headers={**H,"If-Match":et}, data="{bad", content_type="application/json")
probe("PATCH","/api/v1/pollsters/kiis","/api/v1/pollsters/{slug}", headers={**H,"If-Match":et}, json={"slug":"fom"})
et = c.get("/api/v1/series/ukraine-territorial-concessions").headers["ETag"]
probe("PATCH","/api/v1/series/ukraine-territorial-concessions",S, headers={**H,"If-Match":et}, json={"slug":"russia-putin-approval"})
et = c.get("/api/v1/polls/1365").headers["ETag"]
probe("PATCH","/api/v1/polls/1365","/api/v1/polls/{poll_id}", headers={**H,"If-Match":et}, data="{bad", content_type="application/json")
probe("DELETE","/api/v1/polls/1365?bogus=1","/api/v1/polls/{poll_id}", headers={**H,"If-Match":et})
probe("GET","/api/v1/polls.csv?pollster=nope","/api/v1/polls.csv")
probe("GET","/api/v1/series/nope/datapackage.json",S+"/datapackage.json")
probe("GET","/api/v1/polls?limit=100000","/api/v1/polls")
probe("POST","/api/v1/polls","/api/v1/polls", headers=H, data="x", content_type="text/plain")
