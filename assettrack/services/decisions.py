"""Record, annul and read the legal decisions that move assets through their lifecycle."""

import json
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .. import access
from .. import audit
from .. import shapes
from ..domain import lifecycle
from ..domain.decision_shapes import DECISION_READS
from ..domain.lifecycle import Action
from ..domain.lifecycle import Stage
from ..domain.money import money_text
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import Decision
from ..models import DecisionAsset
from ..models import DecisionReclassification
from ..models import Entity
from ..models import LedgerEntry
from ..models import ManagerAssignment
from ..models import Organisation
from ..models import User
from ..models import Valuation
from ..models import utcnow
from ..routing import id_value
from . import asset_reads
from . import files
from .cases import org_today
from .cases import review_date
from .validation import clean_date
from .validation import clean_money

__all__ = [
    "record_decision",
    "annul_decision",
    "attach_document",
    "add_valuation",
    "add_ledger_entry",
    "assign_manager",
    "decision_as_dict",
    "asset_history",
    "asset_as_dict",
    "decisions_as_dicts",
    "asset_state",
    "get_asset",
    "money_text",
    "DOCUMENT_TYPES",
    "DOCUMENT_MAX_BYTES",
    "audit_reclassifications",
]

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
# Order documents: PDF or a scan. Checked by content, not by the name the browser sent.
DOCUMENT_TYPES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
}


def asset_state(asset: Asset) -> lifecycle.AssetState:
    """Return the lifecycle state of an asset row."""
    return lifecycle.AssetState(
        stage=lifecycle.Stage(asset.stage),
        urgent_unconfirmed=asset.urgent_unconfirmed,
        confiscation_final=asset.confiscation_final,
        last_decided_on=asset.last_decided_on,
        urgent_expires_on=asset.urgent_expires_on if asset.urgent_unconfirmed else None,
    )


def record_decision(
    session: Session,
    user: User,
    case: Case,
    payload: dict,
    *,
    source: str = "manual",
    register_label: str | None = None,
) -> Decision:
    """Record one decision on one or more assets of ``case``: all of them move, or none.

    Raises Invalid (422) for bad fields, Conflict (409) with ``assets`` naming each asset the
    lifecycle refuses, and Conflict when another officer changed an asset meanwhile.
    """
    access.require_edit_case(user, case)
    if not isinstance(payload, dict):
        raise Invalid({"": Msg("expected an object")})
    org = session.get(Organisation, case.organisation_id)
    try:
        clean = lifecycle.validate_decision(payload.get("action"), payload, today=org_today(org))
    except lifecycle.DecisionInvalid as exc:
        errors = dict(exc.errors)
        _check_asset_ids(session, case, payload.get("asset_ids"), errors)
        raise Invalid(errors) from None
    errors: dict = {}
    asset_ids = _check_asset_ids(session, case, payload.get("asset_ids"), errors)
    if errors:
        raise Invalid(errors)
    shape = _shape(clean, payload, asset_ids)
    action = clean["action"]
    assets = _lock_assets(session, asset_ids)
    refused = []
    new_states = {}
    for asset in assets:
        try:
            new_states[asset.entity_id] = lifecycle.next_state(
                asset_state(asset),
                action,
                urgent=bool(getattr(shape, "urgent", False)),
                final=bool(getattr(shape, "final", False)),
                lapse_acknowledged=bool(getattr(shape, "lapse_acknowledged", False)),
                decided_on=shape.decided_on,
            )
        except lifecycle.IllegalTransition as exc:
            refused.append({"id": asset.entity_id, "stage": asset.stage, "reason": exc.reason})
        except lifecycle.DecisionInvalid as exc:
            raise Invalid(
                {
                    k: Msg("asset {id}: {problem}", id=asset.entity_id, problem=v)
                    for k, v in exc.errors.items()
                }
            ) from None
    if refused:
        raise Conflict(
            "the lifecycle does not allow this decision for "
            + ", ".join(f"asset {r['id']} ({r['stage']})" for r in refused),
            assets=refused,
        )
    decision = _decision_row(user, case, org, shape, assets, source, register_label)
    session.add(decision)
    session.flush()
    amounts = _per_asset_amounts(shape)
    for asset in assets:
        state = new_states[asset.entity_id]
        session.add(
            DecisionAsset(
                decision_id=decision.id,
                asset_id=asset.entity_id,
                stage_before=asset.stage,
                stage_after=state.stage.value,
                state_before=json.dumps(_state_dict(asset)),
                amount=amounts.get(asset.entity_id),
            )
        )
        changes = {
            "stage": state.stage.value,
            "urgent_unconfirmed": state.urgent_unconfirmed,
            "urgent_expires_on": decision.expires_on if state.urgent_unconfirmed else None,
            "confiscation_final": state.confiscation_final,
            "last_decided_on": state.last_decided_on,
        }
        if action is lifecycle.Action.MANAGE:
            changes["manager"] = shape.manager
            session.add(
                ManagerAssignment(
                    asset_id=asset.entity_id,
                    manager=shape.manager,
                    assigned_on=shape.decided_on,
                    decision_id=decision.id,
                    entered_by_id=user.id,
                )
            )
        _compare_and_set(session, asset, changes)
    case.review_on = max(case.review_on, review_date(shape.decided_on))
    case.updated_at = utcnow()
    session.add(case)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "decision",
        decision.id,
        details=decision_as_dict(session, decision),
        organisation_id=org.id,
    )
    return decision


