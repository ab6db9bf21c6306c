"""Import FollowTheMoney and BODS files into a case; export a case as FollowTheMoney.

An import reads its file twice. The first pass (:class:`assettrack.domain.ftm.Scan`) checks every
entity and keeps only ids and small facts; when a line is bad nothing is written, unless
``skip_invalid`` (the bad lines are then listed and left out). The second pass writes through
SQLAlchemy Core bulk statements: entities, their strong identifiers, their link to the case
(role ``other`` unless the file's extension says otherwise), an ``asset`` row (``traced``) for
each asset, and the relations resolved by FtM id wherever they are in the file.

FtM ids become ``external_id`` (unique per organisation), so importing a file again creates
nothing new and an updated file updates the entities it changes (audited as updates, old →
new). One audit entry (``create`` of a ``collection``) covers the whole import, with counts per
schema. Like every service this one flushes and never commits: the view, command or job does.
"""

import functools
import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session
from werkzeug.utils import secure_filename

from .. import access
from .. import audit
from .. import jobs
from ..domain import bods
from ..domain import ftm
from ..domain import matching
from ..domain import schema as ftm_schema
from ..domain.ftm import ImportFailed
from ..domain.money import money_text
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..jobs import handler
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import Decision
from ..models import DecisionAsset
from ..models import Entity
from ..models import EntityIdentifier
from ..models import Organisation
from ..models import Relation
from ..models import User
from ..models import utcnow
from . import provenance
from . import sharing
from . import watchlist
from .entities import cases_of
from .entities import identifiers_of
from .entities import normalise_name

__all__ = [
    "IMPORT_FORMATS",
    "ImportFailed",
    "ImportReport",
    "import_ftm",
    "import_bods",
    "export_ftm",
    "export_id",
    "REGISTER_FORMATS",
    "check_upload",
    "save_upload",
    "queue_import",
]

#: What ``POST /cases/<id>/imports`` and the import job accept.
IMPORT_FORMATS = ("ftm", "bods", "csv", "xlsx")

#: The register formats (read through :mod:`assettrack.services.registers`).
REGISTER_FORMATS = ("csv", "xlsx")
_MAPPING_KEYS = ("mapping", "columns", "statuses", "types", "defaults")

Progress = Callable[[int, str | None], None]

_BATCH = 1000
_OWN_ENTITY_RE = re.compile(r"assettrack-([a-z0-9]+)-(\d+)")
_OWN_RELATION_RE = re.compile(r"assettrack-([a-z0-9]+)-rel-(\d+)")
_MAX_WARNINGS = 200


@dataclass
class ImportReport:
    """What an import read and what it changed.

    ``counts`` holds, per FtM schema, the entities (relations included) the file brought in;
    ``created``, ``updated`` and ``unchanged`` count entities and relations together;
    ``linked`` the entities already known that were linked to the case now. ``warnings`` group
    the same message over lines (``{"message", "lines", "count"}``); ``skipped`` lists the bad
    lines left out with ``skip_invalid`` (``{"line", "reason"}``).

    ``linked_entities`` lists the incoming entities that share a strong identifier with one the
    organisation already holds, whatever the TLP of its cases (DECISIONS #12): the import links
    to that entity instead of creating a second one (``{"line", "ftm_id", "entity_id", "name",
    "identifier", "cases"}``, the cases it already appeared in). ``name_candidates`` lists new
    entities whose name equals (case, accents and spacing aside) one already held: created,
    not merged, for the officer to review (``{"line", "ftm_id", "entity_id", "name",
    "existing_id", "existing_name", "cases"}``).
    """

    format: str
    file: str
    case: str
    counts: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    relations: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    linked_entities: list[dict] = field(default_factory=list)
    name_candidates: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """Return the report as JSON-ready data."""
        body = asdict(self)
        body["skipped"] = [{"line": s["line"], "reason": str(s["reason"])} for s in self.skipped]
        body["seconds"] = round(self.seconds, 3)
        return body


def import_ftm(
    session: Session,
    user: User,
    case: Case,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import an FtM file (JSON lines or a JSON array, plain or gzip) into ``case``.

    Raises :class:`~assettrack.domain.ftm.ImportFailed` (422) naming the bad lines, with nothing
    written, unless ``skip_invalid``. ``progress(percent, message)`` is called while reading
    (0-50, nothing written yet) and while writing (50-100).
    """
    access.require_edit_case(user, case)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="assettrack-ftm-") as workdir:
        scan = ftm.Scan(workdir, prepare=_prepare)
        try:
            items = ftm.iter_items(
                path, on_progress=_scaled(progress, 0, 45, "reading"), limits=_read_limits()
            )
            for item in items:
                scan.feed(item)
        finally:
            scan.close()
        return _import_scanned(
            session, user, case, scan, "ftm", Path(path).name, skip_invalid, progress, started
        )


def import_bods(
    session: Session,
    user: User,
    case: Case,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import Beneficial Ownership Data Standard 0.4 statements into ``case``.

    Entity and person records become parties (the latest version of each record wins);
    relationship records become Ownership (shareholdings, with bands kept as ranges),
    Directorship (board roles) and UnknownLink (other interests), one relation per period in
    which the interest stayed the same, so the history of a holding is kept (a closed record
    ends it). See :mod:`assettrack.domain.bods`.
    """
    access.require_edit_case(user, case)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="assettrack-bods-") as workdir:
        scan = ftm.Scan(workdir, prepare=_prepare)
        try:
            reader = bods.BodsReader(
                path, on_progress=_scaled(progress, 0, 45, "reading"), limits=_read_limits()
            )
            for item in reader.items():
                scan.feed(item)
            for line, message in reader.warnings:
                scan.warn(line, message)
        finally:
            scan.close()
        return _import_scanned(
            session, user, case, scan, "bods", Path(path).name, skip_invalid, progress, started
        )


