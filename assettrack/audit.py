"""Append-only, tamper-evident audit log (Law Enforcement Directive 2016/680, Art. 25).

Each entry is sealed by an HMAC over its own fields and the previous entry's HMAC, with a key kept
outside the database (``instance/audit_key``; retired keys in ``instance/audit-keys/``) whose id
the entry records. The HMAC covers a keyed digest of the details and the justification, built
from one keyed digest per detail: erasure (retention) removes the personal details and the
justification, keeps the non-personal facts and the digests of what it removed, so the chain and
the kept facts still verify, and a kept digest cannot confirm a guessed name. Every erasure
appends an ``erase`` entry naming the erased entries. The database allows no other change.

The chain head is checkpointed outside the database (sequence, HMAC, installation id) after each
commit and by a periodic job, so a tail cut off the table is noticed; :func:`verify_chain`
tells an intact log from a broken one and from a checkpoint missing, corrupt or of another
database (:class:`Outcome`, the exit codes of ``assettrack audit verify``).
"""

import fcntl
import hashlib
import hmac as hmac_lib
import json
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from enum import IntEnum
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .models import AuditEntry
from .models import AuditHead
from .models import Installation
from .models import utcnow

__all__ = [
    "Action",
    "AuditKeyError",
    "KEPT_FACTS",
    "Outcome",
    "VerifyResult",
    "GENESIS",
    "canonical_json",
    "record",
    "erase",
    "verify_chain",
    "rotate_key",
    "install_key",
    "key_id",
    "write_checkpoint",
    "reset_checkpoint",
    "init_app",
]

GENESIS = "0" * 64
# Details an erasure keeps unless told otherwise: the non-personal facts of a disclosure (to whom,
# which cases, which file) and what kind of act it was (DECISIONS #9 §3).
KEPT_FACTS = ("recipient", "case", "cases", "report", "kind", "sha256", "format", "export")

log = logging.getLogger(__name__)


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
    ROTATE_KEY = "rotate_key"
    RESET_CHECKPOINT = "reset_checkpoint"
    ALL = (
        CREATE,
        UPDATE,
        READ,
        DISCLOSE,
        COMBINE,
        ERASE,
        LOGIN,
        LOGIN_FAILED,
        LOGOUT,
        ROTATE_KEY,
        RESET_CHECKPOINT,
    )


class Outcome(IntEnum):
    """Result of a verification; the value is the exit code of ``assettrack audit verify``."""

    INTACT = 0
    BROKEN = 1
    CHECKPOINT_MISSING = 3
    CHECKPOINT_CORRUPT = 4
    CHECKPOINT_FOREIGN = 5
    KEY_MISSING = 6


class AuditKeyError(RuntimeError):
    """This process holds an audit key the log no longer accepts (rotated or another server's)."""


def canonical_json(value) -> str:
    """Serialise ``value`` deterministically (sorted keys, no spaces, dates as ISO strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def key_id(key: bytes) -> str:
    """Return the public id of an audit key (16 hex digits derived from it, not revealing it)."""
    return hmac_lib.new(key, b"assettrack audit key id", hashlib.sha256).hexdigest()[:16]


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

    Raises
    ------
    AuditKeyError
        When the log's head was sealed with another key (the key was rotated, or this server was
        given another installation's key): nothing is written.
    """
    key = _key(session)
    kid = key_id(key)
    installation = _installation_id(session)
    session.flush()
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1, or_(AuditHead.key_id.is_(None), AuditHead.key_id == kid))
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hmac)
    ).one_or_none()
    if head is None:
        raise AuditKeyError(
            f"the audit log is sealed with key {session.get(AuditHead, 1).key_id}, this process "
            f"holds key {kid}: install the current audit key (docs/operations.md, "
            "rotating the audit key)"
        )
    seq, prev = head
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
        prev_hmac=prev,
        key_id=kid,
    )
    entry.details_digest = _root(key, _leaves(key, json.loads(details_text), justification))
    entry.hmac = _entry_hmac(key, entry)
    session.add(entry)
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_hmac=entry.hmac, key_id=kid)
    )
    session.flush()
    # Entries of one transaction come in increasing order: the last one is the head; a
    # checkpoint may be created only by the transaction that wrote the log's first entry.
    pending = session.info.get("audit_pending_checkpoint") or {"first": seq}
    pending.update(
        path=_checkpoint_path(session), installation=installation, seq=seq, hmac=entry.hmac
    )
    session.info["audit_pending_checkpoint"] = pending
    return entry


