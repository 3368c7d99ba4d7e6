"""``flask data import`` on SYNTHETIC files in FiveThirtyEight's approval layout (written in tmp_path;
no real 538 data is read or copied here)."""

from __future__ import annotations

import csv
from pathlib import Path

from factories import row_counts, load_report

from pollapp.services.imports_fte import HEADER

SYNTHETIC_NOTE = "SYNTHETIC test row; not real data."


def fte_row(poll_id: int, question_id: int, population: str = "a", n: str = "1000", yes: str = "45.0", no: str = "50.0", **cells: str) -> dict:
    row = {
        "question_id": str(question_id), "poll_id": str(poll_id), "state": "", "politician_id": "11",
        "politician": "Synthetic President", "pollster_id": "900", "pollster": "Synthetic Research",
        "sponsor_ids": "", "sponsors": "", "display_name": "Synthetic Research", "pollster_rating_id": "9",
        "pollster_rating_name": "Synthetic Research", "fte_grade": "B", "sample_size": n, "population": population,
        "population_full": population, "methodology": "Online", "start_date": "1/2/21", "end_date": "1/4/21",
        "sponsor_candidate": "", "tracking": "", "created_at": "1/5/21 10:18", "notes": "",
        "url": f"https://synthetic.example.org/{poll_id}", "source": "538", "yes": yes, "no": no,
    }  # fmt: skip
    row.update(cells)
    return row


def many_rows(count: int) -> list[dict]:
    """``count`` single-population synthetic polls, one every three days in 2020."""
    return [
        fte_row(1000 + i, 5000 + i, "rv", yes=f"{40 + i % 7}.0", no=f"{52 - i % 5}.0",
                start_date=f"{1 + (i * 3 // 28) % 12}/{1 + (i * 3) % 28}/20", end_date=f"{1 + (i * 3 // 28) % 12}/{1 + (i * 3) % 28}/20")
        for i in range(count)
    ]  # fmt: skip


