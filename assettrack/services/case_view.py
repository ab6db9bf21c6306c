"""Read models of the case, asset and dashboard pages: plain data from a few aggregate queries.

The case page lists every asset of a case with its stage and values, every entity, relation and
decision. Asking :func:`~.decisions.asset_as_dict` per asset would cost several queries per
asset; these functions answer each question for the whole case at once, in a fixed number of
queries whatever the number of assets, and return dicts and lists, never rows a template could
lazy-load from. Reads that disclose something (an order document, the open-data export) are
checked against the user's scope and audited here, so that views stay thin.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import lifecycle
from ..domain.lifecycle import Action
from ..domain.schema import ASSET_SCHEMATA
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Asset
from ..models import AuditEntry
from ..models import Case
from ..models import CaseEntity
from ..models import Decision
from ..models import DecisionAsset
from ..models import Entity
from ..models import LedgerEntry
from ..models import ManagerAssignment
from ..models import Organisation
from ..models import Relation
from ..models import Report
from ..models import User
from . import asset_reads
from . import audit_log
from . import decisions as decision_service
from . import files
from . import stats
from .cases import org_today
from .entities import relation_as_dict
from .sharing import is_protected

__all__ = [
    "case_page",
    "case_assets",
    "case_entities",
    "case_relations",
    "case_decisions",
    "case_story",
    "stage_summary",
    "get_case_decision",
    "read_asset",
    "asset_page",
    "can_edit_asset",
    "document_for_download",
    "dashboard_organisations",
    "statistics_year",
    "dashboard",
    "open_data_export",
    "URGENT_WARNING_DAYS",
    "REVIEW_WARNING_DAYS",
    "FIRST_STATISTICS_YEAR",
]

#: An unconfirmed urgent freeze is flagged this many days before it lapses.
URGENT_WARNING_DAYS = 3
#: A case's retention review is listed this many days before it falls due.
REVIEW_WARNING_DAYS = 30
#: The earliest year the Directive statistics are asked for.
FIRST_STATISTICS_YEAR = 1990

# Neutral labels of the entities never named outside the owning organisation (DOMAIN.md,
# "Sharing, marking and redaction"); the same words as partner reports (services.sharing).
_NEUTRAL_LABELS = {"victim": "Victim {number}", "witness": "Witness {number}"}
_NEUTRAL_OTHER = "Other {number}"
_PROTECTED_LINK_ROLES = ("victim", "witness", "other")


# --- the case page ---------------------------------------------------------------------------


def case_page(
    session: Session,
    user: User,
    case: Case,
    *,
    page_size: int | None = None,
    after: dict | None = None,
) -> dict:
    """Return what the case page shows, in a fixed number of queries.

    ``assets``: see :func:`case_assets`; ``stages``: :func:`stage_summary` of all the case's
    assets; ``stage``: the case's derived stage; ``entities``, ``relations``, ``decisions``:
    see :func:`case_entities`, :func:`case_relations`, :func:`case_decisions`; ``officer``,
    ``last_change``, ``timeline``, ``reports`` and ``history``: see :func:`case_story`.

    With ``page_size``, each of the four lists holds at most that many rows, from after the
    row whose id ``after[section]`` names (paging by key, so a case of 50,000 entities gives
    a page of the same size as one of 50); ``sections[section]`` then says ``count`` (rows in
    all), ``after`` and ``next`` (the id to continue after, None on the last page).
    """
    org = session.get(Organisation, case.organisation_id)
    today = org_today(org)
    after = after or {}
    labels = _protected_labels(session, user, case)
    assets = case_assets(
        session, case, today, limit=page_size, after=after.get("assets"), names=labels
    )
    entities = case_entities(
        session, user, case, limit=page_size, after=after.get("entities"), labels=labels
    )
    relations = case_relations(session, case, labels, limit=page_size, after=after.get("relations"))
    decisions = case_decisions(
        session, case, names=labels, limit=page_size, after=after.get("decisions")
    )
    by_stage = _stage_counts(session, case)
    page = {
        "today": today,
        "assets": assets,
        "stages": stage_summary(by_stage),
        "stage": lifecycle.case_stage(stage for stage, e in by_stage.items() if e["count"]),
        "entities": entities,
        "relations": relations,
        "decisions": decisions,
        "redacted": bool(labels),
        "sections": {},
        **case_story(session, case, today, labels),
    }
    counts = _section_counts(session, case, by_stage)
    for name in ("assets", "entities", "relations", "decisions"):
        rows = page[name]
        more = page_size is not None and len(rows) > page_size
        if more:
            page[name] = rows = rows[:page_size]
        key = "entity_id" if name == "entities" else "id"
        page["sections"][name] = {
            "count": counts[name],
            "after": after.get(name),
            "next": rows[-1][key] if more else None,
        }
    return page


#: The most recent changes the case page lists in its history section.
HISTORY_SIZE = 10


def case_story(session: Session, case: Case, today: date, labels: dict | None = None) -> dict:
    """Return what happened to ``case``, from its rows and its audit trail (eight queries at most).

    ``officer``: the assigned officer's ``name`` and ``email`` (None when nobody);
    ``last_change``: the time of the latest change to the case or anything it holds (its
    entities, their links and relations, decisions, imports, reports), from the audit log, never
    earlier than ``case.updated_at``; ``history``: the :data:`HISTORY_SIZE` latest changes, each
    ``ts``, ``user`` (a name), ``action``, ``object_type``, ``label`` (an entity's name, or its
    neutral label in ``labels``; a decision's reference) and ``fields`` (the names of the fields
    an update changed; their values stay in the audit log); ``reports``: the reports issued on
    the case (``id``, ``number``, ``kind``, ``issued_at``, ``withdrawn``); ``timeline``: the
    events by day, oldest first, each ``day``, ``kind`` (``decision``, ``lapse``, ``change``,
    ``import``, ``report``) and ``count``; a decision's also ``id``, ``action``, ``urgent``,
    ``reference`` and ``annulled``; a lapse's ``lapsed`` (before today); a
    report's ``number``.
    """
    labels = labels or {}
    officer = None
    if case.assigned_officer_id:
        row = session.execute(
            select(User.name, User.email).where(User.id == case.assigned_officer_id)
        ).first()
        officer = {"name": row.name, "email": row.email} if row else None
    about_case = and_(
        AuditEntry.organisation_id == case.organisation_id,
        AuditEntry.action.in_(audit_log.CHANGES),
        audit_log.case_condition(case.id),
    )
    events: list[dict] = []
    last_change = case.updated_at
    day = func.date(AuditEntry.ts)
    by_day: dict[tuple, dict] = {}
    for when, object_type, count, latest in session.execute(
        select(day, AuditEntry.object_type, func.count(), func.max(AuditEntry.ts))
        .where(about_case)
        .group_by(day, AuditEntry.object_type)
    ):
        latest = _aware(latest)
        if latest is not None and (last_change is None or latest > _aware(last_change)):
            last_change = latest
        kind = "import" if object_type == "collection" else "change"
        key = (_as_date(when), kind)
        if key in by_day:
            by_day[key]["count"] += count
        else:
            by_day[key] = {"day": key[0], "kind": kind, "count": count}
    events.extend(by_day.values())
    history = list(
        session.execute(
            select(AuditEntry).where(about_case).order_by(AuditEntry.seq.desc()).limit(HISTORY_SIZE)
        ).scalars()
    )
    for (
        decision_id,
        decided_on,
        action,
        urgent,
        annulled_at,
        reference,
    ) in session.execute(
        select(
            Decision.id,
            Decision.decided_on,
            Decision.action,
            Decision.urgent,
            Decision.annulled_at,
            Decision.reference,
        ).where(Decision.case_id == case.id)
    ):
        events.append(
            {
                "day": decided_on,
                "kind": "decision",
                "count": 1,
                "action": action,
                "urgent": bool(urgent),
                "reference": reference,
                "annulled": annulled_at is not None,
                "id": decision_id,
            }
        )
    for expires_on, count in session.execute(
        select(Asset.urgent_expires_on, func.count())
        .join(
            CaseEntity, and_(CaseEntity.entity_id == Asset.entity_id, CaseEntity.case_id == case.id)
        )
        .where(Asset.urgent_unconfirmed.is_(True), Asset.urgent_expires_on.is_not(None))
        .group_by(Asset.urgent_expires_on)
    ):
        events.append(
            {
                "day": expires_on,
                "kind": "lapse",
                "count": count,
                "lapsed": expires_on < today,
            }
        )
    reports = [
        {
            "id": report.id,
            "number": report.number,
            "kind": report.kind,
            "issued_at": report.issued_at,
            "withdrawn": report.withdrawn_at is not None,
        }
        for report in session.scalars(
            select(Report)
            .where(
                Report.issued_at.is_not(None),
                Report.issuing_organisation_id == case.organisation_id,
                audit_log.reports_of_case(case.id),
            )
            .order_by(Report.issued_at.desc(), Report.id.desc())
        )
    ]
    for report in reports:
        events.append(
            {
                "day": _aware(report["issued_at"]).date(),
                "kind": "report",
                "count": 1,
                "number": report["number"],
            }
        )
    events.sort(key=lambda e: (e["day"], _KIND_ORDER.index(e["kind"])))
    references = {e["id"]: e["reference"] for e in events if e["kind"] == "decision"}
    user_ids = {e.user_id for e in history} - {None}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    entity_ids = {
        int(e.object_id)
        for e in history
        if e.object_type in ("entity", "asset") and (e.object_id or "").isdigit()
    }
    captions = dict(
        session.execute(
            select(Entity.id, Entity.caption).where(Entity.id.in_(entity_ids or {-1}))
        ).all()
    )
    return {
        "officer": officer,
        "last_change": last_change,
        "timeline": events,
        "reports": reports,
        "history": [
            _history_row(entry, names, {**captions, **labels}, references) for entry in history
        ],
    }


#: The kinds of timeline events, in the order of the chart's lanes.
TIMELINE_KINDS = ("decision", "lapse", "change", "import", "report")
_KIND_ORDER = TIMELINE_KINDS


def _history_row(entry: AuditEntry, names: dict, labels: dict, references: dict) -> dict:
    details = audit_log.detail_rows(entry.action, entry.details)
    number = int(entry.object_id) if (entry.object_id or "").isdigit() else None
    if entry.object_type in ("entity", "asset"):
        label = labels.get(number)
    elif entry.object_type == "decision":
        label = references.get(number)
    else:
        label = None
    return {
        "ts": entry.ts,
        "user": names.get(entry.user_id) or entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": number,
        "label": label,
        "fields": [row["field"] for row in details if row["change"]],
    }


def _as_date(value) -> date:
    """A day as ``func.date`` returns it: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _aware(value):
    """A time read back from SQLite's ``func.max`` may come as naive text: read it as UTC."""
    from datetime import UTC
    from datetime import datetime

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def case_assets(
    session: Session,
    case: Case,
    today: date,
    *,
    limit: int | None = None,
    after: int | None = None,
    names: dict | None = None,
) -> list[dict]:
    """Return the assets of ``case`` with their stage, values and ledger (three queries).

    ``limit`` and ``after`` (an asset id) page them by key: at most ``limit + 1`` rows (the
    extra one says there is a next page). ``names`` overrides the names of some (redacted).

    Each asset: ``id``, ``name``, ``schema``, ``stage``, ``rank`` (its place in the lifecycle),
    ``urgent_unconfirmed``, ``urgent_expires_on``, ``overdue`` (an urgent freeze past its
    expiry), ``expiring`` (within :data:`URGENT_WARNING_DAYS`), ``confiscation_final``,
    ``manager``, ``last_decided_on``,
    ``estimated`` / ``frozen`` / ``confiscated`` / ``realised`` as ``(amount, currency)`` or
    None (the latest standing order of that kind with a value for this asset, as
    :func:`~.decisions.asset_as_dict` reads them), ``ledger`` ({currency: {"cost", "income",
    "net"}}) and ``allowed`` (the actions the lifecycle allows next).
    """
    rows = session.execute(
        select(
            Asset.entity_id,
            Entity.caption,
            Entity.schema_name,
            Asset.stage,
            Asset.urgent_unconfirmed,
            Asset.urgent_expires_on,
            Asset.confiscation_final,
            Asset.manager,
            Asset.estimated_value,
            Asset.currency,
            Asset.last_decided_on,
        )
        .join(Entity, Entity.id == Asset.entity_id)
        .join(
            CaseEntity, and_(CaseEntity.entity_id == Asset.entity_id, CaseEntity.case_id == case.id)
        )
        # The same test as services.cases.case_stages: an asset schema, or marked as an asset.
        .where(or_(CaseEntity.as_asset.is_(True), Entity.schema_name.in_(ASSET_SCHEMATA)))
        .where(*_after(session, (Entity.caption_norm, Asset.entity_id), Entity, after))
        .order_by(Entity.caption_norm, Asset.entity_id)
        .limit(limit + 1 if limit is not None else None)
    ).all()
    read = asset_reads.read_asset_values(session, [row[0] for row in rows])
    assets = []
    for (
        asset_id,
        name,
        schema_name,
        stage,
        urgent,
        expires_on,
        final,
        manager,
        estimated,
        currency,
        last_decided_on,
    ) in rows:
        state = lifecycle.AssetState(
            stage,
            urgent_unconfirmed=urgent,
            confiscation_final=final,
            last_decided_on=None,
            urgent_expires_on=expires_on if urgent else None,
        )
        values = read.values_of(asset_id)
        assets.append(
            {
                "id": asset_id,
                "name": (names or {}).get(asset_id, name),
                "schema": schema_name,
                "stage": stage,
                "rank": lifecycle.STAGE_ORDER.index(lifecycle.Stage(stage)),
                "urgent_unconfirmed": urgent,
                "urgent_expires_on": expires_on if urgent else None,
                "overdue": bool(urgent and expires_on and expires_on < today),
                "expiring": bool(
                    urgent
                    and expires_on
                    and today <= expires_on
                    and (expires_on - today).days <= URGENT_WARNING_DAYS
                ),
                "confiscation_final": final,
                "manager": manager,
                "last_decided_on": last_decided_on,
                "estimated": (estimated, currency) if estimated is not None else None,
                "frozen": values.get("frozen"),
                "confiscated": values.get("confiscated"),
                "realised": values.get("realised"),
                "ledger": read.ledger_of(asset_id),
                "allowed": [a.value for a in lifecycle.allowed_actions(state, on=today)],
            }
        )
    return assets


