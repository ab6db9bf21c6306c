"""Entities in cases: create or link, search, read; relations between them; assets."""

import json
import unicodedata
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import matching
from ..domain import schema as ftm_schema
from ..domain.money import money_text
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import Entity
from ..models import EntityIdentifier
from ..models import Relation
from ..models import User
from ..models import Valuation
from ..models import utcnow
from ..models.entities import CASE_ROLES
from ..models.entities import INFO_GRADES
from ..models.entities import RELATION_SCHEMATA
from ..models.entities import SOURCE_GRADES
from ..routing import id_value
from . import provenance
from . import watchlist
from .cases import contains_pattern
from .cases import escape_like
from .cases import org_today
from .validation import clean_date
from .validation import clean_money

__all__ = [
    "add_entity_to_case",
    "get_entity",
    "search_entities",
    "entity_as_dict",
    "case_entities",
    "create_relation",
    "relation_as_dict",
    "normalise_name",
    "identifiers_of",
    "similar_names",
    "cases_of",
]


def normalise_name(text: str) -> str:
    """Return ``text`` lower-cased, without accents or repeated spaces (for search).

    >>> normalise_name("  Ștefan  ÇELİK ")
    'stefan celik'
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("ı", "i").split())


def identifiers_of(schema_name: str, properties: dict) -> set[tuple[str, str]]:
    """Return the strong identifiers as (property, value) rows for ``entity_identifier``.

    A scoped identifier keeps its scope in the value: ``("registrationNumber", "nl:24123456")``.
    """
    if not ftm_schema.is_native_schema(schema_name):
        return set()
    return {
        (key[0], ":".join(key[1:])) for key in ftm_schema.identity_keys(schema_name, properties)
    }


def add_entity_to_case(
    session: Session, user: User, case: Case, data: dict, *, offer_existing: bool = False
) -> CaseEntity:
    """Create an entity (or take an existing one by ``entity_id``) and link it to ``case``.

    ``data``: ``schema`` and ``properties`` (FtM names) or ``entity_id``; ``role``,
    ``source_grade``, ``info_grade``, ``as_asset``, ``estimated_value``, ``currency``, ``note``.
    An entity of an asset schema (or a company marked ``as_asset``) becomes an asset, ``traced``.

    ``offer_existing`` (the form and the API): a new entity whose strong identifier the
    organisation already holds is refused with :class:`Conflict` naming the existing one
    (``existing``: id, name, identifier, cases), unless ``link_existing`` (link that one instead)
    or ``create_anyway`` with a ``reason`` (kept in the audit entry). Watchers of the entity hear
    that it was added to the case.
    """
    access.require_edit_case(user, case)
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    errors: dict = {}
    role = data.get("role") or "other"
    if role not in CASE_ROLES:
        errors["role"] = Msg(
            "unknown role; expected one of {choices}", choices=", ".join(CASE_ROLES)
        )
    source_grade = _grade(errors, "source_grade", data.get("source_grade"), SOURCE_GRADES)
    info_grade = _grade(errors, "info_grade", data.get("info_grade"), INFO_GRADES)
    as_asset = _flag(errors, "as_asset", data.get("as_asset"))
    value, currency = clean_money(errors, data, "estimated_value", "currency")
    if data.get("entity_id") not in (None, ""):
        entity = _existing(session, user, case, data.get("entity_id"), errors)
    else:
        entity = None
        if offer_existing:
            entity = _same_identifier(session, user, case, data, errors)
        if entity is None:
            entity = _new_entity(session, user, case, data, errors)
    if errors:
        raise Invalid(errors)
    is_asset = ftm_schema.is_asset_schema(entity.schema_name, marked_as_asset=bool(as_asset))
    if value is not None and not is_asset:
        raise Invalid({"estimated_value": Msg("only assets have an estimated value")})
    if as_asset and not ftm_schema.is_asset_schema(entity.schema_name, marked_as_asset=True):
        raise Invalid({"as_asset": Msg("a {schema} cannot be an asset", schema=entity.schema_name)})
    existing = session.scalar(
        select(CaseEntity).where(CaseEntity.case_id == case.id, CaseEntity.entity_id == entity.id)
    )
    if existing is not None:
        raise Conflict(
            f"{entity.caption} is already in case {case.reference}",
            errors={"entity_id": Msg("already in this case")},
        )
    link = CaseEntity(
        case_id=case.id,
        entity_id=entity.id,
        role=role,
        source_grade=source_grade,
        info_grade=info_grade,
        as_asset=bool(as_asset),
        note=(data.get("note") or None),
    )
    session.add(link)
    session.flush()
    if is_asset:
        _ensure_asset(session, user, case, entity, value, currency)
    audit.record(
        session,
        user,
        audit.Action.COMBINE if data.get("entity_id") else audit.Action.CREATE,
        "case_entity",
        link.id,
        details={
            "case": case.reference,
            "entity": entity.id,
            "schema": entity.schema_name,
            "role": role,
            "as_asset": bool(as_asset),
        },
        organisation_id=case.organisation_id,
    )
    watchlist.tell(session, hit=watchlist.Hit.CASE, case=case, entity_ids=[entity.id], actor=user)
    return link


def similar_names(
    session: Session, organisation_id: int, schema_name: str, properties: dict, *, but=None
) -> list[dict]:
    """Return up to 5 entities of the organisation whose name is close to the one given.

    A suggestion, not a block: the candidates share a name token (at most 200 of them, the
    bounded set), then the shared matching core scores each (rigour's name comparison);
    those scoring 0.7 or more come back, best first, with the cases they appear in.
    """
    record = matching.record_from_ftm(None, schema_name, properties or {})
    tokens = sorted(
        {t for name in record.names for t in normalise_name(name).split() if len(t) > 2},
        key=len,
        reverse=True,
    )
    if not tokens:
        return []
    rows = session.execute(
        select(Entity.id, Entity.schema_name, Entity.caption, Entity.properties)
        .where(
            Entity.organisation_id == organisation_id,
            Entity.merged_into_id.is_(None),
            Entity.id != (but or -1),
            or_(*[Entity.caption_norm.like(contains_pattern(t), escape="\\") for t in tokens[:3]]),
        )
        .order_by(Entity.id.desc())
        .limit(200)
    ).all()
    scored = []
    for row in rows:
        if not matching.is_compatible(schema_name, row.schema_name):
            continue
        other = matching.record_from_ftm(row.id, row.schema_name, json.loads(row.properties))
        score = matching.compare(record, other).score
        if score >= 0.7:
            scored.append((score, row))
    scored.sort(key=lambda pair: (-pair[0], pair[1].id))
    found = [
        {"id": row.id, "name": row.caption, "schema": row.schema_name, "score": round(score, 2)}
        for score, row in scored[:5]
    ]
    cases = cases_of(session, [item["id"] for item in found])
    for item in found:
        item["cases"] = cases.get(item["id"], [])
    return found


def get_entity(session: Session, user: User, entity_id: int, *, audit_read: bool = True) -> Entity:
    """Return an entity the user may read (its organisation is theirs), else NotFound."""
    entity = session.get(Entity, entity_id)
    if entity is None or entity.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"entity {entity_id} not found")
    if audit_read:
        audit.record(
            session,
            user,
            audit.Action.READ,
            "entity",
            entity.id,
            organisation_id=entity.organisation_id,
        )
    return entity


def search_entities(
    session: Session,
    user: User,
    *,
    q: str | None = None,
    external_id: str | None = None,
    schema: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Entity], int]:
    """Find entities within the user's scope by name, identifier or FtM id."""
    orgs = access.readable_organisation_ids(session, user) or {-1}
    stmt = select(Entity).where(Entity.organisation_id.in_(orgs), Entity.merged_into_id.is_(None))
    if q:
        norm = normalise_name(q)
        ident = q.upper().replace(" ", "")
        by_identifier = select(EntityIdentifier.entity_id).where(
            or_(
                EntityIdentifier.value == ident,
                EntityIdentifier.value.like(f"%:{escape_like(ident)}", escape="\\"),
            )
        )
        stmt = stmt.where(
            or_(
                Entity.caption_norm.like(contains_pattern(norm), escape="\\"),
                Entity.id.in_(by_identifier),
            )
        )
    if external_id:
        stmt = stmt.where(Entity.external_id == external_id)
    if schema:
        stmt = stmt.where(Entity.schema_name == schema)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.order_by(Entity.caption_norm, Entity.id).limit(limit).offset(offset)
    )
    return list(rows), total


