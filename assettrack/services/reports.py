"""Case briefs and partner reports: their content, already redacted.

A report is built in steps (ARCHITECTURE.md, "Partner report"):

1. a *context*: plain data (dicts, lists, dates, Decimals) holding only what the reader may
   see — :func:`case_brief_context`, :func:`partner_report_context`. Sharing rules and
   redaction are taken from :mod:`.sharing`, applied here once, before any template;
2. :mod:`.issuing` asks for it (``POST /api/v1/reports``), and its job renders the context
   to PDF (``assettrack.reports``), stores the file and logs the disclosure.

Also here: the H2 permissions (:func:`record_permission`) and the shared reading of a case
(:func:`shared_case_context`).
"""

import functools
import hashlib
import json
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel.support import Translations
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from .. import lifecycle
from .. import schema as ftm_schema
from ..errors import AccessDenied
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..models import TLP
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import CaseTag
from ..models import Decision
from ..models import DecisionAsset
from ..models import Entity
from ..models import EntityIdentifier
from ..models import Organisation
from ..models import Permission
from ..models import User
from . import asset_reads
from . import sharing
from . import stats
from .cases import org_today

__all__ = [
    "LANGUAGES",
    "JUSTIFICATION_MAX",
    "Period",
    "parse_period",
    "clean_justification",
    "default_language",
    "pick_language",
    "case_brief_context",
    "partner_report_context",
    "shared_case_context",
    "context_hash",
    "record_permission",
    "permissions_of",
    "permission_as_dict",
    "shared_case_list",
    "recipient_choices",
]

#: Languages a report is written in.
LANGUAGES = ("en", "fr")
#: Justifications are free text up to this length (they go into the audit log).
JUSTIFICATION_MAX = 2000
_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
_PARTY_SCHEMATA = ("Person", "Company", "Organization", "LegalEntity")
_UBO_TARGETS = 12
_UBO_PATHS = 3
_PARTNER_CHAINS = 6
_NETWORK_LIMIT = 400
_DIAGRAM_NODES = 60
# Canvas widths of the diagram: the page's width in a brief, half of it in a partner report
# (the renderer's labels keep their size in pixels, so a narrower canvas prints them larger).
_DIAGRAM_WIDTH = 620
_SMALL_DIAGRAM = 440
_ROLE_ORDER = ("suspect", "convicted", "enabler", "associate", "witness", "victim", "other")


@dataclass(frozen=True)
class Period:
    """A reporting period: whole days from ``start`` to ``end``; ``year`` when it is one."""

    start: date
    end: date
    year: int | None = None

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "year": self.year}


# --- inputs ------------------------------------------------------------------------------------


def parse_period(year=None, since=None, until=None, *, today: date) -> Period:
    """Return the period asked for: a ``year``, or ``since`` and ``until`` (ISO dates).

    >>> parse_period("2025", today=date(2026, 3, 1))
    Period(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31), year=2025)
    >>> parse_period(since="2026-01-01", until="2025-01-01", today=date(2026, 3, 1))
    Traceback (most recent call last):
    ...
    assettrack.errors.Invalid: until: must not be before the start of the period
    """
    year = str(year).strip() if year not in (None, "") else ""
    since = str(since).strip() if since not in (None, "") else ""
    until = str(until).strip() if until not in (None, "") else ""
    if year and (since or until):
        raise Invalid({"year": Msg("give a year, or a start and an end date, not both")})
    if year:
        if not (year.isascii() and year.isdigit()) or not 1990 <= int(year) <= today.year:
            raise Invalid(
                {"year": Msg("must be a year from {first} to {last}", first=1990, last=today.year)}
            )
        return Period(date(int(year), 1, 1), date(int(year), 12, 31), int(year))
    if not since or not until:
        raise Invalid(
            {"year": Msg("give the year of the report, or the start and end of the period")}
        )
    errors = {}
    start = _iso_date(errors, "since", since)
    end = _iso_date(errors, "until", until)
    if start and end and end < start:
        errors["until"] = Msg("must not be before the start of the period")
    if errors:
        raise Invalid(errors)
    return Period(start, end, None)


