"""Report pages: issuing a report or an export (a form posting ``services.issuing``, as the
API does), partner reports (preview, issue), a report's page with its job's progress, reports
received, audited downloads, withdrawal, H2 permissions, the shared reading of a case, and
verifying a file.

Before a brief or a partner report is issued, its form shows every protected name met in
another entity's name or a free text, with a choice each (keep, mask the part, withhold): the
radio buttons are named ``redaction/<mention key>`` and posted as the request's ``redaction``.

The sharing rules and redaction live in ``services.sharing``; the report content in
``services.reports``; issuing in ``services.issuing``; these views parse the form, call them,
commit and respond.
"""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms import DateField
from wtforms import HiddenField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import Optional

from .. import access
from .. import jobs
from ..db import get_session
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..models import Organisation
from ..models import Role
from ..services import issuing
from ..services import reports as report_service
from ..services.cases import org_today
from ..services.pdf import Formatter
from . import apply_errors
from . import translate
from .forms import options

bp = Blueprint("reports", __name__)


class PartnerReportForm(FlaskForm):
    """Recipient, period, language and justification of a partner report."""

    to = SelectField(_l("Recipient organisation"), choices=[], validate_choice=False)
    year = StringField(
        _l("Year"), render_kw={"inputmode": "numeric", "maxlength": 4, "size": 5}
    )
    since = DateField(_l("First day"), validators=[Optional()])
    until = DateField(_l("Last day"), validators=[Optional()])
    language = SelectField(
        _l("Language"),
        choices=options(
            [("", _l("the recipient's (English when neither)")), ("en", "English"),
             ("fr", "Français")]
        ),
        validate_choice=False,
    )
    justification = TextAreaField(
        _l("Justification"),
        render_kw={"rows": 3, "maxlength": report_service.JUSTIFICATION_MAX},
        description=_l("Why this disclosure is made (legal basis, request, joint investigation)."),
    )


class PermissionForm(FlaskForm):
    """The provider's permission to pass an H2 case on to one recipient."""

    recipient = SelectField(_l("Recipient organisation"), choices=[], validate_choice=False)
    granted_by = StringField(
        _l("Granted by"),
        render_kw={"maxlength": 200},
        description=_l("Name and authority of the provider who gave the permission."),
    )
    granted_on = DateField(_l("Granted on"), validators=[Optional()])
    note = TextAreaField(_l("Note"), render_kw={"rows": 2, "maxlength": 2000})


class VerifyForm(FlaskForm):
    """A file and the report id it claims, to check against the register of issued reports."""

    report = StringField(
        _l("Report id"),
        render_kw={"maxlength": 16, "autocomplete": "off", "spellcheck": "false"},
        description=_l("As printed on the report's pages, such as R-000042."),
    )
    document = FileField(_l("File"))


class IssueForm(FlaskForm):
    """Issue a case brief or an export: what, of which case or organisation, and why."""

    kind = HiddenField()
    case = HiddenField()
    organisation = HiddenField()
    language = SelectField(
        _l("Language"),
        choices=options([("", _l("yours")), ("en", "English"), ("fr", "Français")]),
        validate_choice=False,
    )
    expand = BooleanField(_l("Also the entities one link out of the case"))
    justification = TextAreaField(
        _l("Justification"),
        render_kw={"rows": 3, "maxlength": report_service.JUSTIFICATION_MAX},
        description=_l("Why this file leaves the application (recorded with the disclosure)."),
    )


class WithdrawForm(FlaskForm):
    """Why an issued report is withdrawn."""

    reason = TextAreaField(
        _l("Reason"), render_kw={"rows": 2, "maxlength": report_service.JUSTIFICATION_MAX}
    )


@bp.before_request
@login_required
def _active_users_only():
    if not current_user.is_active:
        abort(403)


# --- issuing ---------------------------------------------------------------------------------

