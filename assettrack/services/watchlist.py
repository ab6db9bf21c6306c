"""Watchlists: an officer or liaison watches an entity or a strong identifier, and hears of it.

A watch names an entity, or an identifier by its scheme (``iban``, ``imoNumber``,
``registrationNumber`` with its jurisdiction...) and value, normalised exactly like the
``entity_identifier`` index (:func:`assettrack.domain.schema.identity_keys`): an IBAN typed with
spaces is the same IBAN. When a case gains an entity, an import brings one in, a relation is
recorded on one, or screening finds a hit on one, :func:`tell` finds the watches it meets and
sends each watcher a ``watchlist_hit`` notification — only to watchers who may read that case at
that moment (the scope is checked when telling, not when watching). A watcher of another city
who may not read the case hears only that another city has a hit, and only when the case is
shared with one of their organisations (hit/no-hit, no reference, no name).

Like every service this one flushes and never commits.
"""

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import schema as ftm_schema
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Case
from ..models import CaseShare
from ..models import Entity
from ..models import EntityIdentifier
from ..models import Role
from ..models import User
from ..models.notifications import NotificationEvent
from ..models.watchlist import Watch
from . import notifications

__all__ = [
    "Hit",
    "MAX_WATCHES",
    "Watched",
    "add_watch",
    "list_watches",
    "normalise",
    "readable_entity",
    "remove_watch",
    "schemes",
    "tell",
    "tell_screening_hits",
    "watched_entities",
    "watch_as_dict",
]

#: How many watches one user may keep (a bounded list, bounded queries).
MAX_WATCHES = 500
_CHUNK = 500
_WATCHERS = (Role.OFFICER.value, Role.LIAISON.value)


class Hit:
    """What happened to a watched thing: each kind is told with its own sentence."""

    CASE = "case"
    IMPORT = "import"
    RELATION = "relation"
    SCREENING = "screening"


_MESSAGES = {
    Hit.CASE: "{watched}, which you watch, was added to case {reference}",
    Hit.IMPORT: "{watched}, which you watch, appears in an import into case {reference}",
    Hit.RELATION: "{watched}, which you watch, has a new relation",
    Hit.SCREENING: "{watched}, which you watch, has a screening hit",
}
_OTHER_CITY = "{watched}, which you watch, is also known to another city"


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated where it is shown."""
    return msgid


# The messages above, marked for the catalogue.
N_("{watched}, which you watch, was added to case {reference}")
N_("{watched}, which you watch, appears in an import into case {reference}")
N_("{watched}, which you watch, has a new relation")
N_("{watched}, which you watch, has a screening hit")
N_("{watched}, which you watch, is also known to another city")


@dataclass(frozen=True)
class Watched:
    """A watch as its owner sees it."""

    id: int
    entity_id: int | None
    kind: str | None
    value: str | None
    label: str
    created_at: object


@functools.cache
def schemes() -> dict[str, tuple[str, str, str | None]]:
    """Return ``{scheme: (schema, English label, scope property or None)}`` of the strong
    identifiers a watch can name (the schema is the one that declares the property)."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for info in ftm_schema.schemata():
        for prop in info.strong_identifiers:
            spec = info.properties[prop]
            if prop not in found or spec.schema == info.name:
                found[prop] = (spec.schema, spec.label, spec.scope)
    return dict(sorted(found.items()))


def normalise(kind: str, value: str, scope: str | None = None) -> tuple[str, str]:
    """Return ``(kind, value)`` as the identifier index writes it, else raise Invalid.

    >>> normalise("iban", "nl91 abna 0417 1643 00")
    ('iban', 'NL91ABNA0417164300')
    >>> normalise("registrationNumber", "2412 3456", "NL")
    ('registrationNumber', 'nl:24123456')
    """
    known = schemes()
    if kind not in known:
        raise Invalid({"kind": Msg("must be one of {choices}", choices=", ".join(known))})
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise Invalid({"value": Msg("must be text of at most {limit} characters", limit=200)})
    schema_name, _label, scope_prop = known[kind]
    properties = {kind: [value.strip()]}
    if scope_prop:
        if not isinstance(scope, str) or not scope.strip():
            raise Invalid({"scope": Msg("is required for this identifier")})
        properties[scope_prop] = [scope.strip()]
    keys = ftm_schema.identity_keys(schema_name, properties)
    if not keys:
        raise Invalid({"value": Msg("is not a valid {scheme}", scheme=kind)})
    key = sorted(keys)[0]
    return key[0], ":".join(key[1:])[:200]


