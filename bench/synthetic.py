"""SYNTHETIC poll data for benchmarks: a random-walk truth, constant pollster house effects,
binomial sampling noise. Nothing here is a real poll; every pollster and series slug says so.

``fill_database(session, n_polls, ...)`` writes pollsters, one series and ``n_polls`` polls (one
question, two answers mapped to the outcomes ``yes``/``no``) through the ORM in bulk.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

SERIES_SLUG = "synthetic-benchmark-series"


def synthetic_polls(n_polls: int, n_pollsters: int = 10, seed: int = 20261128) -> list[dict]:
    rng = np.random.default_rng(seed)
    days = max(365, n_polls // 2)
    truth = 0.45 + np.cumsum(rng.normal(0, 0.002, days))
    truth = np.clip(truth, 0.05, 0.95)
    house = rng.normal(0, 0.015, n_pollsters)
    house -= house.mean()
    start = dt.date(2010, 1, 1)
    polls = []
    for i in range(n_polls):
        day = int(rng.integers(3, days))
        pollster = int(rng.integers(0, n_pollsters))
        n = int(rng.integers(600, 2500))
        p = float(np.clip(truth[day] + house[pollster], 0.01, 0.99))
        yes = round(100 * rng.binomial(n, p) / n)
        polls.append(
            {
                "pollster": pollster,
                "start": start + dt.timedelta(days=day - 3),
                "end": start + dt.timedelta(days=day),
                "n": n,
                "yes": yes,
                "no": 100 - yes - int(rng.integers(0, 4)),
            }
        )
    return polls


def fill_database(session, n_polls: int, n_pollsters: int = 10) -> None:
    from pollapp.models import (
        Answer,
        Poll,
        Pollster,
        Population,
        Question,
        Series,
        SeriesMapping,
        SeriesMember,
        SeriesOutcome,
    )

    pollsters = [
        Pollster(slug=f"synthetic-pollster-{i}", name=f"Synthetic pollster {i}", memberships=[])
        for i in range(n_pollsters)
    ]
    yes_outcome = SeriesOutcome(code="yes", label="Yes", position=1)
    no_outcome = SeriesOutcome(code="no", label="No", position=2)
    series = Series(slug=SERIES_SLUG, title="Synthetic benchmark series", tags=["synthetic"], outcomes=[yes_outcome, no_outcome])
    session.add_all([*pollsters, series])
    for i, spec in enumerate(synthetic_polls(n_polls, n_pollsters)):
        yes = Answer(code="yes", label="Yes", pct=spec["yes"], position=1)
        no = Answer(code="no", label="No", pct=spec["no"], position=2)
        question = Question(code="q", wording="Synthetic question?", language="en", answers=[yes, no])
        poll = Poll(
            pollster=pollsters[spec["pollster"]],
            field_start_date=spec["start"],
            field_end_date=spec["end"],
            country="XX",
            population=Population.ADULTS,
            sample_size=spec["n"],
            modes=[],
            languages=[],
            weighting_variables=[],
            source="synthetic-benchmark",
            source_id=str(i),
            questions=[question],
            notes="SYNTHETIC benchmark poll",
        )
        member = SeriesMember(series=series, question=question)
        member.mappings = [SeriesMapping(answer=yes, outcome=yes_outcome), SeriesMapping(answer=no, outcome=no_outcome)]
        session.add_all([poll, member])
        if i % 2000 == 1999:
            session.flush()
    session.commit()


FTE_COLUMNS = (
    "question_id", "poll_id", "state", "politician_id", "politician", "pollster_id", "pollster", "sponsor_ids",
    "sponsors", "display_name", "pollster_rating_id", "pollster_rating_name", "fte_grade", "sample_size",
    "population", "population_full", "methodology", "start_date", "end_date", "sponsor_candidate", "tracking",
    "created_at", "notes", "url", "source", "yes", "no",
)  # fmt: skip
FTE_METHODS = ("Online", "Live Phone", "IVR/Online", "Automated Phone", "Text")


def write_fte_csv(path, n_rows: int, n_pollsters: int = 40, seed: int = 20261128) -> int:
    """A SYNTHETIC file in FiveThirtyEight's approval layout with ``n_rows`` rows: every third poll is
    reported for two populations (adults and registered voters, two rows), the others for one; values
    from :func:`synthetic_polls`, dates as m/d/yyyy (100,000 rows span more synthetic days than two-digit
    years can say). Returns the number of polls. Every name says "Synthetic"."""
    import csv

    n_polls = (n_rows * 3 + 3) // 4  # every third poll has two rows: 3 polls per 4 rows
    specs = synthetic_polls(n_polls, n_pollsters, seed)
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FTE_COLUMNS)
        for i, s in enumerate(specs):
            populations = ("a", "rv") if i % 3 == 0 else (("lv",) if i % 3 == 1 else ("rv",))
            for k, population in enumerate(populations):
                if rows == n_rows:
                    return i
                n = s["n"] if k == 0 else int(s["n"] * 0.8)
                p = s["pollster"]
                writer.writerow([
                    100_000 + rows, 50_000 + i, "", "11", "Synthetic President", 900 + p, f"Synthetic Pollster {p}",
                    str(p % 7) if p % 3 == 0 else "", f"Synthetic Sponsor {p % 7}" if p % 3 == 0 else "",
                    f"Synthetic Pollster {p}", "", "", "B", n, population, population, FTE_METHODS[p % len(FTE_METHODS)],
                    f"{s['start']:%m/%d/%Y}", f"{s['end']:%m/%d/%Y}", "", "", "", "SYNTHETIC row, not a real poll",
                    f"https://synthetic.example.org/{i}", "538", f"{s['yes'] + k}.0", f"{s['no'] - k}.0",
                ])  # fmt: skip
                rows += 1
    return len(specs)
