"""Import FiveThirtyEight's presidential approval CSV layout (one row per poll x population).

538's approval files (e.g. ``president_approval_polls.csv``) have the columns ``question_id, poll_id,
state, politician_id, politician, pollster_id, pollster, sponsor_ids, sponsors, display_name,
pollster_rating_id, pollster_rating_name, fte_grade, sample_size, population, population_full,
methodology, start_date, end_date, sponsor_candidate, tracking, created_at, notes, url, source, yes,
no`` with dates as m/d/yy. Licence CC BY 4.0: every imported poll credits FiveThirtyEight in its notes.

Mapping (documented in the module so a reader of an imported poll can trace every value):

* one pollapp poll per 538 ``poll_id`` (natural key ``source="fivethirtyeight"``, ``source_id=poll_id``);
  each row is one question base: code ``approval_<population>`` (``approval_<population>_q<question_id>``
  when 538 reports the same population twice), ``population`` set, ``base_n`` = the row's sample_size.
  The poll's sample_size is the largest base (null if none) and its population that base's population;
* population codes ``a, rv, lv, v`` -> adults, registered_voters, likely_voters, other ("voters");
* methodology strings split on ``/``: Live Phone -> phone_live, IVR and Automated Phone -> ivr, Online ->
  online_panel, Text -> text, Mail -> mail; unknown parts are kept in the poll's notes, never guessed.
  ``sample_type`` stays null (an online panel is not necessarily a non-probability sample);
* pollsters and sponsors are created on the fly by slug (the 538 ids go into their notes); an existing
  pollster or sponsor with that slug is used as it is, never overwritten;
* answers ``yes`` -> ``approve`` and ``no`` -> ``disapprove``; the question wording is a paraphrase
  (``wording_exact=false``): 538 does not give it per poll.

Validators are injected by the caller (the same rules as the API, without importing the HTTP layer).
All or nothing: any problem raises :class:`InvalidInput` listing problems with ``file:line/column``
(up to :data:`MAX_PROBLEMS`, with the total count); the caller rolls back.

Two paths. A file that :mod:`pollapp.services.imports_fte_frame` can prove clean (the usual case) takes
the fast path, :mod:`pollapp.services.imports_fte_fast`: columns, precomputed ids and the raw driver,
writing exactly what this module would (tests/services/test_import_fast_path.py). Every other file, and
so every file with a problem, takes the per-poll path below, which finds and locates every problem.

How the per-poll path stays small for a 100,000-row file:

1. a light pass reads the CSV as a stream and keeps, per poll_id, only the cells the importer uses
   (repeated values shared), parses every poll once to collect its problems and the pollsters and
   sponsors it names, and creates the missing organisations and the ``--series``;
2. a second pass works through the polls in chunks of :data:`CHUNK_POLLS`: it loads only that chunk's
   stored polls (natural key source + source_id), validates each document, leaves an unchanged poll
   alone, updates a changed one through the ORM (``services.polls.upsert_poll``, which keeps question
   and answer ids) and inserts the new ones with Core executemany (:mod:`pollapp.services.bulk_polls`),
   then forgets the chunk's objects. Once any problem is found nothing more is written, but every poll
   is still checked so the answer lists all problems; what earlier chunks wrote is discarded by the
   caller's rollback (one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, FieldError, InvalidInput
from pollapp.models import Poll, Pollster, Question, SeriesMember, Sponsor
from pollapp.services import bulk_polls
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service
from pollapp.services.import_files import (  # noqa: F401  (re-exported: other importers use these names from here)
    MAX_PROBLEMS,
    ImportReport,
    Problems,
    Validator,
    Validators,
    decode,
    iter_csv,
    read_csv,
    read_header,
)
from pollapp.services.imports_fte_rows import (  # noqa: F401  (re-exported)
    CREDIT,
    FTE_SOURCE,
    HEADER,
    POPULATIONS,
    REQUIRED,
    USED,
    FtePoll,
    document,
    locate,
    parse_poll,
    slugify,
)
from pollapp.services.seed import LoadReport

CHUNK_POLLS = 2000  # polls validated and written per step: memory stays flat, statements stay few
SERIES_OUTCOMES = {"yes": ["approve"], "no": ["disapprove"]}

Rows = list[tuple[int, tuple[str, ...]]]  # (file line, the USED cells) of one poll


def is_fte_header(header: Iterable[str]) -> bool:
    """538's approval layout: poll and question ids plus yes/no columns."""
    return {"poll_id", "question_id", "yes", "no"} <= set(header)


