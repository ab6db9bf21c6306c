"""E-mail of notifications against a real SMTP server (aiosmtpd) started by the test.

What a user notices: the officer of a case gets exactly one e-mail when an urgent freeze is about
to lapse, and it names nothing of the case but its reference; a digest gathers a day's events in
one e-mail; nothing leaves while SMTP is unset; two mailers at once send each e-mail once.
"""

import socket
import threading
from collections import Counter
from datetime import date
from email import message_from_bytes
from email import policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from assettrack.db import new_session
from assettrack.errors import Msg
from assettrack.models import Case
from assettrack.models import Notification
from assettrack.models.notifications import NotificationEvent
from assettrack.services import mailer
from assettrack.services import notifications
from assettrack.services import reminders
from assettrack.services import tasks as task_service
from tests.conftest import _make_app
from tests.conftest import bearer
from tests.conftest import login

ORDER = {"authority": "Officier van justitie", "reference": "OVJ-1", "legal_basis": "Art. 94 Sv"}
TITLE = "Operation Kraken: Jansen's reefer containers"
ASSET = "Villa Jansen Kralingen"
OFFICER = "Pieter de Vries"


class Inbox:
    """The SMTP server's handler: keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def texts(self):
        return [
            (to, m["Subject"], m.get_body(preferencelist=("plain",)).get_content())
            for to, m in self.messages
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def mail_app(database_url, tmp_path, inbox):
    """The application with e-mail on, sent to the test's SMTP server (no TLS there)."""
    app = _make_app(
        database_url,
        tmp_path / "instance",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=inbox.port,
        SMTP_STARTTLS=False,
        SMTP_FROM="assettrack@rotterdam.example",
        PUBLIC_URL="https://assettrack.rotterdam.example",
    )
    yield app
    app.extensions["assettrack.engine"].dispose()


@pytest.fixture
def mail_session(mail_app):
    db = new_session(mail_app)
    yield db
    db.close()


def _officer(db, name=OFFICER, language=None, role="officer"):
    from assettrack.services import accounts

    user = accounts.create_user(
        db,
        None,
        email=f"{name.lower().replace(' ', '.')}.{role}@rotterdam.example",
        name=name,
        role=role,
        organisation_codes=["NLRTM"],
        password="correct-horse-battery",
        language=language,
    )
    db.commit()
    return user


def _urgent_freeze(app, db, officer, day: date) -> Case:
    """An AMBER case with one asset frozen urgently on ``day`` (through the API)."""
    from assettrack.services import accounts

    token = accounts.create_token(db, None, officer)
    db.commit()
    client = app.test_client()
    headers = bearer(token)
    with time_machine.travel(f"{day.isoformat()}T10:00:00Z", tick=False):
        case = client.post(
            "/api/v1/cases", json={"title": TITLE, "tlp": "AMBER"}, headers=headers
        ).json
        asset = client.post(
            f"/api/v1/cases/{case['id']}/entities",
            json={"schema": "RealEstate", "properties": {"name": ASSET, "country": "nl"}},
            headers=headers,
        ).json["id"]
        frozen = client.post(
            f"/api/v1/cases/{case['id']}/decisions",
            json={
                "action": "freeze",
                "asset_ids": [asset],
                "decided_on": day.isoformat(),
                "urgent": True,
                **ORDER,
            },
            headers=headers,
        )
    assert frozen.status_code == 201, frozen.json
    return db.get(Case, case["id"])


def _daily(app, instant: str):
    with time_machine.travel(instant, tick=False), app.app_context():
        return reminders.run_daily()


def _mailer(app, instant: str) -> int:
    with time_machine.travel(instant, tick=False), app.app_context():
        db = new_session(app)
        try:
            return mailer.send_pending(db)
        finally:
            db.close()


@pytest.mark.backends
def test_a_lapsing_urgent_freeze_sends_one_email_with_the_reference_and_no_case_content(
    mail_app, mail_session, inbox
):
    officer = _officer(mail_session)
    # Monday 4 January 2027 in Rotterdam: the freeze holds through Wednesday 13 January (the
    # 7th working day after it: 5, 6, 7, 8, 11, 12, 13).
    case = _urgent_freeze(mail_app, mail_session, officer, date(2027, 1, 4))
    # Friday 8: three working days left (11, 12, 13) — nothing yet.
    _daily(mail_app, "2027-01-08T05:00:00Z")
    assert _mailer(mail_app, "2027-01-08T05:05:00Z") == 0
    # Monday 11: it lapses within 2 working days (12, 13). Two workers run the day's schedule.
    _daily(mail_app, "2027-01-11T05:00:00Z")
    _daily(mail_app, "2027-01-11T05:00:03Z")
    _mailer(mail_app, "2027-01-11T05:05:00Z")
    _mailer(mail_app, "2027-01-11T05:10:00Z")
    assert len(inbox.messages) == 1
    (to, subject, body) = inbox.texts()[0]
    assert to == [officer.email]
    assert case.reference in subject and case.reference in body
    assert "An urgent freeze lapses in 2 working days" in subject
    assert f"https://assettrack.rotterdam.example/cases/{case.id}#assets" in body
    # No case content above TLP:GREEN (this case is AMBER) — and no names at all (DECISIONS #13).
    message = inbox.messages[0][1].as_string()
    for secret in (TITLE, "Kraken", "Jansen", ASSET, OFFICER, "Pieter", "AMBER"):
        assert secret not in message
    row = mail_session.scalar(select(Notification).where(Notification.user_id == officer.id))
    mail_session.refresh(row)
    assert row.emailed_at is not None
    # Thursday 14: it has lapsed; one more e-mail, of that event.
    _daily(mail_app, "2027-01-14T05:00:00Z")
    _mailer(mail_app, "2027-01-14T05:05:00Z")
    assert len(inbox.messages) == 2
    assert "An urgent freeze has lapsed" in inbox.texts()[1][1]