#: What each kind is called on its form.
KIND_LABELS = {
    "case_brief": _l("Case brief (PDF)"),
    "partner": _l("Partner report (PDF)"),
    "ftm": _l("FollowTheMoney (JSON lines)"),
    "gexf": _l("Network as GEXF (Gephi)"),
    "graphml": _l("Network as GraphML"),
    "diagram": _l("Network diagram (SVG)"),
    "open_data": _l("Open data (CSV)"),
}
#: What each status is called on pages.
STATUS_LABELS = {
    "pending": _l("being made"),
    "issued": _l("issued"),
    "failed": _l("failed: nothing was issued"),
    "withdrawn": _l("withdrawn"),
}


#: Where a protected name was met, as the preview says it (``services.reports.MENTION_FIELDS``).
MENTION_PLACES = {
    "name": _l("name of an entity"),
    "title": _l("case title"),
    "summary": _l("case summary"),
    "handling": _l("handling restriction"),
    "tags": _l("tags"),
    "decision": _l("a decision"),
    "details": _l("details of an entity"),
    "relation": _l("a relation"),
}
#: The prefix of the posted redaction choices: ``redaction/<mention key>`` = keep|mask|withhold.
CHOICE_PREFIX = "redaction/"


@bp.context_processor
def _labels():
    return {
        "report_kinds": KIND_LABELS,
        "report_statuses": STATUS_LABELS,
        "mention_places": MENTION_PLACES,
        "choice_prefix": CHOICE_PREFIX,
    }