def annul_decision(session: Session, user: User, decision_id: int, reason: str) -> Decision:
    """Annul a decision entered by mistake; its assets go back to their state before it.

    Only the latest standing decision of each asset can be annulled (annul later ones first).
    """
    decision = _get_decision(session, user, decision_id)
    case = session.get(Case, decision.case_id)
    access.require_edit_case(user, case)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid({"reason": Msg("is required: say why the decision is annulled")})
    if len(reason) > 2000:
        raise Invalid({"reason": Msg("is longer than the limit of {limit} characters", limit=2000)})
    if decision.annulled_at is not None:
        raise Conflict(f"decision {decision.id} is already annulled")
    covered = list(
        session.scalars(select(DecisionAsset).where(DecisionAsset.decision_id == decision.id))
    )
    blocking = []
    for link in covered:
        later = session.scalar(
            select(Decision.id)
            .join(DecisionAsset, DecisionAsset.decision_id == Decision.id)
            .where(
                DecisionAsset.asset_id == link.asset_id,
                Decision.id > decision.id,
                Decision.annulled_at.is_(None),
            )
            .limit(1)
        )
        if later is not None:
            blocking.append(
                {
                    "id": link.asset_id,
                    "stage": link.stage_after,
                    "reason": f"decision {later} came later: annul it first",
                }
            )
    if blocking:
        raise Conflict("later decisions depend on this one", assets=blocking)
    assets = {a.entity_id: a for a in _lock_assets(session, [c.asset_id for c in covered])}
    for link in covered:
        before = json.loads(link.state_before)
        _compare_and_set(
            session,
            assets[link.asset_id],
            {
                "stage": before["stage"],
                "urgent_unconfirmed": before["urgent_unconfirmed"],
                "urgent_expires_on": date.fromisoformat(before["urgent_expires_on"])
                if before.get("urgent_expires_on")
                else None,
                "confiscation_final": before["confiscation_final"],
                "last_decided_on": date.fromisoformat(before["last_decided_on"])
                if before.get("last_decided_on")
                else None,
                "manager": before.get("manager"),
            },
        )
    decision.annulled_at = utcnow()
    decision.annulled_by_id = user.id
    decision.annul_reason = reason.strip()
    session.add(decision)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "decision",
        decision.id,
        details={
            "annulled": True,
            "reason": decision.annul_reason,
            "assets": [c.asset_id for c in covered],
        },
        organisation_id=decision.organisation_id,
    )
    return decision


