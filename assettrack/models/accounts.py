"""Organisations, users, their organisations, and API tokens."""

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import false
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import Role
from .base import UTCDateTime
from .base import check_in
from .base import utcnow

__all__ = ["Organisation", "User", "UserOrganisation", "ApiToken"]


class Organisation(SQLModel, table=True):
    """A city or agency that owns cases, identified by its UN/LOCODE."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("length(code) BETWEEN 2 AND 10", name="ck_organisation_code"),
        CheckConstraint("length(country) = 2", name="ck_organisation_country"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(10), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    country: str = Field(sa_type=String(2))
    timezone: str = Field(sa_type=String(64))
    language: str = Field(sa_type=String(8))
    contact_email: str | None = Field(default=None, sa_type=String(254))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A person who logs in. Deactivated, never deleted, so audit entries always name someone."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(check_in("role", Role), name="ck_user_role"),
        CheckConstraint("failed_logins >= 0", name="ck_user_failed_logins"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(254), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    password_hash: str = Field(sa_type=String(255))
    role: str = Field(sa_type=String(16))
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    language: str | None = Field(default=None, sa_type=String(8))
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deactivated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class UserOrganisation(SQLModel, table=True):
    """An extra organisation a liaison works for, beyond the home organisation.

    ``names``: the liaison sees the names of that organisation's victims, witnesses and
    ``other`` persons on screen (DECISIONS #10); new grants start without, exports label them
    whatever the flag.
    """

    __tablename__ = "user_organisation"

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), primary_key=True))
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), primary_key=True)
    )
    names: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class ApiToken(SQLModel, table=True):
    """A bearer token for the API, stored as its SHA-256 only; revoked, never deleted."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False, index=True)
    )
    token_hash: str = Field(sa_type=String(64), unique=True)
    prefix: str = Field(sa_type=String(12))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
