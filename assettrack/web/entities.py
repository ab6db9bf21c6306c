"""Entity pages and corrections: an entity's page, editing its properties, its place in a case
and its relations, removals with a reason, reverts, and the conflict page of a stale form.

Each form carries the version it was read at; a stale one gets the conflict page (409) with
both versions and the choice to apply the user's values over the current ones.
"""

import json

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
from sqlalchemy import select
from wtforms import HiddenField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField

from .. import access
from ..db import get_session
from ..errors import Conflict
from ..errors import Invalid
from ..i18n import lazy_ftm_label
from ..models import CaseEntity
from ..models import Relation
from ..services import corrections
from ..services import entity_view
from ..services.entities import get_entity
from . import apply_errors
from . import case_readers_only
from . import translate
from .forms import INFO_GRADE_CHOICES
from .forms import SOURCE_GRADE_CHOICES
from .forms import _EntityLinkFields  # the role, grades and note fields, declared once
from .forms import property_field_name

bp = Blueprint("entities", __name__)

_REASON_HINT = _l("Why the change: kept in the entity's history and the audit log.")


case_readers_only(bp)


class _Correction(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        _l("Reason"), description=_REASON_HINT, render_kw={"rows": 2, "maxlength": 2000}
    )


class RemovalForm(_Correction):
    """Remove a link or a relation: the reason is required."""

    reason = TextAreaField(
        _l("Why is it removed?"),
        description=_l("Nothing is deleted: it is kept, hidden, with your reason."),
        render_kw={"rows": 3, "maxlength": 2000},
    )


class LinkForm(_Correction, _EntityLinkFields):
    """Correct an entity's role, grades and note in a case (the fields of adding it)."""


class RelationEditForm(_Correction):
    """Correct a relation's fields (its kind and ends stay)."""

    percentage = StringField(
        _l("Share (%)"), description=_l("A number, a range such as 25-50, or unknown.")
    )
    start_date = StringField(_l("From (date)"), render_kw={"placeholder": "YYYY-MM-DD"})
    end_date = StringField(_l("Until"), render_kw={"placeholder": "YYYY-MM-DD"})
    role = StringField(_l("Role"), render_kw={"maxlength": 200})
    amount = StringField(_l("Amount"), render_kw={"class": "mono"})
    currency = StringField(_l("Currency"), render_kw={"maxlength": 3, "class": "mono"})
    date = StringField(_l("Payment date"), render_kw={"placeholder": "YYYY-MM-DD"})
    source_grade = SelectField(
        _l("Source reliability"), choices=SOURCE_GRADE_CHOICES, validate_choice=False
    )
    info_grade = SelectField(
        _l("Information assessment"), choices=INFO_GRADE_CHOICES, validate_choice=False
    )


class RevertForm(FlaskForm):
    """Revert one change of the history."""


@bp.route("/entities/<int:entity_id>")
def detail(entity_id: int):
    """Show an entity: properties and sources, cases, relations, owners, hits, history."""
    db = get_session()
    page = entity_view.entity_page(db, current_user, entity_id)
    db.commit()
    return render_template("entities/detail.html", page=page, revert_form=RevertForm())


@bp.route("/entities/<int:entity_id>/edit", methods=["GET", "POST"])
def edit(entity_id: int):
    """Correct an entity's properties (one value per line); the old values stay in its history."""
    db = get_session()
    entity = get_entity(db, current_user, entity_id, audit_read=False)
    access.require_edit_organisation(current_user, entity.organisation_id)
    known = corrections.editable_properties(entity.schema_name)
    form = _properties_form(known)
    current = json.loads(entity.properties or "{}")
    if request.method == "GET":
        for name in known:
            form[property_field_name(name)].data = "\n".join(current.get(name, []))
    yours = {
        name: _values(prop, form[property_field_name(name)].data) for name, prop in known.items()
    }
    changes = {name: values for name, values in yours.items() if values != current.get(name, [])}

    def call(version):
        if not changes:
            raise Invalid({"": gettext("Nothing was changed.")})
        corrections.update_entity(
            db, current_user, entity.id, changes, version=version, reason=form.reason.data
        )

    def conflict(_exc):
        rows = [
            (lazy_ftm_label(known[n].label), "\n".join(v), "\n".join(current.get(n, [])))
            for n, v in changes.items()
        ]
        return rows, {property_field_name(n): "\n".join(v) for n, v in yours.items()}

    result = _correct(
        db,
        form,
        entity.version,
        call,
        conflict,
        done=gettext("%(name)s corrected.", name=entity.caption),
        then=_entity_url(entity, "history"),
        back=_entity_url(entity),
    )
    if not isinstance(result, int):
        return result
    return render_template(
        "entities/edit.html", entity=entity, form=form, names=list(known)
    ), result


