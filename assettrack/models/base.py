"""Column types and vocabularies shared by every table."""

from datetime import UTC
from datetime import datetime
from enum import Enum
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from ..domain import clock

__all__ = [
    "UTCDateTime",
    "utcnow",
    "enum_check",
    "Role",
    "TLP",
    "HandlingCode",
    "CaseStatus",
]


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    SQLite keeps no zone; PostgreSQL gets ``timestamp with time zone``. Naive values are refused
    so a local time can never be stored as if it were UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC values")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time, aware, in UTC (from the one clock; the columns' default)."""
    return clock.utcnow()


def enum_check(
    column: str, enum: type[Enum], *, name: str, nullable: bool = False
) -> CheckConstraint:
    """Return the CHECK keeping ``column`` within ``enum``'s values (or NULL when ``nullable``).

    The one way a table declares that a column holds a ``str`` enum stored as its value: the
    constraint's text is generated from the enum, so the database and Python share one list.

    >>> str(enum_check("tlp", TLP, name="ck_tlp").sqltext)
    "tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')"
    >>> str(enum_check("code", HandlingCode, name="ck_code", nullable=True).sqltext)
    "code IS NULL OR code IN ('H0', 'H1', 'H2', 'H3')"
    """
    values = ", ".join(f"'{member.value}'" for member in enum)
    sql = f"{column} IN ({values})"
    text = f"{column} IS NULL OR {sql}" if nullable else sql
    return CheckConstraint(text, name=name, info={"enum": enum, "column": column})


class Role(StrEnum):
    """What a user does in assettrack (DOMAIN.md, "Who uses it")."""

    OFFICER = "officer"
    LIAISON = "liaison"
    PARTNER = "partner"
    AUDITOR = "auditor"
    ADMIN = "admin"


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 labels."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class HandlingCode(StrEnum):
    """Europol handling codes."""

    H0 = "H0"
    H1 = "H1"
    H2 = "H2"
    H3 = "H3"


class CaseStatus(StrEnum):
    """A case's status, chosen by the officer (distinct from its derived stage)."""

    OPEN = "open"
    CLOSED = "closed"