def stage_summary(assets) -> list[dict]:
    """Return, per stage in lifecycle order, the number of assets and their estimated value.

    ``assets`` are :func:`case_assets` rows, or ``services.stats.assets_by_stage``'s mapping
    (stage → {"count", "value"}). Each row: ``stage``, ``count``, ``value`` ({currency:
    Decimal}, estimated values only), ``total`` (the number of assets in all stages).

    >>> rows = stage_summary({"frozen": {"count": 2, "value": {"EUR": Decimal("10")}}})
    >>> [(r["stage"], r["count"], r["total"]) for r in rows][:2]
    [('traced', 0, 2), ('frozen', 2, 2)]
    """
    if isinstance(assets, dict):
        by_stage = {
            stage: {"count": entry["count"], "value": dict(entry["value"])}
            for stage, entry in assets.items()
        }
    else:
        by_stage = {}
        for asset in assets:
            entry = by_stage.setdefault(asset["stage"], {"count": 0, "value": {}})
            entry["count"] += 1
            if asset["estimated"] is not None:
                amount, currency = asset["estimated"]
                entry["value"][currency] = entry["value"].get(currency, Decimal(0)) + amount
    total = sum(entry["count"] for entry in by_stage.values())
    return [
        {
            "stage": stage.value,
            "count": by_stage.get(stage.value, {}).get("count", 0),
            "value": dict(sorted(by_stage.get(stage.value, {}).get("value", {}).items())),
            "total": total,
        }
        for stage in lifecycle.STAGE_ORDER
    ]