@bp.route("/cases/<int:case_id>/entities/<int:entity_id>/edit", methods=["GET", "POST"])
def edit_link(case_id: int, entity_id: int):
    """Correct an entity's role, grades and note in a case."""
    db = get_session()
    case, link, entity = _link(db, case_id, entity_id)
    form = LinkForm()
    current = corrections.link_state(link)
    if request.method == "GET":
        for name in corrections.LINK_FIELDS:
            form[name].data = current[name] or ""
    yours = {name: (form[name].data or "").strip() or None for name in corrections.LINK_FIELDS}

    def conflict(_exc):
        rows = [(form[n].label.text, yours[n], current[n]) for n in corrections.LINK_FIELDS]
        return rows, yours

    result = _correct(
        db,
        form,
        link.version,
        lambda version: corrections.update_case_link(
            db, current_user, case, entity.id, yours, version=version, reason=form.reason.data
        ),
        conflict,
        done=gettext("The role in %(ref)s was corrected.", ref=case.reference),
        then=_entity_url(entity, "cases"),
        back=_entity_url(entity),
    )
    if not isinstance(result, int):
        return result
    return render_template("entities/link_form.html", case=case, entity=entity, form=form), result


@bp.route("/cases/<int:case_id>/entities/<int:entity_id>/remove", methods=["GET", "POST"])
def remove_link(case_id: int, entity_id: int):
    """Take an entity out of a case, saying why (kept, hidden)."""
    db = get_session()
    case, link, entity = _link(db, case_id, entity_id)
    form = RemovalForm()
    result = _correct(
        db,
        form,
        link.version,
        lambda version: corrections.remove_case_link(
            db, current_user, case, entity.id, version=version, reason=form.reason.data
        ),
        lambda _exc: ([], {}),
        done=gettext("Removed from %(ref)s.", ref=case.reference),
        then=url_for("cases.detail", case_id=case.id, _anchor="entities"),
        back=_entity_url(entity),
    )
    if not isinstance(result, int):
        return result
    title = gettext("Remove %(name)s from %(ref)s", name=entity.caption, ref=case.reference)
    return render_template(
        "entities/remove_form.html", title=title, form=form, back=_entity_url(entity)
    ), result


@bp.route("/relations/<int:relation_id>/edit", methods=["GET", "POST"])
def edit_relation(relation_id: int):
    """Correct a relation's share, dates, role, amount or grades."""
    db = get_session()
    relation, entity = _relation(db, relation_id)
    form = RelationEditForm()
    fields = [n for n in corrections.RELATION_FIELDS if _shown_for(relation.schema_name, n)]
    for name in corrections.RELATION_FIELDS:
        if name not in fields:
            delattr(form, name)
    if request.method == "GET":
        state = corrections.relation_state(relation)
        for name in fields:
            form[name].data = state[name] or ""
    yours = {name: (form[name].data or "").strip() or None for name in fields}

    def conflict(exc):
        current = exc.extra["current"]
        return [(form[n].label.text, yours[n], current[n]) for n in fields], yours

    result = _correct(
        db,
        form,
        relation.version,
        lambda version: corrections.update_relation(
            db, current_user, relation.id, yours, version=version, reason=form.reason.data
        ),
        conflict,
        done=gettext("Relation corrected."),
        then=_entity_url(entity, "relations"),
        back=_entity_url(entity, "relations"),
    )
    if not isinstance(result, int):
        return result
    return render_template(
        "entities/relation_form.html", relation=relation, entity=entity, form=form
    ), result


