"""Build pollapp's seed files in ``data/`` from the source files in ``../shared/data``.

Run once by a maintainer when the sources change (``python data/tools/build_from_shared.py
../shared/data``); the app never reads ``../shared``. Every judgement taken while converting
(merged releases, month-only dates, paraphrased wordings, dropped rows) is written into the poll's
``notes`` and summarised in ``data/README.md``.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import sys
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

POLL_COLUMNS = [
    "poll_key", "pollster", "partner_pollsters", "sponsors", "self_sponsored", "field_start_date",
    "field_end_date", "field_dates_precision", "publication_date", "country", "region", "population",
    "population_description", "coverage_exclusions", "sample_size", "sample_type", "sampling_frame",
    "recruitment", "data_collection", "modes", "languages", "weighted", "weighting_variables",
    "design_effect", "margin_of_error", "confidence_level", "source_url", "report_url", "notes",
]  # fmt: skip
QUESTION_COLUMNS = [
    "question_code", "question_position", "wording", "wording_exact", "wording_en", "language",
    "base_description", "base_n", "question_notes",
]  # fmt: skip
ANSWER_COLUMNS = ["answer_code", "answer_label", "pct", "substantive", "components", "answer_notes", "series", "outcome"]
COLUMNS = POLL_COLUMNS + QUESTION_COLUMNS + ANSWER_COLUMNS

PARAPHRASE = "Paraphrase from news reports of the release; the exact wording is not in the source."

POLLSTERS = [
    {"slug": "kiis", "name": "Kyiv International Institute of Sociology", "country": "UA",
     "website": "https://www.kiis.com.ua/", "notes": "KIIS. Wartime telephone surveys (CATI) of adults in government-controlled territory."},
    {"slug": "levada-center", "name": "Levada Center", "country": "RU", "website": "https://www.levada.ru/en/",
     "notes": "Independent Russian pollster; designated a 'foreign agent' by the Russian authorities in 2016."},
    {"slug": "rating-group", "name": "Sociological Group \"Rating\"", "country": "UA", "website": "https://ratinggroup.ua/en/", "notes": ""},
    {"slug": "gallup", "name": "Gallup", "country": "US", "website": "https://news.gallup.com/", "notes": ""},
    {"slug": "fom", "name": "Public Opinion Foundation (FOM)", "country": "RU", "website": "https://fom.ru/", "notes": ""},
    {"slug": "vtsiom", "name": "Russian Public Opinion Research Center (VTsIOM)", "country": "RU",
     "website": "https://wciom.ru/", "notes": "State-owned Russian pollster."},
]  # fmt: skip

SERIES = [
    {"slug": "ukraine-territorial-concessions", "title": "Ukrainians ready for territorial concessions",
     "description": "Share of Ukrainians ready for some territorial concessions to end the war, and share against any (KIIS).",
     "country": "UA", "tags": ["ukraine", "war", "peace"],
     "outcomes": [{"code": "ready", "label": "Ready for some territorial concessions"},
                  {"code": "against", "label": "Against any territorial concessions"},
                  {"code": "undecided", "label": "Hard to say"}]},
    {"slug": "ukraine-trust-zelensky", "title": "Ukrainians' trust in President Zelensky",
     "description": "Share of Ukrainians who trust / do not trust Volodymyr Zelensky (KIIS).",
     "country": "UA", "tags": ["ukraine", "trust"],
     "outcomes": [{"code": "trust", "label": "Trust"}, {"code": "distrust", "label": "Do not trust"},
                  {"code": "undecided", "label": "Hard to say"}]},
    {"slug": "russia-negotiations-vs-war", "title": "Russians: start peace negotiations or continue military actions",
     "description": "Levada Center: should Russia start peace negotiations with Ukraine or continue military actions?",
     "country": "RU", "tags": ["russia", "war", "peace"],
     "outcomes": [{"code": "negotiate", "label": "Start peace negotiations"},
                  {"code": "continue", "label": "Continue military actions"}]},
    {"slug": "russia-support-military-actions", "title": "Russians supporting the military actions in Ukraine",
     "description": "Levada Center: share of Russians who definitely or rather support the actions of the Russian armed forces in Ukraine.",
     "country": "RU", "tags": ["russia", "war"],
     "outcomes": [{"code": "support", "label": "Support (definitely or rather)"}]},
    {"slug": "ukraine-negotiate-or-fight", "title": "Ukrainians: negotiate an end to the war or keep fighting",
     "description": "Ukrainians preferring negotiations / a compromise to end the war soon versus continuing to fight (Gallup, Rating Group; different wordings mapped onto two outcomes).",
     "country": "UA", "tags": ["ukraine", "war", "peace"],
     "outcomes": [{"code": "negotiate", "label": "Negotiate / seek a compromise soon"},
                  {"code": "fight", "label": "Keep fighting"}]},
    {"slug": "ukraine-direct-negotiations", "title": "Ukrainians supporting direct Kyiv-Moscow negotiations",
     "description": "Rating Group: support for direct negotiations between Ukraine and Russia.",
     "country": "UA", "tags": ["ukraine", "peace"],
     "outcomes": [{"code": "support", "label": "Support"}]},
    {"slug": "russia-putin-approval", "title": "Approval of Vladimir Putin",
     "description": "Approval of Vladimir Putin's performance measured by Levada Center (monthly), FOM and VTsIOM (weekly): three pollsters measuring the same thing, a showcase for house effects.",
     "country": "RU", "tags": ["russia", "approval"],
     "outcomes": [{"code": "approve", "label": "Approve"}, {"code": "disapprove", "label": "Disapprove"}]},
]  # fmt: skip

# compiled answer code -> (series slug, outcome); None = stored but not in a series
COMPILED_SERIES = {
    "territorial_concessions": ("ukraine-territorial-concessions",
        {"ready_for_some_concessions": "ready", "against_any_concessions": "against", "undecided": "undecided"}),
    "trust_zelensky": ("ukraine-trust-zelensky", {"trust": "trust", "distrust": "distrust", "undecided": "undecided"}),
    ("negotiations_vs_war", "RU"): ("russia-negotiations-vs-war",
        {"start_peace_negotiations": "negotiate", "continue_military_actions": "continue"}),
    ("negotiations_vs_war", "UA"): ("ukraine-negotiate-or-fight",
        {"stop_hostilities_and_seek_compromise": "negotiate", "continue_to_return_donbas_and_crimea": "fight",
         "continue_to_pre_2022-02-24_lines": "fight", "negotiate_asap": "negotiate", "fight_until_victory": "fight"}),
    "support_military_actions": ("russia-support-military-actions", {"support": "support"}),
    "negotiations_direct_kyiv_moscow": ("ukraine-direct-negotiations", {"support": "support"}),
}  # fmt: skip

QUESTION_TEXT = {
    "territorial_concessions": "Is Ukraine ready for some territorial concessions to achieve peace, or against any territorial concessions?",
    "trust_zelensky": "Do you trust Volodymyr Zelensky?",
    ("negotiations_vs_war", "Levada Center"): "Should Russia continue military actions in Ukraine or start peace negotiations?",
    ("negotiations_vs_war", "Rating Group"): "Should Ukraine stop hostilities and seek a compromise, or continue fighting (to the 2022 lines, or to return Donbas and Crimea)?",
    ("negotiations_vs_war", "Gallup"): "Should Ukraine seek to negotiate an end to the war as soon as possible, or keep fighting until it wins?",
    "support_military_actions": "Do you support the actions of the Russian armed forces in Ukraine?",
    "negotiations_direct_kyiv_moscow": "Do you support direct negotiations between Ukraine and Russia?",
}  # fmt: skip

ANSWER_LABELS = {
    "ready_for_some_concessions": "Ready for some territorial concessions",
    "against_any_concessions": "Against any territorial concessions",
    "undecided": "Hard to say",
    "trust": "Trust", "distrust": "Do not trust",
    "start_peace_negotiations": "Start peace negotiations", "continue_military_actions": "Continue military actions",
    "support": "Support",
    "stop_hostilities_and_seek_compromise": "Stop hostilities and seek a compromise",
    "continue_to_return_donbas_and_crimea": "Continue fighting to return Donbas and Crimea",
    "continue_to_pre_2022-02-24_lines": "Continue fighting to the lines of 24 February 2022",
    "hard_to_say": "Hard to say",
    "negotiate_asap": "Negotiate an end to the war as soon as possible",
    "fight_until_victory": "Keep fighting until victory",
}  # fmt: skip
NON_SUBSTANTIVE = {"undecided", "hard_to_say", "no_answer"}

PSLUG = {"KIIS": "kiis", "Levada Center": "levada-center", "Rating Group": "rating-group", "Gallup": "gallup"}


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_label(label: str) -> tuple[dt.date, dt.date, str, str, dt.date | None]:
    """A compiled ``fieldwork_label`` -> (start, end, precision, note, publication date)."""
    label = label.strip()
    if label.startswith("published "):
        published = dt.date.fromisoformat(label.split()[1])
        start = published.replace(day=1)
        return start, published, "month", (
            f"Field dates not in the source; stored as the publication month up to the publication date ({published})."
        ), published
    if label.startswith("reported 2023-09-07"):
        start, end = month_range(2023, 8)
        return start, end, "month", "Month inferred: reported on 7 September 2023, probably the August 2023 survey.", None
    if "/" in label:
        a, b = label.split("/")
        start = month_range(*map(int, a.split("-")))[0]
        end = month_range(*map(int, b.split("-")))[1]
        return start, end, "month", f"The source gives only '{label}': stored as the first and last day of those months.", None
    head, _, rest = label.partition(" ")
    parts = head.split("-")
    if len(parts) == 1:
        year = int(parts[0])
        note = f"The source gives only the year ('{label}'): stored as its first and last day."
        if "after elections" in rest:
            return dt.date(2019, 4, 22), dt.date(2019, 12, 31), "year", (
                "The source says 2019, after the presidential election (21 April 2019): stored as 22 April to 31 December 2019."
            ), None
        return dt.date(year, 1, 1), dt.date(year, 12, 31), "year", note, None
    start, end = month_range(int(parts[0]), int(parts[1]))
    if "before invasion" in rest:
        end = dt.date(2022, 2, 23)
        return start, end, "month", "The source says February 2022, before the invasion: stored as 1-23 February 2022.", None
    return start, end, "month", f"The source gives only the month ('{label}'): stored as its first and last day.", None


def mode_fields(mode: str) -> dict[str, str]:
    mode = (mode or "").strip()
    if not mode:
        return {}
    low = mode.lower()
    out = {"data_collection": mode}
    if "cati" in low or "telephone" in low:
        out["modes"] = "phone_live"
    elif "face-to-face" in low or "personal interview" in low:
        out["modes"] = "face_to_face"
    if "random mobile numbers" in low:
        out.update(sample_type="probability", sampling_frame="Random mobile phone numbers",
                   recruitment="Random digit dialling of mobile numbers")
    if "localities" in low:
        out["sample_type"] = "probability"
    return out


class Poll:
    def __init__(self, key: str, **fields):
        self.key = key
        self.fields = {"country": "", "population": "adults", **fields}
        self.notes: list[str] = []
        self.questions: OrderedDict[str, dict] = OrderedDict()

    def note(self, text: str) -> None:
        if text and text not in self.notes:
            self.notes.append(text)

    def question(self, code: str, **fields) -> dict:
        if code not in self.questions:
            self.questions[code] = {"fields": {"question_code": code, "language": "en", **fields}, "answers": []}
        return self.questions[code]

    def rows(self) -> list[dict]:
        out = []
        poll = {**self.fields, "poll_key": self.key, "notes": " ".join(self.notes)}
        for position, q in enumerate(self.questions.values(), start=1):
            for answer in q["answers"]:
                out.append({**poll, **q["fields"], "question_position": position, **answer})
        return out


def kiis_common(poll: Poll) -> None:
    poll.fields.update(
        country="UA",
        population_description="Adults 18+ living in government-controlled territory of Ukraine",
        coverage_exclusions="Temporarily occupied territories; people who left Ukraine after 24 February 2022",
    )
    poll.note("Population and coverage as stated in KIIS's standard wartime methodology paragraph.")


def build_ukraine(shared: Path) -> list[Poll]:
    polls: OrderedDict[str, Poll] = OrderedDict()

    # --- KIIS, 2-17 December 2024: the Trump questions (kiis_2024-12_trump_and_peace.csv)
    dec = Poll("kiis-2024-12-02", pollster="kiis", field_start_date="2024-12-02", field_end_date="2024-12-17",
               field_dates_precision="day", publication_date="2024-12-27", sample_size="2000",
               modes="phone_live", data_collection="Telephone interviews (CATI), random sample of mobile numbers",
               sample_type="probability", sampling_frame="Random mobile phone numbers",
               recruitment="Random digit dialling of mobile numbers", weighted="true", design_effect="1.1",
               source_url="https://kiis.com.ua/?lang=eng&cat=reports&id=1465&page=1",
               report_url="https://kyivindependent.com/45-of-ukrainians-see-trumps-election-bringing-peace-closer-poll-finds/")  # fmt: skip
    kiis_common(dec)
    dec.note("KIIS omnibus of about 2,000 respondents (kiis.com.ua report 1465); the Trump and concessions questions were put to 985 of them. "
             "KIIS states its formal error with a design effect of 1.1. Other reports: https://www.pravda.com.ua/eng/news/2024/12/27/7490967/")  # fmt: skip
    with (shared / "kiis_2024-12_trump_and_peace.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        q = dec.question(row["question_id"], wording=row["question_wording"], wording_exact="false",
                         base_description="Part of the omnibus sample asked this question", base_n=row["sample_size"],
                         question_notes="English translation as printed in the published chart; the Ukrainian original is not in the source.")  # fmt: skip
        code = row["answer"]
        if code.startswith("mostly_or_completely"):
            continue  # added below as nets with their components
        label = code.replace("_", " ").replace("peace ", "Peace ").capitalize()
        q["answers"].append({"answer_code": code, "answer_label": label, "pct": row["pct"],
                             "substantive": "true", "answer_notes": row["note"] if "combined" in row["note"] else ""})
    closer = dec.questions["trump_peace_closer"]["answers"]
    for a in closer:
        if a["answer_code"] == "no_change_or_undecided":
            a["answer_label"] = "No change, or hard to say"
            a["substantive"] = "false"  # it includes "hard to say": not counted as a substantive answer
            a["answer_notes"] = "Published as one combined figure (no change, or hard to say); counted as non-substantive."
    closer.append({"answer_code": "peace_closer", "answer_label": "Peace closer (net)", "pct": "45",
                   "components": "peace_significantly_closer;peace_slightly_closer", "substantive": "true",
                   "answer_notes": "The published headline figure: 45% = 15% significantly closer + 30% slightly closer."})
    fair = dec.questions["trump_peace_fairness"]["answers"]
    fair[:] = [
        {"answer_code": "completely_fair", "answer_label": "Completely fair", "pct": "7", "substantive": "true"},
        {"answer_code": "mostly_fair", "answer_label": "Mostly fair", "pct": "16", "substantive": "true",
         "answer_notes": "Not published separately: 23% mostly or completely fair minus 7% completely fair."},
        {"answer_code": "both_demands_and_concessions", "answer_label": "Both demands and concessions", "pct": "29", "substantive": "true"},
        {"answer_code": "mostly_unfair", "answer_label": "Mostly unfair", "pct": "20", "substantive": "true",
         "answer_notes": "Not published separately: 31% mostly or completely unfair minus 11% completely unfair."},
        {"answer_code": "completely_unfair", "answer_label": "Completely unfair", "pct": "11", "substantive": "true"},
        {"answer_code": "undecided", "answer_label": "Hard to say", "pct": "18", "substantive": "false"},
        {"answer_code": "mostly_or_completely_fair", "answer_label": "Mostly or completely fair (net)", "pct": "23",
         "components": "completely_fair;mostly_fair", "substantive": "true"},
        {"answer_code": "mostly_or_completely_unfair", "answer_label": "Mostly or completely unfair (net)", "pct": "31",
         "components": "mostly_unfair;completely_unfair", "substantive": "true"},
    ]  # fmt: skip
    polls[dec.key] = dec

    # --- the compiled war series
    with (shared / "ukraine_war_polls_compiled.csv").open(newline="", encoding="utf-8") as f:
        compiled = list(csv.DictReader(f))
    for row in compiled:
        pslug = PSLUG[row["pollster"]]
        if row["fieldwork_start"]:
            start, end = dt.date.fromisoformat(row["fieldwork_start"]), dt.date.fromisoformat(row["fieldwork_end"])
            precision, date_note, published = "day", "", None
        else:
            start, end, precision, date_note, published = parse_label(row["fieldwork_label"])
        if pslug == "levada-center":
            key = f"levada-{start:%Y-%m}"
        elif pslug == "kiis" and row["fieldwork_label"] == "2024-12":
            key = "kiis-2024-12-02"  # matched: same month, n=2,000, telephone (see note below)
        else:
            key = f"{pslug}-{start.isoformat()}"
        poll = polls.get(key)
        if poll is None:
            poll = polls[key] = Poll(key, pollster=pslug, field_start_date=start.isoformat(), field_end_date=end.isoformat(),
                                     field_dates_precision=precision, publication_date=published.isoformat() if published else "",
                                     country=row["country"], source_url=row["source_url"])  # fmt: skip
            if pslug == "kiis" and ("CATI" in row["mode"]):
                kiis_common(poll)
            if pslug == "levada-center":
                poll.fields["population_description"] = "Adults 18+ in Russia"
        elif precision == "day" and poll.fields["field_dates_precision"] != "day":
            poll.fields.update(field_start_date=start.isoformat(), field_end_date=end.isoformat(), field_dates_precision="day")
        if precision != "day" and poll.fields["field_dates_precision"] != "day":
            poll.note(date_note)
        if key == "kiis-2024-12-02" and row["series"] == "trust_zelensky":
            poll.note("The trust question was reported for December 2024 with n=2,000 by telephone "
                      f"({row['source_url']}); matched to this omnibus (same month, size and mode).")
        for name, value in mode_fields(row["mode"]).items():
            poll.fields.setdefault(name, value) if poll.fields.get(name) else poll.fields.update({name: value})
        if row["sample_size"] and not poll.fields.get("sample_size"):
            poll.fields["sample_size"] = row["sample_size"]
        if row["source_url"] != poll.fields.get("source_url"):
            poll.note(f"Also reported at {row['source_url']}")
        if row["note"] and "MoE" in row["note"]:
            poll.fields["margin_of_error"] = row["note"].split("<=")[1].rstrip("%")
            poll.fields["confidence_level"] = "95"
            poll.note(f"Margin of error as reported: '{row['note']}' (at most; 95% confidence assumed).")
        series_key = (row["series"], row["country"]) if row["series"] == "negotiations_vs_war" else row["series"]
        slug, outcomes = COMPILED_SERIES[series_key]
        text_key = (row["series"], row["pollster"]) if row["series"] == "negotiations_vs_war" else row["series"]
        q = poll.question(row["series"], wording=QUESTION_TEXT[text_key], wording_exact="false", question_notes=PARAPHRASE)
        answer_note = row["note"] if row["note"] and "MoE" not in row["note"] else ""
        q["answers"].append({
            "answer_code": row["answer"], "answer_label": ANSWER_LABELS[row["answer"]], "pct": row["pct"],
            "substantive": "false" if row["answer"] in NON_SUBSTANTIVE else "true", "answer_notes": answer_note,
            "series": slug if row["answer"] in outcomes else "", "outcome": outcomes.get(row["answer"], ""),
        })  # fmt: skip
    # question bases reported in the notes of the compiled file
    bases = {("kiis-2024-12-02", "territorial_concessions"): "985", ("kiis-2025-02-14", "territorial_concessions"): "1029",
             ("kiis-2025-05-15", "trust_zelensky"): "1011"}  # fmt: skip
    omnibus = {"kiis-2025-02-14": "2029", "kiis-2025-05-15": "2004", "kiis-2024-12-02": "2000"}
    for (key, qcode), n in bases.items():
        polls[key].questions[qcode]["fields"].update(base_n=n, base_description="Part of the omnibus sample asked this question")
    for key, n in omnibus.items():
        polls[key].fields["sample_size"] = n
    polls["kiis-2025-05-15"].questions["territorial_concessions"]["fields"]["base_description"] = (
        "One of four question wordings, each put to about 500 respondents; which wording gave 38/52 is not in the source"
    )
    return list(polls.values())


def build_approval(shared: Path, ukraine: list[Poll]) -> list[Poll]:
    levada = {p.key: p for p in ukraine if p.key.startswith("levada-")}
    polls: list[Poll] = []
    repo_note = "Figures as collected in the public repository {repo} ({url})."
    wording = "Do you approve of the activities of Vladimir Putin (as president, or as prime minister in 1999-2000 and 2008-2012)?"

    def approval_question(poll: Poll, approve: str, disapprove: str, other: str | None, other_label: str) -> None:
        q = poll.question("putin_approval", wording=wording, wording_exact="false",
                          question_notes="Paraphrase: the source file gives only the series name.")
        q["answers"] += [
            {"answer_code": "approve", "answer_label": "Approve", "pct": approve, "substantive": "true",
             "series": "russia-putin-approval", "outcome": "approve"},
            {"answer_code": "disapprove", "answer_label": "Disapprove", "pct": disapprove, "substantive": "true",
             "series": "russia-putin-approval", "outcome": "disapprove"},
        ]  # fmt: skip
        if other is not None:
            q["answers"].append({"answer_code": "no_answer", "answer_label": other_label, "pct": other, "substantive": "false"})

    with (shared / "levada_putin_approval_monthly_1999-2024.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            day = dt.date.fromisoformat(row["Date"])
            start, end = month_range(day.year, day.month)
            key = f"levada-{day:%Y-%m}"
            poll = levada.get(key)
            if poll is None:
                poll = Poll(key, pollster="levada-center", field_start_date=start.isoformat(), field_end_date=end.isoformat(),
                            field_dates_precision="month", country="RU", population_description="Adults 18+ in Russia",
                            source_url="https://www.levada.ru/en/ratings/",
                            report_url="https://github.com/valchyshen/Regression-of-Levada-Data")  # fmt: skip
                poll.note("Monthly approval rating; the source dates each survey to the 1st of its month, stored as the month's first and last day.")
                poll.note(repo_note.format(repo="valchyshen/Regression-of-Levada-Data", url="https://github.com/valchyshen/Regression-of-Levada-Data"))
                polls.append(poll)
            else:
                poll.note("Putin approval from https://www.levada.ru/en/ratings/ as collected in https://github.com/valchyshen/Regression-of-Levada-Data.")
            approval_question(poll, row["Approve"], row["Disapprove"], row["No_answer"], "No answer")

    for name, slug, repo_file, third in (
        ("fom_putin_approval_weekly_2013-2020.csv", "fom", "FOM", "hard_to_say"),
        ("vtsiom_putin_approval_weekly_2006-2020.csv", "vtsiom", "VTsIOM", None),
    ):
        with (shared / name).open(newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["Approve"] not in ("", "NA") and r["Disapprove"] not in ("", "NA")]
        by_date: dict[str, list[dict]] = {}
        for row in rows:
            by_date.setdefault(row["Date"], []).append(row)
        for date, group in by_date.items():
            values = {(r["Approve"], r["Disapprove"]) for r in group}
            if len(values) > 1:
                continue  # conflicting duplicate rows for one date: left out (data/README.md)
            row = group[0]
            poll = Poll(f"{slug}-{date}", pollster=slug, field_start_date=date, field_end_date=date,
                        field_dates_precision="end_only", country="RU", population_description="Adults 18+ in Russia",
                        source_url="https://github.com/biznesslanch/Russian-Public-Opinion-Tracker")  # fmt: skip
            poll.note("Weekly poll; the source gives one date, taken as the field end date. Sample size not in the source.")
            poll.note(f"Pollster's site: {'https://fom.ru/' if slug == 'fom' else 'https://wciom.ru/'}")
            approval_question(poll, row["Approve"], row["Disapprove"], row.get(third) if third else None, "Hard to say")
            polls.append(poll)
    return polls


def write_csv(path: Path, polls: list[Poll]) -> int:
    rows = [row for poll in polls for row in poll.rows()]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="raise", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in COLUMNS})
    return len(rows)


def main(shared: Path) -> None:
    with (HERE / "pollsters.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["slug", "name", "country", "website", "memberships", "notes"], lineterminator="\n")
        writer.writeheader()
        for p in POLLSTERS:
            writer.writerow({"memberships": "", **p})
    (HERE / "series.json").write_text(json.dumps(SERIES, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ukraine = build_ukraine(shared)
    approval = build_approval(shared, ukraine)
    n1 = write_csv(HERE / "polls" / "ukraine_war.csv", ukraine)
    n2 = write_csv(HERE / "polls" / "putin_approval.csv", approval)
    print(f"ukraine_war.csv: {len(ukraine)} polls, {n1} rows; putin_approval.csv: {len(approval)} polls, {n2} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data"))
