"""E-mail of notifications through SMTP: one e-mail per notification, or one digest a day.

Run by the job worker on a schedule (``jobs.py``): :func:`send_pending` every few minutes for
the notifications whose channel is ``email``, :func:`send_digests` once a day for those whose
channel is ``digest``. Nothing is sent while ``SMTP_HOST`` is unset; the rows wait.

**What an e-mail says** (DECISIONS #13): the event's label, the case reference and an absolute
link to the installation — never a name, title, summary or any other case content, at any TLP.
The reader signs in to see the rest.

**Sent once.** A row is claimed before it is sent, by a compare-and-set
(``UPDATE … SET emailed_at = now WHERE id = … AND emailed_at IS NULL``) committed at once: of two
mailers (two workers running the same schedule) one claims the row and the other finds nothing to
do. A row whose sending fails is given back (its ``emailed_at`` cleared) and tried again at the
next run; a worker that dies between the claim and the send loses that one e-mail rather than
sending it twice (the notification stays under the bell).
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from ..domain import clock
from ..models import User
from ..models.notifications import Channel
from ..models.notifications import Notification
from ..models.notifications import NotificationEvent
from . import notifications

__all__ = ["SmtpSettings", "is_enabled", "send_pending", "send_digests", "absolute_link"]

log = logging.getLogger(__name__)

#: The most rows one run of the mailer takes (the next run takes the rest).
BATCH = 500


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server (``ASSETTRACK_SMTP_*``)."""

    host: str
    port: int
    username: str | None
    password: str | None
    sender: str
    starttls: bool
    timeout: float

    @classmethod
    def from_config(cls, config) -> "SmtpSettings | None":
        """Return the settings, or None when e-mail is off on this installation."""
        host = (config.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(config.get("SMTP_PORT") or 587),
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            sender=config.get("SMTP_FROM") or f"assettrack@{host}",
            starttls=bool(config.get("SMTP_STARTTLS")),
            timeout=float(config.get("SMTP_TIMEOUT") or 30),
        )


def is_enabled(config) -> bool:
    """Whether this installation sends e-mail (``SMTP_HOST`` is set)."""
    return SmtpSettings.from_config(config) is not None


def absolute_link(link: str | None, config) -> str:
    """The link of a notification as an absolute URL on this installation (``PUBLIC_URL``)."""
    base = (config.get("PUBLIC_URL") or "").rstrip("/")
    if not link:
        return f"{base}/notifications/"
    if link.startswith(("http://", "https://")):
        return link
    return f"{base}/{link.lstrip('/')}"


def send_pending(session: Session, config=None) -> int:
    """E-mail each notification of channel ``email`` not yet e-mailed; return how many went.

    Commits its own short transactions (each claim at once, so another mailer sees it).
    """
    config = config if config is not None else current_app.config
    settings = SmtpSettings.from_config(config)
    if settings is None:
        return 0
    ids = session.scalars(
        select(Notification.id)
        .where(Notification.channel == Channel.EMAIL.value, Notification.emailed_at.is_(None))
        .order_by(Notification.id)
        .limit(BATCH)
    ).all()
    session.rollback()  # end the read: each claim below is its own transaction
    if not ids:
        return 0
    sent = 0
    with _Connection(settings) as smtp:
        for notification_id in ids:
            claimed = _claim(session, Notification.id == notification_id)
            if not claimed:
                continue  # another mailer took it
            row = claimed[0]
            user = session.get(User, row.user_id)
            if user is None or not user.active or not user.email:
                continue
            message = _single(row, user, settings, config)
            if not _send(session, smtp, message, claimed):
                break  # the server refuses: the rest waits for the next run
            sent += 1
    return sent


def send_digests(session: Session, config=None) -> int:
    """Send each user one e-mail gathering their notifications of channel ``digest`` not yet
    e-mailed (the day's events); return how many digests went. Commits its own transactions."""
    config = config if config is not None else current_app.config
    settings = SmtpSettings.from_config(config)
    if settings is None:
        return 0
    user_ids = session.scalars(
        select(Notification.user_id)
        .where(Notification.channel == Channel.DIGEST.value, Notification.emailed_at.is_(None))
        .distinct()
        .order_by(Notification.user_id)
    ).all()
    session.rollback()
    if not user_ids:
        return 0
    sent = 0
    with _Connection(settings) as smtp:
        for user_id in user_ids:
            claimed = _claim(
                session,
                Notification.user_id == user_id,
                Notification.channel == Channel.DIGEST.value,
            )
            if not claimed:
                continue
            user = session.get(User, user_id)
            if user is None or not user.active or not user.email:
                continue
            message = _digest(claimed, user, settings, config)
            if not _send(session, smtp, message, claimed):
                break
            sent += 1
    return sent


# --- helpers ---------------------------------------------------------------------------------


class _Connection:
    """An SMTP connection opened on first use (STARTTLS and login as configured)."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, s.password or "")
            except BaseException:
                smtp.close()
                raise
            self.smtp = smtp
        self.smtp.send_message(message)


def _claim(session: Session, *where) -> list[Notification]:
    """Mark the matching rows not yet e-mailed as e-mailed now; return those this call took."""
    stamp = clock.utcnow()
    ids = session.scalars(
        update(Notification)
        .where(Notification.emailed_at.is_(None), *where)
        .values(emailed_at=stamp)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    if not ids:
        return []
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.id.in_(ids))
            .order_by(Notification.created_at, Notification.id)
        )
    )


def _send(session: Session, smtp: _Connection, message: EmailMessage, rows) -> bool:
    """Send ``message``; on failure give ``rows`` back to the next run and return False."""
    try:
        smtp.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("e-mail not sent (%s): tried again at the next run", exc)
        session.execute(
            update(Notification)
            .where(Notification.id.in_([row.id for row in rows]))
            .values(emailed_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return False
    return True


def _render(name: str, **context) -> str:
    # The template alone: no request, so none of the pages' context processors (the bell).
    return current_app.jinja_env.get_template(name).render(**context)


def _language(user: User, config) -> str:
    return user.language or config.get("BABEL_DEFAULT_LOCALE") or "en"


def _entry(row: Notification, config) -> dict:
    """What an e-mail may say of one notification: the event, the reference, the link."""
    return {
        "event": gettext(notifications.EVENT_LABELS[NotificationEvent(row.event)]),
        "reference": row.case_reference,
        "link": absolute_link(row.link, config),
        "created_at": row.created_at,
    }


def _envelope(user: User, settings: SmtpSettings, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = user.email
    message["Date"] = format_datetime(clock.utcnow())
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def _single(row: Notification, user: User, settings: SmtpSettings, config) -> EmailMessage:
    with force_locale(_language(user, config)):
        entry = _entry(row, config)
        subject = f"[assettrack] {entry['event']}"
        if entry["reference"]:
            subject += f" — {entry['reference']}"
        body = _render(
            "email/notification.txt",
            entry=entry,
            settings_link=absolute_link("/notifications/settings", config),
        )
    return _envelope(user, settings, subject, body)


def _digest(rows, user: User, settings: SmtpSettings, config) -> EmailMessage:
    with force_locale(_language(user, config)):
        entries = [_entry(row, config) for row in rows]
        subject = "[assettrack] " + gettext(
            "Your daily digest: %(count)s notifications", count=len(entries)
        )
        body = _render(
            "email/digest.txt",
            entries=entries,
            settings_link=absolute_link("/notifications/settings", config),
        )
    return _envelope(user, settings, subject, body)