def erase(
    session: Session,
    user,
    entries: Iterable[AuditEntry],
    *,
    reason: str,
    keep: Iterable[str] = KEPT_FACTS,
    actor: str | None = None,
) -> AuditEntry | None:
    """Erase personal data from ``entries`` and append the ``erase`` entry naming them.

    Each entry keeps the details named in ``keep`` (the non-personal facts) and loses the others
    and its justification; the keyed digests of what it lost stay, so the chain still verifies.
    Entries already erased are left alone. Returns the ``erase`` entry, or None when nothing was
    erased.

    Raises
    ------
    ValueError
        For an ``erase`` entry (the record of erasures is kept whole) or an entry sealed before
        erasure was possible (no key id).
    """
    keep = set(keep)
    ring = _keyring(session)
    now = utcnow()
    erased = []
    for entry in entries:
        if entry.erased_at is not None:
            continue
        if entry.action == Action.ERASE or entry.key_id is None:
            raise ValueError(f"audit entry #{entry.seq} cannot be erased")
        key = ring.get(entry.key_id)
        if key is None:
            raise ValueError(f"audit entry #{entry.seq}: key {entry.key_id} is not in the keyring")
        details = json.loads(entry.details)
        gone = {name: value for name, value in details.items() if name not in keep}
        removed = _leaves(key, gone, entry.justification)
        entry.details = canonical_json({n: v for n, v in details.items() if n in keep})
        entry.justification = None
        entry.erased_digests = canonical_json(sorted(removed))
        entry.erased_at = now
        session.add(entry)
        erased.append(entry.seq)
    if not erased:
        return None
    session.flush()
    return record(
        session,
        user,
        Action.ERASE,
        "audit_entry",
        None,
        details={"entries": erased, "kept": sorted(keep)},
        justification=reason,
        actor=actor,
    )


@dataclass
class VerifyResult:
    """Outcome of a chain verification."""

    outcome: Outcome
    count: int
    problem: str | None = None
    broken_seq: int | None = None
    broken_id: int | None = None

    @property
    def ok(self) -> bool:
        """True when the log is intact and matches its checkpoint."""
        return self.outcome is Outcome.INTACT


def verify_chain(
    session: Session, *, keys: dict[str, bytes] | None = None, checkpoint: Path | None = None
) -> VerifyResult:
    """Walk the whole chain, then compare its head with the checkpoint; return the first problem.

    ``keys`` maps key ids to keys (default: the current key and the retired keys of the keyring).
    """
    keys = keys if keys is not None else _keyring(session)
    checkpoint = checkpoint or _checkpoint_path(session)
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    )
    walk = _Walk(keys)
    try:
        for entry in rows:
            if not walk.step(entry):
                return walk.result
    finally:
        rows.close()  # a server-side cursor on PostgreSQL: close it even when we stop early
    if not walk.finish():
        return walk.result
    count, last_seq, prev = walk.count, walk.count, walk.prev
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.last_hmac != prev):
        return VerifyResult(
            Outcome.BROKEN,
            count,
            f"the chain head records {head.seq} entries but the log holds {last_seq}: "
            f"entries after #{last_seq} were removed",
            last_seq + 1,
        )
    state, saved = _read_checkpoint(checkpoint)
    if state == "missing":
        if count == 0:
            return VerifyResult(Outcome.INTACT, 0)
        return VerifyResult(
            Outcome.CHECKPOINT_MISSING,
            count,
            f"the checkpoint {checkpoint} is missing: a cut tail cannot be ruled out",
        )
    if state == "corrupt":
        return VerifyResult(
            Outcome.CHECKPOINT_CORRUPT,
            count,
            f"the checkpoint {checkpoint} is corrupt ({saved}): a cut tail cannot be ruled out",
        )
    installation = _installation_id(session)
    if saved["installation"] is not None and saved["installation"] != installation:
        return VerifyResult(
            Outcome.CHECKPOINT_FOREIGN,
            count,
            f"the checkpoint {checkpoint} belongs to installation {saved['installation']}, "
            f"this database is installation {installation}",
        )
    saved_seq, saved_hmac = saved["seq"], saved["hmac"]
    if saved_seq > last_seq:
        return VerifyResult(
            Outcome.BROKEN,
            count,
            f"the checkpoint outside the database records {saved_seq} entries but the log "
            f"holds {last_seq}: entries #{last_seq + 1}..#{saved_seq} were cut off",
            last_seq + 1,
        )
    if (
        saved_seq
        and session.scalar(select(AuditEntry.hmac).where(AuditEntry.seq == saved_seq)) != saved_hmac
    ):
        return VerifyResult(
            Outcome.BROKEN,
            count,
            f"audit entry #{saved_seq} differs from the checkpoint outside the database",
            saved_seq,
        )
    return VerifyResult(Outcome.INTACT, count)