def export_ftm(
    session: Session,
    user: User,
    case: Case,
    out: IO[str],
    *,
    justification: str | None = None,
    audited: bool = True,
    translate=None,
) -> dict:
    """Write ``case`` as FtM JSON lines to ``out``: its entities, then the relations among them.

    Logged as a disclosure. Each entity carries its role and grades in the case, and an asset
    its lifecycle (stage, values, decisions), under the ``assettrack`` extension key
    (docs/ftm.md); every line carries the case's marking there (``marking``: TLP and handling
    code). An export by anyone outside the owning organisation is redacted
    (:func:`sharing.redacted_ftm`: a protected person under a new id, named by its label) and
    refused when the sharing rules keep the case from the user's organisation.
    Returns ``{"entities": n, "relations": m}``.
    """
    access.get_case(session, user, case.id)
    why = sharing.export_withheld(session, user, case)
    if why:
        raise AccessDenied(str(sharing.WITHHELD_REASONS[why]))
    lines = _ftm_lines(session, case)
    if sharing.export_level(user, case) == sharing.PARTNER:
        lines = _redacted_lines(session, case, lines, translate)
    marking = sharing.file_marking(case)
    entities = relations = 0
    for line in lines:
        line.setdefault(ftm_schema.EXTENSION_KEY, {})["marking"] = marking
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        if ftm_schema.is_relation_schema(line["schema"]):
            relations += 1
        else:
            entities += 1
    if not audited:  # the caller logs the disclosure itself (an issued report, with its hash)
        return {"entities": entities, "relations": relations}
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "case",
        case.id,
        details={
            "format": "ftm",
            "case": case.reference,
            "entities": entities,
            "relations": relations,
        },
        justification=justification or "FollowTheMoney export of the case",
        organisation_id=case.organisation_id,
    )
    return {"entities": entities, "relations": relations}


def _redacted_lines(session, case, lines, translate):
    """The lines as they leave the owning organisation (:func:`sharing.redacted_ftm`)."""
    org = session.get(Organisation, case.organisation_id)
    redaction = sharing.Redaction(sharing.PARTNER, translate=translate)
    for entity in sharing.load_entities(session, [case.id]).values():
        redaction.register(entity)
    ftm_ids = {
        export_id(org.code, entity): entity.id
        for entity in session.scalars(
            select(Entity)
            .join(CaseEntity, CaseEntity.entity_id == Entity.id)
            .where(CaseEntity.case_id == case.id, Entity.merged_into_id.is_(None))
        )
    }
    return sharing.redacted_ftm(lines, redaction, ftm_ids)


def _ftm_lines(session, case) -> Iterator[dict]:
    """A case's FtM lines, as they are at home: its entities, then the relations among them."""
    org = session.get(Organisation, case.organisation_id)
    prefix = f"assettrack-{org.code.lower()}"
    decisions = _decisions_by_asset(session, case)
    present: set[str] = set()  # the ids of the exported entities
    in_case = select(CaseEntity.entity_id).where(CaseEntity.case_id == case.id)
    stmt = (
        select(
            Entity.id,
            Entity.external_id,
            Entity.schema_name,
            Entity.properties,
            CaseEntity.role,
            CaseEntity.source_grade,
            CaseEntity.info_grade,
            CaseEntity.as_asset,
            CaseEntity.note,
            Asset.stage,
            Asset.urgent_unconfirmed,
            Asset.urgent_expires_on,
            Asset.confiscation_final,
            Asset.estimated_value,
            Asset.currency,
            Asset.manager,
        )
        .join(CaseEntity, CaseEntity.entity_id == Entity.id)
        .outerjoin(Asset, Asset.entity_id == Entity.id)
        .where(CaseEntity.case_id == case.id, Entity.merged_into_id.is_(None))
        .order_by(Entity.id)
        .execution_options(yield_per=_BATCH)
    )
    for row in session.execute(stmt):
        extra = {
            "case": _drop_empty(
                {
                    "reference": case.reference,
                    "role": row.role,
                    "source_grade": row.source_grade,
                    "info_grade": row.info_grade,
                    "as_asset": row.as_asset or None,
                    "note": row.note,
                }
            )
        }
        is_asset = ftm_schema.is_asset_schema(row.schema_name) or row.as_asset
        if is_asset and row.stage is not None:
            extra["asset"] = _drop_empty(
                {
                    "stage": row.stage,
                    "urgent_unconfirmed": row.urgent_unconfirmed or None,
                    "urgent_expires_on": _iso(row.urgent_expires_on),
                    "confiscation_final": row.confiscation_final or None,
                    "estimated_value": money_text(row.estimated_value),
                    "currency": row.currency if row.estimated_value is not None else None,
                    "manager": row.manager,
                    "decisions": decisions.get(row.id),
                }
            )
        line = ftm.entity_line(
            row.external_id or f"{prefix}-{row.id}",
            row.schema_name,
            json.loads(row.properties),
            extra,
        )
        present.add(line["id"])
        yield line
    source = aliased(Entity)
    target = aliased(Entity)
    rel_stmt = (
        select(Relation, source.external_id, target.external_id)
        .join(source, source.id == Relation.source_id)
        .join(target, target.id == Relation.target_id)
        .where(Relation.source_id.in_(in_case), Relation.target_id.in_(in_case))
        .order_by(Relation.id)
        .execution_options(yield_per=_BATCH)
    )
    several: dict[str, list] = {}  # several values at an end: one line, after the others
    for relation, source_ext, target_ext in session.execute(rel_stmt):
        line_id = relation.external_id or f"{prefix}-rel-{relation.id}"
        ends = (
            source_ext or f"{prefix}-{relation.source_id}",
            target_ext or f"{prefix}-{relation.target_id}",
        )
        stored = json.loads(relation.properties or "{}")
        if ftm_schema.relation_endpoints(relation.schema_name)[0] in stored:
            several.setdefault(line_id, []).append((relation, stored, ends))
            continue
        yield _relation_line(line_id, relation, _relation_properties(relation, *ends))
    for line_id, parts in several.items():
        relation, stored, _ends = parts[0]
        properties = ftm.exported_ends(
            relation.schema_name,
            stored,
            {row.part: ends for row, _stored, ends in parts},
            present,
        )
        yield _relation_line(line_id, relation, properties)


