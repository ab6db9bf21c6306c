"""The append-only audit log, the head of its hash chain and the installation it belongs to."""

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import utcnow

__all__ = ["AuditEntry", "AuditHead", "Installation"]


class AuditEntry(SQLModel, table=True):
    """One logged act (Law Enforcement Directive 2016/680, Art. 25).

    ``hmac`` (sealed with the key named by ``key_id``) covers every column but ``details``,
    ``justification``, ``erased_digests`` and ``erased_at``: it covers ``details_digest``, a keyed
    digest of each detail and of the justification, instead. Erasure (retention) removes details
    and the justification, moves their keyed digests to ``erased_digests`` and is named by a later
    ``erase`` entry; the database allows only that change, once. Entries written before keys had
    ids (``key_id`` NULL) keep the first format: a plain SHA-256 of the details, the
    justification sealed directly, never erased.

    Fate: kept (the legal record of every act, Directive 2016/680 Art. 25; personal data in the
    details is erased with its case, the entry stays).
    """

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    ts: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), index=True)
    )
    actor: str = Field(sa_type=String(254))
    organisation_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organisation.id"), index=True)
    )
    action: str = Field(sa_type=String(32), index=True)
    object_type: str = Field(sa_type=String(32), index=True)
    object_id: str | None = Field(default=None, sa_type=String(64), index=True)
    justification: str | None = Field(default=None, sa_type=Text)
    details: str = Field(default="{}", sa_type=Text)
    details_digest: str = Field(sa_type=String(64))
    prev_hmac: str = Field(sa_type=String(64))
    hmac: str = Field(sa_type=String(64))
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_digests: str | None = Field(default=None, sa_type=Text)
    key_id: str | None = Field(default=None, sa_type=String(16))


class AuditHead(SQLModel, table=True):
    """The single row that serialises appends: the last sequence number, its HMAC and key.

    Fate: installation data.
    """

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0)
    last_hmac: str = Field(sa_type=String(64))
    key_id: str | None = Field(default=None, sa_type=String(16))


class Installation(SQLModel, table=True):
    """The one row naming this database: its id is written at the first migration.

    The audit checkpoint outside the database carries this id, so a checkpoint of another
    database (a copy, a restored backup of another server) is told apart from a broken chain.

    Fate: installation data.
    """

    __tablename__ = "installation"

    id: int = Field(default=1, primary_key=True)
    installation_id: str = Field(sa_type=String(36), unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