def case_entities(
    session: Session,
    user: User,
    case: Case,
    *,
    limit: int | None = None,
    after: int | None = None,
    labels: dict | None = None,
) -> list[dict]:
    """Return the entities of ``case`` with their role, grades and asset stage (one query).

    Outside the owning organisation, victims, witnesses and persons of role ``other`` are named
    by a neutral label (``Victim 1``, a :class:`~assettrack.errors.Msg`) and ``redacted`` is set.
    ``limit`` and ``after`` (an entity id) page them by key (``limit + 1`` rows at most);
    ``labels`` (from :func:`_protected_labels`) keeps the labels' numbers across pages.
    """
    if labels is None:
        labels = _protected_labels(session, user, case)
    rows = session.execute(
        select(
            CaseEntity.id,
            CaseEntity.role,
            CaseEntity.source_grade,
            CaseEntity.info_grade,
            CaseEntity.as_asset,
            CaseEntity.note,
            Entity.id,
            Entity.caption,
            Entity.schema_name,
            Asset.stage,
        )
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .outerjoin(Asset, Asset.entity_id == Entity.id)
        .where(CaseEntity.case_id == case.id)
        .where(*_after(session, _ENTITY_ORDER, Entity, after))
        .order_by(*_ENTITY_ORDER)
        .limit(limit + 1 if limit is not None else None)
    ).all()
    entities = []
    for (
        link_id,
        role,
        source_grade,
        info_grade,
        as_asset,
        note,
        entity_id,
        name,
        schema_name,
        stage,
    ) in rows:
        is_asset = schema_name in ASSET_SCHEMATA or as_asset
        redacted = entity_id in labels and is_protected(role, schema_name)
        if redacted:
            name = labels[entity_id]
        entities.append(
            {
                "link_id": link_id,
                "entity_id": entity_id,
                "name": name,
                "schema": schema_name,
                "role": role,
                "source_grade": source_grade,
                "info_grade": info_grade,
                "as_asset": as_asset,
                "is_asset": bool(is_asset and stage is not None),
                "stage": stage if is_asset else None,
                "note": None if redacted else note,
                "redacted": redacted,
            }
        )
    return entities