def import_fte(
    session: Session, data: bytes, name: str, validators: Validators, *, series_slug: str | None = None
) -> ImportReport:
    """Upsert every poll of a 538 approval file; raises InvalidInput (the caller rolls back)."""
    records = iter_csv(decode(data, name), name)
    _, header = next(records)
    problems = Problems(name)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.add(1, None, f"missing column(s) {', '.join(missing)}; a FiveThirtyEight approval file has: {', '.join(HEADER)}.")
        problems.raise_if_any()
    report = ImportReport()
    grouped = _group(header, records, problems, report)

    # pass 1: every poll parsed once for its problems and the organisations it names
    wanted: dict[str, dict[str, tuple[str, list[str], int]]] = {"pollster": {}, "sponsor": {}}
    politicians: set[str] = set()
    bad: set[str] = set()
    for poll_id, rows in grouped.items():
        before = problems.total
        poll = parse_poll(_cells(rows), problems)
        if problems.total != before:  # reported; left out of the checks below
            bad.add(poll_id)
            continue
        politicians.add(poll.cells["politician"])
        _want(wanted["pollster"], [(slugify(poll.cells["pollster"]), poll.cells["pollster"], poll.cells.get("pollster_id") or None)], poll.line)
        _want(wanted["sponsor"], poll.sponsors, poll.line)

    pollsters = _organisations(session, wanted["pollster"], "pollster", validators.pollster, report, problems)
    sponsors = _organisations(session, wanted["sponsor"], "sponsor", validators.sponsor, report, problems)
    series = _series(session, series_slug, sorted(politicians), validators.series, report, problems)
    session.flush()
    organisations = poll_service.organisations_by_slug(session, sorted(pollsters), sorted(sponsors))

    # pass 2: validate and write chunk by chunk
    good = (poll_id for poll_id in grouped if poll_id not in bad)
    for chunk in _chunks(good, CHUNK_POLLS):
        _import_chunk(session, chunk, grouped, validators, organisations, (pollsters, sponsors), series, report, problems)
    problems.raise_if_any()
    session.flush()
    bulk_polls.refresh_statistics(session, report.counts.get("polls", {}).get("created", 0))
    return report


# ---------------------------------------------------------------- internals


def _group(header: list[str], records: Iterator[tuple[int, list[str]]], problems: Problems, report: ImportReport) -> dict[str, Rows]:
    """Rows by poll_id (a poll's rows need not be adjacent), keeping only the USED cells; equal cell
    values share one string, so a 100,000-row file costs a few tens of MB here."""
    positions = [header.index(c) if c in header else None for c in USED]
    poll_at = USED.index("poll_id")
    shared: dict[str, str] = {}
    polls: dict[str, Rows] = {}
    for line, record in records:
        report.rows += 1
        if len(record) != len(header):
            problems.add(line, None, f"the row has {len(record)} fields but the header has {len(header)}; check the commas and quotes.")
            continue
        cells = tuple(shared.setdefault(c := record[i].strip(), c) if i is not None else "" for i in positions)
        if not cells[poll_at]:
            problems.add(line, "poll_id", "empty: every row needs 538's poll_id.")
            continue
        polls.setdefault(cells[poll_at], []).append((line, cells))
    return polls


def _cells(rows: Rows) -> list[tuple[int, dict[str, str]]]:
    return [(line, dict(zip(USED, cells))) for line, cells in rows]


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _want(wanted: dict[str, tuple[str, list[str], int]], entries: Iterable[tuple[str, str, str | None]], line: int) -> None:
    for slug, name, fte_id in entries:
        _, ids, _ = wanted.setdefault(slug, (name, [], line))
        if fte_id and fte_id not in ids:
            ids.append(fte_id)


