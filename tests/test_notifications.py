"""The bell: notifications told once, in the channel each user chose, read and marked read."""

import pytest
from sqlalchemy import select

from assettrack.db import new_session
from assettrack.errors import Invalid
from assettrack.errors import Msg
from assettrack.models import Notification
from assettrack.models.notifications import Channel
from assettrack.models.notifications import NotificationEvent
from assettrack.services import notifications
from tests.conftest import login


@pytest.mark.backends
def test_an_event_is_told_once_even_when_two_workers_tell_it(app, session, make_user, make_case):
    officer = make_user("officer")
    case = make_case(officer)
    key = f"freeze-lapsing:{case.id}:2027-01-04"
    other = new_session(app)
    try:
        for db in (session, other):
            notifications.notify(
                db,
                user_ids=[officer.id],
                event=NotificationEvent.FREEZE_LAPSING,
                message=Msg(
                    "An urgent freeze in {reference} lapses on {day}",
                    reference=case.reference,
                    day="2027-01-04",
                ),
                case=case,
                link=f"/cases/{case.id}",
                dedupe_key=key,
            )
            db.commit()
    finally:
        other.close()
    rows = session.scalars(select(Notification).where(Notification.user_id == officer.id)).all()
    assert len(rows) == 1
    assert rows[0].case_reference == case.reference
    assert rows[0].channel == Channel.EMAIL  # legal clocks default to e-mail
    assert notifications.unread_count(session, officer.id) == 1


@pytest.mark.backends
def test_a_user_who_turned_an_event_off_hears_nothing_of_it(session, make_user):
    officer = make_user("officer")
    colleague = make_user("officer")
    notifications.set_channels(session, officer, {"task_assigned": "off"})
    made = notifications.notify(
        session,
        user_ids=[officer.id, colleague.id],
        event=NotificationEvent.TASK_ASSIGNED,
        message=Msg("A task is assigned to you"),
    )
    session.commit()
    assert [row.user_id for row in made] == [colleague.id]
    assert notifications.unread_count(session, officer.id) == 0


def test_an_unknown_channel_is_refused_and_changes_nothing(session, make_user):
    officer = make_user("officer")
    with pytest.raises(Invalid) as refused:
        notifications.set_channels(
            session, officer, {"task_assigned": "email", "review_due": "pigeon"}
        )
    assert "review_due" in refused.value.errors
    session.rollback()
    assert (
        notifications.channel_for(session, officer.id, NotificationEvent.TASK_ASSIGNED)
        == Channel.IN_APP
    )


def test_the_bell_counts_unread_and_a_user_reads_only_their_own(client, session, make_user):
    officer = make_user("officer", language="fr")
    other = make_user("officer")
    for user in (officer, other):
        notifications.notify(
            session,
            user_ids=[user.id],
            event=NotificationEvent.TASK_ASSIGNED,
            message=Msg("A task is assigned to you"),
            link="/cases/",
        )
    session.commit()
    theirs = session.scalar(select(Notification.id).where(Notification.user_id == other.id))
    login(client, officer)
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'class="bell-count">1' in page
    assert "Tout marquer comme lu" in page  # the page, in the reader's language
    # Marking another user's notification read changes nothing.
    client.post("/notifications/read", data={"id": str(theirs)})
    assert notifications.unread_count(session, other.id) == 1
    client.post("/notifications/read", data={})
    assert notifications.unread_count(session, officer.id) == 0
    assert 'class="bell-count"' not in client.get("/notifications/").get_data(as_text=True)


def test_the_settings_page_saves_a_choice_and_refuses_a_forged_one(client, session, make_user):
    officer = make_user("officer")
    login(client, officer)
    assert client.get("/notifications/settings").status_code == 200
    saved = client.post("/notifications/settings", data={"review_due": "digest"})
    assert saved.status_code == 302
    assert (
        notifications.channel_for(session, officer.id, NotificationEvent.REVIEW_DUE)
        == Channel.DIGEST
    )
    refused = client.post("/notifications/settings", data={"review_due": "pigeon"})
    assert refused.status_code == 422
    assert "is not a channel" in refused.get_data(as_text=True)
    session.expire_all()
    assert (
        notifications.channel_for(session, officer.id, NotificationEvent.REVIEW_DUE)
        == Channel.DIGEST
    )
