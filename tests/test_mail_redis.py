"""Two job workers on Redis run the same schedule: each e-mail still goes out once.

Each worker's scheduler enqueues the periodic tasks, so in production both the daily run and the
mailer run twice. Here both are enqueued twice on a RedisHuey queue (database 13 of the local
Redis, flushed first) and two real worker processes (``assettrack jobs worker``) consume them,
against one database and a real SMTP server started by the test.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assettrack.db import new_session
from assettrack.domain import clock
from assettrack.errors import Msg
from assettrack.models import Notification
from assettrack.models.notifications import NotificationEvent
from assettrack.services import notifications
from tests.conftest import _make_app
from tests.conftest import bearer
from tests.test_mail import ASSET
from tests.test_mail import ORDER
from tests.test_mail import TITLE
from tests.test_mail import _officer
from tests.test_mail import inbox  # noqa: F401  (fixture)

REDIS_URL = os.environ.get("ASSETTRACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 180  # two workers starting on a busy 2-core machine


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis unreachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _wait(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}", pytrace=False)
        time.sleep(0.5)


def test_two_workers_on_redis_send_each_email_once(database_url, tmp_path, inbox):  # noqa: F811
    _redis_or_skip()
    instance = tmp_path / "instance"
    settings = {
        "REDIS_URL": REDIS_URL,
        "JOBS_IMMEDIATE": False,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": inbox.port,
        "SMTP_STARTTLS": False,
        "PUBLIC_URL": "https://assettrack.rotterdam.example",
    }
    app = _make_app(database_url, instance, **settings)
    huey, _run_job = app.extensions["assettrack.huey"]
    huey.flush()
    db = new_session(app)
    workers = []
    try:
        officer = _officer(db)
        # Ten notifications waiting for the mailer...
        for n in range(10):
            notifications.notify(
                db,
                user_ids=[officer.id],
                event=NotificationEvent.SCREENING_MILESTONE,  # e-mailed unless chosen otherwise
                message=Msg("Case {reference} is shared with your organisation", reference=n),
                dedupe_key=f"waiting:{n}",
            )
        db.commit()
        # ... and an urgent freeze that lapsed last month, for the daily run to tell.
        from assettrack.services import accounts

        headers = bearer(accounts.create_token(db, None, officer))
        db.commit()
        client = app.test_client()
        case = client.post(
            "/api/v1/cases", json={"title": TITLE, "tlp": "AMBER"}, headers=headers
        ).json
        asset = client.post(
            f"/api/v1/cases/{case['id']}/entities",
            json={"schema": "RealEstate", "properties": {"name": ASSET, "country": "nl"}},
            headers=headers,
        ).json["id"]
        decided = (clock.utc_today() - timedelta(days=30)).isoformat()
        frozen = client.post(
            f"/api/v1/cases/{case['id']}/decisions",
            json={
                "action": "freeze",
                "asset_ids": [asset],
                "decided_on": decided,
                "urgent": True,
                **ORDER,
            },
            headers=headers,
        )
        assert frozen.status_code == 201, frozen.json

        # Each worker's scheduler would enqueue these: two of each.
        schedule = app.extensions["assettrack.schedule"]
        for _ in range(2):
            schedule["daily_run"]()
        for _ in range(2):
            schedule["send_emails"]()
        env = {
            **os.environ,
            **{f"ASSETTRACK_{key}": str(value) for key, value in settings.items()},
            "ASSETTRACK_INSTANCE_PATH": str(instance),
            "ASSETTRACK_DATABASE_URL": database_url,
            "ASSETTRACK_SECRET_KEY": app.config["SECRET_KEY"],
            "ASSETTRACK_AUDIT_KEY": app.config["AUDIT_KEY"],
            "ASSETTRACK_AUDIT_CHECKPOINT": app.config["AUDIT_CHECKPOINT"],
            "ASSETTRACK_FILES_DIR": app.config["FILES_DIR"],
        }
        command = [str(VENV_BIN / "assettrack"), "jobs", "worker", "--workers", "1"]
        for _ in range(2):
            workers.append(
                subprocess.Popen(  # noqa: S603 (our own command)
                    command,
                    cwd=REPO,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        _wait(lambda: huey.pending_count() == 0, "the workers to take the first tasks")
        # The lapse was told once; once both daily runs are over, the mailer runs twice again.
        _wait(
            lambda: _told(db, NotificationEvent.FREEZE_LAPSED) == 1,
            "the daily run to tell of the lapsed freeze",
        )
        for _ in range(2):
            schedule["send_emails"]()
        _wait(lambda: len(inbox.messages) >= 11, "eleven e-mails")
        _wait(lambda: huey.pending_count() == 0, "the queue to empty")
        _wait(lambda: _unsent(db) == 0, "every e-mail to be marked sent")
        time.sleep(2)  # a duplicate would arrive now, if there were one
        assert len(inbox.messages) == 11
        assert _told(db, NotificationEvent.FREEZE_LAPSED) == 1
        lapsed = [m for _to, m in inbox.messages if "lapsed" in m["Subject"]]
        assert len(lapsed) == 1 and case["reference"] in lapsed[0]["Subject"]
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        huey.flush()
        db.close()
        app.extensions["assettrack.engine"].dispose()


def _told(db, event) -> int:
    db.rollback()
    return len(db.scalars(select(Notification.id).where(Notification.event == event.value)).all())


def _unsent(db) -> int:
    db.rollback()
    return len(
        db.scalars(
            select(Notification.id).where(
                Notification.channel == "email", Notification.emailed_at.is_(None)
            )
        ).all()
    )
