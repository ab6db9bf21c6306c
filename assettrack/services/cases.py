"""Open, change, list and read cases, with their references, sharing and audit trail."""

import re
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import clock
from ..domain.lifecycle import Stage
from ..errors import AccessDenied
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..models import TLP
from ..models import Case
from ..models import CaseShare
from ..models import CaseStatus
from ..models import CaseTag
from ..models import HandlingCode
from ..models import Organisation
from ..models import Role
from ..models import User
from ..models import utcnow
from ..models.cases import RESTRICTION_MAX
from ..models.cases import SUMMARY_MAX
from ..models.cases import TAG_MAX
from ..models.cases import TITLE_MAX
from ..routing import is_id
from . import notifications
from .validation import Errors
from .validation import clean_choice
from .validation import clean_text

__all__ = [
    "create_case",
    "update_case",
    "read_case",
    "search_cases",
    "case_stage",
    "case_stages",
    "case_as_dict",
    "org_today",
    "cases_as_dicts",
    "contains_pattern",
    "escape_like",
    "review_date",
    "SORTABLE",
    "REVIEW_YEARS",
]

REVIEW_YEARS = 3
MAX_TAGS = 20
REFERENCE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9/._-]{2,31}$")
SORTABLE = {
    "reference": Case.reference,
    "title": Case.title,
    "status": Case.status,
    "tlp": Case.tlp,
    "opened_on": Case.opened_on,
    "review_on": Case.review_on,
    "updated_at": Case.updated_at,
}
_EDITABLE = (
    "title",
    "summary",
    "status",
    "tlp",
    "handling_code",
    "handling_restriction",
    "shared_with",
    "assigned_officer",
    "tags",
    "opened_on",
)


def org_today(org: Organisation) -> date:
    """Return today's date in the organisation's time zone (rules such as "not in the future")."""
    return clock.today_in(org.timezone)


def contains_pattern(text: str) -> str:
    r"""Return a LIKE pattern matching ``text`` anywhere, its wildcards taken literally.

    >>> contains_pattern("50%_off")
    '%50\\%\\_off%'
    """
    return f"%{escape_like(text)}%"


def escape_like(text: str) -> str:
    r"""Return ``text`` with LIKE's wildcards escaped (use with ``escape="\"``).

    >>> escape_like("a_b%c")
    'a\\_b\\%c'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def review_date(start: date) -> date:
    """Return the review date: three years after ``start`` (29 February → 28 February)."""
    try:
        return start.replace(year=start.year + REVIEW_YEARS)
    except ValueError:
        return start.replace(year=start.year + REVIEW_YEARS, day=28)


def create_case(session: Session, user: User, data: dict) -> Case:
    """Open a case in ``user``'s organisation with a generated reference; audited."""
    if not access.can_create_case(user):
        raise AccessDenied("only officers open cases")
    org = session.get(Organisation, user.organisation_id)
    clean = _clean(session, user, org, data, partial=False)
    opened_on = clean.get("opened_on") or org_today(org)
    year = opened_on.year
    reference = clean.get("reference")
    if reference and session.scalar(select(Case.id).where(Case.reference == reference)):
        raise Conflict(
            f"reference {reference} is already in use", errors={"reference": Msg("already in use")}
        )
    for _attempt in range(5):
        number = (
            session.scalar(
                select(func.max(Case.number)).where(
                    Case.organisation_id == org.id, Case.year == year
                )
            )
            or 0
        ) + 1
        case = Case(
            organisation_id=org.id,
            reference=reference or f"{org.code}-{year}-{number:04d}",
            year=year,
            number=number,
            title=clean["title"],
            summary=clean.get("summary") or "",
            status=CaseStatus.OPEN.value,
            tlp=clean.get("tlp", TLP.AMBER).value,
            handling_code=clean.get("handling_code", HandlingCode.H0).value,
            handling_restriction=clean.get("handling_restriction"),
            assigned_officer_id=clean["assigned_officer"].id
            if clean.get("assigned_officer")
            else user.id,
            opened_on=opened_on,
            review_on=review_date(opened_on),
            created_by_id=user.id,
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            # Another officer took this number at the same moment: take the next one.
            if reference:
                raise Conflict(
                    f"reference {reference} is already in use",
                    errors={"reference": Msg("already in use")},
                ) from None
            continue
        break
    else:
        raise Conflict("could not allocate a case reference; try again")
    _set_shares(session, case, clean.get("shared_with", []))
    _set_tags(session, case, clean.get("tags", []))
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "case",
        case.id,
        details=_snapshot(session, case),
        organisation_id=case.organisation_id,
    )
    return case


