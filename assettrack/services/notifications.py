"""Telling users what happened: one notification per user and event, in their chosen channel.

Every feature that has something to tell calls :func:`notify` in its own transaction (a task
assigned, a freeze about to lapse, a watchlist hit...). The text is a ``Msg``
kept as its message id and parameters, translated when the reader sees it. A ``dedupe_key`` makes
an event told once per user, even when two workers run the same schedule: the second insert
meets the unique constraint inside a savepoint and is dropped.

What an e-mail may say is decided by the mailer, not here: the event, the case reference and the
link, never a name (DECISIONS #13).
"""

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..errors import Invalid
from ..errors import Msg
from ..models import Case
from ..models import Role
from ..models import User
from ..models import UserOrganisation
from ..models.base import utcnow
from ..models.notifications import Channel
from ..models.notifications import Notification
from ..models.notifications import NotificationEvent
from ..models.notifications import NotificationPreference

__all__ = [
    "DEFAULT_CHANNELS",
    "EVENT_LABELS",
    "PAGE_SIZE",
    "channel_for",
    "channels_of",
    "list_for",
    "mark_read",
    "notify",
    "purge",
    "set_channels",
    "tell_case_shared",
    "tell_report_addressed",
    "unread_count",
]

PAGE_SIZE = 50


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated where it is shown."""
    return msgid


#: What each event is called on the settings page, in the bell and in e-mail subjects.
EVENT_LABELS: dict[NotificationEvent, str] = {
    NotificationEvent.TASK_ASSIGNED: N_("A task is assigned to me"),
    NotificationEvent.TASK_DUE_TOMORROW: N_("A task of mine is due tomorrow"),
    NotificationEvent.TASK_OVERDUE: N_("A task of mine is overdue"),
    NotificationEvent.FREEZE_LAPSING: N_("An urgent freeze lapses in 2 working days"),
    NotificationEvent.FREEZE_LAPSED: N_("An urgent freeze has lapsed"),
    NotificationEvent.SCREENING_MILESTONE: N_("A screening dossier reaches a milestone"),
    NotificationEvent.REVIEW_DUE: N_("A case is due for review"),
    NotificationEvent.CASE_SHARED: N_("A case is shared with my organisation"),
    NotificationEvent.REPORT_ADDRESSED: N_("A partner report is addressed to me"),
    NotificationEvent.WATCHLIST_HIT: N_("Something I watch appears again"),
    NotificationEvent.MENTIONED: N_("Someone mentions me in a comment"),
}

#: The channel of an event for a user who has not chosen: legal clocks also go by e-mail.
DEFAULT_CHANNELS: dict[NotificationEvent, Channel] = {
    event: Channel.IN_APP for event in NotificationEvent
} | {
    NotificationEvent.FREEZE_LAPSING: Channel.EMAIL,
    NotificationEvent.FREEZE_LAPSED: Channel.EMAIL,
    NotificationEvent.SCREENING_MILESTONE: Channel.EMAIL,
}


@dataclass(frozen=True)
class Told:
    """A notification as its reader sees it (message still to translate)."""

    id: int
    event: NotificationEvent
    message: str
    params: dict
    case_reference: str | None
    link: str | None
    created_at: object
    read: bool


def channels_of(session: Session, user_id: int) -> dict[NotificationEvent, Channel]:
    """Return the user's channel for every event (their choice, else the default)."""
    chosen = {
        NotificationEvent(row.event): Channel(row.channel)
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return {event: chosen.get(event, DEFAULT_CHANNELS[event]) for event in NotificationEvent}


def channel_for(session: Session, user_id: int, event: NotificationEvent) -> Channel:
    """Return how ``user_id`` wants to hear of ``event``."""
    row = session.get(NotificationPreference, (user_id, NotificationEvent(event).value))
    return Channel(row.channel) if row else DEFAULT_CHANNELS[NotificationEvent(event)]


def set_channels(session: Session, user: User, choices: dict[str, str]) -> None:
    """Save the user's channel per event; an unknown event or channel is refused, nothing saved."""
    errors = {}
    parsed = {}
    for event, channel in choices.items():
        try:
            parsed[NotificationEvent(event)] = Channel(channel)
        except ValueError:
            errors[event] = Msg("is not a channel (off, in_app, email or digest)")
    if errors:
        raise Invalid(errors)
    for event, channel in parsed.items():
        row = session.get(NotificationPreference, (user.id, event.value))
        if row is None:
            session.add(
                NotificationPreference(user_id=user.id, event=event.value, channel=channel.value)
            )
        else:
            row.channel = channel.value
    session.flush()


def notify(
    session: Session,
    *,
    user_ids,
    event: NotificationEvent,
    message: Msg,
    case: Case | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Tell each of ``user_ids`` about ``event``; return the notifications made.

    A user whose channel for the event is ``off``, an inactive user, and a user already told
    under the same ``dedupe_key`` get nothing. Flushes; the caller commits.
    """
    event = NotificationEvent(event)
    made = []
    for user_id in sorted({int(u) for u in user_ids if u is not None}):
        user = session.get(User, user_id)
        if user is None or not user.active:
            continue
        channel = channel_for(session, user_id, event)
        if channel is Channel.OFF:
            continue
        if dedupe_key is not None and session.scalar(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.dedupe_key == dedupe_key
            )
        ):
            continue
        row = Notification(
            user_id=user_id,
            event=event.value,
            channel=channel.value,
            case_id=case.id if case is not None else None,
            case_reference=case.reference if case is not None else None,
            message=getattr(message, "msgid", str(message)),
            params=json.dumps(getattr(message, "params", {}), default=str, sort_keys=True),
            link=link,
            dedupe_key=dedupe_key,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue  # another worker told this user the same event meanwhile
        made.append(row)
    return made


def unread_count(session: Session, user_id: int) -> int:
    """How many notifications ``user_id`` has not read (the bell's figure)."""
    return session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def list_for(session: Session, user_id: int, *, page: int = 1, unread_only: bool = False):
    """Return (notifications of the page, newest first, as :class:`Told`; total count)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    return [
        Told(
            id=row.id,
            event=NotificationEvent(row.event),
            message=row.message,
            params=json.loads(row.params or "{}"),
            case_reference=row.case_reference,
            link=row.link,
            created_at=row.created_at,
            read=row.read_at is not None,
        )
        for row in rows
    ], total


def mark_read(session: Session, user_id: int, ids=None) -> int:
    """Mark the user's notifications ``ids`` (or all of them) as read; return how many changed.

    Ids of another user's notifications are ignored: a user only ever touches their own.
    """
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        query = query.where(Notification.id.in_([int(i) for i in ids]))
    changed = session.execute(query.values(read_at=utcnow())).rowcount
    session.flush()
    return changed


def purge(session: Session, keep_days: int) -> int:
    """Delete notifications older than ``keep_days`` (their declared fate); return how many."""
    cutoff = utcnow() - timedelta(days=keep_days)
    return session.execute(delete(Notification).where(Notification.created_at < cutoff)).rowcount


#: Who hears that something reached their organisation: the roles that read cases or reports.
_CASE_READERS = (Role.OFFICER.value, Role.LIAISON.value)
_REPORT_READERS = (Role.OFFICER.value, Role.LIAISON.value, Role.PARTNER.value)


def tell_case_shared(session: Session, case: Case, organisation_ids) -> list[Notification]:
    """Tell the case readers of each organisation ``case`` was just shared with (once each).

    Each is told only when they may open it, with the link they can follow: the case itself
    for a reader of the owning organisation (a liaison of both cities), else its shared reading,
    which the sharing rules may still refuse (AMBER+STRICT, H2 without permission).
    """
    from .. import access
    from ..errors import NotFound
    from . import sharing

    made = []
    for organisation_id in sorted(set(organisation_ids)):
        for user_id in _members(session, organisation_id, _CASE_READERS):
            user = session.get(User, user_id)
            if case.organisation_id in access.readable_organisation_ids(session, user):
                link = f"/cases/{case.id}"
            else:
                try:
                    sharing.get_shared_case(session, user, case.id)
                except NotFound:
                    continue
                link = f"/shared/cases/{case.id}"
            made += notify(
                session,
                user_ids=[user_id],
                event=NotificationEvent.CASE_SHARED,
                message=Msg(
                    "Case {reference} is shared with your organisation",
                    reference=case.reference,
                ),
                case=case,
                link=link,
                dedupe_key=f"case_shared:{case.id}:{organisation_id}",
            )
    return made


def tell_report_addressed(session: Session, report) -> list[Notification]:
    """Tell the users of a partner report's recipient organisation that it was issued to them."""
    return notify(
        session,
        user_ids=_members(session, report.recipient_organisation_id, _REPORT_READERS),
        event=NotificationEvent.REPORT_ADDRESSED,
        message=Msg(
            "Partner report {number} is addressed to your organisation", number=report.number
        ),
        link=f"/reports/{report.id}",
        dedupe_key=f"report_addressed:{report.id}",
    )


def _members(session: Session, organisation_id: int, roles) -> list[int]:
    """Active users of ``roles`` at home in the organisation or granted it."""
    granted = select(UserOrganisation.user_id).where(
        UserOrganisation.organisation_id == organisation_id
    )
    return list(
        session.scalars(
            select(User.id).where(
                User.active.is_(True),
                User.role.in_(roles),
                (User.organisation_id == organisation_id) | User.id.in_(granted),
            )
        )
    )