def attach_document(
    session: Session, user: User, decision: Decision, name: str, data: bytes, files_dir: str
) -> Decision:
    """Attach the order document (PDF or image, at most 20 MB), stored under its SHA-256."""
    case = session.get(Case, decision.case_id)
    access.require_edit_case(user, case)
    if not data:
        raise Invalid({"document": Msg("the file is empty")})
    if len(data) > DOCUMENT_MAX_BYTES:
        raise Invalid({"document": Msg("the file is larger than the limit of 20 MB")})
    mimetype = next((t for magic, t in DOCUMENT_TYPES.items() if data.startswith(magic)), None)
    if mimetype is None:
        raise Invalid({"document": Msg("must be a PDF or an image (PNG, JPEG, TIFF)")})
    relative, digest = files.store(files_dir, data)
    decision.document_name = Path(name or "order").name[:255]
    decision.document_path = str(relative)
    decision.document_sha256 = digest
    decision.document_type = mimetype
    session.add(decision)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "decision",
        decision.id,
        details={"document": decision.document_name, "sha256": digest},
        organisation_id=decision.organisation_id,
    )
    return decision


def _past_day(errors: dict, data: dict, field: str, org: Organisation) -> date | None:
    """A required day, not after the organisation's today (a valuation's, a ledger entry's)."""
    day = clean_date(errors, field, data.get(field))
    if day is None and field not in errors:
        errors[field] = Msg("is required")
    elif day and day > org_today(org):
        errors[field] = Msg("must not be in the future")
        day = None
    return day


def add_valuation(session: Session, user: User, asset_id: int, data: dict) -> Valuation:
    """Add a valuation (date, amount, currency, basis, valuer); it becomes the estimate."""
    asset, _entity = _get_asset_for_edit(session, user, asset_id)
    errors: dict = {}
    amount, currency = clean_money(errors, data, "amount", "currency")
    if amount is None and "amount" not in errors:
        errors["amount"] = Msg("is required")
    org = session.get(Organisation, asset.organisation_id)
    valued_on = _past_day(errors, data, "valued_on", org) if isinstance(data, dict) else None
    basis = _text(errors, data, "basis", 200)
    valuer = _text(errors, data, "valuer", 200)
    if errors:
        raise Invalid(errors)
    valuation = Valuation(
        asset_id=asset.entity_id,
        valued_on=valued_on,
        amount=amount,
        currency=currency,
        basis=basis,
        valuer=valuer,
        entered_by_id=user.id,
    )
    session.add(valuation)
    latest = session.scalar(
        select(Valuation.valued_on)
        .where(Valuation.asset_id == asset.entity_id)
        .order_by(Valuation.valued_on.desc())
        .limit(1)
    )
    if latest is None or valued_on >= latest:
        asset.estimated_value = amount
        asset.currency = currency
        asset.updated_at = utcnow()
        session.add(asset)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "valuation",
        valuation.id,
        details={
            "asset": asset.entity_id,
            "amount": str(amount),
            "currency": currency,
            "valued_on": valued_on,
            "basis": basis,
            "valuer": valuer,
        },
        organisation_id=asset.organisation_id,
    )
    return valuation


def add_ledger_entry(session: Session, user: User, asset_id: int, data: dict) -> LedgerEntry:
    """Book a management cost or income on a frozen, managed or confiscated asset."""
    asset, _entity = _get_asset_for_edit(session, user, asset_id)
    if asset.stage not in (Stage.FROZEN, Stage.MANAGED, Stage.CONFISCATED):
        raise Conflict(
            f"costs and income are booked on frozen, managed or confiscated assets; "
            f"this one is {asset.stage}",
            assets=[
                {
                    "id": asset.entity_id,
                    "stage": asset.stage,
                    "reason": "not under a freezing or confiscation order",
                }
            ],
        )
    errors: dict = {}
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    kind = data.get("kind")
    if kind not in ("cost", "income"):
        errors["kind"] = Msg("must be cost or income")
    amount, currency = clean_money(errors, data, "amount", "currency")
    if amount is None and "amount" not in errors:
        errors["amount"] = Msg("is required")
    elif amount is not None and amount == 0:
        errors["amount"] = Msg("must be more than zero")
    org = session.get(Organisation, asset.organisation_id)
    booked_on = _past_day(errors, data, "booked_on", org)
    category = _text(errors, data, "category", 100)
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        errors["note"] = Msg("must be text of at most {limit} characters", limit=2000)
    if errors:
        raise Invalid(errors)
    entry = LedgerEntry(
        asset_id=asset.entity_id,
        booked_on=booked_on,
        kind=kind,
        amount=amount,
        currency=currency,
        category=category,
        note=note or None,
        entered_by_id=user.id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "ledger_entry",
        entry.id,
        details={
            "asset": asset.entity_id,
            "kind": kind,
            "amount": str(amount),
            "currency": currency,
            "category": category,
        },
        organisation_id=asset.organisation_id,
    )
    return entry


