"""Comment pages: write on a case, edit one's own comment, read a comment's earlier versions.

The list and the form are the partial ``comments/_case_comments.html`` on the case page, which
reads its rows through ``comments_of``, a template helper of this blueprint. A refused comment
(an @mention of someone who may not read the case, say) is shown again on its own page with
the message beside the field.
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
from wtforms import HiddenField
from wtforms import TextAreaField

from .. import access
from ..db import get_session
from ..errors import Invalid
from ..models.comments import BODY_MAX
from ..services import comments as comment_service
from . import apply_errors
from . import case_readers_only

bp = Blueprint("comments", __name__)


class CommentForm(FlaskForm):
    """A comment's text, with @mentions."""

    body = TextAreaField(
        _l("Comment"),
        render_kw={"maxlength": BODY_MAX, "rows": 4},
        description=_l(
            "Mention a colleague who may read this case with @ and the first part of their "
            "e-mail address (@jan.devries); they are notified."
        ),
    )
    task_id = HiddenField()


case_readers_only(bp)


@bp.app_context_processor
def _helpers():
    return {"comments_of": _comments_of}


def _comments_of(case) -> dict:
    """The comments and rights the case partial shows."""
    return {
        "items": comment_service.list_for_case(get_session(), current_user, case),
        "can_write": access.can_edit_case(current_user, case),
        "me": current_user.id,
    }


@bp.route("/cases/<int:case_id>/comments/new", methods=["GET", "POST"])
def create(case_id: int):
    """Write a comment on a case; the users it @mentions are notified."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    form = CommentForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            comment_service.add(
                db,
                current_user,
                case,
                form.body.data,
                task_id=form.task_id.data or None,
                link=url_for("cases.detail", case_id=case.id, _anchor="comments"),
            )
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
            status = 422
        else:
            db.commit()
            flash(gettext("Comment added."), "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="comments"))
    elif request.method == "POST":
        status = 422
    return render_template("comments/form.html", form=form, case=case, comment=None), status


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    """Change one's own comment; the earlier text is kept and shown on demand."""
    db = get_session()
    comment, case = comment_service.get_comment(db, current_user, comment_id)
    access.require_edit_case(current_user, case)
    if comment.author_id != current_user.id:
        abort(403)
    form = CommentForm(data={"body": comment.body})
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            comment_service.edit(
                db,
                current_user,
                comment_id,
                form.body.data,
                link=url_for("cases.detail", case_id=case.id, _anchor="comments"),
            )
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
            status = 422
        else:
            db.commit()
            flash(gettext("Comment changed."), "success")
            return redirect(
                url_for("cases.detail", case_id=case.id, _anchor=f"comment-{comment_id}")
            )
    elif request.method == "POST":
        status = 422
    return render_template("comments/form.html", form=form, case=case, comment=comment), status


@bp.route("/comments/<int:comment_id>/history")
def history(comment_id: int):
    """Show a comment's earlier versions, newest first; the reading is logged."""
    db = get_session()
    comment, case, versions = comment_service.history(db, current_user, comment_id)
    db.commit()
    return render_template("comments/history.html", comment=comment, case=case, versions=versions)
