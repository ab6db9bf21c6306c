"""The audit log: every act recorded, the chain tamper-evident, erasure possible."""

import csv
import json

import pytest
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
def test_erasing_personal_data_from_details_keeps_the_chain_valid(session, make_user):
    make_user("officer", "NLRTM", email="anna.de.vries@example.test")
    entry = next(e for e in _entries(session) if "anna.de.vries" in e.details)
    audit.erase_details(session, entry, {"erased": "personal data removed on review"})
    session.commit()
    assert "anna.de.vries" not in session.get(AuditEntry, entry.id).details
    assert audit.verify_chain(session).ok


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