def assign_manager(
    session: Session, user: User, asset_id: int, manager: str, assigned_on
) -> ManagerAssignment:
    """Hand a managed asset to another manager from a date (not a lifecycle move)."""
    asset, _entity = _get_asset_for_edit(session, user, asset_id)
    if asset.stage != Stage.MANAGED:
        raise Conflict(f"only a managed asset changes manager; this one is {asset.stage}")
    errors: dict = {}
    manager = _text(errors, {"manager": manager}, "manager", 200)
    day = clean_date(errors, "assigned_on", assigned_on)
    if day is None and "assigned_on" not in errors:
        errors["assigned_on"] = Msg("is required")
    elif day and asset.last_decided_on and day < asset.last_decided_on:
        errors["assigned_on"] = Msg("must not be before the asset's previous decision")
    if errors:
        raise Invalid(errors)
    row = ManagerAssignment(
        asset_id=asset.entity_id, manager=manager, assigned_on=day, entered_by_id=user.id
    )
    session.add(row)
    before = asset.manager
    asset.manager = manager
    session.add(asset)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "asset",
        asset.entity_id,
        details={"manager": [before, manager], "assigned_on": day},
        organisation_id=asset.organisation_id,
    )
    return row


def decision_as_dict(session: Session, decision: Decision) -> dict:
    """Return the public shape of a decision (``shapes.Decision``), money as decimal strings."""
    return decisions_as_dicts(session, [decision])[0]


def decisions_as_dicts(session: Session, decisions: list[Decision]) -> list[dict]:
    """Return the public shape of each of ``decisions``, their assets read in one query."""
    links: dict[int, list[DecisionAsset]] = {d.id: [] for d in decisions}
    if links:
        for link in session.scalars(
            select(DecisionAsset)
            .where(DecisionAsset.decision_id.in_(list(links)))
            .order_by(DecisionAsset.decision_id, DecisionAsset.asset_id)
        ):
            links[link.decision_id].append(link)
    return [_decision_body(decision, links[decision.id]) for decision in decisions]


def _decision_body(decision: Decision, links: list[DecisionAsset]) -> dict:
    def day(value):
        return None if value is None else value.isoformat()

    body = {
        "id": decision.id,
        "case_id": decision.case_id,
        "action": decision.action,
        "asset_ids": [link.asset_id for link in links],
        "decided_on": day(decision.decided_on),
        "authority": decision.authority,
        "reference": decision.reference,
        "legal_basis": decision.legal_basis,
        "source": decision.source,
        "register_label": decision.register_label,
        "entered_by": decision.entered_by_id,
        "entered_at": decision.entered_at.isoformat(),
        "annulled": decision.annulled_at is not None,
        "annul_reason": decision.annul_reason,
        "currency": decision.currency,
        "document": {"name": decision.document_name, "sha256": decision.document_sha256}
        if decision.document_sha256
        else None,
        "assets": [
            {
                "id": link.asset_id,
                "stage_before": link.stage_before,
                "stage_after": link.stage_after,
                "amount": money_text(link.amount),
            }
            for link in links
        ],
    }
    for name, column, kind in _action_columns(decision.action):
        value = getattr(decision, column)
        body[name] = (
            money_text(value) if kind == "money" else day(value) if kind == "date" else value
        )
    if decision.action == Action.FREEZE:
        body.update(lapse_flag=decision.lapse_flag, expires_on=day(decision.expires_on))
    # The model is the declaration of this shape: a key it does not know, or a value of the
    # wrong type, fails here rather than in a client.
    return shapes.Decision.model_validate(body).model_dump(mode="json", exclude_unset=True)


