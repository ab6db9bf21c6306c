"""Tasks on a case: created, assigned, changed and closed by the people who may; reminders of
due and overdue tasks told once; what the case page, "my tasks" and the API show."""

import pytest
import time_machine
from sqlalchemy import select

from assettrack.models import AuditEntry
from assettrack.models import Notification
from assettrack.models import Task
from assettrack.models.notifications import NotificationEvent
from assettrack.services import notifications
from assettrack.services import reminders
from assettrack.services import tasks as task_service
from tests.conftest import bearer
from tests.conftest import login


@pytest.fixture
def team(session, make_user, make_case, token_for):
    """An officer of Rotterdam with a case, a colleague, and an officer of Antwerp."""
    officer = make_user("officer", name="Pieter de Vries")
    colleague = make_user("officer", name="Anna Smit")
    antwerp = make_user("officer", "BEANR", name="Jan Peeters")
    case = make_case(officer, title="Reefer containers at Maasvlakte")

    class Team:
        pass

    t = Team()
    t.officer, t.colleague, t.antwerp, t.case = officer, colleague, antwerp, case
    t.headers = bearer(token_for(officer))
    t.colleague_headers = bearer(token_for(colleague))
    t.antwerp_headers = bearer(token_for(antwerp))
    return t


def _entity(client, team, name="Villa Kralingen"):
    response = client.post(
        f"/api/v1/cases/{team.case.id}/entities",
        json={"schema": "RealEstate", "properties": {"name": name, "country": "nl"}},
        headers=team.headers,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.mark.backends
def test_a_task_assigned_through_the_api_tells_the_assignee_and_is_audited(client, session, team):
    entity = _entity(client, team)
    created = client.post(
        f"/api/v1/cases/{team.case.id}/tasks",
        json={
            "title": "Ask the Kadaster for the deed",
            "assignee_id": team.colleague.id,
            "due_on": "2027-02-01",
            "entity_id": entity,
        },
        headers=team.headers,
    )
    assert created.status_code == 201, created.json
    task = created.json
    assert task["assignee"] == "Anna Smit"
    assert task["entity"] == "Villa Kralingen"
    assert task["status"] == "open"
    assert created.headers["Location"].endswith(f"/api/v1/tasks/{task['id']}")
    told = session.scalars(
        select(Notification).where(Notification.user_id == team.colleague.id)
    ).all()
    assert [row.event for row in told] == [NotificationEvent.TASK_ASSIGNED.value]
    assert told[0].case_reference == team.case.reference
    listed = client.get(f"/api/v1/cases/{team.case.id}/tasks", headers=team.headers).json
    assert [item["id"] for item in listed["items"]] == [task["id"]]
    actions = session.execute(
        select(AuditEntry.action, AuditEntry.object_type).where(
            AuditEntry.object_type.in_(("task", "case_tasks"))
        )
    ).all()
    assert ("create", "task") in actions and ("read", "case_tasks") in actions


def test_the_assignee_closes_their_task_but_changes_nothing_else(client, session, team):
    task = task_service.create_task(
        session,
        team.officer,
        team.case,
        {"title": "Call the notary", "assignee_id": team.colleague.id},
    )
    session.commit()
    refused = client.patch(
        f"/api/v1/tasks/{task.id}", json={"title": "Something else"}, headers=team.colleague_headers
    )
    # The colleague is an officer of the organisation: they edit the case and so the task.
    assert refused.status_code == 200
    done = client.patch(
        f"/api/v1/tasks/{task.id}", json={"status": "done"}, headers=team.colleague_headers
    )
    assert done.status_code == 200
    assert done.json["status"] == "done" and done.json["closed_at"]
    reopened = client.patch(
        f"/api/v1/tasks/{task.id}", json={"status": "open"}, headers=team.headers
    )
    assert reopened.json["closed_at"] is None


def test_a_liaison_assignee_may_only_change_the_status(client, session, team, make_user, token_for):
    liaison = make_user("liaison", "NLRTM", name="Liaison Rotterdam")
    task = task_service.create_task(
        session,
        team.officer,
        team.case,
        {"title": "Check the port logs", "assignee_id": liaison.id},
    )
    session.commit()
    headers = bearer(token_for(liaison))
    assert (
        client.patch(f"/api/v1/tasks/{task.id}", json={"title": "x"}, headers=headers).status_code
        == 403
    )
    assert (
        client.patch(f"/api/v1/tasks/{task.id}", json={"status": "done"}, headers=headers).json[
            "status"
        ]
        == "done"
    )


def test_another_citys_officer_neither_sees_nor_changes_a_task(client, session, team):
    task = task_service.create_task(
        session,
        team.officer,
        team.case,
        {"title": "Call the notary", "assignee_id": team.colleague.id},
    )
    session.commit()
    for response in (
        client.get(f"/api/v1/tasks/{task.id}", headers=team.antwerp_headers),
        client.get(f"/api/v1/cases/{team.case.id}/tasks", headers=team.antwerp_headers),
        client.patch(
            f"/api/v1/tasks/{task.id}", json={"status": "done"}, headers=team.antwerp_headers
        ),
        client.post(
            f"/api/v1/cases/{team.case.id}/tasks",
            json={"title": "x", "assignee_id": team.antwerp.id},
            headers=team.antwerp_headers,
        ),
    ):
        assert response.status_code == 404
    assert client.get("/api/v1/tasks/99999999", headers=team.headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"assignee_id": "me"}, "/title"),
        ({"title": "   "}, "/title"),
        ({"title": "x" * 201}, "/title"),
        ({"title": "x", "assignee_id": "antwerp"}, "/assignee_id"),
        ({"title": "x", "due_on": "2027-13-01"}, "/due_on"),
        ({"title": "x", "entity_id": 123456}, "/entity_id"),
        ({"title": "x", "status": "done"}, "/status"),
        ({"title": "x", "colour": "red"}, "/colour"),
    ],
)
def test_a_bad_task_is_refused_field_by_field_and_nothing_is_written(
    client, session, team, body, pointer
):
    payload = {"assignee_id": team.colleague.id, **body}
    if payload.get("assignee_id") == "antwerp":
        payload["assignee_id"] = team.antwerp.id
    response = client.post(
        f"/api/v1/cases/{team.case.id}/tasks", json=payload, headers=team.headers
    )
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert pointer in [error.get("pointer") for error in response.json["errors"]]
    assert (
        client.get(f"/api/v1/cases/{team.case.id}/tasks", headers=team.headers).json["items"] == []
    )


