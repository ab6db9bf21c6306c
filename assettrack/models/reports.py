"""Reports issued as PDF (briefs, partner reports) and the H2 permissions they rely on."""

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = [
    "Report",
    "Permission",
    "ReportKind",
    "ReportStatus",
    "ReportLanguage",
    "REPORT_KINDS",
    "REPORT_STATUSES",
]


class ReportKind(StrEnum):
    """What can be issued: the two PDF reports and every export that leaves the installation."""

    CASE_BRIEF = "case_brief"
    PARTNER = "partner"
    FTM = "ftm"
    GEXF = "gexf"
    GRAPHML = "graphml"
    DIAGRAM = "diagram"
    OPEN_DATA = "open_data"


class ReportStatus(StrEnum):
    """``pending`` until its job wrote the file; ``issued`` from then on; ``withdrawn``."""

    PENDING = "pending"
    ISSUED = "issued"
    WITHDRAWN = "withdrawn"


class ReportLanguage(StrEnum):
    """The languages a report is written in."""

    EN = "en"
    FR = "fr"


#: The stored values of the enums above, in their order.
REPORT_KINDS = tuple(kind.value for kind in ReportKind)
REPORT_STATUSES = tuple(status.value for status in ReportStatus)


class Report(SQLModel, table=True):
    """A file the application produced and disclosed: who issued it, to whom, what it held.

    Issued by ``POST /api/v1/reports`` (or a form posting the same service): the row is made
    ``pending`` with its job; the job writes the file, sets ``sha256`` and logs the disclosure.
    ``id`` is printed on every page of a PDF as the report id; verifying a file takes that id
    and the SHA-256 of the bytes. ``params`` holds what was asked (case, period, options),
    ``redaction`` the redaction choices made for it.

    Fate: kept (the register of what left the installation; the audit log names these rows).
    """

    __tablename__ = "report"
    __table_args__ = (
        enum_check("kind", ReportKind, name="ck_report_kind"),
        enum_check("status", ReportStatus, name="ck_report_status"),
        enum_check("language", ReportLanguage, name="ck_report_language"),
        CheckConstraint(
            "period_start IS NULL OR period_end IS NULL OR period_start <= period_end",
            name="ck_report_period",
        ),
        Index("ix_report_context", "issuing_organisation_id", "kind", "context_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    status: str = Field(default="pending", sa_type=String(16))
    issuing_organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    recipient_organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    period_start: date | None = None
    period_end: date | None = None
    language: str = Field(default="en", sa_type=String(2))
    tlp: str = Field(sa_type=String(16))
    justification: str | None = Field(default=None, sa_type=Text)
    case_ids: str = Field(default="[]", sa_type=Text)
    params: str = Field(default="{}", sa_type=Text)
    redaction: str | None = Field(default=None, sa_type=Text)
    context_hash: str | None = Field(default=None, sa_type=String(64))
    sha256: str | None = Field(default=None, sa_type=String(64), index=True)
    size: int | None = None
    file_path: str | None = Field(default=None, sa_type=String(500))
    mimetype: str | None = Field(default=None, sa_type=String(100))
    job_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("job.id", name="fk_report_job_id"), nullable=True),
    )
    issued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("app_user.id", name="fk_report_withdrawn_by_id"), nullable=True
        ),
    )
    withdrawal_reason: str | None = Field(default=None, sa_type=Text)
    created_by_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def number(self) -> str:
        """The report id as printed on its pages (``R-000042``)."""
        return f"R-{self.id:06d}"


class Permission(SQLModel, table=True):
    """The provider's permission to pass an H2 case on to one recipient organisation.

    H2: "not to be passed on without permission". The permission is given outside the
    application (a letter, a call); this row records who gave it, when and for whom.

    Fate: erased with its case.
    """

    __tablename__ = "case_permission"
    __table_args__ = (
        CheckConstraint("length(granted_by) > 0", name="ck_case_permission_granted_by"),
        Index("ix_case_permission_case_recipient", "case_id", "recipient_organisation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False))
    recipient_organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    granted_by: str = Field(sa_type=String(200))
    granted_on: date
    note: str | None = Field(default=None, sa_type=Text)
    entered_by_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
