"""Signed-in sessions: start, check, touch, end; forms kept across a new sign-in.

The browser's cookie carries only a random token; its SHA-256 finds the session row here.
A session ends on logout, after an idle time, at its absolute expiry, or when the account
changes (password, deactivation, role, grants): then ``end_all`` also revokes the API tokens.
"""

import hashlib
import json
import secrets
from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .. import audit
from ..models import ApiToken
from ..models import EndReason
from ..models import SavedForm
from ..models import User
from ..models import UserSession
from ..models import utcnow

__all__ = [
    "TOUCH_INTERVAL",
    "start",
    "find",
    "is_open",
    "touch",
    "remaining",
    "end",
    "end_all",
    "renew",
    "save_form",
    "take_form",
    "purge",
]

# last_seen_at is written at most this often, so a busy page does not write on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
# A kept form larger than this (its fields as JSON) is not kept: the limit bounds what an
# expired page can make the server store.
_SAVED_FORM_LIMIT = 256 * 1024


def start(
    session: Session, user: User, *, lifetime: timedelta, user_agent: str | None = None
) -> tuple[UserSession, str]:
    """Open a session for ``user`` lasting at most ``lifetime``; return it and its token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        token_hash=_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    session.flush()
    return row, token


def find(session: Session, token: str | None) -> UserSession | None:
    """Return the session whose token is ``token``, open or ended, or None."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    return session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))


def is_open(session: Session, row: UserSession, *, idle: timedelta) -> bool:
    """Tell whether ``row`` is still open, ending it first when its idle or absolute time is up."""
    if row.ended_at is not None:
        return False
    now = utcnow()
    if now >= row.expires_at:
        end(session, row, EndReason.EXPIRED)
        return False
    if now - row.last_seen_at >= idle:
        end(session, row, EndReason.IDLE)
        return False
    return True


def touch(session: Session, row: UserSession, *, force: bool = False) -> bool:
    """Note that the user is active (at most once a minute unless ``force``); return if written."""
    now = utcnow()
    if not force and now - row.last_seen_at < TOUCH_INTERVAL:
        return False
    row.last_seen_at = now
    session.add(row)
    session.flush()
    return True


def remaining(row: UserSession, *, idle: timedelta) -> timedelta:
    """Return how long ``row`` stays open without activity (idle end or absolute end)."""
    end_at = min(row.last_seen_at + idle, row.expires_at)
    return max(end_at - utcnow(), timedelta(0))


def end(session: Session, row: UserSession, reason: EndReason) -> None:
    """End one session (no-op when already ended)."""
    if row.ended_at is not None:
        return
    row.ended_at = utcnow()
    row.end_reason = EndReason(reason).value
    session.add(row)
    session.flush()


def end_all(
    session: Session,
    user: User,
    reason: EndReason,
    *,
    actor: User | None = None,
    keep: UserSession | None = None,
    revoke_tokens: bool = True,
) -> tuple[int, int]:
    """End every open session of ``user`` (but ``keep``) and revoke their API tokens.

    Called when the account changes under the user (password reset, deactivation, role or
    grant change, second-factor reset): a copied cookie or token stops working at once.
    Returns the number of sessions ended and of tokens revoked; one audit entry records both.
    """
    now = utcnow()
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=EndReason(reason).value)
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    ended = session.execute(stmt.execution_options(synchronize_session="fetch")).rowcount
    revoked = 0
    if revoke_tokens:
        revoked = session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session="fetch")
        ).rowcount
    if ended or revoked:
        audit.record(
            session,
            actor,
            audit.Action.UPDATE,
            "user",
            user.id,
            details={"sessions_ended": ended, "tokens_revoked": revoked, "reason": str(reason)},
            organisation_id=user.organisation_id,
            actor=None if actor else "system",
        )
    session.flush()
    return ended, revoked


def renew(
    session: Session, row: UserSession, user: User, *, lifetime: timedelta
) -> tuple[UserSession, str]:
    """Replace ``row`` by a new session with a new token (after a password change)."""
    end(session, row, EndReason.RENEWED)
    return start(session, user, lifetime=lifetime, user_agent=row.user_agent)


def save_form(
    session: Session, row: UserSession, path: str, fields: list[tuple[str, str]], *,
    lifetime: timedelta,
) -> str | None:
    """Keep the fields of a form posted to ``path`` after ``row`` ended; return the key.

    Only one form per user is kept (the latest), and none larger than 256 KB.
    """
    text = json.dumps(fields, ensure_ascii=False)
    if len(text) > _SAVED_FORM_LIMIT or len(path) > 500:
        return None
    session.execute(delete(SavedForm).where(SavedForm.user_id == row.user_id))
    key = secrets.token_urlsafe(24)
    now = utcnow()
    session.add(
        SavedForm(
            key_hash=_hash(key),
            user_id=row.user_id,
            path=path,
            fields=text,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return key


def take_form(session: Session, user: User, key: str | None) -> tuple[str, list] | None:
    """Return and forget the path and fields kept under ``key`` for ``user``, if still valid."""
    if not key or not isinstance(key, str) or len(key) > 100:
        return None
    row = session.scalar(select(SavedForm).where(SavedForm.key_hash == _hash(key)))
    if row is None:
        return None
    session.delete(row)
    session.flush()
    if row.user_id != user.id or row.expires_at <= utcnow():
        return None
    return row.path, [tuple(pair) for pair in json.loads(row.fields)]


def purge(session: Session, *, keep_days: int, now: datetime | None = None) -> int:
    """Delete sessions ended or expired more than ``keep_days`` ago and expired kept forms."""
    now = now or utcnow()
    cutoff = now - timedelta(days=keep_days)
    gone = session.execute(
        delete(UserSession).where(
            or_(UserSession.ended_at < cutoff, UserSession.expires_at < cutoff)
        )
    ).rowcount
    gone += session.execute(delete(SavedForm).where(SavedForm.expires_at < now)).rowcount
    session.flush()
    return gone


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