@pytest.mark.backends
def test_due_and_overdue_tasks_are_told_once_a_day(app, session, team):
    with time_machine.travel("2027-03-01T10:00:00Z", tick=False):
        due = task_service.create_task(
            session,
            team.officer,
            team.case,
            {"title": "Due", "assignee_id": team.colleague.id, "due_on": "2027-03-03"},
        )
        session.commit()
    for instant in ("2027-03-02T05:00:00Z", "2027-03-02T05:00:01Z", "2027-03-04T05:00:00Z"):
        with time_machine.travel(instant, tick=False), app.app_context():
            reminders.remind(session)
            session.commit()
    events = session.scalars(
        select(Notification.event)
        .where(Notification.user_id == team.colleague.id)
        .order_by(Notification.id)
    ).all()
    assert events == ["task_assigned", "task_due_tomorrow", "task_overdue"]
    # A task done is not reminded of.
    task_service.update_task(session, team.officer, due, {"status": "done"})
    session.commit()
    with time_machine.travel("2027-03-05T05:00:00Z", tick=False), app.app_context():
        assert reminders.remind(session) == {}


def test_the_case_page_adds_a_task_and_shows_the_error_beside_its_field(client, session, team):
    login(client, team.officer)
    page = client.get(f"/cases/{team.case.id}").get_data(as_text=True)
    assert 'id="tasks"' in page and "Add a task" in page
    bad = client.post(
        f"/cases/{team.case.id}/tasks",
        data={"task-title": "", "task-assignee_id": str(team.colleague.id), "task-due_on": "soon"},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "is required" in text and "must be a date written YYYY-MM-DD" in text
    good = client.post(
        f"/cases/{team.case.id}/tasks",
        data={
            "task-title": "Ask the Kadaster",
            "task-assignee_id": str(team.colleague.id),
            "task-due_on": "2027-02-01",
        },
    )
    assert good.status_code == 302
    page = client.get(f"/cases/{team.case.id}").get_data(as_text=True)
    assert "Ask the Kadaster" in page and "Anna Smit" in page


def test_my_tasks_shows_an_overdue_task_and_closes_it(client, session, team):
    with time_machine.travel("2027-03-01T10:00:00Z", tick=False):
        task_service.create_task(
            session,
            team.officer,
            team.case,
            {"title": "File the seizure", "assignee_id": team.colleague.id, "due_on": "2027-03-02"},
        )
        session.commit()
    with time_machine.travel("2027-03-05T10:00:00Z", tick=False):
        login(client, team.colleague)
        page = client.get("/tasks/mine").get_data(as_text=True)
        assert "File the seizure" in page and "overdue" in page
        assert team.case.reference in page
        dashboard = client.get("/dashboard/").get_data(as_text=True)
        assert 'id="my-tasks"' in dashboard and "File the seizure" in dashboard
        task = session.scalar(select(Task))
        client.post(f"/tasks/{task.id}/status", data={"status": "done", "next": "/tasks/mine"})
        assert "File the seizure" not in client.get("/tasks/mine").get_data(as_text=True)
        closed = client.get("/tasks/mine?closed=1").get_data(as_text=True)
        assert "File the seizure" in closed


def test_a_case_shared_with_a_city_tells_its_officers(session, team, make_case):
    make_case(team.officer, title="Shared", tlp="GREEN", shared_with=["BEANR"])
    told = session.scalars(
        select(Notification).where(Notification.user_id == team.antwerp.id)
    ).all()
    assert [row.event for row in told] == [NotificationEvent.CASE_SHARED.value]
    assert notifications.unread_count(session, team.officer.id) == 0
