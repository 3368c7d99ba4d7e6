"""Typed SQLAlchemy 2 models: the poll store.

A *poll* is one fieldwork of one pollster, carrying its full methodology (what AAPOR's Code calls
the items for immediate disclosure). A poll asks *questions*; each question has *answers* as
published, some of which are *net answers* (sums of other answers, e.g. KIIS' "peace closer 45%" =
15% "significantly closer" + 30% "slightly closer"). A *series* tracks one measure across polls and
pollsters by mapping member questions' answer codes onto the series' *outcomes*.

Percentages are stored as published (``pct``, 0-100). Constraints here repeat the schema rules so
that no writer, API or not, can store a value the API would reject.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Timezone-aware now, used as a callable default (never a value frozen at import)."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; pollapp stores timezone-aware UTC timestamps")
        return value.astimezone(dt.timezone.utc) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(cls: type[enum.Enum]) -> Enum:
    """Portable enum column: a VARCHAR with a CHECK constraint on both SQLite and PostgreSQL,
    storing the value (``"adults"``), so adding a member needs no ALTER TYPE."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=cls.__name__.lower(),
    )


class Population(str, enum.Enum):
    ADULTS = "adults"
    REGISTERED_VOTERS = "registered_voters"
    LIKELY_VOTERS = "likely_voters"
    OTHER = "other"


class SampleType(str, enum.Enum):
    PROBABILITY = "probability"
    NON_PROBABILITY = "non_probability"
    MIXED = "mixed"


class Mode(str, enum.Enum):
    PHONE_LIVE = "phone_live"
    IVR = "ivr"
    ONLINE_PANEL = "online_panel"
    FACE_TO_FACE = "face_to_face"
    TEXT = "text"
    MAIL = "mail"
    MIXED = "mixed"


class DatePrecision(str, enum.Enum):
    """How exactly the source gave the field dates.

    ``day``: both dates published. ``end_only``: one date published, stored as start and end.
    ``month``/``year``: only a month or year published; the dates are its first and last day.
    """

    DAY = "day"
    END_ONLY = "end_only"
    MONTH = "month"
    YEAR = "year"


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def version_column() -> Mapped[int]:
    """A row version for optimistic locking (the mapper's ``version_id_col``): every ORM UPDATE or
    DELETE of the row says ``WHERE id = ? AND version = <the version read>`` and bumps it, so of two
    writers that read the same version only the first can write; the other gets a StaleDataError
    (answered 412). The server default numbers rows inserted by bulk Core statements."""
    return mapped_column(Integer, server_default=text("1"))


poll_sponsors = Table(
    "poll_sponsors",
    Base.metadata,
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    Column("sponsor_id", ForeignKey("sponsors.id", ondelete="RESTRICT"), primary_key=True),
    # The primary key serves lookups by poll; this one the ``sponsor`` list filter (issue 7, bench_plans).
    Index("ix_poll_sponsors_sponsor_id", "sponsor_id"),
)

poll_partners = Table(
    "poll_partners",
    Base.metadata,
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    Column("pollster_id", ForeignKey("pollsters.id", ondelete="RESTRICT"), primary_key=True),
    Index("ix_poll_partners_pollster_id", "pollster_id"),  # "has this pollster polls?" and renames' history
)


class Pollster(Timestamped, Base):
    __tablename__ = "pollsters"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    __mapper_args__ = {"version_id_col": version}
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(500))
    memberships: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)

    polls: Mapped[list[Poll]] = relationship(back_populates="pollster", foreign_keys="Poll.pollster_id")


class Sponsor(Timestamped, Base):
    __tablename__ = "sponsors"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    __mapper_args__ = {"version_id_col": version}
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)