def test_an_email_is_written_in_its_readers_language(mail_app, mail_session, inbox):
    officer = _officer(mail_session, language="fr")
    case = _urgent_freeze(mail_app, mail_session, officer, date(2027, 1, 4))
    _daily(mail_app, "2027-01-14T05:00:00Z")
    _mailer(mail_app, "2027-01-14T05:05:00Z")
    (_to, subject, body) = inbox.texts()[0]
    assert "Un gel d'urgence est devenu caduc" in subject
    assert case.reference in subject
    assert "Ouvrez-le dans assettrack" in body


def test_a_digest_gathers_a_days_events_in_one_email(mail_app, mail_session, inbox):
    officer = _officer(mail_session)
    colleague = _officer(mail_session, name="Anna Smit")
    notifications.set_channels(mail_session, colleague, {"task_assigned": "digest"})
    mail_session.commit()
    case = _urgent_freeze(mail_app, mail_session, officer, date(2027, 1, 4))
    titles = ["Call the notary Bakker", "Ask the port authority", "Check the Kvk extract"]
    for hour, title in zip(("09", "13", "17"), titles, strict=True):
        with time_machine.travel(f"2027-01-05T{hour}:00:00Z", tick=False):
            task_service.create_task(
                mail_session, officer, case, {"title": title, "assignee_id": colleague.id}
            )
            mail_session.commit()
    # The e-mail channel's mailer leaves digest rows alone.
    assert _mailer(mail_app, "2027-01-05T18:00:00Z") == 0
    report = _daily(mail_app, "2027-01-06T05:00:00Z")
    assert report.digests == 1
    _daily(mail_app, "2027-01-06T05:00:02Z")  # a second worker: no second digest
    assert len(inbox.messages) == 1
    (to, subject, body) = inbox.texts()[0]
    assert to == [colleague.email]
    assert "3" in subject
    assert body.count("A task is assigned to me") == 3
    assert body.count(case.reference) == 3
    for title in titles:
        assert title not in body
    assert "Anna" not in body and OFFICER not in body


def test_nothing_is_sent_while_smtp_is_unset_and_the_settings_page_says_so(
    app, client, session, make_user
):
    officer = make_user("officer")
    notifications.notify(
        session,
        user_ids=[officer.id],
        event=NotificationEvent.FREEZE_LAPSED,
        message=Msg("An urgent freeze in {reference} lapsed after {day}", reference="X", day="d"),
    )
    session.commit()
    with app.app_context():
        assert mailer.send_pending(session) == 0
        assert mailer.send_digests(session) == 0
    row = session.scalar(select(Notification))
    assert row.emailed_at is None
    login(client, officer)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "E-mail is off on this installation" in page


def test_an_email_the_server_refuses_is_tried_again_at_the_next_run(database_url, tmp_path, inbox):
    closed = _free_port()
    app = _make_app(
        database_url,
        tmp_path / "instance",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=closed,
        SMTP_STARTTLS=False,
        SMTP_TIMEOUT=5,
    )
    db = new_session(app)
    try:
        officer = _officer(db)
        notifications.notify(
            db,
            user_ids=[officer.id],
            event=NotificationEvent.FREEZE_LAPSED,
            message=Msg(
                "An urgent freeze in {reference} lapsed after {day}", reference="X", day="d"
            ),
        )
        db.commit()
        with app.app_context():
            assert mailer.send_pending(db) == 0
        row = db.scalar(select(Notification))
        db.refresh(row)
        assert row.emailed_at is None  # given back
        app.config["SMTP_PORT"] = inbox.port
        with app.app_context():
            assert mailer.send_pending(db) == 1
        assert len(inbox.messages) == 1
    finally:
        db.close()
        app.extensions["assettrack.engine"].dispose()


@pytest.mark.backends
def test_two_mailers_at_once_send_each_email_once(mail_app, mail_session, inbox):
    users = [_officer(mail_session, name=f"Officer {n}") for n in range(4)]
    for n in range(5):
        notifications.notify(
            mail_session,
            user_ids=[u.id for u in users],
            event=NotificationEvent.FREEZE_LAPSED,
            message=Msg("An urgent freeze in {reference} lapsed after {day}", reference="R", day=n),
            dedupe_key=f"concurrent:{n}",
        )
    mail_session.commit()
    start = threading.Barrier(2)
    errors = []

    def run():
        with mail_app.app_context():
            db = new_session(mail_app)
            try:
                start.wait()
                mailer.send_pending(db)
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(inbox.messages) == 20
    per_user = Counter(to[0] for to, _message in inbox.messages)
    assert per_user == {user.email: 5 for user in users}
    pending = mail_session.scalars(
        select(Notification.id).where(Notification.emailed_at.is_(None))
    ).all()
    assert pending == []