def write(path: Path, rows: list[dict], columns: tuple[str, ...] | list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(runner, path: Path, *extra: str):
    return runner.invoke(args=["data", "import", str(path), *extra])


def polls_by_source_id(client) -> dict[str, dict]:
    return {p["source_id"]: p for p in client.get("/api/v1/polls?limit=500").get_json()["items"]}


def test_a_poll_reported_for_two_populations_is_one_poll_with_two_question_bases(runner, client, tmp_path):
    path = write(tmp_path / "fte.csv", [
        fte_row(1, 11, "a", "1500", "42.0", "53.0", tracking="TRUE", sponsors="Synthetic Gazette", sponsor_ids="352"),
        fte_row(1, 12, "rv", "1155", "44.0", "55.0", tracking="TRUE", sponsors="Synthetic Gazette", sponsor_ids="352"),
    ])  # fmt: skip

    result = run(runner, path)

    assert result.exit_code == 0, result.output
    assert load_report(result) == {"pollsters": (1, 0, 0), "sponsors": (1, 0, 0), "polls": (1, 0, 0)}
    assert "question bases: adults 1, registered_voters 1" in result.stdout
    [poll] = polls_by_source_id(client).values()
    assert poll["source"] == "fivethirtyeight" and poll["source_id"] == "1"
    assert poll["pollster"]["slug"] == "synthetic-research" and poll["sponsors"][0]["slug"] == "synthetic-gazette"
    assert poll["sample_size"] == 1500 and poll["population"] == "adults" and poll["country"] == "US"
    assert poll["field_start_date"] == "2021-01-02" and poll["field_end_date"] == "2021-01-04"
    assert poll["tracking"] is True and poll["source_url"] == "https://synthetic.example.org/1"
    assert poll["sample_type"] is None and poll["modes"] == ["online_panel"]
    assert "FiveThirtyEight (CC BY 4.0)" in poll["notes"] and "poll_id 1" in poll["notes"]
    adults, voters = poll["questions"]
    assert (adults["code"], adults["population"], adults["base_n"]) == ("approval_a", "adults", 1500)
    assert (voters["code"], voters["population"], voters["base_n"]) == ("approval_rv", "registered_voters", 1155)
    assert adults["wording"] == "Approval of Synthetic President's job performance"
    assert adults["wording_exact"] is False and adults["language"] == "en"
    assert [(a["code"], a["label"], a["pct"]) for a in voters["answers"]] == [("approve", "Approve", 44), ("disapprove", "Disapprove", 55)]
    assert adults["remainder_not_reported"] is True  # 42 + 53: the rest was not published
    pollster = client.get("/api/v1/pollsters/synthetic-research").get_json()
    assert pollster["name"] == "Synthetic Research" and "900" in pollster["notes"]


def test_populations_methodologies_and_sponsors_are_mapped(runner, client, tmp_path):
    path = write(tmp_path / "fte.csv", [
        fte_row(1, 11, "lv", methodology="Live Phone"),
        fte_row(2, 21, "v", methodology="IVR/Online", sponsors="Synthetic Gazette | Synthetic TV", sponsor_ids="1,2"),
        fte_row(3, 31, "rv", methodology="Automated Phone", state="Ohio"),
        fte_row(4, 41, "a", n="", methodology="Carrier Pigeon/Text"),
        fte_row(5, 51, "a", methodology="", pollster="Another Synthetic Poll Co."),
        fte_row(6, 61, "lv", "800", notes="Synthetic combo"), fte_row(6, 62, "lv", "600"), fte_row(6, 63, "rv", "900"),
    ])  # fmt: skip

    result = run(runner, path)

    assert result.exit_code == 0, result.output
    polls = polls_by_source_id(client)
    assert (polls["1"]["population"], polls["1"]["modes"]) == ("likely_voters", ["phone_live"])
    assert (polls["2"]["population"], polls["2"]["population_description"]) == ("other", "voters (538 population 'v')")
    assert polls["2"]["modes"] == ["ivr", "online_panel"]
    assert [s["slug"] for s in polls["2"]["sponsors"]] == ["synthetic-gazette", "synthetic-tv"]
    assert (polls["3"]["modes"], polls["3"]["region"]) == (["ivr"], "Ohio")
    assert polls["4"]["modes"] == ["text"] and "'Carrier Pigeon' has no pollapp mode" in polls["4"]["notes"]
    assert polls["4"]["sample_size"] is None and polls["4"]["questions"][0]["base_n"] is None
    assert polls["5"]["modes"] == [] and "Methodology not reported" in polls["5"]["notes"]
    assert polls["5"]["pollster"]["slug"] == "another-synthetic-poll-co"
    assert all(p["sample_type"] is None for p in polls.values())
    # the same population twice: distinct codes in 538's question order; the poll's base is the largest
    six = polls["6"]
    assert [(q["code"], q["base_n"]) for q in six["questions"]] == [("approval_lv", 800), ("approval_lv_q62", 600), ("approval_rv", 900)]
    assert (six["sample_size"], six["population"]) == (900, "registered_voters")
    assert "538 note: Synthetic combo" in six["questions"][0]["notes"]
    assert "methodology 'Carrier Pigeon' not mapped onto a pollapp mode (1 polls)" in result.stdout


def test_series_option_makes_the_trend_work_right_after_the_import(runner, client, tmp_path):
    path = write(tmp_path / "fte.csv", many_rows(8) + [fte_row(99, 991, "a", "1200"), fte_row(99, 992, "rv", "1000")])

    result = run(runner, path, "--series", "synthetic-approval")

    assert result.exit_code == 0, result.output
    counts = load_report(result)
    assert counts["series"] == (1, 0, 0) and counts["series members"] == (10, 0, 0)
    series = client.get("/api/v1/series/synthetic-approval").get_json()
    assert [o["code"] for o in series["outcomes"]] == ["yes", "no"]
    points = client.get("/api/v1/series/synthetic-approval/points?limit=100").get_json()
    assert points["total"] == 20
    trend = client.get("/api/v1/series/synthetic-approval/trend?outcome=yes")
    assert trend.status_code == 200, trend.get_json()

    again = run(runner, path, "--series", "synthetic-approval")
    assert load_report(again)["series members"] == (0, 0, 10) and "changes: 0" in again.stdout


def test_importing_again_changes_nothing(runner, client, app, tmp_path):
    path = write(tmp_path / "fte.csv", many_rows(5) + [fte_row(99, 991, "a"), fte_row(99, 992, "lv", "700")])
    run(runner, path)
    before_rows, before = row_counts(app), polls_by_source_id(client)

    result = run(runner, path)

    assert result.exit_code == 0, result.output
    assert load_report(result) == {"pollsters": (0, 0, 1), "polls": (0, 0, 6)}
    assert "changes: 0" in result.stdout
    assert row_counts(app) == before_rows
    assert polls_by_source_id(client) == before, "not even updated_at moves"


def test_a_corrected_file_updates_only_the_changed_poll(runner, client, tmp_path):
    rows = many_rows(6)
    path = write(tmp_path / "fte.csv", rows)
    run(runner, path)
    before = polls_by_source_id(client)
    rows[2] = {**rows[2], "yes": "47.0"}
    write(path, rows)

    result = run(runner, path)

    assert result.exit_code == 0, result.output
    assert load_report(result)["polls"] == (0, 1, 5)
    after = polls_by_source_id(client)
    changed = rows[2]["poll_id"]
    assert after[changed]["id"] == before[changed]["id"]
    assert after[changed]["questions"][0]["answers"][0]["pct"] == 47
    assert after[changed]["questions"][0]["id"] == before[changed]["questions"][0]["id"]
    assert all(after[k] == before[k] for k in before if k != changed)


def test_three_bad_rows_among_many_are_reported_with_their_lines_and_nothing_is_written(runner, app, tmp_path):
    rows = many_rows(300)
    rows[0] = {**rows[0], "notes": "SYNTHETIC note\nspanning two lines"}  # a quoted newline: lines still count
    rows[50] = {**rows[50], "yes": "lots"}
    rows[120] = {**rows[120], "population": "xx"}
    rows[250] = {**rows[250], "yes": "70.0", "no": "60.0"}  # caught by the poll rules, not the parser
    path = write(tmp_path / "fte.csv", rows)
    # header = line 1, row i starts on line i + 2, plus one for the newline inside row 0
    lines = {50: 53, 120: 123, 250: 253}

    result = run(runner, path)

    assert result.exit_code == 1
    assert "3 problem(s) in fte.csv; nothing was imported." in result.stderr
    listed = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert len(listed) == 3, result.stderr
    assert f"fte.csv:{lines[50]}/yes: 'lots' is not a number." in result.stderr
    assert f"fte.csv:{lines[120]}/population: unknown code 'xx'" in result.stderr
    assert f"fte.csv:{lines[250]}/yes/no: " in result.stderr and "130" in result.stderr
    assert result.stdout == ""
    assert all(count == 0 for count in row_counts(app).values()), "all or nothing"


def test_problems_are_capped_with_the_total_count(runner, app, tmp_path):
    path = write(tmp_path / "fte.csv", [{**row, "start_date": "soon"} for row in many_rows(150)])

    result = run(runner, path)

    assert result.exit_code == 1
    assert "150 problem(s) in fte.csv (the first 100 are listed)" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("  ")]) == 100
    assert all(count == 0 for count in row_counts(app).values())