def _relation_line(line_id: str, relation: Relation, properties: dict) -> dict:
    extra = {
        "relation": _drop_empty(
            {"source_grade": relation.source_grade, "info_grade": relation.info_grade}
        )
    }
    return ftm.entity_line(line_id, relation.schema_name, properties, extra)


def export_id(organisation_code: str, entity: Entity) -> str:
    """Return the FtM id an export gives ``entity``: its FtM id, else one made from ours.

    An import recognises ``assettrack-<organisation>-<id>`` as that organisation's entity, so an
    export read back into the same organisation creates no duplicate.
    """
    return entity.external_id or f"assettrack-{organisation_code.lower()}-{entity.id}"


def _read_limits() -> ftm.ReadLimits:
    """The limits on reading an import file: the app's settings (defaults outside an app)."""
    from flask import has_app_context

    return ftm.ReadLimits.from_config(current_app.config if has_app_context() else None)


# --- the shared second pass ------------------------------------------------------------------


def _import_scanned(session, user, case, scan, fmt, file_name, skip_invalid, progress, started):
    org = session.get(Organisation, case.organisation_id)
    known = _known_entities(session, org, scan.pending_ids())
    scan.resolve({ftm_id: schema_name for ftm_id, (_id, schema_name) in known.items()})
    if scan.fatal or (scan.problems and not skip_invalid):
        raise ImportFailed(scan.problems)
    report = ImportReport(format=fmt, file=file_name, case=case.reference)
    report.skipped = sorted(scan.problems, key=lambda p: p["line"])
    writer = _Writer(session, user, case, org, {k: v[0] for k, v in known.items()}, report)
    total = max(scan.entity_count + scan.relation_count, 1)
    tick = _scaled(progress, 50, 100, "writing")
    for count, batch in enumerate(_batches(scan.entities(), _BATCH), 1):
        writer.entities(batch)
        tick(min(count * _BATCH, total) / total)
    done = scan.entity_count
    for count, batch in enumerate(_batches(scan.relations(), _BATCH), 1):
        writer.relations(batch)
        tick(min(done + count * _BATCH, total) / total)
    report.counts = dict(sorted(scan.counts.items()))
    report.warnings = _grouped_warnings(scan.warnings, scan.warning_counts)
    report.seconds = time.perf_counter() - started
    watchlist.tell(
        session,
        hit=watchlist.Hit.IMPORT,
        case=case,
        entity_ids=writer.entity_ids,
        actor=user,
    )
    if report.created or report.linked:
        case.updated_at = utcnow()
        session.add(case)
        audit.record(
            session,
            user,
            audit.Action.CREATE,
            "collection",
            case.id,
            details={
                "format": fmt,
                "file": file_name,
                "case": case.reference,
                "counts": report.counts,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "linked": report.linked,
                "linked_by_identifier": [e["entity_id"] for e in report.linked_entities[:100]],
                "skipped_lines": [s["line"] for s in report.skipped[:100]],
            },
            organisation_id=case.organisation_id,
        )
    session.flush()
    return report


