"""Administration, scoped by ``access``.

An organisation admin manages the users of their organisation (create, deactivate, reactivate,
reset a password) and the grants of their organisation to liaisons of other organisations. The
installation admin manages organisations (list, add, enrol a first admin through a one-time link)
and its own operator users.
"""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from flask_login import login_required
from sqlalchemy import select

from .. import access
from ..db import get_session
from ..errors import AccessDenied
from ..errors import Conflict
from ..errors import Invalid
from ..errors import NotFound
from ..models import Organisation
from ..models import User
from ..models import UserOrganisation
from ..models import utcnow
from ..models.second_factor import TotpFactor
from ..services import accounts
from ..services import second_factor
from . import apply_errors
from .forms import EmptyForm
from .forms import EnrolmentForm
from .forms import GrantForm
from .forms import OrganisationForm
from .forms import OrganisationSettingsForm
from .forms import PasswordForm
from .forms import RoleForm
from .forms import UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not access.can_administer(current_user):
        abort(403)


@bp.app_context_processor
def _admin_flags():
    # For the navigation: only the installation admin has an organisations page.
    if not (current_user and current_user.is_authenticated and access.can_administer(current_user)):
        return {"manages_organisations": False}
    return {"manages_organisations": access.can_manage_organisations(get_session(), current_user)}


@bp.route("/users")
def users():
    """List the users the admin manages, and the liaisons granted their organisation."""
    return _render_users(get_session(), GrantForm())


