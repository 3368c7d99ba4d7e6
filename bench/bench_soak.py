"""Soak: sustained mixed load against gunicorn on PostgreSQL, checking for errors and memory growth.

The database holds the REAL seed (``data/``). The load is a mix a live site sees, from a Python load
generator on the same machine (2 processes x 4 threads, one connection per request):

- reads (55%): series list, a series' points, a 200-poll list page, a poll, an embed page, a poll card;
- trend requests (25%): ``/series/{slug}/trend`` for every seeded series (cached until a write
  changes the series' data version, then refitted);
- writes (20%): PATCH of a seeded poll's design effect (GET for the ETag, then PATCH with
  ``If-Match``; a 412 when another client won the race is a correct answer, counted as a conflict),
  and create-then-delete of a SYNTHETIC poll (``Idempotency-Key`` on the POST; the poll says it is
  synthetic and is deleted again).

An error is any 5xx, any connection failure, or any other status the request should not get.
Memory: every 5 s the resident set (VmRSS) of each gunicorn worker is sampled; the report compares
the mean of the first and the last fifth of the run.

Rate limits are switched off for the run (``POLLAPP_RATELIMIT_ENABLED=false``): this measures the app,
not the limiter. Run: ``.venv/bin/python bench/bench_soak.py [--seconds 180]`` with PostgreSQL at
``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench``), in its
schema ``bench_soak``, which is emptied first (no other schema is touched); skipped, saying why, when
PostgreSQL is unreachable.
Writes ``bench/results/soak.md`` and ``soak.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_PG = "postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench"
SCHEMA = "bench_soak"  # the only schema this benchmark empties
sys.path.insert(0, str(HERE))
BIN = Path(sys.executable).parent

SYNTHETIC_POLL = {
    # SYNTHETIC: created and deleted again by the soak; never part of data/.
    "pollster": "kiis",
    "self_sponsored": True,
    "field_start_date": "2025-01-02",
    "field_end_date": "2025-01-09",
    "country": "UA",
    "population": "adults",
    "population_description": "SYNTHETIC soak-test poll",
    "sample_size": 1000,
    "sample_type": "probability",
    "modes": ["phone_live"],
    "source_url": "https://example.org/synthetic-soak",
    "source": "synthetic-soak",
    "questions": [
        {
            "code": "synthetic_q",
            "wording": "SYNTHETIC soak-test question",
            "language": "en",
            "answers": [
                {"code": "yes", "label": "Yes", "pct": 50},
                {"code": "no", "label": "No", "pct": 50},
            ],
        }
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict, *args: str) -> str:
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_database(env: dict, url: str) -> str:
    """Empty the benchmark's schema, migrate, load data/, and create an admin key; returns the key."""
    from measure import reset_schema

    reset_schema(url)
    flask(env, "db", "upgrade")
    flask(env, "data", "load", str(ROOT / "data"))
    out = flask(env, "keys", "create", "soak", "--scope", "admin")
    token = re.search(r"pa_[0-9a-f]{8}_[A-Za-z0-9_-]+", out)
    if token is None:
        raise RuntimeError(f"no key in: {out}")
    return token.group(0)


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def call(self, method: str, path: str, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        if method != "GET":
            all_headers["Authorization"] = f"Bearer {self.token}"
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            payload = response.read()
            return response.status, dict(response.getheaders()), payload
        finally:
            conn.close()


def _load_worker(port: int, token: str, plan: dict, seconds: float, threads: int, seed: int, queue) -> None:
    records: list[tuple[str, int, float]] = []  # (kind, status or -1, seconds)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def timed(kind: str, fn) -> None:
        start = time.perf_counter()
        try:
            status = fn()
        except OSError:
            status = -1
        with lock:
            records.append((kind, status, time.perf_counter() - start))

    def loop(i: int) -> None:
        rng = random.Random(seed * 100 + i)
        client = Client(port, token)
        slugs, poll_ids = plan["slugs"], plan["poll_ids"]

        def patch_poll() -> int:
            poll_id = rng.choice(poll_ids)
            status, headers, _ = client.call("GET", f"/api/v1/polls/{poll_id}")
            if status != 200:
                return status
            change = {"design_effect": rng.choice([1.0, 1.2, 1.4])}
            status, _, _ = client.call("PATCH", f"/api/v1/polls/{poll_id}?reason=soak", change,
                                       {"If-Match": headers["ETag"]})
            return 412 if status == 412 else status

        def create_delete() -> int:
            doc = dict(SYNTHETIC_POLL, source_id=f"soak-{uuid.uuid4()}")
            status, headers, body = client.call("POST", "/api/v1/polls?reason=soak", doc,
                                                {"Idempotency-Key": str(uuid.uuid4())})
            if status != 201:
                return status
            poll_id = json.loads(body)["id"]
            status, headers, _ = client.call("GET", f"/api/v1/polls/{poll_id}")
            if status != 200:
                return status
            status, _, _ = client.call("DELETE", f"/api/v1/polls/{poll_id}?reason=soak",
                                       headers={"If-Match": headers["ETag"]})
            return status

        actions = [
            (20, "read: series list", lambda: client.call("GET", "/api/v1/series")[0]),
            (10, "read: points", lambda: client.call("GET", f"/api/v1/series/{rng.choice(slugs)}/points")[0]),
            (10, "read: 200-poll list", lambda: client.call("GET", "/api/v1/polls?limit=200")[0]),
            (5, "read: poll", lambda: client.call("GET", f"/api/v1/polls/{rng.choice(poll_ids)}")[0]),
            (5, "read: embed page", lambda: client.call("GET", f"/embed/series/{rng.choice(slugs)}")[0]),
            (5, "read: poll card", lambda: client.call("GET", f"/embed/polls/{rng.choice(poll_ids)}")[0]),
            (25, "trend", lambda: client.call("GET", rng.choice(plan["trends"]))[0]),
            (15, "write: PATCH with If-Match", patch_poll),
            (5, "write: POST + DELETE", create_delete),
        ]
        weights = [w for w, _, _ in actions]
        while time.perf_counter() < deadline:
            _, kind, fn = rng.choices(actions, weights)[0]
            timed(kind, fn)

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(records)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def plan_of(client: Client) -> dict:
    status, _, body = client.call("GET", "/api/v1/series?limit=100")
    slugs = [s["slug"] for s in json.loads(body)["items"]]
    status, _, body = client.call("GET", "/api/v1/polls?limit=200&pollster=kiis")
    poll_ids = [p["id"] for p in json.loads(body)["items"]]
    trends = []  # every (series, outcome) with enough polls for a trend
    for series in json.loads(body_of(client, "/api/v1/series?limit=100"))["items"]:
        for outcome in series["outcomes"]:
            path = f"/api/v1/series/{series['slug']}/trend?outcome={outcome['code']}"
            if client.call("GET", path)[0] == 200:
                trends.append(path)
    return {"slugs": slugs, "poll_ids": poll_ids, "trends": trends}


def body_of(client: Client, path: str) -> bytes:
    return client.call("GET", path)[2]


EXPECTED = {200, 201, 204, 304, 412}


def summarise(records: list[tuple[str, int, float]], seconds: float) -> list[dict]:
    rows = []
    for kind in sorted({r[0] for r in records}):
        mine = [r for r in records if r[0] == kind]
        times = sorted(r[2] for r in mine)
        statuses: dict[str, int] = {}
        for _, status, _ in mine:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        rows.append({
            "kind": kind,
            "requests": len(mine),
            "per_s": round(len(mine) / seconds, 1),
            "p50_ms": round(1000 * statistics.median(times), 1),
            "p99_ms": round(1000 * times[min(len(times) - 1, int(0.99 * len(times)))], 1),
            "errors": sum(1 for r in mine if r[1] not in EXPECTED),
            "conflicts_412": statuses.get("412", 0),
            "statuses": statuses,
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180.0)
    args = parser.parse_args()
    from measure import in_schema, unreachable

    url = in_schema(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), SCHEMA)
    skipped = unreachable(url)
    if skipped:
        print(f"soak skipped: PostgreSQL at {url.split('@')[-1]} unreachable ({skipped}); set BENCH_DATABASE_URL")
        return
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "pollapp", "OPENBLAS_NUM_THREADS": "1",
           "POLLAPP_RATELIMIT_ENABLED": "false"}
    token = prepare_database(env, url)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--preload",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        client = Client(port, token)
        for _ in range(200):
            try:
                if client.call("GET", "/healthz")[0] in (200, 404):
                    break
            except OSError:
                time.sleep(0.2)
        plan = plan_of(client)
        for path in plan["trends"] + [f"/embed/series/{slug}" for slug in plan["slugs"]]:
            for _ in range(3):  # warm both workers: imports, fitted trends, rendered pages
                client.call("GET", path)
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            start = time.perf_counter()
            while not stop.wait(5):
                total = sum(rss_mb(pid) for pid in worker_pids(server.pid))
                samples.append((round(time.perf_counter() - start, 1), round(total, 1)))

        sampler = threading.Thread(target=sample)
        sampler.start()
        queue = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_load_worker, args=(port, token, plan, args.seconds, 4, seed, queue))
                 for seed in (1, 2)]
        start = time.perf_counter()
        for p in procs:
            p.start()
        records = [r for _ in procs for r in queue.get()]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    rows = summarise(records, elapsed)
    fifth = max(1, len(samples) // 5)
    first = statistics.mean(s[1] for s in samples[:fifth])
    last = statistics.mean(s[1] for s in samples[-fifth:])
    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    result = {
        "machine": machine, "database": url.split("@")[-1], "seconds": round(elapsed, 1),
        "requests": len(records), "errors": sum(r["errors"] for r in rows), "rows": rows,
        "rss_samples_mb": samples, "rss_first_fifth_mb": round(first, 1), "rss_last_fifth_mb": round(last, 1),
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Soak (`bench/bench_soak.py`): mixed load on gunicorn (2 sync workers) + PostgreSQL, real seed data",
        "",
        f"Machine: {machine}. Duration {elapsed:.0f} s, {len(records):,} requests "
        f"({len(records) / elapsed:.1f}/s), **{result['errors']} errors**.",
        f"Workers' resident memory (sum of 2): first fifth of the run {first:.1f} MB, last fifth {last:.1f} MB "
        f"({100 * (last - first) / first:+.1f}%).",
        "",
        "| kind | requests | per s | p50 ms | p99 ms | errors | 412 conflicts |",
        "|---|---|---|---|---|---|---|",
        *[f"| {r['kind']} | {r['requests']:,} | {r['per_s']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | "
          f"{r['conflicts_412']} |" for r in rows],
        "",
        "Memory samples (s, MB): " + ", ".join(f"{t:.0f}:{m:.0f}" for t, m in samples),
        "",
    ]
    (out / "soak.md").write_text("\n".join(lines))
    print((out / "soak.md").read_text())
    if result["errors"]:
        for r in rows:
            if r["errors"]:
                print("errors in", r["kind"], r["statuses"], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
