"""Corrections with history: edit, remove and revert an entity, its place in a case, a relation.

Every change checks the version the editor saw (optimistic concurrency: a stale version is a
:class:`StaleVersion`, 409 on a page, 412 from the API), keeps the fields before and after in a
``change_record`` (who, when, why), raises the version, and is audited with old → new in the
details. Nothing is deleted: a removal marks the row, hidden from normal reads
(``models.corrections``), and a revert is itself a change. An edit checks only the fields it
changes (DECISIONS #11): imported values FtM accepted stay as they are.
"""

import json

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import schema as ftm_schema
from ..errors import Conflict
from ..errors import DomainError
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Case
from ..models import CaseEntity
from ..models import ChangeRecord
from ..models import Entity
from ..models import EntityIdentifier
from ..models import Relation
from ..models import User
from ..models import utcnow
from ..models.corrections import INCLUDE_REMOVED
from ..models.corrections import ChangedObject
from ..models.corrections import ChangeKind
from ..models.corrections import SourceKind
from ..models.entities import CASE_ROLES
from ..models.entities import INFO_GRADES
from ..models.entities import SOURCE_GRADES
from ..routing import id_value
from . import provenance
from .entities import _grade as clean_grade
from .entities import _percentage as clean_percentage
from .entities import identifiers_of
from .entities import normalise_name
from .validation import clean_date
from .validation import clean_money

__all__ = [
    "LINK_FIELDS",
    "RELATION_FIELDS",
    "REASON_LIMIT",
    "StaleVersion",
    "PreconditionFailed",
    "PreconditionRequired",
    "parse_version",
    "update_entity",
    "update_case_link",
    "remove_case_link",
    "update_relation",
    "remove_relation",
    "revert",
    "get_change",
    "history",
    "link_state",
    "relation_state",
    "editable_properties",
]

#: The fields of an entity's place in a case that a correction may change.
LINK_FIELDS = ("role", "source_grade", "info_grade", "note")
#: The fields of a relation that a correction may change (its ends and kind stay).
RELATION_FIELDS = (
    "role",
    "percentage",
    "start_date",
    "end_date",
    "amount",
    "currency",
    "date",
    "source_grade",
    "info_grade",
)
REASON_LIMIT = 2000
NOTE_LIMIT = 2000


class StaleVersion(Conflict):
    """The object changed since the editor read it: both versions go back to the editor."""

    def __init__(self, object_type: str, current: int, given: int, current_state: dict):
        super().__init__(
            f"this {object_type} was changed by someone else (version {current}, yours was "
            f"{given}): nothing was saved",
            current_version=current,
            your_version=given,
            current=current_state,
        )


class PreconditionFailed(DomainError):
    """``If-Match`` names a version that is no longer the current one (HTTP 412)."""

    status = 412
    title = "Precondition Failed"


class PreconditionRequired(DomainError):
    """A change sent without ``If-Match`` (HTTP 428): the version it was based on is needed."""

    status = 428
    title = "Precondition Required"


def parse_version(raw) -> int:
    """Return the version an edit is based on (a form field, an ``If-Match`` tag), else Invalid."""
    text = str(raw if raw is not None else "").strip().removeprefix("W/").strip('"')
    try:
        return id_value(text)
    except (TypeError, ValueError):
        raise Invalid({"version": Msg("the version of the record you edited is missing")}) from None


def editable_properties(schema_name: str) -> dict:
    """The properties of ``schema_name`` that a correction may change (entity references are
    relations, recorded between two entities)."""
    try:
        info = ftm_schema.get_schema(schema_name)
    except ftm_schema.UnknownSchema:
        return {}
    return {name: prop for name, prop in info.properties.items() if prop.type != "entity"}


# --- entities --------------------------------------------------------------------------------


