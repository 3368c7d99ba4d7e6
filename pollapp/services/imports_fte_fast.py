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

This module decides and orchestrates (prove the organisations and the series, count, split the polls
into new and stored); the polls as documents are built by :mod:`.imports_fte_fast_documents`, stored
polls compared by :mod:`.imports_fte_fast_stored`, new ones written by :mod:`.imports_fte_fast_insert`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, InvalidInput
from pollapp.services import bulk_polls
from pollapp.services import imports_fte as fte
from pollapp.services import polls as poll_service
from pollapp.services.import_files import ImportReport, Problems, Validators, decode, read_header
from pollapp.services.imports_fte_fast_documents import _polls
from pollapp.services.imports_fte_fast_insert import _count, _insert
from pollapp.services.imports_fte_fast_stored import _changed, _per_poll
from pollapp.services.imports_fte_frame import FteFrame, NotProven, methodology, read, sponsors
from pollapp.services.imports_fte_rows import FTE_SOURCE, POPULATION_ORDER, POPULATIONS, REQUIRED, slugify


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


def _prove(validate: Any, raw: dict[str, Any]) -> None:
    try:
        validate(raw)
    except DomainError as exc:
        raise NotProven(f"organisation or series: {exc.detail}") from exc