def asset_history(session: Session, asset_id: int) -> list[Decision]:
    """Return the decisions that covered an asset, oldest first (annulled ones included)."""
    return list(
        session.scalars(
            select(Decision)
            .join(DecisionAsset, DecisionAsset.decision_id == Decision.id)
            .where(DecisionAsset.asset_id == asset_id)
            .order_by(Decision.decided_on, Decision.id)
        )
    )


def asset_as_dict(session: Session, asset: Asset) -> dict:
    """Return an asset with its values, ledger totals and decision history (constant queries)."""
    entity = session.get(Entity, asset.entity_id)
    history = asset_history(session, asset.entity_id)
    read = asset_reads.read_asset_values(session, [asset.entity_id])
    values = read.values_of(asset.entity_id)
    frozen, frozen_cur = values.get("frozen", (None, None))
    confiscated, conf_cur = values.get("confiscated", (None, None))
    realised, real_cur = values.get("realised", (None, None))
    valuations = session.scalars(
        select(Valuation)
        .where(Valuation.asset_id == asset.entity_id)
        .order_by(Valuation.valued_on, Valuation.id)
    )

    return {
        "id": asset.entity_id,
        "schema": entity.schema_name,
        "name": entity.caption,
        "stage": asset.stage,
        "urgent_unconfirmed": asset.urgent_unconfirmed,
        "urgent_expires_on": asset.urgent_expires_on.isoformat()
        if asset.urgent_expires_on
        else None,
        "confiscation_final": asset.confiscation_final,
        "manager": asset.manager,
        "estimated_value": money_text(asset.estimated_value),
        "currency": asset.currency,
        "value_at_freezing": money_text(frozen),
        "value_at_freezing_currency": frozen_cur,
        "value_at_confiscation": money_text(confiscated),
        "value_at_confiscation_currency": conf_cur,
        "realised_value": money_text(realised),
        "realised_value_currency": real_cur,
        "ledger": {
            cur: {
                "cost": money_text(t["cost"]),
                "income": money_text(t["income"]),
                "net": money_text(t["income"] - t["cost"]),
            }
            for cur, t in read.ledger_of(asset.entity_id).items()
        },
        "valuations": [
            {
                "valued_on": v.valued_on.isoformat(),
                "amount": money_text(v.amount),
                "currency": v.currency,
                "basis": v.basis,
                "valuer": v.valuer,
            }
            for v in valuations
        ],
        "history": decisions_as_dicts(session, history),
    }


def audit_reclassifications(session: Session) -> list[str]:
    """Audit, once, each decision the confirm migration reclassified; say how figures changed.

    The migration (w3dossier_01) cannot reach the audit key, so it leaves its changes in
    ``decision_reclassification`` and ``assettrack db upgrade`` records them here: one entry
    per decision, then a line per organisation and year whose statistics changed.
    """
    pending = list(
        session.scalars(
            select(DecisionReclassification)
            .where(DecisionReclassification.audited_at.is_(None))
            .order_by(DecisionReclassification.decision_id)
        )
    )
    changes: dict[tuple[str, int], int] = {}
    codes = dict(session.execute(select(Organisation.id, Organisation.code)).all())
    for row in pending:
        audit.record(
            session,
            None,
            audit.Action.UPDATE,
            "decision",
            row.decision_id,
            details={
                "action": [row.action_before, row.action_after],
                "lapse_flag": row.lapse_flag,
                "migration": "w3dossier_01",
            },
            organisation_id=row.organisation_id,
            actor="migration",
        )
        row.audited_at = utcnow()
        session.add(row)
        if row.lapse_flag:
            key = (codes.get(row.organisation_id, str(row.organisation_id)), row.year)
            changes[key] = changes.get(key, 0) + 1
    session.flush()
    lines = []
    if pending:
        lines.append(
            f"{len(pending)} confirmation(s) of urgent freezes reclassified by the confirm "
            f"migration and audited"
        )
    for (code, year), moved in sorted(changes.items()):
        lines.append(
            f"{code} {year}: freezing orders +{moved}, confirmations of urgent freezes "
            f"-{moved} (lapse not acknowledged, migrated)"
        )
    return lines


