"""The import fast path for FiveThirtyEight files: a clean file (:mod:`imports_fte_frame` proves it) is
written with precomputed ids through the raw driver (``repository.bulk_insert``: sqlite3 executemany,
PostgreSQL COPY) in the caller's transaction, with each new poll's first revision built here in bulk.

What it writes is exactly what the per-poll path (:func:`imports_fte.import_fte` with ORM upserts, Core
inserts and the history's commit hook) writes for the same file: the same rows, the same ids on the
same database, the same revision snapshots and hashes (tests/services/test_import_fast_path.py
compares the two paths table by table). Why not reuse the per-poll code: it costs about 1 ms per poll
(documents, marshmallow, ORM objects, snapshots read back from the database); this costs about 20 us.

Stored polls (a re-import) are compared with their latest revision's snapshot, which the history keeps
equal to the stored state: a poll whose new snapshot would be the same is unchanged and touched by
nothing. A changed, deleted or never-recorded stored poll goes through the per-poll upsert (rare, and
it keeps question and answer ids as before).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, InvalidInput
from pollapp.models import (
    Answer,
    Poll,
    PollRevision,
    PollRevisionSeries,
    Question,
    SeriesMapping,
    SeriesMember,
    poll_sponsors,
    utcnow,
)
from pollapp.services import bulk_polls, history
from pollapp.services import imports_fte as fte
from pollapp.services import polls as poll_service
from pollapp.services.import_files import ImportReport, Problems, Validators, decode, read_header
from pollapp.services.imports_fte_frame import REMAINDER_BELOW, FteFrame, NotProven, methodology, read, sponsors
from pollapp.services.imports_fte_rows import ANSWERS, CREDIT, FTE_SOURCE, POPULATION_ORDER, POPULATIONS, REQUIRED, TRUE, slugify

POLL_COLUMNS = (
    "id", "pollster_id", "field_start_date", "field_end_date", "field_dates_precision", "country", "region",
    "population", "population_description", "sample_size", "modes", "languages", "weighting_variables",
    "self_sponsored", "partisan", "internal", "tracking", "source_url", "notes", "source", "source_id",
    "created_at", "updated_at",
)  # fmt: skip
QUESTION_COLUMNS = (
    "id", "poll_id", "code", "wording", "wording_exact", "language", "position", "population", "base_n",
    "multi_select", "remainder_not_reported", "notes",
)  # fmt: skip
ANSWER_COLUMNS = ("id", "question_id", "code", "label", "pct", "position", "substantive")
REVISION_COLUMNS = ("id", "poll_id", "revision", "action", "recorded_at", "api_key_id", "actor", "reason", "content_hash", "snapshot", "changes")
# Poll fields a 538 poll never sets (the per-poll path stores them as None / [] / False).
NONE_FIELDS = (
    "publication_date", "coverage_exclusions", "sample_type", "sampling_frame", "recruitment", "data_collection",
    "weighted", "design_effect", "margin_of_error", "confidence_level", "response_rate", "response_rate_formula",
    "quality_procedures", "limitations", "report_url", "topline_url", "crosstab_url",
)  # fmt: skip


CHUNK_POLLS = 5000  # new polls built and written per step: memory stays flat
FAST = True  # False: every file takes the per-poll path (the equivalence tests compare the two)


def import_fte(
    session: Session, data: bytes, name: str, validators: Validators, *, series_slug: str | None = None
) -> ImportReport:
    """Import a 538 file: the fast path when the file is proven clean, else the per-poll path (which
    also reports every problem of a file that has any)."""
    frame = _frame(data, name) if FAST else None
    if frame is not None:
        report = ImportReport()
        report.rows = frame.n_rows
        try:
            import_frame(session, frame, validators, series_slug, report)
            return report
        except NotProven:
            pass  # raised before anything was added to the session: the per-poll path starts afresh
    return fte.import_fte(session, data, name, validators, series_slug=series_slug)


def _frame(data: bytes, name: str) -> FteFrame | None:
    end = data.find(b"\n")
    try:  # the header is the first line (else the frame refuses the file): no need to decode it all
        header = read_header(decode(data if end < 0 else data[: end + 1], name), name)
        if not all(column in header for column in REQUIRED):
            return None
        return read(data, header)
    except (NotProven, InvalidInput):  # the per-poll path reports what is wrong
        return None


def import_frame(
    session: Session, frame: FteFrame, validators: Validators, series_slug: str | None, report: ImportReport
) -> None:
    """Write a proven-clean file. Raises NotProven only BEFORE anything is added to the session (then
    the caller runs the per-poll path on a session it has not touched); after that, InvalidInput."""
    cols = frame.columns
    # organisations and series: checked first (NotProven leaves the session untouched), then created;
    # wanted in the order polls first name them (the per-poll path creates them in that order)
    wanted: dict[str, dict[str, tuple[str, list[str], int]]] = {"pollster": {}, "sponsor": {}}
    for name, fte_id in _distinct(frame, "pollster", "pollster_id"):
        fte._want(wanted["pollster"], [(slugify(name), name, fte_id or None)], 0)
    for names, ids in _distinct(frame, "sponsors", "sponsor_ids"):
        fte._want(wanted["sponsor"], sponsors(names, ids), 0)
    for kind, validate, finder in (
        ("pollster", validators.pollster, repository.pollsters_by_slugs),
        ("sponsor", validators.sponsor, repository.sponsors_by_slugs),
    ):
        existing = finder(session, list(wanted[kind]))
        for slug, (name, _, _) in wanted[kind].items():
            if slug not in existing:
                _prove(validate, {"slug": slug, "name": name, "notes": "Created by the FiveThirtyEight import."})
    politicians = sorted({cols["politician"].values[i] for i in np.unique(cols["politician"].codes)})
    if series_slug is not None:
        existing_series = repository.series_by_slug(session, series_slug)
        if existing_series is None:
            _prove(validators.series, fte.series_raw(series_slug, politicians))
        elif any(code not in {o.code for o in existing_series.outcomes} for code in fte.SERIES_OUTCOMES):
            raise NotProven("series outcomes")

    problems = Problems("")
    pollsters = fte._organisations(session, wanted["pollster"], "pollster", validators.pollster, report, problems)
    sponsor_slugs = fte._organisations(session, wanted["sponsor"], "sponsor", validators.sponsor, report, problems)
    series = fte._series(session, series_slug, politicians, validators.series, report, problems)
    problems.raise_if_any()
    session.flush()
    organisations = poll_service.organisations_by_slug(session, sorted(pollsters), sorted(sponsor_slugs))

    _count_bases_and_notes(frame, report)
    stored = repository.poll_keys_by_source(session, FTE_SOURCE)
    new = [p for p, poll_id in enumerate(frame.poll_ids) if poll_id not in stored]
    old = [p for p, poll_id in enumerate(frame.poll_ids) if poll_id in stored]
    changed = _changed(session, _polls(frame, old), stored, organisations, series) if old else []
    _count(report, "polls", "unchanged", len(old) - len(changed))
    if series is not None:
        questions = np.diff(np.r_[frame.first, len(frame.order)])
        _count(report, "series members", "unchanged", int(questions[old].sum()) - sum(len(p["questions"]) for p in changed))
    if changed:
        _per_poll(session, frame, changed, validators, organisations, (pollsters, sponsor_slugs), series, report)
    if new:
        _insert(session, frame, new, organisations, series, report)
    bulk_polls.refresh_statistics(session, len(new))


def _distinct(frame: FteFrame, a: str, b: str) -> list[tuple[str, str]]:
    """The distinct pairs of poll-level cells (a, b), in the order polls first show them."""
    cols = frame.columns
    codes_a, codes_b = cols[a].codes[frame.first_row], cols[b].codes[frame.first_row]
    key = codes_a * len(cols[b].values) + codes_b
    _, first = np.unique(key, return_index=True)
    return [(cols[a].values[codes_a[i]], cols[b].values[codes_b[i]]) for i in np.sort(first)]


def _count_bases_and_notes(frame: FteFrame, report: ImportReport) -> None:
    """Question bases per population and unmapped methodologies per poll, counted in the order the
    per-poll path meets them."""
    pop_index = frame.extra["pop_index"]
    values, first, counts = np.unique(pop_index, return_index=True, return_counts=True)
    for i in np.argsort(first, kind="stable"):
        report.bases[POPULATIONS[POPULATION_ORDER[values[i]]]] += int(counts[i])
    method = frame.columns["methodology"]
    codes = method.codes[frame.first_row]
    values, first, counts = np.unique(codes, return_index=True, return_counts=True)
    for i in np.argsort(first, kind="stable"):
        for note in methodology(method.values[values[i]])[1]:
            report.notes[f"methodology '{note}' not mapped onto a pollapp mode"] += int(counts[i])


# ---------------------------------------------------------------- polls as documents


def _polls(frame: FteFrame, indices: list[int]) -> Iterator[dict[str, Any]]:
    """Polls ``indices`` of the frame (one at a time: memory stays flat), with what their stored
    document (:func:`document`) and the writer need. Cells are looked up through plain lists (numpy
    scalars cost ten times more one by one)."""
    cols = frame.columns
    cell = {name: col.values for name, col in cols.items()}
    first_row = frame.first_row[np.asarray(indices, dtype=np.int64)]
    at_first = {
        name: cols[name].codes[first_row].tolist()
        for name in ("pollster", "pollster_id", "methodology", "state", "url", "source", "tracking", "politician",
                     "sponsors", "sponsor_ids", "start_date", "end_date")
    }  # fmt: skip
    if "iso" not in frame.extra:
        frame.extra["iso"] = {name: [d.isoformat() for d in frame.extra["dates"][name]] for name in ("start_date", "end_date")}
    dates = frame.extra["iso"]
    method = [methodology(v) for v in cell["methodology"]]
    slugs = [slugify(v) for v in cell["pollster"]]
    tracking = [v.lower() in TRUE for v in cell["tracking"]]
    wording = [f"Approval of {v}'s job performance" for v in cell["politician"]]
    sponsor_cache: dict[tuple[int, int], list[tuple[str, str, str | None]]] = {}
    bounds = np.r_[frame.first, len(frame.order)]
    starts, ends = bounds[indices].tolist(), bounds[np.asarray(indices, dtype=np.int64) + 1].tolist()
    sample_rows = frame.sample_row[indices].tolist()
    pop_index = frame.extra["pop_index"]
    rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if indices else np.zeros(0, dtype=np.int64)
    # per sorted row of these polls, as lists indexed from 0
    file_rows = frame.order[rows]
    q_id = [cell["question_id"][c] for c in cols["question_id"].codes[file_rows].tolist()]
    q_note = [cell["notes"][c] for c in cols["notes"].codes[file_rows].tolist()]
    q_url = [cell["url"][c] for c in cols["url"].codes[file_rows].tolist()]
    q_pop = [POPULATION_ORDER[i] for i in pop_index[rows].tolist()]
    q_base = [None if v != v else int(v) for v in frame.base_n[rows].tolist()]
    q_yes, q_no = frame.yes[rows].tolist(), frame.no[rows].tolist()
    q_code = [frame.code[k] for k in rows.tolist()]
    offset = 0
    for n, p in enumerate(indices):
        poll_id = frame.poll_ids[p]
        pollster, pollster_id = cell["pollster"][at_first["pollster"][n]], cell["pollster_id"][at_first["pollster_id"][n]]
        method_cell, source = cell["methodology"][at_first["methodology"][n]], cell["source"][at_first["source"][n]]
        url = cell["url"][at_first["url"][n]]
        key = (at_first["sponsors"][n], at_first["sponsor_ids"][n])
        if key not in sponsor_cache:
            sponsor_cache[key] = sponsors(cell["sponsors"][key[0]], cell["sponsor_ids"][key[1]])
        modes, unmapped = method[at_first["methodology"][n]]
        notes = [f"{CREDIT}: poll_id {poll_id}"]
        if pollster_id:
            notes.append(f"pollster_id {pollster_id}")
        if source:
            notes.append(f"538 source: {source}")
        text = ", ".join(notes) + "."
        if not method_cell:
            text += " Methodology not reported by 538."
        for part in unmapped:
            text += f" 538 methodology '{part}' has no pollapp mode."
        sample = sample_rows[n] - starts[n] + offset  # the poll's sample row, within these rows
        questions = []
        for k in range(offset, offset + ends[n] - starts[n]):
            q_notes = [f"FiveThirtyEight question_id {q_id[k]}; wording not given by 538 (paraphrase)."]
            if q_note[k]:
                q_notes.append(f"538 note: {q_note[k]}.")
            if q_url[k] and q_url[k] != url:
                q_notes.append(f"Source for this base: {q_url[k]}")
            y, no = q_yes[k], q_no[k]
            questions.append({
                "code": q_code[k], "population_code": q_pop[k], "base_n": q_base[k], "yes": y, "no": no,
                "remainder": y + no < REMAINDER_BELOW, "notes": " ".join(q_notes),
            })  # fmt: skip
        offset += ends[n] - starts[n]
        yield {
            "source_id": poll_id, "pollster": slugs[at_first["pollster"][n]], "pollster_name": pollster,
            "pollster_id": pollster_id, "sponsor_list": sponsor_cache[key], "modes": modes, "unmapped": unmapped,
            "start": dates["start_date"][at_first["start_date"][n]], "end": dates["end_date"][at_first["end_date"][n]],
            "region": cell["state"][at_first["state"][n]] or None, "population": q_pop[sample],
            "sample_size": q_base[sample], "tracking": tracking[at_first["tracking"][n]], "source_url": url or None,
            "notes": text, "wording": wording[at_first["politician"][n]], "questions": questions,
        }  # fmt: skip


def document(p: dict[str, Any]) -> dict[str, Any]:
    """The poll as ``polls.poll_document`` gives it once stored (the revision snapshot's ``poll``)."""
    doc: dict[str, Any] = {
        "pollster": p["pollster"], "partner_pollsters": [], "sponsors": sorted(s[0] for s in p["sponsor_list"]),
        "self_sponsored": False, "field_start_date": p["start"], "field_end_date": p["end"],
        "field_dates_precision": "day", "country": "US", "region": p["region"],
        "population": POPULATIONS[p["population"]],
        "population_description": "voters (538 population 'v')" if p["population"] == "v" else None,
        "sample_size": p["sample_size"], "modes": p["modes"], "languages": [], "weighting_variables": [],
        "partisan": False, "internal": False, "tracking": p["tracking"], "source_url": p["source_url"],
        "notes": p["notes"], "source": FTE_SOURCE, "source_id": p["source_id"],
    }  # fmt: skip
    for name in NONE_FIELDS:
        doc[name] = None
    doc["questions"] = [
        {
            "code": q["code"], "wording": p["wording"], "wording_exact": False, "wording_en": None, "language": "en",
            "preceding_context": None, "position": i, "population": POPULATIONS[q["population_code"]],
            "base_description": None, "base_n": q["base_n"], "split_variant": None, "multi_select": False,
            "remainder_not_reported": q["remainder"], "notes": q["notes"],
            "answers": [
                {"code": code, "label": label, "pct": q[column], "position": j, "substantive": True, "notes": None, "components": []}
                for j, (column, code, label) in enumerate(ANSWERS, start=1)
            ],
        }
        for i, q in enumerate(p["questions"], start=1)
    ]  # fmt: skip
    return doc


def _outcomes(series: Any) -> dict[str, Any]:
    """How the import maps one question onto the series, as a snapshot's ``series`` entry says it."""
    positions = {o.code: o.position for o in series.outcomes}
    return {o: {"position": positions[o], "answers": list(a)} for o, a in fte.SERIES_OUTCOMES.items()}


# ---------------------------------------------------------------- stored polls


def _changed(session: Session, old: Iterator[dict[str, Any]], stored: dict[str, tuple[int, bool]], organisations: Any, series: Any) -> list[dict[str, Any]]:
    """The stored polls whose snapshot the import would change (or that have none to compare with);
    latest snapshots are read :data:`CHUNK_POLLS` polls at a time (memory stays flat)."""
    outcomes = _outcomes(series) if series is not None else {}
    changed = []
    for chunk in fte._chunks(old, CHUNK_POLLS):
        texts = repository.latest_snapshot_texts(session, [stored[p["source_id"]][0] for p in chunk])
        for p in chunk:
            poll_id, deleted = stored[p["source_id"]]
            text = texts.get(poll_id)
            if deleted or text is None:
                changed.append(p)
                continue
            snap = orjson.loads(text)
            doc = document(p)
            codes = [q["code"] for q in doc["questions"]]
            same = (
                snap["poll"] == doc
                and not snap["deleted"]
                and snap["pollster_name"] == organisations.pollsters[p["pollster"]].name
                and sorted(snap["question_ids"]) == sorted(codes)
                and (series is None or snap["series"].get(series.slug) == {code: outcomes for code in codes})
            )
            if not same:
                changed.append(p)
    return changed


def _per_poll(session: Session, frame: FteFrame, changed: list[dict[str, Any]], validators: Validators,
              organisations: Any, known: tuple[set[str], set[str]], series: Any, report: ImportReport) -> None:
    """Changed stored polls through the per-poll path (ORM upserts keep question and answer ids)."""
    wanted = {p["source_id"] for p in changed}
    from pollapp.services.imports_fte_rows import USED

    grouped: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    pid = frame.columns["poll_id"]
    for row in frame.order.tolist():
        poll_id = pid.values[pid.codes[row]]
        if poll_id in wanted:
            cells = tuple(frame.columns[c].values[frame.columns[c].codes[row]] for c in USED)
            grouped.setdefault(poll_id, []).append((row + 2, cells))
    problems = Problems("")
    # the per-poll path counts bases and notes itself: take them back out, they were counted above
    bases, notes = Counter(report.bases), Counter(report.notes)
    for chunk in fte._chunks(list(grouped), fte.CHUNK_POLLS):
        fte._import_chunk(session, chunk, grouped, validators, organisations, known, series, report, problems)
    report.bases, report.notes = bases, notes
    problems.raise_if_any()
    session.flush()


# ---------------------------------------------------------------- new polls


def _insert(session: Session, frame: FteFrame, new: list[int], organisations: Any, series: Any, report: ImportReport) -> None:
    """Rows of every new poll, with ids reserved up front, written by the raw driver :data:`CHUNK_POLLS`
    polls at a time (memory stays flat); then their first revisions (what the history's commit hook
    would record for them)."""
    now = utcnow()
    n_questions = int(np.diff(np.r_[frame.first, len(frame.order)])[new].sum())
    ids = Ids(
        polls=repository.reserve_ids(session, Poll.__table__, len(new)),
        questions=iter(repository.reserve_ids(session, Question.__table__, n_questions)),
        answers=iter(repository.reserve_ids(session, Answer.__table__, n_questions * len(ANSWERS))),
        members=iter(repository.reserve_ids(session, SeriesMember.__table__, n_questions if series is not None else 0)),
        revisions=repository.reserve_ids(session, PollRevision.__table__, len(new)),
    )
    context = {
        "pollsters": {slug: (p.id, p.name) for slug, p in organisations.pollsters.items()},
        "sponsors": {slug: p.id for slug, p in organisations.sponsors.items()},
        "series": (series.id, series.slug, _outcomes(series)) if series is not None else None,
        "stamp": repository.timestamp_value(session, now),
        "actor": history.current_actor(session),
        "outcome_ids": {o.code: o.id for o in series.outcomes} if series is not None else {},
        "modes_json": {},
    }
    members = 0
    for start in range(0, len(new), CHUNK_POLLS):
        chunk = slice(start, start + CHUNK_POLLS)
        members += _insert_chunk(session, list(_polls(frame, new[chunk])), ids.polls[chunk], ids.revisions[chunk], ids, organisations, series, context)
    _count(report, "polls", "created", len(new))
    if series is not None:
        _count(report, "series members", "created", members)
        if members:
            series.updated_at = now  # the series' data version moves, as with map_question


@dataclass
class Ids:
    polls: list[int]
    questions: Iterator[int]
    answers: Iterator[int]
    members: Iterator[int]
    revisions: list[int]


def _insert_chunk(session: Session, new: list[dict[str, Any]], poll_ids: list[int], revision_ids: list[int], ids: Ids,
                  organisations: Any, series: Any, context: dict[str, Any]) -> int:
    stamp, actor, outcome_ids, modes_json = context["stamp"], context["actor"], context["outcome_ids"], context["modes_json"]
    pollsters, sponsor_ids, series_ = context["pollsters"], context["sponsors"], context["series"]
    poll_rows, link_rows, question_rows, answer_rows, member_rows, mapping_rows = [], [], [], [], [], []
    revision_rows, revision_series = [], []
    for poll_id, revision_id, p in zip(poll_ids, revision_ids, new):
        key = tuple(p["modes"])
        if key not in modes_json:
            modes_json[key] = json.dumps(p["modes"])
        doc = document(p)
        pollster_id, pollster_name = pollsters[p["pollster"]]
        poll_rows.append((
            poll_id, pollster_id, p["start"], p["end"], "day", "US", p["region"],
            doc["population"], doc["population_description"], p["sample_size"], modes_json[key], "[]", "[]",
            False, False, False, p["tracking"], p["source_url"], p["notes"], FTE_SOURCE, p["source_id"], stamp, stamp,
        ))  # fmt: skip
        for slug in dict.fromkeys(s[0] for s in p["sponsor_list"]):
            link_rows.append((poll_id, sponsor_ids[slug]))
        ids_by_code = {}
        for q in doc["questions"]:
            question_id = next(ids.questions)
            ids_by_code[q["code"]] = question_id
            question_rows.append((
                question_id, poll_id, q["code"], q["wording"], False, "en", q["position"], q["population"],
                q["base_n"], False, q["remainder_not_reported"], q["notes"],
            ))  # fmt: skip
            by_answer = {}
            for a in q["answers"]:
                answer_id = next(ids.answers)
                by_answer[a["code"]] = answer_id
                answer_rows.append((answer_id, question_id, a["code"], a["label"], a["pct"], a["position"], True))
            if series is not None:
                member_id = next(ids.members)
                member_rows.append((member_id, series_[0], question_id))
                for outcome, codes in fte.SERIES_OUTCOMES.items():
                    mapping_rows.extend((member_id, by_answer[code], outcome_ids[outcome]) for code in codes)
        snap = {
            "poll_id": poll_id, "poll": doc, "pollster_name": pollster_name, "question_ids": ids_by_code,
            "deleted": False, "series": {series_[1]: dict.fromkeys(ids_by_code, series_[2])} if series_ else {},
        }  # fmt: skip
        canonical = history.canonical(snap)
        revision_rows.append((
            revision_id, poll_id, 1, "create", stamp, actor.api_key_id, actor.label, actor.reason,
            hashlib.sha256(canonical).hexdigest(), canonical.decode(), "[]",
        ))  # fmt: skip
        if series is not None:
            revision_series.append((revision_id, series_[0], "added"))

    repository.bulk_insert(session, Poll.__table__, POLL_COLUMNS, poll_rows)
    repository.bulk_insert(session, poll_sponsors, ("poll_id", "sponsor_id"), link_rows)
    repository.bulk_insert(session, Question.__table__, QUESTION_COLUMNS, question_rows)
    repository.bulk_insert(session, Answer.__table__, ANSWER_COLUMNS, answer_rows)
    repository.bulk_insert(session, SeriesMember.__table__, ("id", "series_id", "question_id"), member_rows)
    repository.bulk_insert(session, SeriesMapping.__table__, ("member_id", "answer_id", "outcome_id"), mapping_rows)
    repository.bulk_insert(session, PollRevision.__table__, REVISION_COLUMNS, revision_rows)
    repository.bulk_insert(session, PollRevisionSeries.__table__, ("revision_id", "series_id", "kind"), revision_series)
    return len(member_rows)


def _count(report: ImportReport, kind: str, status: str, n: int) -> None:
    if n:
        report.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})[status] += n


def _prove(validate: Any, raw: dict[str, Any]) -> None:
    try:
        validate(raw)
    except DomainError as exc:
        raise NotProven(f"organisation or series: {exc.detail}") from exc


