"""Duplicate review for officers: candidate pairs side by side, verdicts, merge, history, undo."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..db import get_session
from ..errors import DomainError
from ..errors import Msg
from ..models import DuplicateScan
from ..models import Organisation
from ..routing import is_id
from ..routing import page_number
from ..services import duplicates as duplicate_service
from . import case_readers_only
from . import translate

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")

PAGE_SIZE = 20


case_readers_only(bp)


@bp.route("/")
def index():
    """Show the candidate pairs, the pairs confirmed but not merged, and the merge history."""
    db = get_session()
    org = _org_arg(db)
    page = page_number(request.args)
    # The page reads the stored search; "Search again" (a POST) refreshes it.
    items, total = duplicate_service.list_candidates(
        db,
        current_user,
        organisation_id=org.id if org else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        refresh=False,
    )
    confirmed = duplicate_service.confirmed_pairs(
        db, current_user, organisation_id=org.id if org else None
    )
    merges, _total = duplicate_service.list_merges(
        db, current_user, organisation_id=org.id if org else None, limit=20
    )
    history = [duplicate_service.merge_as_dict(db, m) for m in merges]
    orgs = sorted(access.readable_organisation_ids(db, current_user))
    scans = {s.organisation_id: s for s in db.scalars(select(DuplicateScan))}
    db.commit()
    for item in (*items, *confirmed):
        item["reasons"] = _reasons(item["explanation"])
    return render_template(
        "duplicates/index.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        args={"org": org.code} if org else {},
        confirmed=confirmed,
        history=history,
        organisations=[db.get(Organisation, o) for o in orgs],
        selected=org,
        scans=scans,
        can_edit=access.can_create_case(current_user),
    )


@bp.route("/review", methods=["POST"])
def review():
    """Record a verdict; "same" goes on to the merge, where the officer picks the survivor."""
    db = get_session()
    form = request.form
    try:
        duplicate_service.review(
            db, current_user, form.get("a"), form.get("b"), form.get("verdict")
        )
    except DomainError as exc:
        db.rollback()
        flash(translate(exc.detail), "error")
        return redirect(url_for("duplicates.index"))
    db.commit()
    if form.get("verdict") == "same":
        return redirect(url_for("duplicates.merge", a=form.get("a"), b=form.get("b")))
    flash(gettext("Your verdict was recorded; this pair will not be proposed again."), "success")
    return redirect(url_for("duplicates.index"))


@bp.route("/merge", methods=["GET", "POST"])
def merge():
    """Show two entities side by side and merge one into the other, the chosen survivor."""
    db = get_session()
    source = request.form if request.method == "POST" else request.args
    a, b = source.get("a", type=int), source.get("b", type=int)
    if not is_id(a) or not is_id(b):
        abort(404)
    if request.method == "POST":
        keep = source.get("keep", type=int)
        if keep not in (a, b):
            flash(gettext("Choose the record to keep."), "error")
        else:
            try:
                record = duplicate_service.merge(db, current_user, keep, b if keep == a else a)
            except DomainError as exc:
                db.rollback()
                flash(translate(exc.detail), "error")
            else:
                db.commit()
                flash(
                    gettext(
                        "Merged: %(merged)s now points to %(survivor)s (merge %(id)s).",
                        merged=b if keep == a else a,
                        survivor=keep,
                        id=record.id,
                    ),
                    "success",
                )
                return redirect(url_for("duplicates.index"))
    first = _entity(db, a)
    second = _entity(db, b)
    db.commit()
    return render_template(
        "duplicates/merge.html",
        a=duplicate_service.entity_brief(db, first),
        b=duplicate_service.entity_brief(db, second),
        can_edit=access.can_create_case(current_user),
    )


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
def undo(merge_id: int):
    """Undo a merge, restoring exactly what it changed."""
    db = get_session()
    try:
        record = duplicate_service.undo_merge(db, current_user, merge_id)
    except DomainError as exc:
        db.rollback()
        if exc.status == 404:
            abort(404)
        flash(translate(exc.detail), "error")
    else:
        db.commit()
        flash(gettext("Merge %(id)s was undone.", id=record.id), "success")
    return redirect(url_for("duplicates.index"))


@bp.route("/scan", methods=["POST"])
def scan():
    """Search the officer's organisation for duplicates again."""
    if not access.can_create_case(current_user):
        abort(403)
    db = get_session()
    result = duplicate_service.scan(db, current_user.organisation_id)
    db.commit()
    flash(
        gettext(
            "%(entities)s entities compared: %(candidates)s candidate pairs.",
            entities=result.entity_count,
            candidates=result.candidate_count,
        ),
        "success",
    )
    return redirect(url_for("duplicates.index"))


# --- helpers ---------------------------------------------------------------------------------


def _org_arg(db) -> Organisation | None:
    code = (request.args.get("org") or "").strip().upper()
    if not code:
        return None
    org = db.scalar(select(Organisation).where(Organisation.code == code))
    if org is None or org.id not in access.readable_organisation_ids(db, current_user):
        abort(404)
    return org


def _entity(db, entity_id: int):
    from ..models import Entity

    entity = db.get(Entity, entity_id)
    if entity is None or entity.organisation_id not in access.readable_organisation_ids(
        db, current_user
    ):
        abort(404)
    return entity


def _reasons(explanation: list[dict]) -> list[dict]:
    """The factors of a score as translated sentences with their signed weight."""
    out = []
    for factor in explanation:
        weight = factor.get("weight", 0.0)
        signed = f"+{weight:.2f}" if weight >= 0 else f"\u2212{abs(weight):.2f}"
        msgid, params = factor["msgid"], factor.get("params", {})
        text = translate(Msg(msgid, **params))
        out.append({"text": text, "weight": signed, "negative": weight < 0})
    return out
