"""Second factors: a user's TOTP secret (sealed) and their one-time recovery codes."""

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import utcnow

__all__ = ["TotpFactor", "RecoveryCode"]


class TotpFactor(SQLModel, table=True):
    """A user's authenticator app (RFC 6238), pending until a first code confirms it.

    The secret is sealed with the installation's data key (``secretbox``), never stored plain.
    ``last_step`` is the 30-second step of the last code accepted: a code is used once.
    ``failures`` and ``paused_until`` slow guessing at this step only (DECISIONS #14).

    Fate: installation data (a user's sign-in settings; removed when an admin resets them).
    """

    __tablename__ = "totp_factor"

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), primary_key=True))
    secret_sealed: str = Field(sa_type=String(400))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_step: int | None = Field(default=None)
    failures: int = Field(default=0)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecoveryCode(SQLModel, table=True):
    """One of ten one-time codes shown once at enrolment, stored as its SHA-256 only.

    Fate: installation data (replaced when new codes are made; removed with the factor).
    """

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False, index=True)
    )
    code_hash: str = Field(sa_type=String(64))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