class _Writer:
    """Write checked records in bulk: entities, identifiers, case links, assets, relations."""

    def __init__(self, session, user, case, org, known_ids, report):
        self.session = session
        self.user = user
        self.case = case
        self.org = org
        self.ids: dict[str, int] = dict(known_ids)  # FtM id -> entity id
        self.report = report
        self.now = utcnow()
        self.own = org.code.lower()
        self.entity_ids: set[int] = set()  # the entities of the file, for the watchlists

    # entities ----------------------------------------------------------------------------

    def entities(self, records: list[ftm.Record]) -> None:
        existing = self._existing_entities([r.id for r in records])
        fresh, changed, linked_ids = [], [], []
        for record in records:
            row = existing.get(record.id)
            if row is None:
                fresh.append(record)
                continue
            entity_id = row.merged_into_id or row.id
            self.ids[record.id] = entity_id
            linked_ids.append((record, entity_id))
            old = json.loads(row.properties)
            if row.merged_into_id is not None or (
                row.schema == record.schema and old == record.properties
            ):
                self.report.unchanged += 1
            else:
                changed.append((record, row, old))
        fresh, by_identifier = self._same_identifiers(fresh)
        linked_ids.extend(by_identifier)
        self._name_candidates(fresh)
        self._insert_entities(fresh)
        self._update_entities(changed)
        self._link(linked_ids)
        self.entity_ids.update(self.ids[record.id] for record in records)
        self.report.entities += len(records)

    def _same_identifiers(self, records: list[ftm.Record]) -> tuple[list, list]:
        """Split new records into those to create and (record, entity id) pairs to link: an
        entity of the organisation with the same strong identifier is the same thing."""
        wanted = {tuple(key) for record in records for key in record.extra.get("identifiers", ())}
        if not wanted:
            return records, []
        owner: dict[tuple[str, str], tuple[int, str, str]] = {}
        keys = sorted(wanted)
        for chunk in _chunks(keys, 200):
            for row in self.session.execute(
                select(
                    EntityIdentifier.kind,
                    EntityIdentifier.value,
                    Entity.id,
                    Entity.schema_name,
                    Entity.caption,
                )
                .join(Entity, Entity.id == EntityIdentifier.entity_id)
                .where(
                    Entity.organisation_id == self.org.id,
                    Entity.merged_into_id.is_(None),
                    tuple_(EntityIdentifier.kind, EntityIdentifier.value).in_(chunk),
                )
                .order_by(Entity.id)
            ):
                owner.setdefault((row.kind, row.value), (row.id, row.schema_name, row.caption))
        create, link, found = [], [], []
        for record in records:
            match = next(
                (
                    (key, owner[key])
                    for key in map(tuple, record.extra.get("identifiers", ()))
                    if key in owner and matching.is_compatible(record.schema, owner[key][1])
                ),
                None,
            )
            if match is None:
                create.append(record)
                continue
            (kind, value), (entity_id, _schema, caption) = match
            self.ids[record.id] = entity_id
            link.append((record, entity_id))
            found.append(
                {
                    "line": record.line,
                    "ftm_id": record.id,
                    "entity_id": entity_id,
                    "name": caption,
                    "identifier": f"{kind} {value}",
                }
            )
        cases = cases_of(self.session, [item["entity_id"] for item in found], but=self.case.id)
        room = _MAX_WARNINGS - len(self.report.linked_entities)
        for item in found[: max(room, 0)]:
            item["cases"] = cases.get(item["entity_id"], [])
            self.report.linked_entities.append(item)
        return create, link

    def _name_candidates(self, records: list[ftm.Record]) -> None:
        """List the new records whose normalised name the organisation already holds."""
        room = _MAX_WARNINGS - len(self.report.name_candidates)
        names = {r.extra["caption_norm"] for r in records if r.extra.get("caption_norm")}
        if room <= 0 or not names:
            return
        held: dict[str, list] = {}
        for chunk in _chunks(sorted(names), 200):
            for row in self.session.execute(
                select(Entity.id, Entity.schema_name, Entity.caption, Entity.caption_norm)
                .where(
                    Entity.organisation_id == self.org.id,
                    Entity.merged_into_id.is_(None),
                    Entity.caption_norm.in_(chunk),
                )
                .order_by(Entity.id)
            ):
                held.setdefault(row.caption_norm, []).append(row)
        found = []
        for record in records:
            for row in held.get(record.extra.get("caption_norm"), ()):
                if matching.is_compatible(record.schema, row.schema_name):
                    found.append((record, row))
                    break
        found = found[:room]
        cases = cases_of(self.session, [row.id for _record, row in found], but=self.case.id)
        for record, row in found:
            self.report.name_candidates.append(
                {
                    "line": record.line,
                    "ftm_id": record.id,
                    "name": record.extra["caption"],
                    "existing_id": row.id,
                    "existing_name": row.caption,
                    "cases": cases.get(row.id, []),
                }
            )

    def _existing_entities(self, ftm_ids: list[str]) -> dict:
        own, others = self._split_own(ftm_ids, _OWN_ENTITY_RE)
        table = Entity.__table__
        columns = (
            table.c.id,
            table.c.external_id,
            table.c.schema,
            table.c.properties,
            table.c.merged_into_id,
        )
        found = {}
        if others:
            for row in self.session.execute(
                select(*columns).where(
                    table.c.organisation_id == self.org.id, table.c.external_id.in_(others)
                )
            ):
                found[row.external_id] = row
        if own:
            for row in self.session.execute(
                select(*columns).where(
                    table.c.organisation_id == self.org.id, table.c.id.in_(list(own))
                )
            ):
                found[own[row.id]] = row
        return found

    def _split_own(self, ftm_ids, pattern) -> tuple[dict[int, str], list[str]]:
        own, others = {}, []
        for ftm_id in ftm_ids:
            match = pattern.fullmatch(ftm_id)
            if match and match.group(1) == self.own:
                own[int(match.group(2))] = ftm_id
            else:
                others.append(ftm_id)
        return own, others

    def _insert_entities(self, records: list[ftm.Record]) -> None:
        if not records:
            return
        table = Entity.__table__
        rows = []
        for record in records:
            rows.append(
                {
                    "organisation_id": self.org.id,
                    "schema": record.schema,
                    "caption": record.extra["caption"],
                    "caption_norm": record.extra["caption_norm"],
                    "properties": record.extra["properties"],
                    "external_id": record.id,
                    "merged_into_id": None,
                    "created_by_id": self.user.id,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        result = self.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        new_ids = [row.id for row in result]
        identifiers, links, assets = [], [], []
        for record, entity_id in zip(records, new_ids, strict=True):
            self.ids[record.id] = entity_id
            for kind, value in record.extra["identifiers"]:
                identifiers.append({"entity_id": entity_id, "kind": kind, "value": value})
            links.append(self._link_row(record, entity_id))
            if _is_asset(record):
                assets.append(self._asset_row(entity_id))
        self._insert(EntityIdentifier, identifiers)
        self._insert(CaseEntity, links)
        self._insert(Asset, assets)
        self._sources(zip(records, new_ids, strict=True))
        self.report.created += len(records)

    def _update_entities(self, changed) -> None:
        if not changed:
            return
        table = Entity.__table__
        params = []
        for record, row, _old in changed:
            params.append(
                {
                    "b_id": row.id,
                    "schema": record.schema,
                    "caption": record.extra["caption"],
                    "caption_norm": record.extra["caption_norm"],
                    "properties": record.extra["properties"],
                    "updated_at": self.now,
                }
            )
        self.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                schema=bindparam("schema"),
                caption=bindparam("caption"),
                caption_norm=bindparam("caption_norm"),
                properties=bindparam("properties"),
                updated_at=bindparam("updated_at"),
                version=table.c.version + 1,  # a form read before the import is stale
            )
            .execution_options(synchronize_session=False),
            params,
        )
        self._sources((record, row.id) for record, row, _old in changed)
        ids = [row.id for _record, row, _old in changed]
        ident = EntityIdentifier.__table__
        self.session.execute(ident.delete().where(ident.c.entity_id.in_(ids)))
        identifiers = [
            {"entity_id": row.id, "kind": kind, "value": value}
            for record, row, _old in changed
            for kind, value in record.extra["identifiers"]
        ]
        self._insert(EntityIdentifier, identifiers)
        for record, row, old in changed:
            details = {"properties": _changes(old, record.properties), "import": record.id}
            if row.schema != record.schema:
                details["schema"] = [row.schema, record.schema]
            audit.record(
                self.session,
                self.user,
                audit.Action.UPDATE,
                "entity",
                row.id,
                details=details,
                organisation_id=self.org.id,
            )
        self.report.updated += len(changed)

    def _link(self, pairs) -> None:
        """Link entities already known to the case, and give asset entities their asset row."""
        if not pairs:
            return
        ids = list({entity_id for _record, entity_id in pairs})
        linked = set(
            self.session.scalars(
                select(CaseEntity.entity_id).where(
                    CaseEntity.case_id == self.case.id, CaseEntity.entity_id.in_(ids)
                )
            )
        )
        with_asset = set(
            self.session.scalars(select(Asset.entity_id).where(Asset.entity_id.in_(ids)))
        )
        links, assets = [], []
        for record, entity_id in pairs:
            if entity_id not in linked:
                links.append(self._link_row(record, entity_id))
                linked.add(entity_id)
            if entity_id not in with_asset and _is_asset(record):
                assets.append(self._asset_row(entity_id))
                with_asset.add(entity_id)
        self._insert(CaseEntity, links)
        self._insert(Asset, assets)
        self.report.linked += len(links)

    def _link_row(self, record, entity_id) -> dict:
        facts = record.case
        return {
            "case_id": self.case.id,
            "entity_id": entity_id,
            "role": facts.get("role", "other"),
            "source_grade": facts.get("source_grade"),
            "info_grade": facts.get("info_grade"),
            "as_asset": bool(facts.get("as_asset")),
            "note": facts.get("note"),
            "created_at": self.now,
        }

    def _asset_row(self, entity_id) -> dict:
        return {
            "entity_id": entity_id,
            "organisation_id": self.org.id,
            "stage": "traced",
            "urgent_unconfirmed": False,
            "urgent_expires_on": None,
            "confiscation_final": False,
            "last_decided_on": None,
            "estimated_value": None,
            "currency": "EUR",
            "manager": None,
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }

    # relations ---------------------------------------------------------------------------

    def relations(self, records: list[ftm.Record]) -> None:
        # A relation with several values at an end draws several edges (ftm.relation_pairs):
        # one row per edge, numbered by ``part``, each keeping the properties as they came.
        existing = self._existing_relations([r.id for r in records])
        fresh, changed, gone = [], [], []
        for record in records:
            known = existing.pop(record.id, {})
            had_rows, fresh_before, changed_before = bool(known), len(fresh), len(changed)
            for part, edge in enumerate(record.edges):
                values = self._relation_values(record, edge)
                row = known.pop(part, None)
                if row is None:
                    fresh.append({**values, "external_id": record.id, "part": part})
                    continue
                old = {key: getattr(row, key) for key in values}
                old["properties"] = _with_columns(row.schema, json.loads(row.properties), row)
                new = {**values, "properties": _stored_properties(record)}
                if not _same(old, new):
                    changed.append((row, values, old, new))
            gone.extend(known.values())  # edges a new version of the relation no longer draws
            if not had_rows:
                self.report.created += 1
            elif known or len(fresh) > fresh_before or len(changed) > changed_before:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        if fresh:
            for row in fresh:
                row.update(created_by_id=self.user.id, created_at=self.now)
            self._insert(Relation, fresh)
        if changed:
            table = Relation.__table__
            keys = list(changed[0][1])
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({key: bindparam(key) for key in keys})
                .execution_options(synchronize_session=False),
                [{"b_id": row.id, **values} for row, values, _old, _new in changed],
            )
        if gone:
            table = Relation.__table__
            self.session.execute(delete(table).where(table.c.id.in_([row.id for row in gone])))
        audited = [(row, _changes(old, new)) for row, _values, old, new in changed]
        audited += [(row, {"removed": True, "part": row.part}) for row in gone]
        for row, details in audited:
            audit.record(
                self.session,
                self.user,
                audit.Action.UPDATE,
                "relation",
                row.id,
                details={**details, "import": row.external_id},
                organisation_id=self.org.id,
            )
        self.report.relations += len(records)

    def _existing_relations(self, ftm_ids: list[str]) -> dict[str, dict[int, object]]:
        """Return ``{FtM id: {part: row}}`` for the relations the organisation already holds."""
        own, others = self._split_own(ftm_ids, _OWN_RELATION_RE)
        table = Relation.__table__
        found: dict[str, dict[int, object]] = {}
        by_external = others + list(own.values())  # later parts of our own relations
        if by_external:
            for row in self.session.execute(
                select(table).where(
                    table.c.organisation_id == self.org.id, table.c.external_id.in_(by_external)
                )
            ):
                found.setdefault(row.external_id, {})[row.part] = row
        if own:
            for row in self.session.execute(
                select(table).where(
                    table.c.organisation_id == self.org.id, table.c.id.in_(list(own))
                )
            ):
                found.setdefault(own[row.id], {})[row.part] = row
        return found

    def _relation_values(self, record: ftm.Record, edge: tuple) -> dict:
        source, target, columns = edge
        try:
            source_id = self.ids[source]
            target_id = self.ids[target]
        except KeyError as missing:  # pragma: no cover - the scan resolved every end
            raise ImportFailed(
                [{"line": record.line, "reason": Msg("{id} was not found", id=str(missing))}]
            ) from None
        return {
            "organisation_id": self.org.id,
            "schema": record.schema,
            "source_id": source_id,
            "target_id": target_id,
            "role": columns.get("role"),
            "percentage": _decimal(columns.get("percentage")),
            "percentage_min": _decimal(columns.get("percentage_min")),
            "percentage_max": _decimal(columns.get("percentage_max")),
            "start_date": _date(columns.get("start_date")),
            "end_date": _date(columns.get("end_date")),
            "amount": _decimal(columns.get("amount")),
            "currency": columns.get("currency"),
            "paid_on": _date(columns.get("paid_on")),
            "properties": record.extra["properties"],
            "source_grade": record.case.get("source_grade"),
            "info_grade": record.case.get("info_grade"),
        }

    def _insert(self, model, rows: list[dict]) -> None:
        if rows:
            self.session.execute(insert(model.__table__), rows)

    def _sources(self, pairs) -> None:
        """Provenance (issue #12): each value came from this file's line, with its grades."""
        provenance.record_sources(
            self.session,
            [
                row
                for record, entity_id in pairs
                for row in provenance.source_rows(
                    entity_id,
                    record.properties,
                    provenance.SourceKind.IMPORT,
                    user_id=self.user.id,
                    file_name=self.report.file,
                    line=record.line,
                    source_grade=record.case.get("source_grade"),
                    info_grade=record.case.get("info_grade"),
                    recorded_at=self.now,
                )
            ],
        )