def add_watch(session: Session, user: User, data: dict) -> Watch:
    """Watch an entity (``entity_id``) or an identifier (``kind``, ``value``, ``scope``).

    Only officers and liaisons watch; an entity must be one they may read. Watching the same
    thing twice returns the existing watch. Audited (``create`` of a ``watch``).
    """
    access.require_role(user, Role.OFFICER, Role.LIAISON)
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    entity_id = data.get("entity_id")
    if entity_id not in (None, ""):
        entity = readable_entity(session, user, entity_id)
        existing = session.scalar(
            select(Watch).where(Watch.user_id == user.id, Watch.entity_id == entity.id)
        )
        kind = value = None
        label = entity.caption[:200]
        organisation_id = entity.organisation_id
    else:
        kind, value = normalise(data.get("kind"), data.get("value"), data.get("scope"))
        existing = session.scalar(
            select(Watch).where(Watch.user_id == user.id, Watch.kind == kind, Watch.value == value)
        )
        entity = None
        label = f"{schemes()[kind][1]} {value}"[:200]
        organisation_id = user.organisation_id
    if existing is not None:
        return existing
    count = len(session.scalars(select(Watch.id).where(Watch.user_id == user.id)).all())
    if count >= MAX_WATCHES:
        raise Invalid({"": Msg("you watch {limit} things already", limit=MAX_WATCHES)})
    watch = Watch(
        user_id=user.id,
        entity_id=entity.id if entity is not None else None,
        kind=kind,
        value=value,
        label=label,
    )
    session.add(watch)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "watch",
        watch.id,
        details=_audit_details(watch),
        organisation_id=organisation_id,
    )
    return watch


def remove_watch(session: Session, user: User, watch_id) -> None:
    """Stop watching; only the watch's owner may (anyone else: NotFound). Audited (``erase``)."""
    try:
        watch = session.get(Watch, _id(watch_id))
    except Invalid:
        watch = None
    if watch is None or watch.user_id != user.id:
        raise NotFound(f"watch {watch_id} not found")
    details = _audit_details(watch)
    session.delete(watch)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.ERASE,
        "watch",
        watch.id,
        details=details,
        organisation_id=user.organisation_id,
    )


def list_watches(session: Session, user: User) -> list[Watched]:
    """Return the user's watches, newest first."""
    rows = session.scalars(
        select(Watch)
        .where(Watch.user_id == user.id)
        .order_by(Watch.created_at.desc(), Watch.id.desc())
        .limit(MAX_WATCHES)
    )
    return [
        Watched(
            id=row.id,
            entity_id=row.entity_id,
            kind=row.kind,
            value=row.value,
            label=row.label,
            created_at=row.created_at,
        )
        for row in rows
    ]


def watched_entities(session: Session, user: User) -> dict[int, int]:
    """Return ``{entity id: watch id}`` of the user's entity watches (for the Watch buttons)."""
    return dict(
        session.execute(
            select(Watch.entity_id, Watch.id)
            .where(Watch.user_id == user.id, Watch.entity_id.is_not(None))
            .limit(MAX_WATCHES)
        ).all()
    )


def watch_as_dict(watch: Watch | Watched) -> dict:
    """Return the public shape of a watch."""
    return {
        "id": watch.id,
        "entity_id": watch.entity_id,
        "kind": watch.kind,
        "value": watch.value,
        "label": watch.label,
        "created_at": watch.created_at.isoformat(),
    }