@bp.route("/relations/<int:relation_id>/remove", methods=["GET", "POST"])
def remove_relation(relation_id: int):
    """Remove a relation, saying why (kept, hidden)."""
    db = get_session()
    relation, entity = _relation(db, relation_id)
    form = RemovalForm()
    back = _entity_url(entity, "relations")
    result = _correct(
        db,
        form,
        relation.version,
        lambda version: corrections.remove_relation(
            db, current_user, relation.id, version=version, reason=form.reason.data
        ),
        lambda _exc: ([], {}),
        done=gettext("Relation removed."),
        then=back,
        back=back,
    )
    if not isinstance(result, int):
        return result
    return render_template(
        "entities/remove_form.html", title=gettext("Remove a relation"), form=form, back=back
    ), result


@bp.route("/changes/<int:change_id>/revert", methods=["POST"])
def revert(change_id: int):
    """Revert one change of an entity's history (itself a change)."""
    db = get_session()
    change = corrections.get_change(db, current_user, change_id)
    form = RevertForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        corrections.revert(db, current_user, change.id)
    except Conflict as exc:
        db.rollback()
        flash(translate(exc.detail), "error")
    else:
        db.commit()
        flash(gettext("Change reverted."), "success")
    return redirect(url_for("entities.detail", entity_id=change.entity_id, _anchor="history"))


# --- helpers ---------------------------------------------------------------------------------


def _correct(db, form, version, call, conflict, *, done, then, back):
    """The flow every correction form shares: on GET, the version read goes into the form; on
    POST, ``call(version)`` then commit and go to ``then``; bad input re-renders the form (the
    status is returned); a stale version gets the conflict page, whose rows and fields
    ``conflict(exc)`` gives."""
    if request.method == "GET":
        form.version.data = str(version)
        return 200
    if not form.validate_on_submit():
        return 422
    try:
        call(corrections.parse_version(form.version.data))
    except corrections.StaleVersion as exc:
        db.rollback()
        rows, fields = conflict(exc)
        return _conflict(exc, rows, fields, form, back)
    except (Invalid, Conflict) as exc:
        db.rollback()
        apply_errors(form, _form_errors(exc))
        return exc.status
    db.commit()
    flash(done, "success")
    return redirect(then)


def _properties_form(known: dict):
    fields = {
        property_field_name(name): TextAreaField(
            lazy_ftm_label(prop.label),
            render_kw={"rows": 3 if prop.type == "text" else 1, "autocomplete": "off"},
        )
        for name, prop in known.items()
    }
    return type("EntityCorrectionForm", (_Correction,), fields)()


def _values(prop, text) -> list[str]:
    """A field's values: one per line, except a text property, whose lines are one value."""
    if prop.type == "text":
        return [text.strip()] if (text or "").strip() else []
    return [line.strip() for line in (text or "").splitlines() if line.strip()][:100]


def _form_errors(exc) -> dict:
    errors = getattr(exc, "errors", None) or exc.extra.get("errors") or {"": exc.detail}
    # A missing version has no visible field: said above the form.
    return {
        property_field_name(k.split(".", 1)[1])
        if k.startswith("properties.")
        else ("" if k == "version" else k): v
        for k, v in errors.items()
    }


def _conflict(exc, rows, fields, form, back):
    """The 409 page: each field with the user's value and the current one, and a form that
    applies the user's values over the current version."""
    return render_template(
        "entities/conflict.html",
        rows=rows,
        fields=fields,
        reason=form.reason.data or "",
        current_version=exc.extra["current_version"],
        your_version=exc.extra["your_version"],
        action=request.path,
        back=back,
        form=RevertForm(),
    ), 409


def _link(db, case_id, entity_id):
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    entity = get_entity(db, current_user, entity_id, audit_read=False)
    link = db.scalar(
        select(CaseEntity).where(CaseEntity.case_id == case.id, CaseEntity.entity_id == entity.id)
    )
    if link is None:
        abort(404)
    return case, link, entity


def _relation(db, relation_id):
    relation = db.get(Relation, relation_id)
    if relation is None or relation.organisation_id not in access.readable_organisation_ids(
        db, current_user
    ):
        abort(404)
    access.require_edit_organisation(current_user, relation.organisation_id)
    entity = get_entity(db, current_user, relation.source_id, audit_read=False)
    return relation, entity


def _shown_for(schema_name: str, field: str) -> bool:
    if field == "percentage":
        return schema_name == "Ownership"
    if field in ("amount", "currency", "date"):
        return schema_name == "Payment"
    return True


def _entity_url(entity, anchor=None) -> str:
    return url_for("entities.detail", entity_id=entity.id, _anchor=anchor)