# --- helpers ---------------------------------------------------------------------------------


def _known_entities(session, org, ftm_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Return ``{FtM id: (entity id, schema)}`` for the ids the organisation already holds."""
    ftm_ids = list(ftm_ids)
    found: dict[str, tuple[int, str]] = {}
    own: dict[int, str] = {}
    others = []
    for ftm_id in ftm_ids:
        match = _OWN_ENTITY_RE.fullmatch(ftm_id)
        if match and match.group(1) == org.code.lower():
            own[int(match.group(2))] = ftm_id
        else:
            others.append(ftm_id)
    merged: dict[str, int] = {}
    for chunk in _chunks(others, _BATCH):
        for row in session.execute(
            select(Entity.id, Entity.external_id, Entity.schema_name, Entity.merged_into_id).where(
                Entity.organisation_id == org.id, Entity.external_id.in_(chunk)
            )
        ):
            found[row.external_id] = (row.id, row.schema_name)
            if row.merged_into_id is not None:
                merged[row.external_id] = row.merged_into_id
    for chunk in _chunks(list(own), _BATCH):
        for row in session.execute(
            select(Entity.id, Entity.schema_name, Entity.merged_into_id).where(
                Entity.organisation_id == org.id, Entity.id.in_(chunk)
            )
        ):
            found[own[row.id]] = (row.id, row.schema_name)
            if row.merged_into_id is not None:
                merged[own[row.id]] = row.merged_into_id
    for ftm_id, target in merged.items():
        # A merged entity lives on in the one it was merged into (followed a few steps).
        for _step in range(10):
            nxt = session.scalar(select(Entity.merged_into_id).where(Entity.id == target))
            if nxt is None:
                break
            target = nxt
        found[ftm_id] = (target, found[ftm_id][1])
    return found


def _decisions_by_asset(session, case) -> dict[int, list[dict]]:
    rows = session.execute(
        select(
            DecisionAsset.asset_id,
            Decision.action,
            Decision.decided_on,
            Decision.authority,
            Decision.reference,
            Decision.final,
            Decision.urgent,
            Decision.confiscation_type,
            Decision.disposal,
            Decision.source,
            Decision.register_label,
            Decision.annulled_at,
            DecisionAsset.stage_after,
        )
        .join(Decision, Decision.id == DecisionAsset.decision_id)
        .where(Decision.case_id == case.id)
        .order_by(Decision.decided_on, Decision.id)
    )
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row.asset_id, []).append(
            _drop_empty(
                {
                    "action": row.action,
                    "decided_on": _iso(row.decided_on),
                    "authority": row.authority,
                    "reference": row.reference,
                    "stage_after": row.stage_after,
                    "urgent": row.urgent or None,
                    "final": row.final or None,
                    "confiscation_type": row.confiscation_type,
                    "disposal": row.disposal,
                    "source": row.source,
                    "register_label": row.register_label,
                    "annulled": True if row.annulled_at else None,
                }
            )
        )
    return found


def _relation_properties(relation: Relation, source_ftm: str, target_ftm: str) -> dict:
    """Return a relation's FtM properties: as imported, with what only the columns hold."""
    properties = _with_columns(
        relation.schema_name, json.loads(relation.properties or "{}"), relation
    )
    source_prop, target_prop = ftm_schema.relation_endpoints(relation.schema_name)
    properties[source_prop] = [source_ftm]
    properties[target_prop] = [target_ftm]
    return dict(sorted(properties.items()))


def _with_columns(schema_name: str, properties: dict, row) -> dict:
    """Add to a relation's stored properties what only its columns hold (entered in the app)."""
    properties = dict(properties)

    def fill(prop, value):
        if value is not None and not properties.get(prop):
            properties[prop] = [value]

    if schema_name == "Ownership":
        if row.percentage is not None:
            fill("percentage", _plain(row.percentage))
        elif row.percentage_min is not None or row.percentage_max is not None:
            low = _plain(row.percentage_min or Decimal(0))
            high = _plain(row.percentage_max if row.percentage_max is not None else 100)
            fill("percentage", f"{low}-{high}")
    fill("startDate", _iso(row.start_date))
    fill("endDate", _iso(row.end_date))
    if row.role and "relationship" not in properties:
        fill("role", row.role)
    if schema_name == "Payment":
        if row.amount is not None and not properties.get("amountEur"):
            fill("amount", money_text(row.amount))
            fill("currency", row.currency)
        fill("date", _iso(row.paid_on))
    return dict(sorted(properties.items()))


def _prepare(record: ftm.Record) -> None:
    """Work out in the first pass what the second one writes: caption, JSON, identifiers."""
    if record.is_relation:
        record.extra["properties"] = _json(_stored_properties(record))
        return
    caption = _caption(record.schema, record.properties)
    record.extra["caption"] = caption[:500]
    record.extra["caption_norm"] = normalise_name(caption)[:500]
    record.extra["properties"] = _json(record.properties)
    record.extra["identifiers"] = _identifiers(record.schema, record.properties)


def _identifiers(schema_name: str, properties: dict) -> list:
    strong = _strong_properties(schema_name)
    if not strong or not any(prop in properties for prop in strong):
        return []
    return sorted((kind, value[:200]) for kind, value in identifiers_of(schema_name, properties))


@functools.cache
def _strong_properties(schema_name: str) -> tuple[str, ...]:
    if not ftm_schema.is_native_schema(schema_name):
        return ()
    return ftm_schema.get_schema(schema_name).strong_identifiers


def _stored_properties(record: ftm.Record) -> dict:
    """A relation's properties as its rows keep them: without the ends, which the rows' columns
    hold, unless an end holds several values: then as they came, so the export gives them back.
    """
    if record.several_ends:
        return dict(record.properties)
    source_prop, target_prop = ftm_schema.relation_endpoints(record.schema)
    return {k: v for k, v in record.properties.items() if k not in (source_prop, target_prop)}


def _caption(schema_name: str, properties: dict) -> str:
    try:
        return ftm_schema.caption(schema_name, properties)
    except ftm_schema.UnknownSchema:
        for prop in ("name", "title", "fileName", "summary"):
            for value in properties.get(prop, ()):
                if value.strip():
                    return value.strip()
        return schema_name


def _is_asset(record: ftm.Record) -> bool:
    return ftm_schema.is_asset_schema(record.schema) or bool(record.case.get("as_asset"))


def _same(old: dict, new: dict) -> bool:
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Decimal) or isinstance(before, Decimal):
            if (value is None) != (before is None) or (
                value is not None and Decimal(value) != Decimal(before)
            ):
                return False
        elif before != value:
            return False
    return True


