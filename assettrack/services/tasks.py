"""Tasks on a case: create, change, close, list per case and per assignee; audited.

A task belongs to one case and is assigned to an active user of the case's organisation who
reads cases (an officer or a liaison of that organisation). Officers who may edit the case
create and change its tasks; the assignee may also change the status of their own task. The
assignee hears of an assignment through :func:`notifications.notify`; the daily reminders of
due and overdue tasks are :mod:`assettrack.services.reminders`.
"""

from datetime import date

from pydantic import BaseModel
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Case
from ..models import CaseEntity
from ..models import Entity
from ..models import Organisation
from ..models import Role
from ..models import User
from ..models.base import utcnow
from ..models.notifications import NotificationEvent
from ..models.tasks import TASK_TITLE_MAX
from ..models.tasks import Task
from ..models.tasks import TaskChange
from ..models.tasks import TaskIn
from ..models.tasks import TaskStatus
from . import notifications
from .cases import org_today

__all__ = [
    "assignable_users",
    "case_tasks",
    "create_task",
    "entity_choices",
    "get_task",
    "may_change",
    "my_tasks",
    "record_list_read",
    "task_link",
    "task_view",
    "update_task",
]

_ASSIGNABLE_ROLES = (Role.OFFICER.value, Role.LIAISON.value)
#: The most tasks a list shows (the case section, "my tasks", the dashboard panel).
LIST_LIMIT = 200


def assignable_users(session: Session, case: Case) -> list[User]:
    """Return the users a task of ``case`` may be assigned to, by name."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.organisation_id == case.organisation_id,
                User.active.is_(True),
                User.role.in_(_ASSIGNABLE_ROLES),
            )
            .order_by(User.name, User.id)
        )
    )


def entity_choices(session: Session, user: User, case: Case) -> list[tuple[int, str]]:
    """Return ``(id, name)`` of the entities of ``case`` a task may be about."""
    return sorted(_entity_names(session, user, case).items(), key=lambda item: item[1].lower())


def task_link(task: Task) -> str:
    """The path of a task: its case's task section."""
    return f"/cases/{task.case_id}#tasks"


def create_task(session: Session, user: User, case: Case, data: dict) -> Task:
    """Create a task on ``case`` (read scope already checked); audited; the assignee is told."""
    access.require_edit_case(user, case)
    shape = _parse(TaskIn, data)
    errors = _check_links(session, case, shape.assignee_id, shape.entity_id)
    if errors:
        raise Invalid(errors)
    task = Task(
        case_id=case.id,
        title=shape.title,
        assignee_id=shape.assignee_id,
        due_on=shape.due_on,
        entity_id=shape.entity_id,
        created_by_id=user.id,
    )
    session.add(task)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "task",
        task.id,
        details={"case_id": case.id, **_snapshot(task)},
        organisation_id=case.organisation_id,
    )
    _tell_assignee(session, user, case, task)
    return task


def update_task(session: Session, user: User, task: Task, data: dict) -> Task:
    """Change the fields of ``task`` given in ``data``; audited (old → new).

    Officers who may edit the case change anything; the assignee may change the status only.
    A new assignee is told.
    """
    case = session.get(Case, task.case_id)
    shape = _parse(TaskChange, data)
    sent = shape.model_dump(exclude_unset=True)
    if not access.can_edit_case(user, case):
        if task.assignee_id != user.id or set(sent) - {"status"}:
            raise AccessDenied("only an officer of the case, or the assignee for its status")
    for field in ("title", "assignee_id", "status"):
        if field in sent and sent[field] is None:
            raise Invalid({field: Msg("is required")})
    errors = _check_links(session, case, sent.get("assignee_id"), sent.get("entity_id"))
    if errors:
        raise Invalid(errors)
    before = _snapshot(task)
    previous_assignee = task.assignee_id
    for field, value in sent.items():
        setattr(task, field, value.value if isinstance(value, TaskStatus) else value)
    if "status" in sent:
        task.closed_at = None if task.status == TaskStatus.OPEN.value else utcnow()
    after = _snapshot(task)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not changed:
        return task
    task.updated_at = utcnow()
    session.add(task)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "task",
        task.id,
        details={"case_id": case.id, "changed": changed},
        organisation_id=case.organisation_id,
    )
    if task.assignee_id != previous_assignee:
        _tell_assignee(session, user, case, task)
    return task


def get_task(session: Session, user: User, task_id: int) -> tuple[Task, Case]:
    """Return a task and its case if ``user`` may read the case, else NotFound."""
    task = session.get(Task, task_id) if 0 < task_id < 2**63 else None
    if task is None:
        raise NotFound(f"task {task_id} not found")
    try:
        case = access.get_case(session, user, task.case_id)
    except NotFound:
        raise NotFound(f"task {task_id} not found") from None
    return task, case


def may_change(user: User, case: Case, task: Task | None = None) -> bool:
    """Whether ``user`` may change tasks of ``case`` (or, as its assignee, close ``task``)."""
    return access.can_edit_case(user, case) or (task is not None and task.assignee_id == user.id)


