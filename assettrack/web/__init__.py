"""HTML pages: thin views over the services, one blueprint per area."""

from flask import render_template
from flask import request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

from ..errors import DomainError
from ..errors import Msg

__all__ = ["init_app", "translate", "apply_errors", "case_readers_only"]


def translate(message) -> str:
    """Translate a service message (``Msg``) or plain text into the user's language."""
    if isinstance(message, Msg):
        text = gettext(message.msgid)
        params = {k: _translated_param(v) for k, v in message.params.items()}
        return text.format(**params) if params else text
    return gettext(str(message)) if message else ""


def _translated_param(value):
    # A message inside a message, or an FtM label (through the ftm catalogue).
    from ..domain.schema import Label
    from ..i18n import ftm_label

    if isinstance(value, Label):
        return value.shown(ftm_label)
    return translate(value) if isinstance(value, Msg) else value


def case_readers_only(blueprint) -> None:
    """Let only the users who read cases (officers, liaisons) into ``blueprint``: sign-in first,
    then 403 for every other role (partners, auditors, admins)."""
    from flask import abort
    from flask_login import current_user
    from flask_login import login_required

    from .. import access

    @blueprint.before_request
    @login_required
    def _readers_only():
        if not access.can_read_cases(current_user):
            abort(403)


def apply_errors(form, errors: dict) -> None:
    """Put each service error beside its form field (or on the form when it has no field)."""
    for field, message in errors.items():
        name = field.replace("organisations", "organisation_codes")
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors or []), translate(message)]
        else:
            form.form_errors.append(translate(message))


def init_app(app):
    """Register the page blueprints, template helpers and error pages."""
    from . import account
    from . import admin
    from . import attachments
    from . import audit_log
    from . import auth
    from . import cases
    from . import comments
    from . import dashboard
    from . import dossiers
    from . import duplicates
    from . import enrolment
    from . import entities
    from . import form_pages
    from . import imports
    from . import jobs
    from . import main
    from . import network
    from . import notifications
    from . import reports
    from . import search
    from . import tasks
    from . import watchlist
    from .forms import label
    from .forms import schema_label

    for module in (
        auth,
        account,
        main,
        dashboard,
        cases,
        network,
        duplicates,
        reports,
        admin,
        audit_log,
        jobs,
        imports,
        enrolment,
        notifications,
        entities,
        watchlist,
        search,
        dossiers,
        attachments,
        comments,
        tasks,
    ):
        app.register_blueprint(module.bp)
    app.jinja_env.globals["translate"] = translate
    app.jinja_env.globals["schema_label"] = schema_label
    app.jinja_env.filters["tlp_class"] = _tlp_class
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["isodate"] = _isodate
    app.jinja_env.filters["readable_json"] = _readable_json
    app.register_error_handler(CSRFError, _csrf_error)
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page)
    app.register_error_handler(DomainError, _domain_error)
    form_pages.init_app(app)


def _isodate(value):
    """A date written YYYY-MM-DD (as the services' dicts carry it) as a date, for dateformat."""
    from datetime import date

    return date.fromisoformat(value) if isinstance(value, str) else value


def _readable_json(value) -> str:
    """Compact JSON (an audit entry's details) spaced after commas and colons, so it wraps."""
    import json

    if value is None:
        return ""
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))


def _tlp_class(tlp: str) -> str:
    return "tlp-" + (tlp or "").lower().replace("+", "-")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _csrf_error(exc):
    if _wants_json():
        from ..api.problems import problem

        return problem(400, gettext("The CSRF token is missing or invalid."))
    return render_template(
        "errors/error.html",
        code=400,
        message=gettext(
            "The form expired or was not sent from this site. Go back, reload it and try again."
        ),
    ), 400


def _domain_error(exc: DomainError):
    if _wants_json():
        from ..api.problems import problem_from

        return problem_from(exc)
    return render_template("errors/error.html", code=exc.status, message=translate(exc.detail)), (
        exc.status
    )


def _error_page(exc):
    code = getattr(exc, "code", 500) or 500
    if _wants_json():
        from ..api.problems import problem

        return problem(code, getattr(exc, "description", None))
    messages = {
        400: gettext("The request could not be understood."),
        403: gettext("You are not allowed to do this."),
        404: gettext("There is nothing here, or it is outside what you may see."),
        405: gettext("This address does not accept that kind of request."),
        413: gettext("The file is too large."),
        500: gettext("Something went wrong on our side. The error was logged."),
    }
    return render_template("errors/error.html", code=code, message=messages.get(code, "")), code