def update_entity(
    session: Session, user: User, entity_id, changes: dict, *, version: int, reason=None
) -> ChangeRecord | None:
    """Change some properties of an entity (a property without values is removed).

    Only the properties in ``changes`` are checked, strictly, as a form or the API enters them.
    Returns the change, or None when nothing differs.
    """
    entity = _editable_entity(session, user, entity_id)
    reason = _reason(reason, required=False)
    if not isinstance(changes, dict) or not changes:
        raise Invalid({"properties": Msg("give at least one property to change")})
    known = editable_properties(entity.schema_name)
    errors = {}
    given = {}
    for name, values in changes.items():
        if name not in known:
            errors[f"properties.{name}"] = Msg(
                "{schema} has no property {name} that can be edited",
                schema=entity.schema_name,
                name=str(name)[:64],
            )
            continue
        values = values if isinstance(values, list) else [values]
        given[name] = [v for v in values if v not in (None, "")]
    if errors:
        raise Invalid(errors)
    checked = ftm_schema.validate_properties(
        entity.schema_name, {k: v for k, v in given.items() if v}, partial=True
    )
    errors = {f"properties.{k}": v for k, v in checked.errors.items()}
    old = json.loads(entity.properties or "{}")
    new = dict(old)
    for name in given:
        if checked.properties.get(name):
            new[name] = checked.properties[name]
        else:
            new.pop(name, None)
    required = ftm_schema.get_schema(entity.schema_name).required
    for name in given:
        if name in required and not new.get(name):
            errors[f"properties.{name}"] = Msg("is required")
    if errors:
        raise Invalid(errors)
    changed = sorted(name for name in given if old.get(name) != new.get(name))
    _check_version(entity, version, "entity", lambda: _entity_state(entity, changed))
    if not changed:
        return None
    _claim(session, entity, version, "entity", lambda: _entity_state(entity, changed))
    before = {name: old.get(name) for name in changed}
    after = {name: new.get(name) for name in changed}
    _write_properties(session, entity, new)
    change = _record(
        session,
        user,
        ChangedObject.ENTITY,
        entity,
        ChangeKind.UPDATE,
        before,
        after,
        reason,
        entity_id=entity.id,
    )
    provenance.record_sources(
        session,
        provenance.source_rows(
            entity.id, after, SourceKind.OFFICER, user_id=user.id, change_id=change.id
        ),
    )
    return change


# --- an entity's place in a case ---------------------------------------------------------------


def update_case_link(
    session: Session, user: User, case: Case, entity_id, data: dict, *, version: int, reason=None
) -> ChangeRecord | None:
    """Change an entity's role, grades or note in a case; only the fields given are checked."""
    link = _standing_link(session, user, case, entity_id)
    reason = _reason(reason, required=False)
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    errors: dict = {}
    new = {}
    for name in data:
        if name not in LINK_FIELDS:
            errors[name] = Msg("cannot be changed here")
    if "role" in data:
        role = data["role"] or "other"
        if role not in CASE_ROLES:
            errors["role"] = Msg(
                "unknown role; expected one of {choices}", choices=", ".join(CASE_ROLES)
            )
        new["role"] = role
    if "source_grade" in data:
        new["source_grade"] = clean_grade(
            errors, "source_grade", data["source_grade"], SOURCE_GRADES
        )
    if "info_grade" in data:
        new["info_grade"] = clean_grade(errors, "info_grade", data["info_grade"], INFO_GRADES)
    if "note" in data:
        note = data["note"]
        if note is not None and (not isinstance(note, str) or len(note) > NOTE_LIMIT):
            errors["note"] = Msg("must be text of at most {limit} characters", limit=NOTE_LIMIT)
        new["note"] = (note or "").strip() or None if isinstance(note, str | None) else None
    if errors:
        raise Invalid(errors)
    old = link_state(link)
    changed = sorted(k for k in new if old[k] != new[k])
    _check_version(link, version, "link", lambda: link_state(link))
    if not changed:
        return None
    _claim(session, link, version, "link", lambda: link_state(link))
    for name in changed:
        setattr(link, name, new[name])
    return _record(
        session,
        user,
        ChangedObject.CASE_ENTITY,
        link,
        ChangeKind.UPDATE,
        {k: old[k] for k in changed},
        {k: new[k] for k in changed},
        reason,
        entity_id=link.entity_id,
        case_id=case.id,
    )