def case_tasks(session: Session, user: User, case: Case, *, audit_read: bool = False) -> list:
    """Return the tasks of ``case`` as dicts, open ones first by due date (a constant number
    of queries); the caller has checked that ``user`` reads the case."""
    rows = session.execute(
        select(Task, User.name)
        .join(User, User.id == Task.assignee_id)
        .where(Task.case_id == case.id)
        .order_by(Task.status != TaskStatus.OPEN.value, Task.due_on.is_(None), Task.due_on, Task.id)
        .limit(LIST_LIMIT)
    ).all()
    names = _entity_names(session, user, case) if any(t.entity_id for t, _ in rows) else {}
    today = org_today(session.get(Organisation, case.organisation_id))
    items = [_as_dict(task, assignee, case.reference, names, today) for task, assignee in rows]
    if audit_read:
        audit.record(
            session,
            user,
            audit.Action.READ,
            "case_tasks",
            case.id,
            details={"task_ids": [item["id"] for item in items]},
            organisation_id=case.organisation_id,
        )
    return items


def task_view(session: Session, user: User, task: Task, case: Case) -> dict:
    """Return one task as a dict, as :func:`case_tasks` shows it."""
    assignee = session.get(User, task.assignee_id)
    names = _entity_names(session, user, case) if task.entity_id else {}
    today = org_today(session.get(Organisation, case.organisation_id))
    return _as_dict(task, assignee.name, case.reference, names, today)


def my_tasks(session: Session, user: User, *, include_closed: bool = False) -> list[dict]:
    """Return the tasks assigned to ``user`` in cases they read, by due date (two queries)."""
    orgs = access.readable_organisation_ids(session, user)
    query = (
        select(Task, Case.reference, Case.organisation_id, Entity.caption)
        .join(Case, Case.id == Task.case_id)
        .outerjoin(Entity, Entity.id == Task.entity_id)
        .where(Task.assignee_id == user.id, Case.organisation_id.in_(orgs or {-1}))
    )
    if not include_closed:
        query = query.where(Task.status == TaskStatus.OPEN.value)
    rows = session.execute(
        query.order_by(Task.status != TaskStatus.OPEN.value, Task.due_on.is_(None), Task.due_on)
        .order_by(Task.id)
        .limit(LIST_LIMIT)
    ).all()
    named = access.named_organisation_ids(session, user)
    today = org_today(session.get(Organisation, user.organisation_id))
    items = []
    for task, reference, organisation_id, caption in rows:
        # Protected persons are named only where the reader sees them named (DECISIONS #10).
        names = {task.entity_id: caption} if organisation_id in named and caption else {}
        items.append(_as_dict(task, user.name, reference, names, today))
    return items


def record_list_read(session: Session, user: User, items: list[dict], *, query: dict) -> None:
    """Log a list of tasks as read: the query and the ids shown (a list is a consultation)."""
    audit.record(
        session,
        user,
        audit.Action.READ,
        "task_list",
        None,
        details={"query": query, "task_ids": [item["id"] for item in items]},
    )


# --- helpers ---------------------------------------------------------------------------------


def _parse(model: type[BaseModel], data) -> BaseModel:
    if not isinstance(data, dict):
        raise Invalid({"": Msg("not a JSON object")})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(field, _message(error))
        raise Invalid(errors) from None


def _message(error: dict) -> Msg:
    kind = error["type"]
    if kind == "missing":
        return Msg("is required")
    if kind == "extra_forbidden":
        return Msg("cannot be changed")
    if kind == "string_too_long":
        return Msg("must be text of at most {limit} characters", limit=TASK_TITLE_MAX)
    if kind == "string_too_short":
        return Msg("is required")
    if kind.startswith("date"):
        return Msg("must be a date written YYYY-MM-DD")
    if kind == "enum":
        return Msg("must be one of: {choices}", choices=", ".join(s.value for s in TaskStatus))
    return Msg("is not valid")


def _check_links(session, case: Case, assignee_id, entity_id) -> dict:
    errors = {}
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if (
            assignee is None
            or not assignee.active
            or assignee.organisation_id != case.organisation_id
            or assignee.role not in _ASSIGNABLE_ROLES
        ):
            errors["assignee_id"] = Msg("must be an active user of the case's organisation")
    if entity_id is not None and not session.scalar(
        select(CaseEntity.id).where(
            CaseEntity.case_id == case.id, CaseEntity.entity_id == entity_id
        )
    ):
        errors["entity_id"] = Msg("must be an entity or asset of this case")
    return errors


def _snapshot(task: Task) -> dict:
    return {
        "title": task.title,
        "assignee_id": task.assignee_id,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "status": task.status,
        "entity_id": task.entity_id,
    }


def _tell_assignee(session, user: User, case: Case, task: Task) -> None:
    if task.assignee_id == user.id:
        return  # nobody needs telling what they just did themselves
    notifications.notify(
        session,
        user_ids=[task.assignee_id],
        event=NotificationEvent.TASK_ASSIGNED,
        message=Msg("A task in {reference} is assigned to you", reference=case.reference),
        case=case,
        link=task_link(task),
        dedupe_key=f"task_assigned:{task.id}:{task.assignee_id}:{task.updated_at.isoformat()}",
    )


def _entity_names(session, user: User, case: Case) -> dict[int, str]:
    from . import case_view

    return {
        item["entity_id"]: str(item["name"])
        for item in case_view.case_entities(session, user, case)
    }


def _as_dict(task: Task, assignee: str, reference: str, names: dict, today: date) -> dict:
    return {
        "id": task.id,
        "case_id": task.case_id,
        "case_reference": reference,
        "title": task.title,
        "assignee_id": task.assignee_id,
        "assignee": assignee,
        "due_on": task.due_on,
        "overdue": task.status == TaskStatus.OPEN.value
        and task.due_on is not None
        and task.due_on < today,
        "status": task.status,
        "entity_id": task.entity_id,
        "entity": names.get(task.entity_id) if task.entity_id else None,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "closed_at": task.closed_at,
    }