def entity_as_dict(session: Session, entity: Entity, *, full: bool = True) -> dict:
    """Return the public shape of an entity."""
    body = {
        "id": entity.id,
        "schema": entity.schema_name,
        "name": entity.caption,
        "external_id": entity.external_id,
    }
    if not full:
        return body
    body["properties"] = json.loads(entity.properties)
    asset = session.get(Asset, entity.id)
    body["asset"] = _asset_summary(asset) if asset else None
    body["cases"] = [
        {"id": c.id, "reference": c.reference, "role": link.role}
        for link, c in session.execute(
            select(CaseEntity, Case)
            .join(Case, Case.id == CaseEntity.case_id)
            .where(CaseEntity.entity_id == entity.id)
            .order_by(Case.reference)
        )
    ]
    return body


def case_entities(session: Session, case: Case) -> list[tuple[CaseEntity, Entity, Asset | None]]:
    """Return the entities of a case with their role and, for assets, the asset row."""
    rows = session.execute(
        select(CaseEntity, Entity, Asset)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .outerjoin(Asset, Asset.entity_id == Entity.id)
        .where(CaseEntity.case_id == case.id)
        .order_by(Entity.schema_name, Entity.caption_norm)
    )
    return [
        (link, entity, asset if _is_asset(entity, link) else None) for link, entity, asset in rows
    ]


