"""The ceiling for the HTTP benchmark: a minimal Flask app answering fixed bytes.

``bench/bench_http.py`` saves each case's real response body and Content-Type in ``CEILING_DIR`` as
``<case>.body`` and ``<case>.type`` (and ``<case>.encoding`` when the app's answer was content-coded,
as with ``--accept-encoding gzip``); ``GET /c/<case>`` answers exactly those bytes and headers, whatever
the request accepts: the ceiling never compresses, it only sends what the app sent. Run under the same
gunicorn settings as the app, this is the most that Flask + gunicorn can serve for that response on
this machine: the app's requests per second divided by this is the share of the stack's ceiling it
reaches (issue 7 asks for at least 0.60 on cached reads)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, abort

app = Flask(__name__)
_BODIES = {
    path.stem: (path.read_bytes(), path.with_suffix(".type").read_text().strip(),
                path.with_suffix(".encoding").read_text().strip() if path.with_suffix(".encoding").exists() else None)
    for path in Path(os.environ["CEILING_DIR"]).glob("*.body")
}


@app.get("/c/<case>")
def fixed(case: str) -> Response:
    if case not in _BODIES:
        abort(404)
    body, content_type, encoding = _BODIES[case]
    response = Response(body, content_type=content_type)
    if encoding:
        response.headers["Content-Encoding"] = encoding
        response.headers["Vary"] = "Accept-Encoding"
    return response


@app.get("/healthz")
def healthz() -> Response:
    return Response(b"ok", content_type="text/plain")
