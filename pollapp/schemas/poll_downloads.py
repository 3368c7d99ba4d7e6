"""Query arguments of the poll downloads ``/polls.csv`` and ``/polls.json``."""

from __future__ import annotations

from pollapp.schemas.polls_list_args import PollListArgsSchema


class PollDownloadArgsSchema(PollListArgsSchema):
    """The filters and sort of the JSON list ``/polls``; no pagination (a download holds every poll)."""

    class Meta(PollListArgsSchema.Meta):
        exclude = ("cursor", "limit")