def remove_case_link(
    session: Session, user: User, case: Case, entity_id, *, version: int, reason
) -> ChangeRecord:
    """Take an entity out of a case, saying why; the link is kept, marked removed."""
    link = _standing_link(session, user, case, entity_id)
    reason = _reason(reason, required=True)
    _claim(session, link, version, "link", lambda: link_state(link))
    _mark_removed(link, user, reason)
    return _record(
        session,
        user,
        ChangedObject.CASE_ENTITY,
        link,
        ChangeKind.REMOVE,
        {"removed": False},
        {"removed": True},
        reason,
        entity_id=link.entity_id,
        case_id=case.id,
    )


def link_state(link: CaseEntity) -> dict:
    """The correctable fields of a case link, as a change record keeps them."""
    return {name: getattr(link, name) for name in LINK_FIELDS}


# --- relations -------------------------------------------------------------------------------


def update_relation(
    session: Session, user: User, relation_id, data: dict, *, version: int, reason=None
) -> ChangeRecord | None:
    """Change some fields of a relation; only those given are checked, then the whole is
    checked for consistency (the end not before the start, a share only on an ownership)."""
    relation = _editable_relation(session, user, relation_id)
    reason = _reason(reason, required=False)
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    errors = {name: Msg("cannot be changed here") for name in data if name not in RELATION_FIELDS}
    if errors:
        raise Invalid(errors)
    old = relation_state(relation)
    merged = {**old, **{k: data[k] for k in data}}
    columns = _relation_columns(errors, relation.schema_name, merged, given=set(data))
    if errors:
        raise Invalid(errors)
    new = _columns_state(columns)
    changed = sorted(k for k in RELATION_FIELDS if old[k] != new[k])
    _check_version(relation, version, "relation", lambda: relation_state(relation))
    if not changed:
        return None
    _claim(session, relation, version, "relation", lambda: relation_state(relation))
    for name, value in columns.items():
        setattr(relation, name, value)
    return _record(
        session,
        user,
        ChangedObject.RELATION,
        relation,
        ChangeKind.UPDATE,
        {k: old[k] for k in changed},
        {k: new[k] for k in changed},
        reason,
        entity_id=relation.source_id,
        other_entity_id=relation.target_id,
    )


def remove_relation(
    session: Session, user: User, relation_id, *, version: int, reason
) -> ChangeRecord:
    """Remove a relation, saying why; the row is kept, marked removed."""
    relation = _editable_relation(session, user, relation_id)
    reason = _reason(reason, required=True)
    _claim(session, relation, version, "relation", lambda: relation_state(relation))
    _mark_removed(relation, user, reason)
    return _record(
        session,
        user,
        ChangedObject.RELATION,
        relation,
        ChangeKind.REMOVE,
        {"removed": False},
        {"removed": True},
        reason,
        entity_id=relation.source_id,
        other_entity_id=relation.target_id,
    )


def relation_state(relation: Relation) -> dict:
    """The correctable fields of a relation as text (a share "25" or a band "25-50")."""
    return _columns_state({name: getattr(relation, name) for name in _COLUMNS})


# --- revert and history ----------------------------------------------------------------------


