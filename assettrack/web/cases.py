"""Case pages: list, open, read, change; the case's entities, relations and decisions; assets.

Each form has its own page (``GET`` shows it, ``POST`` records and redirects to the case, or
shows it again with each error beside its field and a 422). The small forms of a decision
(annul, attach the order document) are also offered inline on the case page.
"""

import json
import unicodedata

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
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..db import get_session
from ..domain import schema as ftm_schema
from ..errors import Conflict
from ..errors import Invalid
from ..i18n import ftm_label
from ..models import TLP
from ..models import CaseStatus
from ..models import Organisation
from ..models import Role
from ..models import User
from ..routing import page_number
from ..services import case_view
from ..services import cases as case_service
from ..services import decisions as decision_service
from ..services import entities as entity_service
from . import apply_errors
from . import case_readers_only
from . import translate
from .forms import DECISION_FIELDS
from .forms import ENTITY_SCHEMA_CHOICES
from .forms import AnnulForm
from .forms import CaseForm
from .forms import DecisionActionForm
from .forms import DecisionForm
from .forms import DocumentForm
from .forms import EntitySchemaForm
from .forms import LedgerForm
from .forms import LinkEntityForm
from .forms import ManagerForm
from .forms import RelationForm
from .forms import ValuationForm
from .forms import entity_form
from .forms import options
from .forms import property_field_name
from .forms import schema_label
from .timeline import case_timeline

# No url_prefix: the blueprint serves /cases/... and the assets the cases hold, /assets/<id>.
bp = Blueprint("cases", __name__)


case_readers_only(bp)


@bp.route("/cases/")
def index():
    """List the cases the user may read, filtered, sorted and paginated."""
    db = get_session()
    args = request.args
    status = args.get("status") if args.get("status") in {s.value for s in CaseStatus} else None
    tlp = args.get("tlp") if args.get("tlp") in {t.value for t in TLP} else None
    sort = args.get("sort") if args.get("sort") in case_service.SORTABLE else "updated_at"
    descending = args.get("dir", "desc") != "asc"
    page = page_number(args)
    size = current_app.config["PAGE_SIZE"]
    q = (args.get("q") or "").strip()[:200]
    items, total = case_service.search_cases(
        db,
        current_user,
        q=q,
        status=status,
        tlp=tlp,
        sort=sort,
        descending=descending,
        limit=size,
        offset=(page - 1) * size,
    )
    orgs = {o.id: o for o in db.scalars(select(Organisation))}
    return render_template(
        "cases/index.html",
        cases=items,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filters={"q": q, "status": status or "", "tlp": tlp or ""},
        sort=sort,
        descending=descending,
        orgs=orgs,
        stages=case_service.case_stages(db, [c.id for c in items]),
        can_create=access.can_create_case(current_user),
        statuses=[s.value for s in CaseStatus],
        tlps=[t.value for t in TLP],
    )


