"""Reading and exporting the audit log (auditors)."""

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from .. import csv_export
from ..domain import clock
from ..jobs import handler
from ..models import AuditEntry
from ..models import Organisation
from ..models import User
from .cases import contains_pattern

__all__ = ["search", "ACTIONS", "export_csv", "CSV_COLUMNS"]

ACTIONS = audit.Action.ALL
CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "justification",
    "details",
    "erased_at",
    "hmac",
)


def search(
    session: Session,
    auditor: User,
    *,
    user=None,
    object_type=None,
    object_id=None,
    action=None,
    since=None,
    until=None,
    limit=50,
    offset=0,
):
    """Return a page of entries (newest first) and the total; the consultation is logged."""
    stmt = _filtered(session, auditor, user, object_type, object_id, action, since, until)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)))
    filters = {
        k: v
        for k, v in {
            "user": user,
            "object_type": object_type,
            "object_id": object_id,
            "action": action,
            "since": since,
            "until": until,
        }.items()
        if v
    }
    audit.record(session, auditor, audit.Action.READ, "audit_log", None, details=filters)
    return rows, total


def export_csv(session: Session, auditor: User, path: Path, filters: dict, progress) -> int:
    """Write the filtered entries to ``path`` as CSV (oldest first); return the row count."""
    stmt = _filtered(
        session,
        auditor,
        filters.get("user"),
        filters.get("object_type"),
        filters.get("object_id"),
        filters.get("action"),
        filters.get("since"),
        filters.get("until"),
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    codes = dict(session.execute(select(Organisation.id, Organisation.code)).all())
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv_export.writer(handle)
        writer.writerow(CSV_COLUMNS)
        stmt = stmt.order_by(AuditEntry.seq).execution_options(yield_per=2000)
        for entry in session.scalars(stmt):
            writer.writerow(
                [
                    entry.seq,
                    entry.ts.isoformat(),
                    entry.actor,
                    codes.get(entry.organisation_id, ""),
                    entry.action,
                    entry.object_type,
                    entry.object_id or "",
                    entry.justification or "",
                    entry.details,
                    entry.erased_at.isoformat() if entry.erased_at else "",
                    entry.hmac,
                ]
            )
            written += 1
            if written % 2000 == 0 and total:
                progress(written * 100 // total, f"{written} / {total}")
    return written


@handler("audit_export")
def _export_job(session: Session, job, user: User, params: dict, progress):
    name = f"audit-{clock.utc_today().isoformat()}-{job.id}.csv"
    relative = Path("jobs") / name
    count = export_csv(
        session, user, Path(current_app.config["FILES_DIR"]) / relative, params, progress
    )
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "audit_log",
        None,
        details={"rows": count, "filters": params, "file": name},
        justification="audit log export by an auditor",
    )
    return str(relative), name, "text/csv"


# --- helpers ---------------------------------------------------------------------------------


def _filtered(session, auditor, user_filter, object_type, object_id, action, since, until):
    stmt = access.visible_audit_entries(session, auditor)
    if user_filter:
        like = contains_pattern(user_filter.lower())
        stmt = stmt.where(func.lower(AuditEntry.actor).like(like, escape="\\"))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since:
        stmt = stmt.where(AuditEntry.ts >= _utc_start(since))
    if until:
        stmt = stmt.where(AuditEntry.ts < _utc_start(until) + timedelta(days=1))
    return stmt


def _utc_start(day) -> datetime:
    from datetime import UTC

    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time.min, tzinfo=UTC)