def clean_justification(text) -> str:
    """Return the justification of a disclosure, or raise Invalid when it is missing."""
    text = (text or "").strip() if isinstance(text, str) or text is None else None
    if text is None:
        raise Invalid({"justification": Msg("must be text")})
    if not text:
        raise Invalid(
            {"justification": Msg("is required: a partner report is a disclosure; say why")}
        )
    if len(text) > JUSTIFICATION_MAX:
        raise Invalid(
            {"justification": Msg("is limited to {limit} characters", limit=JUSTIFICATION_MAX)}
        )
    return text


def default_language(org: Organisation) -> str:
    """Return the language of a report for ``org``: its own when English or French, else English.

    >>> default_language(Organisation(language="fr")), default_language(Organisation(language="nl"))
    ('fr', 'en')
    """
    return org.language if org.language in LANGUAGES else "en"


def recipient_choices(session: Session, user: User) -> list[Organisation]:
    """Return the organisations a partner report of ``user`` may go to (all but their own)."""
    return list(
        session.scalars(
            access.case_organisations()
            .where(Organisation.id != user.organisation_id)
            .order_by(Organisation.code)
        )
    )


# --- contexts ----------------------------------------------------------------------------------


def case_brief_context(session: Session, user: User, case: Case, *, language=None) -> dict:
    """Return the content of a case's brief, for a user already allowed to read the case.

    Inside the owning organisation nothing is redacted; elsewhere (a shared reading) the
    brief is redacted as a partner report.
    """
    inside = case.organisation_id in access.organisation_ids(session, user)
    org = session.get(Organisation, case.organisation_id)
    home = session.get(Organisation, user.organisation_id)
    language = pick_language(language, user.language, default_language(org))
    loaded = _load_entities(session, [case.id])
    redaction = sharing.Redaction(
        sharing.INTERNAL if inside else sharing.PARTNER, translate=_translator(language)
    )
    for entity in loaded.of(case.id):
        redaction.register(entity)
    details = _load_details(session, [case.id], loaded)
    section = _case_section(session, user, case, loaded, details, redaction, full=True)
    return {
        "kind": "case_brief",
        "language": language,
        "tlp": case.tlp,
        "issuer": _org_dict(org),
        "recipient": _org_dict(home),
        "prepared_for": user.name,
        "redacted": redaction.is_partner,
        "case": section,
        "case_ids": [case.id],
        "case_references": [case.reference],
    }


def partner_report_context(
    session: Session,
    user: User,
    recipient_code: str,
    period: Period,
    *,
    language: str | None = None,
    justification: str | None = None,
    with_content: bool = True,
) -> dict:
    """Return the content of a partner report from the user's organisation to a recipient.

    Applies the sharing rules case by case (:func:`.sharing.withheld_because`) and says why
    each included case concerns the recipient (:func:`.sharing.relevance`); the cases kept back
    are only counted, by rule. ``with_content=False`` stops there (the preview): no sections,
    statistics or annex.
    """
    if not access.can_read_cases(user):
        raise AccessDenied("only officers and liaisons issue partner reports")
    issuer = session.get(Organisation, user.organisation_id)
    recipient = session.scalar(
        access.case_organisations().where(
            Organisation.code == (recipient_code or "").strip().upper()
        )
    )
    if recipient is None:
        raise Invalid({"to": Msg("unknown organisation {code}", code=recipient_code or "")})
    if recipient.id == issuer.id:
        raise Invalid({"to": Msg("a partner report goes to another organisation")})
    language = pick_language(language, default_language(recipient))
    if justification is not None:
        justification = clean_justification(justification)
    candidates = sharing.candidate_cases(session, issuer.id, period.start, period.end)
    ids = [c.id for c in candidates]
    loaded = _load_entities(session, ids)
    hits = sharing.identifier_hits(session, ids, recipient.id)
    permitted = sharing.permitted_case_ids(session, ids, recipient.id)
    target = sharing.Recipient(recipient.code, recipient.name, recipient.country)

    included, withheld = [], Counter()
    for case in candidates:
        shared = recipient.code in loaded.shares.get(case.id, [])
        reasons = sharing.relevance(
            loaded.of(case.id), target, shared=shared, hits=hits, name=lambda _i, c: c
        )
        why = sharing.withheld_because(
            case.tlp,
            case.handling_code,
            shared=shared,
            relevant=bool(reasons),
            permitted=case.id in permitted,
        )
        if why is None:
            included.append(case)
        else:
            withheld[why] += 1

    redaction = sharing.Redaction(sharing.PARTNER, translate=_translator(language))
    for case in included:
        for entity in loaded.of(case.id):
            redaction.register(entity)
    details = _load_details(session, [c.id for c in included], loaded) if with_content else None
    sections = []
    for case in included:
        shared = recipient.code in loaded.shares.get(case.id, [])
        reasons = sharing.relevance(
            loaded.of(case.id), target, shared=shared, hits=hits, name=redaction.name
        )
        if with_content:
            section = _case_section(session, user, case, loaded, details, redaction, full=False)
        else:
            section = _case_heading(case, loaded, redaction)
        section["reasons"] = reasons
        sections.append(section)

    context = {
        "kind": "partner",
        "language": language,
        "tlp": sharing.highest_tlp(c.tlp for c in included),
        "recipient_only": any(c.tlp == TLP.RED.value for c in included),
        "issuer": _org_dict(issuer),
        "recipient": _org_dict(recipient),
        "period": period.as_dict(),
        "justification": justification,
        "prepared_by": user.name,
        "cases": sections,
        "case_ids": [c.id for c in included],
        "case_references": [c.reference for c in included],
        "withheld": [
            {"code": code, "reason": sharing.WITHHELD_REASONS[code], "count": withheld[code]}
            for code in sharing.WITHHELD_REASONS
            if withheld[code]
        ],
        "withheld_total": sum(withheld.values()),
        "candidates": len(candidates),
    }
    if with_content:
        context["statistics"] = _statistics(session, issuer, period)
        context["common"] = _in_common(loaded, included, hits, redaction)
    return context


