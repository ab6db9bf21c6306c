"""Signed-in browser sessions and the forms kept across a sign-in."""

from datetime import datetime
from enum import StrEnum

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

__all__ = ["EndReason", "UserSession", "SavedForm"]


class EndReason(StrEnum):
    """Why a session ended."""

    LOGOUT = "logout"
    IDLE = "idle"
    EXPIRED = "expired"
    RENEWED = "renewed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    PASSWORD_RESET = "password_reset"  # noqa: S105
    DEACTIVATED = "deactivated"
    ROLE_CHANGED = "role_changed"
    GRANT_CHANGED = "grant_changed"
    FACTOR_RESET = "factor_reset"


class UserSession(SQLModel, table=True):
    """One sign-in in one browser; the cookie carries only its random token, stored hashed here.

    Fate: expires after 30 days (ended and expired rows are deleted then; SESSION_KEEP_DAYS).
    """

    __tablename__ = "user_session"
    __table_args__ = (
        enum_check("end_reason", EndReason, name="ck_user_session_end_reason", nullable=True),
        Index("ix_user_session_user_open", "user_id", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Written at most once a minute, so a busy page does not write on every request.
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    user_agent: str | None = Field(default=None, sa_type=String(255))
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, sa_type=String(20))


class SavedForm(SQLModel, table=True):
    """The fields of a form posted after its session ended, offered again after the sign-in.

    Fate: expires after 1 day (SAVED_FORM_HOURS; deleted once used or expired).
    """

    __tablename__ = "saved_form"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_type=String(64), unique=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False, index=True)
    )
    path: str = Field(sa_type=String(500))
    fields: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
