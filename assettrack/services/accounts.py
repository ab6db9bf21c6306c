"""Organisations, users, passwords, login lock-out, API tokens and admin enrolment links.

Every act of an admin is checked by ``access`` (``actor`` None is the command line, run by the
installation's operator) and audited under the organisation it concerns.
"""

import hashlib
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import func
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain.reference import PORT_CITIES
from ..domain.reference import contact_address
from ..errors import AccessDenied
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import ApiToken
from ..models import EndReason
from ..models import Enrolment
from ..models import Organisation
from ..models import OrganisationKind
from ..models import Role
from ..models import User
from ..models import UserOrganisation
from ..models import UserSession
from ..models import utcnow
from . import sessions
from .validation import Errors
from .validation import clean_choice
from .validation import clean_text

__all__ = [
    "hash_password",
    "create_organisation",
    "update_organisation",
    "seed_reference_organisations",
    "get_organisation_by_code",
    "create_user",
    "get_user_by_email",
    "deactivate_user",
    "reactivate_user",
    "reset_password",
    "change_role",
    "grant_organisation",
    "withdraw_grant",
    "create_enrolment",
    "find_enrolment",
    "enrol",
    "change_password",
    "authenticate",
    "login_delay",
    "create_token",
    "revoke_tokens",
    "user_for_token",
    "PASSWORD_MIN",
    "TOKEN_LIFETIME",
]

PASSWORD_MIN = 12
# Default lifetime of an API token (the API_TOKEN_LIFETIME setting overrides it).
TOKEN_LIFETIME = timedelta(days=90)
# last_used_at of a token is written at most this often.
_TOKEN_USE_INTERVAL = timedelta(minutes=1)
_hasher = PasswordHasher()
# A hash to verify against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("assettrack-timing-equaliser")


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


# --- organisations ---------------------------------------------------------------------------


