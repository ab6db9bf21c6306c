"""Screening: reference lists (sanctions exports), their entries, and the hits on entities."""

from datetime import datetime

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
from .base import utcnow

__all__ = ["ScreeningList", "ScreeningEntry", "ScreeningHit"]


class ScreeningList(SQLModel, table=True):
    """A reference list (a sanctions export...) entities are screened against.

    ``organisation_id`` None: every organisation screens against it.

    Fate: installation data.
    """

    __tablename__ = "screening_list"
    __table_args__ = (CheckConstraint("length(name) > 0", name="ck_screening_list_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), unique=True)
    organisation_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=True)
    )
    source: str = Field(default="", sa_type=String(500))
    entry_count: int = Field(default=0)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScreeningEntry(SQLModel, table=True):
    """One listed subject: names, identifiers, birth dates, countries and why it is listed.

    Fate: kept (a published reference list, replaced when the list is loaded again).
    """

    __tablename__ = "screening_entry"
    __table_args__ = (
        UniqueConstraint("list_id", "external_id", name="uq_screening_entry_external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(
        sa_column=Column(Integer, ForeignKey("screening_list.id"), nullable=False, index=True)
    )
    external_id: str = Field(sa_type=String(200))
    schema_name: str = Field(sa_column=Column("schema", String(40), nullable=False))
    caption: str = Field(sa_type=String(500))
    # {"names": [...], "birth_dates": [...], "countries": [...], "identifiers": [[kind, value]]}
    data: str = Field(default="{}", sa_type=Text)
    # Programme, authority and reason of each sanction naming the subject, one per line.
    sanctions: str = Field(default="", sa_type=Text)


class ScreeningHit(SQLModel, table=True):
    """An entity of a case that matched a listed subject, with the reasons.

    Fate: erased with its case.
    """

    __tablename__ = "screening_hit"
    __table_args__ = (
        UniqueConstraint("entity_id", "entry_id", name="uq_screening_hit"),
        CheckConstraint("score >= 0 AND score <= 1", name="ck_screening_hit_score"),
        Index("ix_screening_hit_org", "organisation_id", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    entity_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    entry_id: int = Field(
        sa_column=Column(Integer, ForeignKey("screening_entry.id"), nullable=False, index=True)
    )
    list_id: int = Field(
        sa_column=Column(Integer, ForeignKey("screening_list.id"), nullable=False, index=True)
    )
    score: float = Field(sa_type=Float)
    explanation: str = Field(default="[]", sa_type=Text)
    found_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
