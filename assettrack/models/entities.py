"""Entities (FollowTheMoney-shaped), their roles in cases, identifiers and relations."""

from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import text
from sqlmodel import Field
from sqlmodel import SQLModel

from ..domain.involvement import CASE_ROLES
from ..domain.involvement import INFO_GRADES
from ..domain.involvement import RELATION_SCHEMATA
from ..domain.involvement import SOURCE_GRADES
from ..domain.involvement import CaseRole
from ..domain.involvement import InfoGrade
from ..domain.involvement import RelationSchema
from ..domain.involvement import SourceGrade
from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = [
    "Entity",
    "EntityIdentifier",
    "CaseEntity",
    "Relation",
    "CASE_ROLES",
    "SOURCE_GRADES",
    "INFO_GRADES",
    "RELATION_SCHEMATA",
    "CaseRole",
    "SourceGrade",
    "InfoGrade",
    "RelationSchema",
]


MONEY = Numeric(19, 4)
PERCENT = Numeric(9, 6)


class Entity(SQLModel, table=True):
    """A person, company, vessel, property, account... of one organisation, as FtM shapes it.

    ``properties`` is the FtM property map (name → list of strings) as JSON text, so any FtM
    schema is kept as it came. ``caption`` is the display name, kept for search and sorting.

    Fate: erased with its case (its personal data, once no case not yet erased holds it).
    """

    __tablename__ = "entity"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id", name="uq_entity_org_external_id"),
        CheckConstraint("length(schema) > 0", name="ck_entity_schema"),
        Index("ix_entity_org_caption", "organisation_id", "caption_norm"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    schema_name: str = Field(sa_column=Column("schema", String(40), nullable=False, index=True))
    caption: str = Field(sa_type=String(500))
    caption_norm: str = Field(sa_type=String(500))
    properties: str = Field(default="{}", sa_type=Text)
    external_id: str | None = Field(default=None, sa_type=String(200))
    merged_into_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("entity.id"), nullable=True)
    )
    created_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Optimistic concurrency (issue #12): every correction checks and raises it.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))


class EntityIdentifier(SQLModel, table=True):
    """A strong identifier of an entity (IMO, IBAN, LEI, ISIN, registration number...).

    Normalised, indexed by (kind, value): how the same ship is found in two cases or cities.

    Fate: erased with its case (with its entity).
    """

    __tablename__ = "entity_identifier"
    __table_args__ = (Index("ix_entity_identifier_kind_value", "kind", "value"),)

    entity_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), primary_key=True))
    kind: str = Field(sa_type=String(32), primary_key=True)
    value: str = Field(sa_type=String(200), primary_key=True)


class CaseEntity(SQLModel, table=True):
    """An entity's place in a case: its role and grade, and whether it is an asset there.

    A removed link keeps its row (``removed_at``, who and why) and is hidden from normal reads
    (``models.corrections``).

    Fate: erased with its case.
    """

    __tablename__ = "case_entity"
    __table_args__ = (
        # One standing link per entity and case; a removed link stays beside a new one.
        Index(
            "uq_case_entity",
            "case_id",
            "entity_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        enum_check("role", CaseRole, name="ck_case_entity_role"),
        enum_check("source_grade", SourceGrade, name="ck_case_entity_source_grade", nullable=True),
        enum_check("info_grade", InfoGrade, name="ck_case_entity_info_grade", nullable=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False, index=True)
    )
    entity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False, index=True)
    )
    role: str = Field(default="other", sa_type=String(16))
    source_grade: str | None = Field(default=None, sa_type=String(1))
    info_grade: str | None = Field(default=None, sa_type=String(1))
    as_asset: bool = Field(default=False)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Optimistic concurrency (issue #12): every correction checks and raises it.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    removed_reason: str | None = Field(default=None, sa_type=Text)


class Relation(SQLModel, table=True):
    """An edge between two entities: ownership, directorship, family, payment...

    An imported FtM relation with several values at an end draws several edges (DECISIONS #11,
    ``domain.ftm.relation_pairs``): one row each, sharing ``external_id`` and numbered by
    ``part`` (0 for the first or only edge); their ``properties`` then keep the FtM properties
    as they came, ends included, so the export gives the line back whole.
    A removed relation keeps its row and is hidden from normal reads, like a removed link.

    Fate: erased with its case.
    """

    __tablename__ = "relation"
    __table_args__ = (
        enum_check("schema", RelationSchema, name="ck_relation_schema"),
        CheckConstraint(
            "percentage IS NULL OR (percentage >= 0 AND percentage <= 100)",
            name="ck_relation_percentage",
        ),
        CheckConstraint(
            "percentage_min IS NULL OR (percentage_min >= 0 AND percentage_min <= 100)",
            name="ck_relation_percentage_min",
        ),
        CheckConstraint(
            "percentage_max IS NULL OR (percentage_max >= 0 AND percentage_max <= 100)",
            name="ck_relation_percentage_max",
        ),
        CheckConstraint(
            "percentage_min IS NULL OR percentage_max IS NULL OR percentage_min <= percentage_max",
            name="ck_relation_percentage_range",
        ),
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date",
            name="ck_relation_dates",
        ),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_relation_amount"),
        enum_check("source_grade", SourceGrade, name="ck_relation_source_grade", nullable=True),
        enum_check("info_grade", InfoGrade, name="ck_relation_info_grade", nullable=True),
        UniqueConstraint(
            "organisation_id", "external_id", "part", name="uq_relation_org_external_id_part"
        ),
        Index("ix_relation_source", "source_id", "schema"),
        Index("ix_relation_target", "target_id", "schema"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    schema_name: str = Field(sa_column=Column("schema", String(20), nullable=False))
    source_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    target_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    role: str | None = Field(default=None, sa_type=String(200))
    percentage: Decimal | None = Field(default=None, sa_type=PERCENT)
    percentage_min: Decimal | None = Field(default=None, sa_type=PERCENT)
    percentage_max: Decimal | None = Field(default=None, sa_type=PERCENT)
    start_date: date | None = None
    end_date: date | None = None
    amount: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str | None = Field(default=None, sa_type=String(3))
    paid_on: date | None = None
    properties: str = Field(default="{}", sa_type=Text)
    source_grade: str | None = Field(default=None, sa_type=String(1))
    info_grade: str | None = Field(default=None, sa_type=String(1))
    external_id: str | None = Field(default=None, sa_type=String(200))
    part: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Optimistic concurrency (issue #12): every correction checks and raises it.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    removed_reason: str | None = Field(default=None, sa_type=Text)
