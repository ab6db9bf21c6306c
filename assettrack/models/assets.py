"""Assets and their legal life: decisions, valuations, management ledger, managers."""

from datetime import date
from datetime import datetime
from decimal import Decimal
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

from ..domain.lifecycle import Action
from ..domain.lifecycle import Stage
from .base import UTCDateTime
from .base import enum_check
from .base import utcnow
from .entities import MONEY

__all__ = [
    "Asset",
    "Decision",
    "DecisionAsset",
    "Valuation",
    "LedgerEntry",
    "ManagerAssignment",
    "STAGES",
    "ACTIONS",
    "DecisionSource",
    "LapseFlag",
    "LedgerKind",
]

#: The stored values of :class:`~assettrack.domain.lifecycle.Stage` and ``Action``, in their order.
STAGES = tuple(stage.value for stage in Stage)
ACTIONS = tuple(action.value for action in Action)


class DecisionSource(StrEnum):
    """Where a decision was recorded: by an officer, or read from a national register."""

    MANUAL = "manual"
    REGISTER = "register"


class LapseFlag(StrEnum):
    """Why a freezing order carries a lapse mark without the officer's acknowledgement."""

    NOT_ACKNOWLEDGED_MIGRATED = "not_acknowledged_migrated"


class LedgerKind(StrEnum):
    """A management ledger entry: money spent on an asset, or earned by it."""

    COST = "cost"
    INCOME = "income"


class Asset(SQLModel, table=True):
    """The legal state of an entity that is an asset: one stage, the same in every case.

    ``version`` guards concurrent decisions: a decision updates the row only if the version it
    read is still current, so two officers recording the same order cannot both succeed.

    Fate: kept (its stage and values are the legal facts the statistics count; the entity
    holding the personal data is erased with its case).
    """

    __tablename__ = "asset"
    __table_args__ = (
        enum_check("stage", Stage, name="ck_asset_stage"),
        CheckConstraint(
            "estimated_value IS NULL OR estimated_value >= 0", name="ck_asset_estimated_value"
        ),
        CheckConstraint("urgent_unconfirmed = false OR stage = 'frozen'", name="ck_asset_urgent"),
        Index("ix_asset_org_stage", "organisation_id", "stage"),
        # Dashboard: value by stage answered from the index; urgent freezes found directly.
        Index(
            "ix_asset_org_stage_value", "organisation_id", "stage", "currency", "estimated_value"
        ),
        Index("ix_asset_org_urgent", "organisation_id", "urgent_unconfirmed", "urgent_expires_on"),
    )

    entity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), primary_key=True, autoincrement=False)
    )
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    stage: str = Field(default="traced", sa_type=String(12))
    urgent_unconfirmed: bool = Field(default=False)
    urgent_expires_on: date | None = None
    confiscation_final: bool = Field(default=False)
    last_decided_on: date | None = None
    estimated_value: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str = Field(default="EUR", sa_type=String(3))
    manager: str | None = Field(default=None, sa_type=String(200))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Decision(SQLModel, table=True):
    """A legal act moving one or more assets of one case: never deleted, only annulled.

    Fate: kept (a legal act the statistics count; its free texts are erased with its case).
    """

    __tablename__ = "decision"
    __table_args__ = (
        enum_check("action", Action, name="ck_decision_action"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_decision_amount"),
        CheckConstraint("price IS NULL OR price >= 0", name="ck_decision_price"),
        enum_check("source", DecisionSource, name="ck_decision_source"),
        enum_check("lapse_flag", LapseFlag, name="ck_decision_lapse_flag", nullable=True),
        Index("ix_decision_org_year", "organisation_id", "decided_on", "action"),
        # Statistics per action (first freeze, first confiscation) without reading every year.
        Index("ix_decision_org_action", "organisation_id", "action", "decided_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False, index=True)
    )
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    action: str = Field(sa_type=String(12))
    decided_on: date
    authority: str = Field(sa_type=String(200))
    reference: str = Field(sa_type=String(200))
    legal_basis: str = Field(sa_type=String(500))
    # freeze
    urgent: bool = Field(default=False)
    # A new order after an urgent freeze lapsed unconfirmed (DECISIONS.md #13).
    lapse_acknowledged: bool = Field(default=False)
    # "not_acknowledged_migrated": a judicial freeze entered after the lapse before the
    # confirm action existed; the migration w3dossier_01 kept it as a freeze and flagged it.
    lapse_flag: str | None = Field(default=None, sa_type=String(32))
    expires_on: date | None = None
    owner_notified_on: date | None = None
    # manage
    manager: str | None = Field(default=None, sa_type=String(200))
    early_sale: bool = Field(default=False)
    early_sale_ground: str | None = Field(default=None, sa_type=String(32))
    price: Decimal | None = Field(default=None, sa_type=MONEY)
    # confiscate
    confiscation_type: str | None = Field(default=None, sa_type=String(32))
    final: bool = Field(default=False)
    # dispose
    disposal: str | None = Field(default=None, sa_type=String(32))
    recipient: str | None = Field(default=None, sa_type=String(200))
    purpose: str | None = Field(default=None, sa_type=String(500))
    # release
    reason: str | None = Field(default=None, sa_type=Text)
    returned_on: date | None = None
    # value at freezing / at confiscation / realised, for the whole order
    amount: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str = Field(default="EUR", sa_type=String(3))
    # the order document
    document_name: str | None = Field(default=None, sa_type=String(255))
    document_path: str | None = Field(default=None, sa_type=String(500))
    document_sha256: str | None = Field(default=None, sa_type=String(64))
    document_type: str | None = Field(default=None, sa_type=String(100))
    # where it came from: typed in, or a register import (left out of the statistics)
    source: str = Field(default="manual", sa_type=String(10))
    register_label: str | None = Field(default=None, sa_type=String(200))
    # annulment (a later, reasoned entry; the row stays)
    annulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    annulled_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    annul_reason: str | None = Field(default=None, sa_type=Text)
    entered_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DecisionAsset(SQLModel, table=True):
    """One asset covered by a decision, with its state before and after (for annulment).

    Fate: kept (with its decision).
    """

    __tablename__ = "decision_asset"
    __table_args__ = (CheckConstraint("amount IS NULL OR amount >= 0", name="ck_da_amount"),)

    decision_id: int = Field(sa_column=Column(Integer, ForeignKey("decision.id"), primary_key=True))
    asset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("asset.entity_id"), primary_key=True, index=True)
    )
    stage_before: str = Field(sa_type=String(12))
    stage_after: str = Field(sa_type=String(12))
    state_before: str = Field(default="{}", sa_type=Text)
    amount: Decimal | None = Field(default=None, sa_type=MONEY)


