"""Screening dossiers: a permit application screened Bibob-style, its clock and milestones.

A dossier hangs on a case (the case template of a permit screening). Its terms come from the
organisation's procedure (:class:`~assettrack.models.ScreeningProcedure`) or the built-in
Dutch Bibob default; its dates from :func:`assettrack.domain.screening_clock.screening_clock`.
:func:`due_milestones` tells the case's officer when the advice is due soon or overdue and
when the decision is due, once per milestone and due date (the scheduler calls it; so does
``assettrack dossiers notify``).
"""

from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import screening_clock as sc
from ..dossier_shapes import Dossier
from ..dossier_shapes import DossierIn
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..models import Case
from ..models import DossierSuspension
from ..models import Organisation
from ..models import ScreeningDossier
from ..models import ScreeningProcedure
from ..models import User
from ..models import utcnow
from ..models.notifications import NotificationEvent
from . import notifications
from .cases import org_today

__all__ = [
    "procedure_for",
    "procedures_of",
    "set_procedure",
    "get_dossier",
    "read_dossier",
    "save_dossier",
    "dossier_as_dict",
    "clock_of",
    "open_dossiers",
    "due_milestones",
]


def procedures_of(session: Session, organisation_id: int) -> dict[str, sc.Procedure]:
    """Return the procedures an organisation can use by code: the built-in ones, then its own."""
    found = dict(sc.DEFAULT_PROCEDURES)
    for row in session.scalars(
        select(ScreeningProcedure).where(ScreeningProcedure.organisation_id == organisation_id)
    ):
        found[row.code] = _procedure(row)
    return found


def procedure_for(session: Session, organisation_id: int, code: str) -> sc.Procedure | None:
    """Return the organisation's procedure ``code`` (its own terms first), or None."""
    return procedures_of(session, organisation_id).get(code)


def set_procedure(
    session: Session, organisation: Organisation, data: dict, *, actor: str = "cli"
) -> ScreeningProcedure:
    """Store (or replace) an organisation's own terms of a screening procedure; audited."""
    errors: dict = {}
    code = data.get("code")
    if not isinstance(code, str) or not 1 <= len(code.strip()) <= 32:
        errors["code"] = Msg("must be 1 to 32 characters")
    name = data.get("name") or code
    try:
        procedure = sc.Procedure(
            code=str(code).strip(),
            advice_term=sc.Term(data["advice_term"], data["advice_term_unit"]),
            advice_extension=sc.Term(data.get("extension", 0), data.get("extension_unit", "weeks")),
            extensions_allowed=data.get("extensions_allowed", 0),
            decision_term=sc.Term(data["decision_term"], data["decision_term_unit"]),
            advice_extends_decision=bool(data.get("advice_extends_decision", True)),
            questions_suspend_decision=bool(data.get("questions_suspend_decision", True)),
            roll_to_working_day=bool(data.get("roll_to_working_day", True)),
            warn_days=data.get("warn_days", 14),
        )
    except (KeyError, TypeError, ValueError) as exc:
        errors["terms"] = Msg("are not valid: {problem}", problem=str(exc))
        procedure = None
    if procedure is not None and not (
        0 <= procedure.extensions_allowed <= 10 and 0 <= procedure.warn_days <= 365
    ):
        errors["terms"] = Msg("allow 0 to 10 extensions and 0 to 365 days of warning")
    if errors:
        raise Invalid(errors)
    row = session.scalar(
        select(ScreeningProcedure).where(
            ScreeningProcedure.organisation_id == organisation.id,
            ScreeningProcedure.code == procedure.code,
        )
    )
    before = _procedure_dict(row) if row is not None else None
    row = row or ScreeningProcedure(organisation_id=organisation.id, code=procedure.code)
    row.name = str(name)[:200]
    row.advice_term = procedure.advice_term.value
    row.advice_term_unit = procedure.advice_term.unit.value
    row.extension = procedure.advice_extension.value
    row.extension_unit = procedure.advice_extension.unit.value
    row.extensions_allowed = procedure.extensions_allowed
    row.decision_term = procedure.decision_term.value
    row.decision_term_unit = procedure.decision_term.unit.value
    row.advice_extends_decision = procedure.advice_extends_decision
    row.questions_suspend_decision = procedure.questions_suspend_decision
    row.roll_to_working_day = procedure.roll_to_working_day
    row.warn_days = procedure.warn_days
    session.add(row)
    session.flush()
    audit.record(
        session,
        None,
        audit.Action.CREATE if before is None else audit.Action.UPDATE,
        "screening_procedure",
        row.id,
        details={"before": before, "after": _procedure_dict(row)},
        organisation_id=organisation.id,
        actor=actor,
    )
    return row