def case_relations(
    session: Session,
    case: Case,
    names: dict,
    *,
    limit: int | None = None,
    after: int | None = None,
) -> list[dict]:
    """Return the relations whose two ends are both entities of ``case`` (one query).

    Each is :func:`~.entities.relation_as_dict` with ``source_name`` and ``target_name``: the
    entity's name, or its label in ``names`` (entity id → label of a redacted entity).
    ``limit`` and ``after`` (a relation id) page them by key (``limit + 1`` rows at most).
    """
    in_case = _entity_ids_of(case)
    source = aliased(Entity)
    target = aliased(Entity)
    rows = session.execute(
        select(Relation, source.caption, target.caption)
        .join(source, source.id == Relation.source_id)
        .join(target, target.id == Relation.target_id)
        .where(Relation.source_id.in_(in_case), Relation.target_id.in_(in_case))
        .where(*_after(session, (Relation.schema_name, Relation.id), Relation, after))
        .order_by(Relation.schema_name, Relation.id)
        .limit(limit + 1 if limit is not None else None)
    )
    result = []
    for relation, source_name, target_name in rows:
        body = relation_as_dict(relation)
        body["source_name"] = names.get(relation.source_id, source_name)
        body["target_name"] = names.get(relation.target_id, target_name)
        result.append(body)
    return result


