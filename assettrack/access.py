"""The one answer to "may this user see or do this?".

Every view, API route, search, export and graph query asks here; none builds its own unscoped
query. Reading is scoped by organisation: officers read their organisation's cases, liaisons the
cases of every organisation they were granted. Editing is for officers of the owning
organisation. Partners read no case pages, auditors only the audit log. An object outside the
read scope is reported as missing (404), never as forbidden, so its existence does not leak.

Admins read no case. There are two kinds (DECISIONS #9 §1), told apart by the kind of their home
organisation: an *organisation admin* (home organisation ``local``) manages the users of that
organisation and the grants to it; the *installation admin* (home organisation ``installation``)
manages organisations and its own operator users, never sets another user's password and enrols
an organisation's first admin only through a one-time link.
"""

from sqlalchemy import select
from sqlmodel import Session

from .errors import AccessDenied
from .errors import NotFound
from .models import Case
from .models import Organisation
from .models import OrganisationKind
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
    "case_organisations",
    "is_installation_admin",
    "is_organisation_admin",
    "managed_users",
    "granted_users",
    "require_manage_user",
    "can_set_password",
    "require_set_password",
    "require_create_user",
    "require_grant",
    "can_manage_organisations",
    "require_manage_organisations",
    "can_edit_organisation",
    "can_enrol_admin",
    "enrollable_organisation_ids",
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


# --- administration ---------------------------------------------------------------------------


def case_organisations():
    """Return a SELECT of the organisations that take part in case work (kind ``local``).

    Every list of organisations offered for sharing, reports, statistics and grants starts here,
    so the installation's operator organisation (and, with #17, remote ones) never appears.
    """
    return select(Organisation).where(Organisation.kind == OrganisationKind.LOCAL.value)


def is_installation_admin(session: Session, user: User) -> bool:
    """Return whether ``user`` is an active admin of the installation's operator organisation."""
    return can_administer(user) and (
        _organisation_kind(session, user.organisation_id) == OrganisationKind.INSTALLATION.value
    )


def is_organisation_admin(session: Session, user: User) -> bool:
    """Return whether ``user`` is an active admin of a local organisation (a city, an agency)."""
    return can_administer(user) and (
        _organisation_kind(session, user.organisation_id) == OrganisationKind.LOCAL.value
    )


def managed_users(session: Session, user: User):
    """Return a SELECT of the users ``user`` manages: those whose home is the admin's own
    organisation (an organisation admin's city, the installation admin's operator organisation).
    """
    if not can_administer(user):
        return select(User).where(User.id == -1)
    return select(User).where(User.organisation_id == user.organisation_id)


def granted_users(session: Session, user: User):
    """Return a SELECT of the liaisons of other organisations granted the admin's organisation."""
    if not is_organisation_admin(session, user):
        return select(User).where(User.id == -1)
    granted = select(UserOrganisation.user_id).where(
        UserOrganisation.organisation_id == user.organisation_id
    )
    return select(User).where(User.id.in_(granted), User.organisation_id != user.organisation_id)


def require_manage_user(session: Session, actor: User, target: User) -> None:
    """Raise NotFound unless ``actor`` manages ``target`` (outside their users: not shown)."""
    if not can_administer(actor) or target.organisation_id != actor.organisation_id:
        raise NotFound(f"user {target.id} not found")


def can_set_password(session: Session, actor: User, target: User) -> bool:
    """Return whether ``actor`` may set ``target``'s password: an organisation admin, for a
    non-admin user of their organisation. The installation admin never sets a password, and no
    admin resets another admin's credentials (that takes the command line or a new enrolment).
    """
    return (
        is_organisation_admin(session, actor)
        and target.organisation_id == actor.organisation_id
        and target.role != Role.ADMIN.value
    )


def require_set_password(session: Session, actor: User, target: User) -> None:
    """Raise unless ``actor`` may set ``target``'s password (see ``can_set_password``)."""
    require_manage_user(session, actor, target)
    if not can_set_password(session, actor, target):
        raise AccessDenied("you may not set this user's password")


def require_create_user(session: Session, actor: User, organisation: Organisation) -> None:
    """Raise AccessDenied unless ``actor`` may create a user at home in ``organisation``.

    Only an organisation admin, in their own organisation: the installation admin enrols admins
    through one-time links and sets no password.
    """
    if not (is_organisation_admin(session, actor) and organisation.id == actor.organisation_id):
        raise AccessDenied("you may create users only in your own organisation")


def require_grant(session: Session, actor: User, organisation: Organisation) -> None:
    """Raise AccessDenied unless ``actor`` is an admin of ``organisation``: a grant to an
    organisation is made (and withdrawn) by that organisation's admin, not the liaison's own."""
    if not (is_organisation_admin(session, actor) and organisation.id == actor.organisation_id):
        raise AccessDenied("only an admin of the organisation granted may change its grants")


def can_manage_organisations(session: Session, user: User) -> bool:
    """Return whether ``user`` lists and adds organisations (the installation admin)."""
    return is_installation_admin(session, user)


def require_manage_organisations(session: Session, user: User) -> None:
    """Raise AccessDenied unless ``user`` is the installation admin."""
    if not can_manage_organisations(session, user):
        raise AccessDenied("only the installation admin manages organisations")


def can_edit_organisation(session: Session, user: User, organisation: Organisation) -> bool:
    """Return whether ``user`` may change ``organisation``'s settings: the installation admin
    for any, an organisation's own admin for theirs."""
    if can_manage_organisations(session, user):
        return True
    return is_organisation_admin(session, user) and user.organisation_id == organisation.id


def can_enrol_admin(session: Session, user: User, organisation: Organisation) -> bool:
    """Return whether ``user`` may make an admin enrolment link for ``organisation``."""
    return organisation.id in enrollable_organisation_ids(session, user, [organisation])


def enrollable_organisation_ids(session: Session, user: User, organisations) -> set[int]:
    """Return the ids, among ``organisations``, for which ``user`` may make an enrolment link.

    The installation admin may, for its own operator organisation and for a local organisation
    that has no active admin yet (its first admin, or one after the last has left); once a city
    has an admin, that admin adds the others. Otherwise the installation admin could make itself
    a city's admin and, through an officer it creates, read the city's cases. One query.
    """
    if not is_installation_admin(session, user):
        return set()
    local = {o.id for o in organisations if o.kind == OrganisationKind.LOCAL.value}
    with_admin = set(
        session.scalars(
            select(User.organisation_id).where(
                User.organisation_id.in_(local or {-1}),
                User.role == Role.ADMIN.value,
                User.active.is_(True),
            )
        )
    )
    return (local - with_admin) | {user.organisation_id}


def _organisation_kind(session: Session, organisation_id: int) -> str | None:
    cache = session.info.setdefault("access.organisation_kind", {})
    if organisation_id not in cache:
        cache[organisation_id] = session.scalar(
            select(Organisation.kind).where(Organisation.id == organisation_id)
        )
    return cache[organisation_id]