def get_dossier(session: Session, case: Case) -> ScreeningDossier | None:
    """Return the case's dossier, or None (the caller has checked the case is in scope)."""
    return session.scalar(select(ScreeningDossier).where(ScreeningDossier.case_id == case.id))


def read_dossier(session: Session, user: User, case: Case) -> dict | None:
    """Return the case's dossier with its clock, recording the consultation; None without one."""
    dossier = get_dossier(session, case)
    if dossier is None:
        return None
    body = dossier_as_dict(session, dossier, case)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "screening_dossier",
        dossier.id,
        details={"case": case.id},
        organisation_id=case.organisation_id,
    )
    return body


def save_dossier(session: Session, user: User, case: Case, data: dict) -> ScreeningDossier:
    """Create the case's dossier, or replace it when ``version`` is the one stored; audited.

    Raises Invalid (422) naming each wrong field, Conflict (409) on a stale or missing version.
    """
    access.require_edit_case(user, case)
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    try:
        shape = DossierIn.model_validate(data)
    except ValidationError as exc:
        raise Invalid(_shape_errors(exc)) from None
    org = session.get(Organisation, case.organisation_id)
    procedure = procedure_for(session, org.id, shape.procedure)
    _check(shape, procedure, org_today(org))
    dossier = get_dossier(session, case)
    before = None
    if dossier is None:
        dossier = ScreeningDossier(case_id=case.id, organisation_id=org.id)
    else:
        if shape.version != dossier.version:
            raise Conflict(
                Msg(
                    "the dossier was changed by someone else meanwhile (version {stored}); "
                    "reload and retry",
                    stored=dossier.version,
                )
            )
        before = _stored(session, dossier)
        dossier.version += 1
    dossier.procedure_code = shape.procedure
    dossier.permit = shape.permit.strip()
    for name in (
        "received_on",
        "decision_term",
        "advice_requested_on",
        "extensions",
        "advice_received_on",
        "decided_on",
    ):
        setattr(dossier, name, getattr(shape, name))
    dossier.outcome = shape.outcome.value if shape.outcome else None
    dossier.measure = shape.measure.value if shape.measure else None
    dossier.updated_at = utcnow()
    session.add(dossier)
    session.flush()
    for old in session.scalars(
        select(DossierSuspension).where(DossierSuspension.dossier_id == dossier.id)
    ):
        session.delete(old)
    session.flush()
    for item in sorted(shape.suspensions, key=lambda s: s.questions_sent_on):
        session.add(
            DossierSuspension(
                dossier_id=dossier.id,
                questions_sent_on=item.questions_sent_on,
                answered_on=item.answered_on,
            )
        )
    session.flush()
    after = _stored(session, dossier)
    audit.record(
        session,
        user,
        audit.Action.CREATE if before is None else audit.Action.UPDATE,
        "screening_dossier",
        dossier.id,
        details={"case": case.id, **_changes(before, after)},
        organisation_id=org.id,
    )
    return dossier


def clock_of(
    session: Session, dossier: ScreeningDossier, org: Organisation, today: date | None = None
) -> sc.Clock:
    """Return the dossier's clock on ``today`` (default: the organisation's today)."""
    procedure = procedure_for(session, org.id, dossier.procedure_code) or sc.BIBOB
    return _clock(procedure, dossier, _suspensions(session, [dossier.id])[dossier.id], org, today)