def case_decisions(
    session: Session,
    case: Case,
    *,
    names: dict | None = None,
    decision_id: int | None = None,
    limit: int | None = None,
    after: int | None = None,
) -> list[dict]:
    """Return the decisions of ``case`` oldest first, every field, annulled ones included.

    Three queries: the decisions, the assets they covered (stage before and after, amount) and
    the names of the users who entered or annulled them. ``names`` overrides asset names (the
    redacted view); ``decision_id`` keeps that decision only; ``limit`` and ``after`` (a
    decision id) page them by key (``limit + 1`` rows at most).
    """
    stmt = select(Decision).where(Decision.case_id == case.id)
    if decision_id is not None:
        stmt = stmt.where(Decision.id == decision_id)
    stmt = stmt.where(*_after(session, (Decision.decided_on, Decision.id), Decision, after))
    decisions = list(
        session.scalars(
            stmt.order_by(Decision.decided_on, Decision.id).limit(
                limit + 1 if limit is not None else None
            )
        )
    )
    if not decisions:
        return []
    covered: dict[int, list] = defaultdict(list)
    for link, caption, schema_name in session.execute(
        select(DecisionAsset, Entity.caption, Entity.schema_name)
        .join(Entity, Entity.id == DecisionAsset.asset_id)
        .join(Decision, Decision.id == DecisionAsset.decision_id)
        .where(Decision.case_id == case.id, Decision.id.in_([d.id for d in decisions]))
        .order_by(Entity.caption_norm, DecisionAsset.asset_id)
    ):
        covered[link.decision_id].append(
            {
                "id": link.asset_id,
                "name": (names or {}).get(link.asset_id, caption),
                "schema": schema_name,
                "stage_before": link.stage_before,
                "stage_after": link.stage_after,
                "amount": link.amount,
            }
        )
    user_ids = {d.entered_by_id for d in decisions} | {d.annulled_by_id for d in decisions}
    users = dict(
        session.execute(select(User.id, User.name).where(User.id.in_(user_ids - {None}))).all()
    )
    return [_decision_row(d, covered[d.id], users) for d in decisions]


def get_case_decision(session: Session, user: User, case_id: int, decision_id: int):
    """Return ``(case, decision)`` when the user may read the case and the decision is in it."""
    case = access.get_case(session, user, case_id)
    decision = session.get(Decision, decision_id)
    if decision is None or decision.case_id != case.id:
        raise NotFound(f"decision {decision_id} not found in case {case.reference}")
    return case, decision