def tell(
    session: Session,
    *,
    hit: str,
    case: Case | None,
    entity_ids: Iterable[int] = (),
    identifiers: Iterable[tuple[str, str]] = (),
    actor: User | None = None,
    dedupe: str | None = None,
) -> int:
    """Tell the watchers of ``entity_ids`` (and of their identifiers, and of ``identifiers``).

    ``hit`` is one of :class:`Hit`; ``case`` the case it happened in (None for a relation or a
    screening hit: then the entity's organisation decides who may read it). A watcher hears of
    it only if they may read the case now; the actor is not told of their own act. A watcher who
    may not read it hears "known to another city" only when the case is shared with one of their
    organisations. ``dedupe`` (e.g. a screening run's hits) makes a repeat tell nothing again.
    Returns how many notifications were made.
    """
    if session.scalar(select(Watch.id).limit(1)) is None:
        return 0  # nobody watches anything: a large import pays one query
    ids = sorted({int(i) for i in entity_ids})
    keys = {(str(k), str(v)) for k, v in identifiers} | _identifier_keys(session, ids)
    watches = _watches_meeting(session, ids, sorted(keys))
    if not watches:
        return 0
    if case is not None:
        organisation_id = case.organisation_id
    else:
        organisation_id = session.scalar(
            select(Entity.organisation_id).where(Entity.id.in_(ids[:1] or [-1]))
        )
    shared_with = (
        set(session.scalars(select(CaseShare.organisation_id).where(CaseShare.case_id == case.id)))
        if case is not None
        else set()
    )
    by_user: dict[int, list[Watch]] = defaultdict(list)
    for watch in watches:
        by_user[watch.user_id].append(watch)
    made = 0
    for user_id, theirs in sorted(by_user.items()):
        if actor is not None and user_id == actor.id:
            continue
        watcher = session.get(User, user_id)
        if watcher is None or not watcher.active or watcher.role not in _WATCHERS:
            continue
        first = min(theirs, key=lambda w: w.id)
        if organisation_id in access.readable_organisation_ids(session, watcher):
            params = {"watched": first.label}
            if case is not None:
                params["reference"] = case.reference
            message = Msg(_MESSAGES[hit], **params)
            link = f"/cases/{case.id}" if case is not None else _entity_link(first)
            made += len(
                notifications.notify(
                    session,
                    user_ids=[user_id],
                    event=NotificationEvent.WATCHLIST_HIT,
                    message=message,
                    case=case,
                    link=link,
                    dedupe_key=f"watch:{first.id}:{dedupe}" if dedupe else None,
                )
            )
        elif shared_with & access.organisation_ids(session, watcher):
            made += len(
                notifications.notify(
                    session,
                    user_ids=[user_id],
                    event=NotificationEvent.WATCHLIST_HIT,
                    message=Msg(_OTHER_CITY, watched=first.label),
                    link="/watchlist",
                    # hit/no-hit: told once per watch and case, whatever happens there later
                    dedupe_key=f"watch-other-city:{first.id}:{case.id}",
                )
            )
    return made


def tell_screening_hits(session: Session, user: User | None, pairs: list[tuple[int, int]]) -> int:
    """Tell the watchers of entities that screening found on a list (``(entity, entry)``
    pairs); the same hits found again by a later run are not told twice."""
    ids = sorted({entity for entity, _entry in pairs})
    if not ids or session.scalar(select(Watch.id).limit(1)) is None:
        return 0
    if not _watches_meeting(session, ids, sorted(_identifier_keys(session, ids))):
        return 0
    made = 0
    for entity_id in ids:
        entries = sorted(entry for entity, entry in pairs if entity == entity_id)
        made += tell(
            session,
            hit=Hit.SCREENING,
            case=None,
            entity_ids=[entity_id],
            actor=user,
            dedupe=f"screening:{entity_id}:{','.join(map(str, entries))}"[:150],
        )
    return made


# --- helpers ---------------------------------------------------------------------------------


def _identifier_keys(session, entity_ids: list[int]) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for chunk in _chunks(entity_ids):
        keys.update(
            session.execute(
                select(EntityIdentifier.kind, EntityIdentifier.value).where(
                    EntityIdentifier.entity_id.in_(chunk)
                )
            ).all()
        )
    return keys


def _watches_meeting(session, entity_ids: list[int], keys: list[tuple[str, str]]) -> list[Watch]:
    found: dict[int, Watch] = {}
    for chunk in _chunks(entity_ids):
        for watch in session.scalars(select(Watch).where(Watch.entity_id.in_(chunk))):
            found[watch.id] = watch
    for chunk in _chunks(keys):
        for watch in session.scalars(
            select(Watch).where(
                Watch.kind.in_({k for k, _v in chunk}),
                or_(*[(Watch.kind == k) & (Watch.value == v) for k, v in chunk])
                if len(chunk) < 50
                else tuple_(Watch.kind, Watch.value).in_(chunk),
            )
        ):
            found[watch.id] = watch
    return list(found.values())


def readable_entity(session, user, raw_id) -> Entity:
    """Return the entity ``raw_id`` if ``user`` may read it, else raise Invalid."""
    entity = session.get(Entity, _id(raw_id, field="entity_id"))
    if entity is None or entity.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise Invalid({"entity_id": Msg("no entity {id} within your organisations", id=raw_id)})
    return entity


def _id(raw, field: str = "id") -> int:
    from ..routing import id_value

    try:
        return id_value(raw)
    except (TypeError, ValueError):
        raise Invalid({field: Msg("must be the id of an entity")}) from None


def _entity_link(watch: Watch) -> str:
    return f"/entities/{watch.entity_id}" if watch.entity_id else "/watchlist"


def _audit_details(watch: Watch) -> dict:
    if watch.entity_id is not None:
        return {"entity": watch.entity_id}
    return {"kind": watch.kind, "value": watch.value}


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]
