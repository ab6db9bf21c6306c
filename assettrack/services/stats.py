"""Directive statistics (2014/42/EU Art. 11; 2024/1260 Art. 28) and the dashboard figures.

Counting rules (DOMAIN.md): an order is one decision; the confirmation of an urgent freeze is
not a new order; first-instance and final confiscations are counted apart; totals are kept per
currency, never converted; annulled decisions and stages taken from a register import are left
out. Everything is aggregated in SQL.
"""

import io
import json
from datetime import date
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_
from sqlalchemy import case as sql_case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlmodel import Session

from .. import csv_export
from ..domain.lifecycle import Action
from ..domain.lifecycle import DisposalKind
from ..domain.money import money_text
from ..models import Asset
from ..models import Case
from ..models import Decision
from ..models import DecisionAsset
from ..models import Entity
from ..models import LedgerEntry
from ..models import Organisation

__all__ = [
    "directive_statistics",
    "assets_by_stage",
    "urgent_freezes",
    "reviews_due",
    "open_data_csv",
    "OPEN_DATA_COLUMNS",
]


class days_between(FunctionElement):  # noqa: N801  (a SQL function, named like one)
    """Whole days from the first date to the second, on SQLite and PostgreSQL."""

    type = func.count().type  # an integer
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)}) AS INTEGER)"
    )


