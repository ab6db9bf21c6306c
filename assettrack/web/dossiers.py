"""The screening dossier of a case: its form, its countdown, and the dashboard panel."""

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
from wtforms import FieldList
from wtforms import FormField
from wtforms import HiddenField
from wtforms import SelectField
from wtforms import StringField
from wtforms.widgets import DateInput

from .. import access
from ..db import get_session
from ..domain.screening_clock import Measure
from ..domain.screening_clock import Outcome
from ..dossier_shapes import MAX_SUSPENSIONS
from ..errors import Conflict
from ..errors import Invalid
from ..services import dossiers as dossier_service
from . import apply_errors
from . import case_readers_only
from . import translate
from .forms import options

bp = Blueprint("dossiers", __name__)

_DATE = {"placeholder": "YYYY-MM-DD"}

OUTCOME_LABELS = {
    Outcome.SERIOUS_RISK: _l("serious risk"),
    Outcome.LESSER_RISK: _l("lesser risk (permit with conditions)"),
    Outcome.NO_RISK: _l("no risk"),
}
MEASURE_LABELS = {
    Measure.REFUSAL: _l("refusal"),
    Measure.CONDITIONS: _l("conditions attached"),
    Measure.WITHDRAWAL: _l("withdrawal"),
    Measure.CLOSURE: _l("closure"),
}
DATE_FIELDS = ("received_on", "advice_requested_on", "advice_received_on", "decided_on")


def _date(label, description=None):
    return StringField(label, widget=DateInput(), render_kw=_DATE, description=description)


class SuspensionForm(FlaskForm):
    """One round of questions to the applicant."""

    class Meta:
        csrf = False

    questions_sent_on = _date(_l("Questions sent on"))
    answered_on = _date(_l("Answered on"), _l("Empty while the applicant has not answered."))


class DossierForm(FlaskForm):
    """The screening of a permit application (Bibob-style)."""

    permit = StringField(
        _l("Permit applied for"),
        render_kw={"maxlength": 200},
        description=_l("For example: operating licence for a bar, Witte de Withstraat 12."),
    )
    procedure = SelectField(_l("Procedure"), choices=[], validate_choice=False)
    received_on = _date(_l("Application received on"))
    decision_term = StringField(
        _l("Decision term of the permit"),
        render_kw={"inputmode": "numeric", "size": 4},
        description=_l("In the procedure's unit; empty for the procedure's default."),
    )
    advice_requested_on = _date(_l("Advice requested from the national bureau on"))
    extensions = SelectField(_l("Advice term extended"), choices=[], validate_choice=False)
    advice_received_on = _date(_l("Advice received on"))
    suspensions = FieldList(FormField(SuspensionForm), min_entries=0, max_entries=MAX_SUSPENSIONS)
    outcome = SelectField(_l("Outcome"), choices=[], validate_choice=False)
    measure = SelectField(_l("Measure taken"), choices=[], validate_choice=False)
    decided_on = _date(_l("Decided on"))
    version = HiddenField()


case_readers_only(bp)


@bp.app_context_processor
def _panel():
    """The dashboard's panel of screening countdowns, computed only where it is included."""

    def screening_countdowns():
        # Outside a request (a PDF rendered by a job) there is no user: no panel.
        if not getattr(current_user, "is_authenticated", False):
            return []
        if not access.can_read_cases(current_user):
            return []
        return dossier_service.open_dossiers(get_session(), current_user, limit=10)

    return {"screening_countdowns": screening_countdowns}


@bp.route("/cases/<int:case_id>/dossier", methods=["GET", "POST"])
def dossier(case_id: int):
    """Show the case's screening dossier with its countdown; record or change it."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    can_edit = access.can_edit_case(current_user, case)
    stored = dossier_service.read_dossier(db, current_user, case)
    procedures = dossier_service.procedures_of(db, case.organisation_id)
    form = DossierForm(data=_form_data(stored) if request.method == "GET" else None)
    _choices(form, procedures)
    status = 200
    if request.method == "POST":
        if not can_edit:
            abort(403)
        status = 422
        if form.validate_on_submit():
            try:
                dossier_service.save_dossier(db, current_user, case, _payload(form))
            except (Invalid, Conflict) as exc:
                db.rollback()
                status = exc.status
                _apply(form, exc)
            else:
                db.commit()
                flash(gettext("Screening dossier saved."), "success")
                return redirect(url_for("dossiers.dossier", case_id=case.id))
    else:
        db.commit()  # the consultation entry
    if len(form.suspensions) < MAX_SUSPENSIONS and (
        not form.suspensions.entries or form.suspensions.entries[-1].questions_sent_on.data
    ):
        form.suspensions.append_entry()
    return (
        render_template(
            "dossiers/dossier.html",
            case=case,
            dossier=stored,
            form=form,
            can_edit=can_edit,
            procedures=procedures,
            outcome_labels=OUTCOME_LABELS,
            measure_labels=MEASURE_LABELS,
        ),
        status,
    )


# --- helpers ---------------------------------------------------------------------------------


def _choices(form, procedures):
    form.procedure.choices = options((code, code) for code in procedures)
    allowed = max(p.extensions_allowed for p in procedures.values())
    form.extensions.choices = options(
        [("0", gettext("no"))] + [(str(n), str(n)) for n in range(1, allowed + 1)]
    )
    for select, labels in ((form.outcome, OUTCOME_LABELS), (form.measure, MEASURE_LABELS)):
        select.choices = options([("", "—")] + [(k.value, text) for k, text in labels.items()])


def _form_data(stored):
    if stored is None:
        return {"procedure": "bibob", "extensions": "0"}
    data = {k: stored[k] for k in ("permit", "procedure", "outcome", "measure", "version")}
    data.update({k: stored[k] or "" for k in DATE_FIELDS})
    data["decision_term"] = "" if stored["decision_term"] is None else str(stored["decision_term"])
    data["extensions"] = str(stored["extensions"])
    data["suspensions"] = [
        {"questions_sent_on": s["questions_sent_on"], "answered_on": s["answered_on"] or ""}
        for s in stored["suspensions"]
    ]
    return data


def _payload(form) -> dict:
    def text(value):
        return value.strip() or None if isinstance(value, str) else value

    payload = {name: text(getattr(form, name).data) for name in DATE_FIELDS}
    payload["permit"] = text(form.permit.data)
    payload["procedure"] = text(form.procedure.data) or "bibob"
    term = text(form.decision_term.data)
    payload["decision_term"] = int(term) if term and term.isdigit() and len(term) < 6 else term
    payload["extensions"] = (
        int(form.extensions.data or 0) if str(form.extensions.data).isdigit() else 0
    )
    payload["outcome"] = text(form.outcome.data)
    payload["measure"] = text(form.measure.data)
    version = text(form.version.data)
    payload["version"] = (
        int(version) if version and version.isdigit() and len(version) < 10 else None
    )
    payload["suspensions"] = [
        {
            "questions_sent_on": text(e.questions_sent_on.data),
            "answered_on": text(e.answered_on.data),
        }
        for e in form.suspensions.entries
        if text(e.questions_sent_on.data) or text(e.answered_on.data)
    ]
    return payload


def _apply(form, exc):
    errors = getattr(exc, "errors", None) or {}
    plain = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "suspensions" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(form.suspensions.entries):
                target = getattr(form.suspensions.entries[index].form, parts[2], None)
                if target is not None:
                    target.errors = [*list(target.errors or []), translate(message)]
                    continue
        plain[parts[0]] = message
    apply_errors(form, plain)
    if not errors:
        form.form_errors.append(translate(exc.detail))
