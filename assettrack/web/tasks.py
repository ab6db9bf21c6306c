"""Task pages: a case's tasks (a section of the case page), create, change, close, "my tasks".

The case page and the dashboard show tasks through two template helpers registered here
(``case_tasks_section`` for ``templates/tasks/_case_tasks.html``, ``my_open_tasks`` for
``templates/tasks/_dashboard_tasks.html``), so each needs one ``{% include %}`` line only.
"""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms import StringField
from wtforms.widgets import DateInput

from .. import access
from ..db import get_session
from ..errors import AccessDenied
from ..errors import Invalid
from ..models.tasks import TASK_TITLE_MAX
from ..models.tasks import TaskStatus
from ..services import tasks as task_service
from . import apply_errors
from . import case_readers_only

bp = Blueprint("tasks", __name__)

#: How each status is shown (the values are the enum's).
STATUS_LABELS = {
    TaskStatus.OPEN: _l("Open"),
    TaskStatus.DONE: _l("Done"),
    TaskStatus.CANCELLED: _l("Cancelled"),
}


class TaskForm(FlaskForm):
    """A task: what, for whom, by when, about what; the status when it is changed."""

    title = StringField(_l("Task"), render_kw={"maxlength": TASK_TITLE_MAX})
    assignee_id = SelectField(_l("Assigned to"), choices=[], validate_choice=False)
    due_on = StringField(
        _l("Due on"),
        widget=DateInput(),
        render_kw={"placeholder": "YYYY-MM-DD"},
        description=_l("Optional."),
    )
    entity_id = SelectField(
        _l("About"), choices=[], validate_choice=False, description=_l("Optional.")
    )
    status = SelectField(_l("Status"), choices=[], validate_choice=False)


case_readers_only(bp)


@bp.app_template_global()
def case_tasks_section(case) -> dict:
    """What the case page's task section shows (the case's read scope is already checked)."""
    db = get_session()
    can_edit = access.can_edit_case(current_user, case)
    return {
        "items": task_service.case_tasks(db, current_user, case),
        "can_edit": can_edit,
        "form": _form(db, case, creating=True) if can_edit else None,
        "statuses": STATUS_LABELS,
    }


@bp.app_template_global()
def my_open_tasks() -> list[dict]:
    """The signed-in user's open tasks (the dashboard panel)."""
    return task_service.my_tasks(get_session(), current_user)


@bp.route("/cases/<int:case_id>/tasks", methods=["GET", "POST"])
def create(case_id: int):
    """Create a task on the case and tell its assignee; on an error, the form again (422)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    form = _form(db, case, creating=True)
    if request.method == "POST" and form.validate_on_submit():
        try:
            task_service.create_task(db, current_user, case, _data(form, creating=True))
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            flash(gettext("Task added."), "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="tasks"))
    status = 422 if request.method == "POST" else 200
    return render_template("tasks/form.html", form=form, case=case, task=None), status


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def edit(task_id: int):
    """Change a task's title, assignee, due date, link or status."""
    db = get_session()
    task, case = task_service.get_task(db, current_user, task_id)
    access.require_edit_case(current_user, case)
    form = _form(db, case, creating=False)
    if request.method == "GET":
        form.title.data = task.title
        form.assignee_id.data = str(task.assignee_id)
        form.due_on.data = task.due_on.isoformat() if task.due_on else ""
        form.entity_id.data = str(task.entity_id or "")
        form.status.data = task.status
    elif form.validate_on_submit():
        try:
            task_service.update_task(db, current_user, task, _data(form, creating=False))
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            flash(gettext("Task saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="tasks"))
    status = 422 if request.method == "POST" else 200
    return render_template("tasks/form.html", form=form, case=case, task=task), status


@bp.route("/tasks/<int:task_id>/status", methods=["POST"])
def change_status(task_id: int):
    """Mark a task done, cancel it or open it again (an officer of the case, or its assignee)."""
    db = get_session()
    task, case = task_service.get_task(db, current_user, task_id)
    try:
        task_service.update_task(db, current_user, task, {"status": request.form.get("status")})
    except Invalid:
        db.rollback()
        flash(gettext("That is not a status of a task."), "error")
    except AccessDenied:
        db.rollback()
        abort(403)
    else:
        db.commit()
        flash(gettext("Task saved."), "success")
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("cases.detail", case_id=case.id, _anchor="tasks"))


@bp.route("/tasks/mine")
def mine():
    """The tasks assigned to me, open ones first by due date, overdue ones marked."""
    db = get_session()
    show_closed = request.args.get("closed") == "1"
    items = task_service.my_tasks(db, current_user, include_closed=show_closed)
    task_service.record_list_read(db, current_user, items, query={"closed": show_closed})
    db.commit()
    return render_template(
        "tasks/mine.html", items=items, show_closed=show_closed, statuses=STATUS_LABELS
    )


# --- helpers ---------------------------------------------------------------------------------


def _form(db, case, *, creating: bool) -> TaskForm:
    form = TaskForm(prefix="task")
    form.assignee_id.choices = [("", gettext("Choose a person"))] + [
        (str(user.id), user.name) for user in task_service.assignable_users(db, case)
    ]
    form.entity_id.choices = [("", gettext("The whole case"))] + [
        (str(entity_id), name)
        for entity_id, name in task_service.entity_choices(db, current_user, case)
    ]
    if creating:
        del form.status
    else:
        form.status.choices = [(s.value, str(label)) for s, label in STATUS_LABELS.items()]
    return form


def _data(form: TaskForm, *, creating: bool) -> dict:
    """The form's fields as the service's shape takes them (empty → absent or null)."""
    data = {
        "title": form.title.data or "",
        "assignee_id": form.assignee_id.data or None,
        "due_on": (form.due_on.data or "").strip() or None,
        "entity_id": form.entity_id.data or None,
    }
    if creating:
        return {key: value for key, value in data.items() if value is not None or key == "title"}
    data["status"] = form.status.data
    return data