def rotate_key(session: Session, *, actor: str) -> tuple[str, str, Path]:
    """Seal a rotation entry with the current key naming a new key; return the ids and its file.

    The new key is written to the keyring (beside the retired ones, mode 0600) before the
    entry, so a committed rotation always has its key on disk. The caller commits, then installs
    the new key as the current one (``install_key``).
    """
    old = _key(session)
    ring_dir = _keyring_dir(session)
    _write_secret(ring_dir / f"{key_id(old)}.key", old.decode())
    new = secrets.token_hex(32)
    new_id = key_id(new.encode())
    path = ring_dir / f"{new_id}.key"
    _write_secret(path, new)
    record(
        session,
        None,
        Action.ROTATE_KEY,
        "audit_key",
        key_id(old),
        details={"new_key_id": new_id},
        actor=actor,
    )
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(key_id=new_id))
    session.flush()
    return key_id(old), new_id, path


def install_key(key_file: Path, old: bytes, new_key_path: Path) -> bool:
    """Replace the key in ``key_file`` by the one in ``new_key_path`` if it holds ``old``."""
    if not key_file.exists() or key_file.read_text().strip().encode() != old:
        return False
    tmp = key_file.with_name(key_file.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key_path.read_text())
    os.replace(tmp, key_file)
    return True


def write_checkpoint(session: Session) -> bool:
    """Move the checkpoint to the log's head (the periodic job); return True if it moved.

    The checkpoint only moves forward, and only when the entry it names still holds the HMAC it
    recorded; it is never created here, nor rewritten when missing, corrupt or foreign: that is
    for ``verify`` to report and ``reset_checkpoint`` to settle.
    """
    path = _checkpoint_path(session)
    state, saved = _read_checkpoint(path)
    if state != "ok":
        log.warning("audit checkpoint %s is %s: not moved", path, state)
        return False
    head = session.get(AuditHead, 1)
    if head is None or head.seq <= saved["seq"]:
        return False
    stored = session.scalar(select(AuditEntry.hmac).where(AuditEntry.seq == saved["seq"]))
    if saved["seq"] and stored != saved["hmac"]:
        log.error("audit entry #%s differs from the checkpoint: not moved", saved["seq"])
        return False
    return _write_checkpoint(path, _installation_id(session), head.seq, head.last_hmac)


def reset_checkpoint(session: Session, *, actor: str) -> VerifyResult:
    """Verify the chain and, unless it is broken, record a reset of the checkpoint.

    When the caller commits, the checkpoint is rewritten at the new head whatever it held
    (missing, corrupt, of another database): the reset entry says what it replaced.
    """
    result = verify_chain(session)
    if result.outcome in (Outcome.BROKEN, Outcome.KEY_MISSING):
        return result
    record(
        session,
        None,
        Action.RESET_CHECKPOINT,
        "audit_log",
        None,
        details={"previous": result.outcome.name.lower(), "entries": result.count},
        actor=actor,
    )
    session.info["audit_reset_checkpoint"] = True
    return result


def init_app(app) -> None:
    """Register the periodic job that moves the checkpoint to the head of the log."""
    from huey import crontab

    from .db import session_scope

    queue = app.extensions.get("assettrack.huey")  # (huey, run_job), set by jobs.init_app
    if queue is None:
        return
    minutes = min(59, max(1, int(app.config.get("AUDIT_CHECKPOINT_MINUTES") or 5)))

    @queue[0].periodic_task(crontab(minute=f"*/{minutes}"), name="assettrack.audit_checkpoint")
    def audit_checkpoint():
        with app.app_context(), session_scope() as session:
            write_checkpoint(session)

    app.extensions["assettrack.audit_checkpoint_task"] = audit_checkpoint


# --- helpers ---------------------------------------------------------------------------------