def _changes(old: dict, new: dict) -> dict:
    changes = {}
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            nested = _changes(before, after)
            if nested:
                changes[key] = nested
            continue
        if before != after and not (
            isinstance(before, Decimal | int)
            and isinstance(after, Decimal | int)
            and Decimal(before) == Decimal(after)
        ):
            changes[key] = [_jsonable(before), _jsonable(after)]
    return changes


def _jsonable(value):
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _grouped_warnings(warnings: dict[str, list[int]], counts: dict[str, int]) -> list[dict]:
    grouped = [
        {"message": str(message), "lines": lines[:20], "count": counts.get(message, len(lines))}
        for message, lines in warnings.items()
    ]
    grouped.sort(key=lambda w: (-w["count"], w["lines"][0] if w["lines"] else 0))
    return grouped[:_MAX_WARNINGS]


def _scaled(progress: Progress | None, low: int, high: int, message: str):
    if progress is None:
        return lambda fraction: None
    last = [-1]

    def report(fraction: float) -> None:
        percent = int(low + (high - low) * max(0.0, min(1.0, fraction)))
        if percent != last[0]:
            last[0] = percent
            progress(percent, message)

    return report


def _batches(records: Iterator, size: int) -> Iterator[list]:
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _json(properties: dict) -> str:
    return json.dumps(properties, ensure_ascii=False, sort_keys=True)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _drop_empty(values: dict) -> dict:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