def dossier_as_dict(session: Session, dossier: ScreeningDossier, case: Case) -> dict:
    """Return the public shape of a dossier (``dossier_shapes.Dossier``) with its clock."""
    org = session.get(Organisation, dossier.organisation_id)
    procedure = procedure_for(session, org.id, dossier.procedure_code) or sc.BIBOB
    rows = _suspensions(session, [dossier.id])[dossier.id]
    today = org_today(org)
    clock = _clock(procedure, dossier, rows, org, today)
    body = {
        "id": dossier.id,
        "case_id": case.id,
        "case_reference": case.reference,
        "procedure": dossier.procedure_code,
        "permit": dossier.permit,
        "received_on": dossier.received_on,
        "decision_term": dossier.decision_term,
        "decision_term_unit": procedure.decision_term.unit,
        "advice_requested_on": dossier.advice_requested_on,
        "extensions": dossier.extensions,
        "advice_received_on": dossier.advice_received_on,
        "suspensions": [
            {"id": r.id, "questions_sent_on": r.questions_sent_on, "answered_on": r.answered_on}
            for r in rows
        ],
        "outcome": dossier.outcome,
        "measure": dossier.measure,
        "decided_on": dossier.decided_on,
        "version": dossier.version,
        "clock": _clock_dict(clock, today),
    }
    return Dossier.model_validate(body).model_dump(mode="json")


def open_dossiers(session: Session, user: User, *, limit: int = 20) -> list[dict]:
    """Return the undecided dossiers the user may read, soonest decision first (dashboard)."""
    org_ids = access.readable_organisation_ids(session, user)
    if not org_ids:
        return []
    rows = session.execute(
        select(ScreeningDossier, Case)
        .join(Case, Case.id == ScreeningDossier.case_id)
        .where(
            ScreeningDossier.organisation_id.in_(org_ids),
            Case.organisation_id.in_(org_ids),
            ScreeningDossier.decided_on.is_(None),
        )
    ).all()
    result = _with_clocks(session, rows)
    result.sort(key=lambda r: (r["clock"].decision_due_on or date.max, r["case"].reference))
    return result[:limit]


def due_milestones(session: Session, today: date | None = None) -> list:
    """Tell each undecided dossier's officer of its milestones due on ``today``; return them.

    Milestones: the advice due within the procedure's warning days, the advice overdue, the
    decision due within the warning days, the decision overdue. Each is told once per dossier,
    milestone and due date (a changed date tells again). ``today`` defaults to each
    organisation's own date. Flushes; the caller commits.
    """
    rows = session.execute(
        select(ScreeningDossier, Case)
        .join(Case, Case.id == ScreeningDossier.case_id)
        .where(ScreeningDossier.decided_on.is_(None))
        .order_by(ScreeningDossier.id)
    ).all()
    made = []
    for item in _with_clocks(session, rows, today):
        case, clock, dossier = item["case"], item["clock"], item["dossier"]
        warn = item["procedure"].warn_days
        officer = case.assigned_officer_id or case.created_by_id
        link = f"/cases/{case.id}/dossier"
        for kind, due, message in _milestones(clock, warn, case.reference):
            made += notifications.notify(
                session,
                user_ids=[officer],
                event=NotificationEvent.SCREENING_MILESTONE,
                message=message,
                case=case,
                link=link,
                dedupe_key=f"dossier:{dossier.id}:{kind}:{due.isoformat()}",
            )
    return made


# --- helpers ---------------------------------------------------------------------------------


#: What each milestone tells the officer (translated where it is shown).
MILESTONE_MESSAGES = {
    "advice-overdue": notifications.N_(
        "Screening dossier {reference}: the bureau's advice was due on {day} and has not arrived"
    ),
    "advice-due": notifications.N_(
        "Screening dossier {reference}: the bureau's advice is due on {day}"
    ),
    "decision-overdue": notifications.N_(
        "Screening dossier {reference}: the decision was due on {day}"
    ),
    "decision-due": notifications.N_("Screening dossier {reference}: the decision is due on {day}"),
}