def revert(session: Session, user: User, change_id, *, reason=None) -> ChangeRecord:
    """Undo a change: its fields go back to their values before it (a change of its own).

    Refused (409) when the change was already reverted, or when a later change altered the
    same fields: revert that one first.
    """
    change = get_change(session, user, change_id)
    access.require_edit_organisation(user, change.organisation_id)
    reason = _reason(reason, required=False)
    if change.reverted_by_id is not None:
        raise Conflict("this change was already reverted")
    before, after = json.loads(change.before), json.loads(change.after)
    kind = ChangeKind(change.kind)
    if change.object_type == ChangedObject.ENTITY:
        obj = session.get(Entity, change.object_id)
        current = json.loads(obj.properties or "{}")
        _unchanged_since(all(current.get(k) == v for k, v in after.items()))
        new = dict(current)
        for name, values in before.items():
            if values:
                new[name] = values
            else:
                new.pop(name, None)
        _write_properties(session, obj, new)
        _bump(session, obj)
    else:
        model = CaseEntity if change.object_type == ChangedObject.CASE_ENTITY else Relation
        obj = session.get(model, change.object_id, execution_options=INCLUDE_REMOVED)
        if "removed" in after:
            _unchanged_since((obj.removed_at is not None) == after["removed"])
            if after["removed"]:
                _restore(session, obj)
            else:
                _mark_removed(obj, user, change.reason or reason or "")
        else:
            current = link_state(obj) if model is CaseEntity else relation_state(obj)
            standing = obj.removed_at is None
            _unchanged_since(standing and all(current[k] == v for k, v in after.items()))
            if model is CaseEntity:
                for name, value in before.items():
                    setattr(obj, name, value)
            else:
                errors: dict = {}
                columns = _relation_columns(
                    errors, obj.schema_name, {**current, **before}, given=set(before)
                )
                if errors:
                    raise Conflict("the earlier values no longer fit this relation", errors=errors)
                for name, value in columns.items():
                    setattr(obj, name, value)
        _bump(session, obj)
    record = _record(
        session,
        user,
        ChangedObject(change.object_type),
        obj,
        ChangeKind.REVERT,
        after,
        before,
        reason,
        entity_id=change.entity_id,
        other_entity_id=change.other_entity_id,
        case_id=change.case_id,
        reverts=change,
        bumped=True,
    )
    if kind is ChangeKind.UPDATE and change.object_type == ChangedObject.ENTITY:
        provenance.record_sources(
            session,
            provenance.source_rows(
                change.entity_id, before, SourceKind.OFFICER, user_id=user.id, change_id=record.id
            ),
        )
    return record


def get_change(session: Session, user: User, change_id) -> ChangeRecord:
    """Return a change of an organisation the user may read, else NotFound."""
    try:
        change = session.get(ChangeRecord, id_value(change_id))
    except (TypeError, ValueError):
        change = None
    if change is None or change.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"change {change_id} not found")
    return change


def history(session: Session, entity_id: int, *, limit: int = 200) -> list[dict]:
    """Return the changes shown in an entity's history (its own, its case links', its
    relations'), the latest first; the caller has checked the user may read the entity."""
    rows = session.execute(
        select(ChangeRecord, User.name, Case.reference)
        .join(User, User.id == ChangeRecord.user_id)
        .outerjoin(Case, Case.id == ChangeRecord.case_id)
        .where(or_(ChangeRecord.entity_id == entity_id, ChangeRecord.other_entity_id == entity_id))
        .order_by(ChangeRecord.id.desc())
        .limit(limit)
    )
    items = []
    for change, user_name, reference in rows:
        before, after = json.loads(change.before), json.loads(change.after)
        items.append(
            {
                "id": change.id,
                "object_type": change.object_type,
                "object_id": change.object_id,
                "kind": change.kind,
                "case_id": change.case_id,
                "case_reference": reference,
                "fields": [
                    {"name": name, "old": before.get(name), "new": after.get(name)}
                    for name in sorted(set(before) | set(after))
                ],
                "reason": change.reason,
                "user": user_name,
                "changed_at": change.changed_at,
                "version": change.version_after,
                "reverts_id": change.reverts_id,
                "reverted_by_id": change.reverted_by_id,
            }
        )
    return items


# --- helpers ---------------------------------------------------------------------------------


def _editable_entity(session, user, entity_id) -> Entity:
    entity = _readable(session, user, Entity, entity_id, "entity")
    access.require_edit_organisation(user, entity.organisation_id)
    if entity.merged_into_id is not None:
        raise Conflict(
            f"this entity was merged into entity {entity.merged_into_id}: correct that one"
        )
    return entity


def _editable_relation(session, user, relation_id) -> Relation:
    relation = _readable(session, user, Relation, relation_id, "relation")
    access.require_edit_organisation(user, relation.organisation_id)
    return relation


def _readable(session, user, model, raw_id, what):
    try:
        obj = session.get(model, id_value(raw_id))
    except (TypeError, ValueError):
        obj = None
    if obj is None or obj.organisation_id not in access.readable_organisation_ids(session, user):
        raise NotFound(f"{what} {raw_id} not found")
    return obj