def get_asset(session: Session, user: User, asset_id: int) -> tuple[Asset, Entity]:
    """Return an asset the user may read (with its entity), else NotFound."""
    asset = session.get(Asset, asset_id)
    if asset is None or asset.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"asset {asset_id} not found")
    return asset, session.get(Entity, asset_id)


# --- helpers ---------------------------------------------------------------------------------


def _get_asset_for_edit(session, user, asset_id) -> tuple[Asset, Entity]:
    asset, entity = get_asset(session, user, asset_id)
    access.require_edit_organisation(user, asset.organisation_id)
    return asset, entity


def _get_decision(session, user, decision_id) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None or decision.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"decision {decision_id} not found")
    return decision


def _text(errors, data, field, limit) -> str | None:
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        errors[field] = Msg("is required")
        return None
    if len(value.strip()) > limit:
        errors[field] = Msg(
            "is {length} characters long; the limit is {limit}",
            length=len(value.strip()),
            limit=limit,
        )
        return None
    return value.strip()


def _check_asset_ids(session, case, raw, errors) -> list[int]:
    if not isinstance(raw, list | tuple) or not raw:
        errors["asset_ids"] = Msg("choose at least one asset of this case")
        return []
    ids = []
    for item in raw:
        try:
            ids.append(id_value(item))
        except (TypeError, ValueError):
            errors["asset_ids"] = Msg("must be a list of asset ids")
            return []
    if len(set(ids)) != len(ids):
        errors["asset_ids"] = Msg("an asset is listed twice")
        return []
    in_case = set(
        session.scalars(
            select(Asset.entity_id)
            .join(CaseEntity, CaseEntity.entity_id == Asset.entity_id)
            .where(CaseEntity.case_id == case.id, Asset.entity_id.in_(ids))
        )
    )
    missing = [i for i in ids if i not in in_case]
    if missing:
        errors["asset_ids"] = Msg(
            "not assets of this case: {ids}", ids=", ".join(str(i) for i in missing)
        )
        return []
    return ids


