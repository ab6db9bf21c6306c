"""Report pages: case briefs, partner reports (preview, generate), reports received by partners,
their audited downloads, H2 permissions, the shared reading of a case, and verifying a PDF.

The sharing rules and redaction live in ``services.sharing``; the report content in
``services.reports``; these views parse the form, call them, commit and respond.
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
from wtforms import DateField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import Optional

from .. import access
from .. import jobs
from ..db import get_session
from ..errors import Conflict
from ..errors import Invalid
from ..models import Organisation
from ..models import Role
from ..reports import Formatter
from ..services import reports as report_service
from ..services.cases import org_today
from . import apply_errors
from .forms import options

bp = Blueprint("reports", __name__)

_PDF = "application/pdf"


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
    """A PDF to check against the register of issued reports."""

    document = FileField(_l("PDF file"))


@bp.before_request
@login_required
def _active_users_only():
    if not current_user.is_active:
        abort(403)


# --- case brief ------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/brief.pdf")
def case_brief(case_id: int):
    """Make the PDF brief of a case (logged as a disclosure to the user)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    context = report_service.case_brief_context(
        db, current_user, case, language=request.args.get("language") or str(get_locale())
    )
    issued = report_service.issue_report(
        db, current_user, context, files_dir=current_app.config["FILES_DIR"]
    )
    db.commit()
    return _send(issued.pdf, report_service.report_file_name(db, issued.report))


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
    generate = request.form.get("action") == "generate"
    try:
        period = report_service.parse_period(
            form.year.data, form.since.data, form.until.data, today=org_today(org)
        )
        context = report_service.partner_report_context(
            db,
            current_user,
            form.to.data,
            period,
            language=form.language.data or None,
            justification=form.justification.data if generate else None,
            with_content=generate,
        )
        if generate:
            return _generate(db, context, form, period)
    except (Invalid, Conflict) as exc:
        db.rollback()
        apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
        return render_template("reports_ui/partner.html", form=form, preview=None), 422
    return render_template(
        "reports_ui/partner.html",
        form=form,
        preview=context,
        fmt=Formatter(str(get_locale()), org.timezone),
    )


def _generate(db, context, form, period):
    files_dir = current_app.config["FILES_DIR"]
    if len(context["cases"]) > report_service.LARGE_REPORT_CASES and not (
        report_service.is_cached(db, current_user, context, files_dir)
    ):
        job = jobs.create_job(
            db,
            current_user,
            "partner_report",
            report_service.job_params(context, period),
        )
        db.commit()
        jobs.start_job(job)
        flash(gettext("The report is being made; it will be ready to download here."), "info")
        return redirect(url_for("jobs.detail", job_id=job.id))
    issued = report_service.issue_report(db, current_user, context, files_dir=files_dir)
    db.commit()
    flash(
        gettext("Report %(number)s issued to %(code)s.", number=issued.report.number,
                code=context["recipient"]["code"]),
        "success",
    )
    return redirect(url_for("reports.detail", report_id=issued.report.id))


# --- reports issued and received -------------------------------------------------------------


@bp.route("/reports/")
def index():
    """List the reports the user's organisation issued (partner reports, the user's briefs)."""
    db = get_session()
    if current_user.role == Role.PARTNER.value:
        return redirect(url_for("reports.received"))
    reports = report_service.issued_reports(db, current_user)
    return render_template(
        "reports_ui/index.html",
        reports=[report_service.report_as_dict(db, r) for r in reports],
        fmt=_formatter(db),
    )


@bp.route("/reports/received")
def received():
    """List the partner reports addressed to the user's organisation."""
    db = get_session()
    reports = report_service.received_reports(db, current_user)
    return render_template(
        "reports_ui/received.html",
        organisation=db.get(Organisation, current_user.organisation_id),
        reports=[report_service.report_as_dict(db, r) for r in reports],
        fmt=_formatter(db),
    )


@bp.route("/reports/<int:report_id>")
def detail(report_id: int):
    """Show an issued report: to whom, when, which cases, its SHA-256 and the download."""
    db = get_session()
    report = report_service.get_report(db, current_user, report_id)
    return render_template(
        "reports_ui/detail.html", report=report_service.report_as_dict(db, report),
        fmt=_formatter(db),
    )


@bp.route("/reports/<int:report_id>/download")
def download(report_id: int):
    """Send an issued report (logged as a disclosure to the user who fetched it)."""
    db = get_session()
    path, name = report_service.report_for_download(
        db, current_user, report_id, current_app.config["FILES_DIR"]
    )
    db.commit()
    return send_file(path, mimetype=_PDF, as_attachment=True, download_name=name)


@bp.route("/reports/verify", methods=["GET", "POST"])
def verify():
    """Check whether a PDF was issued by assettrack, to whom and when, or was modified."""
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        upload = form.document.data
        data = upload.read() if upload else b""
        if not data:
            form.document.errors = [gettext("Choose a PDF file.")]
        else:
            result = report_service.verify_report(get_session(), data)
    return render_template(
        "reports_ui/verify.html", form=form, result=result, fmt=_formatter(get_session())
    )


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


def _send(pdf: bytes, name: str):
    from io import BytesIO

    return send_file(BytesIO(pdf), mimetype=_PDF, as_attachment=True, download_name=name)


def _organisation_options(orgs):
    return options([("", "—")] + [(o.code, f"{o.code} — {o.name}") for o in orgs])


def _formatter(db) -> Formatter:
    org = db.get(Organisation, current_user.organisation_id)
    return Formatter(str(get_locale()), org.timezone)