def _standing_link(session, user, case, entity_id) -> CaseEntity:
    access.require_edit_case(user, case)
    try:
        entity_id = id_value(entity_id)
    except (TypeError, ValueError):
        entity_id = -1
    link = session.scalar(
        select(CaseEntity).where(CaseEntity.case_id == case.id, CaseEntity.entity_id == entity_id)
    )
    if link is None:
        raise NotFound(f"entity {entity_id} is not in case {case.reference}")
    return link


def _reason(value, *, required: bool) -> str | None:
    if value is not None and not isinstance(value, str):
        raise Invalid({"reason": Msg("must be text")})
    text = (value or "").strip()
    if required and not text:
        raise Invalid({"reason": Msg("say why: a removal is kept with its reason")})
    if len(text) > REASON_LIMIT:
        raise Invalid(
            {"reason": Msg("must be text of at most {limit} characters", limit=REASON_LIMIT)}
        )
    return text or None


def _check_version(obj, version, object_type, state) -> None:
    """Raise StaleVersion unless ``version`` is the current one."""
    if version != obj.version:
        raise StaleVersion(object_type, obj.version, version, state())


def _claim(session, obj, version, object_type, state) -> None:
    """Raise the version in the database from ``version``, so that of two editors who read the
    same version only the first one's change is written; the second gets StaleVersion."""
    table = type(obj).__table__
    claimed = session.execute(
        update(table)
        .where(table.c.id == obj.id, table.c.version == version)
        .values(version=version + 1)
    )
    if claimed.rowcount != 1:
        session.refresh(obj)
        raise StaleVersion(object_type, obj.version, version, state())
    obj.version = version + 1


def _bump(session, obj) -> None:
    _claim(session, obj, obj.version, type(obj).__tablename__, dict)


def _unchanged_since(ok: bool) -> None:
    if not ok:
        raise Conflict(
            "a later change altered the same fields: revert that one first, or edit the values"
        )


def _entity_state(entity: Entity, names) -> dict:
    properties = json.loads(entity.properties or "{}")
    return {name: properties.get(name) for name in names} if names else properties


def _write_properties(session, entity: Entity, properties: dict) -> None:
    caption = ftm_schema.caption(entity.schema_name, properties)
    entity.caption = caption[:500]
    entity.caption_norm = normalise_name(caption)[:500]
    entity.properties = json.dumps(properties, ensure_ascii=False, sort_keys=True)
    entity.updated_at = utcnow()
    session.execute(
        EntityIdentifier.__table__.delete().where(EntityIdentifier.entity_id == entity.id)
    )
    for kind, value in identifiers_of(entity.schema_name, properties):
        session.add(EntityIdentifier(entity_id=entity.id, kind=kind, value=value))
    session.add(entity)


def _mark_removed(obj, user, reason) -> None:
    obj.removed_at = utcnow()
    obj.removed_by_id = user.id
    obj.removed_reason = reason


def _restore(session, obj) -> None:
    if isinstance(obj, CaseEntity):
        standing = session.scalar(
            select(CaseEntity.id).where(
                CaseEntity.case_id == obj.case_id, CaseEntity.entity_id == obj.entity_id
            )
        )
        if standing is not None:
            raise Conflict("the entity is in the case again: this removal cannot be undone")
    obj.removed_at = None
    obj.removed_by_id = None
    obj.removed_reason = None


