"""Watchlists: what an officer or liaison wants to hear of again (an entity or an identifier)."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import utcnow

__all__ = ["Watch"]


class Watch(SQLModel, table=True):
    """One user watching one entity, or one strong identifier (scheme and normalised value).

    ``kind`` and ``value`` are written like ``entity_identifier`` rows (``iban``,
    ``NL91ABNA0417164300``; a scoped identifier keeps its scope: ``registrationNumber``,
    ``nl:24123456``), so a watch meets every spelling the identifier index meets. ``label`` is
    what the user typed, shown on the watchlist page. What a watch found is told as a
    ``watchlist_hit`` notification, which expires with the notifications.

    Fate: kept (while its user is: a user's own list; deleted with the user, and a watch of an
    entity with that entity).
    """

    __tablename__ = "watch"
    __table_args__ = (
        CheckConstraint(
            "entity_id IS NOT NULL OR (kind IS NOT NULL AND value IS NOT NULL)",
            name="ck_watch_target",
        ),
        Index("ix_watch_kind_value", "kind", "value"),
        Index("ix_watch_entity", "entity_id"),
        Index("ix_watch_user", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    )
    entity_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("entity.id", ondelete="CASCADE"), nullable=True),
    )
    kind: str | None = Field(default=None, sa_type=String(32))
    value: str | None = Field(default=None, sa_type=String(200))
    label: str = Field(default="", sa_type=String(200))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