class _Walk:
    """The state of a walk along the chain, one entry at a time."""

    def __init__(self, keys: dict[str, bytes]):
        self.keys = keys
        self.prev = GENESIS
        self.count = 0
        self.expected_key: str | None = None  # after the first entry: the only key accepted
        self.legacy_key: bytes | None = None
        self.next_key: str | None = None  # after first-format entries: the id of their key
        self.pending: dict[int, int] = {}  # erased entries no erase entry has named yet
        self.result: VerifyResult | None = None

    def step(self, entry: AuditEntry) -> bool:
        self.count += 1
        problem, outcome = self._check(entry), Outcome.BROKEN
        if isinstance(problem, tuple):
            problem, outcome = problem
        if problem:
            self.result = VerifyResult(outcome, self.count, problem, self.count, entry.id)
            return False
        if entry.erased_at is not None or entry.erased_digests is not None:
            self.pending[entry.seq] = entry.id
        if entry.action == Action.ERASE and entry.object_type == "audit_entry":
            for seq in json.loads(entry.details).get("entries", []):
                self.pending.pop(seq, None)
        if entry.action == Action.ROTATE_KEY and entry.key_id is not None:
            self.expected_key = json.loads(entry.details).get("new_key_id")
        elif entry.key_id is not None:
            self.expected_key = entry.key_id
        else:  # the first format: the next entries carry the id of the key that sealed it
            self.next_key = key_id(self.legacy_key)
        self.prev = entry.hmac
        return True

    def finish(self) -> bool:
        if not self.pending:
            return True
        seq = min(self.pending)
        self.result = VerifyResult(
            Outcome.BROKEN,
            self.count,
            f"audit entry #{seq} (id {self.pending[seq]}) was erased but no erase entry names it",
            seq,
            self.pending[seq],
        )
        return False

    def _check(self, entry: AuditEntry):
        expected = self.count
        where = f"audit entry #{entry.seq} (id {entry.id})"
        if entry.seq != expected:
            return f"audit entries #{expected}..#{entry.seq - 1} are missing before {where}"
        if entry.prev_hmac != self.prev:
            return f"{where} does not follow its predecessor"
        if entry.key_id is None:
            return self._check_legacy(entry, where)
        expected_key = self.expected_key or self.next_key
        if expected_key is not None and entry.key_id != expected_key:
            return (
                f"{where} is sealed with key {entry.key_id} where key {expected_key} was "
                "expected: keys change only through a rotation entry"
            )
        key = self.keys.get(entry.key_id)
        if key is None:
            return (
                f"{where} is sealed with key {entry.key_id}, which is not in the keyring",
                Outcome.KEY_MISSING,
            )
        if not hmac_lib.compare_digest(entry.hmac, _entry_hmac(key, entry)):
            return f"{where} was altered"
        try:
            leaves = _leaves(key, json.loads(entry.details), entry.justification)
            leaves += json.loads(entry.erased_digests or "[]")
            intact = _root(key, leaves) == entry.details_digest
        except (ValueError, TypeError, AttributeError):
            intact = False
        if not intact:
            return f"the details of {where} were altered"
        if (entry.erased_at is None) != (entry.erased_digests is None):
            return f"the erasure of {where} was altered"
        return None

    def _check_legacy(self, entry: AuditEntry, where: str):
        # Sealed before key ids (first format): the justification is sealed directly, the
        # details by a plain SHA-256, and such entries are never erased.
        if self.expected_key is not None:
            return f"{where} has no key id after entries that have one"
        if self.legacy_key is None:
            self.legacy_key = next(
                (k for k in self.keys.values() if entry.hmac == _entry_hmac(k, entry)), None
            )
        if self.legacy_key is None or not hmac_lib.compare_digest(
            entry.hmac, _entry_hmac(self.legacy_key, entry)
        ):
            return f"{where} was altered"
        if entry.erased_at is not None or _sha256(entry.details) != entry.details_digest:
            return f"the details of {where} were altered"
        return None


def _key(session: Session) -> bytes:
    # The key travels with the session (db.new_session), never with the database.
    if "audit_key" in session.info:
        return session.info["audit_key"]
    return current_app.config["AUDIT_KEY"].encode()


def _keyring_dir(session: Session) -> Path:
    if session.info.get("audit_keyring"):
        return Path(session.info["audit_keyring"])
    return Path(current_app.config["AUDIT_KEYRING"])