def _import_chunk(
    session: Session,
    chunk: list[str],
    grouped: dict[str, Rows],
    validators: Validators,
    organisations: poll_service.Organisations,
    known_organisations: tuple[set[str], set[str]],
    series: Any,
    report: ImportReport,
    problems: Problems,
) -> None:
    """Validate one chunk of polls; unless a problem was found so far, write it (see the module doc)."""
    pollsters, sponsors = known_organisations
    stored = {p.source_id: p for p in repository.polls_by_source_ids(session, FTE_SOURCE, chunk)}
    members: dict[tuple[int, int], SeriesMember] = {}
    if series is not None and stored:
        existing = repository.series_members_of_polls(session, [p.id for p in stored.values()])
        members = {(m.series_id, m.question_id): m for m in existing if m.series_id == series.id}
    new: list[tuple[FtePoll, dict[str, Any]]] = []
    missing: list[tuple[int, dict[str, int]]] = []  # stored questions not in the series yet
    with session.no_autoflush:
        for poll_id in chunk:
            poll = parse_poll(_cells(grouped[poll_id]), Problems(""))  # its problems were reported in pass 1
            if slugify(poll.cells["pollster"]) not in pollsters or any(s[0] not in sponsors for s in poll.sponsors):
                continue  # reported once, at the organisation
            try:
                doc = validators.poll(document(poll_id, poll))
            except DomainError as exc:
                locate(exc, poll, problems)
                continue
            if problems.total:
                continue  # keep checking, stop writing
            for question in poll.questions:
                report.bases[POPULATIONS[question.population]] += 1
            for note in poll.unmapped:
                report.notes[f"methodology '{note}' not mapped onto a pollapp mode"] += 1
            if poll_id not in stored:
                new.append((poll, doc))
                continue
            status, updated = poll_service.upsert_poll(session, doc, known={poll_id: stored[poll_id]}, organisations=organisations)
            report.count("polls", status)
            if series is None:
                continue
            if status == "unchanged":  # ids known: a missing membership is a bulk insert
                missing.extend(_unmapped(session, series, updated, members, report))
            else:
                _member(session, series, updated, members, report)
    if problems.total:
        return
    inserted = bulk_polls.insert_polls(session, [doc for _, doc in new], organisations)
    for _ in inserted:
        report.count("polls", "created")
    if series is not None:
        missing.extend(
            (question_id, answer_ids) for ids in inserted for question_id, answer_ids in ids.questions
        )
        _bulk_members(session, series, missing, report)
    session.flush()
    _forget(session)


def _unmapped(session: Session, series: Any, poll: Poll, members: dict[tuple[int, int], Any], report: ImportReport) -> Iterator[tuple[int, dict[str, int]]]:
    """Questions of a stored, unchanged poll: (question id, answer ids by code) of those not in the
    series yet; those mapped already are checked as :func:`_member` does."""
    for question in poll.questions:
        if (series.id, question.id) not in members:
            yield question.id, {a.code: a.id for a in question.answers}
            continue
        _remap(session, series, question, members[(series.id, question.id)], report)


def _remap(session: Session, series: Any, question: Question, current: SeriesMember | None, report: LoadReport) -> None:
    """Map ``question`` onto the series through the ORM unless ``current`` maps it as wanted already."""
    if current is not None:
        have = sorted((m.outcome.code, m.answer.code) for m in current.mappings)
        if have == sorted((o, a) for o, codes in SERIES_OUTCOMES.items() for a in codes):
            report.count("series members", "unchanged")
            return
    series_service.map_question(session, series, question, SERIES_OUTCOMES, current)
    report.count("series members", "created" if current is None else "updated")


