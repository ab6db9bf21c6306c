"""/api/v1/cases/{id}/tasks and /api/v1/tasks/{id}: a case's tasks, and changes to one."""

from flask import url_for
from flask_login import current_user

from .. import access
from ..db import get_session
from ..models.tasks import TaskChange
from ..models.tasks import TaskIn
from ..models.tasks import TaskOut
from ..services import tasks as task_service
from ..shapes import component_schemas
from . import bp
from . import json_body
from . import openapi
from .openapi import ERRORS
from .openapi import PROBLEM
from .openapi import id_param
from .openapi import json_response
from .openapi import ref


@bp.get("/cases/<int:case_id>/tasks")
def list_tasks(case_id: int):
    """List the tasks of a case, open ones first by due date (logged as a consultation)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    items = task_service.case_tasks(db, current_user, case, audit_read=True)
    db.commit()
    return {"items": [_public(item) for item in items], "total": len(items)}


@bp.post("/cases/<int:case_id>/tasks")
def create_task(case_id: int):
    """Create a task on a case; its assignee is told."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    task = task_service.create_task(db, current_user, case, json_body())
    db.commit()
    return (
        _one(db, task.id),
        201,
        {"Location": url_for("api.get_task", task_id=task.id)},
    )


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int):
    """Return one task of a case the caller reads."""
    return _one(get_session(), task_id)


@bp.patch("/tasks/<int:task_id>")
def update_task(task_id: int):
    """Change some fields of a task (the assignee may change its status only)."""
    db = get_session()
    task, _case = task_service.get_task(db, current_user, task_id)
    task_service.update_task(db, current_user, task, json_body())
    db.commit()
    return _one(db, task_id)


def _one(db, task_id: int) -> dict:
    task, case = task_service.get_task(db, current_user, task_id)
    return _public(task_service.task_view(db, current_user, task, case))


def _public(item: dict) -> dict:
    return TaskOut.model_validate(item).model_dump(mode="json")


_CASE = id_param("case_id", "case id")
_TASK = id_param("task_id", "task id")

openapi.register(
    {
        "/cases/{case_id}/tasks": {
            "parameters": [_CASE],
            "get": {
                "summary": "List the tasks of a case (logged as a consultation)",
                "responses": {"200": json_response(ref("TaskList"), "the tasks"), **ERRORS},
            },
            "post": {
                "summary": "Create a task on a case, assigned to a user of its organisation",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("TaskIn")}},
                },
                "responses": {"201": json_response(ref("TaskOut"), "the task"), **ERRORS},
            },
        },
        "/tasks/{task_id}": {
            "parameters": [_TASK],
            "get": {
                "summary": "Read one task",
                "responses": {"200": json_response(ref("TaskOut"), "the task"), **ERRORS},
            },
            "patch": {
                "summary": "Change some fields of a task; the assignee may change its status only",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("TaskChange")}},
                },
                "responses": {
                    "200": json_response(ref("TaskOut"), "the changed task"),
                    "409": PROBLEM,
                    **ERRORS,
                },
            },
        },
    },
    {
        **component_schemas(TaskIn, TaskChange, mode="validation"),
        **component_schemas(TaskOut),
        "TaskList": {
            "type": "object",
            "required": ["items", "total"],
            "properties": {
                "items": {"type": "array", "items": ref("TaskOut")},
                "total": {"type": "integer"},
            },
        },
    },
)
