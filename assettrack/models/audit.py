"""The append-only audit log and the head of its hash chain."""

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

__all__ = ["AuditEntry", "AuditHead"]


class AuditEntry(SQLModel, table=True):
    """One logged act (Law Enforcement Directive 2016/680, Art. 25).

    ``hmac`` covers every column but ``details`` and ``erased_at``: it covers ``details_digest``
    instead, so personal data can be erased from ``details`` (retention) and the chain still
    verifies.
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


class AuditHead(SQLModel, table=True):
    """The single row that serialises appends: the last sequence number and its HMAC."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0)
    last_hmac: str = Field(sa_type=String(64))
