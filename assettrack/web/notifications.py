"""The bell: a user's notifications, marking them read, and the channel chosen per event."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from flask_login import login_required

from ..db import get_session
from ..errors import Invalid
from ..errors import Msg
from ..models.notifications import Channel
from ..models.notifications import NotificationEvent
from ..routing import id_value
from ..routing import page_number
from ..services import mailer
from ..services import notifications
from . import translate

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

#: The choices of the settings page, in the order shown.
CHANNEL_LABELS = {
    Channel.OFF: notifications.N_("Off"),
    Channel.IN_APP: notifications.N_("In the app"),
    Channel.EMAIL: notifications.N_("By e-mail"),
    Channel.DIGEST: notifications.N_("Daily digest"),
}


@bp.app_context_processor
def _bell():
    """The unread count beside the bell, for a signed-in user (one indexed count per page)."""
    # Templates rendered outside a request's sign-in (PDFs made by jobs and commands) have none.
    if not getattr(current_user, "is_authenticated", False):
        return {}

    def unread():
        return notifications.unread_count(get_session(), current_user.id)

    return {"unread_notifications": unread}


@bp.route("/")
@login_required
def index():
    """The user's notifications, newest first, paged."""
    page = page_number(request.args)
    unread_only = request.args.get("unread") == "1"
    told, total = notifications.list_for(
        get_session(), current_user.id, page=page, unread_only=unread_only
    )
    items = [
        {
            "id": item.id,
            "event": gettext(notifications.EVENT_LABELS[item.event]),
            "text": translate(Msg(item.message, **item.params)),
            "case_reference": item.case_reference,
            "link": item.link,
            "created_at": item.created_at,
            "read": item.read,
        }
        for item in told
    ]
    pages = max(1, -(-total // notifications.PAGE_SIZE))
    return render_template(
        "notifications/index.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        unread_only=unread_only,
    )


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    """Mark one notification (``id``) or all of them read, then go back to the list."""
    db = get_session()
    raw = request.form.get("id")
    ids = None
    if raw:
        try:
            ids = [id_value(raw)]
        except ValueError:
            flash(gettext("That notification does not exist."), "error")
            return redirect(url_for("notifications.index"))
    notifications.mark_read(db, current_user.id, ids)
    db.commit()
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Choose, per event, off / in the app / e-mail / daily digest."""
    db = get_session()
    errors = {}
    if request.method == "POST":
        # Only the events the form sends change; the others keep their channel.
        choices = {
            event.value: request.form[event.value]
            for event in NotificationEvent
            if event.value in request.form
        }
        try:
            notifications.set_channels(db, current_user, choices)
        except Invalid as exc:
            db.rollback()
            errors = {field: translate(message) for field, message in exc.errors.items()}
        else:
            db.commit()
            flash(gettext("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.settings"))
    current = notifications.channels_of(db, current_user.id)
    if errors:
        current |= {
            NotificationEvent(key): Channel(value)
            for key, value in request.form.items()
            if key in NotificationEvent._value2member_map_ and value in Channel._value2member_map_
        }
    rows = [
        {
            "event": event.value,
            "label": gettext(notifications.EVENT_LABELS[event]),
            "channel": current[event].value,
            "error": errors.get(event.value),
        }
        for event in NotificationEvent
    ]
    channels = [(channel.value, gettext(label)) for channel, label in CHANNEL_LABELS.items()]
    return render_template(
        "notifications/settings.html",
        rows=rows,
        channels=channels,
        email_enabled=mailer.is_enabled(current_app.config),
        error_summary=[
            {
                "id": f"{key}-{Channel.IN_APP.value}",
                "label": gettext(notifications.EVENT_LABELS[NotificationEvent(key)]),
                "message": message,
            }
            for key, message in errors.items()
        ],
    ), (422 if errors else 200)