def shared_case_context(session: Session, user: User, case_id: int, *, language=None) -> dict:
    """Return a case shared with the user's organisation, redacted as in a partner report.

    The reading is logged. NotFound when the case is not shared with the user's organisation
    or may not be read there (AMBER+STRICT, H2 without permission).
    """
    case, via = sharing.get_shared_case(session, user, case_id)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "case",
        case.id,
        details={"via": "shared page", "shared_with": via.code},
        organisation_id=case.organisation_id,
    )
    language = pick_language(language, user.language)
    loaded = _load_entities(session, [case.id])
    redaction = sharing.Redaction(sharing.PARTNER, translate=_translator(language))
    for entity in loaded.of(case.id):
        redaction.register(entity)
    details = _load_details(session, [case.id], loaded)
    section = _case_section(session, user, case, loaded, details, redaction, full=True)
    return {
        "case": section,
        "issuer": _org_dict(session.get(Organisation, case.organisation_id)),
        "shared_with": _org_dict(via),
    }


# --- issue ------------------------------------------------------------------------------------


def context_hash(context: dict) -> str:
    """Return the SHA-256 of a report's content: equal for equal (redacted) data."""
    return hashlib.sha256(audit.canonical_json(context).encode()).hexdigest()


def shared_case_list(session: Session, user: User) -> list[dict]:
    """Return the cases shared with the user's organisations that may be read there; their
    titles redacted as their pages are."""
    rows = sharing.shared_cases(session, user)
    owners = dict(session.execute(select(Organisation.id, Organisation.code)).all())
    loaded = _load_entities(session, [case.id for case, _via in rows])
    result = []
    for case, via in rows:
        redaction = sharing.Redaction(sharing.PARTNER)
        for entity in loaded.of(case.id):
            redaction.register(entity)
        result.append(
            {
                "id": case.id,
                "reference": case.reference,
                "title": redaction.text(case.title),
                "tlp": case.tlp,
                "handling_code": case.handling_code,
                "organisation": owners.get(case.organisation_id),
                "shared_with": via.code,
                "status": case.status,
            }
        )
    return result


# --- permissions (H2) --------------------------------------------------------------------------