def update_case(session: Session, user: User, case: Case, data: dict) -> Case:
    """Change the given fields of ``case``; the audit entry records old → new."""
    access.require_edit_case(user, case)
    org = session.get(Organisation, case.organisation_id)
    unknown = set(data) - set(_EDITABLE)
    if unknown:
        raise Invalid({f: Msg("cannot be changed") for f in sorted(unknown)})
    clean = _clean(session, user, org, data, partial=True, case=case)
    before = _snapshot(session, case)
    for field in ("title", "summary", "handling_restriction"):
        if field in clean:
            setattr(
                case,
                field,
                clean[field] if clean[field] is not None else ("" if field == "summary" else None),
            )
    for field in ("status", "tlp", "handling_code"):
        if field in clean:
            setattr(case, field, clean[field].value)
    if "assigned_officer" in clean:
        officer = clean["assigned_officer"]
        case.assigned_officer_id = officer.id if officer else None
    if "opened_on" in clean and clean["opened_on"]:
        case.opened_on = clean["opened_on"]
        case.review_on = max(case.review_on, review_date(case.opened_on))
    if "shared_with" in clean:
        _set_shares(session, case, clean["shared_with"])
    if "tags" in clean:
        _set_tags(session, case, clean["tags"])
    after = _snapshot(session, case)
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if changes:
        case.updated_at = utcnow()
        session.add(case)
        session.flush()
        audit.record(
            session,
            user,
            audit.Action.UPDATE,
            "case",
            case.id,
            details=changes,
            organisation_id=case.organisation_id,
        )
    return case


def read_case(session: Session, user: User, case_id: int, *, via: str) -> Case:
    """Return a case within ``user``'s read scope and log the consultation."""
    case = access.get_case(session, user, case_id)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "case",
        case.id,
        details={"via": via},
        organisation_id=case.organisation_id,
    )
    return case


