"""Append-only, tamper-evident audit log (Law Enforcement Directive 2016/680, Art. 25).

Each entry stores an HMAC over its own fields, a SHA-256 digest of its details and the previous
entry's HMAC. The key is kept outside the database (``instance/audit_key``). The chain head
(count and last HMAC) is also written to a checkpoint file after each commit, so a tail cut off
the table is noticed. Details can later be stripped of personal data (retention) without
breaking the chain, because the HMAC covers their digest, not the details themselves.
"""

import fcntl
import hashlib
import hmac as hmac_lib
import json
import os
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .models import AuditEntry
from .models import AuditHead
from .models import utcnow

__all__ = [
    "Action",
    "record",
    "erase_details",
    "verify_chain",
    "VerifyResult",
    "GENESIS",
    "canonical_json",
]

GENESIS = "0" * 64


class Action:
    """Kinds of audited acts (DOMAIN.md, Audit)."""

    CREATE = "create"
    UPDATE = "update"
    READ = "read"
    DISCLOSE = "disclose"
    COMBINE = "combine"
    ERASE = "erase"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ALL = (CREATE, UPDATE, READ, DISCLOSE, COMBINE, ERASE, LOGIN, LOGIN_FAILED, LOGOUT)


def canonical_json(value) -> str:
    """Serialise ``value`` deterministically (sorted keys, no spaces, dates as ISO strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def record(
    session: Session,
    user,
    action: str,
    object_type: str,
    object_id=None,
    *,
    details: dict | None = None,
    justification: str | None = None,
    organisation_id: int | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Append an entry to the audit log in the session's transaction.

    ``user`` may be None for system acts (then ``actor`` names the command). The head row is
    updated first, which serialises concurrent appenders on both SQLite and PostgreSQL.
    """
    key = _key(session)
    session.flush()
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hmac)
    ).one()
    seq, prev = row
    details_text = canonical_json(details or {})
    entry = AuditEntry(
        seq=seq,
        ts=utcnow(),
        user_id=getattr(user, "id", None),
        actor=actor or getattr(user, "email", None) or "system",
        organisation_id=organisation_id
        if organisation_id is not None
        else getattr(user, "organisation_id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        justification=justification,
        details=details_text,
        details_digest=_sha256(details_text),
        prev_hmac=prev,
    )
    entry.hmac = _entry_hmac(key, entry)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hmac=entry.hmac))
    session.flush()
    # Entries of one transaction come in increasing order: the last one is the head.
    session.info["audit_pending_checkpoint"] = (_checkpoint_path(session), seq, entry.hmac)
    return entry


def erase_details(session: Session, entry: AuditEntry, kept: dict) -> None:
    """Replace an entry's details by ``kept`` (personal data removed); the chain stays valid."""
    entry.details = canonical_json(kept)
    entry.erased_at = utcnow()
    session.add(entry)
    session.flush()


@dataclass
class VerifyResult:
    """Outcome of a chain verification."""

    ok: bool
    count: int
    problem: str | None = None
    broken_seq: int | None = None
    broken_id: int | None = None


def verify_chain(session: Session, *, key: bytes | None = None, checkpoint: Path | None = None):
    """Walk the whole chain and return the first problem found, if any."""
    key = key or _key(session)
    checkpoint = checkpoint or _checkpoint_path(session)
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    )
    try:
        broken, count, prev, last_seq = _walk(rows, key)
    finally:
        rows.close()  # a server-side cursor on PostgreSQL: close it even when we stop early
    if broken is not None:
        return broken
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.last_hmac != prev):
        return VerifyResult(
            False,
            count,
            f"the chain head records {head.seq} entries but the log holds {last_seq}: "
            f"entries after #{last_seq} were removed",
            last_seq + 1,
        )
    saved = _read_checkpoint(checkpoint)
    if saved is not None:
        saved_seq, saved_hmac = saved
        if saved_seq > last_seq:
            return VerifyResult(
                False,
                count,
                f"the checkpoint outside the database records {saved_seq} entries but the log "
                f"holds {last_seq}: entries #{last_seq + 1}..#{saved_seq} were cut off",
                last_seq + 1,
            )
        if saved_hmac:
            stored = session.scalar(select(AuditEntry.hmac).where(AuditEntry.seq == saved_seq))
            if stored != saved_hmac:
                return VerifyResult(
                    False,
                    count,
                    f"audit entry #{saved_seq} differs from the checkpoint outside the database",
                    saved_seq,
                )
    return VerifyResult(True, count)


def _walk(rows, key):
    """Check each entry against its predecessor; return (problem, count, last hmac, last seq)."""
    prev = GENESIS
    count = 0
    for entry in rows:
        count += 1
        expected = count
        where = f"audit entry #{entry.seq} (id {entry.id})"
        problem = None
        if entry.seq != expected:
            problem = f"audit entries #{expected}..#{entry.seq - 1} are missing before {where}"
        elif entry.prev_hmac != prev:
            problem = f"{where} does not follow its predecessor"
        elif not hmac_lib.compare_digest(entry.hmac, _entry_hmac(key, entry)):
            problem = f"{where} was altered"
        elif entry.erased_at is None and _sha256(entry.details) != entry.details_digest:
            problem = f"the details of {where} were altered"
        if problem:
            return VerifyResult(False, count, problem, expected, entry.id), count, prev, count - 1
        prev = entry.hmac
    return None, count, prev, count


# --- helpers ---------------------------------------------------------------------------------


def _key(session: Session) -> bytes:
    # The key travels with the session (db.new_session), never with the database.
    if "audit_key" in session.info:
        return session.info["audit_key"]
    return current_app.config["AUDIT_KEY"].encode()


def _checkpoint_path(session: Session) -> Path:
    if "audit_checkpoint" in session.info:
        return Path(session.info["audit_checkpoint"])
    return Path(current_app.config["AUDIT_CHECKPOINT"])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _entry_hmac(key: bytes, entry: AuditEntry) -> str:
    fields = [
        entry.seq,
        entry.ts.astimezone(UTC).isoformat(),
        entry.user_id,
        entry.actor,
        entry.organisation_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.justification,
        entry.details_digest,
        entry.prev_hmac,
    ]
    return hmac_lib.new(key, canonical_json(fields).encode(), hashlib.sha256).hexdigest()


def _read_checkpoint(path: Path):
    try:
        data = json.loads(path.read_text())
        return int(data["seq"]), data.get("hmac")
    except FileNotFoundError:
        return None
    except (ValueError, KeyError):
        return None


def _write_checkpoint(path: Path, seq: int, digest: str | None) -> None:
    # Several processes commit audit entries: keep the highest sequence, under a file lock.
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = _read_checkpoint(path)
        if saved is not None and saved[0] >= seq:
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq, "hmac": digest}))
        os.replace(tmp, path)


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session):
    pending = session.info.pop("audit_pending_checkpoint", None)
    if pending is not None:
        path, seq, digest = pending
        _write_checkpoint(path, seq, digest)


@event.listens_for(Session, "after_rollback")
def _forget_checkpoint(session):
    session.info.pop("audit_pending_checkpoint", None)