class Poll(Timestamped, Base):
    __tablename__ = "polls"
    __table_args__ = (
        CheckConstraint("field_end_date >= field_start_date", name="field_dates_ordered"),
        CheckConstraint(
            "publication_date IS NULL OR publication_date >= field_end_date", name="published_after_field"
        ),
        CheckConstraint("sample_size IS NULL OR sample_size >= 1", name="sample_size_positive"),
        CheckConstraint("design_effect IS NULL OR design_effect >= 1", name="design_effect_at_least_one"),
        CheckConstraint(
            "margin_of_error IS NULL OR (margin_of_error > 0 AND margin_of_error <= 100)",
            name="margin_of_error_range",
        ),
        CheckConstraint(
            "confidence_level IS NULL OR (confidence_level > 0 AND confidence_level < 100)",
            name="confidence_level_range",
        ),
        CheckConstraint(
            "response_rate IS NULL OR (response_rate >= 0 AND response_rate <= 100)", name="response_rate_range"
        ),
        UniqueConstraint("source", "source_id", name="source_key"),
        Index("ix_polls_field_end_id", "field_end_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    __mapper_args__ = {"version_id_col": version}
    pollster_id: Mapped[int] = mapped_column(ForeignKey("pollsters.id", ondelete="RESTRICT"), index=True)
    field_start_date: Mapped[dt.date] = mapped_column(Date)
    field_end_date: Mapped[dt.date] = mapped_column(Date)
    field_dates_precision: Mapped[DatePrecision] = mapped_column(_enum(DatePrecision), default=DatePrecision.DAY)
    publication_date: Mapped[dt.date | None] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    population: Mapped[Population] = mapped_column(_enum(Population))
    population_description: Mapped[str | None] = mapped_column(Text)
    coverage_exclusions: Mapped[str | None] = mapped_column(Text)
    sample_size: Mapped[int | None]
    sample_type: Mapped[SampleType | None] = mapped_column(_enum(SampleType))
    sampling_frame: Mapped[str | None] = mapped_column(Text)
    recruitment: Mapped[str | None] = mapped_column(Text)
    data_collection: Mapped[str | None] = mapped_column(Text)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    weighted: Mapped[bool | None]
    weighting_variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    design_effect: Mapped[float | None] = mapped_column(Float)
    margin_of_error: Mapped[float | None] = mapped_column(Float)
    confidence_level: Mapped[float | None] = mapped_column(Float)
    response_rate: Mapped[float | None] = mapped_column(Float)
    response_rate_formula: Mapped[str | None] = mapped_column(String(20))
    quality_procedures: Mapped[str | None] = mapped_column(Text)
    limitations: Mapped[str | None] = mapped_column(Text)
    self_sponsored: Mapped[bool] = mapped_column(default=False)
    partisan: Mapped[bool] = mapped_column(default=False)
    internal: Mapped[bool] = mapped_column(default=False)
    tracking: Mapped[bool] = mapped_column(default=False)
    source_url: Mapped[str | None] = mapped_column(String(1000))
    report_url: Mapped[str | None] = mapped_column(String(1000))
    topline_url: Mapped[str | None] = mapped_column(String(1000))
    crosstab_url: Mapped[str | None] = mapped_column(String(1000))
    notes: Mapped[str | None] = mapped_column(Text)
    # Natural key of an imported poll: where it came from and its id there.
    source: Mapped[str | None] = mapped_column(String(80))
    source_id: Mapped[str | None] = mapped_column(String(200))
    # Soft delete: a deleted poll is hidden everywhere but keeps its row and its revision history.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    pollster: Mapped[Pollster] = relationship(back_populates="polls", foreign_keys=[pollster_id])
    sponsors: Mapped[list[Sponsor]] = relationship(secondary=poll_sponsors, order_by="Sponsor.slug")
    partners: Mapped[list[Pollster]] = relationship(secondary=poll_partners, order_by="Pollster.slug")
    questions: Mapped[list[Question]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="Question.position"
    )


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("poll_id", "code", name="poll_code"),
        CheckConstraint("base_n IS NULL OR base_n >= 1", name="base_n_positive"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(120))
    wording: Mapped[str] = mapped_column(Text)
    wording_exact: Mapped[bool] = mapped_column(default=True)
    wording_en: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35))  # BCP 47 tag (RFC 5646 asks for room for 35)
    preceding_context: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=1)
    population: Mapped[Population | None] = mapped_column(_enum(Population))
    base_description: Mapped[str | None] = mapped_column(Text)
    base_n: Mapped[int | None]
    split_variant: Mapped[str | None] = mapped_column(String(200))
    multi_select: Mapped[bool] = mapped_column(default=False)
    remainder_not_reported: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)

    poll: Mapped[Poll] = relationship(back_populates="questions")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="Answer.position"
    )


