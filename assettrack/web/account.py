"""A user's own security page: the second factor, recovery codes, and their open sessions."""

from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from flask_login import login_required
from sqlalchemy import select

from .. import audit
from ..db import get_session
from ..errors import Invalid
from ..models import ApiToken
from ..models import EndReason
from ..models import UserSession
from ..models.base import utcnow
from ..routing import id_value
from ..security import limit_from
from ..security import limiter
from ..services import accounts
from ..services import second_factor
from ..services import sessions
from . import apply_errors
from .forms import EmptyForm
from .forms import SecondFactorForm
from .forms import TokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _browser_session():
    """The user's browser session (a bearer token has no security page)."""
    row = g.get("user_session")
    if row is None:
        abort(403)
    return row


def _open_sessions(db, user_id: int):
    now = utcnow()
    return db.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
            UserSession.expires_at > now,
        )
        .order_by(UserSession.last_seen_at.desc())
    ).all()


@bp.route("/security")
@login_required
def security():
    """The second factor's state, the recovery codes left, and every open session."""
    _browser_session()
    db = get_session()
    return _security_page(db, current_user._get_current_object())


def _security_page(db, user, *, form=None, token_form=None):
    """The security page, with the forms as posted when one of them was refused."""
    tokens = db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "auth/security.html",
        enrolled=second_factor.is_enrolled(db, user),
        required=second_factor.required_for(db, user),
        codes_left=second_factor.remaining_recovery_codes(db, user),
        open_sessions=_open_sessions(db, user.id),
        current_id=_browser_session().id,
        form=form or SecondFactorForm(),
        token_form=token_form or TokenForm(),
        tokens=tokens,
        now=utcnow(),
        longest_days=current_app.config["API_TOKEN_LIFETIME"].days,
        empty=EmptyForm(),
    )


@bp.route("/security/set-up/start", methods=["POST"])
@login_required
@limiter.limit(limit_from("RATELIMIT_SENSITIVE"))
def start_set_up():
    """Make the pending secret of an authenticator set up while signed in, then show it."""
    _browser_session()
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        second_factor.start_enrolment(
            db, current_user._get_current_object(), current_app.config["DATA_KEY"]
        )
    except Invalid:
        flash(gettext("An authenticator is already set up for this account."), "info")
        return redirect(url_for("account.security"))
    db.commit()
    return redirect(url_for("account.set_up"))


@bp.route("/security/set-up", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from("RATELIMIT_SENSITIVE"), methods=["POST"])
def set_up():
    """Show the pending secret and confirm it with a first code (the GET writes nothing)."""
    _browser_session()
    db = get_session()
    user = current_user._get_current_object()
    key = current_app.config["DATA_KEY"]
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(db, user, form.code.data, key)
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            return render_template(
                "auth/recovery_codes.html", codes=codes, next_url=url_for("account.security")
            )
    enrolment = second_factor.pending_enrolment(db, user, key)
    if enrolment is None:
        return redirect(url_for("account.security"))
    return render_template(
        "auth/enrol_second_factor.html", form=form, enrolment=enrolment, signed_in=True
    ), (422 if request.method == "POST" else 200)


@bp.route("/security/recovery-codes", methods=["POST"])
@login_required
@limiter.limit(limit_from("RATELIMIT_SENSITIVE"))
def recovery_codes():
    """Replace the recovery codes, after a fresh code from the app."""
    _browser_session()
    db = get_session()
    user = current_user._get_current_object()
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.new_recovery_codes(db, user, form.code.data, current_app.config)
        except Invalid as exc:
            db.commit()  # the failure count and its audit entry
            apply_errors(form, exc.errors)
        else:
            db.commit()
            return render_template(
                "auth/recovery_codes.html", codes=codes, next_url=url_for("account.security")
            )
    return _security_page(db, user, form=form), 422


@bp.route("/tokens", methods=["POST"])
@login_required
@limiter.limit(limit_from("RATELIMIT_SENSITIVE"))
def create_token():
    """Create an API token (shown once); with a second factor set up, a fresh code is needed."""
    _browser_session()
    db = get_session()
    user = current_user._get_current_object()
    form = TokenForm()
    longest = current_app.config["API_TOKEN_LIFETIME"].days
    if form.validate_on_submit():
        errors = {}
        raw_days = (form.days.data or "").strip() or str(longest)
        days = int(raw_days) if raw_days.isdigit() and len(raw_days) <= 3 else 0
        if not 1 <= days <= longest:
            errors["days"] = gettext("Enter a number of days from 1 to %(most)s.", most=longest)
        if second_factor.is_enrolled(db, user) and not errors:
            try:
                second_factor.verify(db, user, form.code.data, current_app.config)
            except Invalid as exc:
                db.commit()  # the failure count and its audit entry
                errors.update(exc.errors)
        if not errors:
            try:
                token = accounts.create_token(
                    db,
                    user,
                    user,
                    lifetime=timedelta(days=days),
                    read_only=form.read_only.data,
                    name=form.name.data,
                )
            except Invalid as exc:
                db.rollback()
                errors.update(exc.errors)
            else:
                db.commit()
                return render_template(
                    "auth/token_created.html", token=token, days=days, read_only=form.read_only.data
                )
        apply_errors(form, errors)
    return _security_page(db, user, token_form=form), 422


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's own API tokens."""
    _browser_session()
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    user = current_user._get_current_object()
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        abort(404)
    accounts.revoke_tokens(db, user, user, prefix=row.prefix)
    db.commit()
    flash(gettext("The token %(prefix)s… is revoked.", prefix=row.prefix), "success")
    return redirect(url_for("account.security"))


@bp.route("/sessions/end", methods=["POST"])
@login_required
def end_session():
    """End one of the user's other sessions (``id``), or all of them but this one (no ``id``)."""
    current = _browser_session()
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    user = current_user._get_current_object()
    raw = request.form.get("id")
    if raw:
        try:
            row = db.get(UserSession, id_value(raw))
        except ValueError:
            row = None
        if row is None or row.user_id != user.id or row.id == current.id:
            abort(404)
        sessions.end(db, row, EndReason.LOGOUT)
        audit.record(
            db,
            user,
            audit.Action.UPDATE,
            "user",
            user.id,
            details={"session_ended": row.id, "by": "owner"},
            organisation_id=user.organisation_id,
        )
        db.commit()
        flash(gettext("That session has ended."), "success")
    else:
        ended, _ = sessions.end_all(
            db, user, EndReason.LOGOUT, actor=user, keep=current, revoke_tokens=False
        )
        db.commit()
        flash(gettext("Your other sessions have ended (%(count)s).", count=ended), "success")
    return redirect(url_for("account.security"))