def search_cases(
    session: Session,
    user: User,
    *,
    q: str | None = None,
    status: str | None = None,
    tlp: str | None = None,
    sort: str = "updated_at",
    descending: bool = True,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """Return one page of the cases ``user`` may read, filtered and sorted, and the total."""
    stmt = access.visible_cases(session, user)
    if q:
        like = contains_pattern(q.strip().lower())
        tagged = select(CaseTag.case_id).where(func.lower(CaseTag.tag).like(like, escape="\\"))
        stmt = stmt.where(
            or_(
                func.lower(Case.title).like(like, escape="\\"),
                func.lower(Case.reference).like(like, escape="\\"),
                func.lower(Case.summary).like(like, escape="\\"),
                Case.id.in_(tagged),
            )
        )
    if status:
        stmt = stmt.where(Case.status == status)
    if tlp:
        stmt = stmt.where(Case.tlp == tlp)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    column = SORTABLE.get(sort, Case.updated_at)
    order = column.desc() if descending else column.asc()
    stmt = stmt.order_by(order, Case.id.desc() if descending else Case.id.asc())
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def case_stage(session: Session, case: Case) -> str:
    """Return the case's derived stage (DOMAIN.md): the earliest stage among its assets that
    are not terminal; ``traced`` without assets; ``completed`` when all are terminal."""
    return case_stages(session, [case.id]).get(case.id, Stage.TRACED.value)


def case_stages(session: Session, case_ids) -> dict[int, str]:
    """Return the derived stage of each case in ``case_ids`` in one query."""
    from ..domain.lifecycle import case_stage as derive
    from ..domain.schema import ASSET_SCHEMATA
    from ..models import Asset
    from ..models import CaseEntity
    from ..models import Entity

    ids = list(case_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(CaseEntity.case_id, Asset.stage)
        .join(Asset, Asset.entity_id == CaseEntity.entity_id)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(CaseEntity.case_id.in_(ids))
        .where(or_(CaseEntity.as_asset.is_(True), Entity.schema_name.in_(ASSET_SCHEMATA)))
        .distinct()
    ).all()
    stages: dict[int, list[str]] = {i: [] for i in ids}
    for case_id, stage in rows:
        stages[case_id].append(stage)
    return {case_id: derive(found) for case_id, found in stages.items()}


def case_as_dict(session: Session, case: Case) -> dict:
    """Return the public shape of ``case`` (API and exports)."""
    return cases_as_dicts(session, [case])[0]


def cases_as_dicts(session: Session, cases: list[Case]) -> list[dict]:
    """Return the public shape of each of ``cases`` in a constant number of queries."""
    if not cases:
        return []
    ids = [case.id for case in cases]
    org_codes = dict(
        session.execute(
            select(Organisation.id, Organisation.code).where(
                Organisation.id.in_({case.organisation_id for case in cases})
            )
        ).all()
    )
    officer_ids = {case.assigned_officer_id for case in cases} - {None}
    officers = (
        dict(session.execute(select(User.id, User.email).where(User.id.in_(officer_ids))).all())
        if officer_ids
        else {}
    )
    stages = case_stages(session, ids)
    shares: dict[int, list[str]] = {i: [] for i in ids}
    for case_id, code in session.execute(
        select(CaseShare.case_id, Organisation.code)
        .join(Organisation, Organisation.id == CaseShare.organisation_id)
        .where(CaseShare.case_id.in_(ids))
    ):
        shares[case_id].append(code)
    tags: dict[int, list[str]] = {i: [] for i in ids}
    for case_id, tag in session.execute(
        select(CaseTag.case_id, CaseTag.tag).where(CaseTag.case_id.in_(ids))
    ):
        tags[case_id].append(tag)
    return [
        {
            "id": case.id,
            "reference": case.reference,
            "organisation": org_codes[case.organisation_id],
            "title": case.title,
            "summary": case.summary,
            "stage": stages.get(case.id, Stage.TRACED.value),
            "status": case.status,
            "tlp": case.tlp,
            "handling_code": case.handling_code,
            "handling_restriction": case.handling_restriction,
            "shared_with": sorted(shares[case.id]),
            "assigned_officer": officers.get(case.assigned_officer_id),
            "tags": sorted(tags[case.id]),
            "opened_on": case.opened_on.isoformat(),
            "review_on": case.review_on.isoformat(),
            "created_at": case.created_at.isoformat(),
            "updated_at": case.updated_at.isoformat(),
        }
        for case in cases
    ]


# --- helpers ---------------------------------------------------------------------------------


def _clean(session, user, org, data: dict, *, partial: bool, case: Case | None = None) -> dict:
    errors = Errors()
    clean: dict = {}

    def given(field):
        return (not partial) or field in data

    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object with the case's fields")})
    if given("title"):
        clean["title"] = clean_text(errors, "title", data.get("title"), limit=TITLE_MAX)
    if given("summary") and data.get("summary") is not None:
        clean["summary"] = clean_text(
            errors, "summary", data.get("summary"), limit=SUMMARY_MAX, required=False
        )
    if not partial and data.get("reference"):
        ref = str(data["reference"]).strip().upper()
        if not REFERENCE_PATTERN.match(ref):
            errors["reference"] = Msg(
                "must be 3 to 32 capital letters, digits or / . _ - (such as NLRTM-2026-0001)"
            )
        clean["reference"] = ref
    if partial and "status" in data:
        clean["status"] = clean_choice(errors, "status", data.get("status"), CaseStatus)
    if given("tlp") and data.get("tlp") not in (None, ""):
        clean["tlp"] = clean_choice(errors, "tlp", data.get("tlp"), TLP)
    if given("handling_code") and data.get("handling_code") not in (None, ""):
        clean["handling_code"] = clean_choice(
            errors, "handling_code", data.get("handling_code"), HandlingCode
        )
    if "handling_restriction" in data:
        clean["handling_restriction"] = clean_text(
            errors,
            "handling_restriction",
            data.get("handling_restriction"),
            limit=RESTRICTION_MAX,
            required=False,
        )
    code = clean.get("handling_code") or (HandlingCode(case.handling_code) if case else None)
    restriction = (
        clean.get("handling_restriction")
        if "handling_restriction" in clean
        else (case.handling_restriction if case else None)
    )
    if code is HandlingCode.H3 and not restriction and "handling_code" not in errors:
        errors["handling_restriction"] = Msg(
            "is required with handling code H3 (state the restriction)"
        )
    if "shared_with" in data and data.get("shared_with") is not None:
        clean["shared_with"] = _clean_shares(session, errors, org, data.get("shared_with"))
    tlp = clean.get("tlp") or (TLP(case.tlp) if case else TLP.AMBER)
    shares = clean.get("shared_with")
    if shares is None and case is not None:
        shares = _share_codes(session, case)
    if tlp is TLP.AMBER_STRICT and shares and "shared_with" not in errors:
        errors["shared_with"] = Msg(
            "an AMBER+STRICT case is never shared outside the owning organisation"
        )
    if "assigned_officer" in data:
        clean["assigned_officer"] = _clean_officer(session, errors, org, data["assigned_officer"])
    if "tags" in data and data.get("tags") is not None:
        clean["tags"] = _clean_tags(errors, data.get("tags"))
    if "opened_on" in data and data.get("opened_on") not in (None, ""):
        clean["opened_on"] = _clean_date(errors, "opened_on", data["opened_on"], org)
    if errors:
        raise Invalid(errors)
    return clean


def _clean_date(errors, field, value, org) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = Msg("must be a date written YYYY-MM-DD")
            return None
    if value > org_today(org):
        errors[field] = Msg(
            "must not be in the future ({code} time: today is {today})",
            code=org.code,
            today=org_today(org).isoformat(),
        )
        return None
    return value


def _clean_shares(session, errors, org, value) -> list[Organisation]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,]+", value) if v]
    if not isinstance(value, list | tuple):
        errors["shared_with"] = Msg("must be a list of organisation codes")
        return []
    codes = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            errors["shared_with"] = Msg("must be a list of organisation codes")
            return []
        codes.append(item.strip().upper())
    found = {
        o.code: o
        for o in session.scalars(access.case_organisations().where(Organisation.code.in_(codes)))
    }
    missing = [c for c in codes if c not in found]
    if missing:
        errors["shared_with"] = Msg("unknown organisation {codes}", codes=", ".join(missing))
        return []
    if org.code in found:
        errors["shared_with"] = Msg(
            "the case already belongs to {code}; share it with others", code=org.code
        )
        return []
    return list(found.values())


