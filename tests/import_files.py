"""SYNTHETIC poll files in pollapp's own layout (not real data) and one way to import them through
the CLI or the upload endpoint, shared by the import tests."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from pollapp.services.poll_layout import NAMES

SERIES = {
    "slug": "synthetic-approval",
    "title": "Synthetic approval (test data)",
    "country": "UA",
    "outcomes": [{"code": "approve", "label": "Approve"}, {"code": "disapprove", "label": "Disapprove"}],
}
ANSWERS = (("approve", "Approve"), ("disapprove", "Disapprove"), ("dont_know", "Don't know"), ("refused", "Refused"))


def poll_rows(i: int, *, approve: float = 40.0, pollster: str = "synthetic-a", **poll: str) -> list[dict[str, str]]:
    """Four rows (one per answer) of synthetic poll number ``i``."""
    month, day = 1 + i // 28 % 12, 1 + i % 28
    common = {
        "poll_key": f"syn-{i}", "source": "synthetic", "source_id": f"syn-{i}", "pollster": pollster,
        "pollster_name": f"Synthetic Pollster {pollster}", "field_start_date": f"{2020 + i // 336}-{month:02d}-{day:02d}",
        "field_end_date": f"{2020 + i // 336}-{month:02d}-{day:02d}", "country": "UA", "population": "adults",
        "sample_size": "1000", "modes": "phone_live;online_panel", "notes": "SYNTHETIC test poll; not real data.",
        "question_code": "approval", "question_position": "1", "wording": "Synthetic: do you approve?", "language": "en",
        **poll,
    }  # fmt: skip
    pcts = (approve, 90 - approve, 6.0, 4.0)
    rows = []
    for position, ((code, label), pct) in enumerate(zip(ANSWERS, pcts), start=1):
        row = {**common, "answer_code": code, "answer_label": label, "answer_position": str(position), "pct": repr(pct)}
        if code in ("approve", "disapprove"):
            row.update(series=SERIES["slug"], outcome=code)
        rows.append(row)
    return rows


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | tuple[str, ...] = NAMES) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), restval="", extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def many_polls(count: int) -> list[dict[str, str]]:
    return [row for i in range(count) for row in poll_rows(i, approve=30.0 + i % 20)]


class Outcome:
    """What an import answered: ok, the (created, updated, unchanged) counts by kind, and the
    problems as (row, column, message) with the total the importer counted."""

    def __init__(self, ok: bool, counts: dict[str, tuple[int, int, int]], problems: list[tuple[Any, Any, str]], total: int, text: str):
        self.ok, self.counts, self.problems, self.total, self.text = ok, counts, problems, total, text


PROBLEM_LINE = re.compile(r"^  (?P<file>[^:\s]+)(?::(?P<row>\d+))?(?:/(?P<column>\S+))?: (?P<message>.*)$")


def run_import(through: str, runner, client, auth, path: Path, **options: str) -> Outcome:
    """Import ``path`` with ``flask data import`` (through="cli") or ``POST /api/v1/imports`` ("api")."""
    if through == "cli":
        args = ["data", "import", str(path)]
        for key, value in options.items():
            args += ["--dry-run"] if key == "dry_run" and value == "true" else [f"--{key.replace('_', '-')}", value]
        result = runner.invoke(args=args)
        assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
        assert "Traceback" not in result.output
        counts = {}
        for line in result.stdout.splitlines():
            match = re.fullmatch(r"(.+): (\d+) created, (\d+) updated, (\d+) unchanged", line.strip())
            if match:
                counts[match.group(1)] = tuple(int(g) for g in match.groups()[1:])
        problems = []
        for line in result.stderr.splitlines():
            match = PROBLEM_LINE.match(line)
            if match:
                problems.append((int(match["row"]) if match["row"] else None, match["column"], match["message"]))
        total = re.search(r"(\d+) problem\(s\)", result.stderr)
        return Outcome(result.exit_code == 0, counts, problems, int(total.group(1)) if total else len(problems), result.output)
    response = post_upload(client, auth, path.read_bytes(), path.name, **options)
    body = response.get_json(force=True)
    assert response.status_code in (200, 201, 422), (response.status_code, body)
    if response.status_code == 422:
        assert response.mimetype == "application/problem+json"
        problems = [(e.get("row"), e.get("column"), e["detail"]) for e in body.get("errors", [])]
        total = re.search(r"(\d+) problem\(s\)", body["detail"])
        return Outcome(False, {}, problems, int(total.group(1)) if total else len(problems), str(body))
    counts = {kind: (c["created"], c["updated"], c["unchanged"]) for kind, c in body["counts"].items()}
    return Outcome(True, counts, [], 0, str(body))


def post_upload(client, auth, data: bytes, name: str, **fields: str):
    """POST a multipart upload built in memory (Werkzeug's test client would spool a large body to
    a temporary file that it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name), **fields})
    return client.post("/api/v1/imports", data=body, headers=auth, content_type=f"multipart/form-data; boundary={boundary}")