def record_permission(session: Session, user: User, case: Case, data: dict) -> Permission:
    """Record the provider's permission to pass an H2 case on to a recipient; audited."""
    access.require_edit_case(user, case)
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    if case.tlp == TLP.AMBER_STRICT.value:
        raise Conflict(
            "an AMBER+STRICT case is never passed on outside the owning organisation",
            errors={"recipient": Msg("AMBER+STRICT is never shared")},
        )
    errors: dict = {}
    code = data.get("recipient")
    recipient = None
    if not isinstance(code, str) or not code.strip():
        errors["recipient"] = Msg("is required: the code of the receiving organisation")
    else:
        recipient = session.scalar(
            access.case_organisations().where(Organisation.code == code.strip().upper())
        )
        if recipient is None:
            errors["recipient"] = Msg("unknown organisation {code}", code=code.strip())
        elif recipient.id == case.organisation_id:
            errors["recipient"] = Msg("the case already belongs to {code}", code=recipient.code)
    granted_by = data.get("granted_by")
    if not isinstance(granted_by, str) or not granted_by.strip():
        errors["granted_by"] = Msg("is required: who gave the permission (name, authority)")
    elif len(granted_by.strip()) > 200:
        errors["granted_by"] = Msg("is limited to {limit} characters", limit=200)
    org = session.get(Organisation, case.organisation_id)
    granted_on = _iso_date(errors, "granted_on", data.get("granted_on"), required=True)
    if granted_on and granted_on > org_today(org):
        errors["granted_on"] = Msg("must not be in the future")
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > JUSTIFICATION_MAX):
        errors["note"] = Msg("must be text of at most {limit} characters", limit=JUSTIFICATION_MAX)
    if errors:
        raise Invalid(errors)
    permission = Permission(
        case_id=case.id,
        recipient_organisation_id=recipient.id,
        granted_by=granted_by.strip(),
        granted_on=granted_on,
        note=(note or "").strip() or None,
        entered_by_id=user.id,
    )
    session.add(permission)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "permission",
        permission.id,
        details={
            "case": case.reference,
            "recipient": recipient.code,
            "granted_by": permission.granted_by,
            "granted_on": granted_on.isoformat(),
            "note": permission.note,
        },
        organisation_id=case.organisation_id,
    )
    return permission


def permissions_of(session: Session, case: Case) -> list[Permission]:
    """Return the permissions recorded on a case, oldest first."""
    return list(
        session.scalars(
            select(Permission).where(Permission.case_id == case.id).order_by(Permission.id)
        )
    )


def permission_as_dict(session: Session, permission: Permission) -> dict:
    """Return the public shape of a permission."""
    recipient = session.get(Organisation, permission.recipient_organisation_id)
    author = session.get(User, permission.entered_by_id)
    return {
        "id": permission.id,
        "case_id": permission.case_id,
        "recipient": recipient.code,
        "granted_by": permission.granted_by,
        "granted_on": permission.granted_on.isoformat(),
        "note": permission.note,
        "entered_by": author.email if author else None,
        "entered_at": permission.entered_at.isoformat(),
    }


# --- loading -----------------------------------------------------------------------------------


@dataclass
class _Entities:
    """The entities of some cases, as plain data, and the case links."""

    entities: dict  # entity id -> sharing.EntityData
    links: dict  # case id -> [(CaseEntity, Entity, Asset | None)]
    shares: dict  # case id -> [codes]
    tags: dict  # case id -> [tags]

    def of(self, case_id: int) -> list:
        return [self.entities[entity.id] for _link, entity, _asset in self.links.get(case_id, [])]


@dataclass
class _Details:
    """What the sections show beyond the entities: values, ledger, decisions, stages."""

    values: dict  # asset id -> {"frozen"|"confiscated"|"realised": (amount, currency)}
    ledger: dict  # asset id -> {currency: {"cost", "income"}}
    decisions: dict  # case id -> [Decision]
    covered: dict  # decision id -> [asset id]
    users: dict  # user id -> name