def _record(
    session,
    user,
    object_type,
    obj,
    kind,
    before,
    after,
    reason,
    *,
    entity_id,
    other_entity_id=None,
    case_id=None,
    reverts=None,
    bumped=True,
) -> ChangeRecord:
    session.add(obj)
    organisation_id = (
        obj.organisation_id
        if hasattr(obj, "organisation_id")
        else session.get(Case, obj.case_id).organisation_id
    )
    change = ChangeRecord(
        organisation_id=organisation_id,
        object_type=object_type.value,
        object_id=obj.id,
        kind=kind.value,
        entity_id=entity_id,
        other_entity_id=other_entity_id,
        case_id=case_id,
        before=json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=json.dumps(after, ensure_ascii=False, sort_keys=True),
        reason=reason,
        version_before=obj.version - 1,
        version_after=obj.version,
        reverts_id=reverts.id if reverts else None,
        user_id=user.id,
    )
    session.add(change)
    session.flush()
    if reverts is not None:
        reverts.reverted_by_id = change.id
        session.add(reverts)
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        object_type.value,
        obj.id,
        details={
            "change": change.id,
            "kind": kind.value,
            "entity": entity_id,
            **({"case": case_id} if case_id else {}),
            **({"reverts": reverts.id} if reverts else {}),
            "changes": {
                name: {"old": before.get(name), "new": after.get(name)}
                for name in sorted(set(before) | set(after))
            },
            "version": [change.version_before, change.version_after],
        },
        justification=reason,
        organisation_id=organisation_id,
    )
    session.flush()
    return change


def _relation_columns(errors, schema_name, values, *, given) -> dict:
    """Parse a relation's fields (text, as a form or the API sends them) into its columns,
    reporting only on the fields ``given``; then check the whole for consistency."""
    scratch: dict = {}
    pct, pct_min, pct_max = clean_percentage(scratch, values.get("percentage"))
    start = clean_date(scratch, "start_date", values.get("start_date"))
    end = clean_date(scratch, "end_date", values.get("end_date"))
    amount, currency = clean_money(scratch, values, "amount", "currency")
    paid_on = clean_date(scratch, "date", values.get("date"))
    source_grade = clean_grade(scratch, "source_grade", values.get("source_grade"), SOURCE_GRADES)
    info_grade = clean_grade(scratch, "info_grade", values.get("info_grade"), INFO_GRADES)
    role = values.get("role")
    if role is not None and (not isinstance(role, str) or len(role) > 200):
        scratch["role"] = Msg("must be text of at most {limit} characters", limit=200)
    errors.update({k: v for k, v in scratch.items() if k in given})
    if start and end and end < start and given & {"start_date", "end_date"}:
        errors["end_date"] = Msg("must not be before the start date")
    if schema_name != "Ownership" and values.get("percentage") not in (None, ""):
        errors["percentage"] = Msg("only an ownership has a percentage")
    if schema_name != "Payment" and amount is not None and "amount" in given:
        errors["amount"] = Msg("only a payment has an amount")
    return {
        "role": (role or "").strip() or None if isinstance(role, str | None) else None,
        "percentage": pct,
        "percentage_min": pct_min,
        "percentage_max": pct_max,
        "start_date": start,
        "end_date": end,
        "amount": amount,
        "currency": currency if amount is not None else None,
        "paid_on": paid_on,
        "source_grade": source_grade,
        "info_grade": info_grade,
    }


_COLUMNS = (
    "role",
    "percentage",
    "percentage_min",
    "percentage_max",
    "start_date",
    "end_date",
    "amount",
    "currency",
    "paid_on",
    "source_grade",
    "info_grade",
)


def _columns_state(columns: dict) -> dict:
    amount, currency = _money_text(columns)
    return {
        "role": columns["role"],
        "percentage": _pct_text(columns),
        "start_date": columns["start_date"].isoformat() if columns["start_date"] else None,
        "end_date": columns["end_date"].isoformat() if columns["end_date"] else None,
        "amount": amount,
        "currency": currency,
        "date": columns["paid_on"].isoformat() if columns["paid_on"] else None,
        "source_grade": columns["source_grade"],
        "info_grade": columns["info_grade"],
    }


def _pct_text(columns) -> str | None:
    pct, low, high = columns["percentage"], columns["percentage_min"], columns["percentage_max"]
    if pct is not None:
        return format(pct.normalize(), "f")
    if low is not None and high is not None:
        return f"{format(low.normalize(), 'f')}-{format(high.normalize(), 'f')}"
    return None


def _money_text(columns) -> tuple[str | None, str | None]:
    from ..domain.money import money_text

    amount = columns["amount"]
    return money_text(amount), columns["currency"] if amount is not None else None
