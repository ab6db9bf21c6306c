"""The second factor of a local-password sign-in: TOTP (RFC 6238) and one-time recovery codes.

Required for every role when any of the user's organisations requires it (the default;
DECISIONS #14). Enrolment makes a secret, shows it as a QR code drawn here (``segno``, no
network) and keeps it pending until a first code confirms it; ten recovery codes are then shown
once and stored as SHA-256 hashes (each carries 80 random bits, so a fast hash is enough).

A code is accepted once: the 30-second step of the last accepted code is kept and an equal or
older step is refused, so a code read over a shoulder cannot be replayed. Wrong codes add a
growing pause to this step only (``accounts.login_delay``, as for passwords), never a lock the
owner cannot outwait. Every outcome is audited.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .. import access
from .. import audit
from ..errors import Invalid
from ..errors import Msg
from ..models import EndReason
from ..models import Organisation
from ..models import User
from ..models.base import utcnow
from ..models.second_factor import RecoveryCode
from ..models.second_factor import TotpFactor
from ..secretbox import open_sealed
from ..secretbox import seal
from . import accounts
from . import sessions

__all__ = [
    "ISSUER",
    "RECOVERY_CODES",
    "Enrolment",
    "Limits",
    "pending_enrolment",
    "start_enrolment",
    "confirm_enrolment",
    "is_enrolled",
    "new_recovery_codes",
    "remaining_recovery_codes",
    "required_for",
    "reset",
    "verify",
]

ISSUER = "assettrack"
RECOVERY_CODES = 10
STEP_SECONDS = 30
_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"

WRONG_CODE = Msg("This code is not right, or it was already used. Enter the current code.")
PAUSED = Msg(
    "Too many wrong codes: the second-factor step is paused until {time} UTC. Your password "
    "stays valid; try again then, or use a recovery code then."
)
NOT_A_CODE = Msg("Enter the 6 digits your authenticator app shows, or a recovery code.")


@dataclass(frozen=True)
class Limits:
    """How wrong codes slow this step (the LOGIN_* settings)."""

    max_failures: int = 5
    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(
            max_failures=int(config["LOGIN_MAX_FAILURES"]),
            first=timedelta(seconds=int(config["LOGIN_DELAY_SECONDS"])),
            longest=timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"])),
        )


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret (for typing), its URI and the QR code (SVG)."""

    secret: str
    uri: str
    qr_svg: str


def required_for(session: Session, user: User) -> bool:
    """Tell whether ``user`` must give a second factor (any of their organisations requires it)."""
    ids = access.organisation_ids(session, user)
    return bool(
        session.scalar(
            select(Organisation.id)
            .where(Organisation.id.in_(ids), Organisation.second_factor_required.is_(True))
            .limit(1)
        )
    )


def is_enrolled(session: Session, user: User) -> bool:
    """Tell whether ``user`` has a confirmed authenticator."""
    factor = session.get(TotpFactor, user.id)
    return factor is not None and factor.confirmed_at is not None


def start_enrolment(session: Session, user: User, key: str) -> None:
    """Make the pending secret of ``user`` unless one waits already (a POST's work: the page
    that shows it only reads). A confirmed authenticator is not replaced."""
    factor = session.get(TotpFactor, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise Invalid({"code": Msg("An authenticator is already set up for this account.")})
    if factor is None:
        session.add(TotpFactor(user_id=user.id, secret_sealed=seal(key, pyotp.random_base32())))
        session.flush()


def pending_enrolment(session: Session, user: User, key: str) -> Enrolment | None:
    """What the set-up page shows of the pending secret (None when none waits)."""
    factor = session.get(TotpFactor, user.id)
    if factor is None or factor.confirmed_at is not None:
        return None
    secret = open_sealed(key, factor.secret_sealed)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return Enrolment(secret=secret, uri=uri, qr_svg=svg)


def confirm_enrolment(session: Session, user: User, code: str, key: str) -> list[str]:
    """Confirm the pending secret with a first code; return the ten recovery codes (shown once)."""
    factor = session.get(TotpFactor, user.id)
    if factor is None or factor.confirmed_at is not None:
        raise Invalid({"code": Msg("Start the set-up again: no authenticator is waiting.")})
    step = _matching_step(open_sealed(key, factor.secret_sealed), code, after=None)
    if step is None:
        raise Invalid({"code": WRONG_CODE})
    now = utcnow()
    factor.confirmed_at = now
    factor.last_step = step
    factor.last_verified_at = now
    session.add(factor)
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "user",
        user.id,
        details={"second_factor": "enrolled", "recovery_codes": RECOVERY_CODES},
        organisation_id=user.organisation_id,
    )
    return codes


