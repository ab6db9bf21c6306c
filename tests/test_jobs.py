"""Background jobs: atomic claims, leases taken back from dead workers, memory and time limits."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from assettrack import jobs
from assettrack.db import get_session
from assettrack.db import session_scope
from assettrack.models import Job
from assettrack.models import utcnow
from tests.conftest import _make_app
from tests.conftest import login

MB = 1024 * 1024


@jobs.handler("test.sleep")
def _sleep(session, job, user, params, progress):
    progress(20, "sleeping")
    time.sleep(params.get("seconds", 0))
    return None


@jobs.handler("test.hog")
def _hog(session, job, user, params, progress):
    progress(10, "allocating")
    chunks = []
    for _ in range(params["mb"] // 10):
        chunks.append(b"x" * (10 * MB))  # touched, not merely reserved
    return None


@pytest.fixture
def queue_app(database_url, tmp_path):
    """The application with a real queue (huey in instance/), as the job worker sees it."""
    app = _make_app(
        database_url, tmp_path / "queue-instance", JOBS_IMMEDIATE=False, JOB_MAX_ATTEMPTS=2
    )
    yield app
    app.extensions["assettrack.engine"].dispose()


def _new_job(app, user, kind="test.sleep", params=None) -> int:
    with app.app_context():
        db = get_session()
        job = jobs.create_job(db, user, kind, params or {})
        db.commit()
        return job.id


def _job(app, job_id) -> Job:
    with session_scope_of(app) as db:
        return db.get(Job, job_id)


class session_scope_of:  # noqa: N801 (reads as a context manager)
    def __init__(self, app):
        self.ctx = app.app_context()

    def __enter__(self):
        self.ctx.push()
        self.scope = session_scope()
        return self.scope.__enter__()

    def __exit__(self, *exc):
        self.scope.__exit__(*exc)
        self.ctx.pop()


# --- claims and leases ---------------------------------------------------------------------------


@pytest.mark.backends
def test_of_two_workers_claiming_a_job_at_once_one_wins(queue_app, make_user):
    job_id = _new_job(queue_app, make_user())
    barrier = threading.Barrier(2)
    won = {}

    def claim(name):
        with session_scope_of(queue_app) as db:
            barrier.wait()
            won[name] = jobs.claim(db, job_id, name, 60)
            db.commit()

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("a:1:x", "b:2:y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(won.values()) == [False, True]
    job = _job(queue_app, job_id)
    winner = next(name for name, ok in won.items() if ok)
    assert (job.status, job.worker, job.attempts) == ("running", winner, 1)
    assert job.lease_until > utcnow()


def test_a_job_sent_twice_runs_once(app, client, make_user):
    user = make_user()
    job_id = _new_job(app, user)
    with app.app_context():
        job = get_session().get(Job, job_id)
        jobs.start_job(job)
        jobs.start_job(job)  # a double enqueue, as the sweeper may cause
    job = _job(app, job_id)
    assert (job.status, job.attempts, job.progress) == ("done", 1, 100)
    login(client, user)
    body = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert body["status"] == "done" and body["attempts"] == 1 and body["started_at"]


@pytest.mark.backends
def test_an_expired_lease_is_queued_again_then_failed(queue_app, make_user):
    job_id = _new_job(queue_app, make_user())
    huey, _task = queue_app.extensions["assettrack.huey"]
    for attempt in (1, 2):
        with session_scope_of(queue_app) as db:
            assert jobs.claim(db, job_id, f"gone:{attempt}:x", 60)
            db.commit()
        with queue_app.app_context():
            assert jobs.sweep().requeued == []  # the lease still runs: the worker may be alive
            report = jobs.sweep(now=utcnow() + timedelta(seconds=61))
        if attempt == 1:
            assert report.requeued == [job_id] and report.resent == [job_id]
            job = _job(queue_app, job_id)
            assert (job.status, job.worker, job.lease_until) == ("queued", None, None)
            assert [task.args[0] for task in huey.pending()] == [job_id]
            huey.flush()
    assert report.failed == [job_id] and report.resent == []
    job = _job(queue_app, job_id)
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == "worker stopped while running; gave up after 2 attempts"


def test_a_worker_that_lost_its_lease_writes_nothing(queue_app, make_user):
    job_id = _new_job(queue_app, make_user())
    with session_scope_of(queue_app) as db:
        assert jobs.claim(db, job_id, "old:1:x", 60)
        db.commit()
    with queue_app.app_context():
        jobs.sweep(now=utcnow() + timedelta(seconds=61))
    with session_scope_of(queue_app) as db:
        assert jobs.claim(db, job_id, "new:2:y", 60)
        db.commit()
        assert not jobs.renew(db, job_id, "old:1:x", 60)
        assert jobs.renew(db, job_id, "new:2:y", 60)
        db.commit()
    assert _job(queue_app, job_id).worker == "new:2:y"


def test_a_queued_job_whose_message_was_lost_is_sent_again(queue_app, make_user, runner):
    job_id = _new_job(queue_app, make_user())  # committed, never handed to the queue
    huey, _task = queue_app.extensions["assettrack.huey"]
    with queue_app.app_context():
        assert jobs.sweep().resent == [job_id]
        assert jobs.sweep().resent == []  # its message is waiting now
    assert [task.args[0] for task in huey.pending()] == [job_id]
    result = queue_app.test_cli_runner().invoke(args=["jobs", "reap"])
    assert result.exit_code == 0, result.output
    assert "queued again: 0, failed: 0, messages resent: 0" in result.output


def test_a_job_left_running_before_leases_existed_is_taken_back(queue_app, make_user):
    job_id = _new_job(queue_app, make_user())
    with session_scope_of(queue_app) as db:
        job = db.get(Job, job_id)
        job.status, job.attempts = "running", 1  # what a killed worker left, lease unknown
        db.add(job)
        db.commit()
    with queue_app.app_context():
        assert jobs.sweep().requeued == [job_id]


# --- memory and time limits ----------------------------------------------------------------------


def test_limits_are_declared_per_job_kind(app):
    assert jobs.limits_for(app.config, "import") == jobs.Limits(memory_mb=500, seconds=3600)
    assert jobs.limits_for(app.config, "duplicates").memory_mb == 1024
    with pytest.raises(ValueError, match="JOB_MEMORY_MB_BY_KIND"):
        _make_app(app.config["DATABASE_URL"], Path(app.instance_path), JOB_MEMORY_MB_BY_KIND=("x",))


def test_a_job_over_its_memory_limit_fails_saying_so(database_url, tmp_path, make_user):
    app = _make_app(database_url, tmp_path / "limited", JOB_MEMORY_MB_BY_KIND={"test.hog": 100})
    job_id = _new_job(app, make_user(language="en"), "test.hog", {"mb": 400})
    with app.app_context():
        jobs.start_job(get_session().get(Job, job_id))
    job = _job(app, job_id)
    assert job.status == "failed"
    assert job.error == "stopped: used more than 100 MB"
    assert (job.progress, job.message) == (10, "allocating")  # the job's process wrote it
    app.extensions["assettrack.engine"].dispose()


def test_a_job_over_its_time_limit_fails_saying_so(database_url, tmp_path, make_user):
    app = _make_app(database_url, tmp_path / "limited", JOB_TIME_LIMIT_BY_KIND={"test.sleep": 1})
    job_id = _new_job(app, make_user(language="fr"), "test.sleep", {"seconds": 60})
    started = time.monotonic()
    with app.app_context():
        jobs.start_job(get_session().get(Job, job_id))
    assert time.monotonic() - started < 15
    job = _job(app, job_id)
    assert job.status == "failed"
    assert job.error == "arrêtée après 1 s"  # in the language of the user who started it
    app.extensions["assettrack.engine"].dispose()


def test_the_job_page_shows_why_a_job_was_stopped(app, client, make_user):
    user = make_user()
    job_id = _new_job(app, user)
    with session_scope_of(app) as db:
        job = db.get(Job, job_id)
        job.status, job.error = "failed", "stopped: used more than 500 MB"
        job.attempts = 2
        db.add(job)
        db.commit()
    login(client, user)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "stopped: used more than 500 MB" in page
    assert "Started 2 times: an earlier worker stopped while running it." in page
    body = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert (body["status"], body["error"], body["attempts"]) == (
        "failed",
        "stopped: used more than 500 MB",
        2,
    )


# --- a real worker, killed -----------------------------------------------------------------------

WORKER_SCRIPT = """
import json, sys, time
from assettrack import create_app, jobs

