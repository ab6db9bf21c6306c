"""Screening dossiers (a permit application screened Bibob-style), their procedures and pauses.

Also the record of how the migration that brought the ``confirm`` action reclassified old
decisions, which ``assettrack db upgrade`` audits once.
"""

from datetime import date
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from ..domain.screening_clock import Measure
from ..domain.screening_clock import Outcome
from ..domain.screening_clock import TermUnit
from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = [
    "ScreeningProcedure",
    "ScreeningDossier",
    "DossierSuspension",
    "DecisionReclassification",
]


class ScreeningProcedure(SQLModel, table=True):
    """An organisation's own terms of a screening procedure (else the built-in Bibob ones).

    Fate: installation data (an organisation's configuration; dossiers name it by code).
    """

    __tablename__ = "screening_procedure"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code", name="uq_screening_procedure_code"),
        enum_check("advice_term_unit", TermUnit, name="ck_sp_advice_unit"),
        enum_check("extension_unit", TermUnit, name="ck_sp_extension_unit"),
        enum_check("decision_term_unit", TermUnit, name="ck_sp_decision_unit"),
        CheckConstraint(
            "advice_term BETWEEN 0 AND 520 AND extension BETWEEN 0 AND 520 "
            "AND decision_term BETWEEN 0 AND 520 AND extensions_allowed BETWEEN 0 AND 10 "
            "AND warn_days BETWEEN 0 AND 365",
            name="ck_sp_terms",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    code: str = Field(sa_type=String(32))
    name: str = Field(sa_type=String(200))
    advice_term: int
    advice_term_unit: str = Field(sa_type=String(16))
    extension: int = 0
    extension_unit: str = Field(default="weeks", sa_type=String(16))
    extensions_allowed: int = 0
    decision_term: int
    decision_term_unit: str = Field(sa_type=String(16))
    advice_extends_decision: bool = True
    questions_suspend_decision: bool = True
    roll_to_working_day: bool = True
    warn_days: int = 14


class ScreeningDossier(SQLModel, table=True):
    """The screening of one permit application: a case made from the dossier template.

    ``version`` guards concurrent edits (409 on a stale one).

    Fate: erased with its case.
    """

    __tablename__ = "screening_dossier"
    __table_args__ = (
        enum_check("outcome", Outcome, name="ck_dossier_outcome", nullable=True),
        enum_check("measure", Measure, name="ck_dossier_measure", nullable=True),
        CheckConstraint(
            "extensions BETWEEN 0 AND 10 AND (decision_term IS NULL OR "
            "decision_term BETWEEN 0 AND 520)",
            name="ck_dossier_terms",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False, unique=True)
    )
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    procedure_code: str = Field(default="bibob", sa_type=String(32))
    permit: str = Field(sa_type=String(200))
    received_on: date
    decision_term: int | None = None
    advice_requested_on: date | None = None
    extensions: int = 0
    advice_received_on: date | None = None
    outcome: str | None = Field(default=None, sa_type=String(16))
    measure: str | None = Field(default=None, sa_type=String(16))
    decided_on: date | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DossierSuspension(SQLModel, table=True):
    """Questions put to the applicant: the decision clock stops until they are answered.

    Fate: erased with its case.
    """

    __tablename__ = "dossier_suspension"
    __table_args__ = (
        CheckConstraint(
            "answered_on IS NULL OR answered_on >= questions_sent_on", name="ck_suspension_order"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(
        sa_column=Column(Integer, ForeignKey("screening_dossier.id"), nullable=False, index=True)
    )
    questions_sent_on: date
    answered_on: date | None = None


class DecisionReclassification(SQLModel, table=True):
    """How the migration w3dossier_01 reclassified a judicial freeze that confirmed an urgent one.

    Fate: kept (the record of a change to legal statistics; audited once by db upgrade).
    """

    __tablename__ = "decision_reclassification"

    decision_id: int = Field(sa_column=Column(Integer, ForeignKey("decision.id"), primary_key=True))
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    year: int
    action_before: str = Field(sa_type=String(12))
    action_after: str = Field(sa_type=String(12))
    lapse_flag: str | None = Field(default=None, sa_type=String(32))
    audited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
