"""SQLModel tables, split by area; importing this package registers them all."""

from .accounts import ApiToken
from .accounts import Enrolment
from .accounts import Organisation
from .accounts import OrganisationKind
from .accounts import User
from .accounts import UserOrganisation
from .assets import Asset
from .assets import Decision
from .assets import DecisionAsset
from .assets import LedgerEntry
from .assets import ManagerAssignment
from .assets import Valuation
from .attachments import Attachment
from .audit import AuditEntry
from .audit import AuditHead
from .audit import Installation
from .base import TLP
from .base import CaseStatus
from .base import HandlingCode
from .base import Role
from .base import UTCDateTime
from .base import utcnow
from .cases import Case
from .cases import CaseShare
from .cases import CaseTag
from .comments import Comment
from .comments import CommentVersion
from .corrections import ChangeRecord
from .corrections import PropertySource
from .disclosure import RedactionChoice
from .dossiers import DecisionReclassification
from .dossiers import DossierSuspension
from .dossiers import ScreeningDossier
from .dossiers import ScreeningProcedure
from .duplicates import DuplicateCandidate
from .duplicates import DuplicateReview
from .duplicates import DuplicateScan
from .duplicates import MergeRecord
from .entities import CaseEntity
from .entities import Entity
from .entities import EntityIdentifier
from .entities import Relation
from .imports import RegisterEntry
from .imports import RegisterImport
from .imports import RegisterMapping
from .jobs import Job
from .network import EntityMetric
from .network import NetworkAnalysis
from .notifications import Notification
from .notifications import NotificationPreference
from .reports import Permission
from .reports import Report
from .screening import ScreeningEntry
from .screening import ScreeningHit
from .screening import ScreeningList
from .search import SearchKey
from .second_factor import RecoveryCode
from .second_factor import TotpFactor
from .sessions import EndReason
from .sessions import SavedForm
from .sessions import UserSession
from .tasks import Task
from .tasks import TaskStatus
from .watchlist import Watch

__all__ = [
    "ChangeRecord",
    "PropertySource",
    "DecisionReclassification",
    "DossierSuspension",
    "ScreeningDossier",
    "ScreeningProcedure",
    "RegisterEntry",
    "RegisterImport",
    "RegisterMapping",
    "Asset",
    "Attachment",
    "Comment",
    "CommentVersion",
    "CaseEntity",
    "Decision",
    "DuplicateCandidate",
    "DuplicateReview",
    "DuplicateScan",
    "DecisionAsset",
    "Entity",
    "EntityMetric",
    "EntityIdentifier",
    "LedgerEntry",
    "ManagerAssignment",
    "MergeRecord",
    "NetworkAnalysis",
    "Notification",
    "NotificationPreference",
    "Permission",
    "RedactionChoice",
    "Report",
    "RecoveryCode",
    "TotpFactor",
    "Relation",
    "ScreeningEntry",
    "SearchKey",
    "ScreeningHit",
    "ScreeningList",
    "Task",
    "TaskStatus",
    "Valuation",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Installation",
    "Case",
    "CaseShare",
    "CaseStatus",
    "CaseTag",
    "HandlingCode",
    "Job",
    "Organisation",
    "OrganisationKind",
    "Enrolment",
    "Role",
    "TLP",
    "UTCDateTime",
    "User",
    "UserOrganisation",
    "utcnow",
    "EndReason",
    "SavedForm",
    "UserSession",
    "Watch",
]