answer_components = Table(
    "answer_components",
    Base.metadata,
    Column("net_answer_id", ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    Column("component_answer_id", ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
)


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("question_id", "code", name="question_code"),
        CheckConstraint("pct >= 0 AND pct <= 100", name="pct_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(Text)
    pct: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(default=1)
    substantive: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="answers")
    components: Mapped[list[Answer]] = relationship(
        secondary=answer_components,
        primaryjoin=lambda: Answer.id == answer_components.c.net_answer_id,
        secondaryjoin=lambda: Answer.id == answer_components.c.component_answer_id,
        order_by=lambda: Answer.position,
    )

    @property
    def is_net(self) -> bool:
        return bool(self.components)


class Series(Timestamped, Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    __mapper_args__ = {"version_id_col": version}
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    outcomes: Mapped[list[SeriesOutcome]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="SeriesOutcome.position"
    )
    members: Mapped[list[SeriesMember]] = relationship(back_populates="series", cascade="all, delete-orphan")


class SeriesOutcome(Base):
    __tablename__ = "series_outcomes"
    __table_args__ = (UniqueConstraint("series_id", "code", name="series_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=1)

    series: Mapped[Series] = relationship(back_populates="outcomes")


class SeriesMember(Base):
    """A question that measures the series; its answers are mapped onto the series' outcomes."""

    __tablename__ = "series_members"
    __table_args__ = (UniqueConstraint("series_id", "question_id", name="series_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)

    series: Mapped[Series] = relationship(back_populates="members")
    question: Mapped[Question] = relationship()
    mappings: Mapped[list[SeriesMapping]] = relationship(back_populates="member", cascade="all, delete-orphan")


class SeriesMapping(Base):
    """One answer counted towards one outcome; an outcome may sum several answers."""

    __tablename__ = "series_mappings"

    member_id: Mapped[int] = mapped_column(ForeignKey("series_members.id", ondelete="CASCADE"), primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("series_outcomes.id", ondelete="CASCADE"), index=True)

    member: Mapped[SeriesMember] = relationship(back_populates="mappings")
    answer: Mapped[Answer] = relationship()
    outcome: Mapped[SeriesOutcome] = relationship()


class ApiKey(Base):
    """An API key. Only a SHA-256 of the key is stored; the key itself is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RevisionAction(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"


class SeriesChangeKind(str, enum.Enum):
    """What a poll revision did to one series: the poll entered it, changed in it, or left it."""

    ADDED = "added"
    CORRECTED = "corrected"
    REMOVED = "removed"


class PollRevision(Base):
    """One recorded state of a poll: everything its series points, statistics rows and export rows
    depend on (``snapshot``), who wrote it, when and why, and what changed since the previous one.

    Written only by :mod:`pollapp.services.history` (session events), never by views or importers.
    """

    __tablename__ = "poll_revisions"
    __table_args__ = (
        UniqueConstraint("poll_id", "revision", name="poll_revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: history is never erased with a poll (polls are soft-deleted).
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="RESTRICT"))
    revision: Mapped[int]
    action: Mapped[RevisionAction] = mapped_column(_enum(RevisionAction))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(200))  # the key's name (or the CLI command) at the time
    reason: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PollRevisionSeries(Base):
    """The series a revision concerns (those the poll belonged to before or after it) and what it did
    there, so that a series' changelog and its ``as_of`` reconstruction need no scan of all revisions."""

    __tablename__ = "poll_revision_series"

    revision_id: Mapped[int] = mapped_column(ForeignKey("poll_revisions.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[SeriesChangeKind] = mapped_column(_enum(SeriesChangeKind))


class IdempotencyRecord(Base):
    """One ``Idempotency-Key`` a client sent with a POST, and the response it got.

    Unique per (API key, idempotency key), so two racing requests with one key cannot both run.
    ``completed_at`` is NULL while the first request runs; the response is stored in the same
    transaction as the write it reports (see :mod:`pollapp.services.idempotency`). The row version
    lets a retry take over an attempt that died without the dead attempt completing it later."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key", name="api_key_idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    __mapper_args__ = {"version_id_col": version}
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None]
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)


class DataGeneration(Base):
    """The database's data generation: one number that moves (in the same transaction) with every
    change of public data, so that "has anything changed?" costs one primary-key read.

    Caches of public representations (:mod:`pollapp.services.response_cache`) key on it; it is bumped by
    :mod:`pollapp.services.data_generation` at commit, never by views. One row, id 1."""

    __tablename__ = "data_generation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SeriesDataVersion(Base):
    """A series' data version (:mod:`pollapp.services.data_version`) as computed by the transaction that
    last wrote its data, with the cheap fingerprint of the series it was computed at.

    Why: hashing every point row of a large series costs more than the rest of a trend request, and
    reads outnumber writes. A read whose fingerprint equals ``fingerprint`` takes ``version`` instead of
    hashing; any other read hashes as before. So this is a cache that can only be missed, never wrong:
    a writer that forgets to refresh it leaves a stale fingerprint behind, not a stale version.
    Kept by :mod:`pollapp.services.data_version_store`; not public data, not in backups (derived)."""

    __tablename__ = "series_data_versions"

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: The statistics' rows of the series, read with the version and packed
    #: (:mod:`pollapp.services.stats_inputs_store`), and the packing's format: an uncached statistic
    #: reads them at this fingerprint instead of running its SELECT. NULL: read with SQL.
    stat_inputs: Mapped[bytes | None] = mapped_column(LargeBinary)
    stat_inputs_format: Mapped[int | None]


# ``create_all`` (tests) seeds the row as the migration does.
event.listen(
    DataGeneration.__table__, "after_create", DDL("INSERT INTO data_generation (id, value) VALUES (1, 0)")
)

#: Indexes made on PostgreSQL only (migration ``0008``), as DDL rather than ``Index`` objects: they index
#: expressions, which SQLAlchemy cannot reflect on SQLite without a warning. ``create_all`` makes them on
#: PostgreSQL as the migration does; :func:`compared_by_alembic` leaves them out of the models ==
#: migrations comparison (which could not see them in the models).
POSTGRESQL_ONLY_INDEXES = {
    # sort=[-]publication_date (pollapp.repository.polls.poll_sort_key) and its keyset cursor
    "ix_polls_publication_sort": (Poll.__table__, "CREATE INDEX ix_polls_publication_sort ON polls "
                                                  "(coalesce(publication_date, field_end_date), id)"),
    # the text search q (pollapp.repository.polls): trigrams (pg_trgm) of the lowered wordings (migration 0009)
    "ix_questions_wording_trgm": (Question.__table__, "CREATE INDEX ix_questions_wording_trgm ON questions "
                                                      "USING gin (lower(wording) gin_trgm_ops)"),
    "ix_questions_wording_en_trgm": (Question.__table__, "CREATE INDEX ix_questions_wording_en_trgm ON questions "
                                                         "USING gin (lower(coalesce(wording_en, '')) gin_trgm_ops)"),
}
event.listen(Base.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
for _table, _sql in POSTGRESQL_ONLY_INDEXES.values():
    event.listen(_table, "after_create", DDL(_sql).execute_if(dialect="postgresql"))


def compared_by_alembic(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object``: everything but :data:`POSTGRESQL_ONLY_INDEXES`."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
