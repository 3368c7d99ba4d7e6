"""pollapp's own poll file layout: one catalogue of columns shared by the exports
(``/api/v1/polls.csv``, ``/api/v1/polls.json``) and the importer, so that an export re-imports to the
same data. Documented for people in ``data/README.md`` (a test keeps the two in step).

CSV: one row per answer. Poll columns repeat on every row of a poll (rows of one poll share
``poll_key``), question columns on every row of a question. Empty cell = null (not published);
booleans ``true``/``false``; dates ISO 8601; lists separated by ``;`` (names in the ``*_names``
columns escape a literal ``;`` as ``\\;``). ``series``/``outcome`` count the answer towards series
outcomes (parallel ``;`` lists when an answer counts in several series).

JSON: an array of poll documents, the body of ``POST /api/v1/polls`` plus the organisation names
(``pollster_name``, ``partner_pollster_names``, ``sponsor_names``), ``remainder_not_reported`` (derived,
ignored on import) and, on each answer, ``series``: ``[{"series": slug, "outcome": code}, ...]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LIST_SEPARATOR = ";"
SEED_SOURCE = "pollapp-data"  # natural key source of a seed-layout file (no ``source`` column)


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, the level it describes, its type and the document field it holds."""

    name: str
    level: str  # poll | question | answer | membership
    type: str  # text, slug, date, integer, number, boolean, list, code, url, names
    field: str | None  # key in the poll / question / answer document; None for file-only columns
    description: str


def _c(name: str, level: str, type_: str, description: str, field: str | None = "") -> Column:
    return Column(name, level, type_, name if field == "" else field, description)


