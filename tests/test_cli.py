"""The command line: ``flask keys create|list|revoke`` and ``flask data load DIR`` on a small
SYNTHETIC data directory in pollapp's seed layout (see ``data/README.md``)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from factories import assert_problem, row_counts, load_report
from pollapp.extensions import db
from pollapp.models import ApiKey

TOKEN = re.compile(r"^pa_([0-9a-f]{8})_[A-Za-z0-9_-]{40,}$")


# ---------------------------------------------------------------- keys


def create_key(runner, name: str, *extra: str) -> str:
    result = runner.invoke(args=["keys", "create", name, *extra])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert TOKEN.match(token), result.stdout
    assert "cannot be shown again" in result.stderr
    return token


def test_keys_create_prints_the_key_once_and_stores_only_its_sha256(app, runner, client):
    token = create_key(runner, "newsroom-bot")

    with app.app_context():
        key = db.session.query(ApiKey).one()
        assert key.name == "newsroom-bot"
        assert key.key_hash == hashlib.sha256(token.encode()).hexdigest()
        assert key.prefix == TOKEN.match(token).group(1)
        assert key.scopes == ["read", "write"]
        stored = " ".join(str(getattr(key, c.key)) for c in ApiKey.__table__.columns)
    secret = token.split("_", 2)[2]  # pa_<prefix>_<secret>; the secret itself may hold "_"
    assert token not in stored and secret not in stored

    response = client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "Synthetic"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


def test_each_key_is_different(runner):
    assert create_key(runner, "one") != create_key(runner, "one-more")


def test_a_read_scope_key_cannot_write(runner, client):
    token = create_key(runner, "reader", "--scope", "read")
    assert_problem(client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "Synthetic"}, headers={"Authorization": f"Bearer {token}"}), 403)


def test_keys_create_refuses_an_unknown_scope_or_empty_name(runner, app):
    assert runner.invoke(args=["keys", "create", "x", "--scope", "root"]).exit_code != 0
    result = runner.invoke(args=["keys", "create", "   "])
    assert result.exit_code == 1 and "name" in result.stderr
    result = runner.invoke(args=["keys", "create", "k" * 201])
    assert result.exit_code == 1 and "200" in result.stderr
    assert row_counts(app)["api_keys"] == 0


def test_an_admin_key_from_the_cli_can_delete_and_list_shows_its_scopes(runner, client, pollster):
    writer = create_key(runner, "editor")
    admin = create_key(runner, "chief", "--scope", "admin")
    url = "/api/v1/pollsters/kiis"
    etag = client.get(url).headers["ETag"]

    assert_problem(client.delete(url, headers={"Authorization": f"Bearer {writer}", "If-Match": etag}), 403)
    assert client.delete(url, headers={"Authorization": f"Bearer {admin}", "If-Match": etag}).status_code == 204
    listing = runner.invoke(args=["keys", "list"]).output
    assert "chief  [admin,read,write]" in listing and "editor  [read,write]" in listing


def test_keys_list_never_shows_a_key(runner):
    token = create_key(runner, "newsroom-bot")
    prefix = TOKEN.match(token).group(1)

    result = runner.invoke(args=["keys", "list"])

    assert result.exit_code == 0
    assert "newsroom-bot" in result.output and prefix in result.output and "active" in result.output
    assert token not in result.output and token.split("_", 2)[2] not in result.output


def test_keys_revoke_by_name(runner, client):
    token = create_key(runner, "leaked")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/pollsters", json={"slug": "a", "name": "Synthetic"}, headers=headers).status_code == 201

    result = runner.invoke(args=["keys", "revoke", "leaked"])

    assert result.exit_code == 0 and TOKEN.match(token).group(1) in result.output
    assert_problem(client.post("/api/v1/pollsters", json={"slug": "b", "name": "Synthetic"}, headers=headers), 401)
    listing = runner.invoke(args=["keys", "list"]).output
    assert "revoked" in listing and "last used" in listing


def test_keys_revoke_by_prefix_leaves_other_keys(runner, client):
    revoked = create_key(runner, "twin")
    kept = create_key(runner, "twin-2")

    assert runner.invoke(args=["keys", "revoke", TOKEN.match(revoked).group(1)]).exit_code == 0

    assert_problem(client.post("/api/v1/pollsters", json={"slug": "a", "name": "S"}, headers={"Authorization": f"Bearer {revoked}"}), 401)
    assert client.post("/api/v1/pollsters", json={"slug": "b", "name": "S"}, headers={"Authorization": f"Bearer {kept}"}).status_code == 201


def test_keys_revoke_unknown_fails(runner):
    result = runner.invoke(args=["keys", "revoke", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.stderr
    create_key(runner, "once")
    assert runner.invoke(args=["keys", "revoke", "once"]).exit_code == 0
    assert runner.invoke(args=["keys", "revoke", "once"]).exit_code == 1, "already revoked"


# ---------------------------------------------------------------- data load (synthetic data)

POLL_COLUMNS = [
    "poll_key", "pollster", "sponsors", "self_sponsored", "field_start_date", "field_end_date",
    "field_dates_precision", "publication_date", "country", "population", "sample_size", "modes", "source_url",
    "notes", "question_code", "wording", "language", "base_n", "answer_code", "answer_label", "pct",
    "substantive", "components", "series", "outcome",
]  # fmt: skip


def _poll_rows(key: str, pollster: str, end: str, approve: float, disapprove: float, **poll: str) -> list[dict]:
    common = {
        "poll_key": key,
        "pollster": pollster,
        "field_start_date": "2024-01-01",
        "field_end_date": end,
        "field_dates_precision": "day",
        "country": "UA",
        "population": "adults",
        "sample_size": "1000",
        "modes": "phone_live;online_panel",
        "source_url": f"https://synthetic.example.org/{key}",
        "notes": "SYNTHETIC test poll; not real data.",
        **poll,
    }
    approval = {"question_code": "approval", "wording": "Synthetic: do you approve?", "language": "en", "series": "synthetic-approval"}
    peace = {"question_code": "peace", "wording": "Synthetic: is peace closer?", "language": "en", "base_n": "500"}
    return [
        {**common, **approval, "answer_code": "approve", "answer_label": "Approve", "pct": str(approve), "outcome": "approve"},
        {**common, **approval, "answer_code": "disapprove", "answer_label": "Disapprove", "pct": str(disapprove), "outcome": "disapprove"},
        {**common, **peace, "answer_code": "much_closer", "answer_label": "Much closer", "pct": "15"},
        {**common, **peace, "answer_code": "bit_closer", "answer_label": "A bit closer", "pct": "30"},
        {**common, **peace, "answer_code": "hard_to_say", "answer_label": "Hard to say", "pct": "55", "substantive": "false"},
        {**common, **peace, "answer_code": "closer", "answer_label": "Closer (net)", "pct": "45", "components": "much_closer;bit_closer"},
    ]


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


PollRows = list[tuple[str, str, str, float, float, dict]]
POLLS: PollRows = [
    ("syn-1", "synthetic-a", "2024-01-10", 40, 50, {"sponsors": "synthetic-gazette"}),
    ("syn-2", "synthetic-a", "2024-02-10", 41, 52, {"self_sponsored": "true", "publication_date": "2024-02-12"}),
    ("syn-3", "synthetic-b", "2024-03-10", 45, 45, {"self_sponsored": "true"}),
]


def write_data(root: Path, polls: PollRows = POLLS, pollster_a_name: str = "Synthetic Pollster A", extra_pollsters: list[dict] = ()) -> Path:
    _write_csv(
        root / "pollsters.csv",
        ["slug", "name", "country", "website", "memberships", "notes"],
        [
            {"slug": "synthetic-a", "name": pollster_a_name, "country": "UA", "website": "https://a.example.org/", "memberships": "esomar;wapor", "notes": "Synthetic."},
            {"slug": "synthetic-b", "name": "Synthetic Pollster B", "country": "UA"},
            *extra_pollsters,
        ],
    )
    _write_csv(root / "sponsors.csv", ["slug", "name", "country", "website", "notes"], [{"slug": "synthetic-gazette", "name": "Synthetic Gazette"}])
    (root / "series.json").write_text(
        json.dumps(
            [
                {
                    "slug": "synthetic-approval",
                    "title": "Synthetic approval (test data)",
                    "country": "UA",
                    "tags": ["synthetic"],
                    "outcomes": [{"code": "approve", "label": "Approve"}, {"code": "disapprove", "label": "Disapprove"}],
                }
            ]
        ),
        encoding="utf-8",
    )
    rows = [row for key, pollster, end, a, d, extra in polls for row in _poll_rows(key, pollster, end, a, d, **extra)]
    _write_csv(root / "polls" / "synthetic.csv", POLL_COLUMNS, rows)
    return root


def load(runner, root: Path):
    return runner.invoke(args=["data", "load", str(root)])


def polls_by_key(client) -> dict[str, dict]:
    return {p["source_id"]: p for p in client.get("/api/v1/polls?limit=500").get_json()["items"]}


def test_load_creates_everything(runner, client, tmp_path):
    root = write_data(tmp_path / "data")

    result = load(runner, root)

    assert result.exit_code == 0, result.output
    assert load_report(result) == {
        "pollsters": (2, 0, 0),
        "sponsors": (1, 0, 0),
        "series": (1, 0, 0),
        "polls": (3, 0, 0),
        "series members": (3, 0, 0),
    }
    polls = polls_by_key(client)
    assert set(polls) == {"syn-1", "syn-2", "syn-3"}
    first = polls["syn-1"]
    assert first["source"] == "pollapp-data" and first["pollster"]["slug"] == "synthetic-a"
    assert [s["slug"] for s in first["sponsors"]] == ["synthetic-gazette"]
    assert first["modes"] == ["phone_live", "online_panel"] and first["sample_size"] == 1000
    approval, peace = first["questions"]
    assert approval["remainder_not_reported"] is True  # 40 + 50: the rest was not published
    assert peace["remainder_not_reported"] is False
    net = {a["code"]: a for a in peace["answers"]}["closer"]
    assert net["is_net"] and net["components"] == ["much_closer", "bit_closer"] and net["pct"] == 45
    assert {a["code"]: a["substantive"] for a in peace["answers"]}["hard_to_say"] is False
    assert peace["base_n"] == 500
    assert client.get("/api/v1/pollsters/synthetic-a").get_json()["memberships"] == ["esomar", "wapor"]
    points = client.get("/api/v1/series/synthetic-approval/points").get_json()
    assert points["total"] == 6
    assert [(p["poll_id"], p["outcome"], p["pct"]) for p in points["items"][:2]] == [(first["id"], "approve", 40), (first["id"], "disapprove", 50)]


def test_loading_again_changes_nothing(runner, client, app, tmp_path):
    root = write_data(tmp_path / "data")
    load(runner, root)
    before_rows = row_counts(app)
    before = polls_by_key(client)

    result = load(runner, root)

    assert result.exit_code == 0, result.output
    assert load_report(result) == {
        "pollsters": (0, 0, 2),
        "sponsors": (0, 0, 1),
        "series": (0, 0, 1),
        "polls": (0, 0, 3),
        "series members": (0, 0, 3),
    }
    assert row_counts(app) == before_rows
    assert polls_by_key(client) == before, "not even updated_at moves"


def test_a_corrected_file_updates_only_what_changed(runner, client, app, tmp_path):
    root = write_data(tmp_path / "data")
    load(runner, root)
    before = polls_by_key(client)
    corrected = [p if p[0] != "syn-2" else (*p[:3], 43, 50, p[5]) for p in POLLS]
    write_data(root, corrected, pollster_a_name="Synthetic Pollster A (renamed)")

    result = load(runner, root)

    assert result.exit_code == 0, result.output
    counts = load_report(result)
    assert counts["polls"] == (0, 1, 2)
    assert counts["pollsters"] == (0, 1, 1)
    assert counts["series members"] == (0, 0, 3)
    after = polls_by_key(client)
    assert after["syn-2"]["id"] == before["syn-2"]["id"]
    assert [a["pct"] for a in after["syn-2"]["questions"][0]["answers"]] == [43, 50]
    assert after["syn-2"]["questions"][0]["id"] == before["syn-2"]["questions"][0]["id"]
    assert after["syn-2"]["updated_at"] > before["syn-2"]["updated_at"]
    for key in ("syn-1", "syn-3"):
        assert after[key]["updated_at"] == before[key]["updated_at"], key
        assert after[key]["questions"] == before[key]["questions"], key
    points = {(p["poll_id"], p["outcome"]): p["pct"] for p in client.get("/api/v1/series/synthetic-approval/points").get_json()["items"]}
    assert points[(before["syn-2"]["id"], "approve")] == 43


def _invalid_row_case(root: Path) -> int:
    """Adds a new valid poll and a new pollster next to an invalid row; returns the invalid row's line."""
    polls = [*POLLS, ("syn-4", "synthetic-c", "2024-04-10", 30, 60, {"self_sponsored": "true"})]
    write_data(root, polls, extra_pollsters=[{"slug": "synthetic-c", "name": "Synthetic Pollster C"}])
    path = root / "polls" / "synthetic.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # syn-3's first row (its approve answer) gets 130%: line numbers count the header as line 1
    line = next(i for i, text in enumerate(lines, start=1) if text.startswith("syn-3,"))
    lines[line - 1] = lines[line - 1].replace(",45,", ",130,", 1)
    assert ",130," in lines[line - 1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return line


def test_an_invalid_row_fails_with_file_and_line_and_writes_nothing(runner, app, tmp_path):
    root = tmp_path / "data"
    line = _invalid_row_case(root)

    result = load(runner, root)

    assert result.exit_code == 1
    assert f"synthetic.csv:{line}" in result.stderr
    assert "pct" in result.stderr
    assert result.stdout == ""
    assert all(count == 0 for count in row_counts(app).values()), "all or nothing"


def test_an_invalid_row_on_reload_keeps_the_loaded_data(runner, client, app, tmp_path):
    root = write_data(tmp_path / "data")
    load(runner, root)
    before_rows = row_counts(app)
    before = polls_by_key(client)
    _invalid_row_case(root)

    result = load(runner, root)

    assert result.exit_code == 1
    assert row_counts(app) == before_rows
    assert polls_by_key(client) == before
    assert client.get("/api/v1/pollsters/synthetic-c").status_code == 404


@pytest.mark.parametrize(
    ("file", "mutate", "where"),
    [
        ("pollsters.csv", lambda text: text.replace("synthetic-b,", "Synthetic B,"), "pollsters.csv:3"),
        ("polls/synthetic.csv", lambda text: text.replace(",2024-02-10,", ",2023-12-01,", 1), "synthetic.csv:"),
        ("series.json", lambda text: text.replace('"approve"', '"Approve Now"', 1), "series.json[0]"),
    ],
    ids=["bad-slug", "end-before-start", "bad-outcome-code"],
)
def test_other_invalid_inputs(runner, app, tmp_path, file, mutate, where):
    root = write_data(tmp_path / "data")
    path = root / file
    path.write_text(mutate(path.read_text(encoding="utf-8")), encoding="utf-8")

    result = load(runner, root)

    assert result.exit_code == 1, result.output
    assert where in result.stderr
    assert all(count == 0 for count in row_counts(app).values())


def _unknown_series(root: Path) -> None:
    path = root / "polls" / "synthetic.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("synthetic-approval,approve", "no-such-series,approve", 1), encoding="utf-8")


def test_a_row_naming_an_unknown_series_fails_with_file_and_line_and_writes_nothing(runner, app, tmp_path):
    root = write_data(tmp_path / "data")
    _unknown_series(root)

    result = load(runner, root)

    assert result.exit_code == 1
    assert "synthetic.csv:2" in result.stderr and "no-such-series" in result.stderr
    assert all(count == 0 for count in row_counts(app).values())


def test_load_needs_an_existing_directory(runner, tmp_path):
    result = load(runner, tmp_path / "missing")
    assert result.exit_code != 0


# ---------------------------------------------------------------- data import of pollapp's own layout (synthetic)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_import_dry_run_of_an_export_reports_and_writes_nothing(runner, client, app, tmp_path, fmt):
    root = write_data(tmp_path / "data")
    load(runner, root)
    path = tmp_path / f"polls.{fmt}"
    path.write_bytes(client.get(f"/api/v1/polls.{fmt}").get_data())
    corrected = path.read_text(encoding="utf-8").replace("SYNTHETIC test poll; not real data.", "SYNTHETIC corrected.")
    path.write_text(corrected, encoding="utf-8")
    before = row_counts(app), polls_by_key(client)

    result = runner.invoke(args=["data", "import", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert load_report(result)["polls"] == (0, 3, 0)
    assert "dry run: nothing was written." in result.stdout
    assert (row_counts(app), polls_by_key(client)) == before
    result = runner.invoke(args=["data", "import", str(path)])
    assert load_report(result)["polls"] == (0, 3, 0)
    assert {p["notes"] for p in polls_by_key(client).values()} == {"SYNTHETIC corrected."}