def _load_entities(session: Session, case_ids: list[int]) -> _Entities:
    links: dict = defaultdict(list)
    entities: dict = {}
    if case_ids:
        rows = session.execute(
            select(CaseEntity, Entity, Asset)
            .join(Entity, Entity.id == CaseEntity.entity_id)
            .outerjoin(Asset, Asset.entity_id == Entity.id)
            .where(CaseEntity.case_id.in_(case_ids))
            .order_by(CaseEntity.case_id, Entity.schema_name, Entity.caption_norm, Entity.id)
        )
        for link, entity, asset in rows:
            is_asset = ftm_schema.is_asset_schema(entity.schema_name) or link.as_asset
            links[link.case_id].append((link, entity, asset if is_asset else None))
            data = entities.get(entity.id)
            if data is None:
                data = entities[entity.id] = sharing.EntityData(
                    entity.id, entity.schema_name, entity.caption, json.loads(entity.properties)
                )
            data.roles.add(link.role)
        in_cases = select(CaseEntity.entity_id).where(CaseEntity.case_id.in_(case_ids))
        for entity_id, kind, value in session.execute(
            select(EntityIdentifier.entity_id, EntityIdentifier.kind, EntityIdentifier.value)
            .where(EntityIdentifier.entity_id.in_(in_cases))
            .order_by(EntityIdentifier.entity_id, EntityIdentifier.kind, EntityIdentifier.value)
        ):
            entities[entity_id].identifiers.append((kind, value))
    tags: dict = defaultdict(list)
    for case_id, tag in session.execute(
        select(CaseTag.case_id, CaseTag.tag)
        .where(CaseTag.case_id.in_(case_ids or [-1]))
        .order_by(CaseTag.tag)
    ):
        tags[case_id].append(tag)
    return _Entities(entities, dict(links), sharing.share_codes(session, case_ids), dict(tags))


def _load_details(session: Session, case_ids: list[int], loaded: _Entities) -> _Details:
    asset_ids = sorted(
        {entity.id for cid in case_ids for _l, entity, asset in loaded.links.get(cid, []) if asset}
    )
    read = asset_reads.read_asset_values(session, asset_ids)
    decisions: dict = defaultdict(list)
    covered: dict = defaultdict(list)
    if case_ids:
        for decision in session.scalars(
            select(Decision)
            .where(Decision.case_id.in_(case_ids))
            .order_by(Decision.decided_on, Decision.id)
        ):
            decisions[decision.case_id].append(decision)
        for decision_id, asset_id in session.execute(
            select(DecisionAsset.decision_id, DecisionAsset.asset_id)
            .join(Decision, Decision.id == DecisionAsset.decision_id)
            .where(Decision.case_id.in_(case_ids))
            .order_by(DecisionAsset.decision_id, DecisionAsset.asset_id)
        ):
            covered[decision_id].append(asset_id)
    user_ids = {d.entered_by_id for ds in decisions.values() for d in ds} - {None}
    users = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
    return _Details(read.values, read.ledger, dict(decisions), dict(covered), users)


# --- sections ----------------------------------------------------------------------------------


def _case_heading(case: Case, loaded: _Entities, redaction: sharing.Redaction) -> dict:
    assets = [a for _l, _e, a in loaded.links.get(case.id, []) if a is not None]
    return {
        "id": case.id,
        "reference": case.reference,
        "title": redaction.text(case.title),
        "tlp": case.tlp,
        "handling_code": case.handling_code,
        "handling_notice": sharing.handling_notice(
            case.handling_code, redaction.text(case.handling_restriction)
        ),
        "status": case.status,
        "stage": lifecycle.case_stage(a.stage for a in assets),
        "opened_on": case.opened_on,
    }


def _case_section(session, user, case, loaded, details, redaction, *, full: bool) -> dict:
    """The content of one case: heading, summary, assets, decisions, entities, network."""
    section = _case_heading(case, loaded, redaction)
    assets = _asset_rows(case, loaded, details, redaction)
    entities = _entity_rows(case, loaded, redaction, parties_only=not full)
    section.update(
        summary=redaction.text(case.summary or ""),
        review_on=case.review_on if not redaction.is_partner else None,
        shared_with=loaded.shares.get(case.id, []) if not redaction.is_partner else [],
        tags=loaded.tags.get(case.id, []),
        assets=assets,
        stages=_stage_counts(assets),
        totals=_totals(assets),
        decisions=_decision_rows(case, loaded, details, redaction) if full else [],
        entities=entities,
        redacted=any(e["redacted"] for e in entities),
        network=_network_section(
            session, user, case, redaction, width=_DIAGRAM_WIDTH if full else _SMALL_DIAGRAM
        ),
    )
    if not full:  # a partner report's page per case: the strongest chains only
        section["network"]["chains"] = section["network"]["chains"][:_PARTNER_CHAINS]
    return section