COLUMNS: tuple[Column, ...] = (
    _c("poll_key", "poll", "text", "Groups the rows of one poll in the file. In exports: the poll's pollapp id. "
       "In a file without a `source` column (the seed layout of data/polls/*.csv) it is also the natural key "
       "(source `pollapp-data`, source_id = poll_key).", None),
    _c("source", "poll", "text", "Natural key, part 1: where the poll was imported from (e.g. `fivethirtyeight`)."),
    _c("source_id", "poll", "text", "Natural key, part 2: the poll's id in that source."),
    _c("pollster", "poll", "slug", "Conducting pollster."),
    _c("pollster_name", "poll", "text", "Its name: creates the pollster if pollapp does not know the slug.", None),
    _c("partner_pollsters", "poll", "list", "Other pollsters involved (slugs)."),
    _c("partner_pollster_names", "poll", "names", "Their names, in the same order.", None),
    _c("sponsors", "poll", "list", "Who commissioned or paid (slugs)."),
    _c("sponsor_names", "poll", "names", "Their names, in the same order.", None),
    _c("self_sponsored", "poll", "boolean", "The pollster ran the poll on its own account."),
    _c("field_start_date", "poll", "date", "First day of fieldwork."),
    _c("field_end_date", "poll", "date", "Last day of fieldwork."),
    _c("field_dates_precision", "poll", "text", "`day`, `end_only`, `month` or `year` (see data/README.md)."),
    _c("publication_date", "poll", "date", "Day the results were released."),
    _c("country", "poll", "text", "ISO 3166-1 alpha-2 code."),
    _c("region", "poll", "text", "Region within the country, if not national."),
    _c("population", "poll", "text", "`adults`, `registered_voters`, `likely_voters` or `other`."),
    _c("population_description", "poll", "text", "The population in the pollster's words."),
    _c("coverage_exclusions", "poll", "text", "Who the sample could not reach."),
    _c("sample_size", "poll", "integer", "Unweighted interviews."),
    _c("sample_type", "poll", "text", "`probability`, `non_probability` or `mixed`."),
    _c("sampling_frame", "poll", "text", "The sampling frame."),
    _c("recruitment", "poll", "text", "How respondents were recruited."),
    _c("data_collection", "poll", "text", "Data collection as described by the pollster."),
    _c("modes", "poll", "list", "`phone_live`, `ivr`, `online_panel`, `face_to_face`, `text`, `mail`, `mixed`."),
    _c("languages", "poll", "list", "Interview languages (BCP 47 tags)."),
    _c("weighted", "poll", "boolean", "Whether the results are weighted."),
    _c("weighting_variables", "poll", "list", "Weighting variables."),
    _c("design_effect", "poll", "number", "Design effect (>= 1)."),
    _c("margin_of_error", "poll", "number", "Reported margin of error, percentage points."),
    _c("confidence_level", "poll", "number", "Confidence level of that margin, percent."),
    _c("response_rate", "poll", "number", "Response rate, percent."),
    _c("response_rate_formula", "poll", "text", "`RR1`-`RR6` or `other`."),
    _c("quality_procedures", "poll", "text", "Data processing and quality procedures."),
    _c("limitations", "poll", "text", "Limitations of the design."),
    _c("partisan", "poll", "boolean", "Sponsored by a party or campaign."),
    _c("internal", "poll", "boolean", "A campaign's internal poll."),
    _c("tracking", "poll", "boolean", "A tracking poll (overlapping samples)."),
    _c("source_url", "poll", "url", "Where the figures were published."),
    _c("report_url", "poll", "url", "The pollster's report."),
    _c("topline_url", "poll", "url", "Topline results."),
    _c("crosstab_url", "poll", "url", "Cross-tabulations."),
    _c("notes", "poll", "text", "Provenance and conversion decisions."),
    _c("question_code", "question", "code", "Question code, unique within the poll.", "code"),
    _c("question_position", "question", "integer", "Order of the question in the poll.", "position"),
    _c("wording", "question", "text", "Exact wording (original language) or, if `wording_exact` is false, a paraphrase."),
    _c("wording_exact", "question", "boolean", "False when the source gave only a paraphrase or translation."),
    _c("wording_en", "question", "text", "English wording."),
    _c("language", "question", "text", "Language of `wording` (BCP 47)."),
    _c("preceding_context", "question", "text", "What respondents heard before the question."),
    _c("question_population", "question", "text", "Population of this question's base, if not the poll's.", "population"),
    _c("base_description", "question", "text", "The subgroup asked (empty: whole sample)."),
    _c("base_n", "question", "integer", "Unweighted n of that base."),
    _c("split_variant", "question", "text", "Split-sample variant."),
    _c("multi_select", "question", "boolean", "Respondents could choose several answers."),
    _c("remainder_not_reported", "question", "boolean", "Derived (answers sum to < 98%); exported, ignored on import."),
    _c("question_notes", "question", "text", "Notes on the question.", "notes"),
    _c("answer_code", "answer", "code", "Answer code, unique within the question.", "code"),
    _c("answer_position", "answer", "integer", "Order of the answer.", "position"),
    _c("answer_label", "answer", "text", "Label as published.", "label"),
    _c("pct", "answer", "number", "Percent as published (0-100)."),
    _c("substantive", "answer", "boolean", "False for don't know / refused / hard to say."),
    _c("components", "answer", "list", "For a net answer: codes of the answers it sums."),
    _c("answer_notes", "answer", "text", "Notes on the answer.", "notes"),
    _c("series", "membership", "list", "Series (slugs) this answer counts towards.", None),
    _c("outcome", "membership", "list", "The outcome code in each of those series (same order).", None),
)  # fmt: skip
BY_NAME = {c.name: c for c in COLUMNS}
NAMES = tuple(BY_NAME)
POLL = tuple(c for c in COLUMNS if c.level == "poll")
QUESTION = tuple(c for c in COLUMNS if c.level == "question")
ANSWER = tuple(c for c in COLUMNS if c.level == "answer")
# Without these no poll can be built; the other columns may be left out of a hand-made file.
REQUIRED = (
    "poll_key", "pollster", "field_start_date", "field_end_date", "country", "population",
    "question_code", "wording", "language", "answer_code", "answer_label", "pct",
)  # fmt: skip
NAME_LISTS = {"partner_pollster_names": "partner_pollsters", "sponsor_names": "sponsors"}
DERIVED = {"remainder_not_reported"}
_UNESCAPED = re.compile(r"(?<!\\);")


def join_names(names: list[str]) -> str:
    return LIST_SEPARATOR.join(n.replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR) for n in names)


def split_names(cell: str) -> list[str]:
    return [n.strip().replace("\\" + LIST_SEPARATOR, LIST_SEPARATOR) for n in _UNESCAPED.split(cell) if n.strip()]


def split_list(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(LIST_SEPARATOR) if v.strip()]
