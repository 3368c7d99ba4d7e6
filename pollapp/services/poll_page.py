"""What the page of one poll discloses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pollapp.services import polls as poll_service


def poll_methodology(session: Session, poll_id: int) -> dict[str, Any]:
    """Everything a poll page discloses: the poll document (every methodology field, the questions
    with their exact wording and answers), the pollster and sponsors by name, and the AAPOR disclosure
    assessment (score and missing items)."""
    from pollapp.services import disclosure

    poll = poll_service.get_poll(session, poll_id)
    doc = poll_service.poll_document(poll)
    fields = [(name.replace("_", " "), value) for name, value in doc.items()
              if name not in ("questions", "pollster") and value not in (None, [], "")]
    return {
        "poll_id": poll.id,
        "pollster": poll.pollster.name,
        "partners": sorted(p.name for p in poll.partners),
        "sponsors": sorted(s.name for s in poll.sponsors),
        "fields": fields,
        "questions": doc["questions"],
        "disclosure": disclosure.assess(poll),
    }