@bp.route("/reports/issue", methods=["GET", "POST"])
def issue():
    """Show what a brief or an export holds and issue it (POST); the file is made by a job."""
    db = get_session()
    source = request.form if request.method == "POST" else request.args
    form = IssueForm(source)
    kind = source.get("kind")
    if kind not in KIND_LABELS or kind == "partner":
        abort(404)
    case = None
    if issuing.KINDS[kind].about == "case":
        case_id = source.get("case", type=int)
        if not case_id or not 0 < case_id < 2**62:
            abort(404)
        case = access.get_case(db, current_user, case_id)
    status = 200
    choices = _posted_choices() if kind == "case_brief" else {}
    if request.method == "POST" and form.validate():
        data = {
            "kind": kind,
            "case": case.id if case else None,
            "organisation": form.organisation.data or None,
            "language": form.language.data or None,
            "justification": form.justification.data or None,
            "expand": bool(form.expand.data) if kind in ("gexf", "graphml", "diagram") else False,
        }
        if choices:
            data["redaction"] = choices
        try:
            report, job = issuing.request_report(
                db, current_user, data, limits=issuing.Limits.from_config(current_app.config)
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            _apply_errors(form, getattr(exc, "errors", None) or {"": exc.detail})
            status = 422
        else:
            db.commit()
            jobs.start_job(job)
            return redirect(url_for("reports.detail", report_id=report.id))
    preview = None
    if kind == "case_brief":
        # What the brief must have confirmed: the protected names met (a brief that labels).
        try:
            preview = report_service.brief_preview(
                db, current_user, case, language=form.language.data or None, choices=choices
            )
        except Invalid as exc:
            db.rollback()
            if status == 200:
                apply_errors(form, exc.errors)
                status = 422
        else:
            db.commit()  # the consultation of the case, when its texts were read
    return render_template(
        "reports_ui/issue.html",
        form=form,
        kind=kind,
        label=KIND_LABELS[kind],
        case=case,
        preview=preview,
        redaction_errors=_redaction_errors(form),
    ), status


# --- partner report --------------------------------------------------------------------------


@bp.route("/reports/partner", methods=["GET", "POST"])
def partner():
    """Choose a recipient and a period, preview what goes and what is withheld, generate."""
    if not access.can_read_cases(current_user):
        abort(403)
    db = get_session()
    form = PartnerReportForm(request.form if request.method == "POST" else None)
    form.to.choices = _organisation_options(report_service.recipient_choices(db, current_user))
    org = db.get(Organisation, current_user.organisation_id)
    if request.method == "GET":
        form.year.data = form.year.data or str(org_today(org).year)
        return render_template("reports_ui/partner.html", form=form, preview=None)
    choices = _posted_choices()
    status = 200
    if request.form.get("action") == "generate":
        data = {
            "kind": "partner",
            "to": form.to.data,
            "year": form.year.data,
            "since": form.since.data,
            "until": form.until.data,
            "language": form.language.data or None,
            "justification": form.justification.data,
            "redaction": choices,
        }
        try:
            report, job = issuing.request_report(
                db, current_user, data, limits=issuing.Limits.from_config(current_app.config)
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            _apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
            status = 422
        else:
            db.commit()
            jobs.start_job(job)
            return redirect(url_for("reports.detail", report_id=report.id))
    # The preview, also under a refused request: the choices made stay on the page.
    try:
        period = report_service.parse_period(
            form.year.data, form.since.data, form.until.data, today=org_today(org)
        )
        preview = report_service.partner_preview(
            db,
            current_user,
            form.to.data,
            period,
            language=form.language.data or None,
            choices=choices,
        )
    except (Invalid, Conflict) as exc:
        db.rollback()
        if status == 200:
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
            status = 422
        preview = None
    else:
        db.commit()  # the consultation of the cases read
    return render_template(
        "reports_ui/partner.html",
        form=form,
        preview=preview,
        redaction_errors=_redaction_errors(form),
        fmt=Formatter(str(get_locale()), org.timezone),
    ), status


# --- reports issued and received -------------------------------------------------------------


@bp.route("/reports/")
def index():
    """List the reports the user's organisation issued (partner reports, the user's briefs)."""
    db = get_session()
    if current_user.role == Role.PARTNER.value:
        return redirect(url_for("reports.received"))
    reports = issuing.issued_reports(db, current_user)
    return render_template(
        "reports_ui/index.html",
        reports=[issuing.report_as_dict(db, r) for r in reports],
        fmt=_formatter(db),
    )


@bp.route("/reports/received")
def received():
    """List the partner reports addressed to the user's organisation."""
    db = get_session()
    reports = issuing.received_reports(db, current_user)
    return render_template(
        "reports_ui/received.html",
        organisation=db.get(Organisation, current_user.organisation_id),
        reports=[issuing.report_as_dict(db, r) for r in reports],
        fmt=_formatter(db),
    )


@bp.route("/reports/<int:report_id>")
def detail(report_id: int):
    """Show a report: its progress while its job runs, then to whom, when, its SHA-256."""
    db = get_session()
    report = issuing.get_report(db, current_user, report_id)
    shape = issuing.report_as_dict(db, report)
    can_withdraw = shape["status"] == "issued" and (
        report.created_by_id == current_user.id
        or (
            report.kind == "partner"
            and report.issuing_organisation_id == current_user.organisation_id
            and current_user.role == Role.OFFICER.value
        )
    )
    return render_template(
        "reports_ui/detail.html",
        report=shape,
        label=KIND_LABELS[report.kind],
        status_url=url_for("api.job", job_id=report.job_id) if report.job_id else None,
        withdraw_form=WithdrawForm() if can_withdraw else None,
        fmt=_formatter(db),
    )


@bp.route("/reports/<int:report_id>/download")
def download(report_id: int):
    """Send an issued report's file (audited as a consultation)."""
    db = get_session()
    try:
        path, name, mimetype = issuing.report_for_download(
            db, current_user, report_id, current_app.config["FILES_DIR"]
        )
    except Conflict as exc:
        flash(exc.detail, "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    db.commit()
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/reports/<int:report_id>/withdraw", methods=["POST"])
def withdraw(report_id: int):
    """Withdraw an issued report, with a reason (audited; the recipient sees it)."""
    db = get_session()
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        report = issuing.withdraw_report(db, current_user, report_id, form.reason.data)
    except (Invalid, Conflict) as exc:
        db.rollback()
        flash(translate(next(iter(exc.errors.values()))) if isinstance(exc, Invalid)
              else exc.detail, "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    db.commit()
    flash(gettext("Report %(number)s withdrawn.", number=report.number), "success")
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.route("/reports/verify", methods=["GET", "POST"])
def verify():
    """Check whether a file is the report it claims to be, by its SHA-256 (never parsed)."""
    form = VerifyForm()
    result = None
    status = 200
    db = get_session()
    if form.validate_on_submit():
        upload = form.document.data
        try:
            number = issuing.parse_report_number(form.report.data)
            if not upload:
                raise Invalid({"document": Msg("is required: choose the file to verify")})
            digest, _size = issuing.hash_stream(
                upload.stream, current_app.config["VERIFY_MAX_BYTES"]
            )
        except Invalid as exc:
            apply_errors(form, {k.replace("file", "document"): v for k, v in exc.errors.items()})
            status = 422
        else:
            result = issuing.verify_report(db, current_user, number, digest)
            db.commit()
    return render_template(
        "reports_ui/verify.html", form=form, result=result, fmt=_formatter(db)
    ), status


# --- H2 permissions --------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/permissions", methods=["GET", "POST"])
def permissions(case_id: int):
    """List and record the provider's permissions to pass an H2 case on."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    form = PermissionForm()
    form.recipient.choices = _organisation_options(
        report_service.recipient_choices(db, current_user)
    )
    status = 200
    if form.validate_on_submit():
        data = {
            "recipient": form.recipient.data,
            "granted_by": form.granted_by.data,
            "granted_on": form.granted_on.data,
            "note": form.note.data,
        }
        try:
            report_service.record_permission(db, current_user, case, data)
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
            status = 422
        else:
            db.commit()
            flash(gettext("Permission recorded."), "success")
            return redirect(url_for("reports.permissions", case_id=case.id))
    return render_template(
        "reports_ui/permissions.html",
        case=case,
        form=form,
        can_edit=access.can_edit_case(current_user, case),
        permissions=[
            report_service.permission_as_dict(db, permission)
            for permission in report_service.permissions_of(db, case)
        ],
    ), status


# --- shared reading --------------------------------------------------------------------------


@bp.route("/shared/cases/")
def shared_index():
    """List the cases other organisations shared with the user's, readable here."""
    if not access.can_read_cases(current_user):
        abort(403)
    db = get_session()
    return render_template(
        "reports_ui/shared_index.html",
        cases=report_service.shared_case_list(db, current_user),
    )


@bp.route("/shared/cases/<int:case_id>")
def shared_case(case_id: int):
    """Read a case shared with the user's organisation: read-only, redacted as for partners."""
    db = get_session()
    context = report_service.shared_case_context(
        db, current_user, case_id, language=str(get_locale())
    )
    db.commit()
    return render_template(
        "reports_ui/shared_case.html",
        **context,
        fmt=Formatter(str(get_locale()), context["issuer"]["timezone"]),
    )


# --- helpers ---------------------------------------------------------------------------------


def _posted_choices() -> dict:
    """The redaction choices of the posted form: mention key → keep, mask or withhold."""
    if request.method != "POST":
        return {}
    return {
        name.removeprefix(CHOICE_PREFIX): value
        for name, value in request.form.items()
        if name.startswith(CHOICE_PREFIX)
    }


def _apply_errors(form, errors: dict) -> None:
    """Put a service's errors on the form; those about a redaction choice (``redaction.<key>``)
    also beside that choice (``form.redaction_errors``)."""
    choices = {k: v for k, v in errors.items() if k.startswith("redaction.")}
    form.redaction_errors = {
        key.removeprefix("redaction."): translate(message) for key, message in choices.items()
    }
    apply_errors(form, {k: v for k, v in errors.items() if k not in choices})
    for message in dict.fromkeys(form.redaction_errors.values()):
        form.form_errors.append(message)


def _redaction_errors(form) -> dict:
    """The errors about redaction choices, by mention key, to show beside each choice."""
    return getattr(form, "redaction_errors", {})


def _organisation_options(orgs):
    return options([("", "—")] + [(o.code, f"{o.code} — {o.name}") for o in orgs])


def _formatter(db) -> Formatter:
    org = db.get(Organisation, current_user.organisation_id)
    return Formatter(str(get_locale()), org.timezone)