def _render_users(db, grant_form):
    rows = list(
        db.scalars(access.managed_users(db, current_user).order_by(User.active.desc(), User.email))
    )
    granted = list(db.scalars(access.granted_users(db, current_user).order_by(User.email)))
    ids = [u.id for u in rows + granted] or [-1]
    orgs = {o.id: o for o in db.scalars(select(Organisation))}
    extra: dict[int, list[str]] = {}
    for link in db.scalars(select(UserOrganisation).where(UserOrganisation.user_id.in_(ids))):
        extra.setdefault(link.user_id, []).append(orgs[link.organisation_id].code)
    return render_template(
        "admin/users.html",
        users=rows,
        granted=granted,
        orgs=orgs,
        extra=extra,
        now=utcnow(),
        form=EmptyForm(),
        grant_form=grant_form,
        home=orgs[current_user.organisation_id],
        may_create=access.is_organisation_admin(db, current_user),
        may_edit_home=access.can_edit_organisation(
            db, current_user, orgs[current_user.organisation_id]
        ),
        may_set_password=lambda user: access.can_set_password(db, current_user, user),
        enrolled=set(
            db.scalars(
                select(TotpFactor.user_id).where(
                    TotpFactor.user_id.in_(ids), TotpFactor.confirmed_at.is_not(None)
                )
            )
        ),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    """Create a user of the admin's own organisation, with a role and an initial password."""
    db = get_session()
    home = _own_organisation(db, access.require_create_user)
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db,
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                organisation_codes=[home.code],
                password=form.password.data,
                language=form.language.data or None,
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(gettext("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, home=home), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    """Deactivate a user (never deleted, so the audit trail keeps its author)."""
    db = get_session()
    user = _managed_user(db, user_id)
    if user.id == current_user.id:
        flash(gettext("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    if EmptyForm().validate_on_submit():
        accounts.deactivate_user(db, current_user, user)
        db.commit()
        flash(gettext("User %(email)s deactivated.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    """Let a deactivated user log in again."""
    db = get_session()
    user = _managed_user(db, user_id)
    if EmptyForm().validate_on_submit():
        accounts.reactivate_user(db, current_user, user)
        db.commit()
        flash(gettext("User %(email)s reactivated.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    """Set a new password for a user of the admin's organisation and lift a lock-out."""
    db = get_session()
    user = _managed_user(db, user_id)
    if not access.can_set_password(db, current_user, user):
        abort(403)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db, current_user, user, form.password.data)
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            flash(gettext("Password of %(email)s reset.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/password.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/second-factor/reset", methods=["POST"])
def reset_second_factor(user_id: int):
    """Remove a user's authenticator (lost phone): their sessions end; they set up a new one."""
    db = get_session()
    user = _managed_user(db, user_id)
    if user.id == current_user.id:
        abort(403)
    if EmptyForm().validate_on_submit():
        second_factor.reset(db, current_user, user)
        db.commit()
        flash(
            gettext(
                "The second factor of %(email)s is reset; they set up a new one at their next "
                "sign-in.",
                email=user.email,
            ),
            "success",
        )
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
def change_role(user_id: int):
    """Give a user of the admin's organisation another role."""
    db = get_session()
    user = _managed_user(db, user_id)
    if user.id == current_user.id:
        abort(403)
    form = RoleForm(data={"role": user.role} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            accounts.change_role(db, current_user, user, form.role.data)
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(
                gettext("%(email)s is now %(role)s.", email=user.email, role=gettext(user.role)),
                "success",
            )
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/role.html", form=form, user=user), status


@bp.route("/grants", methods=["POST"])
def grant():
    """Grant a liaison of another organisation the cases of the admin's organisation."""
    db = get_session()
    home = _own_organisation(db, access.require_grant)
    form = GrantForm()
    if form.validate_on_submit():
        try:
            liaison = accounts.get_user_by_email(db, form.email.data)
            added = accounts.grant_organisation(db, current_user, liaison, home)
        except NotFound:
            db.rollback()
            form.email.errors = [gettext("No liaison has this e-mail address.")]
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            message = (
                gettext(
                    "%(email)s may now read the cases of %(code)s.",
                    email=liaison.email,
                    code=home.code,
                )
                if added
                else gettext(
                    "%(email)s already reads the cases of %(code)s.",
                    email=liaison.email,
                    code=home.code,
                )
            )
            flash(message, "success")
            return redirect(url_for("admin.users"))
    return _render_users(db, form), 422


@bp.route("/grants/<int:user_id>/withdraw", methods=["POST"])
def withdraw(user_id: int):
    """Withdraw a liaison's grant to the admin's organisation."""
    db = get_session()
    home = _own_organisation(db, access.require_grant)
    user = db.get(User, user_id)
    if user is None or not db.get(UserOrganisation, (user_id, home.id)):
        abort(404)
    if EmptyForm().validate_on_submit():
        accounts.withdraw_grant(db, current_user, user, home)
        db.commit()
        flash(
            gettext(
                "%(email)s no longer reads the cases of %(code)s.", email=user.email, code=home.code
            ),
            "success",
        )
    return redirect(url_for("admin.users"))


@bp.route("/organisations")
def organisations():
    """List every organisation with its kind (the installation admin)."""
    db = get_session()
    _require_installation_admin(db)
    rows = list(db.scalars(select(Organisation).order_by(Organisation.kind, Organisation.code)))
    return render_template(
        "admin/organisations.html",
        organisations=rows,
        enrollable=access.enrollable_organisation_ids(db, current_user, rows),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def create_organisation():
    """Add an organisation: code, name, country, time zone, language, contact and kind."""
    db = get_session()
    _require_installation_admin(db)
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = accounts.create_organisation(
                db,
                current_user,
                code=form.code.data,
                name=form.name.data,
                country=form.country.data,
                timezone=form.timezone.data,
                language=form.language.data,
                contact_email=form.contact_email.data or None,
                kind=form.kind.data,
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(gettext("Organisation %(code)s added.", code=org.code), "success")
            return redirect(url_for("admin.organisations"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organisation_form.html", form=form), status


@bp.route("/organisations/<int:organisation_id>/settings", methods=["GET", "POST"])
def organisation_settings(organisation_id: int):
    """Change an organisation's name, UN/LOCODE, time zone, language, contact and sign-in policy."""
    db = get_session()
    org = db.get(Organisation, organisation_id)
    if org is None or not access.can_edit_organisation(db, current_user, org):
        abort(404)
    form = OrganisationSettingsForm(obj=org if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            accounts.update_organisation(
                db,
                current_user,
                org,
                name=form.name.data,
                timezone=form.timezone.data,
                language=form.language.data,
                contact_email=form.contact_email.data,
                locode=form.locode.data,
                second_factor_required=form.second_factor_required.data,
            )
        except Invalid as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(gettext("The settings of %(code)s are saved.", code=org.code), "success")
            if access.can_manage_organisations(db, current_user):
                return redirect(url_for("admin.organisations"))
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organisation_settings.html", form=form, org=org), status


@bp.route("/organisations/<int:organisation_id>/enrolment", methods=["GET", "POST"])
def create_enrolment(organisation_id: int):
    """Make a one-time link by which an organisation's first admin enrols."""
    db = get_session()
    _require_installation_admin(db)
    org = db.get(Organisation, organisation_id) or abort(404)
    allowed = access.can_enrol_admin(db, current_user, org)
    form = EnrolmentForm()
    if allowed and form.validate_on_submit():
        hours = current_app.config["ENROLMENT_HOURS"]
        try:
            row, token = accounts.create_enrolment(
                db, current_user, org, email=form.email.data, name=form.name.data, hours=hours
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            link = url_for("enrolment.enrol", token=token, _external=True)
            return render_template(
                "admin/enrolment_link.html", organisation=org, enrolment=row, link=link
            )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/enrolment_form.html", form=form, organisation=org, allowed=allowed
    ), (status if allowed else 409)


# --- helpers ---------------------------------------------------------------------------------


def _managed_user(db, user_id: int) -> User:
    user = db.get(User, user_id) or abort(404)
    try:
        access.require_manage_user(db, current_user, user)
    except NotFound:
        abort(404)
    return user


def _own_organisation(db, require) -> Organisation:
    """Return the admin's organisation after ``require`` (an ``access`` check) allowed it."""
    home = db.get(Organisation, current_user.organisation_id)
    try:
        require(db, current_user, home)
    except AccessDenied:
        abort(403)
    return home


def _require_installation_admin(db) -> None:
    try:
        access.require_manage_organisations(db, current_user)
    except AccessDenied:
        abort(403)


def _errors_of(exc) -> dict:
    return getattr(exc, "errors", None) or exc.extra.get("errors") or {"": exc.detail}