@bp.route("/cases/new", methods=["GET", "POST"])
def create():
    """Open a new case in the officer's organisation."""
    if not access.can_create_case(current_user):
        abort(403)
    db = get_session()
    form = CaseForm()
    del form.status  # a new case is open; the status is chosen on later edits
    _fill_choices(db, form, current_user.organisation_id)
    if request.method == "GET":
        form.assigned_officer.data = str(current_user.id)
    if form.validate_on_submit():
        try:
            case = case_service.create_case(db, current_user, _form_data(form, creating=True))
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
        else:
            db.commit()
            flash(gettext("Case %(ref)s opened.", ref=case.reference), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("cases/form.html", form=form, case=None), status


@bp.route("/cases/<int:case_id>")
def detail(case_id: int):
    """Show a case with its assets, entities, relations and decisions; the reading is logged."""
    db = get_session()
    case = case_service.read_case(db, current_user, case_id, via="page")
    page = case_view.case_page(
        db,
        current_user,
        case,
        page_size=current_app.config["CASE_PAGE_SIZE"],
        after={
            name: request.args.get(f"{name}_after", type=int)
            for name in ("assets", "entities", "relations", "decisions")
        },
    )
    db.commit()
    return render_template(
        "cases/detail.html",
        case=case,
        data=case_service.case_as_dict(db, case),
        page=page,
        timeline=case_timeline(case, page),
        organisation=db.get(Organisation, case.organisation_id),
        can_edit=access.can_edit_case(current_user, case),
        can_view_audit=access.can_view_audit(current_user),
        annul_form=AnnulForm(),
        document_form=DocumentForm(),
    )


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    """Change a case's title, summary, marking, sharing, officer, tags or status."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    form = CaseForm(obj=case)
    _fill_choices(db, form, case.organisation_id)
    if request.method == "GET":
        data = case_service.case_as_dict(db, case)
        form.shared_with.data = data["shared_with"]
        form.tags.data = ", ".join(data["tags"])
        form.assigned_officer.data = str(case.assigned_officer_id or "")
    if form.validate_on_submit():
        try:
            case_service.update_case(db, current_user, case, _form_data(form, creating=False))
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
        else:
            db.commit()
            flash(gettext("Case %(ref)s saved.", ref=case.reference), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("cases/form.html", form=form, case=case), status


@bp.route("/cases/<int:case_id>/entities/new", methods=["GET", "POST"])
def add_entity(case_id: int):
    """Add a new entity to the case: first its type (``?schema=``), then its properties."""
    db = get_session()
    case = _editable_case(db, case_id)
    chooser = EntitySchemaForm(request.args)
    chooser.schema.choices = _schema_options()
    name = request.args.get("schema", "")
    if name not in _ENTITY_SCHEMATA:
        if name:
            chooser.schema.errors = [gettext("Choose a type from the list.")]
        status = 422 if name or request.method == "POST" else 200
        return render_template(
            "cases/entity_form.html", case=case, chooser=chooser, form=None, schema=None
        ), status
    form = entity_form(name)
    for field in form:
        if field.type == "SelectField" and field.name.startswith("prop_"):
            field.choices = _country_options()
    existing = None
    if form.validate_on_submit():
        data = _entity_data(form, name)
        # The offer of an entity holding the same identifier: link it, or say why not.
        for choice in ("link_existing", "create_anyway"):
            data[choice] = request.form.get(choice) == "1"
        data["reason"] = (request.form.get("reason") or "").strip()[:2000] or None
        try:
            link = entity_service.add_entity_to_case(
                db, current_user, case, data, offer_existing=True
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            existing = exc.extra.get("existing")
            apply_errors(form, _property_errors(_errors_of(exc)))
        else:
            similar = entity_service.similar_names(
                db, case.organisation_id, name, data["properties"], but=link.entity_id
            )
            db.commit()
            flash(gettext("%(name)s added to the case.", name=_caption(db, link)), "success")
            if similar:
                flash(
                    gettext(
                        "Similar names already recorded: %(names)s. If one is the same, merge"
                        " them on the Duplicates page.",
                        names="; ".join(
                            f"{s['name']} ({', '.join(s['cases']) or '—'})" for s in similar
                        ),
                    ),
                    "info",
                )
            return redirect(url_for("cases.detail", case_id=case_id, _anchor="entities"))
    return render_template(
        "cases/entity_form.html",
        case=case,
        chooser=chooser,
        form=form,
        schema=ftm_schema.get_schema(name),
        existing=existing,
    ), _status()


@bp.route("/cases/<int:case_id>/entities/link", methods=["GET", "POST"])
def link_entity(case_id: int):
    """Link an entity already recorded in the organisation, found by name or identifier."""
    db = get_session()
    case = _editable_case(db, case_id)
    q = (request.args.get("q") or "").strip()[:200]
    form = LinkEntityForm()
    results = []
    if q:
        found, _total = entity_service.search_entities(db, current_user, q=q, limit=25)
        in_case = {e["entity_id"] for e in case_view.case_entities(db, current_user, case)}
        results = [
            e for e in found if e.id not in in_case and e.organisation_id == case.organisation_id
        ]
    form.entity_id.choices = options((str(e.id), e.caption) for e in results)
    if form.validate_on_submit():
        data = {
            "entity_id": form.entity_id.data or "",
            "role": form.role.data,
            "source_grade": form.source_grade.data,
            "info_grade": form.info_grade.data,
            "as_asset": form.as_asset.data,
            "note": (form.note.data or "").strip() or None,
        }
        if not data["entity_id"]:
            form.entity_id.errors = [gettext("Choose an entity in the search results.")]
        else:
            try:
                link = entity_service.add_entity_to_case(db, current_user, case, data)
            except (Invalid, Conflict) as exc:
                db.rollback()
                apply_errors(form, _errors_of(exc))
            else:
                db.commit()
                flash(gettext("%(name)s linked to the case.", name=_caption(db, link)), "success")
                return redirect(url_for("cases.detail", case_id=case_id, _anchor="entities"))
    return render_template(
        "cases/link_form.html", case=case, form=form, q=q, results=results
    ), _status()


@bp.route("/cases/<int:case_id>/relations/new", methods=["GET", "POST"])
def add_relation(case_id: int):
    """Record a relation (ownership, directorship, payment...) between two entities of the case."""
    db = get_session()
    case = _editable_case(db, case_id)
    entities = case_view.case_entities(db, current_user, case)
    form = RelationForm()
    choices = options(
        [("", "—")]
        + [(str(e["entity_id"]), f"{e['name']} — {schema_label(e['schema'])}") for e in entities]
    )
    form.source.choices = form.target.choices = choices
    if form.validate_on_submit():
        data = {name: _text(form[name].data) for name in _RELATION_FIELDS}
        try:
            entity_service.create_relation(db, current_user, data)
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(gettext("Relation recorded."), "success")
            return redirect(url_for("cases.detail", case_id=case_id, _anchor="relations"))
    return render_template(
        "cases/relation_form.html", case=case, form=form, entity_count=len(entities)
    ), _status()


@bp.route("/cases/<int:case_id>/decisions/new", methods=["GET", "POST"])
def record_decision(case_id: int):
    """Record one decision (``?action=``) on one or more of the case's assets, all or none."""
    db = get_session()
    case = _editable_case(db, case_id)
    org = db.get(Organisation, case.organisation_id)
    assets = case_view.case_assets(db, case, case_service.org_today(org))
    chooser = DecisionActionForm(request.args)
    action = request.args.get("action", "")
    if action not in DECISION_FIELDS:
        status = 422 if action or request.method == "POST" else 200
        if action:
            chooser.action.errors = [gettext("Choose an action from the list.")]
        return render_template(
            "cases/decision_form.html", case=case, chooser=chooser, form=None, assets=assets
        ), status
    form = DecisionForm()
    form.asset_ids.choices = options((str(a["id"]), a["name"]) for a in assets)
    if request.method == "GET":
        form.asset_ids.data = request.args.getlist("asset")
    values = {
        str(a["id"]): (request.form.get(f"value_{a['id']}") or "").strip()[:40] for a in assets
    }
    refused, status = {}, _status()
    if form.validate_on_submit():
        try:
            decision_service.record_decision(
                db, current_user, case, _decision_payload(form, action, values)
            )
        except Invalid as exc:
            db.rollback()
            errors = dict(exc.errors)
            if "asset_values" in errors:
                errors.setdefault("asset_ids", errors.pop("asset_values"))
            apply_errors(form, errors)
        except Conflict as exc:
            db.rollback()
            status = 409  # the lifecycle refuses: nothing is wrong with the form's fields
            refused = {str(a["id"]): translate(a["reason"]) for a in exc.extra.get("assets", [])}
            form.asset_ids.errors = [
                gettext(
                    "Nothing was recorded: the lifecycle refuses this decision for the assets "
                    "marked below."
                )
                if refused
                else translate(exc.detail)
            ]
            assets = case_view.case_assets(db, case, case_service.org_today(org))
        else:
            db.commit()
            flash(gettext("Decision recorded."), "success")
            return redirect(url_for("cases.detail", case_id=case_id, _anchor="decisions"))
    return render_template(
        "cases/decision_form.html",
        case=case,
        chooser=chooser,
        form=form,
        action=action,
        fields=DECISION_FIELDS[action],
        assets=assets,
        values=values,
        refused=refused,
    ), status


@bp.route("/cases/<int:case_id>/decisions/<int:decision_id>/annul", methods=["GET", "POST"])
def annul_decision(case_id: int, decision_id: int):
    """Annul a decision entered by mistake, saying why; its assets step back."""
    db = get_session()
    case, _decision = case_view.get_case_decision(db, current_user, case_id, decision_id)
    access.require_edit_case(current_user, case)
    form = AnnulForm()
    status = _status()
    if form.validate_on_submit():
        try:
            decision_service.annul_decision(db, current_user, decision_id, form.reason.data)
        except (Invalid, Conflict) as exc:
            db.rollback()
            status = exc.status
            apply_errors(form, _errors_of(exc))
            for asset in getattr(exc, "extra", {}).get("assets", []):
                form.form_errors.append(f"#{asset['id']}: {translate(asset['reason'])}")
        else:
            db.commit()
            flash(gettext("Decision annulled."), "success")
            return redirect(url_for("cases.detail", case_id=case_id, _anchor="decisions"))
    return _decision_page("cases/annul_form.html", db, case, decision_id, form, status)


@bp.route("/cases/<int:case_id>/decisions/<int:decision_id>/document/new", methods=["GET", "POST"])
def attach_document(case_id: int, decision_id: int):
    """Attach the order document (PDF or image, at most 20 MB) to a decision."""
    db = get_session()
    case, decision = case_view.get_case_decision(db, current_user, case_id, decision_id)
    access.require_edit_case(current_user, case)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.document.data
        # One byte more than the limit is enough for the service to refuse a larger file.
        data = upload.read(decision_service.DOCUMENT_MAX_BYTES + 1) if upload else b""
        try:
            decision_service.attach_document(
                db,
                current_user,
                decision,
                upload.filename if upload else "",
                data,
                current_app.config["FILES_DIR"],
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(gettext("Order document attached."), "success")
            return redirect(
                url_for("cases.detail", case_id=case_id, _anchor=f"decision-{decision_id}")
            )
    return _decision_page("cases/document_form.html", db, case, decision_id, form, _status())


@bp.route("/cases/<int:case_id>/decisions/<int:decision_id>/document")
def download_document(case_id: int, decision_id: int):
    """Send a decision's order document; the download is logged as a disclosure."""
    db = get_session()
    path, name, mimetype = case_view.document_for_download(
        db, current_user, case_id, decision_id, current_app.config["FILES_DIR"]
    )
    db.commit()
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/assets/<int:asset_id>")
def asset(asset_id: int):
    """Show an asset: stage, values, decisions, valuations, ledger, managers; logged."""
    db = get_session()
    found, entity = case_view.read_asset(db, current_user, asset_id)
    db.commit()
    return _asset_page(db, found, entity)


@bp.route("/assets/<int:asset_id>/valuations", methods=["POST"])
def add_valuation(asset_id: int):
    """Add a valuation of the asset."""
    fields = ("valued_on", "amount", "currency", "basis", "valuer")
    return _asset_form(
        asset_id,
        ValuationForm(),
        "valuation_form",
        "valuations",
        gettext("Valuation added."),
        lambda db, form: decision_service.add_valuation(
            db, current_user, asset_id, {name: _text(form[name].data) for name in fields}
        ),
    )


@bp.route("/assets/<int:asset_id>/ledger", methods=["POST"])
def add_ledger_entry(asset_id: int):
    """Book a management cost or income on the asset."""
    fields = ("booked_on", "kind", "amount", "currency", "category", "note")
    return _asset_form(
        asset_id,
        LedgerForm(),
        "ledger_form",
        "ledger",
        gettext("Booked in the ledger."),
        lambda db, form: decision_service.add_ledger_entry(
            db, current_user, asset_id, {name: _text(form[name].data) for name in fields}
        ),
    )


@bp.route("/assets/<int:asset_id>/manager", methods=["POST"])
def change_manager(asset_id: int):
    """Hand a managed asset to another manager from a date."""
    return _asset_form(
        asset_id,
        ManagerForm(),
        "manager_form",
        "managers",
        gettext("Manager changed."),
        lambda db, form: decision_service.assign_manager(
            db, current_user, asset_id, _text(form.manager.data), _text(form.assigned_on.data)
        ),
    )


def _asset_form(asset_id, form, form_name, anchor, done, call):
    # The three forms of the asset page: guard, call the service, commit or re-render with errors.
    db = get_session()
    found, entity = _editable_asset(db, asset_id)
    if form.validate_on_submit():
        try:
            call(db, form)
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, _errors_of(exc))
        else:
            db.commit()
            flash(done, "success")
            return redirect(url_for("cases.asset", asset_id=asset_id, _anchor=anchor))
    return _asset_page(db, found, entity, status=422, **{form_name: form})


def _fill_choices(db, form, organisation_id: int) -> None:
    form.shared_with.choices = options(
        (o.code, f"{o.code} — {o.name}")
        for o in db.scalars(
            access.case_organisations()
            .where(Organisation.id != organisation_id)
            .order_by(Organisation.code)
        )
    )
    officers = db.scalars(
        select(User)
        .where(
            User.organisation_id == organisation_id,
            User.role == Role.OFFICER.value,
            User.active.is_(True),
        )
        .order_by(User.name)
    )
    form.assigned_officer.choices = options([("", "—")] + [(str(u.id), u.name) for u in officers])


def _form_data(form: CaseForm, *, creating: bool) -> dict:
    data = {
        "title": form.title.data,
        "summary": form.summary.data,
        "tlp": form.tlp.data,
        "handling_code": form.handling_code.data,
        "handling_restriction": form.handling_restriction.data,
        "shared_with": form.shared_with.data or [],
        "assigned_officer": form.assigned_officer.data or None,
        "tags": form.tags.data or "",
        "opened_on": form.opened_on.data,
    }
    if not creating:
        data["status"] = form.status.data
    return data


# --- helpers of the case's entities, decisions and assets -------------------------------------

_ENTITY_SCHEMATA = {name for name, _label, _group in ENTITY_SCHEMA_CHOICES}
_RELATION_FIELDS = (
    "schema",
    "source",
    "target",
    "percentage",
    "start_date",
    "end_date",
    "role",
    "amount",
    "currency",
    "date",
    "source_grade",
    "info_grade",
)


def _editable_case(db, case_id: int):
    """Return the case if the user may read it (else 404) and change it (else 403)."""
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    return case


def _editable_asset(db, asset_id: int):
    found, entity = decision_service.get_asset(db, current_user, asset_id)
    if not case_view.can_edit_asset(current_user, found):
        abort(403)
    return found, entity


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _text(value):
    """Form text as the services take it: stripped, None when empty."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _errors_of(exc) -> dict:
    errors = getattr(exc, "errors", None) or exc.extra.get("errors")
    return errors or {"": exc.detail}


def _property_errors(errors: dict) -> dict:
    """Map the service's ``properties.imoNumber`` to the form's ``prop_imoNumber``."""
    return {
        property_field_name(key.split(".", 1)[1]) if key.startswith("properties.") else key: msg
        for key, msg in errors.items()
    }


def _caption(db, link) -> str:
    return entity_service.get_entity(db, current_user, link.entity_id, audit_read=False).caption


def _entity_data(form, schema_name: str) -> dict:
    properties = {}
    for name in form.property_names:
        value = _text(form[property_field_name(name)].data)
        if value:
            properties[name] = value
    data = {
        "schema": schema_name,
        "properties": properties,
        "role": form.role.data,
        "source_grade": form.source_grade.data,
        "info_grade": form.info_grade.data,
        "note": _text(form.note.data),
    }
    if "as_asset" in form:
        data["as_asset"] = form.as_asset.data
    if "estimated_value" in form:
        data["estimated_value"] = _text(form.estimated_value.data)
        data["currency"] = _text(form.currency.data)
    return data


def _decision_payload(form, action: str, values: dict) -> dict:
    payload = {
        "action": action,
        "asset_ids": list(form.asset_ids.data or []),
        "decided_on": _text(form.decided_on.data),
        "authority": _text(form.authority.data),
        "reference": _text(form.reference.data),
        "legal_basis": _text(form.legal_basis.data),
    }
    for name in DECISION_FIELDS[action]:
        payload[name] = _text(form[name].data)
    chosen = payload["asset_ids"]
    given = {i: values[i] for i in chosen if values.get(i)}
    if len(chosen) > 1 and given:
        payload["asset_values"] = given
    return payload


def _decision_page(template: str, db, case, decision_id: int, form, status: int):
    decisions = case_view.case_decisions(db, case, decision_id=decision_id)
    return render_template(template, case=case, decision=decisions[0], form=form), status


def _asset_page(db, found, entity, *, status=200, **forms):
    data = case_view.asset_page(db, current_user, found)
    can_edit = case_view.can_edit_asset(current_user, found)
    valuation_form = forms.get("valuation_form") or ValuationForm(formdata=None)
    ledger_form = forms.get("ledger_form") or LedgerForm(formdata=None)
    manager_form = forms.get("manager_form") or ManagerForm(formdata=None)
    return render_template(
        "cases/asset.html",
        asset=data,
        entity=entity,
        properties=_shown_properties(entity),
        can_edit=can_edit,
        valuation_form=valuation_form,
        ledger_form=ledger_form,
        manager_form=manager_form,
    ), status


def _shown_properties(entity) -> list[tuple[str, str]]:
    """The entity's properties as (translated label, values) in the schema's order."""
    values = json.loads(entity.properties or "{}")
    try:
        known = ftm_schema.get_schema(entity.schema_name).properties
    except ftm_schema.UnknownSchema:
        known = {}
    shown = []
    for name, items in values.items():
        label = ftm_label(known[name].label) if name in known else name
        items = items if isinstance(items, list) else [items]
        shown.append((label, ", ".join(str(v) for v in items)))
    return shown


def _schema_options():
    groups: dict = {}
    for name, label, group in ENTITY_SCHEMA_CHOICES:
        groups.setdefault(str(group), []).append((name, ftm_label(label)))
    return {group: options(items) for group, items in groups.items()}


def _country_options():
    """Countries as FtM stores them (``nl``), named in the user's language, and the markers."""
    territories = get_locale().territories
    names = {
        code: territories.get(code.upper()) or english
        for code, english in ftm_schema.COUNTRIES.items()
    }

    def key(item):
        folded = unicodedata.normalize("NFKD", item[1])
        return "".join(c for c in folded if not unicodedata.combining(c)).casefold()

    return options(
        [
            ("", "—"),
            (ftm_schema.UNKNOWN, gettext("unknown (looked for, not found)")),
            (ftm_schema.NOT_APPLICABLE, gettext("not applicable")),
        ]
        + sorted(names.items(), key=key)
    )