# --- the asset page --------------------------------------------------------------------------


def read_asset(
    session: Session, user: User, asset_id: int, *, via: str = "page"
) -> tuple[Asset, Entity]:
    """Return an asset within the user's scope with its entity; the consultation is logged."""
    asset, entity = decision_service.get_asset(session, user, asset_id)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "asset",
        asset.entity_id,
        details={"via": via},
        organisation_id=asset.organisation_id,
    )
    return asset, entity


def asset_page(session: Session, user: User, asset: Asset) -> dict:
    """Return what the asset page shows: :func:`~.decisions.asset_as_dict` and its ledger
    entries, manager assignments, the cases (within the user's scope) that hold it, the
    actions the lifecycle allows next and the names of the users who entered each decision."""
    body = decision_service.asset_as_dict(session, asset)
    body["entries"] = list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.asset_id == asset.entity_id)
            .order_by(LedgerEntry.booked_on, LedgerEntry.id)
        )
    )
    body["managers"] = list(
        session.scalars(
            select(ManagerAssignment)
            .where(ManagerAssignment.asset_id == asset.entity_id)
            .order_by(ManagerAssignment.assigned_on, ManagerAssignment.id)
        )
    )
    body["cases"] = [
        {"id": c.id, "reference": c.reference, "title": c.title, "tlp": c.tlp, "role": role}
        for c, role in session.execute(
            select(Case, CaseEntity.role)
            .join(CaseEntity, CaseEntity.case_id == Case.id)
            .where(
                CaseEntity.entity_id == asset.entity_id,
                Case.organisation_id.in_(access.readable_organisation_ids(session, user) or {-1}),
            )
            .order_by(Case.reference)
        )
    ]
    org = session.get(Organisation, asset.organisation_id)
    today = org_today(org)
    body["allowed"] = [
        a.value for a in lifecycle.allowed_actions(decision_service.asset_state(asset), on=today)
    ]
    user_ids = {d["entered_by"] for d in body["history"]} - {None}
    body["users"] = dict(
        session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()
    )
    expires = asset.urgent_expires_on if asset.urgent_unconfirmed else None
    body["today"] = today
    body["overdue"] = bool(expires and expires < today)
    return body


def can_edit_asset(user: User, asset: Asset) -> bool:
    """Return whether ``user`` may value an asset, book on it or change its manager."""
    try:
        access.require_edit_organisation(user, asset.organisation_id)
    except AccessDenied:
        return False
    return True


# --- documents -------------------------------------------------------------------------------


def document_for_download(
    session: Session, user: User, case_id: int, decision_id: int, files_dir: str
) -> tuple[Path, str, str]:
    """Return ``(path, name, mimetype)`` of a decision's order document; logged as a disclosure.

    Raises NotFound when the case is outside the user's scope, the decision is not in it, it has
    no document, or the file is missing.
    """
    case, decision = get_case_decision(session, user, case_id, decision_id)
    if not decision.document_path:
        raise NotFound(f"decision {decision_id} has no document")
    path = files.stored_path(files_dir, decision.document_path)
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "decision",
        decision.id,
        details={
            "case": case.reference,
            "document": decision.document_name,
            "sha256": decision.document_sha256,
            "recipient": user.email,
        },
        justification="order document downloaded from the case page",
        organisation_id=case.organisation_id,
    )
    return path, decision.document_name or "order", decision.document_type or "application/pdf"


# --- the dashboard ---------------------------------------------------------------------------


def dashboard_organisations(session: Session, user: User) -> list[Organisation]:
    """Return the organisations whose dashboard ``user`` may see: the home one first."""
    ids = access.readable_organisation_ids(session, user)
    orgs = session.scalars(
        select(Organisation).where(Organisation.id.in_(ids or {-1})).order_by(Organisation.code)
    )
    return sorted(orgs, key=lambda o: o.id != user.organisation_id)


def statistics_year(raw, today: date) -> int:
    """Return the year asked for (this year when none), or raise Invalid on ``year``.

    >>> statistics_year("", date(2026, 5, 1)), statistics_year(" 2024 ", date(2026, 5, 1))
    (2026, 2024)
    >>> statistics_year("2028", date(2026, 5, 1))
    Traceback (most recent call last):
    ...
    assettrack.errors.Invalid: year: must be a year from 1990 to 2027
    """
    last = today.year + 1
    text = "" if raw is None else str(raw).strip()
    if not text:
        return today.year
    if not (text.isascii() and text.isdigit()) or not FIRST_STATISTICS_YEAR <= int(text) <= last:
        raise Invalid(
            {
                "year": Msg(
                    "must be a year from {first} to {last}",
                    first=FIRST_STATISTICS_YEAR,
                    last=last,
                )
            }
        )
    return int(text)


