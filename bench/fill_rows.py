"""SYNTHETIC rows for the benchmark databases: what ``bench/fill.py`` writes, table by table.

Nothing here is a real poll. Every pollster, sponsor and series slug starts with ``synthetic``, every
poll's notes say "SYNTHETIC", and countries are the user-assigned ISO codes XA-XD.

The shape follows the real store: four countries, two tracked series each (leader approval, vote
intention), forty pollsters with a home country and a usual mode, twenty sponsors (a third of polls
have one or two), a few partner pollsters, field dates from 1980 to 2025 (denser in recent years),
three populations, and two or three questions per poll with about ten answers in all (a quarter of the
approval questions carry a net answer with its components; the "direction" question is in no series).
About 2% of polls are soft-deleted and 5% were corrected once, and every poll has the revisions
:mod:`pollapp.services.history` would have written for it (snapshot, content hash, diff, series kinds),
so the app's history, ``as_of`` and data-version code paths see what they would see in production.

Rows are built ``CHUNK`` polls at a time (:func:`chunks`), so memory does not grow with the size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from pollapp.services.history import diff
from pollapp.services.polls import ANSWER_FIELDS, POLL_FIELDS, QUESTION_FIELDS

SIZES = {"small": 1_000, "medium": 20_000, "large": 100_000}
COUNTRIES = ("XA", "XB", "XC", "XD")
COUNTRY_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
N_POLLSTERS, N_SPONSORS = 40, 20
PARTIES = ("party_a", "party_b", "party_c", "party_d", "party_e")
POPULATIONS = ("adults", "registered_voters", "likely_voters")
MODES = (["online_panel"], ["phone_live"], ["ivr", "online_panel"], ["face_to_face"], ["phone_live", "text"])
FIRST_DAY, LAST_DAY = dt.date(1980, 1, 1), dt.date(2025, 12, 31)
ACTOR = "cli: synthetic fill"
# A series follows one leader (approval, 8-year terms) or one party system (vote intention, 16 years),
# as real trackers do: a trend's cost grows with the days its series spans, and no real series spans
# 46 years (one that did took 54 s to fit on the small size).
ERAS = {"approval": (1980, 1988, 1996, 2004, 2012, 2020, 2026), "vote": (1980, 1996, 2012, 2026)}
LARGEST_SERIES = "synthetic-xa-approval-6"  # the current leader of the biggest country: most polls
CHUNK = 5_000

# Columns written per table (the rest take their defaults: ``version`` is 1, nullable columns NULL).
COLUMNS: dict[str, tuple[str, ...]] = {
    "pollsters": ("id", "slug", "name", "country", "website", "memberships", "notes", "created_at", "updated_at"),
    "sponsors": ("id", "slug", "name", "country", "created_at", "updated_at"),
    "series": ("id", "slug", "title", "description", "country", "tags", "created_at", "updated_at"),
    "series_outcomes": ("id", "series_id", "code", "label", "position"),
    "polls": (
        "id", "pollster_id", "field_start_date", "field_end_date", "field_dates_precision", "publication_date",
        "country", "population", "sample_size", "sample_type", "modes", "languages", "weighted",
        "weighting_variables", "margin_of_error", "confidence_level", "self_sponsored", "partisan", "internal",
        "tracking", "source_url", "notes", "source", "source_id", "deleted_at", "created_at", "updated_at",
    ),
    "poll_sponsors": ("poll_id", "sponsor_id"),
    "poll_partners": ("poll_id", "pollster_id"),
    "questions": (
        "id", "poll_id", "code", "wording", "wording_exact", "wording_en", "language", "position", "population",
        "base_n", "multi_select", "remainder_not_reported",
    ),
    "answers": ("id", "question_id", "code", "label", "pct", "position", "substantive"),
    "answer_components": ("net_answer_id", "component_answer_id"),
    "series_members": ("id", "series_id", "question_id"),
    "series_mappings": ("member_id", "answer_id", "outcome_id"),
    "poll_revisions": (
        "id", "poll_id", "revision", "action", "recorded_at", "actor", "reason", "content_hash", "snapshot", "changes",
    ),
    "poll_revision_series": ("revision_id", "series_id", "kind"),
}  # fmt: skip
TABLE_ORDER = tuple(COLUMNS)


def _utc(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc)


@dataclass
class Series:
    id: int
    slug: str
    country: str
    kind: str  # "approval" or "vote"
    first_year: int
    stop_year: int  # exclusive
    outcomes: dict[str, tuple[int, int]]  # outcome code -> (outcome id, position)


def reference_rows(created: dt.datetime) -> tuple[dict[str, list[tuple]], list[Series]]:
    """Pollsters, sponsors, series and their outcomes (ids from 1)."""
    rows: dict[str, list[tuple]] = {t: [] for t in ("pollsters", "sponsors", "series", "series_outcomes")}
    for i in range(1, N_POLLSTERS + 1):
        rows["pollsters"].append((
            i, f"synthetic-pollster-{i:02d}", f"Synthetic Pollster {i:02d}", COUNTRIES[i % len(COUNTRIES)],
            f"https://synthetic.example.org/pollster/{i}", orjson.dumps(["synthetic-council"] if i % 4 == 0 else []).decode(),
            "SYNTHETIC pollster for benchmarks", created, created,
        ))  # fmt: skip
    for i in range(1, N_SPONSORS + 1):
        rows["sponsors"].append((i, f"synthetic-sponsor-{i:02d}", f"Synthetic Sponsor {i:02d}", COUNTRIES[i % 4], created, created))
    series, outcome_id = [], 0
    for country in COUNTRIES:
        for kind, eras in ERAS.items():
            for era, (first, last) in enumerate(zip(eras, eras[1:]), start=1):
                sid = len(series) + 1
                slug = f"synthetic-{country.lower()}-{kind}-{era}"
                what = f"leader {era} approval" if kind == "approval" else f"vote intention, party system {era}"
                title = f"Synthetic {country} {what} ({first}-{last - 1})"
                tags = ["synthetic", kind, country.lower()]
                rows["series"].append((sid, slug, title, "SYNTHETIC series for benchmarks", country,
                                       orjson.dumps(tags).decode(), created, created))
                codes = ("approve", "disapprove") if kind == "approval" else PARTIES
                outcomes = {}
                for position, code in enumerate(codes, start=1):
                    outcome_id += 1
                    outcomes[code] = (outcome_id, position)
                    rows["series_outcomes"].append((outcome_id, sid, code, code.replace("_", " ").title(), position))
                series.append(Series(sid, slug, country, kind, first, last, outcomes))
    return rows, series


class Generator:
    """Draws polls chunk by chunk; ids continue across chunks (a fresh database: everything from 1)."""

    def __init__(self, n_polls: int, seed: int = 20261128) -> None:
        self.n_polls = n_polls
        self.rng = np.random.default_rng(seed)
        self.created = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)
        self.reference, self.series = reference_rows(self.created)
        self.by_country: dict[str, dict[str, list[Series]]] = {c: {} for c in COUNTRIES}
        for s in self.series:
            self.by_country[s.country].setdefault(s.kind, []).append(s)
        self.days = (LAST_DAY - FIRST_DAY).days
        # One random walk per country: leader approval and five party shares.
        # Mean-reverting (AR(1), stationary sd about 0.07): opinion drifts but stays in range for decades.
        steps = self.rng.normal(0, 0.003, (self.days + 1, len(COUNTRIES), 1 + len(PARTIES)))
        self.truth = np.empty((len(COUNTRIES), self.days + 1, 1 + len(PARTIES)))
        level = np.zeros((len(COUNTRIES), 1 + len(PARTIES)))
        for day in range(self.days + 1):
            level = 0.999 * level + steps[day]
            self.truth[:, day] = level
        self.home = {c: [i for i in range(1, N_POLLSTERS + 1) if COUNTRIES[i % 4] == c] for c in COUNTRIES}
        self.next_id = {"questions": 1, "answers": 1, "series_members": 1, "poll_revisions": 1}

    def chunks(self) -> Iterator[dict[str, list[tuple]]]:
        for start in range(1, self.n_polls + 1, CHUNK):
            yield self._chunk(start, min(start + CHUNK, self.n_polls + 1))

    def _new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _chunk(self, first: int, stop: int) -> dict[str, list[tuple]]:
        rows: dict[str, list[tuple]] = {t: [] for t in TABLE_ORDER if t not in self.reference}
        rng, n = self.rng, stop - first
        # Recent decades hold most polls: day = days * u^0.5 is denser towards the end.
        days = (self.days * np.sqrt(rng.random(n))).astype(int)
        countries = rng.choice(len(COUNTRIES), n, p=COUNTRY_WEIGHTS)
        draws = rng.random((n, 8))
        for i, poll_id in enumerate(range(first, stop)):
            self._poll(rows, poll_id, int(days[i]), COUNTRIES[countries[i]], draws[i].tolist())
        return rows

    def _poll(self, rows: dict[str, list[tuple]], poll_id: int, day: int, country: str, u: list[float]) -> None:
        rng = self.rng
        home = self.home[country]
        pollster = home[int(u[0] * len(home))] if u[0] < 0.9 else int(1 + u[0] * 1000) % N_POLLSTERS + 1
        end = FIRST_DAY + dt.timedelta(days=day)
        start = end - dt.timedelta(days=int(u[1] * 6))
        published = end + dt.timedelta(days=1 + int(u[2] * 5)) if u[2] < 0.8 else None
        sample = int(400 + u[3] * 2600)
        population = POPULATIONS[int(u[4] * 3)]
        modes = MODES[pollster % len(MODES)]
        deleted = u[5] < 0.02
        corrected = 0.02 <= u[5] < 0.07
        created = _utc(end + dt.timedelta(days=2))
        updated = created + dt.timedelta(days=30) if corrected or deleted else created
        sponsors = sorted({1 + int(u[6] * 997) % N_SPONSORS, 1 + int(u[6] * 7919) % N_SPONSORS}) if u[6] < 0.33 else []
        sponsors = sponsors[:1] if u[6] < 0.28 else sponsors
        partner = 1 + (pollster + 7) % N_POLLSTERS if u[7] < 0.03 else None
        poll = {
            "id": poll_id, "pollster_id": pollster, "field_start_date": start, "field_end_date": end,
            "field_dates_precision": "day", "publication_date": published, "country": country,
            "population": population, "sample_size": sample, "sample_type": "probability" if pollster % 3 else "non_probability",
            "modes": modes, "languages": ["en"], "weighted": True, "weighting_variables": ["age", "gender", "region"],
            "margin_of_error": round(98 / float(np.sqrt(sample)), 1), "confidence_level": 95.0, "self_sponsored": not sponsors,
            "partisan": False, "internal": False, "tracking": pollster % 10 == 0,
            "source_url": f"https://synthetic.example.org/poll/{poll_id}", "notes": "SYNTHETIC benchmark poll",
            "source": "synthetic", "source_id": str(poll_id),
            "deleted_at": updated if deleted else None, "created_at": created, "updated_at": updated,
        }  # fmt: skip
        rows["polls"].append(tuple(poll[c] if c not in ("modes", "languages", "weighting_variables") else orjson.dumps(poll[c]).decode() for c in COLUMNS["polls"]))
        rows["poll_sponsors"].extend((poll_id, s) for s in sponsors)
        if partner is not None and partner != pollster:
            rows["poll_partners"].append((poll_id, partner))
        truth = self.truth[COUNTRIES.index(country), day]
        questions = [self._approval(rows, poll_id, truth[0], sample)]
        if rng.random() < 0.8:
            questions.append(self._vote(rows, poll_id, truth[1:], sample))
        if rng.random() < 0.4:
            questions.append(self._direction(rows, poll_id, len(questions) + 1))
        memberships = self._members(rows, country, end.year, questions)
        self._revisions(rows, poll, questions, memberships, pollster, sponsors, partner, deleted, corrected)

    # ---------------------------------------------------------------- questions and answers

    def _question(self, rows, poll_id: int, code: str, wording: str, position: int, answers: list[tuple]) -> dict[str, Any]:
        qid = self._new_id("questions")
        total = sum(pct for _, _, pct, _, components in answers if not components)
        q = {
            "id": qid, "code": code, "wording": wording, "wording_exact": True, "wording_en": None, "language": "en",
            "preceding_context": None, "position": position, "population": None, "base_description": None,
            "base_n": None, "split_variant": None, "multi_select": False, "remainder_not_reported": total < 98,
            "notes": None, "answers": [],
        }  # fmt: skip
        rows["questions"].append(tuple(q[c] if c != "poll_id" else poll_id for c in COLUMNS["questions"]))
        ids: dict[str, int] = {}
        for pos, (acode, label, pct, substantive, components) in enumerate(answers, start=1):
            aid = self._new_id("answers")
            ids[acode] = aid
            rows["answers"].append((aid, qid, acode, label, pct, pos, substantive))
            rows["answer_components"].extend((aid, ids[c]) for c in components)
            q["answers"].append({"id": aid, "code": acode, "label": label, "pct": pct, "position": pos,
                                 "substantive": substantive, "notes": None, "components": list(components)})
        return q

    def _pct(self, p: float, n: int) -> float:
        return float(round(100 * self.rng.binomial(n, min(max(p, 0.01), 0.99)) / n))

    def _approval(self, rows, poll_id: int, level: float, n: int) -> dict[str, Any]:
        approve = self._pct(0.45 + level, n)
        unsure = float(self.rng.integers(2, 9))
        disapprove = max(0.0, 100 - approve - unsure)
        if self.rng.random() < 0.25:  # strongly / somewhat published, with the net "approve"
            strongly = float(round(approve * 0.4))
            answers = [("strongly_approve", "Strongly approve", strongly, True, ()),
                       ("somewhat_approve", "Somewhat approve", approve - strongly, True, ()),
                       ("approve", "Approve (net)", approve, True, ("strongly_approve", "somewhat_approve"))]
        else:
            answers = [("approve", "Approve", approve, True, ())]
        answers += [("disapprove", "Disapprove", disapprove, True, ()), ("dont_know", "Don't know", unsure, False, ())]
        wording = "Do you approve or disapprove of the way the synthetic leader is handling the job?"
        return self._question(rows, poll_id, "approval", wording, 1, answers)

    def _vote(self, rows, poll_id: int, levels: np.ndarray, n: int) -> dict[str, Any]:
        shares = np.exp(levels + np.array([0.9, 0.7, 0.2, 0.0, -0.6]))
        shares = 0.88 * shares / shares.sum()
        pcts = [self._pct(float(p), n) for p in shares]
        answers = [(code, code.replace("_", " ").title(), pct, True, ()) for code, pct in zip(PARTIES, pcts)]
        answers += [("other", "Other", 4.0, True, ()), ("undecided", "Undecided", max(0.0, 96 - sum(pcts)), False, ())]
        wording = "If an election were held tomorrow, which synthetic party would you vote for?"
        return self._question(rows, poll_id, "vote", wording, 2, answers)

    def _direction(self, rows, poll_id: int, position: int) -> dict[str, Any]:
        right = float(self.rng.integers(25, 45))
        answers = [("right", "Right direction", right, True, ()), ("wrong", "Wrong track", 92 - right, True, ()),
                   ("unsure", "Unsure", 8.0, False, ())]
        return self._question(rows, poll_id, "direction", "Is the synthetic country heading in the right direction?", position, answers)

    def _members(self, rows, country: str, year: int, questions: list[dict[str, Any]]) -> dict[str, Any]:
        """Series memberships of the poll's questions, in :func:`history.snapshot`'s shape."""
        out: dict[str, Any] = {}
        for q in questions:
            series = next((s for s in self.by_country[country].get(q["code"], ()) if s.first_year <= year < s.stop_year), None)
            if series is None:
                continue
            mid = self._new_id("series_members")
            rows["series_members"].append((mid, series.id, q["id"]))
            mapped: dict[str, Any] = {}
            for a in q["answers"]:
                if a["code"] in series.outcomes:
                    outcome_id, position = series.outcomes[a["code"]]
                    rows["series_mappings"].append((mid, a["id"], outcome_id))
                    mapped[a["code"]] = {"position": position, "answers": [a["code"]]}
            out[series.slug] = {q["code"]: mapped}
        return out

    # ---------------------------------------------------------------- revision history

    def _revisions(self, rows, poll, questions, memberships, pollster, sponsors, partner, deleted, corrected) -> None:
        doc: dict[str, Any] = {"pollster": f"synthetic-pollster-{pollster:02d}"}
        doc["partner_pollsters"] = [f"synthetic-pollster-{partner:02d}"] if partner not in (None, pollster) else []
        doc["sponsors"] = [f"synthetic-sponsor-{s:02d}" for s in sponsors]
        for name in POLL_FIELDS:
            doc[name] = poll.get(name)
        doc["questions"] = [
            {**{f: q[f] for f in QUESTION_FIELDS},
             "answers": [{**{f: a[f] for f in ANSWER_FIELDS}, "components": a["components"]} for a in q["answers"]]}
            for q in questions
        ]  # fmt: skip
        current = {
            "poll_id": poll["id"], "poll": doc, "pollster_name": f"Synthetic Pollster {pollster:02d}",
            "question_ids": {q["code"]: q["id"] for q in questions}, "series": memberships, "deleted": deleted,
        }  # fmt: skip
        states = [(current, "create", poll["created_at"])]
        if corrected:  # revision 1 had the approval figures one point off
            first = orjson.loads(orjson.dumps(current))
            for answer in first["poll"]["questions"][0]["answers"]:
                if answer["code"] in ("approve", "disapprove") and answer["pct"] >= 1:
                    answer["pct"] += 1.0 if answer["code"] == "disapprove" else -1.0
            states = [(first, "create", poll["created_at"]), (current, "update", poll["updated_at"])]
        elif deleted:
            alive = {**current, "deleted": False}
            states = [(alive, "create", poll["created_at"]), (current, "delete", poll["updated_at"])]
        slugs = {s.slug: s.id for s in self.series}
        before = None
        for number, (state, action, at) in enumerate(states, start=1):
            canonical = orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
            snap = orjson.loads(canonical)
            changes = diff(before, snap) if before is not None else []
            rid = self._new_id("poll_revisions")
            rows["poll_revisions"].append((
                rid, poll["id"], number, action, at, ACTOR, "SYNTHETIC history", hashlib.sha256(canonical).hexdigest(),
                canonical.decode(), orjson.dumps(changes).decode(),
            ))  # fmt: skip
            kind = {"create": "added", "update": "corrected", "delete": "removed"}[action]
            rows["poll_revision_series"].extend((rid, slugs[slug], kind) for slug in sorted(memberships))
            before = snap