def verify(session: Session, user: User, code: str, config) -> str:
    """Check ``code`` (TOTP or recovery); return "totp" or "recovery", else raise ``Invalid``.

    ``config`` is the application's settings: the data key (``DATA_KEY``) opens the secret, the
    ``LOGIN_*`` settings pace the failures. A failure counts toward the pause and is audited;
    the caller commits in both cases.
    """
    key, limits = config["DATA_KEY"], Limits.from_config(config)
    factor = session.get(TotpFactor, user.id)
    if factor is None or factor.confirmed_at is None:
        raise Invalid({"code": Msg("No authenticator is set up for this account.")})
    now = utcnow()
    if factor.paused_until is not None and factor.paused_until > now:
        audit.record(
            session,
            user,
            audit.Action.LOGIN_FAILED,
            "user",
            user.id,
            details={"reason": "second_factor_paused", "until": factor.paused_until.isoformat()},
            organisation_id=user.organisation_id,
        )
        raise Invalid({"code": Msg(PAUSED, time=factor.paused_until.strftime("%H:%M:%S"))})
    text = "".join((code or "").split())
    kind = None
    if text.isdigit() and len(text) == 6:
        step = _matching_step(open_sealed(key, factor.secret_sealed), text, after=factor.last_step)
        if step is not None:
            factor.last_step = step
            kind = "totp"
    elif 8 <= len(text) <= 40:
        if _use_recovery_code(session, user, text):
            kind = "recovery"
    if kind is None:
        factor.failures += 1
        details = {"reason": "second_factor", "failures": factor.failures}
        pause = accounts.login_delay(
            factor.failures,
            max_failures=limits.max_failures,
            first=limits.first,
            longest=limits.longest,
        )
        if pause:
            factor.paused_until = now + pause
            details["paused_until"] = factor.paused_until.isoformat()
        session.add(factor)
        audit.record(
            session,
            user,
            audit.Action.LOGIN_FAILED,
            "user",
            user.id,
            details=details,
            organisation_id=user.organisation_id,
        )
        if not (text.isdigit() and len(text) == 6) and not 8 <= len(text) <= 40:
            raise Invalid({"code": NOT_A_CODE})
        raise Invalid({"code": WRONG_CODE})
    factor.failures = 0
    factor.paused_until = None
    factor.last_verified_at = now
    session.add(factor)
    return kind


def remaining_recovery_codes(session: Session, user: User) -> int:
    """How many unused recovery codes ``user`` has."""
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def new_recovery_codes(session: Session, user: User, code: str, config):
    """Replace the recovery codes after a fresh code from the app; return the new ones."""
    verify(session, user, code, config)
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "user",
        user.id,
        details={"second_factor": "recovery_codes_replaced"},
        organisation_id=user.organisation_id,
    )
    return codes


def reset(session: Session, admin: User, user: User) -> None:
    """Remove ``user``'s authenticator and codes (an admin's act); their sessions end.

    They set up a new authenticator at their next sign-in.
    """
    access.require_manage_user(session, admin, user)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    audit.record(
        session,
        admin,
        audit.Action.UPDATE,
        "user",
        user.id,
        details={"second_factor": "reset"},
        organisation_id=user.organisation_id,
    )
    sessions.end_all(session, user, EndReason.FACTOR_RESET, actor=admin, revoke_tokens=False)
    session.flush()


def _matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The step (of now, or one step either side for clock drift) whose code is ``code``."""
    text = "".join((code or "").split())
    if not (text.isdigit() and len(text) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(utcnow().timestamp()) // STEP_SECONDS
    for step in (now_step, now_step - 1, now_step + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), text):
            return step
    return None


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)))
    session.flush()
    return codes


def _use_recovery_code(session: Session, user: User, text: str) -> bool:
    # Compare-and-set: two sign-ins racing with one code cannot both use it.
    changed = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(text),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


def _recovery_code() -> str:
    # 80 random bits as four groups of four base32 letters: easy to read aloud and to type.
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _code_hash(text: str) -> str:
    normalised = "".join(ch for ch in text.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()