def create_relation(session: Session, user: User, data: dict) -> Relation:
    """Record a relation between two entities of the user's organisation."""
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    errors: dict = {}
    schema_name = data.get("schema")
    if schema_name not in RELATION_SCHEMATA:
        errors["schema"] = Msg(
            "unknown relation; expected one of {choices}", choices=", ".join(RELATION_SCHEMATA)
        )
    source = _endpoint(session, user, errors, "source", data.get("source"))
    target = _endpoint(session, user, errors, "target", data.get("target"))
    # An Ownership of an entity by itself is a company holding treasury shares: recorded as
    # given; effective ownership leaves it out of the chains and says so.
    if source and target and source.organisation_id != target.organisation_id:
        errors["target"] = Msg("both entities must belong to the same organisation")
    pct, pct_min, pct_max = _percentage(errors, data.get("percentage"))
    start = clean_date(errors, "start_date", data.get("start_date"))
    end = clean_date(errors, "end_date", data.get("end_date"))
    if start and end and end < start:
        errors["end_date"] = Msg("must not be before the start date")
    amount, currency = clean_money(errors, data, "amount", "currency")
    paid_on = clean_date(errors, "date", data.get("date"))
    source_grade = _grade(errors, "source_grade", data.get("source_grade"), SOURCE_GRADES)
    info_grade = _grade(errors, "info_grade", data.get("info_grade"), INFO_GRADES)
    role = data.get("role")
    if role is not None and (not isinstance(role, str) or len(role) > 200):
        errors["role"] = Msg("must be text of at most {limit} characters", limit=200)
    if schema_name != "Ownership" and data.get("percentage") not in (None, ""):
        errors["percentage"] = Msg("only an ownership has a percentage")
    if schema_name != "Payment" and amount is not None:
        errors["amount"] = Msg("only a payment has an amount")
    if errors:
        raise Invalid(errors)
    if source is None or target is None:
        raise Invalid({"source": Msg("is required")})
    access.require_edit_organisation(user, source.organisation_id)
    relation = Relation(
        organisation_id=source.organisation_id,
        schema_name=schema_name,
        source_id=source.id,
        target_id=target.id,
        role=role or None,
        percentage=pct,
        percentage_min=pct_min,
        percentage_max=pct_max,
        start_date=start,
        end_date=end,
        amount=amount,
        currency=currency if amount is not None else None,
        paid_on=paid_on,
        source_grade=source_grade,
        info_grade=info_grade,
        created_by_id=user.id,
    )
    session.add(relation)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "relation",
        relation.id,
        details=relation_as_dict(relation),
        organisation_id=relation.organisation_id,
    )
    watchlist.tell(
        session,
        hit=watchlist.Hit.RELATION,
        case=None,
        entity_ids=[source.id, target.id],
        actor=user,
    )
    return relation


