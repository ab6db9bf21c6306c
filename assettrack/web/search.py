"""/search: one box in every page's header; results grouped by kind, with counts and pages."""

from flask import Blueprint
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SearchField

from ..api.search import page_arg
from ..api.search import results_shape
from ..db import get_session
from ..errors import Invalid
from ..services import search as search_service
from . import apply_errors
from . import case_readers_only

bp = Blueprint("search", __name__)

#: The heading of each group, in the user's language.
GROUP_LABELS = {
    "cases": _l("Cases"),
    "people": _l("People"),
    "companies": _l("Companies and organisations"),
    "vehicles": _l("Vessels, vehicles and aircraft"),
    "properties": _l("Real estate"),
    "accounts": _l("Accounts and wallets"),
    "other": _l("Other"),
}


class SearchForm(FlaskForm):
    """The query, read from the query string (a GET changes nothing: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name, identifier or case reference"))


case_readers_only(bp)


@bp.route("/search")
def index():
    """Show what the query finds: each kind with its count, the first results or one page."""
    form = SearchForm(request.args)
    kind = request.args.get("kind") or None
    results = None
    status = 200
    try:
        if kind is not None and kind not in search_service.GROUPS:
            kind = None
        db = get_session()
        results = search_service.search(
            db, current_user, form.q.data, kind=kind, page=page_arg(request.args)
        )
        shape = results_shape(db, results, _href)
        db.commit()
    except Invalid as exc:
        apply_errors(form, {k if k == "q" else "": v for k, v in exc.errors.items()})
        shape = None
        status = 422
    return render_template(
        "search/index.html",
        form=form,
        results=shape,
        searched=bool(results and not results.query.empty),
        labels=GROUP_LABELS,
        args={"q": form.q.data or "", **({"kind": kind} if kind else {})},
        preview=search_service.GROUP_PREVIEW,
    ), status


def _href(kind: str, object_id: int) -> str:
    if kind == "case":
        return url_for("cases.detail", case_id=object_id)
    # The entity page (#12) lives at /entities/<id>.
    return f"/entities/{object_id}"
