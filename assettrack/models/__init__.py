"""SQLModel tables, split by area; importing this package registers them all."""

from .accounts import ApiToken
from .accounts import Organisation
from .accounts import User
from .accounts import UserOrganisation
from .audit import AuditEntry
from .audit import AuditHead
from .base import TLP
from .base import CaseStatus
from .base import HandlingCode
from .base import Role
from .base import UTCDateTime
from .base import utcnow
from .cases import Case
from .cases import CaseShare
from .cases import CaseTag
from .jobs import Job

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Case",
    "CaseShare",
    "CaseStatus",
    "CaseTag",
    "HandlingCode",
    "Job",
    "Organisation",
    "Role",
    "TLP",
    "UTCDateTime",
    "User",
    "UserOrganisation",
    "utcnow",
]