def dashboard(session: Session, user: User, organisation_id: int, year: int | None) -> dict:
    """Return the dashboard of an organisation the user may read.

    ``stages``: :func:`stage_summary` of the organisation's assets; ``urgent``: unconfirmed
    urgent freezes lapsing within :data:`URGENT_WARNING_DAYS` or overdue, each with the cases
    holding the asset; ``reviews``: cases whose review falls due within
    :data:`REVIEW_WARNING_DAYS`; ``statistics``: the Directive statistics of ``year`` (None
    when no year is given).
    """
    if organisation_id not in access.readable_organisation_ids(session, user):
        raise NotFound(f"organisation {organisation_id} not found")
    org = session.get(Organisation, organisation_id)
    today = org_today(org)
    urgent = stats.urgent_freezes(session, org.id, today, within_days=URGENT_WARNING_DAYS)
    holders: dict[int, list] = defaultdict(list)
    if urgent:
        for entity_id, case_id, reference in session.execute(
            select(CaseEntity.entity_id, Case.id, Case.reference)
            .join(Case, Case.id == CaseEntity.case_id)
            .where(
                CaseEntity.entity_id.in_([a.entity_id for a, _e, _o in urgent]),
                Case.organisation_id == org.id,
            )
            .order_by(Case.reference)
        ):
            holders[entity_id].append({"id": case_id, "reference": reference})
    return {
        "organisation": org,
        "today": today,
        "stages": stage_summary(stats.assets_by_stage(session, org.id)),
        "urgent": [
            {
                "id": asset.entity_id,
                "name": entity.caption,
                "schema": entity.schema_name,
                "expires_on": asset.urgent_expires_on,
                "overdue": overdue,
                "days_left": (asset.urgent_expires_on - today).days,
                "cases": holders[asset.entity_id],
            }
            for asset, entity, overdue in urgent
        ],
        "reviews": [
            {
                "id": c.id,
                "reference": c.reference,
                "title": c.title,
                "status": c.status,
                "review_on": c.review_on,
                "late": c.review_on < today,
            }
            for c in stats.reviews_due(session, org.id, today, within_days=REVIEW_WARNING_DAYS)
        ],
        "year": year,
        "statistics": stats.directive_statistics(session, org.id, year) if year else None,
    }


def open_data_export(session: Session, user: User, organisation_id: int) -> tuple[str, str]:
    """Return ``(filename, csv_text)`` of an organisation's open data; logged as a disclosure.

    The CSV (``services.stats.open_data_csv``) holds one row per asset and no personal data.
    """
    if organisation_id not in access.readable_organisation_ids(session, user):
        raise NotFound(f"organisation {organisation_id} not found")
    org = session.get(Organisation, organisation_id)
    text = stats.open_data_csv(session, org.id)
    rows = max(0, text.count("\n") - 1)
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "organisation",
        org.id,
        details={"export": "open data CSV", "rows": rows, "recipient": user.email},
        justification="open-data export (one row per asset, no personal data)",
        organisation_id=org.id,
    )
    return f"assettrack-{org.code}-open-data-{org_today(org).isoformat()}.csv", text


# --- helpers ---------------------------------------------------------------------------------


def _entity_ids_of(case: Case):
    return select(CaseEntity.entity_id).where(CaseEntity.case_id == case.id)


_ENTITY_ORDER = (Entity.schema_name, Entity.caption_norm, Entity.id)


def _after(session, order: tuple, table, after_id) -> list:
    """The condition "after the row ``after_id``" in ``order`` (whose last column is the id).

    Paging by key: the anchor row's values are read (one query) and compared as a row value,
    so a page costs the same at the start and at the end of 50,000 rows. An unknown id (a row
    deleted meanwhile, or never there) starts again from the first row.
    """
    if after_id is None or not 0 < after_id < 2**62:
        return []
    anchor = session.execute(select(*order).where(order[-1] == after_id)).first()
    if anchor is None:
        return []
    return [tuple_(*order) > tuple_(*anchor)]