def _bulk_members(session: Session, series: Any, questions: list[tuple[int, dict[str, int]]], report: ImportReport) -> None:
    outcome_ids = {o.code: o.id for o in series.outcomes}
    members = [
        (question_id, [(answer_ids[a], outcome_ids[o]) for o, codes in SERIES_OUTCOMES.items() for a in codes])
        for question_id, answer_ids in questions
    ]
    for _ in range(bulk_polls.insert_members(session, series.id, members)):
        report.count("series members", "created")
    if members:
        series.updated_at = series_service._now()  # the series' data version moves, as with map_question


def _forget(session: Session) -> None:
    """Drop the chunk's polls and memberships from the session (flushed already), so the identity map
    does not grow with the file; pollsters, sponsors and the series stay."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (Poll, SeriesMember)) and obj in session:
            session.expunge(obj)  # cascades to questions, answers and mappings


def _organisations(
    session: Session,
    wanted: dict[str, tuple[str, list[str], int]],
    kind: str,
    validate: Validator,
    report: LoadReport,
    problems: Problems,
) -> set[str]:
    """Create the pollsters (or sponsors) the file names and pollapp does not know yet."""
    finder = repository.pollsters_by_slugs if kind == "pollster" else repository.sponsors_by_slugs
    existing = finder(session, list(wanted))
    model = Pollster if kind == "pollster" else Sponsor
    failed: set[str] = set()
    for slug, (name, ids, line) in wanted.items():
        if slug in existing:
            report.count(kind + "s", "unchanged")
            continue
        note = f"Created by the FiveThirtyEight import (538 {kind}_id {', '.join(ids)})." if ids else "Created by the FiveThirtyEight import."
        try:
            session.add(model(**validate({"slug": slug, "name": name, "notes": note})))
        except InvalidInput as exc:
            for error in exc.errors or [FieldError(None, exc.detail)]:
                problems.add(line, "pollster" if kind == "pollster" else "sponsors", f"{kind} '{name}': {error.pointer or ''} {error.message}".strip())
            failed.add(slug)
            continue
        report.count(kind + "s", "created")
    return set(wanted) - failed  # polls naming a failed one are reported once, at the organisation


def _series(
    session: Session,
    slug: str | None,
    politicians: list[str],
    validate: Validator,
    report: LoadReport,
    problems: Problems,
) -> Any:
    if slug is None:
        return None
    existing = repository.series_by_slug(session, slug)
    if existing is not None:
        codes = {o.code for o in existing.outcomes}
        lacking = [code for code in SERIES_OUTCOMES if code not in codes]
        if lacking:
            problems.add(None, "--series", f"series '{slug}' has no outcome(s) {', '.join(lacking)}; add them or import into another series.")
            return None
        report.count("series", "unchanged")
        return existing
    raw = series_raw(slug, politicians)
    try:
        created = series_service.create_series(session, validate(raw))
    except DomainError as exc:
        for error in exc.errors or [FieldError(None, exc.detail)]:
            problems.add(None, "--series", f"{error.pointer or ''} {error.message}".strip())
        return None
    report.count("series", "created")
    return created


def series_raw(slug: str, politicians: list[str]) -> dict[str, Any]:
    """The document of the series ``--series`` creates when it does not exist yet."""
    politicians = politicians or ["President"]
    return {
        "slug": slug,
        "title": f"{' / '.join(politicians)}: job approval (FiveThirtyEight polls)"[:300],
        "description": f"Created by importing FiveThirtyEight's approval polls. {CREDIT}. "
        "Outcome yes = approve, no = disapprove; one member question per population base.",
        "country": "US",
        "tags": ["approval", "fivethirtyeight"],
        "outcomes": [{"code": "yes", "label": "Approve"}, {"code": "no", "label": "Disapprove"}],
    }


def _member(session: Session, series: Any, poll: Any, members: dict[tuple[int, int], Any], report: LoadReport) -> None:
    """Memberships of a poll updated through the ORM (a new question has no id before the flush)."""
    for question in poll.questions:
        current = members.get((series.id, question.id)) if question.id is not None else None
        _remap(session, series, question, current, report)