def _asset_rows(case, loaded, details, redaction) -> list[dict]:
    rows = []
    for _link, entity, asset in loaded.links.get(case.id, []):
        if asset is None:
            continue
        books = details.ledger.get(asset.entity_id, {})
        net = {cur: v["income"] - v["cost"] for cur, v in sorted(books.items())}
        values = details.values.get(asset.entity_id, {})
        rows.append(
            {
                "id": asset.entity_id,
                "name": redaction.name(entity.id, entity.caption),
                "schema": entity.schema_name,
                "details": redaction.details(entity.id),
                "stage": asset.stage,
                "urgent_unconfirmed": asset.urgent_unconfirmed,
                "confiscation_final": asset.confiscation_final,
                "estimated": _money(asset.estimated_value, asset.currency),
                "frozen": _money(*values["frozen"]) if "frozen" in values else None,
                "confiscated": _money(*values["confiscated"]) if "confiscated" in values else None,
                "realised": _money(*values["realised"]) if "realised" in values else None,
                "management_net": [_money(v, cur) for cur, v in net.items()],
            }
        )
    rows.sort(key=lambda r: (lifecycle.STAGE_ORDER.index(r["stage"]), str(r["name"]).casefold()))
    return rows


def _stage_counts(assets: list[dict]) -> list[dict]:
    counts = Counter(a["stage"] for a in assets)
    return [{"stage": s.value, "count": counts.get(s.value, 0)} for s in lifecycle.STAGE_ORDER]


def _totals(assets: list[dict]) -> dict:
    """Sums per currency of each value column, and the realised value net of management."""
    totals: dict = {}
    for column in ("estimated", "frozen", "confiscated", "realised"):
        sums: dict = defaultdict(Decimal)
        for asset in assets:
            if asset[column]:
                sums[asset[column]["currency"]] += asset[column]["amount"]
        totals[column] = [_money(v, c) for c, v in sorted(sums.items())]
    net: dict = defaultdict(Decimal)
    for asset in assets:
        for entry in asset["management_net"]:
            net[entry["currency"]] += entry["amount"]
    totals["management_net"] = [_money(v, c) for c, v in sorted(net.items())]
    recovered: dict = defaultdict(Decimal)
    for entry in totals["realised"] + totals["management_net"]:
        recovered[entry["currency"]] += entry["amount"]
    totals["recovered_net"] = [_money(v, c) for c, v in sorted(recovered.items())]
    return totals


def _decision_rows(case, loaded, details, redaction) -> list[dict]:
    names = {
        entity.id: redaction.name(entity.id, entity.caption)
        for _link, entity, _asset in loaded.links.get(case.id, [])
    }
    rows = []
    for decision in details.decisions.get(case.id, []):
        if redaction.is_partner and decision.annulled_at is not None:
            continue  # a partner sees the standing orders only
        text = redaction.text
        rows.append(
            {
                "id": decision.id,
                "action": decision.action,
                "decided_on": decision.decided_on,
                "authority": text(decision.authority),
                "reference": text(decision.reference),
                "legal_basis": text(decision.legal_basis),
                "amount": _money(decision.amount, decision.currency),
                "assets": [names.get(i, f"#{i}") for i in details.covered.get(decision.id, [])],
                "annulled": decision.annulled_at is not None,
                "annul_reason": text(decision.annul_reason),
                "entered_by": None
                if redaction.is_partner
                else details.users.get(decision.entered_by_id),
                # What distinguishes a decision of its kind (None when it does not apply).
                "urgent": decision.urgent,
                "expires_on": decision.expires_on if decision.urgent else None,
                "confirms_urgent": decision.confirms_urgent,
                "manager": text(decision.manager),
                "early_sale": decision.early_sale,
                "early_sale_ground": decision.early_sale_ground,
                "price": _money(decision.price, decision.currency),
                "confiscation_type": decision.confiscation_type,
                "final": decision.final,
                "disposal": decision.disposal,
                "disposal_recipient": None if redaction.is_partner else decision.recipient,
                "reason": text(decision.reason),
                "returned_on": decision.returned_on,
            }
        )
    return rows


