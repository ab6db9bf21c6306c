"""The landing page: each role starts where its work is."""

from flask import Blueprint
from flask import redirect
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from ..db import get_session
from ..models import Role

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """Send each user to the page of their role."""
    role = current_user.role
    if role in (Role.OFFICER.value, Role.LIAISON.value):
        return redirect(url_for("dashboard.index"))
    if role == Role.AUDITOR.value:
        return redirect(url_for("audit_log.index"))
    if role == Role.ADMIN.value:
        return redirect(url_for("admin.users"))
    return redirect(url_for("reports.received"))


@bp.route("/healthz")
def health():
    """Answer the load balancer: the process is up and the database answers."""
    from sqlalchemy import text

    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}