def relation_as_dict(relation: Relation) -> dict:
    """Return the public shape of a relation (money and percentages as decimal strings)."""
    return {
        "id": relation.id,
        "schema": relation.schema_name,
        "source": relation.source_id,
        "target": relation.target_id,
        "role": relation.role,
        "percentage": _pct(relation.percentage),
        "percentage_min": _pct(relation.percentage_min),
        "percentage_max": _pct(relation.percentage_max),
        "start_date": relation.start_date.isoformat() if relation.start_date else None,
        "end_date": relation.end_date.isoformat() if relation.end_date else None,
        "amount": money_text(relation.amount),
        "currency": relation.currency,
        "date": relation.paid_on.isoformat() if relation.paid_on else None,
        "source_grade": relation.source_grade,
        "info_grade": relation.info_grade,
    }


# --- helpers ---------------------------------------------------------------------------------


def _pct(value) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _is_asset(entity: Entity, link: CaseEntity) -> bool:
    return ftm_schema.is_asset_schema(entity.schema_name) or link.as_asset


def _asset_summary(asset: Asset) -> dict:
    return {
        "stage": asset.stage,
        "estimated_value": money_text(asset.estimated_value),
        "currency": asset.currency,
        "urgent_unconfirmed": asset.urgent_unconfirmed,
        "urgent_expires_on": asset.urgent_expires_on.isoformat()
        if asset.urgent_expires_on
        else None,
        "confiscation_final": asset.confiscation_final,
        "manager": asset.manager,
    }


def _new_entity(session, user, case, data, errors) -> Entity | None:
    schema_name = data.get("schema")
    try:
        ftm_schema.get_schema(schema_name)
    except (ftm_schema.UnknownSchema, TypeError):
        errors["schema"] = Msg("unknown FollowTheMoney schema {value}", value=repr(schema_name))
        return None
    if schema_name in RELATION_SCHEMATA:
        errors["schema"] = Msg(
            "{schema} is a relation: record it between two entities", schema=schema_name
        )
        return None
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        errors["properties"] = Msg("must be an object of property names and values")
        return None
    checked = ftm_schema.validate_properties(schema_name, properties)
    for prop, message in checked.errors.items():
        errors[f"properties.{prop}"] = message
    if errors:
        return None
    # Falls back to the schema's label ("Bank account") when nothing names the entity.
    caption = ftm_schema.caption(schema_name, checked.properties)
    entity = Entity(
        organisation_id=case.organisation_id,
        schema_name=schema_name,
        caption=caption[:500],
        caption_norm=normalise_name(caption)[:500],
        properties=json.dumps(checked.properties, ensure_ascii=False, sort_keys=True),
        external_id=data.get("external_id") or None,
        created_by_id=user.id,
    )
    session.add(entity)
    session.flush()
    for kind, value in identifiers_of(schema_name, checked.properties):
        session.add(EntityIdentifier(entity_id=entity.id, kind=kind, value=value))
    session.flush()
    _typed_by(session, user, entity, checked.properties, data)
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "entity",
        entity.id,
        details={"schema": schema_name, "properties": checked.properties},
        justification=_reason_to_create(data),
        organisation_id=entity.organisation_id,
    )
    return entity


