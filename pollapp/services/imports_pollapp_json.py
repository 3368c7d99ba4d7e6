"""Read pollapp's poll layout as JSON (an array of poll documents, the shape of
``GET /api/v1/polls.json``) into one record per poll.

Only the shape is checked here (objects, lists of answers, memberships as ``{"series", "outcome"}``):
the poll rules are the API's validator's, applied later to every record alike; problems are located
by JSON Pointer into the file.
"""

from __future__ import annotations

from typing import Any

import orjson

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.services import poll_layout as layout
from pollapp.services.imports_pollapp_records import FileProblems, _Answer, _Question, _Record


JSON_EXTRA_POLL = ("pollster_name", "partner_pollster_names", "sponsor_names")


def read_json(text: str, name: str, problems: FileProblems) -> tuple[int, list[_Record]]:
    """An array of poll documents (the shape of ``/api/v1/polls.json``)."""
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid JSON; nothing was imported.",
            [FieldError(f"{name}:{exc.lineno}", f"{exc.msg} at line {exc.lineno}, column {exc.colno}.", row=exc.lineno)],
        ) from exc
    if not isinstance(items, list):
        raise InvalidInput(f"{name} is not a JSON array of polls; nothing was imported.",
                           [FieldError(f"{name}#", "The file must hold a JSON array of poll documents (as /api/v1/polls.json).")])
    records = []
    for index, item in enumerate(items):
        record = _Record(str(index), None, index, {})
        if not isinstance(item, dict):
            problems.at(record, [], "Each item must be a poll document (a JSON object).")
            continue
        record.doc = {k: v for k, v in item.items() if k not in ("questions", *JSON_EXTRA_POLL)}
        _json_names(record, item, problems)
        questions = item.get("questions")
        if not isinstance(questions, list):
            record.doc["questions"] = questions  # the validator says what is wrong with it
            records.append(record)
            continue
        for qi, q in enumerate(questions):
            if not isinstance(q, dict) or not isinstance(q.get("answers"), list):
                problems.at(record, ["questions", str(qi)], "A question must be an object with a list of answers.")
                continue
            question = _Question({k: v for k, v in q.items() if k not in ("answers", *layout.DERIVED)}, None)
            for ai, a in enumerate(q["answers"]):
                if not isinstance(a, dict):
                    problems.at(record, ["questions", str(qi), "answers", str(ai)], "An answer must be an object.")
                    continue
                answer = _Answer({k: v for k, v in a.items() if k != "series"}, None)
                for si, entry in enumerate(a.get("series") or []):
                    if not (isinstance(entry, dict) and isinstance(entry.get("series"), str) and isinstance(entry.get("outcome"), str)):
                        problems.at(record, ["questions", str(qi), "answers", str(ai), "series", str(si)],
                                    'Each membership is {"series": slug, "outcome": code}.')
                        continue
                    answer.series.append((entry["series"], entry["outcome"]))
                question.answers.append(answer)
            record.questions.append(question)
        records.append(record)
    return len(items), records


def _json_names(record: _Record, item: dict[str, Any], problems: FileProblems) -> None:
    name = item.get("pollster_name")
    if name is not None:
        if isinstance(name, str) and isinstance(item.get("pollster"), str):
            record.pollster_names[item["pollster"]] = name
        else:
            problems.at(record, ["pollster_name"], "Must be the pollster's name (a string).")
    for names_key, slugs_key in layout.NAME_LISTS.items():
        names, slugs = item.get(names_key), item.get(slugs_key) or []
        if names is None:
            continue
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names) and isinstance(slugs, list) and len(names) == len(slugs)):
            problems.at(record, [names_key], f"Must list one name (a string) per entry of {slugs_key}, in the same order.")
            continue
        target = record.sponsor_names if slugs_key == "sponsors" else record.pollster_names
        for slug, n in zip(slugs, names):
            if isinstance(slug, str):
                target.setdefault(slug, n)