def _entity_rows(case, loaded, redaction, *, parties_only: bool) -> list[dict]:
    rows = []
    for link, entity, asset in loaded.links.get(case.id, []):
        if parties_only and (asset is not None or entity.schema_name not in _PARTY_SCHEMATA):
            continue
        redacted = redaction.is_redacted(entity.id)
        rows.append(
            {
                "id": entity.id,
                "name": redaction.name(entity.id, entity.caption),
                "schema": entity.schema_name,
                "role": link.role,
                "source_grade": link.source_grade,
                "info_grade": link.info_grade,
                "is_asset": asset is not None,
                "details": redaction.details(entity.id),
                "note": None if redaction.is_partner else link.note,
                "redacted": redacted,
            }
        )
    # Parties before assets, by role (suspects first); neutral labels last, in label order.
    rows.sort(
        key=lambda r: (
            r["is_asset"],
            r["redacted"],
            _ROLE_ORDER.index(r["role"]) if r["role"] in _ROLE_ORDER else len(_ROLE_ORDER),
            str(r["name"]).casefold(),
        )
    )
    return rows


def _network_section(
    session: Session, user: User, case: Case, redaction, *, width: int = 620
) -> dict:
    """Return the case's network diagram (SVG) and the ownership chains of its companies.

    The caller has already admitted ``user`` to the case (``access`` for its own organisation,
    the sharing rules for a partner), so the graph is read within the case's organisation.
    Names are the document's: a victim is "Victim 1" in the diagram too, and relation labels
    are scrubbed like any text. ``svg`` is drawn by ``assettrack.network.render`` (brokers
    ranked by ``services.network`` when present); the chains come from
    ``assettrack.network.analysis``. ``svg`` is None when there is nothing to draw.
    """
    from ..network import analysis
    from ..network import store

    subgraph = store.case_graph(session, case.id, {case.organisation_id}, limit=_NETWORK_LIMIT)
    graph = store.as_multidigraph(subgraph)
    for node, attrs in graph.nodes(data=True):
        attrs["name"] = str(redaction.name(node, attrs.get("name") or ""))
    for _u, _v, attrs in graph.edges(data=True):
        attrs["role"] = redaction.text(attrs.get("role"))
    as_of = org_today(session.get(Organisation, case.organisation_id))
    chains = []
    targets = sorted(
        (n for n in graph.nodes if graph.in_degree(n)),
        key=lambda n: (graph.nodes[n].get("schema") not in _PARTY_SCHEMATA, graph.nodes[n]["name"]),
    )
    for target in targets:
        result = analysis.effective_owners(
            graph, target, as_of=as_of, threshold=0, max_paths=_UBO_PATHS
        )
        for owner in result.owners:
            chains.append(
                {
                    "target": graph.nodes[target]["name"],
                    "target_schema": graph.nodes[target].get("schema"),
                    "owner": owner.name,
                    "owner_schema": owner.schema,
                    "share": owner.share,
                    "share_min": owner.share_min,
                    "share_max": owner.share_max,
                    "paths": [
                        {
                            "names": [graph.nodes[n]["name"] for n in path.nodes],
                            "share": path.share,
                        }
                        for path in owner.paths
                    ],
                    "flags": list(owner.flags),
                }
            )
        if len({c["target"] for c in chains}) >= _UBO_TARGETS:
            break
    return {
        "svg": _network_svg(subgraph, redaction, marking=f"TLP:{case.tlp}", width=width),
        "chains": chains,
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "truncated": subgraph.truncated,
    }


def _network_svg(subgraph, redaction, *, marking: str, width: int) -> str | None:
    """The diagram of a case graph with the document's names, or None (nothing to draw)."""
    try:
        from ..network import render
    except ImportError:  # the network package without its renderer: no diagram
        return None
    if not subgraph.edges:
        return None
    try:
        from . import network as network_service
    except ImportError:
        extra = None
    else:  # degree and betweenness pick the nodes drawn in a large graph
        extra = network_service.case_brokers(subgraph)
    body = render.graph_json(subgraph, extra=extra)
    # Entities without a relation are listed in the tables; the diagram shows the network.
    linked = {e["source"] for e in body["edges"]} | {e["target"] for e in body["edges"]}
    body["nodes"] = [n for n in body["nodes"] if n["id"] in linked]
    for node in body["nodes"]:
        node["name"] = str(redaction.name(node["id"], node.get("name") or ""))
        node.pop("organisation", None)
    for edge in body["edges"]:
        edge["role"] = redaction.text(edge.get("role"))
        edge["label"] = redaction.text(edge.get("label"))
    return render.graph_svg(body, marking=marking, width=width, max_nodes=_DIAGRAM_NODES)