def _protected_labels(session: Session, user: User, case: Case) -> dict:
    """Entity id → neutral label of the case's protected entities, for a reader outside.

    Numbered over the whole case in the entities' order, so a label stays the same on every
    page; empty where the reader may see the names: at home, and for a liaison whose grant
    carries the names flag (DECISIONS #10).
    """
    if case.organisation_id in access.named_organisation_ids(session, user):
        return {}
    counters: dict[str, int] = defaultdict(int)
    labels = {}
    for entity_id, role, schema_name in session.execute(
        select(Entity.id, CaseEntity.role, Entity.schema_name)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(CaseEntity.case_id == case.id, CaseEntity.role.in_(_PROTECTED_LINK_ROLES))
        .order_by(*_ENTITY_ORDER)
    ):
        if is_protected(role, schema_name) and entity_id not in labels:
            counters[role] += 1
            label = _NEUTRAL_LABELS.get(role, _NEUTRAL_OTHER)
            labels[entity_id] = Msg(label, number=counters[role])
    return labels


#: The case's labels for other views of it (its network), numbered as on the case page.
protected_labels = _protected_labels


def _stage_counts(session: Session, case: Case) -> dict:
    """Stage → {"count", "value" {currency: estimated}} of all the case's assets (one query)."""
    by_stage: dict = {}
    for stage, currency, count, value in session.execute(
        select(Asset.stage, Asset.currency, func.count(), func.sum(Asset.estimated_value))
        .join(
            CaseEntity, and_(CaseEntity.entity_id == Asset.entity_id, CaseEntity.case_id == case.id)
        )
        .join(Entity, Entity.id == Asset.entity_id)
        .where(or_(CaseEntity.as_asset.is_(True), Entity.schema_name.in_(ASSET_SCHEMATA)))
        .group_by(Asset.stage, Asset.currency)
    ):
        entry = by_stage.setdefault(stage, {"count": 0, "value": {}})
        entry["count"] += count
        if value is not None:
            entry["value"][currency] = entry["value"].get(currency, Decimal(0)) + Decimal(value)
    return by_stage


def _section_counts(session: Session, case: Case, by_stage: dict) -> dict:
    """How many assets (from :func:`_stage_counts`), entities, relations and decisions."""
    in_case = _entity_ids_of(case)
    return {
        "assets": sum(e["count"] for e in by_stage.values()),
        "entities": session.scalar(
            select(func.count()).select_from(CaseEntity).where(CaseEntity.case_id == case.id)
        ),
        "relations": session.scalar(
            select(func.count())
            .select_from(Relation)
            .where(Relation.source_id.in_(in_case), Relation.target_id.in_(in_case))
        ),
        "decisions": session.scalar(
            select(func.count()).select_from(Decision).where(Decision.case_id == case.id)
        ),
    }


def _decision_row(decision: Decision, assets: list, users: dict) -> dict:
    row = {
        "id": decision.id,
        "action": decision.action,
        "decided_on": decision.decided_on,
        "authority": decision.authority,
        "reference": decision.reference,
        "legal_basis": decision.legal_basis,
        "currency": decision.currency,
        "amount": decision.amount,
        "source": decision.source,
        "register_label": decision.register_label,
        "entered_by": users.get(decision.entered_by_id),
        "entered_at": decision.entered_at,
        "annulled": decision.annulled_at is not None,
        "annulled_at": decision.annulled_at,
        "annulled_by": users.get(decision.annulled_by_id),
        "annul_reason": decision.annul_reason,
        "document": {
            "name": decision.document_name,
            "sha256": decision.document_sha256,
            "type": decision.document_type,
        }
        if decision.document_path
        else None,
        "assets": assets,
    }
    if decision.action == Action.FREEZE:
        row.update(
            urgent=decision.urgent,
            lapse_acknowledged=decision.lapse_acknowledged,
            lapse_flag=decision.lapse_flag,
            expires_on=decision.expires_on,
            owner_notified_on=decision.owner_notified_on,
        )
    elif decision.action == Action.MANAGE:
        row.update(
            manager=decision.manager,
            early_sale=decision.early_sale,
            ground=decision.early_sale_ground,
            price=decision.price,
        )
    elif decision.action == Action.CONFISCATE:
        row.update(confiscation_type=decision.confiscation_type, final=decision.final)
    elif decision.action == Action.DISPOSE:
        row.update(
            disposal=decision.disposal, recipient=decision.recipient, purpose=decision.purpose
        )
    elif decision.action == Action.RELEASE:
        row.update(reason=decision.reason, returned_on=decision.returned_on)
    return row
