"""Cases, the organisations they are shared with, and their tags."""

from datetime import date
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import TLP
from .base import CaseStatus
from .base import HandlingCode
from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = ["Case", "CaseShare", "CaseTag", "TITLE_MAX", "SUMMARY_MAX", "TAG_MAX"]

TITLE_MAX = 200
SUMMARY_MAX = 10_000
RESTRICTION_MAX = 500
TAG_MAX = 40


class Case(SQLModel, table=True):
    """A file of one organisation about the people, companies and assets of an investigation.

    Fate: erased with its case (title, summary and notes are erased; the reference, dates and
    labels stay for the statistics and the audit trail).
    """

    __tablename__ = "case_file"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "number", name="uq_case_org_year_number"),
        enum_check("status", CaseStatus, name="ck_case_status"),
        enum_check("tlp", TLP, name="ck_case_tlp"),
        enum_check("handling_code", HandlingCode, name="ck_case_handling_code"),
        CheckConstraint(
            "handling_code <> 'H3' OR length(coalesce(handling_restriction, '')) > 0",
            name="ck_case_h3_restriction",
        ),
        CheckConstraint("length(title) > 0", name="ck_case_title"),
        CheckConstraint("review_on >= opened_on", name="ck_case_review_after_opening"),
        CheckConstraint("number > 0", name="ck_case_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    reference: str = Field(sa_type=String(32), unique=True, index=True)
    year: int
    number: int
    title: str = Field(sa_type=String(TITLE_MAX))
    summary: str = Field(default="", sa_type=Text)
    status: str = Field(default=CaseStatus.OPEN.value, sa_type=String(8), index=True)
    tlp: str = Field(default=TLP.AMBER.value, sa_type=String(16), index=True)
    handling_code: str = Field(default=HandlingCode.H0.value, sa_type=String(2))
    handling_restriction: str | None = Field(default=None, sa_type=String(RESTRICTION_MAX))
    assigned_officer_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    opened_on: date
    review_on: date = Field(index=True)
    created_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseShare(SQLModel, table=True):
    """An organisation a case is shared with (read-only there, redacted).

    Fate: erased with its case.
    """

    __tablename__ = "case_share"

    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case_file.id"), primary_key=True))
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), primary_key=True, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseTag(SQLModel, table=True):
    """A free label on a case ("port", "cocaine", "real-estate").

    Fate: erased with its case.
    """

    __tablename__ = "case_tag"
    __table_args__ = (CheckConstraint("length(tag) > 0", name="ck_case_tag_not_empty"),)

    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case_file.id"), primary_key=True))
    tag: str = Field(sa_type=String(TAG_MAX), primary_key=True, index=True)
