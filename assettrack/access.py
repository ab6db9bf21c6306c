"""The one answer to "may this user see or do this?".

Every view, API route, search, export and graph query asks here; none builds its own unscoped
query. Reading is scoped by organisation: officers read their organisation's cases, liaisons the
cases of every organisation they were granted. Editing is for officers of the owning
organisation. Partners read no case pages, auditors only the audit log, admins manage users and
organisations. An object outside the read scope is reported as missing (404), never as
forbidden, so its existence does not leak.
"""

from sqlalchemy import select
from sqlmodel import Session

from .errors import AccessDenied
from .errors import NotFound
from .models import Case
from .models import Role
from .models import User
from .models import UserOrganisation

__all__ = [
    "organisation_ids",
    "readable_organisation_ids",
    "named_organisation_ids",
    "visible_cases",
    "get_case",
    "can_read_cases",
    "can_create_case",
    "can_edit_case",
    "require_edit_case",
    "can_view_audit",
    "can_administer",
    "require_role",
    "visible_audit_entries",
]

_CASE_READERS = {Role.OFFICER.value, Role.LIAISON.value}


def organisation_ids(session: Session, user: User) -> set[int]:
    """Return the ids of the organisations ``user`` belongs to (home first, then granted)."""
    # Cached for the life of the session (one request): memberships change only by the admin.
    cache = session.info.setdefault("access.organisation_ids", {})
    if user.id not in cache:
        granted = session.scalars(
            select(UserOrganisation.organisation_id).where(UserOrganisation.user_id == user.id)
        )
        cache[user.id] = {user.organisation_id, *granted}
    return cache[user.id]


def readable_organisation_ids(session: Session, user: User) -> set[int]:
    """Return the organisations whose cases ``user`` may read (empty for non-readers)."""
    if not can_read_cases(user):
        return set()
    if user.role == Role.OFFICER.value:
        return {user.organisation_id}
    return organisation_ids(session, user)


def named_organisation_ids(session: Session, user: User) -> set[int]:
    """Return the organisations whose victims, witnesses and ``other`` persons ``user`` sees
    named on screen: the home organisation, and those granted with the ``names`` flag.

    DECISIONS #10 "Names": elsewhere they are shown by their labels; every export made by a
    liaison labels them whatever the flag (``services.sharing.export_level``).
    """
    cache = session.info.setdefault("access.named_organisation_ids", {})
    if user.id not in cache:
        named = session.scalars(
            select(UserOrganisation.organisation_id).where(
                UserOrganisation.user_id == user.id, UserOrganisation.names.is_(True)
            )
        )
        cache[user.id] = {user.organisation_id, *named}
    return cache[user.id]


def visible_cases(session: Session, user: User):
    """Return a SELECT of the cases ``user`` may read; add filters and ordering to it."""
    orgs = readable_organisation_ids(session, user)
    return select(Case).where(Case.organisation_id.in_(orgs or {-1}))


def get_case(session: Session, user: User, case_id: int) -> Case:
    """Return the case if ``user`` may read it, else raise NotFound (even if it exists)."""
    case = session.get(Case, case_id)
    if case is None or case.organisation_id not in readable_organisation_ids(session, user):
        raise NotFound(f"case {case_id} not found")
    return case


def can_read_cases(user: User) -> bool:
    """Return whether ``user``'s role reads case files at all."""
    return user.is_active and user.role in _CASE_READERS


def can_create_case(user: User) -> bool:
    """Return whether ``user`` may open a case (officers, in their own organisation)."""
    return user.is_active and user.role == Role.OFFICER.value


def can_edit_case(user: User, case: Case) -> bool:
    """Return whether ``user`` may change ``case`` and record what belongs to it."""
    return can_create_case(user) and case.organisation_id == user.organisation_id


def require_edit_case(user: User, case: Case) -> None:
    """Raise AccessDenied unless ``user`` may change ``case`` (read scope already checked)."""
    if not can_edit_case(user, case):
        raise AccessDenied("only an officer of the owning organisation may change this case")


def can_view_audit(user: User) -> bool:
    """Return whether ``user`` may read the audit log (auditors only)."""
    return user.is_active and user.role == Role.AUDITOR.value


def can_administer(user: User) -> bool:
    """Return whether ``user`` manages users and organisations."""
    return user.is_active and user.role == Role.ADMIN.value


def require_role(user: User, *roles: Role) -> None:
    """Raise AccessDenied unless ``user`` has one of ``roles``."""
    if not user.is_active or user.role not in {r.value for r in roles}:
        raise AccessDenied("your role does not allow this")


def visible_audit_entries(session: Session, user: User):
    """Return a SELECT of the audit entries an auditor may read: their organisations' and the
    system's own (organisation-less) entries."""
    from sqlalchemy import or_

    from .models import AuditEntry

    if not can_view_audit(user):
        return select(AuditEntry).where(AuditEntry.id == -1)
    orgs = organisation_ids(session, user)
    return select(AuditEntry).where(
        or_(AuditEntry.organisation_id.in_(orgs), AuditEntry.organisation_id.is_(None))
    )


def require_edit_organisation(user: User, organisation_id: int) -> None:
    """Raise AccessDenied unless ``user`` is an officer of ``organisation_id``."""
    if not (can_create_case(user) and user.organisation_id == organisation_id):
        raise AccessDenied("only an officer of the owning organisation may change this")
