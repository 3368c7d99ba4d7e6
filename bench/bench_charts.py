"""Benchmark: newsroom charts on the REAL seed data (``data/``, 1,402 polls; the Putin approval series
alone has 1,374).

- warm SVG render per chart: building the spec with the trend already in the result cache, and
  vl-convert drawing it (median of 5, after a first render that warms vl-convert);
- embed HTML size per chart, excluding the one cached JavaScript bundle (raw and gzip);
- requests per second for a cached embed page under gunicorn (2 sync workers, ``--preload``), from a
  Python load generator on the same machine (8 connections: 2 processes x 4 threads, a new connection per
  request as sync workers close them), for a full 200 served from the chart cache, a 304 revalidation,
  and a baseline page (``/methodology``, a template with no data) measured in the same run.

Writes ``bench/results/charts.md`` and ``charts.json`` with the machine line.
Run: ``make bench`` (or ``.venv/bin/python bench/bench_charts.py [--seconds S]``).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

from sqlalchemy import text  # noqa: E402

from pollapp import create_app  # noqa: E402
from pollapp.extensions import db  # noqa: E402
from pollapp.services import chart_options  # noqa: E402
from pollapp.services import chart_render  # noqa: E402
from pollapp.services import chart_series  # noqa: E402
from pollapp.services.cache import LRUCache  # noqa: E402

RATE_SERIES = "ukraine-territorial-concessions"


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_real_data(db_path: Path, asset_dir: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "CHART_ASSET_DIR": str(asset_dir)})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["data", "load", str(ROOT / "data")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    return app


def render_rows(app) -> list[dict]:
    rows = []
    client = app.test_client()
    with app.app_context():
        slugs = [s for (s,) in db.session.execute(text("SELECT slug FROM series ORDER BY slug"))]
        cache = LRUCache(max_entries=256)
        for slug in slugs:
            options = chart_options.chart_options()
            chart = chart_series.series_chart(db.session, slug, options, base_url="http://bench", cache=cache)  # fits
            build = timed(lambda: chart_series.series_chart(db.session, slug, options, base_url="http://bench",
                                                      cache=cache), 5)
            spec = chart_render.static_spec(chart.spec, chart_options.DEFAULT_WIDTH)
            chart_render.render(spec, "svg")
            svg_time = timed(lambda: chart_render.render(spec, "svg"), 5)
            svg = chart_render.render(spec, "svg")
            page = client.get(f"/embed/series/{slug}").data
            rows.append({
                "series": slug,
                "polls": chart.poll_count,
                "dots": len(chart.spec["datasets"]["polls"]),
                "spec_build_ms": round(build * 1000, 1),
                "svg_render_ms": round(svg_time * 1000, 1),
                "svg_bytes": len(svg),
                "embed_html_bytes": len(page),
                "embed_html_gzip_bytes": len(gzip.compress(page, 6)),
            })
            print(rows[-1], flush=True)
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(port: int, path: str, headers: dict, seconds: float, threads: int, queue) -> None:
    counts, errors = [0] * threads, [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(i: int) -> None:
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status in (200, 304):
                    counts[i] += 1
                else:
                    errors[i] += 1
            except OSError:
                errors[i] += 1
            finally:
                conn.close()

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((sum(counts), sum(errors)))


def rate(port: int, path: str, headers: dict, seconds: float, processes: int = 2, threads: int = 4) -> dict:
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_worker, args=(port, path, headers, seconds, threads, queue))
             for _ in range(processes)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    done, errors = sum(r[0] for r in results), sum(r[1] for r in results)
    return {"path": path, "requests": done, "errors": errors, "seconds": round(elapsed, 2),
            "req_per_s": round(done / elapsed, 1)}


def rate_rows(db_path: Path, asset_dir: Path, seconds: float) -> list[dict]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "POLLAPP_CHART_ASSET_DIR": str(asset_dir),
           "OPENBLAS_NUM_THREADS": "1"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "sync", "--preload", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        page = f"/embed/series/{RATE_SERIES}"
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", page)
                response = conn.getresponse()
                body = response.read()
                etag = response.getheader("ETag")
                if response.status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not answer")
        for _ in range(20):  # both workers: trend fitted and page cached in each
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", page)
            conn.getresponse().read()
        rows = [
            {"case": "baseline: /methodology (template, no data)", **rate(port, "/methodology", {}, seconds)},
            {"case": f"cached embed page 200 ({len(body):,} bytes)", **rate(port, page, {}, seconds)},
            {"case": "embed page revalidation 304 (If-None-Match)", **rate(port, page, {"If-None-Match": etag}, seconds)},
        ]
        for row in rows:
            print(row, flush=True)
        return rows
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def write(render: list[dict], rates: list[dict]) -> None:
    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "charts.json").write_text(json.dumps({"machine": machine, "render": render, "rates": rates}, indent=2) + "\n")
    base = rates[0]["req_per_s"] or 1
    lines = [
        "# Charts benchmark (`bench/bench_charts.py`, real data from `data/`)",
        "",
        f"Machine: {machine}",
        "",
        "## Per chart: warm spec build, warm SVG render, embed page size (bundle excluded)",
        "",
        "| series | polls | dots | spec build (trend cached) ms | SVG render ms | SVG bytes | embed HTML bytes | gzip bytes |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {r['series']} | {r['polls']:,} | {r['dots']:,} | {r['spec_build_ms']} | {r['svg_render_ms']} | "
          f"{r['svg_bytes']:,} | {r['embed_html_bytes']:,} | {r['embed_html_gzip_bytes']:,} |" for r in render],
        "",
        "The JavaScript bundle (Vega, Vega-Lite, vega-embed) is one immutable file of about 0.9 MB, downloaded",
        "once per reader for every chart; it is not counted above.",
        "",
        "## Requests per second, gunicorn 2 sync workers, load generator on the same 2 cores",
        "",
        "| case | req/s | ratio to baseline | requests | errors |",
        "|---|---|---|---|---|",
        *[f"| {r['case']} | {r['req_per_s']} | {r['req_per_s'] / base:.2f} | {r['requests']:,} | {r['errors']} |"
          for r in rates],
        "",
    ]
    (out / "charts.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each load run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path, asset_dir = Path(tmp) / "bench.db", Path(tmp) / "assets"
        app = load_real_data(db_path, asset_dir)
        render = render_rows(app)
        with app.app_context():
            db.engine.dispose()
        rates = rate_rows(db_path, asset_dir, args.seconds)
    write(render, rates)
    print((HERE / "results" / "charts.md").read_text())


if __name__ == "__main__":
    main()
