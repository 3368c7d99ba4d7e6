"""HTTP benchmark: pollapp under gunicorn against the bare stack's ceiling, loaded by ``wrk``.

Every server runs with the same settings (``bench/loadgen.py``: 2 sync workers, ``--preload``,
``OPENBLAS_NUM_THREADS=1``); load is ``wrk -t2 -c32 -d<seconds>s --latency`` on 127.0.0.1 after a
warm-up (every worker has computed and cached the response). Cases:

- cached trend, series points page (200 rows), embed page: against ``bench/ceiling_app.py`` serving
  the very bytes and Content-Type of the app's response (target: ratio >= 0.60);
- poll list page of 200, uncached (``POLLAPP_RESPONSE_CACHE=0``; the setting comes with the response
  cache and is ignored by a build without it): against ``bench/baseline_list_app.py``, the same SELECTs
  with SQLAlchemy Core + orjson (target: ratio >= 1.0);
- the same list page with default settings (a repeated request: cached where a response cache exists),
  against the ceiling for its bytes.

The rate limiter stays on, with its limits raised (``POLLAPP_LIMIT_*``) so that no request gets a 429:
its cost is part of what is measured.

Datasets (SYNTHETIC, ``bench/fill.py``): SQLite with the medium size (20,000 polls) in /tmp, and
PostgreSQL (``BENCH_DATABASE_URL``) with the large size (100,000 polls, about a million answers) in a
schema of its own (``--pg-schema``, default ``bench_http_large``; filled once, reused while it holds
the large fill). On PostgreSQL the target is p99 < 50 ms at 32 connections for every cached read.
``--quick``: SQLite small, 3-second runs, for iterating.

Writes ``bench/results/http.md`` and ``http.json`` (``http_gzip.*`` with ``--accept-encoding gzip``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sqlalchemy import create_engine, text  # noqa: E402

import fill  # noqa: E402
from fill_rows import LARGEST_SERIES, SIZES  # noqa: E402
from loadgen import GUNICORN_ARGS, WRK_CONNECTIONS, WRK_THREADS, get, gunicorn, wrk  # noqa: E402
from measure import in_schema, machine_line, unreachable  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench"
LIMITS = {"POLLAPP_LIMIT_ANONYMOUS_READS": "10000000/minute", "POLLAPP_LIMIT_KEY_READS": "10000000/minute"}
P99_TARGET_MS = 50.0
CACHED = {
    "trend": f"/api/v1/series/{LARGEST_SERIES}/trend?outcome=approve",
    "points": f"/api/v1/series/{LARGEST_SERIES}/points?limit=200",
    "embed": f"/embed/series/{LARGEST_SERIES}",
    "list_cached": "/api/v1/polls?limit=200",
}
LIST = "/api/v1/polls?limit=200"
TARGETS = {"trend": 0.60, "points": 0.60, "embed": 0.60, "list_uncached": 1.0}
LABELS = {
    "trend": "cached trend", "points": "series points page (200)", "embed": "embed page",
    "list_cached": "list 200 polls, repeated (default settings)", "list_uncached": "list 200 polls, uncached",
}  # fmt: skip


def warm(port: int, path: str, seconds: float, headers: dict[str, str]) -> None:
    """Until every worker has answered ``path`` (the first answer may take seconds: a trend fit), then
    a short wrk run whose numbers are dropped."""
    failures: list[str] = []

    def one() -> None:
        status, _, body = get(port, path, timeout=900, headers=headers)
        if status != 200:
            failures.append(f"{path}: {status} {body[:300]!r}")

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(failures[0])
    wrk(port, path, seconds, connections=8, headers=headers)


def measure(port: int, path: str, seconds: float, warmup: float, headers: dict[str, str]) -> dict[str, Any]:
    warm(port, path, warmup, headers)
    result = wrk(port, path, seconds, headers=headers)
    result["bytes_per_response"] = round(result["bytes_read"] / max(result["requests"], 1))
    print(f"    {path}: {result['req_per_s']:.0f} req/s, p50 {result.get('p50_ms')} ms, p99 {result.get('p99_ms')} ms",
          flush=True)  # fmt: skip
    return result


def run_dataset(
    label: str, database_url: str, seconds: float, warmup: float, headers: dict[str, str],
    only: frozenset[str] = frozenset(LABELS),
) -> dict[str, Any]:
    print(f"== {label}", flush=True)
    app_env = {"DATABASE_URL": database_url, **LIMITS}
    cached = {name: path for name, path in CACHED.items() if name in only}
    cases: dict[str, dict[str, Any]] = {name: {"path": path} for name, path in cached.items()}
    if "list_uncached" in only:
        cases["list_uncached"] = {"path": LIST}
    bodies: dict[str, tuple[bytes, str, str | None]] = {}
    if cached:
        _run_cached(cases, cached, bodies, app_env, seconds, warmup, headers)
    if "list_uncached" in only:
        _run_list_uncached(cases["list_uncached"], database_url, app_env, seconds, warmup, headers)
    for name, case in cases.items():
        case["ratio"] = round(case["app"]["req_per_s"] / max(case["baseline"]["req_per_s"], 1e-9), 3)
        case["target"] = TARGETS.get(name)
        case["errors"] = case["app"]["non_2xx"] + case["app"]["socket_errors"]
    return cases


def _run_cached(cases: dict[str, dict[str, Any]], cached: dict[str, str],
                bodies: dict[str, tuple[bytes, str, str | None]], app_env: dict[str, str], seconds: float,
                warmup: float, headers: dict[str, str]) -> None:
    with gunicorn("wsgi:app", app_env) as port:
        for name, path in cached.items():
            first = time.perf_counter()
            status, answered, body = get(port, path, timeout=900, headers=headers)
            if status != 200:
                raise RuntimeError(f"{path}: {status} {body[:300]!r}")
            cases[name]["first_request_s"] = round(time.perf_counter() - first, 2)
            cases[name]["body_bytes"] = len(body)
            cases[name]["content_encoding"] = answered.get("content-encoding")
            bodies[name] = (body, answered["content-type"], answered.get("content-encoding"))
            cases[name]["app"] = measure(port, path, seconds, warmup, headers)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (body, content_type, encoding) in bodies.items():
            (Path(tmp) / f"{name}.body").write_bytes(body)
            (Path(tmp) / f"{name}.type").write_text(content_type)
            if encoding:
                (Path(tmp) / f"{name}.encoding").write_text(encoding)
        with gunicorn("ceiling_app:app", {"CEILING_DIR": tmp}) as port:
            for name in cached:
                cases[name]["baseline"] = measure(port, f"/c/{name}", seconds, warmup, headers)
                cases[name]["baseline_name"] = "ceiling (bench/ceiling_app.py, same bytes)"


def _run_list_uncached(case: dict[str, Any], database_url: str, app_env: dict[str, str], seconds: float,
                       warmup: float, headers: dict[str, str]) -> None:
    with gunicorn("wsgi:app", {**app_env, "POLLAPP_RESPONSE_CACHE": "0"}) as port:
        _, answered, body = get(port, LIST, headers=headers)
        case["body_bytes"] = len(body)
        case["content_encoding"] = answered.get("content-encoding")
        case["app"] = measure(port, LIST, seconds, warmup, headers)
    with gunicorn("baseline_list_app:app", {"DATABASE_URL": database_url}) as port:
        case["baseline_same_bytes"] = get(port, "/polls?limit=200", headers=headers)[2] == body
        case["baseline"] = measure(port, "/polls?limit=200", seconds, warmup, headers)
        case["baseline_name"] = "bare Flask + SQLAlchemy Core + orjson (bench/baseline_list_app.py)"


def sqlite_dataset(size: str, reuse: bool, path: Path | None = None) -> str:
    path = (path or Path(tempfile.gettempdir()) / f"pollapp-bench-http-{size}.db").resolve()
    url = f"sqlite:///{path}"
    if not (reuse and path.exists() and _holds(url, SIZES[size])):
        print(f"== filling SQLite ({size}, SYNTHETIC) at {path}", flush=True)
        fill.fill(url, SIZES[size], reset=True)
    else:  # a file filled before newer migrations: bring it up to date, as the PostgreSQL schema is
        fill.migrate(url, allow_rows=True)
    return url


def postgres_dataset(base_url: str, schema: str, refill: bool) -> str:
    url = in_schema(base_url, schema)
    if refill or not _holds(url, SIZES["large"]):
        print(f"== filling PostgreSQL schema {schema} (large, SYNTHETIC): a few minutes", flush=True)
        admin = create_engine(base_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        fill.fill(url, SIZES["large"])
    else:  # a schema filled before newer migrations (e.g. indexes): bring it up to date
        fill.migrate(url, allow_rows=True)
    return url


def _holds(url: str, n_polls: int) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM polls")).scalar() == n_polls
    except Exception:  # no such table or schema: not filled
        return False
    finally:
        engine.dispose()


def _coding(case: dict[str, Any]) -> str:
    return f" ({case['content_encoding']})" if case.get("content_encoding") else ""


def result_name(encoding: str) -> str:
    return "http" if encoding == "identity" else f"http_{encoding}"


def write(results: dict[str, Any], settings: dict[str, Any]) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stem = result_name(settings["accept_encoding"])
    (out / f"{stem}.json").write_text(json.dumps({"machine": machine_line(), "settings": settings, "datasets": results}, indent=2) + "\n")
    lines = [
        "# HTTP benchmark (`bench/bench_http.py`, SYNTHETIC data from `bench/fill.py`)",
        "",
        f"Machine: {machine_line()}",
        "",
        f"Settings: gunicorn `{' '.join(GUNICORN_ARGS)}`, `OPENBLAS_NUM_THREADS=1`, for the app and every baseline; "
        f"`wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{settings['seconds']}s --latency` on 127.0.0.1 after a warm-up "
        "(every worker has answered once). Rate limiter ON with its limits raised "
        f"({', '.join(f'`{k}={v}`' for k, v in LIMITS.items())}) so that no request is refused: its cost is measured. "
        "The uncached list runs with `POLLAPP_RESPONSE_CACHE=0`.",
        "",
        (f"Requests send `Accept-Encoding: {settings['accept_encoding']}` (`--accept-encoding {settings['accept_encoding']}`): "
         "body bytes are the bytes on the wire, which the ceiling serves as the app sent them (same Content-Encoding); "
         "the uncompressed run is `http.md`."
         if settings["accept_encoding"] != "identity" else
         "Requests send no Accept-Encoding (identity bodies); the run with `Accept-Encoding: gzip` is `http_gzip.md`."),
        "",
    ]
    for label, cases in results.items():
        pg = label.startswith("PostgreSQL")
        lines += [f"## {label}", "",
                  "| case | app req/s | baseline req/s | ratio | target | app p50 ms | app p99 ms |"
                  + (" p99 < 50 ms |" if pg else "") + " baseline p99 ms | errors | body bytes | first request s |",
                  "|---|---|---|---|---|---|---|" + ("---|" if pg else "") + "---|---|---|---|"]  # fmt: skip
        for name, c in cases.items():
            target = c["target"]
            verdict = "" if target is None else (" pass" if c["ratio"] >= target else " FAIL")
            completed = c["app"]["requests"] > 0  # wrk prints a zero latency when no request completed
            p99 = c["app"].get("p99_ms") if completed else "none completed"
            cached = name != "list_uncached"
            p99_cell = (" pass |" if completed and p99 < P99_TARGET_MS else " FAIL |") if cached else " (uncached) |"
            lines.append(
                f"| {LABELS[name]} | {c['app']['req_per_s']:.0f} | {c['baseline']['req_per_s']:.0f} | {c['ratio']:.2f} |"
                f" {'-' if target is None else f'>= {target:.2f}'}{verdict} | {c['app'].get('p50_ms') if completed else '-'} | {p99} |"
                + (p99_cell if pg else "")
                + f" {c['baseline'].get('p99_ms')} | {c['errors']} | {c['body_bytes']:,}{_coding(c)} | {c.get('first_request_s', '-')} |"
            )
        lines += ["", "Baselines: " + "; ".join(sorted({c['baseline_name'] for c in cases.values()})) + ".", ""]
    (out / f"{stem}.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP benchmark against the bare stack's ceiling (wrk).")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measured wrk run")
    parser.add_argument("--quick", action="store_true", help="SQLite small only, 3-second runs")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one dataset")
    parser.add_argument("--pg-schema", default="bench_http_large", help="schema holding the large dataset")
    parser.add_argument("--refill", action="store_true", help="rebuild the datasets even when they exist")
    parser.add_argument("--sqlite-db", type=Path, help="SQLite file of the dataset (filled when it does not hold it)")
    parser.add_argument("--cases", help=f"comma-separated subset of {','.join(LABELS)}: printed, results not written")
    parser.add_argument("--accept-encoding", choices=("identity", "gzip"), default="identity",
                        help="send Accept-Encoding: gzip with every request (results in http_gzip.*)")
    args = parser.parse_args()
    headers = {} if args.accept_encoding == "identity" else {"Accept-Encoding": args.accept_encoding}
    only = frozenset(args.cases.split(",")) if args.cases else frozenset(LABELS)
    if not only <= set(LABELS):
        parser.error(f"unknown case in --cases: {', '.join(sorted(only - set(LABELS)))}")
    seconds = 3.0 if args.quick else args.seconds
    warmup = 1.0 if args.quick else 2.0
    results: dict[str, Any] = {}
    if args.only != "postgresql":
        size = "small" if args.quick else "medium"
        url = sqlite_dataset(size, reuse=not args.refill, path=args.sqlite_db)
        results[f"SQLite, {size} ({SIZES[size]:,} polls)"] = run_dataset(f"SQLite {size}", url, seconds, warmup, headers, only)
    if args.only != "sqlite" and not args.quick:
        base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        skipped = unreachable(base)
        if skipped:  # the SQLite results are still written
            print(f"PostgreSQL skipped ({base.split('@')[-1]} unreachable: {skipped}); set BENCH_DATABASE_URL.")
        else:
            url = postgres_dataset(base, args.pg_schema, args.refill)
            results[f"PostgreSQL, large ({SIZES['large']:,} polls)"] = run_dataset(
                "PostgreSQL large", url, seconds, warmup, headers, only)
    if args.cases:  # a partial run: the table would lose the other cases
        for label, cases in results.items():
            for name, c in cases.items():
                print(f"{label} | {LABELS[name]}: app {c['app']['req_per_s']:.0f} req/s, baseline "
                      f"{c['baseline']['req_per_s']:.0f} req/s, ratio {c['ratio']:.2f}"
                      + (f", same bytes as the baseline: {c['baseline_same_bytes']}" if "baseline_same_bytes" in c else ""))
        return
    previous = HERE / "results" / f"{result_name(args.accept_encoding)}.json"
    if args.only and previous.exists():  # keep the other dataset's last results (marked with their settings)
        old = json.loads(previous.read_text())
        for label, cases in old.get("datasets", {}).items():
            if not label.lower().startswith(args.only[:6]):  # the other backend's, not an older size of this one
                results.setdefault(label, cases)
    write(results, {"seconds": seconds, "warmup_seconds": warmup, "quick": args.quick, "limits": LIMITS,
                    "accept_encoding": args.accept_encoding})
    print((HERE / "results" / f"{result_name(args.accept_encoding)}.md").read_text())


if __name__ == "__main__":
    main()