@compiles(days_between)
def _days_default(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def _orders(organisation_id: int, year: int):
    start, end = _year_bounds(year)
    return and_(
        Decision.organisation_id == organisation_id,
        Decision.decided_on >= start,
        Decision.decided_on < end,
        Decision.annulled_at.is_(None),
        Decision.source == "manual",
    )


def directive_statistics(session: Session, organisation_id: int, year: int) -> dict:
    """Return the year's statistics of an organisation; money as {currency: Decimal}."""
    in_year = _orders(organisation_id, year)

    def money_by_currency(where, column=Decision.amount) -> dict[str, Decimal]:
        rows = session.execute(
            select(Decision.currency, func.sum(column))
            .where(in_year, where, column.is_not(None))
            .group_by(Decision.currency)
        )
        return {currency: total for currency, total in rows if total is not None}

    def count(where) -> int:
        return session.scalar(select(func.count()).select_from(Decision).where(in_year, where))

    # Every freeze is a freezing order, a new one after a lapsed urgent freeze included;
    # confirmations (their own action since DECISIONS.md #13) are not new orders.
    freezes = Decision.action == Action.FREEZE
    after_lapse = and_(
        freezes, or_(Decision.lapse_acknowledged.is_(True), Decision.lapse_flag.is_not(None))
    )
    confiscations = Decision.action == Action.CONFISCATE
    by_type = {}
    for ctype, final, n in session.execute(
        select(Decision.confiscation_type, Decision.final, func.count())
        .where(in_year, confiscations)
        .group_by(Decision.confiscation_type, Decision.final)
    ):
        entry = by_type.setdefault(ctype, {"first_instance": 0, "final": 0})
        entry["final" if final else "first_instance"] += n
    early_sales = and_(Decision.action == Action.MANAGE, Decision.early_sale.is_(True))
    disposed = Decision.action == Action.DISPOSE
    social = and_(disposed, Decision.disposal == DisposalKind.SOCIAL_REUSE)
    victims = and_(disposed, Decision.disposal == DisposalKind.VICTIM_COMPENSATION)
    assets_in = select(func.count(func.distinct(DecisionAsset.asset_id))).join(
        Decision, Decision.id == DecisionAsset.decision_id
    )
    # Days from an asset's first freeze to its confiscation in this year (first order each).
    first_freeze = (
        select(
            DecisionAsset.asset_id.label("asset_id"),
            func.min(Decision.decided_on).label("frozen_on"),
        )
        .join(Decision, Decision.id == DecisionAsset.decision_id)
        .where(
            Decision.action == Action.FREEZE,
            Decision.annulled_at.is_(None),
            Decision.organisation_id == organisation_id,
            Decision.source == "manual",
        )
        .group_by(DecisionAsset.asset_id)
        .subquery()
    )
    first_confiscation = (
        select(
            DecisionAsset.asset_id.label("asset_id"),
            func.min(Decision.decided_on).label("confiscated_on"),
        )
        .join(Decision, Decision.id == DecisionAsset.decision_id)
        .where(
            confiscations,
            Decision.annulled_at.is_(None),
            Decision.organisation_id == organisation_id,
            Decision.source == "manual",
        )
        .group_by(DecisionAsset.asset_id)
        .subquery()
    )
    start, end = _year_bounds(year)
    average_days = session.scalar(
        select(
            func.avg(
                days_between(
                    first_freeze.c.frozen_on,
                    first_confiscation.c.confiscated_on,
                )
            )
        )
        .select_from(first_confiscation)
        .join(first_freeze, first_freeze.c.asset_id == first_confiscation.c.asset_id)
        .where(
            first_confiscation.c.confiscated_on >= start, first_confiscation.c.confiscated_on < end
        )
    )
    return {
        "year": year,
        "freezing_orders": count(freezes),
        "urgent_freezing_orders": count(and_(freezes, Decision.urgent.is_(True))),
        "confirmations_of_urgent_freezes": count(Decision.action == Action.CONFIRM),
        "new_orders_after_lapse": count(after_lapse),
        "lapse_not_acknowledged": count(Decision.lapse_flag.is_not(None)),
        "confiscation_orders": {
            "first_instance": count(and_(confiscations, Decision.final.is_(False))),
            "final": count(and_(confiscations, Decision.final.is_(True))),
            "by_type": by_type,
        },
        "value_frozen": money_by_currency(freezes),
        "value_confiscated": {
            "first_instance": money_by_currency(and_(confiscations, Decision.final.is_(False))),
            "final": money_by_currency(and_(confiscations, Decision.final.is_(True))),
        },
        "value_realised": money_by_currency(Decision.action == Action.DISPOSE),
        "interlocutory_sales": {
            "count": count(early_sales),
            "proceeds": money_by_currency(early_sales, Decision.price),
        },
        "social_reuse": {
            "orders": count(social),
            "assets": session.scalar(assets_in.where(in_year, social)),
        },
        "victim_compensations": count(victims),
        "releases": count(Decision.action == Action.RELEASE),
        "average_days_freeze_to_confiscation": None
        if average_days is None
        else round(float(average_days), 1),
    }


def assets_by_stage(session: Session, organisation_id: int) -> dict[str, dict]:
    """Return, per stage, the number of assets and their estimated value per currency."""
    result: dict[str, dict] = {}
    for stage, currency, n, total in session.execute(
        select(Asset.stage, Asset.currency, func.count(), func.sum(Asset.estimated_value))
        .where(Asset.organisation_id == organisation_id)
        .group_by(Asset.stage, Asset.currency)
    ):
        entry = result.setdefault(stage, {"count": 0, "value": {}})
        entry["count"] += n
        if total is not None:
            entry["value"][currency] = total
    return result


def urgent_freezes(session: Session, organisation_id: int, today: date, *, within_days=3):
    """Return unconfirmed urgent freezes expiring within ``within_days`` or already overdue."""
    rows = session.execute(
        select(Asset, Entity)
        .join(Entity, Entity.id == Asset.entity_id)
        .where(
            Asset.organisation_id == organisation_id,
            Asset.urgent_unconfirmed.is_(True),
            Asset.urgent_expires_on <= today + timedelta(days=within_days),
        )
        .order_by(Asset.urgent_expires_on)
    )
    return [(asset, entity, asset.urgent_expires_on < today) for asset, entity in rows]


def reviews_due(session: Session, organisation_id: int, today: date, *, within_days=30):
    """Return open cases whose retention review falls due within ``within_days`` (or is late)."""
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.status == "open",
                Case.organisation_id == organisation_id,
                Case.review_on <= today + timedelta(days=within_days),
            )
            .order_by(Case.review_on)
        )
    )


OPEN_DATA_COLUMNS = (
    "asset_id",
    "organisation",
    "schema",
    "country",
    "stage",
    "estimated_value",
    "currency",
    "frozen_on",
    "confiscated_on",
    "confiscation_final",
    "disposal",
    "disposed_on",
    "realised_value",
    "management_costs",
    "management_income",
)