class Valuation(SQLModel, table=True):
    """An estimate of an asset's value: date, amount, basis, valuer.

    Fate: kept (a legal fact the statistics count; the valuer's name is erased with its case).
    """

    __tablename__ = "valuation"
    __table_args__ = (CheckConstraint("amount >= 0", name="ck_valuation_amount"),)

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("asset.entity_id"), nullable=False, index=True)
    )
    valued_on: date
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(default="EUR", sa_type=String(3))
    basis: str = Field(sa_type=String(200))
    valuer: str = Field(sa_type=String(200))
    entered_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LedgerEntry(SQLModel, table=True):
    """A management cost or income booked on a frozen, managed or confiscated asset.

    Fate: kept (the management accounts of a seized asset, legal facts for the statistics).
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_ledger_amount"),
        enum_check("kind", LedgerKind, name="ck_ledger_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("asset.entity_id"), nullable=False, index=True)
    )
    booked_on: date
    kind: str = Field(sa_type=String(8))
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(default="EUR", sa_type=String(3))
    category: str = Field(sa_type=String(100))
    note: str | None = Field(default=None, sa_type=Text)
    entered_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ManagerAssignment(SQLModel, table=True):
    """Who manages a managed asset from when: an assignment, not a lifecycle move.

    Fate: kept (with the asset's legal facts; a natural person's name is erased with its case).
    """

    __tablename__ = "manager_assignment"

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("asset.entity_id"), nullable=False, index=True)
    )
    manager: str = Field(sa_type=String(200))
    assigned_on: date
    decision_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("decision.id"), nullable=True)
    )
    note: str | None = Field(default=None, sa_type=Text)
    entered_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
