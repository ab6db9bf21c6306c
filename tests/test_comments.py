"""Comments on a case: @mentions that notify readers of the case only, edits that keep history."""

import json

import pytest
from sqlalchemy import select

from assettrack.errors import AccessDenied
from assettrack.errors import Invalid
from assettrack.models import AuditEntry
from assettrack.models.comments import Comment
from assettrack.models.comments import CommentVersion
from assettrack.models.notifications import Notification
from assettrack.services import comments as comment_service
from assettrack.services import notifications
from tests.conftest import login


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM", email="anna.visser@rotterdam.example", name="Anna Visser")


@pytest.fixture
def colleague(make_user):
    return make_user("officer", "NLRTM", email="jan.devries@rotterdam.example", name="Jan de Vries")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer)


def bell(client) -> str:
    return client.get("/notifications/").get_data(as_text=True)


def test_a_mention_notifies_the_colleague_once(client, session, officer, colleague, case):
    login(client, officer)
    response = client.post(
        f"/cases/{case.id}/comments/new",
        data={"body": "@jan.devries, can you check the berth of the Nordic Star?"},
    )
    assert response.status_code == 302
    assert notifications.unread_count(session, colleague.id) == 1
    assert notifications.unread_count(session, officer.id) == 0
    client.post("/logout")
    login(client, colleague)
    page = bell(client)
    assert f"Anna Visser mentioned you in a comment on {case.reference}" in page
    # The comment is on the case page, in its own section.
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="comments"' in case_page
    assert "can you check the berth of the Nordic Star?" in case_page


@pytest.mark.backends
def test_only_readers_of_the_case_can_be_mentioned(
    backend, session, make_user, officer, colleague, case
):
    make_user("officer", "BEANR", email="piet@antwerpen.example")
    make_user("liaison", "ITGOA", "NLRTM", email="giulia@genova.example")
    with pytest.raises(Invalid) as refused:
        comment_service.add(session, officer, case, "Ask @piet and @nobody.")
    assert str(refused.value.errors["body"]) == (
        "@piet, @nobody: only someone who may read this case can be mentioned"
    )
    session.rollback()
    assert session.scalars(select(Comment)).all() == []
    comment = comment_service.add(session, officer, case, "For @giulia: the container list.")
    session.commit()
    (told,) = session.scalars(select(Notification)).all()
    assert (told.event, told.case_reference) == ("mentioned", case.reference)
    assert told.dedupe_key == f"comment:{comment.id}:mention"


def test_a_refused_mention_is_shown_beside_the_field_with_the_text_kept(
    client, session, make_user, officer, case
):
    make_user("officer", "BEANR", email="piet@antwerpen.example")
    login(client, officer)
    response = client.post(f"/cases/{case.id}/comments/new", data={"body": "Hi @piet"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="body-error"' in page
    assert "@piet: only someone who may read this case can be mentioned" in page
    assert "Hi @piet</textarea>" in page
    assert session.scalars(select(Comment)).all() == []


def test_a_shared_local_part_asks_for_the_whole_address(session, make_user, officer, case):
    make_user("officer", "NLRTM", email="jan@rotterdam.example")
    make_user("liaison", "BEANR", "NLRTM", email="jan@antwerpen.example")
    with pytest.raises(Invalid) as refused:
        comment_service.add(session, officer, case, "@jan, see the decision")
    assert "several people may read this case" in str(refused.value.errors["body"])
    session.rollback()
    comment_service.add(session, officer, case, "@jan@antwerpen.example, see the decision")
    session.commit()
    assert len(session.scalars(select(Notification)).all()) == 1


@pytest.mark.backends
def test_an_edit_keeps_the_earlier_text_and_tells_only_new_mentions(
    backend, session, make_user, officer, colleague, case
):
    third = make_user("officer", "NLRTM", email="eva.bakker@rotterdam.example")
    comment = comment_service.add(session, officer, case, "First: @jan.devries")
    session.commit()
    comment_service.edit(session, officer, comment.id, "First: @jan.devries and @eva.bakker")
    session.commit()
    comment_service.edit(session, officer, comment.id, "Second: @jan.devries and @eva.bakker")
    session.commit()
    session.expire_all()
    assert session.get(Comment, comment.id).version == 3
    versions = session.scalars(select(CommentVersion.body).order_by(CommentVersion.version)).all()
    assert versions == ["First: @jan.devries", "First: @jan.devries and @eva.bakker"]
    assert notifications.unread_count(session, colleague.id) == 1
    assert notifications.unread_count(session, third.id) == 1
    actions = [
        (e.action, json.loads(e.details).get("version"))
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "comment").order_by(AuditEntry.seq)
        )
    ]
    assert actions == [("create", None), ("update", 2), ("update", 3)]


def test_only_the_author_edits_and_anyone_in_scope_reads_the_history(
    client, session, make_user, officer, colleague, case
):
    comment = comment_service.add(session, officer, case, "Draft note")
    session.commit()
    with pytest.raises(AccessDenied):
        comment_service.edit(session, colleague, comment.id, "Hijacked")
    session.rollback()
    login(client, officer)
    assert (
        client.post(f"/comments/{comment.id}/edit", data={"body": "Final note"}).status_code == 302
    )
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/comments/{comment.id}/history" in case_page
    client.post("/logout")
    login(client, colleague)
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "x"}).status_code == 403
    history = client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "Draft note" in history and "Final note" in history
    client.post("/logout")
    login(client, make_user("liaison", "BEANR"))
    assert client.get(f"/comments/{comment.id}/history").status_code == 404
    assert client.post(f"/cases/{case.id}/comments/new", data={"body": "hi"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "write the comment"), ("x" * 10_001, "is 10001 characters long; the limit is 10000")],
)
def test_an_empty_or_too_long_comment_is_refused(session, officer, case, body, message):
    with pytest.raises(Invalid) as refused:
        comment_service.add(session, officer, case, body)
    assert str(refused.value.errors["body"]) == message


def test_a_comment_can_belong_to_a_task_of_the_case(session, officer, case):
    comment = comment_service.add(session, officer, case, "On the task", task_id="7")
    session.commit()
    assert comment.task_id == 7
    assert [c.id for c in comment_service.list_for_case(session, officer, case, task_id=7)] == [
        comment.id
    ]
    with pytest.raises(Invalid):
        comment_service.add(session, officer, case, "On a task", task_id=str(2**63))
