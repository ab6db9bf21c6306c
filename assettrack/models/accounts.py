"""Organisations, users, their organisations, API tokens and admin enrolment links."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import false
from sqlalchemy import true
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import Role
from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = ["OrganisationKind", "Organisation", "User", "UserOrganisation", "ApiToken", "Enrolment"]


class OrganisationKind(StrEnum):
    """What an organisation row stands for (DECISIONS #9 §1, #14)."""

    # A city or agency of this installation: it owns cases and takes part in case work.
    LOCAL = "local"
    # An organisation of a peer installation (#17): known by its code, never holds cases here.
    REMOTE = "remote"
    # The operator of this installation: its users are installation admins and read no case.
    INSTALLATION = "installation"


class Organisation(SQLModel, table=True):
    """A city or agency that owns cases, identified by its UN/LOCODE.

    Fate: installation data (kept while the installation lives: cases and audit entries name it).
    """

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("length(code) BETWEEN 2 AND 10", name="ck_organisation_code"),
        CheckConstraint("length(country) = 2", name="ck_organisation_country"),
        enum_check("kind", OrganisationKind, name="ck_organisation_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(10), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    country: str = Field(sa_type=String(2))
    timezone: str = Field(sa_type=String(64))
    language: str = Field(sa_type=String(8))
    contact_email: str | None = Field(default=None, sa_type=String(254))
    kind: str = Field(
        default=OrganisationKind.LOCAL.value,
        sa_column=Column(String(16), nullable=False, server_default=OrganisationKind.LOCAL.value),
    )
    # The UN/LOCODE when the code is not one (DECISIONS #14): country + 3 of [A-Z2-9].
    locode: str | None = Field(default=None, sa_type=String(5))
    # Users signing in with a local password must give a second factor (DECISIONS #14: every
    # role; only `make run`'s demo organisations turn it off, and say so).
    second_factor_required: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A person who logs in. Deactivated, never deleted, so audit entries always name someone.

    Fate: kept (audit entries name their author for as long as the log is kept).
    """

    __tablename__ = "app_user"
    __table_args__ = (
        enum_check("role", Role, name="ck_user_role"),
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
    """An extra organisation a liaison works for, granted by that organisation's admin.

    ``names``: the liaison sees the names of that organisation's victims, witnesses and
    ``other`` persons on screen (DECISIONS #10); new grants start without, exports label them
    whatever the flag.

    Fate: installation data (removed when the grant is withdrawn; the audit log keeps the acts).
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
    """A bearer token for the API, stored as its SHA-256 only; revoked, never deleted.

    Fate: kept (a revoked token stays so its audit entries keep their meaning).
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False, index=True)
    )
    token_hash: str = Field(sa_type=String(64), unique=True)
    prefix: str = Field(sa_type=String(12))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Refused after this time (API_TOKEN_LIFETIME from creation).
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the token is for, as its owner named it; a read-only token answers GET requests only.
    name: str | None = Field(default=None, sa_type=String(100))
    read_only: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class Enrolment(SQLModel, table=True):
    """A one-time link by which an organisation's admin sets their own password and enrols.

    Made by the installation admin (page or CLI) for an organisation with no active admin, or
    for its own operator organisation. Only the SHA-256 of the link's token is stored; the link
    works once, before ``expires_at``.

    Fate: installation data (kept with the admin account it created; a used or expired token
    opens nothing).
    """

    __tablename__ = "enrolment"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    email: str = Field(sa_type=String(254))
    name: str = Field(sa_type=String(200))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