def test_bad_bytes_are_a_problem_not_a_crash(runner, app, tmp_path):
    path = write(tmp_path / "fte.csv", many_rows(4))
    data = path.read_bytes().replace(b"Synthetic Research", b"Synth\xe9tic Research", 1)
    path.write_bytes(data)

    result = run(runner, path)

    assert result.exit_code == 1
    assert "fte.csv:2: byte 0xe9" in result.stderr and "UTF-8" in result.stderr
    assert all(count == 0 for count in row_counts(app).values())


def test_a_missing_column_is_one_clear_problem(runner, app, tmp_path):
    path = write(tmp_path / "fte.csv", many_rows(3), [c for c in HEADER if c not in ("no", "sample_size")])

    result = run(runner, path, "--format", "fte")

    assert result.exit_code == 1
    assert "missing column(s) sample_size, no" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("  ")]) == 1
    assert all(count == 0 for count in row_counts(app).values())


def test_an_unknown_layout_is_refused(runner, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("date,candidate,share\n2021-01-01,Synthetic,40\n", encoding="utf-8")

    result = run(runner, path)

    assert result.exit_code == 1 and "Cannot tell the layout" in result.stderr and "--format" in result.stderr


def test_dry_run_reports_and_writes_nothing(runner, app, tmp_path):
    path = write(tmp_path / "fte.csv", many_rows(5))

    result = run(runner, path, "--dry-run", "--series", "synthetic-approval")

    assert result.exit_code == 0, result.output
    assert load_report(result)["polls"] == (5, 0, 0) and load_report(result)["series"] == (1, 0, 0)
    assert "dry run: nothing was written." in result.stdout
    assert all(count == 0 for count in row_counts(app).values())


def test_pollapp_format_imports_a_seed_layout_poll_file(runner, client, tmp_path):
    from test_cli import write_data

    root = write_data(tmp_path / "data")
    assert runner.invoke(args=["data", "load", str(root)]).exit_code == 0

    result = run(runner, root / "polls" / "synthetic.csv")

    assert result.exit_code == 0, result.output
    assert "format: pollapp" in result.stdout
    assert load_report(result)["polls"] == (0, 0, 3) and "changes: 0" in result.stdout
    refused = run(runner, root / "polls" / "synthetic.csv", "--series", "x")
    assert refused.exit_code == 1 and "--series" in refused.stderr


def test_chunked_writes_keep_all_or_nothing_and_idempotency(runner, client, app, tmp_path, monkeypatch):
    from pollapp.services import imports_fte

    monkeypatch.setattr(imports_fte, "CHUNK_POLLS", 3)  # 10 polls: four chunks, the last one partial
    rows = many_rows(9) + [fte_row(99, 991, "a", "1200"), fte_row(99, 992, "rv", "1000")]
    bad = write(tmp_path / "bad.csv", rows[:-1] + [{**rows[-1], "no": "none"}])  # the problem is in the last chunk

    refused = run(runner, bad, "--series", "synthetic-approval")

    assert refused.exit_code == 1 and "bad.csv:12/no: 'none' is not a number." in refused.stderr
    assert all(count == 0 for count in row_counts(app).values()), "earlier chunks were rolled back too"

    path = write(tmp_path / "fte.csv", rows[:4])
    assert load_report(run(runner, path, "--series", "synthetic-approval"))["polls"] == (4, 0, 0)
    rows[1] = {**rows[1], "no": "49.0"}
    path = write(tmp_path / "fte.csv", rows)

    result = run(runner, path, "--series", "synthetic-approval")

    assert result.exit_code == 0, result.output
    counts = load_report(result)
    assert counts["polls"] == (6, 1, 3) and counts["series members"] == (7, 0, 4)
    points = client.get("/api/v1/series/synthetic-approval/points?limit=100").get_json()
    assert points["total"] == 22
    assert sorted({p["poll_id"] for p in points["items"]}) == sorted(p["id"] for p in polls_by_source_id(client).values())
    again = run(runner, path, "--series", "synthetic-approval")
    assert "changes: 0" in again.stdout and load_report(again)["series members"] == (0, 0, 11)