def open_data_csv(session: Session, organisation_id: int) -> str:
    """Return one CSV row per asset with no personal data (like Italy's ConfiscatiBene)."""
    org = session.get(Organisation, organisation_id)
    first = {}
    for action in (Action.FREEZE, Action.CONFISCATE, Action.DISPOSE):
        # A register import dates its decisions on the day of the import, not of the order:
        # publishing that date as the order's would be false, so only recorded orders date.
        first[action] = (
            select(
                DecisionAsset.asset_id.label("asset_id"), func.min(Decision.decided_on).label("on")
            )
            .join(Decision, Decision.id == DecisionAsset.decision_id)
            .where(
                Decision.action == action,
                Decision.annulled_at.is_(None),
                Decision.source == "manual",
            )
            .group_by(DecisionAsset.asset_id)
            .subquery(f"first_{action}")
        )
    # Whether an asset was ever confiscated, and finally: from its standing decisions, not from
    # its current stage (a disposed asset is no longer "confiscated", yet its final order stands).
    confiscation = (
        select(
            DecisionAsset.asset_id.label("asset_id"),
            func.max(sql_case((Decision.final.is_(True), 1), else_=0)).label("final"),
        )
        .join(Decision, Decision.id == DecisionAsset.decision_id)
        .where(Decision.action == Action.CONFISCATE, Decision.annulled_at.is_(None))
        .group_by(DecisionAsset.asset_id)
        .subquery("confiscation")
    )
    disposal = (
        select(
            DecisionAsset.asset_id.label("asset_id"),
            func.max(Decision.disposal).label("kind"),
            func.sum(
                sql_case((Decision.action == Action.DISPOSE, DecisionAsset.amount), else_=None)
            ).label("realised"),
        )
        .join(Decision, Decision.id == DecisionAsset.decision_id)
        .where(Decision.action == Action.DISPOSE, Decision.annulled_at.is_(None))
        .group_by(DecisionAsset.asset_id)
        .subquery("disposal")
    )
    ledger = (
        select(
            LedgerEntry.asset_id.label("asset_id"),
            func.sum(sql_case((LedgerEntry.kind == "cost", LedgerEntry.amount), else_=0)).label(
                "costs"
            ),
            func.sum(sql_case((LedgerEntry.kind == "income", LedgerEntry.amount), else_=0)).label(
                "income"
            ),
        )
        .group_by(LedgerEntry.asset_id)
        .subquery("ledger")
    )
    stmt = (
        select(
            Asset.entity_id,
            Entity.schema_name,
            Entity.properties,
            Asset.stage,
            Asset.estimated_value,
            Asset.currency,
            first[Action.FREEZE].c.on,
            first[Action.CONFISCATE].c.on,
            Asset.confiscation_final,
            confiscation.c.final,
            disposal.c.kind,
            first[Action.DISPOSE].c.on,
            disposal.c.realised,
            ledger.c.costs,
            ledger.c.income,
        )
        .join(Entity, Entity.id == Asset.entity_id)
        .outerjoin(first[Action.FREEZE], first[Action.FREEZE].c.asset_id == Asset.entity_id)
        .outerjoin(first[Action.CONFISCATE], first[Action.CONFISCATE].c.asset_id == Asset.entity_id)
        .outerjoin(first[Action.DISPOSE], first[Action.DISPOSE].c.asset_id == Asset.entity_id)
        .outerjoin(confiscation, confiscation.c.asset_id == Asset.entity_id)
        .outerjoin(disposal, disposal.c.asset_id == Asset.entity_id)
        .outerjoin(ledger, ledger.c.asset_id == Asset.entity_id)
        .where(Asset.organisation_id == organisation_id)
        .order_by(Asset.entity_id)
    )
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(OPEN_DATA_COLUMNS)
    for row in session.execute(stmt):
        (
            asset_id,
            schema_name,
            properties,
            stage,
            value,
            currency,
            frozen_on,
            confiscated_on,
            final_now,
            final_ordered,
            kind,
            disposed_on,
            realised,
            costs,
            income,
        ) = row
        props = json.loads(properties)
        # Only the country: names, addresses, identifiers and owners are personal data.
        country = (props.get("country") or props.get("flag") or props.get("jurisdiction") or [""])[
            0
        ]
        writer.writerow(
            [
                asset_id,
                org.code,
                schema_name,
                country,
                stage,
                _text(value),
                currency,
                _text(frozen_on),
                _text(confiscated_on),
                _confiscation_final(final_now, final_ordered),
                kind or "",
                _text(disposed_on),
                _text(realised),
                _text(costs),
                _text(income),
            ]
        )
    return out.getvalue()


def _confiscation_final(final_now: bool, final_ordered: int | None) -> str:
    """``yes`` when a final confiscation order stands (also once disposed of), ``no`` when
    only a first-instance one does, empty when the asset was never confiscated."""
    if final_now or final_ordered:
        return "yes"
    return "" if final_ordered is None else "no"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        # Money as the API writes it (two decimals at least), whatever the database returns.
        return money_text(Decimal(str(value)))
    return str(value)