def _keyring(session: Session) -> dict[str, bytes]:
    """Map key id → key: the current key and every retired key kept in the keyring."""
    current = _key(session)
    ring = {}
    directory = _keyring_dir(session)
    if directory.is_dir():
        for path in sorted(directory.glob("*.key")):
            key = path.read_text().strip().encode()
            if key:
                ring[key_id(key)] = key
    ring[key_id(current)] = current
    return ring


def _installation_id(session: Session) -> str | None:
    if "audit_installation" not in session.info:
        session.info["audit_installation"] = session.scalar(
            select(Installation.installation_id).where(Installation.id == 1)
        )
    return session.info["audit_installation"]


def _checkpoint_path(session: Session) -> Path:
    if "audit_checkpoint" in session.info:
        return Path(session.info["audit_checkpoint"])
    return Path(current_app.config["AUDIT_CHECKPOINT"])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _mac(key: bytes, value) -> str:
    return hmac_lib.new(key, canonical_json(value).encode(), hashlib.sha256).hexdigest()


def _leaves(key: bytes, details: dict, justification: str | None) -> list[str]:
    """One keyed digest per detail (name and value) and one for the justification."""
    leaves = [_mac(key, ["detail", name, value]) for name, value in details.items()]
    if justification is not None:
        leaves.append(_mac(key, ["justification", justification]))
    return leaves


def _root(key: bytes, leaves: list[str]) -> str:
    return _mac(key, ["details", sorted(leaves)])


def _entry_hmac(key: bytes, entry: AuditEntry) -> str:
    common = [
        entry.seq,
        entry.ts.astimezone(UTC).isoformat(),
        entry.user_id,
        entry.actor,
        entry.organisation_id,
        entry.action,
        entry.object_type,
        entry.object_id,
    ]
    if entry.key_id is None:  # the first format
        return _mac(key, [*common, entry.justification, entry.details_digest, entry.prev_hmac])
    return _mac(key, [2, *common, entry.details_digest, entry.prev_hmac, entry.key_id])


def _read_checkpoint(path: Path):
    """Return ("ok", {installation, seq, hmac}), ("missing", None) or ("corrupt", why)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return "missing", None
    except (OSError, ValueError) as exc:
        return "corrupt", f"unreadable: {type(exc).__name__}"
    if not isinstance(data, dict):
        return "corrupt", "not a JSON object"
    seq, digest, installation = data.get("seq"), data.get("hmac"), data.get("installation")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return "corrupt", "no valid sequence number"
    if not (isinstance(digest, str) and len(digest) == 64) and not (seq == 0 and not digest):
        return "corrupt", "no valid HMAC"
    if installation is not None and not isinstance(installation, str):
        return "corrupt", "no valid installation id"
    # A checkpoint written before installation ids (installation None) names no database.
    return "ok", {"installation": installation, "seq": seq, "hmac": digest}


def _write_checkpoint(
    path: Path, installation: str | None, seq: int, digest: str, *, create=False, force=False
) -> bool:
    # Several processes commit audit entries: keep the highest sequence, under a file lock.
    # A missing, corrupt or foreign checkpoint is left for verify to report, unless this is
    # the log's first entry (create) or an operator's recorded reset (force).
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state, saved = _read_checkpoint(path)
        if not force:
            if state == "missing" and not create:
                log.warning("audit checkpoint %s is missing: not recreated", path)
                return False
            if state == "corrupt":
                log.warning("audit checkpoint %s is corrupt (%s): not rewritten", path, saved)
                return False
            if state == "ok":
                if saved["installation"] not in (None, installation):
                    log.warning("audit checkpoint %s is of another database", path)
                    return False
                if saved["seq"] >= seq:
                    return False
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps({"installation": installation, "seq": seq, "hmac": digest}))
        os.replace(tmp, path)
        return True


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session):
    pending = session.info.pop("audit_pending_checkpoint", None)
    force = session.info.pop("audit_reset_checkpoint", False)
    if pending is not None:
        _write_checkpoint(
            pending["path"],
            pending["installation"],
            pending["seq"],
            pending["hmac"],
            create=pending["first"] == 1,
            force=force,
        )


@event.listens_for(Session, "after_rollback")
def _forget_checkpoint(session):
    session.info.pop("audit_pending_checkpoint", None)
    session.info.pop("audit_reset_checkpoint", None)