def _lock_assets(session, ids) -> list[Asset]:
    # FOR UPDATE serialises concurrent decisions on PostgreSQL; the version check in
    # _compare_and_set catches the rest (SQLite, or a row changed between read and write).
    rows = session.scalars(
        select(Asset)
        .where(Asset.entity_id.in_(ids))
        .order_by(Asset.entity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _compare_and_set(session, asset: Asset, changes: dict) -> None:
    result = session.execute(
        update(Asset)
        .where(Asset.entity_id == asset.entity_id, Asset.version == asset.version)
        .values(**changes, version=asset.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"asset {asset.entity_id} was changed by someone else meanwhile; reload and retry",
            assets=[
                {
                    "id": asset.entity_id,
                    "stage": asset.stage,
                    "reason": "changed by another decision at the same moment",
                }
            ],
        )
    session.expire(asset)


def _state_dict(asset: Asset) -> dict:
    return {
        "stage": asset.stage,
        "urgent_unconfirmed": asset.urgent_unconfirmed,
        "urgent_expires_on": asset.urgent_expires_on.isoformat()
        if asset.urgent_expires_on
        else None,
        "confiscation_final": asset.confiscation_final,
        "last_decided_on": asset.last_decided_on.isoformat() if asset.last_decided_on else None,
        "manager": asset.manager,
    }


def _shape(clean, payload, asset_ids):
    # The lifecycle has checked and typed the fields (its messages name each one); the model
    # of the action is the one shape the rest of the service reads, and checks what the
    # lifecycle does not see: the per-asset values of a decision on several assets.
    given = payload.get("asset_values") if len(asset_ids) > 1 else None
    try:
        return shapes.DECISION_IN.validate_python(
            {
                **clean,
                "action": clean["action"].value,
                "asset_ids": asset_ids,
                "asset_values": given if isinstance(given, dict) else None,
            }
        )
    except ValidationError as exc:
        raise Invalid(_shape_errors(exc)) from None


def _shape_errors(exc) -> dict:
    errors: dict = {}
    for error in exc.errors():
        loc = error["loc"][1:]  # the first item names the action's model
        field = str(loc[0]) if loc else ""
        if field == "asset_values" and len(loc) >= 2:
            errors.setdefault(field, _amount_error(loc[1], error))
        else:
            errors.setdefault(field, Msg("is not valid"))
    return errors


def _amount_error(key, error):
    kind = error["type"]
    if "[key]" in error["loc"]:
        return Msg("must map asset ids to decimal amounts")
    if kind == "greater_than_equal":
        return Msg("must map asset ids of this decision to amounts of 0 or more")
    if kind == "decimal_max_places":
        problem = Msg(
            "must have at most {places} decimal places",
            places=lifecycle.MONEY_MAX_DECIMAL_PLACES,
        )
    elif kind in {"decimal_whole_digits", "decimal_max_digits"}:
        problem = Msg(
            "must have at most {digits} digits before the point",
            digits=lifecycle.MONEY_MAX_INTEGER_DIGITS,
        )
    else:
        return Msg("must map asset ids to decimal amounts")
    return Msg("asset {id}: {problem}", id=key, problem=problem)


def _action_columns(action) -> list[tuple[str, str, str]]:
    """``(field, column, kind)`` of each field of ``action``'s model beyond the common ones.

    The fields and kinds are the decision model's (``decision_shapes.DECISION_READS``); the
    value an order records for its assets is the ``amount`` column (a management order's
    price has its own), an early sale's ground ``early_sale_ground``. The currency is common.
    """
    action = lifecycle.Action(action)
    value_field = shapes.VALUE_FIELD.get(action.value)
    columns = []
    for name, kind, _enum, _required in DECISION_READS[action]:
        if name == "currency":
            continue
        column = "early_sale_ground" if name == "ground" else name
        if name == value_field and action is not lifecycle.Action.MANAGE:
            column = "amount"
        columns.append((name, column, kind))
    return columns


def _decision_row(user, case, org, shape, assets, source, register_label) -> Decision:
    action = lifecycle.Action(shape.action)
    decision = Decision(
        case_id=case.id,
        organisation_id=org.id,
        action=action.value,
        decided_on=shape.decided_on,
        authority=shape.authority,
        reference=shape.reference,
        legal_basis=shape.legal_basis,
        currency=getattr(shape, "currency", None) or lifecycle.DEFAULT_CURRENCY,
        source=source,
        register_label=register_label,
        entered_by_id=user.id,
    )
    for name, column, _kind in _action_columns(action):
        value = getattr(shape, name)
        setattr(decision, column, value.value if isinstance(value, Enum) else value)
    if action is lifecycle.Action.FREEZE:
        if decision.urgent:
            decision.expires_on = lifecycle.urgent_freeze_expiry(shape.decided_on, org.country)
    return decision


def _per_asset_amounts(shape) -> dict[int, Decimal]:
    # One asset: the order's value is the asset's. Several: per-asset values only if given
    # (``asset_values``: {id: amount}); an order total is never split by guesswork.
    field = shapes.VALUE_FIELD.get(shape.action)
    total = getattr(shape, field) if field else None
    if len(shape.asset_ids) == 1:
        return {shape.asset_ids[0]: total} if total is not None else {}
    amounts = shape.asset_values or {}
    if not set(amounts) <= set(shape.asset_ids):
        raise Invalid(
            {"asset_values": Msg("must map asset ids of this decision to amounts of 0 or more")}
        )
    return dict(amounts)