def _statistics(session: Session, org: Organisation, period: Period) -> dict:
    """Directive statistics of each calendar year of the period and the figures of the charts."""
    years = [
        stats.directive_statistics(session, org.id, year)
        for year in range(period.start.year, period.end.year + 1)
    ]
    by_stage = stats.assets_by_stage(session, org.id)
    currencies = Counter()
    for entry in by_stage.values():
        for currency in entry["value"]:
            currencies[currency] += 1
    currency = currencies.most_common(1)[0][0] if currencies else "EUR"
    value_by_stage = [
        {
            "stage": s.value,
            "value": by_stage.get(s.value, {}).get("value", {}).get(currency, Decimal(0)),
            "count": by_stage.get(s.value, {}).get("count", 0),
        }
        for s in lifecycle.STAGE_ORDER
    ]
    by_type = session.execute(
        select(Entity.schema_name, func.count())
        .select_from(Asset)
        .join(Entity, Entity.id == Asset.entity_id)
        .where(Asset.organisation_id == org.id)
        .group_by(Entity.schema_name)
        .order_by(func.count().desc(), Entity.schema_name)
    ).all()
    months: Counter = Counter()
    for (decided_on,) in session.execute(
        select(Decision.decided_on).where(
            and_(
                Decision.organisation_id == org.id,
                Decision.decided_on >= period.start,
                Decision.decided_on <= period.end,
                Decision.annulled_at.is_(None),
                Decision.source == "manual",
            )
        )
    ):
        months[(decided_on.year, decided_on.month)] += 1
    month_keys = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        month_keys.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return {
        "years": years,
        "currency": currency,
        "value_by_stage": value_by_stage,
        "assets_by_type": [{"schema": s, "count": n} for s, n in by_type],
        "decisions_per_month": [
            {"month": date(y, m, 1), "count": months.get((y, m), 0)} for y, m in month_keys
        ],
    }


def _in_common(loaded: _Entities, included: list[Case], hits: dict, redaction) -> list[dict]:
    """Entities of the included cases that share a strong identifier with the recipient."""
    rows: dict = {}
    for case in included:
        for _link, entity, _asset in loaded.links.get(case.id, []):
            kinds = hits.get(entity.id)
            if not kinds:
                continue
            row = rows.get(entity.id)
            if row is None:
                data = loaded.entities[entity.id]
                private = redaction.is_redacted(entity.id) or entity.schema_name == "Person"
                row = rows[entity.id] = {
                    "name": redaction.name(entity.id, entity.caption),
                    "schema": entity.schema_name,
                    "identifiers": [
                        {"kind": kind, "value": None if private else value}
                        for kind, value in data.identifiers
                        if kind in kinds
                    ],
                    "cases": [],
                }
            if case.reference not in row["cases"]:
                row["cases"].append(case.reference)
    return sorted(rows.values(), key=lambda r: str(r["name"]).casefold())


# --- helpers -----------------------------------------------------------------------------------


def _org_dict(org: Organisation) -> dict:
    return {
        "id": org.id,
        "code": org.code,
        "name": org.name,
        "country": org.country,
        "timezone": org.timezone,
    }


def _money(amount, currency) -> dict | None:
    return None if amount is None else {"amount": Decimal(amount), "currency": currency}


def pick_language(*choices) -> str:
    """Return the first choice that is a report language (Invalid when the first is not one)."""
    for choice in choices:
        if choice in LANGUAGES:
            return choice
        if choice not in (None, "") and choice is choices[0]:
            raise Invalid({"language": Msg("must be one of {choices}", choices="en, fr")})
    return "en"


@functools.lru_cache(maxsize=4)
def _translator(language: str):
    """gettext of the package's catalogue for ``language``, without Flask (labels in data)."""
    translations = Translations.load(str(_TRANSLATIONS), [language], domain="messages")
    return translations.gettext


def _iso_date(errors, field, value, *, required=False) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = Msg("is required: a date written YYYY-MM-DD")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = Msg("must be a date written YYYY-MM-DD")
        return None