@jobs.handler("test.first_attempt_hangs")
def hangs(session, job, user, params, progress):
    progress(5, f"attempt {job.attempts}")
    if job.attempts == 1:
        time.sleep(300)
    return None

app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    jobs.worker(1)
"""


@jobs.handler("test.first_attempt_hangs")
def _hangs(session, job, user, params, progress):  # the worker's own copy runs it
    raise AssertionError("runs in the worker subprocess only")


@pytest.fixture
def hanging_job(database_url, tmp_path, make_user):
    """A queued job whose first attempt hangs, and ``start(name)`` starting a real worker on it."""
    # A real queue, and a lease of 2 s renewed every 0.5 s.
    app = _make_app(
        database_url,
        tmp_path / "worker-instance",
        JOBS_IMMEDIATE=False,
        JOB_LEASE_SECONDS=2,
        JOB_HEARTBEAT_SECONDS=0.5,
    )
    config = _worker_config(app)
    job_id = _new_job(app, make_user(), "test.first_attempt_hangs")
    with app.app_context():
        jobs.start_job(get_session().get(Job, job_id))
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    started = []

    def start(name):
        started.append(_start_worker(script, config, tmp_path / f"{name}.log"))
        return started[-1]

    yield app, job_id, start
    for process in started:
        _stop(process)
    app.extensions["assettrack.engine"].dispose()


@pytest.mark.backends
def test_a_job_whose_worker_is_killed_runs_again(hanging_job):
    app, job_id, start = hanging_job
    first = start("first")
    _wait_for(app, job_id, lambda j: j.message == "attempt 1", first)
    _end_with_its_family(first, signal.SIGKILL)
    job = _job(app, job_id)
    assert (job.status, job.attempts) == ("running", 1)  # until its lease runs out

    _wait_until(lambda: utcnow() > job.lease_until, 10)
    second = start("second")
    job = _wait_for(app, job_id, lambda j: j.status in ("done", "failed"), second)
    assert (job.status, job.attempts, job.error) == ("done", 2, None)


def test_a_worker_told_to_stop_gives_its_running_job_back(hanging_job):
    app, job_id, start = hanging_job
    worker = start("worker")
    _wait_for(app, job_id, lambda j: j.message == "attempt 1", worker)
    _end_with_its_family(worker, signal.SIGTERM)  # what systemd sends on stop
    job = _job(app, job_id)
    assert (job.status, job.attempts, job.worker, job.lease_until) == ("queued", 0, None, None)
    with app.app_context():
        assert jobs.sweep().resent == [job_id]  # the next worker to start runs it


def test_the_supervisor_starts_a_dead_worker_again(database_url, tmp_path):
    instance = tmp_path / "supervised"
    env = {
        **os.environ,
        "ASSETTRACK_INSTANCE_PATH": str(instance),
        "ASSETTRACK_DATABASE_URL": database_url,
        "ASSETTRACK_AUDIT_KEY": "test-audit-key",
        "ASSETTRACK_SECRET_KEY": "test-secret-key",
    }
    supervisor = subprocess.Popen(
        [sys.executable, "-c", "from assettrack.cli import main; main()", "jobs", "worker"]
        + ["--workers", "1", "--supervise"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        first = _wait_until(lambda: _children(supervisor.pid), 30)[0]
        os.kill(first, signal.SIGKILL)
        second = _wait_until(lambda: [p for p in _children(supervisor.pid) if p != first], 30)[0]
        assert second != first
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) is not None
        _wait_until(lambda: not _alive(second), 10)
    finally:
        _stop(supervisor)


# --- helpers --------------------------------------------------------------------------------------


def _worker_config(app) -> dict:
    """The settings of ``app`` a worker subprocess can take as JSON (the plain values)."""
    return {
        key: value
        for key, value in app.config.items()
        if key.isupper() and isinstance(value, str | int | float | bool)
    }


def _start_worker(script, config, log):
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, str(script), json.dumps(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _end_with_its_family(process, sig):
    """Send ``sig`` to the worker's main process only; all its processes must end."""
    family = _descendants(process.pid)
    assert len(family) >= 2  # a huey worker process and the job's own process, at least
    process.send_signal(sig)
    process.wait(30)
    _wait_until(lambda: not any(_alive(pid) for pid in family), 10)


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # what the dead parent left, if anything
        except ProcessLookupError:
            pass


def _wait_for(app, job_id, condition, process, timeout=60):
    def check():
        assert process.poll() is None, f"the worker ended with {process.returncode}"
        job = _job(app, job_id)
        return job if condition(job) else None

    return _wait_until(check, timeout)


def _wait_until(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"still not true after {timeout} s")


def _stat(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid)


def _alive(pid) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _children(pid) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat and stat[1] == pid and stat[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def _descendants(pid) -> list[int]:
    family, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        family += children
        todo += children
    return family