def update_organisation(
    session: Session,
    actor: User,
    organisation: Organisation,
    *,
    name: str,
    timezone: str,
    language: str,
    contact_email: str | None,
    locode: str | None,
    second_factor_required: bool,
) -> Organisation:
    """Change an organisation's settings (its code and kind stay); every change is audited.

    The installation admin edits any organisation, an organisation's admin their own.
    """
    if not access.can_edit_organisation(session, actor, organisation):
        raise AccessDenied("only the installation admin or this organisation's admin may")
    errors = Errors()
    name = clean_text(errors, "name", name, limit=200)
    try:
        ZoneInfo(timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = Msg(
            "unknown time zone {value} (use an IANA name: Europe/Rome)", value=repr(timezone)
        )
    language = (language or "").strip().lower()
    if len(language) != 2 or not language.isalpha():
        errors["language"] = Msg("must be an ISO 639-1 two-letter language code")
    contact_email = clean_text(errors, "contact_email", contact_email, limit=254, required=False)
    if contact_email and "@" not in contact_email:
        errors["contact_email"] = Msg("must be an e-mail address")
    locode = _clean_locode(errors, locode)
    if errors:
        raise Invalid(errors)
    changes = {}
    for field, value in (
        ("name", name),
        ("timezone", timezone),
        ("language", language),
        ("contact_email", contact_email or contact_address(organisation.code)),
        ("locode", locode),
        ("second_factor_required", bool(second_factor_required)),
    ):
        old = getattr(organisation, field)
        if old != value:
            changes[field] = {"old": old, "new": value}
            setattr(organisation, field, value)
    if changes:
        session.add(organisation)
        session.flush()
        audit.record(
            session,
            actor,
            audit.Action.UPDATE,
            "organisation",
            organisation.id,
            details={"code": organisation.code, "changes": changes},
            organisation_id=organisation.id,
        )
    return organisation


def _clean_locode(errors: Errors, value: str | None) -> str | None:
    """A UN/LOCODE: an ISO 3166 country and three of A-Z and 2-9 (no city list is checked)."""
    from ..domain.schema import COUNTRIES

    text = "".join((value or "").split()).upper()
    if not text:
        return None
    if (
        len(text) != 5
        or text[:2].lower() not in COUNTRIES
        or not all(ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789" for ch in text[2:])
    ):
        errors["locode"] = Msg(
            "must be a UN/LOCODE: a country code and three letters or digits 2-9, e.g. NLRTM"
        )
        return None
    return text


def create_organisation(
    session: Session,
    actor,
    *,
    code: str,
    name: str,
    country: str,
    timezone: str,
    language: str,
    contact_email: str | None = None,
    kind: str = OrganisationKind.LOCAL.value,
) -> Organisation:
    """Add an organisation after checking its code, country, time zone, language and kind.

    There is at most one ``installation`` organisation: the operator of this installation.
    """
    if actor is not None:
        access.require_manage_organisations(session, actor)
    errors = Errors()
    code = (code or "").strip().upper()
    if not (2 <= len(code) <= 10 and code.isalnum()):
        errors["code"] = Msg("must be 2 to 10 letters or digits (a UN/LOCODE such as NLRTM)")
    name = clean_text(errors, "name", name, limit=200)
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors["country"] = Msg("must be an ISO 3166 two-letter country code")
    try:
        ZoneInfo(timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = Msg(
            "unknown time zone {value} (use an IANA name: Europe/Rome)", value=repr(timezone)
        )
    language = (language or "").strip().lower()
    if len(language) != 2 or not language.isalpha():
        errors["language"] = Msg("must be an ISO 639-1 two-letter language code")
    if contact_email is not None:
        contact_email = clean_text(errors, "contact_email", contact_email, limit=254)
        if contact_email and "@" not in contact_email:
            errors["contact_email"] = Msg("must be an e-mail address")
    kind_value = clean_choice(errors, "kind", kind, OrganisationKind)
    if kind_value is OrganisationKind.INSTALLATION and session.scalar(
        select(Organisation.code).where(Organisation.kind == kind_value.value)
    ):
        errors["kind"] = Msg("this installation already has its operator organisation")
    if errors:
        raise Invalid(errors)
    if session.scalar(select(Organisation).where(Organisation.code == code)):
        raise Conflict(
            f"organisation {code} already exists",
            errors={"code": Msg("organisation {code} already exists", code=code)},
        )
    org = Organisation(
        kind=kind_value.value,
        code=code,
        name=name,
        country=country,
        timezone=timezone,
        language=language,
        contact_email=contact_email or contact_address(code),
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor,
        audit.Action.CREATE,
        "organisation",
        org.id,
        details={"code": code, "name": name, "kind": org.kind},
        organisation_id=org.id,
        actor=None if actor else "cli",
    )
    return org


def seed_reference_organisations(session: Session) -> int:
    """Insert the reference port cities that are missing; return how many were added."""
    existing = set(session.scalars(select(Organisation.code)))
    added = 0
    for code, name, country, tz, language in PORT_CITIES:
        if code not in existing:
            create_organisation(
                session,
                None,
                code=code,
                name=name,
                country=country,
                timezone=tz,
                language=language,
            )
            added += 1
    return added


def get_organisation_by_code(session: Session, code: str) -> Organisation:
    """Return the organisation with UN/LOCODE ``code`` or raise NotFound."""
    org = session.scalar(
        select(Organisation).where(Organisation.code == (code or "").strip().upper())
    )
    if org is None:
        raise NotFound(f"unknown organisation {code!r}")
    return org


# --- users -----------------------------------------------------------------------------------


def create_user(
    session: Session,
    actor,
    *,
    email: str,
    name: str,
    role: str,
    organisation_codes: list[str],
    password: str,
    language: str | None = None,
) -> User:
    """Create a user; the first organisation is home, further ones only for liaisons.

    An admin (``actor``) creates users only at home in their own organisation and grants no
    other: a grant to another organisation is that organisation's admin's to make.
    """
    errors = Errors()
    email = _clean_email(errors, email)
    name = clean_text(errors, "name", name, limit=200)
    role_value = clean_choice(errors, "role", role, Role)
    _check_password(errors, password, hints=(email, name))
    orgs = []
    codes = [c for c in (organisation_codes or []) if c and c.strip()]
    if not codes:
        errors["organisations"] = Msg("at least one organisation is required")
    for code in codes:
        try:
            orgs.append(get_organisation_by_code(session, code))
        except NotFound:
            errors["organisations"] = Msg("unknown organisation {codes}", codes=code)
    if len(orgs) > 1 and role_value is not Role.LIAISON:
        errors["organisations"] = Msg("only a liaison may belong to more than one organisation")
    if orgs and role_value is not None:
        _check_membership(errors, role_value, orgs[0], orgs[1:])
    if language and language not in ("en", "fr"):
        errors["language"] = Msg("must be en or fr")
    if errors:
        raise Invalid(errors)
    if actor is not None:
        access.require_create_user(session, actor, orgs[0])
        if len(orgs) > 1:
            raise AccessDenied("a grant to another organisation is made by its own admin")
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise Conflict(f"a user {email} already exists", errors={"email": Msg("already in use")})
    user = User(
        email=email,
        name=name,
        role=role_value.value,
        organisation_id=orgs[0].id,
        password_hash=hash_password(password),
        language=language or None,
    )
    session.add(user)
    session.flush()
    for org in {o.id: o for o in orgs[1:]}.values():
        session.add(UserOrganisation(user_id=user.id, organisation_id=org.id))
    session.flush()
    audit.record(
        session,
        actor,
        audit.Action.CREATE,
        "user",
        user.id,
        details={"email": email, "role": user.role, "organisations": [o.code for o in orgs]},
        organisation_id=user.organisation_id,
        actor=None if actor else "cli",
    )
    return user


def get_user_by_email(session: Session, email: str) -> User:
    """Return the user with ``email`` (case-insensitive) or raise NotFound."""
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
    if user is None:
        raise NotFound(f"no user {email!r}")
    return user


def deactivate_user(session: Session, actor, user: User) -> User:
    """Deactivate ``user``: no more logins, tokens refused; the account and its trail stay."""
    if actor is not None:
        access.require_manage_user(session, actor, user)
        if actor.id == user.id:
            raise Conflict("you cannot deactivate your own account")
    if not user.active:
        return user
    user.active = False
    user.deactivated_at = utcnow()
    session.add(user)
    _record_user_change(session, actor, user, {"active": [True, False]})
    sessions.end_all(session, user, EndReason.DEACTIVATED, actor=actor)
    session.flush()
    return user


def reactivate_user(session: Session, actor, user: User) -> User:
    """Allow a deactivated user to log in again."""
    if actor is not None:
        access.require_manage_user(session, actor, user)
    if user.active:
        return user
    user.active = True
    user.deactivated_at = None
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    _record_user_change(session, actor, user, {"active": [False, True]})
    session.flush()
    return user


def reset_password(session: Session, actor, user: User, password: str) -> User:
    """Set a new password for ``user`` and lift any lock-out (``access.can_set_password``)."""
    if actor is not None:
        access.require_set_password(session, actor, user)
    errors = Errors()
    _check_password(errors, password, hints=(user.email, user.name))
    if errors:
        raise Invalid(errors)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    _record_user_change(session, actor, user, {"password": "reset"})
    sessions.end_all(session, user, EndReason.PASSWORD_RESET, actor=actor)
    session.flush()
    return user


def change_role(session: Session, actor, user: User, role: str) -> User:
    """Give ``user`` another role; a user who stops being a liaison loses their grants.

    An organisation admin changes the roles of the users of their organisation, never their own
    (another admin, or the command line, does that).
    """
    if actor is not None:
        access.require_manage_user(session, actor, user)
        if actor.id == user.id:
            raise Conflict("you cannot change your own role")
    errors = Errors()
    role_value = clean_choice(errors, "role", role, Role)
    if role_value is not None:
        _check_membership(errors, role_value, session.get(Organisation, user.organisation_id), [])
    if errors:
        raise Invalid(errors)
    if user.role == role_value.value:
        return user
    before = user.role
    user.role = role_value.value
    session.add(user)
    session.flush()
    _record_user_change(session, actor, user, {"role": [before, user.role]})
    sessions.end_all(session, user, EndReason.ROLE_CHANGED, actor=actor)
    if role_value is not Role.LIAISON:
        granted = session.scalars(
            select(Organisation)
            .join(UserOrganisation, UserOrganisation.organisation_id == Organisation.id)
            .where(UserOrganisation.user_id == user.id)
        )
        for organisation in list(granted):
            _drop_grant(session, actor, user, organisation)
    return user


# --- grants to other organisations ------------------------------------------------------------


def grant_organisation(session: Session, actor, user: User, organisation: Organisation) -> bool:
    """Grant the liaison ``user`` the cases of ``organisation``; return False if already held.

    Only an admin of ``organisation`` (or the command line) grants it, and only to a liaison.
    """
    if actor is not None:
        access.require_grant(session, actor, organisation)
    errors = Errors()
    if user.role != Role.LIAISON.value:
        errors["email"] = Msg("only a liaison may be granted another organisation")
    elif organisation.kind != OrganisationKind.LOCAL.value:
        errors["organisation"] = Msg("{code} takes no part in case work", code=organisation.code)
    if errors:
        raise Invalid(errors)
    if organisation.id == user.organisation_id or session.get(
        UserOrganisation, (user.id, organisation.id)
    ):
        return False
    session.add(UserOrganisation(user_id=user.id, organisation_id=organisation.id))
    _record_grant(session, actor, audit.Action.CREATE, user, organisation)
    return True


def withdraw_grant(session: Session, actor, user: User, organisation: Organisation) -> bool:
    """Withdraw ``user``'s grant to ``organisation``; return False if there was none."""
    if actor is not None:
        access.require_grant(session, actor, organisation)
    return _drop_grant(session, actor, user, organisation)


def _drop_grant(session: Session, actor, user: User, organisation: Organisation) -> bool:
    link = session.get(UserOrganisation, (user.id, organisation.id))
    if link is None:
        return False
    session.delete(link)
    _record_grant(session, actor, audit.Action.ERASE, user, organisation)
    return True


def _record_grant(session: Session, actor, action: str, user: User, organisation) -> None:
    """Flush a grant's change and audit it under the organisation granted."""
    session.info.pop("access.organisation_ids", None)
    session.flush()
    audit.record(
        session,
        actor,
        action,
        "grant",
        f"{user.id}:{organisation.id}",
        details={"user": user.email, "organisation": organisation.code},
        organisation_id=organisation.id,
        actor=None if actor else "cli",
    )
    sessions.end_all(session, user, EndReason.GRANT_CHANGED, actor=actor)


def change_password(
    session: Session, user: User, current: str, new: str, *, keep: UserSession | None = None
) -> User:
    """Let ``user`` change their own password; their other sessions end (``keep`` stays)."""
    errors = Errors()
    if not _verify(user.password_hash, current):
        errors["current_password"] = Msg("is not your current password")
        audit.record(
            session,
            user,
            audit.Action.LOGIN_FAILED,
            "user",
            user.id,
            details={"reason": "password change: wrong current password"},
        )
        session.flush()
    _check_password(errors, new, hints=(user.email, user.name))
    if errors:
        raise Invalid(errors)
    user.password_hash = hash_password(new)
    session.add(user)
    audit.record(
        session, user, audit.Action.UPDATE, "user", user.id, details={"password": "changed"}
    )
    sessions.end_all(
        session, user, EndReason.PASSWORD_CHANGED, actor=user, keep=keep, revoke_tokens=False
    )
    session.flush()
    return user


# --- admin enrolment links -------------------------------------------------------------------


def create_enrolment(
    session: Session, actor, organisation: Organisation, *, email: str, name: str, hours: int
) -> tuple[Enrolment, str]:
    """Make a one-time link for ``organisation``'s admin; return the row and its token.

    The token is shown once (only its SHA-256 is kept) and works for ``hours``. The installation
    admin makes one for its own organisation or one with no active admin (``access``).
    """
    if actor is not None and not access.can_enrol_admin(session, actor, organisation):
        raise AccessDenied(
            "an enrolment link is made for an organisation without an active admin; "
            "its admins add the others"
        )
    errors = Errors()
    email = _clean_email(errors, email)
    name = clean_text(errors, "name", name, limit=200)
    if organisation.kind == OrganisationKind.REMOTE.value:
        errors["organisation"] = Msg("{code} takes no part in case work", code=organisation.code)
    if errors:
        raise Invalid(errors)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(f"a user {email} already exists", errors={"email": Msg("already in use")})
    token = "en_" + secrets.token_urlsafe(32)
    row = Enrolment(
        organisation_id=organisation.id,
        email=email,
        name=name,
        token_hash=_token_hash(token),
        created_by_id=getattr(actor, "id", None),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        audit.Action.CREATE,
        "enrolment",
        row.id,
        details={"email": email, "organisation": organisation.code, "expires_at": row.expires_at},
        organisation_id=organisation.id,
        actor=None if actor else "cli",
    )
    return row, token


def find_enrolment(session: Session, token: str) -> Enrolment:
    """Return the open enrolment of ``token``, or raise NotFound (unknown, used or expired)."""
    row = None
    if isinstance(token, str) and 0 < len(token) <= 100:
        row = session.scalar(select(Enrolment).where(Enrolment.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound("this enrolment link is unknown, expired or already used")
    return row


def enrol(session: Session, token: str, *, name: str, password: str) -> User:
    """Use the link ``token``: create its admin with the password they chose; the link dies."""
    from sqlalchemy import update

    row = find_enrolment(session, token)
    errors = Errors()
    name = clean_text(errors, "name", name, limit=200)
    _check_password(errors, password, hints=(row.email, name))
    if errors:
        raise Invalid(errors)
    if session.scalar(select(User.id).where(func.lower(User.email) == row.email)):
        raise Conflict(
            f"a user {row.email} already exists", errors={"email": Msg("already in use")}
        )
    now = utcnow()
    # Claimed with a guarded UPDATE so two submissions of one link cannot both enrol.
    claimed = session.execute(
        update(Enrolment)
        .where(Enrolment.id == row.id, Enrolment.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise NotFound("this enrolment link is unknown, expired or already used")
    user = User(
        email=row.email,
        name=name,
        role=Role.ADMIN.value,
        organisation_id=row.organisation_id,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    session.execute(update(Enrolment).where(Enrolment.id == row.id).values(user_id=user.id))
    session.refresh(row)
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "user",
        user.id,
        details={"email": user.email, "role": user.role, "enrolment": row.id},
        organisation_id=row.organisation_id,
    )
    return user


# One answer for every refusal, so the login form does not tell which accounts exist, are
# paused or deactivated (the audit log records the real reason).
REFUSED = Msg(
    "Login refused: unknown e-mail or wrong password, or sign-in to this account is paused for "
    "a few minutes after repeated failures, or the account is deactivated."
)


class LoginRefused(Exception):
    """Login failed; ``reason`` is safe to show (it does not reveal whether the e-mail exists)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def login_delay(
    failures: int, *, max_failures: int, first: timedelta, longest: timedelta
) -> timedelta:
    """Return how long sign-in pauses after ``failures`` consecutive failures.

    No pause below ``max_failures``; then ``first``, doubling with each failure up to
    ``longest``: guessing slows to a few tries an hour, and the owner never waits longer.

    >>> kw = dict(max_failures=5, first=timedelta(seconds=30), longest=timedelta(minutes=15))
    >>> [login_delay(n, **kw).total_seconds() for n in (4, 5, 6, 9, 10, 400)]
    [0.0, 30.0, 60.0, 480.0, 900.0, 900.0]
    """
    if failures < max_failures:
        return timedelta(0)
    return min(first * 2 ** min(failures - max_failures, 30), longest)


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    max_failures: int,
    lock_minutes: int,
    delay_seconds: int = 30,
) -> User:
    """Return the user whose credentials match, pausing sign-in after repeated failures.

    Every path verifies exactly one argon2 hash (a dummy one when the e-mail is unknown or
    sign-in is paused), so the answer takes as long whether the account exists or not.
    """
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
    now = utcnow()
    if user is None:
        _verify(_DUMMY_HASH, password)
        raise LoginRefused(REFUSED)
    if user.locked_until is not None and user.locked_until > now:
        _verify(_DUMMY_HASH, password)
        audit.record(
            session,
            user,
            audit.Action.LOGIN_FAILED,
            "user",
            user.id,
            details={"reason": "paused", "until": user.locked_until.isoformat()},
        )
        raise LoginRefused(REFUSED)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        details = {"reason": "password", "failures": user.failed_logins}
        delay = login_delay(
            user.failed_logins,
            max_failures=max_failures,
            first=timedelta(seconds=delay_seconds),
            longest=timedelta(minutes=lock_minutes),
        )
        if delay:
            user.locked_until = now + delay
            details["paused_until"] = user.locked_until.isoformat()
        session.add(user)
        audit.record(session, user, audit.Action.LOGIN_FAILED, "user", user.id, details=details)
        raise LoginRefused(REFUSED)
    if not user.active:
        audit.record(
            session,
            user,
            audit.Action.LOGIN_FAILED,
            "user",
            user.id,
            details={"reason": "deactivated"},
        )
        raise LoginRefused(REFUSED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    # The LOGIN entry is written when the session opens (after the second factor, if any).
    return user


# --- API tokens ------------------------------------------------------------------------------


def create_token(
    session: Session,
    actor,
    user: User,
    *,
    lifetime: timedelta = TOKEN_LIFETIME,
    read_only: bool = False,
    name: str | None = None,
) -> str:
    """Create an API token for ``user`` valid for ``lifetime``; only its SHA-256 is stored.

    A ``read_only`` token is refused every request but GET, HEAD and OPTIONS.
    """
    if not user.active:
        raise Conflict(f"{user.email} is deactivated")
    if name is not None and len(name.strip()) > 100:
        raise Invalid(
            {
                "name": Msg(
                    "is {length} characters long; the limit is {limit}",
                    length=len(name.strip()),
                    limit=100,
                )
            }
        )
    token = "at_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        prefix=token[:10],
        expires_at=utcnow() + lifetime,
        read_only=read_only,
        name=(name or "").strip() or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        audit.Action.CREATE,
        "api_token",
        row.id,
        details={
            "user": user.email,
            "prefix": row.prefix,
            "expires": row.expires_at.isoformat(),
            "read_only": read_only,
        },
        actor=None if actor else "cli",
    )
    return token


def token_is_read_only(session: Session, token: str) -> bool:
    """Tell whether ``token`` (already checked valid) may only read."""
    return bool(
        session.scalar(select(ApiToken.read_only).where(ApiToken.token_hash == _token_hash(token)))
    )


def revoke_tokens(session: Session, actor, user: User, prefix: str | None = None) -> int:
    """Revoke ``user``'s tokens (those starting with ``prefix`` if given); return how many."""
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    count = 0
    for row in session.scalars(stmt):
        if prefix and not row.prefix.startswith(prefix[:10]):
            continue
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(
            session,
            actor,
            audit.Action.UPDATE,
            "api_token",
            row.id,
            details={"revoked": True, "prefix": row.prefix},
            actor=None if actor else "cli",
        )
        count += 1
    session.flush()
    return count


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user owning ``token`` if it is valid, unexpired and not revoked.

    A use is noted on the token (at most once a minute); a refused token is audited.
    """
    if not token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    now = utcnow()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None:
        reason = "unknown"
    elif row.revoked_at is not None:
        reason = "revoked"
    elif row.expires_at <= now:
        reason = "expired"
    elif user is None or not user.active:
        reason = "deactivated"
    else:
        if row.last_used_at is None or now - row.last_used_at >= _TOKEN_USE_INTERVAL:
            row.last_used_at = now
            session.add(row)
            session.flush()
        return user
    audit.record(
        session,
        user,
        audit.Action.LOGIN_FAILED,
        "api_token",
        None if row is None else row.id,
        details={"reason": reason, "prefix": row.prefix if row is not None else token[:10]},
        actor=None if user is not None else "api",
    )
    return None


# --- helpers ---------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _record_user_change(session: Session, actor, user: User, details: dict) -> None:
    """Audit a change of ``user`` under their organisation (``actor`` None: the command line)."""
    audit.record(
        session,
        actor,
        audit.Action.UPDATE,
        "user",
        user.id,
        details=details,
        organisation_id=user.organisation_id,
        actor=None if actor else "cli",
    )


def _clean_email(errors: Errors, email) -> str | None:
    email = clean_text(errors, "email", email, limit=254)
    if email and ("@" not in email or " " in email):
        errors["email"] = Msg("must be an e-mail address")
    return email.lower() if email else email


def _check_membership(errors: Errors, role: Role, home: Organisation, extra) -> None:
    """Note an error when ``role`` cannot be at home in ``home`` or hold the ``extra`` ones."""
    if home.kind == OrganisationKind.INSTALLATION.value and role is not Role.ADMIN:
        errors["role"] = Msg("the installation's operator organisation has admins only")
    elif home.kind == OrganisationKind.REMOTE.value:
        errors["organisations"] = Msg("{code} takes no part in case work", code=home.code)
    for org in extra:
        if org.kind != OrganisationKind.LOCAL.value:
            errors["organisations"] = Msg("{code} takes no part in case work", code=org.code)


def _check_password(errors: Errors, password, *, hints=()) -> None:
    """Note an error when ``password`` is too short, too long or easy to guess.

    Guessability is zxcvbn's estimate (common passwords, names, keyboard patterns, dates, and
    the account's own e-mail and name in ``hints``); a score under 3 ("safely unguessable:
    moderate protection from an offline attack") is refused, as OWASP ASVS 2.1.7 asks.
    """
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        errors["password"] = Msg("must be at least {limit} characters long", limit=PASSWORD_MIN)
    elif len(password) > 1024:
        errors["password"] = Msg("is longer than the limit of {limit} characters", limit=1024)
    elif _guessable(password, hints):
        errors["password"] = Msg(
            "is too easy to guess (a common password, a pattern, or a part of your name or "
            "e-mail); add a few uncommon words"
        )


def _guessable(password: str, hints) -> bool:
    from zxcvbn import zxcvbn

    inputs = [str(h) for h in hints if h]
    inputs += [part for h in inputs for part in h.replace("@", " ").replace(".", " ").split()]
    # zxcvbn's cost grows with the length; what follows 100 characters adds little to guessing.
    return zxcvbn(password[:100], user_inputs=inputs[:20])["score"] < 3
