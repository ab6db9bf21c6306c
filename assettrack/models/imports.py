"""Register imports: saved column mappings, import runs, and each asset as its register lists it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
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
    "RegisterMapping",
    "RegisterImport",
    "RegisterEntry",
    "RegisterTarget",
    "REGISTER_TARGETS",
]


class RegisterTarget(StrEnum):
    """What a register status can be mapped to: a lifecycle stage, or a final confiscation."""

    TRACED = "traced"
    FROZEN = "frozen"
    MANAGED = "managed"
    CONFISCATED = "confiscated"
    CONFISCATED_FINAL = "confiscated_final"
    DISPOSED = "disposed"
    RELEASED = "released"


#: The stored values of :class:`RegisterTarget`, in its order.
REGISTER_TARGETS = tuple(target.value for target in RegisterTarget)


class RegisterMapping(SQLModel, table=True):
    """A saved way to read one register: which column holds what, and what its statuses mean.

    ``columns`` maps assettrack's fields (``name``, ``schema``, ``address``, ``city``,
    ``region``, ``country``, ``status``, ``value``, ``currency``, ``external_id``) to the
    register's column headers; ``statuses`` maps each status label of the register to a
    lifecycle target (:data:`REGISTER_TARGETS`) or to ``""`` (keep the label, no stage);
    ``types`` maps the register's type labels to FtM schemata; ``defaults`` holds values for
    fields without a column (``country``, ``schema``, ``currency``, ``register``,
    ``decimal``). All four are JSON objects.

    Fate: installation data (an organisation's saved way of reading a register).
    """

    __tablename__ = "register_mapping"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name", name="uq_register_mapping_org_name"),
        CheckConstraint("length(name) > 0", name="ck_register_mapping_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    name: str = Field(sa_type=String(100))
    columns: str = Field(default="{}", sa_type=Text)
    statuses: str = Field(default="{}", sa_type=Text)
    types: str = Field(default="{}", sa_type=Text)
    defaults: str = Field(default="{}", sa_type=Text)
    created_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RegisterImport(SQLModel, table=True):
    """One import of a register file into a case: what was read and what it changed.

    Fate: erased with its case.
    """

    __tablename__ = "register_import"
    __table_args__ = (
        CheckConstraint(
            "rows_read >= 0 AND created >= 0 AND updated >= 0 AND unchanged >= 0 AND skipped >= 0",
            name="ck_register_import_counts",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False, index=True)
    )
    register_name: str = Field(sa_type=String(100))
    mapping_name: str | None = Field(default=None, sa_type=String(100))
    mapping: str = Field(default="{}", sa_type=Text)
    file_name: str = Field(sa_type=String(255))
    file_sha256: str = Field(sa_type=String(64))
    encoding: str = Field(sa_type=String(20))
    delimiter: str | None = Field(default=None, sa_type=String(4))
    rows_read: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    skipped: int = Field(default=0)
    entered_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RegisterEntry(SQLModel, table=True):
    """An asset as its register lists it: status label, where it is, and the row as it came.

    ``status_label`` is the register's own word ("Destinati consegnati"); ``target`` what it
    was mapped to (None when it fits no stage: the label is then all there is). ``row`` keeps
    every column of the register row (JSON), so nothing read is lost.

    Fate: erased with its case.
    """

    __tablename__ = "register_entry"
    __table_args__ = (
        enum_check("target", RegisterTarget, name="ck_register_entry_target", nullable=True),
        Index("ix_register_entry_org_region", "organisation_id", "region"),
        Index("ix_register_entry_org_status", "organisation_id", "status_label"),
    )

    entity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id"), primary_key=True, autoincrement=False)
    )
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    import_id: int = Field(
        sa_column=Column(Integer, ForeignKey("register_import.id"), nullable=False, index=True)
    )
    register_name: str = Field(sa_type=String(100))
    status_label: str | None = Field(default=None, sa_type=String(200))
    target: str | None = Field(default=None, sa_type=String(20))
    region: str | None = Field(default=None, sa_type=String(200))
    city: str | None = Field(default=None, sa_type=String(200))
    row: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