def _typed_by(session, user, entity, properties, data) -> None:
    """Provenance (issue #12): the values were typed by this officer, with the grades given."""
    provenance.record_sources(
        session,
        provenance.source_rows(
            entity.id,
            properties,
            provenance.SourceKind.OFFICER,
            user_id=user.id,
            source_grade=_grade({}, "", data.get("source_grade"), SOURCE_GRADES),
            info_grade=_grade({}, "", data.get("info_grade"), INFO_GRADES),
        ),
    )


def _reason_to_create(data) -> str | None:
    # Why an officer created an entity although the organisation holds its identifier.
    if data.get("create_anyway") in (True, "true", "1", "on", "yes", "y"):
        return str(data.get("reason") or "").strip() or None
    return None


def _same_identifier(session, user, case, data, errors) -> Entity | None:
    """The entity of the organisation that holds a strong identifier of the new one, to link;
    None to create. Raises Conflict when the caller has not said which."""
    schema_name, properties = data.get("schema"), data.get("properties")
    if not isinstance(schema_name, str) or not isinstance(properties, dict):
        return None
    try:
        keys = sorted(identifiers_of(schema_name, properties))
    except (ftm_schema.UnknownSchema, TypeError, ValueError):
        return None
    held = None
    for kind, value in keys:
        held = session.execute(
            select(Entity, EntityIdentifier.kind, EntityIdentifier.value)
            .join(EntityIdentifier, EntityIdentifier.entity_id == Entity.id)
            .where(
                Entity.organisation_id == case.organisation_id,
                Entity.merged_into_id.is_(None),
                EntityIdentifier.kind == kind,
                EntityIdentifier.value == value,
            )
            .order_by(Entity.id)
            .limit(1)
        ).first()
        if held is not None and matching.is_compatible(schema_name, held[0].schema_name):
            break
        held = None
    if held is None:
        return None
    entity, kind, value = held
    if _flag(errors, "link_existing", data.get("link_existing")):
        return entity
    cases = cases_of(session, [entity.id]).get(entity.id, [])
    label = ftm_schema.get_schema(entity.schema_name).properties[kind].label
    message = Msg(
        "this {identifier} belongs to {name} in cases {cases}: link it instead?",
        identifier=label,
        name=entity.caption,
        cases=", ".join(cases) or "—",
    )
    problems = {f"properties.{kind}": message}
    if _flag(errors, "create_anyway", data.get("create_anyway")):
        reason = data.get("reason")
        if isinstance(reason, str) and 0 < len(reason.strip()) <= 2000:
            return None
        problems = {
            "reason": Msg("say why this is not the entity that holds the identifier")
            if not isinstance(reason, str) or not reason.strip()
            else Msg("must be text of at most {limit} characters", limit=2000)
        }
    raise Conflict(
        str(message),
        errors=problems,
        existing={
            "id": entity.id,
            "name": entity.caption,
            "schema": entity.schema_name,
            "identifier": {"kind": kind, "value": value},
            "cases": cases,
        },
    )


def cases_of(session, entity_ids, *, but: int | None = None) -> dict[int, list[str]]:
    """Return ``{entity id: [case references]}``: the cases each entity appears in (all of
    its organisation's, whatever their TLP: who holds an identifier is not a disclosure,
    DECISIONS #12), ``but`` one case left out."""
    found: dict[int, list[str]] = {}
    ids = sorted(set(entity_ids))
    for start in range(0, len(ids), 1000):
        query = (
            select(CaseEntity.entity_id, Case.reference)
            .join(Case, Case.id == CaseEntity.case_id)
            .where(CaseEntity.entity_id.in_(ids[start : start + 1000]))
            .order_by(Case.reference)
        )
        if but is not None:
            query = query.where(CaseEntity.case_id != but)
        for entity_id, reference in session.execute(query):
            found.setdefault(entity_id, []).append(reference)
    return found