def _clean_officer(session, errors, org, value) -> User | None:
    if value in (None, ""):
        return None
    stmt = select(User).where(User.organisation_id == org.id)
    if isinstance(value, int) and not isinstance(value, bool):
        stmt = stmt.where(User.id == value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip()) if len(value.strip()) <= 19 else None
        stmt = stmt.where(User.id == (number if is_id(number) else -1))  # -1: no one
    elif isinstance(value, str):
        stmt = stmt.where(func.lower(User.email) == value.strip().lower())
    else:
        errors["assigned_officer"] = Msg("must be the e-mail or id of an officer")
        return None
    officer = session.scalar(stmt)
    if officer is None or officer.role != Role.OFFICER.value or not officer.active:
        errors["assigned_officer"] = Msg("must be an active officer of {code}", code=org.code)
        return None
    return officer


def _clean_tags(errors, value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        errors["tags"] = Msg("must be a list of words")
        return []
    tags = sorted({t.strip().lower() for t in value if t.strip()})
    too_long = [t for t in tags if len(t) > TAG_MAX]
    if too_long:
        errors["tags"] = Msg(
            "a tag is limited to {limit} characters ({tag}…)", limit=TAG_MAX, tag=too_long[0][:20]
        )
    elif len(tags) > MAX_TAGS:
        errors["tags"] = Msg(
            "{count} tags given; the limit is {limit}", count=len(tags), limit=MAX_TAGS
        )
    return tags


def _set_shares(session, case, orgs) -> None:
    wanted = {o.id for o in orgs}
    current = {
        s.organisation_id: s
        for s in session.scalars(select(CaseShare).where(CaseShare.case_id == case.id))
    }
    for org_id, share in current.items():
        if org_id not in wanted:
            session.delete(share)
    for org_id in wanted - set(current):
        session.add(CaseShare(case_id=case.id, organisation_id=org_id))
    session.flush()
    notifications.tell_case_shared(session, case, wanted - set(current))


def _set_tags(session, case, tags) -> None:
    current = {t.tag: t for t in session.scalars(select(CaseTag).where(CaseTag.case_id == case.id))}
    for tag, row in current.items():
        if tag not in tags:
            session.delete(row)
    for tag in set(tags) - set(current):
        session.add(CaseTag(case_id=case.id, tag=tag))
    session.flush()


def _share_codes(session, case) -> list[str]:
    return sorted(
        session.scalars(
            select(Organisation.code)
            .join(CaseShare, CaseShare.organisation_id == Organisation.id)
            .where(CaseShare.case_id == case.id)
        )
    )


def _tags(session, case) -> list[str]:
    return sorted(session.scalars(select(CaseTag.tag).where(CaseTag.case_id == case.id)))


def _snapshot(session, case) -> dict:
    officer = session.get(User, case.assigned_officer_id) if case.assigned_officer_id else None
    return {
        "reference": case.reference,
        "title": case.title,
        "summary": case.summary,
        "status": case.status,
        "tlp": case.tlp,
        "handling_code": case.handling_code,
        "handling_restriction": case.handling_restriction,
        "shared_with": _share_codes(session, case),
        "assigned_officer": officer.email if officer else None,
        "tags": _tags(session, case),
        "opened_on": case.opened_on.isoformat(),
        "review_on": case.review_on.isoformat(),
    }
