"""The dashboard of an organisation: assets by stage, what is due, the Directive statistics."""

from flask import Blueprint
from flask import abort
from flask import render_template
from flask import request
from flask_babel import format_currency
from flask_babel import gettext
from flask_babel import ngettext
from flask_login import current_user

from ..db import get_session
from ..errors import Invalid
from ..services import case_view
from ..services import cases as case_service
from . import apply_errors
from . import case_readers_only
from .charts import Bar
from .charts import bar_chart
from .forms import DashboardForm
from .forms import label
from .forms import options

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


case_readers_only(bp)


@bp.route("/")
def index():
    """Show an organisation's assets by stage, urgent freezes, reviews due and statistics."""
    db = get_session()
    orgs = case_view.dashboard_organisations(db, current_user)
    if not orgs:
        abort(404)
    form = DashboardForm(formdata=request.args)
    form.organisation.choices = options((o.code, f"{o.code} — {o.name}") for o in orgs)
    status = 200
    org = next((o for o in orgs if o.code == form.organisation.data), None)
    if org is None:
        if form.organisation.data:
            form.organisation.errors = [gettext("Choose one of your organisations.")]
            status = 422
        org = orgs[0]
        form.organisation.data = org.code
    try:
        year = case_view.statistics_year(form.year.data, case_service.org_today(org))
    except Invalid as exc:
        apply_errors(form, exc.errors)
        year, status = None, 422
    else:
        form.year.data = str(year)
    data = case_view.dashboard(db, current_user, org.id, year)
    return render_template(
        "dashboard/index.html",
        form=form,
        data=data,
        several=len(orgs) > 1,
        value_charts=_value_charts(data["stages"]),
        orders_chart=_orders_chart(data["statistics"]) if data["statistics"] else None,
    ), status


def _value_charts(stages: list[dict]) -> list[tuple[str, object]]:
    """One (title, chart) per currency: the estimated value of the assets in each stage."""
    currencies = sorted({c for row in stages for c in row["value"]})
    charts = []
    for currency in currencies:
        bars = [
            Bar(
                label(row["stage"]),
                row["value"].get(currency, 0),
                format_currency(row["value"].get(currency, 0), currency),
                pattern=row["stage"],
            )
            for row in stages
        ]
        title = gettext("Estimated value by stage (%(currency)s)", currency=currency)
        chart = bar_chart(
            bars,
            title=title,
            chart_id=f"value-{currency}",
            description=gettext(
                "Estimated value of the assets in each stage; the table of stages above "
                "gives the same figures."
            ),
            width=560,
            label_width=120,
        )
        charts.append((title, chart))
    return charts


def _orders_chart(stats: dict) -> tuple[str, object]:
    """(title, chart) of the year's orders by type, as the Directive counts them."""
    confiscations = stats["confiscation_orders"]
    rows = [
        (gettext("Freezing orders"), stats["freezing_orders"], "frozen"),
        (gettext("of which urgent"), stats["urgent_freezing_orders"], "traced"),
        (gettext("Interlocutory sales"), stats["interlocutory_sales"]["count"], "managed"),
        (gettext("Confiscations, first instance"), confiscations["first_instance"], "confiscated"),
        (gettext("Confiscations, final"), confiscations["final"], "confiscated"),
        (gettext("Given to social re-use"), stats["social_reuse"]["orders"], "disposed"),
        (gettext("Victim compensations"), stats["victim_compensations"], "disposed"),
        (gettext("Releases"), stats["releases"], "released"),
    ]
    bars = [
        Bar(text, count, ngettext("%(num)d order", "%(num)d orders", count), pattern=pattern)
        for text, count, pattern in rows
    ]
    title = gettext("Orders in %(year)s by type", year=stats["year"])
    chart = bar_chart(
        bars,
        title=title,
        chart_id="orders",
        description=gettext("Number of orders of each type; the table beside gives the values."),
        width=560,
        label_width=220,
    )
    return title, chart
