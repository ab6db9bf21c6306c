"""What the issuing officer chose about protected names found in a disclosure (DECISIONS #10)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = ["RedactionChoice", "MentionKind", "MentionMatch", "Redaction"]


class MentionKind(StrEnum):
    """Where a protected name was found: as an entity's name, or inside free text."""

    NAME = "name"
    TEXT = "text"


class MentionMatch(StrEnum):
    """How a mention matches the protected name: the full name, or a part of it."""

    FULL = "full"
    PARTIAL = "partial"


class Redaction(StrEnum):
    """What the issuing officer chose for a mention."""

    KEEP = "keep"
    MASK = "mask"
    WITHHOLD = "withhold"


class RedactionChoice(SQLModel, table=True):
    """One mention of a protected name in a disclosure and what the issuing officer chose.

    A row per mention of the report (``assettrack.domain.mentions``): ``mention_key`` names the text
    (by its hash), the entity whose name it is (when it is a name) and the protected entity;
    ``choice`` is keep, mask or withhold. The latest choice for a key is offered again for the
    organisation's next disclosure, and falls away when the text changes (its key changes).

    Fate: erased with its case (``case_id``, the protected entity's case); until then kept with
    its report as the record of what was disclosed.
    """

    __tablename__ = "redaction_choice"
    __table_args__ = (
        enum_check("kind", MentionKind, name="ck_redaction_choice_kind"),
        enum_check("match", MentionMatch, name="ck_redaction_choice_match"),
        enum_check("choice", Redaction, name="ck_redaction_choice_choice"),
        CheckConstraint(
            "NOT (match = 'full' AND choice = 'keep')", name="ck_redaction_choice_full_kept"
        ),
        UniqueConstraint("report_id", "mention_key", name="uq_redaction_choice_report_key"),
        Index("ix_redaction_choice_org_key", "organisation_id", "mention_key", "chosen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("report.id"), nullable=False, index=True)
    )
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("case_file.id"), index=True)
    )
    mention_key: str = Field(sa_type=String(120))
    kind: str = Field(sa_type=String(8))
    match: str = Field(sa_type=String(8))
    protected_entity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False)
    )
    entity_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("entity.id")))
    choice: str = Field(sa_type=String(8))
    chosen_by_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    chosen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
