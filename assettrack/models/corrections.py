"""Corrections with history (issue #12): each change's previous values, and where values came from.

A correction of an entity, of its place in a case or of a relation writes a
:class:`ChangeRecord` (who, when, why, the fields before and after, the versions). A removal
marks the row (``removed_at``) instead of deleting it; :func:`_hide_removed` keeps removed rows
out of every ORM read unless the statement asks for them with the execution option
``include_removed=True`` (SQLAlchemy's documented soft-delete recipe, ``with_loader_criteria``).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import with_loader_criteria
from sqlmodel import Field
from sqlmodel import SQLModel

from ..domain.involvement import InfoGrade
from ..domain.involvement import SourceGrade
from .base import UTCDateTime
from .base import enum_check
from .base import utcnow
from .entities import CaseEntity
from .entities import Relation

__all__ = [
    "ChangeRecord",
    "PropertySource",
    "ChangedObject",
    "ChangeKind",
    "SourceKind",
    "INCLUDE_REMOVED",
]

#: Execution options of a read that must see removed links and relations too.
INCLUDE_REMOVED = {"include_removed": True}


class ChangedObject(StrEnum):
    """What a correction changed."""

    ENTITY = "entity"
    CASE_ENTITY = "case_entity"
    RELATION = "relation"


class ChangeKind(StrEnum):
    """A correction: new values, a removal, or the undoing of an earlier change."""

    UPDATE = "update"
    REMOVE = "remove"
    REVERT = "revert"


class SourceKind(StrEnum):
    """Where a property value came from."""

    OFFICER = "officer"
    IMPORT = "import"
    REGISTER = "register"
    MERGE = "merge"


class ChangeRecord(SQLModel, table=True):
    """One correction: the fields before and after, who made it, when and why.

    ``entity_id`` is the entity whose history shows it (a relation's source), ``other_entity_id``
    the relation's target. A revert points to the change it undoes (``reverts_id``), and the
    undone change to its revert (``reverted_by_id``).

    Fate: erased with its case (with its entity).
    """

    __tablename__ = "change_record"
    __table_args__ = (
        enum_check("object_type", ChangedObject, name="ck_change_record_object_type"),
        enum_check("kind", ChangeKind, name="ck_change_record_kind"),
        Index("ix_change_record_entity", "entity_id", "id"),
        Index("ix_change_record_other_entity", "other_entity_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    object_type: str = Field(sa_type=String(16))
    object_id: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_type=String(16))
    entity_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    other_entity_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("entity.id"), nullable=True)
    )
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=True)
    )
    before: str = Field(default="{}", sa_type=Text)
    after: str = Field(default="{}", sa_type=Text)
    reason: str | None = Field(default=None, sa_type=Text)
    version_before: int = Field(sa_column=Column(Integer, nullable=False))
    version_after: int = Field(sa_column=Column(Integer, nullable=False))
    reverts_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("change_record.id"), nullable=True)
    )
    reverted_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("change_record.id"), nullable=True)
    )
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PropertySource(SQLModel, table=True):
    """Where values of an entity's property came from: an officer, an import line, a register
    row, a merge; with the 4x4 grade of the source when one was given.

    Fate: erased with its case (with its entity).
    """

    __tablename__ = "property_source"
    __table_args__ = (
        enum_check("kind", SourceKind, name="ck_property_source_kind"),
        enum_check("source_grade", SourceGrade, name="ck_property_source_grade", nullable=True),
        enum_check("info_grade", InfoGrade, name="ck_property_source_info_grade", nullable=True),
        Index("ix_property_source_entity", "entity_id", "property"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), nullable=False))
    property: str = Field(sa_type=String(64))
    # The values this source gave, as a JSON list of strings.
    values: str = Field(default="[]", sa_type=Text)
    kind: str = Field(sa_type=String(16))
    user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    file_name: str | None = Field(default=None, sa_type=String(255))
    line: int | None = None
    merge_record_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("merge_record.id"), nullable=True)
    )
    change_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("change_record.id"), nullable=True)
    )
    source_grade: str | None = Field(default=None, sa_type=String(1))
    info_grade: str | None = Field(default=None, sa_type=String(1))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@event.listens_for(Session, "do_orm_execute")
def _hide_removed(state) -> None:
    """Leave removed case links and relations out of ORM reads, unless asked for."""
    if (
        not state.is_select
        or state.is_column_load
        or state.is_relationship_load
        or state.execution_options.get("include_removed", False)
    ):
        return
    state.statement = state.statement.options(
        *(
            with_loader_criteria(model, lambda cls: cls.removed_at.is_(None), include_aliases=True)
            for model in (CaseEntity, Relation)
        )
    )
