"""Duplicates: candidate pairs, reviewers' verdicts, merges and their undo."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = [
    "VERDICTS",
    "Verdict",
    "DuplicateScan",
    "DuplicateCandidate",
    "DuplicateReview",
    "MergeRecord",
]


class Verdict(StrEnum):
    """A reviewer's answer to "are these two the same?"."""

    SAME = "same"
    NOT_SAME = "not_same"
    UNSURE = "unsure"


#: The stored values of :class:`Verdict`, in its order.
VERDICTS = tuple(verdict.value for verdict in Verdict)


class DuplicateScan(SQLModel, table=True):
    """The last candidate search over an organisation's entities, and what it cost.

    Fate: installation data (when the last search ran and what it cost).
    """

    __tablename__ = "duplicate_scan"

    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), primary_key=True)
    )
    scanned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    entity_count: int = Field(default=0)
    comparisons: int = Field(default=0)
    candidate_count: int = Field(default=0)
    seconds: float = Field(default=0.0, sa_type=Float)


class DuplicateCandidate(SQLModel, table=True):
    """A pair of one organisation's entities that may be the same, as the last scan found it.

    Fate: kept (until the organisation's next duplicate search replaces it; pairs of erased
    entities go with them).
    """

    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        UniqueConstraint("entity_a_id", "entity_b_id", name="uq_duplicate_candidate_pair"),
        CheckConstraint("entity_a_id < entity_b_id", name="ck_duplicate_candidate_order"),
        CheckConstraint("score >= 0 AND score <= 1", name="ck_duplicate_candidate_score"),
        Index("ix_duplicate_candidate_org_score", "organisation_id", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    entity_a_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    entity_b_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False, index=True)
    )
    score: float = Field(sa_type=Float)
    explanation: str = Field(default="[]", sa_type=Text)
    found_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DuplicateReview(SQLModel, table=True):
    """An officer's verdict on a pair: remembered, so the pair is never asked about again.

    Fate: erased with its case (with the entities it names).
    """

    __tablename__ = "duplicate_review"
    __table_args__ = (
        UniqueConstraint("entity_a_id", "entity_b_id", name="uq_duplicate_review_pair"),
        CheckConstraint("entity_a_id < entity_b_id", name="ck_duplicate_review_order"),
        enum_check("verdict", Verdict, name="ck_duplicate_review_verdict"),
        Index("ix_duplicate_review_org_verdict", "organisation_id", "verdict"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    entity_a_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    entity_b_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False, index=True)
    )
    verdict: str = Field(sa_type=String(10))
    score: float | None = Field(default=None, sa_type=Float)
    explanation: str = Field(default="[]", sa_type=Text)
    reviewed_by_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False)
    )
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MergeRecord(SQLModel, table=True):
    """A merge of one entity into another, with every row it changed, so it can be undone.

    Fate: erased with its case (it holds the rows the merge changed).
    """

    __tablename__ = "merge_record"
    __table_args__ = (
        CheckConstraint("survivor_id <> merged_id", name="ck_merge_record_distinct"),
        CheckConstraint(
            "(undone_at IS NULL) = (undone_by_id IS NULL)", name="ck_merge_record_undone"
        ),
        Index("ix_merge_record_org_time", "organisation_id", "merged_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    survivor_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False, index=True)
    )
    merged_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False, index=True)
    )
    # {"operations": [...], "summary": {...}}: see matching.MergePlan; values JSON-tagged.
    plan: str = Field(sa_type=Text)
    merged_by_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    merged_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    undone_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
