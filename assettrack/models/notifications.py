"""Notifications to users (the bell, e-mails, digests) and each user's choice per event."""

from datetime import datetime
from enum import StrEnum

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

__all__ = ["NotificationEvent", "Channel", "Notification", "NotificationPreference"]


class NotificationEvent(StrEnum):
    """What a notification is about (issue #13's list, and #12's watchlists)."""

    TASK_ASSIGNED = "task_assigned"
    TASK_DUE_TOMORROW = "task_due_tomorrow"
    TASK_OVERDUE = "task_overdue"
    FREEZE_LAPSING = "freeze_lapsing"
    FREEZE_LAPSED = "freeze_lapsed"
    SCREENING_MILESTONE = "screening_milestone"
    REVIEW_DUE = "review_due"
    CASE_SHARED = "case_shared"
    REPORT_ADDRESSED = "report_addressed"
    WATCHLIST_HIT = "watchlist_hit"
    MENTIONED = "mentioned"


class Channel(StrEnum):
    """How a user wants to hear of an event: not at all, the bell, an e-mail now, the digest.

    Every channel but ``off`` also shows the notification under the bell.
    """

    OFF = "off"
    IN_APP = "in_app"
    EMAIL = "email"
    DIGEST = "digest"


class Notification(SQLModel, table=True):
    """One event told to one user.

    The text is kept as a message id and parameters and translated when shown, in the reader's
    language. ``dedupe_key`` makes an event told once: two workers running the same schedule
    insert the same key and the second insert is refused by the unique constraint.

    Fate: expires after 90 days (NOTIFICATION_KEEP_DAYS; read or not, then deleted).
    """

    __tablename__ = "notification"
    __table_args__ = (
        enum_check("event", NotificationEvent, name="ck_notification_event"),
        enum_check("channel", Channel, name="ck_notification_channel"),
        UniqueConstraint("user_id", "dedupe_key", name="uq_notification_user_dedupe"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    event: str = Field(sa_type=String(32))
    # The channel chosen when it was made: e-mail and digest rows are picked up by the mailer.
    channel: str = Field(sa_type=String(16))
    # The case it concerns, if any: its reference is what an e-mail may say (DECISIONS #13).
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=True)
    )
    case_reference: str | None = Field(default=None, sa_type=String(32))
    message: str = Field(sa_type=Text)
    params: str = Field(default="{}", sa_type=Text)
    link: str | None = Field(default=None, sa_type=String(500))
    dedupe_key: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationPreference(SQLModel, table=True):
    """A user's channel for one event; without a row the event's default applies.

    Fate: installation data (a user's settings).
    """

    __tablename__ = "notification_preference"
    __table_args__ = (
        enum_check("event", NotificationEvent, name="ck_notification_preference_event"),
        enum_check("channel", Channel, name="ck_notification_preference_channel"),
    )

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), primary_key=True, nullable=False)
    )
    event: str = Field(sa_type=String(32), primary_key=True)
    channel: str = Field(sa_type=String(16))