def _existing(session, user, case, raw_id, errors) -> Entity | None:
    try:
        entity_id = id_value(raw_id)
    except (TypeError, ValueError):
        errors["entity_id"] = Msg("must be the id of an entity")
        return None
    entity = session.get(Entity, entity_id)
    if entity is None or entity.organisation_id != case.organisation_id:
        errors["entity_id"] = Msg("no entity {id} in this organisation", id=entity_id)
        return None
    return entity


def _ensure_asset(session, user, case, entity, value, currency) -> Asset:
    asset = session.get(Asset, entity.id)
    if asset is None:
        asset = Asset(
            entity_id=entity.id, organisation_id=entity.organisation_id, currency=currency or "EUR"
        )
        session.add(asset)
        session.flush()
    if value is not None:
        org = case.organisation_id
        session.add(
            Valuation(
                asset_id=entity.id,
                valued_on=_today_of(session, org),
                amount=value,
                currency=currency or asset.currency,
                basis="estimate entered with the asset",
                valuer=user.name,
                entered_by_id=user.id,
            )
        )
        asset.estimated_value = value
        asset.currency = currency or asset.currency
        asset.updated_at = utcnow()
        session.add(asset)
        session.flush()
    return asset


def _today_of(session, organisation_id) -> date:
    from ..models import Organisation

    return org_today(session.get(Organisation, organisation_id))


def _endpoint(session, user, errors, field, raw) -> Entity | None:
    if raw in (None, ""):
        errors[field] = Msg("is required")
        return None
    try:
        entity_id = id_value(raw)
    except (TypeError, ValueError):
        errors[field] = Msg("must be the id of an entity")
        return None
    entity = session.get(Entity, entity_id)
    if entity is None or entity.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        errors[field] = Msg("no entity {id} within your organisations", id=entity_id)
        return None
    return entity


def _grade(errors, field, value, allowed) -> str | None:
    if value in (None, ""):
        return None
    value = str(value).strip().upper()
    if value not in allowed:
        errors[field] = Msg("must be one of {choices}", choices=", ".join(allowed))
        return None
    return value


def _flag(errors, field, value) -> bool:
    if value in (None, "", False, "false", "0", "off", "no", "n"):
        return False
    if value in (True, "true", "1", "on", "yes", "y"):
        return True
    errors[field] = Msg("must be true or false")
    return False


def _percentage(errors, value) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Parse "25", "25.5", "25-50" (a band) or "unknown"."""
    if value in (None, "", ftm_schema.UNKNOWN):
        return None, None, None
    text = str(value).strip().replace("%", "").replace("–", "-")
    if isinstance(value, float):
        text = repr(value)
    parts = [p.strip() for p in text.split("-")] if "-" in text[1:] else [text]
    numbers = []
    for part in parts:
        try:
            number = Decimal(part)
            if not number.is_finite():  # NaN cannot even be compared with 0 and 100
                raise InvalidOperation
            numbers.append(number)
        except InvalidOperation:
            errors["percentage"] = Msg("must be a number from 0 to 100, or a range such as 25-50")
            return None, None, None
    if any(not (0 <= n <= 100) for n in numbers):
        errors["percentage"] = Msg("must be within 0 and 100")
        return None, None, None
    if len(numbers) == 1:
        return numbers[0], numbers[0], numbers[0]
    low, high = numbers[0], numbers[1]
    if low > high:
        errors["percentage"] = Msg("the range must go from the lower to the higher share")
        return None, None, None
    return None, low, high