def _milestones(clock: sc.Clock, warn: int, reference: str):
    """Yield (kind, due day, message) of each milestone due on the clock's day."""
    found = []
    if clock.advice_due_on is not None and clock.advice_days_left is not None:
        if clock.advice_overdue:
            found.append(("advice-overdue", clock.advice_due_on))
        elif clock.advice_days_left <= warn:
            found.append(("advice-due", clock.advice_due_on))
    if clock.decision_due_on is not None:
        if clock.days_left < 0:
            found.append(("decision-overdue", clock.decision_due_on))
        elif clock.days_left <= warn:
            found.append(("decision-due", clock.decision_due_on))
    for kind, due in found:
        message = Msg(MILESTONE_MESSAGES[kind], reference=reference, day=due.isoformat())
        yield kind, due, message


def _with_clocks(session, rows, today=None) -> list[dict]:
    """Clocks of (dossier, case) rows in a constant number of queries."""
    if not rows:
        return []
    org_ids = {dossier.organisation_id for dossier, _case in rows}
    orgs = {
        org.id: org
        for org in session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    }
    own = {}
    for row in session.scalars(
        select(ScreeningProcedure).where(ScreeningProcedure.organisation_id.in_(org_ids))
    ):
        own[(row.organisation_id, row.code)] = _procedure(row)
    pauses = _suspensions(session, [dossier.id for dossier, _case in rows])
    result = []
    for dossier, case in rows:
        org = orgs[dossier.organisation_id]
        procedure = own.get((org.id, dossier.procedure_code)) or sc.DEFAULT_PROCEDURES.get(
            dossier.procedure_code, sc.BIBOB
        )
        clock = _clock(procedure, dossier, pauses[dossier.id], org, today)
        result.append({"dossier": dossier, "case": case, "clock": clock, "procedure": procedure})
    return result


def _clock(procedure, dossier, suspensions, org, today=None) -> sc.Clock:
    term = procedure.decision_term
    if dossier.decision_term is not None:
        term = sc.Term(dossier.decision_term, term.unit)
    return sc.screening_clock(
        procedure,
        received_on=dossier.received_on,
        today=today or org_today(org),
        country=org.country,
        decision_term=term,
        advice_requested_on=dossier.advice_requested_on,
        extensions=min(dossier.extensions, procedure.extensions_allowed),
        advice_received_on=dossier.advice_received_on,
        suspensions=[sc.Suspension(s.questions_sent_on, s.answered_on) for s in suspensions],
    )


def _clock_dict(clock: sc.Clock, today: date) -> dict:
    return {
        "today": today,
        "decision_term_ends_on": clock.decision_term_ends_on,
        "advice_due_on": clock.advice_due_on,
        "advice_overdue": clock.advice_overdue,
        "advice_days_left": clock.advice_days_left,
        "stopped_days": clock.stopped_days,
        "suspended": clock.suspended,
        "decision_due_on": clock.decision_due_on,
        "days_left": clock.days_left,
    }


def _suspensions(session, dossier_ids) -> dict[int, list[DossierSuspension]]:
    found: dict[int, list[DossierSuspension]] = {i: [] for i in dossier_ids}
    if dossier_ids:
        for row in session.scalars(
            select(DossierSuspension)
            .where(DossierSuspension.dossier_id.in_(dossier_ids))
            .order_by(DossierSuspension.questions_sent_on, DossierSuspension.id)
        ):
            found[row.dossier_id].append(row)
    return found