# --- uploads and the import job ---------------------------------------------------------------


def check_upload(upload, fmt: str | None, formats=IMPORT_FORMATS) -> str:
    """Check an uploaded file (a werkzeug ``FileStorage`` or None) and its format; return the
    format, lower-cased. Raises :class:`Invalid` with ``file`` and/or ``format`` errors."""
    fmt = (fmt or "").strip().lower()
    errors = {}
    if upload is None or not upload.filename:
        errors["file"] = Msg("attach the file to import (multipart field file)")
    if fmt not in formats:
        errors["format"] = Msg("must be one of {choices}", choices=", ".join(formats))
    if errors:
        raise Invalid(errors)
    return fmt


def save_upload(upload) -> str:
    """Save an uploaded file under ``FILES_DIR/uploads`` with a random name; return its path
    relative to ``FILES_DIR`` (what the import job's ``upload`` parameter holds)."""
    relative = Path("uploads") / f"{uuid.uuid4().hex}.upload"
    target = Path(current_app.config["FILES_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.save(target)
    return str(relative)


def queue_import(
    session: Session,
    user: User,
    case: Case,
    upload: str,
    fmt: str,
    *,
    file_name: str | None = None,
    skip_invalid: bool = False,
    options: dict | None = None,
):
    """Record the ``import`` job of a saved upload (``upload``: from :func:`save_upload`).

    A register's mapping (``options``: ``mapping``, ``columns``, ``statuses``, ``types``,
    ``defaults``) is checked now, so a wrong one is an :class:`Invalid` here rather than a
    failed job later. Flushes only: the caller commits, then calls ``jobs.start_job``.
    """
    from . import registers

    access.require_edit_case(user, case)
    if fmt not in IMPORT_FORMATS:
        raise Invalid(
            {"format": Msg("must be one of {choices}", choices=", ".join(IMPORT_FORMATS))}
        )
    params = {"case_id": case.id, "format": fmt, "skip_invalid": bool(skip_invalid)}
    if fmt in REGISTER_FORMATS:
        for key in _MAPPING_KEYS:
            if (options or {}).get(key):
                params[key] = options[key]
        registers.mapping_from_params(session, case.organisation_id, params)
    params["file_name"] = secure_filename(file_name or "") or f"upload.{fmt}"
    params["upload"] = upload
    return jobs.create_job(session, user, "import", params)


# --- the background job ----------------------------------------------------------------------


@handler("import")
def _import_job(session: Session, job, user: User, params: dict, progress):
    """Run an uploaded import; the result is the report as a JSON file."""
    from . import registers

    case = session.get(Case, params["case_id"])
    if case is None:
        raise Invalid({"case_id": Msg("no such case")})
    files = Path(current_app.config["FILES_DIR"])
    upload = files / params["upload"]
    fmt = params["format"]
    # SQLite takes one writer at a time: once the import writes, a progress update from
    # another connection would wait for it, so only the reading phase reports there.
    sqlite = session.get_bind().dialect.name == "sqlite"

    def tick(percent: int, message: str | None = None) -> None:
        if not sqlite or percent < 50:
            progress(percent, message)

    try:
        if fmt == "ftm":
            report = import_ftm(
                session, user, case, upload, skip_invalid=params.get("skip_invalid"), progress=tick
            )
            body = report.as_dict()
        elif fmt == "bods":
            report = import_bods(
                session, user, case, upload, skip_invalid=params.get("skip_invalid"), progress=tick
            )
            body = report.as_dict()
        else:
            report = registers.import_register(
                session,
                user,
                case,
                upload,
                registers.mapping_from_params(session, case.organisation_id, params),
                skip_invalid=bool(params.get("skip_invalid")),
                file_name=params.get("file_name"),
                progress=tick,
            )
            body = report.as_dict()
    finally:
        upload.unlink(missing_ok=True)
    name = f"import-{job.id}.json"
    relative = Path("jobs") / name
    target = files / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(body, ensure_ascii=False, indent=2, default=str)
    target.write_text(text, encoding="utf-8")
    return str(relative), name, "application/json"
