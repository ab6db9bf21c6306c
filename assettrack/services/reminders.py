"""The daily reminders: tasks due tomorrow and overdue, urgent freezes lapsing in 2 working days
and lapsed, cases due for review; then the digests and the purge of old notifications.

Run once a day by the job worker (``jobs.py``), and safe to run twice at once: each reminder
carries a stable ``dedupe_key`` (the task and its due date, the freezing decision, the case and
its review date), so a second worker, or a second run the same day, tells nobody twice. "Today"
is each organisation's own date (its time zone); working days count its country's holidays.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists
from sqlalchemy import select
from sqlmodel import Session

from ..db import session_scope
from ..domain import lifecycle
from ..errors import Msg
from ..models import Asset
from ..models import Case
from ..models import CaseStatus
from ..models import Decision
from ..models import DecisionAsset
from ..models import Organisation
from ..models.notifications import NotificationEvent
from ..models.tasks import Task
from ..models.tasks import TaskStatus
from . import mailer
from . import notifications
from .cases import org_today
from .tasks import task_link

__all__ = ["DailyReport", "LAPSING_WORKING_DAYS", "remind", "run_daily"]

#: An urgent freeze is announced when it lapses within this many working days.
LAPSING_WORKING_DAYS = 2


@dataclass
class DailyReport:
    """How many notifications each reminder made, and what the rest of the daily run did."""

    told: dict[str, int] = field(default_factory=dict)
    digests: int = 0
    purged: int = 0


def remind(session: Session) -> dict[str, int]:
    """Make today's reminders in every organisation; return how many of each. Flushes."""
    told: dict[str, int] = {}
    for org in session.scalars(select(Organisation).order_by(Organisation.id)):
        today = org_today(org)
        for event, count in (
            *_tasks(session, org, today).items(),
            *_freezes(session, org, today).items(),
            *_reviews(session, org, today).items(),
        ):
            told[event] = told.get(event, 0) + count
    # Screening dossiers' milestones (advice due or overdue, decision due or overdue), each
    # dossier in its organisation's own date.
    from . import dossiers

    milestones = dossiers.due_milestones(session)
    if milestones:
        told["screening_milestone"] = told.get("screening_milestone", 0) + len(milestones)
    return told


def run_daily(config=None) -> DailyReport:
    """The daily job: the reminders, then the digests, then the purge (each its own commit)."""
    config = config if config is not None else current_app.config
    report = DailyReport()
    with session_scope() as session:
        report.told = remind(session)
        session.commit()
    with session_scope() as session:
        report.digests = mailer.send_digests(session, config)
    with session_scope() as session:
        report.purged = notifications.purge(session, int(config["NOTIFICATION_KEEP_DAYS"]))
        session.commit()
    return report


# --- each reminder ---------------------------------------------------------------------------


def _tasks(session: Session, org: Organisation, today) -> dict[str, int]:
    tomorrow = today + timedelta(days=1)
    rows = session.execute(
        select(Task, Case)
        .join(Case, Case.id == Task.case_id)
        .where(
            Case.organisation_id == org.id,
            Task.status == TaskStatus.OPEN.value,
            Task.due_on.is_not(None),
            Task.due_on <= tomorrow,
        )
        .order_by(Task.id)
    ).all()
    counts = {}
    for task, case in rows:
        if task.due_on == tomorrow:
            event = NotificationEvent.TASK_DUE_TOMORROW
            message = Msg(
                "A task in {reference} is due tomorrow ({day})",
                reference=case.reference,
                day=task.due_on.isoformat(),
            )
        elif task.due_on < today:
            event = NotificationEvent.TASK_OVERDUE
            message = Msg(
                "A task in {reference} is overdue (due {day})",
                reference=case.reference,
                day=task.due_on.isoformat(),
            )
        else:
            continue  # due today: told yesterday, overdue tomorrow
        made = notifications.notify(
            session,
            user_ids=[task.assignee_id],
            event=event,
            message=message,
            case=case,
            link=task_link(task),
            dedupe_key=f"{event.value}:{task.id}:{task.due_on.isoformat()}",
        )
        counts[event.value] = counts.get(event.value, 0) + len(made)
    return counts


def _freezes(session: Session, org: Organisation, today) -> dict[str, int]:
    horizon = lifecycle.urgent_freeze_expiry(today, org.country, working_days=LAPSING_WORKING_DAYS)
    # An urgent freeze still unconfirmed: one of its assets still carries its expiry.
    unconfirmed = exists().where(
        DecisionAsset.decision_id == Decision.id,
        Asset.entity_id == DecisionAsset.asset_id,
        Asset.urgent_unconfirmed.is_(True),
        Asset.urgent_expires_on == Decision.expires_on,
    )
    rows = session.execute(
        select(Decision, Case)
        .join(Case, Case.id == Decision.case_id)
        .where(
            Decision.organisation_id == org.id,
            Decision.action == lifecycle.Action.FREEZE.value,
            Decision.urgent.is_(True),
            Decision.annulled_at.is_(None),
            Decision.expires_on.is_not(None),
            Decision.expires_on <= horizon,
            unconfirmed,
        )
        .order_by(Decision.id)
    ).all()
    counts = {}
    for decision, case in rows:
        if decision.expires_on < today:
            event = NotificationEvent.FREEZE_LAPSED
            message = Msg(
                "An urgent freeze in {reference} lapsed after {day}",
                reference=case.reference,
                day=decision.expires_on.isoformat(),
            )
        else:
            event = NotificationEvent.FREEZE_LAPSING
            message = Msg(
                "An urgent freeze in {reference} lapses after {day} unless confirmed",
                reference=case.reference,
                day=decision.expires_on.isoformat(),
            )
        made = notifications.notify(
            session,
            user_ids=[case.assigned_officer_id or decision.entered_by_id],
            event=event,
            message=message,
            case=case,
            link=f"/cases/{case.id}#assets",
            dedupe_key=f"{event.value}:{decision.id}",
        )
        counts[event.value] = counts.get(event.value, 0) + len(made)
    return counts


def _reviews(session: Session, org: Organisation, today) -> dict[str, int]:
    rows = session.scalars(
        select(Case)
        .where(
            Case.organisation_id == org.id,
            Case.status == CaseStatus.OPEN.value,
            Case.review_on <= today,
            Case.assigned_officer_id.is_not(None),
        )
        .order_by(Case.id)
    ).all()
    made = 0
    for case in rows:
        made += len(
            notifications.notify(
                session,
                user_ids=[case.assigned_officer_id],
                event=NotificationEvent.REVIEW_DUE,
                message=Msg(
                    "Case {reference} is due for review since {day}",
                    reference=case.reference,
                    day=case.review_on.isoformat(),
                ),
                case=case,
                link=f"/cases/{case.id}",
                dedupe_key=f"review_due:{case.id}:{case.review_on.isoformat()}",
            )
        )
    return {NotificationEvent.REVIEW_DUE.value: made} if made else {}
