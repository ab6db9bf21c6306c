"""Case briefs and partner reports: their content, already redacted.

A report is built in steps (ARCHITECTURE.md, "Partner report"):

1. a *context*: plain data (dicts, lists, dates, Decimals) holding only what the reader may
   see — :func:`case_brief_context`, :func:`partner_report_context`. Sharing rules and
   redaction are taken from :mod:`.sharing`, applied here once, before any template;
2. :mod:`.issuing` asks for it (``POST /api/v1/reports``), and its job renders the context
   to PDF (``assettrack.services.pdf``), stores the file and logs the disclosure.

Before a report is issued, :func:`brief_preview` and :func:`partner_preview` show the issuing
officer every protected name met in another name or a free text (:func:`mention_choices`); the
choices made (keep, mask, withhold) go into the request and the job builds the document under
them (``choices=``), before any template sees the text.

Also here: the H2 permissions (:func:`record_permission`) and the shared reading of a case
(:func:`shared_case_context`).
"""

import dataclasses
import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from contextlib import contextmanager
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
from ..domain import lifecycle
from ..domain import mentions
from ..domain import schema as ftm_schema
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
from .validation import clean_date

__all__ = [
    "LANGUAGES",
    "JUSTIFICATION_MAX",
    "Period",
    "parse_period",
    "clean_justification",
    "default_language",
    "pick_language",
    "Document",
    "MENTION_FIELDS",
    "case_brief_context",
    "case_brief_document",
    "partner_report_context",
    "partner_report_document",
    "brief_preview",
    "partner_preview",
    "mention_choices",
    "check_choices",
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


@dataclass
class Document:
    """A report's content and the protected names met while building it.

    ``context`` is what the template receives; ``mentions`` every protected name found in
    another entity's name or in a free text of the document (:class:`domain.mentions.Mention`),
    for the issuing officer to confirm (:func:`mention_choices`); ``places`` where each one is:
    mention key → ``[{"case": reference, "field": ...}]`` (:data:`MENTION_FIELDS`).
    """

    context: dict
    mentions: list
    places: dict


#: Where a protected name may be met in a report, as the preview names the place.
MENTION_FIELDS = (
    "name",  # another entity's name (company, vessel...)
    "title",  # the case title
    "summary",  # the case summary
    "handling",  # the stated restriction of an H3 case
    "tags",  # the case's tags
    "decision",  # a decision's authority, reference, legal basis, reason, manager...
    "details",  # an entity's details (address, port of registry...)
    "relation",  # a relation's role in the network
)


def case_brief_context(
    session: Session, user: User, case: Case, *, language=None, choices=None
) -> dict:
    """Return the content of a case's brief, for a user already allowed to read the case.

    Only the owning organisation's own users get names (``sharing.export_level``): a brief
    made by a liaison, whatever the grant, labels victims, witnesses and ``other`` persons and
    is redacted as a partner report, under ``choices`` (mention key → keep, mask, withhold).
    """
    return case_brief_document(session, user, case, language=language, choices=choices).context


def case_brief_document(
    session: Session,
    user: User,
    case: Case,
    *,
    language=None,
    choices: Mapping[str, str] | None = None,
    render: bool = True,
) -> Document:
    """Return a case's brief (:func:`case_brief_context`) with the mentions met building it.

    ``render=False`` builds every text the brief shows (so every mention is met) but draws
    no diagram: what a preview needs.
    """
    org = session.get(Organisation, case.organisation_id)
    home = session.get(Organisation, user.organisation_id)
    language = pick_language(language, user.language, default_language(org))
    loaded = _load_entities(session, [case.id])
    redaction = _Redaction(
        sharing.export_level(user, case), translate=_translator(language), choices=choices
    )
    for entity in loaded.of(case.id):
        redaction.register(entity)
    details = _load_details(session, [case.id], loaded)
    section = _case_section(
        session, user, case, loaded, details, redaction, full=True, render=render
    )
    context = {
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
    return redaction.document(context, loaded, [case])


def partner_report_context(
    session: Session,
    user: User,
    recipient_code: str,
    period: Period,
    *,
    language: str | None = None,
    justification: str | None = None,
    with_content: bool = True,
    choices: Mapping[str, str] | None = None,
) -> dict:
    """Return the content of a partner report from the user's organisation to a recipient.

    Applies the sharing rules case by case (:func:`.sharing.withheld_because`) and says why
    each included case concerns the recipient (:func:`.sharing.relevance`); the cases kept back
    are only counted, by rule. ``with_content=False`` stops there (the check of a request): no
    sections, statistics or annex. ``choices``: the issuing officer's choices about the
    protected names met (mention key → keep, mask, withhold; the defaults without).
    """
    return partner_report_document(
        session,
        user,
        recipient_code,
        period,
        language=language,
        justification=justification,
        with_content=with_content,
        choices=choices,
    ).context


def partner_report_document(
    session: Session,
    user: User,
    recipient_code: str,
    period: Period,
    *,
    language: str | None = None,
    justification: str | None = None,
    with_content: bool = True,
    choices: Mapping[str, str] | None = None,
    render: bool = True,
) -> Document:
    """Return a partner report (:func:`partner_report_context`) with the mentions met.

    ``render=False`` builds every text the report shows but draws no diagram and counts no
    statistics: what a preview needs.
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

    redaction = _Redaction(sharing.PARTNER, translate=_translator(language), choices=choices)
    for case in included:
        for entity in loaded.of(case.id):
            redaction.register(entity)
    details = _load_details(session, [c.id for c in included], loaded) if with_content else None
    sections = []
    for case in included:
        shared = recipient.code in loaded.shares.get(case.id, [])
        # An entity the issuing officer withheld gives no reason either: it is not in the report.
        shown = [e for e in loaded.of(case.id) if not redaction.is_withheld(e.id)]
        reasons = sharing.relevance(shown, target, shared=shared, hits=hits, name=redaction.name)
        if with_content:
            section = _case_section(
                session, user, case, loaded, details, redaction, full=False, render=render
            )
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
        if render:
            context["statistics"] = _statistics(session, issuer, period)
        context["common"] = _in_common(loaded, included, hits, redaction)
    return redaction.document(context, loaded, included)


# --- previews: what the issuing officer confirms -------------------------------------------------


def brief_preview(
    session: Session,
    user: User,
    case: Case,
    *,
    language=None,
    choices: Mapping[str, str] | None = None,
) -> dict:
    """Return what must be confirmed before ``user`` issues the brief of ``case``.

    ``labelled``: the brief shows victims, witnesses and ``other`` persons by labels (made
    outside the owning organisation, ``sharing.export_level``); ``mentions``: their names met in
    other names and texts (:func:`mention_choices`), none in a brief that names. Showing them is
    a consultation of the case, logged; nothing else is recorded.
    """
    labelled = sharing.export_level(user, case) == sharing.PARTNER
    found: list[dict] = []
    if labelled:
        document = case_brief_document(session, user, case, language=language, render=False)
        named = sharing.screen_level(session, user, case) == sharing.INTERNAL
        found = mention_choices(session, user, document, named=named, choices=choices)
        audit.record(
            session,
            user,
            audit.Action.READ,
            "case",
            case.id,
            details={"via": "brief preview", "mentions": len(found)},
            organisation_id=case.organisation_id,
        )
    return {
        "case": {"id": case.id, "reference": case.reference, "tlp": case.tlp},
        "labelled": labelled,
        "mentions": found,
    }


def partner_preview(
    session: Session,
    user: User,
    recipient_code: str,
    period: Period,
    *,
    language: str | None = None,
    choices: Mapping[str, str] | None = None,
) -> dict:
    """Return what a partner report would hold (cases included and why, cases withheld by rule)
    and the ``mentions`` the issuing officer confirms (:func:`mention_choices`).

    The cases' texts are read to find the mentions: a consultation, logged when a case is in.
    """
    document = partner_report_document(
        session, user, recipient_code, period, language=language, render=False
    )
    context = document.context
    context["mentions"] = mention_choices(session, user, document, choices=choices)
    if context["case_ids"]:
        audit.record(
            session,
            user,
            audit.Action.READ,
            "report_preview",
            None,
            details={
                "kind": "partner",
                "recipient": context["recipient"]["code"],
                "cases": context["case_ids"],
                "mentions": len(context["mentions"]),
            },
            organisation_id=user.organisation_id,
        )
    return context


def mention_choices(
    session: Session,
    user: User,
    document: Document,
    *,
    named: bool = True,
    choices: Mapping[str, str] | None = None,
) -> list[dict]:
    """Return the mentions of ``document`` for the issuing officer to confirm, as JSON values.

    Each is pre-filled: the choice given in ``choices`` when it fits, else the organisation's
    latest choice for the same text (``sharing.preview_choices``: a changed text has a new key),
    else the default. An item says where the mention is, whose label it is (never the protected
    name), what the text becomes when masked, and in ``parts`` the text with the found parts
    flagged. ``named=False`` (a reader who may not see the protected persons' names): the found
    parts are shown masked.
    """
    given = dict(choices or {})
    prefilled = sharing.preview_choices(session, user.organisation_id, document.mentions)
    items = []
    for mention, item in zip(document.mentions, prefilled, strict=True):
        masked = _masked(mention)
        choice = given.get(mention.key)
        items.append(
            {
                "key": mention.key,
                "kind": mention.kind,
                "match": mention.match,
                "label": mention.label,
                "text": mention.text if named else masked,
                "parts": _parts(mention) if named else _mask_parts(masked),
                "masked": masked,
                "entity_id": mention.entity_id,
                "where": document.places.get(mention.key, []),
                "default": mention.default,
                "options": list(mention.options),
                "choice": choice if choice in mention.options else item["choice"],
            }
        )
    return items


def check_choices(found: Iterable[mentions.Mention], choices: Mapping[str, str] | None) -> None:
    """Raise Invalid, naming ``redaction.<key>`` (the pointer ``/redaction/<key>``), for each
    choice that fits no mention of the document (its text changed, or it never was there) or
    is not allowed for its mention."""
    errors = mentions.invalid_choices(list(found), dict(choices or {}))
    if errors:
        raise Invalid(
            {
                f"redaction.{key}": Msg(
                    "no such name or text in the report (it may have changed): preview it again"
                )
                if reason == "unknown mention"
                else Msg("this choice is not allowed for this name or text")
                for key, reason in errors.items()
            }
        )


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
    text = _texts(redaction, case)
    return {
        "id": case.id,
        "reference": case.reference,
        "title": text("title", case.title),
        "tlp": case.tlp,
        "handling_code": case.handling_code,
        "handling_notice": sharing.handling_notice(
            case.handling_code, text("handling", case.handling_restriction)
        ),
        "status": case.status,
        "stage": lifecycle.case_stage(a.stage for a in assets),
        "opened_on": case.opened_on,
    }


def _case_section(
    session, user, case, loaded, details, redaction, *, full: bool, render: bool = True
) -> dict:
    """The content of one case: heading, summary, assets, decisions, entities, network.

    ``render=False``: every text as in the document, but no diagram is drawn.
    """
    section = _case_heading(case, loaded, redaction)
    text = _texts(redaction, case)
    assets = _asset_rows(case, loaded, details, redaction)
    entities = _entity_rows(case, loaded, redaction, parties_only=not full)
    tags = loaded.tags.get(case.id, [])
    section.update(
        summary=text("summary", case.summary or ""),
        review_on=case.review_on if not redaction.is_partner else None,
        shared_with=loaded.shares.get(case.id, []) if not redaction.is_partner else [],
        tags=[text("tags", t) for t in tags] if redaction.is_partner else tags,
        assets=assets,
        stages=_stage_counts(assets),
        totals=_totals(assets),
        decisions=_decision_rows(case, loaded, details, redaction) if full else [],
        entities=entities,
        redacted=any(e["redacted"] for e in entities),
        network=_network_section(
            session,
            user,
            case,
            redaction,
            width=_DIAGRAM_WIDTH if full else _SMALL_DIAGRAM,
            render=render,
        ),
    )
    if not full:  # a partner report's page per case: the strongest chains only
        section["network"]["chains"] = section["network"]["chains"][:_PARTNER_CHAINS]
    return section


def _asset_rows(case, loaded, details, redaction) -> list[dict]:
    rows = []
    for _link, entity, asset in loaded.links.get(case.id, []):
        if asset is None or redaction.is_withheld(entity.id):
            continue
        books = details.ledger.get(asset.entity_id, {})
        net = {cur: v["income"] - v["cost"] for cur, v in sorted(books.items())}
        values = details.values.get(asset.entity_id, {})
        rows.append(
            {
                "id": asset.entity_id,
                "name": redaction.name(entity.id, entity.caption),
                "schema": entity.schema_name,
                "details": _details(redaction, case, entity.id),
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
        if not redaction.is_withheld(entity.id)
    }
    text = functools.partial(_texts(redaction, case), "decision")
    rows = []
    for decision in details.decisions.get(case.id, []):
        if redaction.is_partner and decision.annulled_at is not None:
            continue  # a partner sees the standing orders only
        covered = details.covered.get(decision.id, [])
        rows.append(
            {
                "id": decision.id,
                "action": decision.action,
                "decided_on": decision.decided_on,
                "authority": text(decision.authority),
                "reference": text(decision.reference),
                "legal_basis": text(decision.legal_basis),
                "amount": _money(decision.amount, decision.currency),
                # An asset the issuing officer withheld is not named here either.
                "assets": [
                    names.get(i, f"#{i}") for i in covered if not redaction.is_withheld(i)
                ],
                "annulled": decision.annulled_at is not None,
                "annul_reason": text(decision.annul_reason),
                "entered_by": None
                if redaction.is_partner
                else details.users.get(decision.entered_by_id),
                # What distinguishes a decision of its kind (None when it does not apply).
                "urgent": decision.urgent,
                "expires_on": decision.expires_on if decision.urgent else None,
                "lapse_acknowledged": decision.lapse_acknowledged,
                "lapse_flag": decision.lapse_flag,
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
        if redaction.is_withheld(entity.id):
            continue  # the issuing officer withheld it: no row at all
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
                "details": _details(redaction, case, entity.id),
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
    session: Session,
    user: User,
    case: Case,
    redaction,
    *,
    width: int = 620,
    render: bool = True,
) -> dict:
    """Return the case's network diagram (SVG) and the ownership chains of its companies.

    The caller has already admitted ``user`` to the case (``access`` for its own organisation,
    the sharing rules for a partner), so the graph is read within the case's organisation.
    Names are the document's: a victim is "Victim 1" in the diagram too, and relation labels
    are scrubbed like any text; an entity the issuing officer withheld is not drawn, nor are
    its relations. ``svg`` is drawn by ``assettrack.network.render`` (brokers ranked by
    ``services.network`` when present); the chains come from ``assettrack.network.analysis``.
    ``svg`` is None when there is nothing to draw. ``render=False`` only names the nodes and
    relations (for the mentions of a preview): no diagram, no chain.
    """
    from ..network import store

    subgraph = store.case_graph(session, case.id, {case.organisation_id}, limit=_NETWORK_LIMIT)
    graph = store.as_multidigraph(subgraph)
    graph.remove_nodes_from([n for n in list(graph.nodes) if redaction.is_withheld(n)])
    text = functools.partial(_texts(redaction, case), "relation")
    for node, attrs in graph.nodes(data=True):
        attrs["name"] = str(redaction.name(node, attrs.get("name") or ""))
    for _u, _v, attrs in graph.edges(data=True):
        attrs["role"] = text(attrs.get("role"))
    chains = []
    if render:
        chains = _chains(graph, org_today(session.get(Organisation, case.organisation_id)))
    return {
        "svg": _network_svg(
            subgraph, redaction, marking=f"TLP:{case.tlp}", width=width, render=render, text=text
        ),
        "chains": chains,
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "truncated": subgraph.truncated,
    }


def _chains(graph, as_of: date) -> list[dict]:
    """The ultimate owners of the graph's companies and assets, with their strongest paths."""
    from ..network import analysis

    chains: list[dict] = []
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
    return chains


def _network_svg(
    subgraph, redaction, *, marking: str, width: int, render: bool = True, text=None
) -> str | None:
    """The diagram of a case graph with the document's names, or None (nothing to draw)."""
    try:
        from ..network import render as renderer
    except ImportError:  # the network package without its renderer: no diagram
        return None
    if not subgraph.edges:
        return None
    text = text or redaction.text
    try:
        from . import network as network_service
    except ImportError:
        extra = None
    else:  # degree and betweenness pick the nodes drawn in a large graph
        extra = network_service.case_brokers(subgraph) if render else None
    body = renderer.graph_json(subgraph, extra=extra)
    # Withheld entities are not drawn, nor their relations.
    withheld = {n["id"] for n in body["nodes"] if redaction.is_withheld(n["id"])}
    body["edges"] = [
        e for e in body["edges"] if e["source"] not in withheld and e["target"] not in withheld
    ]
    # Entities without a relation are listed in the tables; the diagram shows the network.
    linked = {e["source"] for e in body["edges"]} | {e["target"] for e in body["edges"]}
    body["nodes"] = [n for n in body["nodes"] if n["id"] in linked]
    for node in body["nodes"]:
        node["name"] = str(redaction.name(node["id"], node.get("name") or ""))
        node.pop("organisation", None)
    for edge in body["edges"]:
        edge["role"] = text(edge.get("role"))
        edge["label"] = text(edge.get("label"))
    if not render or not body["edges"]:
        return None
    return renderer.graph_svg(body, marking=marking, width=width, max_nodes=_DIAGRAM_NODES)


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


# --- where the protected names are met ----------------------------------------------------------


class _Redaction(sharing.Redaction):
    """The document's :class:`.sharing.Redaction`, noting where each free text is met, so the
    preview can say where a protected name was found (the mentions themselves only know the
    text)."""

    def __init__(self, level: str, **kwargs):
        super().__init__(level, **kwargs)
        self._at: tuple[str, str] | None = None
        self._places: dict[str, list[dict]] = defaultdict(list)

    def text(self, value: str | None) -> str | None:
        if value and self.is_partner and self._at is not None:
            place = {"case": self._at[0], "field": self._at[1]}
            seen = self._places[unicodedata.normalize("NFC", value)]
            if place not in seen:
                seen.append(place)
        return super().text(value)

    @contextmanager
    def at(self, reference: str, field: str):
        """Note the texts redacted within as met in ``field`` of case ``reference``."""
        previous, self._at = self._at, (reference, field)
        try:
            yield self
        finally:
            self._at = previous

    def document(self, context: dict, loaded: "_Entities", cases: list[Case]) -> Document:
        """The document built, with its mentions and where each one is."""
        references: dict[int, list[str]] = defaultdict(list)
        for case in cases:
            for _link, entity, _asset in loaded.links.get(case.id, []):
                if case.reference not in references[entity.id]:
                    references[entity.id].append(case.reference)
        found = self.mentions()
        places = {
            m.key: [{"case": r, "field": "name"} for r in references.get(m.entity_id, [])]
            if m.kind == mentions.NAME
            else list(self._places.get(m.text, []))
            for m in found
        }
        return Document(context, found, places)


def _texts(redaction, case: Case):
    """``text(field, value)``: a text of ``case`` as the document shows it, its place noted."""

    def text(field: str, value):
        if not isinstance(redaction, _Redaction):
            return redaction.text(value)
        with redaction.at(case.reference, field):
            return redaction.text(value)

    return text


def _details(redaction, case: Case, entity_id: int) -> list:
    if not isinstance(redaction, _Redaction):
        return redaction.details(entity_id)
    with redaction.at(case.reference, "details"):
        return redaction.details(entity_id)


def _masked(mention: mentions.Mention) -> str:
    """The text of a mention with its found parts masked (what *mask* makes of it)."""
    place = "preview"
    one = mentions.TextField(place, mention.text, mention.kind, mention.entity_id)
    applied = mentions.apply_choices(
        [one], [dataclasses.replace(mention, places=(place,))], {mention.key: mentions.MASK}
    )
    return applied.texts[place]


def _parts(mention: mentions.Mention) -> list[dict]:
    """The text of a mention cut into parts, the protected ones flagged ``found``."""
    parts, last = [], 0
    for start, end in mention.spans:
        if start > last:
            parts.append({"text": mention.text[last:start], "found": False})
        parts.append({"text": mention.text[start:end], "found": True})
        last = end
    if last < len(mention.text):
        parts.append({"text": mention.text[last:], "found": False})
    return parts


def _mask_parts(masked: str) -> list[dict]:
    return [
        {"text": piece, "found": piece == mentions.MASK_MARK}
        for piece in re.split(f"({re.escape(mentions.MASK_MARK)})", masked)
        if piece
    ]


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
    if value in (None, "") and required:
        errors[field] = Msg("is required: a date written YYYY-MM-DD")
    return clean_date(errors, field, value)