def _check(shape: DossierIn, procedure: sc.Procedure | None, today: date) -> None:
    """The rules between fields, each wrong field named once."""
    errors: dict = {}
    if procedure is None:
        errors["procedure"] = Msg("is not a procedure of this organisation")
    for name in ("received_on", "advice_requested_on", "advice_received_on", "decided_on"):
        day = getattr(shape, name)
        if day is not None and day > today:
            errors[name] = Msg("must not be in the future")
    received = shape.received_on
    requested = shape.advice_requested_on
    if requested is not None and requested < received and "advice_requested_on" not in errors:
        errors["advice_requested_on"] = Msg("must not be before the application was received")
    if shape.advice_received_on is not None and "advice_received_on" not in errors:
        if requested is None:
            errors["advice_received_on"] = Msg("needs the date the advice was requested")
        elif shape.advice_received_on < requested:
            errors["advice_received_on"] = Msg("must not be before the advice was requested")
    if shape.extensions:
        if requested is None:
            errors["extensions"] = Msg("needs the date the advice was requested")
        elif procedure is not None and shape.extensions > procedure.extensions_allowed:
            errors["extensions"] = Msg(
                "the procedure allows at most {n} extension(s)", n=procedure.extensions_allowed
            )
    open_rounds = 0
    for index, item in enumerate(shape.suspensions):
        if item.questions_sent_on < received:
            errors[f"suspensions.{index}.questions_sent_on"] = Msg(
                "must not be before the application was received"
            )
        elif item.questions_sent_on > today:
            errors[f"suspensions.{index}.questions_sent_on"] = Msg("must not be in the future")
        if item.answered_on is None:
            open_rounds += 1
        elif item.answered_on < item.questions_sent_on:
            errors[f"suspensions.{index}.answered_on"] = Msg(
                "must not be before the questions were sent"
            )
        elif item.answered_on > today:
            errors[f"suspensions.{index}.answered_on"] = Msg("must not be in the future")
    if open_rounds > 1:
        errors["suspensions"] = Msg("only one round of questions can wait for an answer")
    if shape.measure is not None and shape.outcome in (None, sc.Outcome.NO_RISK):
        errors["measure"] = Msg("needs an outcome that found a risk")
    if shape.decided_on is not None and "decided_on" not in errors:
        if shape.outcome is None:
            errors["decided_on"] = Msg("needs the outcome of the screening")
        elif shape.decided_on < received:
            errors["decided_on"] = Msg("must not be before the application was received")
    if errors:
        raise Invalid(errors)


def _shape_errors(exc: ValidationError) -> dict:
    errors: dict = {}
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        kind = error["type"]
        if kind == "missing":
            message = Msg("is required")
        elif kind == "extra_forbidden":
            message = Msg("is not a field of a screening dossier")
        elif kind.startswith("date"):
            message = Msg("must be a date in the form YYYY-MM-DD")
        elif kind in ("enum", "literal_error"):
            message = Msg("is not one of the choices")
        elif kind.startswith("string") or kind.startswith("too_"):
            message = Msg("is too long or too short")
        else:
            message = Msg("is not valid")
        errors.setdefault(field, message)
    return errors


def _stored(session, dossier) -> dict:
    return {
        "procedure": dossier.procedure_code,
        "permit": dossier.permit,
        "received_on": dossier.received_on,
        "decision_term": dossier.decision_term,
        "advice_requested_on": dossier.advice_requested_on,
        "extensions": dossier.extensions,
        "advice_received_on": dossier.advice_received_on,
        "suspensions": [
            [r.questions_sent_on, r.answered_on]
            for r in _suspensions(session, [dossier.id])[dossier.id]
        ],
        "outcome": dossier.outcome,
        "measure": dossier.measure,
        "decided_on": dossier.decided_on,
    }


def _changes(before, after) -> dict:
    if before is None:
        return after
    return {k: [before[k], after[k]] for k in after if before[k] != after[k]}


def _procedure(row: ScreeningProcedure) -> sc.Procedure:
    return sc.Procedure(
        code=row.code,
        advice_term=sc.Term(row.advice_term, row.advice_term_unit),
        advice_extension=sc.Term(row.extension, row.extension_unit),
        extensions_allowed=row.extensions_allowed,
        decision_term=sc.Term(row.decision_term, row.decision_term_unit),
        advice_extends_decision=row.advice_extends_decision,
        questions_suspend_decision=row.questions_suspend_decision,
        roll_to_working_day=row.roll_to_working_day,
        warn_days=row.warn_days,
    )


def _procedure_dict(row: ScreeningProcedure) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "advice_term": [row.advice_term, row.advice_term_unit],
        "extension": [row.extension, row.extension_unit],
        "extensions_allowed": row.extensions_allowed,
        "decision_term": [row.decision_term, row.decision_term_unit],
        "advice_extends_decision": row.advice_extends_decision,
        "questions_suspend_decision": row.questions_suspend_decision,
        "roll_to_working_day": row.roll_to_working_day,
        "warn_days": row.warn_days,
    }
