"""Background jobs (huey): imports, large reports, exports, whole-graph analytics.

A job is a row in ``job`` and a huey message carrying its id. The row is the truth; the message
only says "look at job N", so a message sent twice or sent again by the sweeper is harmless.

- **Claim**: a worker takes a job by one atomic ``UPDATE … WHERE status = 'queued'``; whoever
  updates no row lost the race and does nothing.
- **Lease**: the claim sets ``lease_until``; the worker renews it every ``JOB_HEARTBEAT_SECONDS``
  while the job runs. A worker that dies stops renewing, and :func:`sweep` (at worker start, every
  ``JOB_SWEEP_MINUTES`` as a periodic task, and ``assettrack jobs reap``) queues the job again or,
  after ``JOB_MAX_ATTEMPTS`` starts, fails it. Every later write of a running job names the worker
  holding it, so a worker that lost its lease changes nothing.
- **Limits**: the handler runs in a process of its own, forked from the worker, under a memory
  limit (``RLIMIT_AS``, ``JOB_MEMORY_MB`` above the idle worker) and a time limit, per job kind; a
  job stopped by either ends ``failed`` saying so. That process dies with its worker.
- **Lost messages**: the sweep also sends again the message of every queued job the queue no
  longer holds (a Redis restart, a worker stopped between dequeue and claim).

huey keeps its queue in ``instance/huey.sqlite`` unless ``ASSETTRACK_REDIS_URL`` is set.
``assettrack jobs worker`` is the consumer (``--supervise`` starts it again when it dies);
``make run`` starts it beside the web server. With ``JOBS_IMMEDIATE`` a job runs during the
request that starts it, still in a process of its own under the same limits.
"""

import ctypes
import json
import logging
import os
import resource
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext
from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab
from huey.consumer import Consumer
from sqlalchemy import or_
from sqlalchemy import select as sql_select
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from .db import make_engine
from .db import session_scope
from .models import Job
from .models import User
from .models import utcnow

__all__ = [
    "init_app",
    "handler",
    "create_job",
    "start_job",
    "job_as_dict",
    "job_file",
    "worker",
    "supervise",
    "claim",
    "renew",
    "sweep",
    "Limits",
    "limits_for",
    "SweepReport",
]

_HANDLERS: dict[str, Callable] = {}
_KEY = "assettrack.huey"
_ENGINE_KEY = "assettrack.engine"  # db.py's key: a forked job process opens its own engine
_TASK = "assettrack.run_job"
log = logging.getLogger(__name__)

# How a job's process ends, read by the worker waiting for it.
_EXIT_WRITTEN = 0  # the outcome (done, or failed with the handler's error) is written
_EXIT_MEMORY = 3  # out of memory under its limit: the worker writes the reason
_EXIT_LOST = 4  # the worker lost the lease meanwhile: nothing written
def N_(message: str) -> str:  # noqa: N802 (the name pybabel extracts by default)
    """Mark ``message`` for translation: it is written translated into its reader's language."""
    return message


_GAVE_UP = N_("worker stopped while running; gave up after %(attempts)s attempts")
_OVER_MEMORY = N_("stopped: used more than %(mb)s MB")
_OVER_TIME = N_("stopped after %(seconds)s s")
_CRASHED = N_(
    "stopped: the job's process ended unexpectedly (%(cause)s; memory limit %(mb)s MB)"
)
_NO_HANDLER = N_("no handler for job kind %(kind)s")

# Connections inherited by a forked job process: never used there, and never closed (closing a
# PostgreSQL connection would end the worker's own session on the server).
_INHERITED: list = []


@dataclass(frozen=True)
class Limits:
    """What one job may use: memory above the idle worker (MB) and wall-clock time (s)."""

    memory_mb: int
    seconds: float


@dataclass
class SweepReport:
    """What a sweep did: jobs queued again, failed, and messages sent again."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)


def handler(kind: str):
    """Register ``fn(session, job, user, params, progress) -> (path, name, mimetype) | None``."""

    def decorate(fn):
        _HANDLERS[kind] = fn
        return fn

    return decorate


def init_app(app):
    """Create the huey queue for ``app``: the task that runs jobs and the periodic sweep."""
    for setting in ("JOB_MEMORY_MB_BY_KIND", "JOB_TIME_LIMIT_BY_KIND"):
        _per_kind(app.config, setting)  # a malformed setting stops the start, not a job
    if app.config.get("REDIS_URL"):
        huey = RedisHuey("assettrack", url=app.config["REDIS_URL"])
    else:
        huey = SqliteHuey("assettrack", filename=str(Path(app.instance_path) / "huey.sqlite"))
    huey.immediate = bool(app.config.get("JOBS_IMMEDIATE"))

    @huey.task(name=_TASK)
    def run_job(job_id: int):
        with app.app_context():
            _run(job_id)

    minutes = max(1, int(app.config["JOB_SWEEP_MINUTES"]))

    @huey.periodic_task(
        crontab(minute="*" if minutes == 1 else f"*/{minutes}"), name="assettrack.sweep_jobs"
    )
    def sweep_jobs():
        with app.app_context():
            _log_sweep(sweep())

    @huey.on_startup("assettrack.worker_process")
    def worker_process():
        _forget_inherited_connections(app)

    app.extensions[_KEY] = (huey, run_job)
    app.extensions[_SCHEDULE_KEY] = _schedule(app, huey)


# --- the schedule of notifications (issue #13) -------------------------------------------------
# Every worker's scheduler enqueues these, so with two workers each runs twice: both are safe to
# run at once (reminders carry a dedupe key, each e-mail is claimed by a compare-and-set).

_SCHEDULE_KEY = "assettrack.schedule"


def _schedule(app, huey) -> dict:
    """Register the mailer (every MAIL_SEND_MINUTES) and the daily run (DAILY_RUN_HOUR, UTC)."""
    minutes = min(59, max(1, int(app.config["MAIL_SEND_MINUTES"])))
    hour = min(23, max(0, int(app.config["DAILY_RUN_HOUR"])))

    @huey.periodic_task(
        crontab(minute="*" if minutes == 1 else f"*/{minutes}"), name="assettrack.send_emails"
    )
    def send_emails():
        from .services import mailer

        with app.app_context(), session_scope() as session:
            sent = mailer.send_pending(session)
        if sent:
            log.info("e-mailed %s notifications", sent)

    @huey.periodic_task(crontab(minute="0", hour=str(hour)), name="assettrack.daily_run")
    def daily_run():
        from .services import reminders

        with app.app_context():
            report = reminders.run_daily()
        log.info(
            "daily run: told %s, %s digests, %s notifications purged",
            report.told,
            report.digests,
            report.purged,
        )

    return {"send_emails": send_emails, "daily_run": daily_run}


def create_job(session: Session, user: User, kind: str, params: dict) -> Job:
    """Record a queued job; the caller commits, then calls ``start_job``."""
    if kind not in _HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job(
        kind=kind,
        params=json.dumps(params, default=str),
        user_id=user.id,
        organisation_id=user.organisation_id,
    )
    session.add(job)
    session.flush()
    return job


def start_job(job: Job) -> None:
    """Hand a committed job to the queue (or run it now when jobs are immediate)."""
    _huey, run_job = current_app.extensions[_KEY]
    run_job(job.id)


def claim(session: Session, job_id: int, worker: str, lease_seconds: float) -> bool:
    """Take a queued job for ``worker``; return False when it is not (or no longer) queued.

    One ``UPDATE … WHERE status = 'queued'``: of two workers claiming at once, one updates the
    row and the other updates none. The caller commits.
    """
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(
            status="running",
            worker=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew(session: Session, job_id: int, worker: str, lease_seconds: float) -> bool:
    """Extend ``worker``'s lease on a running job; False when the lease was lost."""
    return _update_held(
        session, job_id, worker, lease_until=utcnow() + timedelta(seconds=lease_seconds)
    )


def sweep(now: datetime | None = None) -> SweepReport:
    """Take back the jobs whose lease expired and resend the messages the queue lost.

    A running job whose lease ran out is queued again, or failed once it has had
    ``JOB_MAX_ATTEMPTS`` starts. Every queued job the queue holds no message for gets one (a job
    queued twice is claimed once). Commits its own short transactions.
    """
    config = current_app.config
    now = now or utcnow()
    report = SweepReport()
    with session_scope() as session:
        expired = session.execute(
            sql_select(Job.id, Job.attempts, Job.user_id).where(
                Job.status == "running", or_(Job.lease_until.is_(None), Job.lease_until < now)
            )
        ).all()
        for job_id, attempts, user_id in expired:
            still_expired = (
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.status == "running",
                    or_(Job.lease_until.is_(None), Job.lease_until < now),
                )
                .execution_options(synchronize_session=False)
            )
            if attempts < config["JOB_MAX_ATTEMPTS"]:
                values = {"status": "queued", "worker": None, "lease_until": None}
                target = report.requeued
            else:
                error = _in_language_of(session, user_id, _GAVE_UP, attempts=attempts)
                values = {
                    "status": "failed",
                    "worker": None,
                    "lease_until": None,
                    "error": error,
                    "finished_at": now,
                }
                target = report.failed
            if session.execute(still_expired.values(**values)).rowcount == 1:
                target.append(job_id)
        session.commit()
        queued = session.execute(sql_select(Job.id).where(Job.status == "queued")).scalars().all()
    huey, run_job = current_app.extensions[_KEY]
    if not huey.immediate:
        waiting = {task.args[0] for task in huey.pending() if task.name == _TASK and task.args}
        for job_id in sorted(set(queued) - waiting):
            run_job(job_id)
            report.resent.append(job_id)
    return report


def limits_for(config, kind: str) -> Limits:
    """Return the memory and time limits of a job of ``kind`` under ``config``."""
    memory = _per_kind(config, "JOB_MEMORY_MB_BY_KIND").get(kind, config["JOB_MEMORY_MB"])
    seconds = _per_kind(config, "JOB_TIME_LIMIT_BY_KIND").get(kind, config["JOB_TIME_LIMIT"])
    return Limits(memory_mb=int(memory), seconds=float(seconds))


def worker(workers: int = 2, *, with_parent: bool = False) -> None:
    """Run the huey consumer in this process until interrupted.

    First sweeps (leases of a worker that died, messages the queue lost), then runs ``workers``
    worker processes; each job runs in a process of its own forked from one of them.
    ``with_parent``: end when the process that started this one ends (a supervisor).
    """
    if with_parent:
        _die_with_parent()
    app = current_app._get_current_object()
    _log_sweep(sweep())
    # The worker processes fork from this one: leave them no connection to share.
    app.extensions[_ENGINE_KEY].dispose()
    huey, _task = app.extensions[_KEY]
    _Consumer(huey, workers=workers, worker_type="process", periodic=True).run()


def supervise(argv: list[str], *, quick: float = 10.0, longest_pause: float = 30.0) -> int:
    """Run ``argv`` and start it again whenever it ends, until this process is told to stop.

    A child that ends within ``quick`` seconds of its start is restarted after a pause that
    doubles each time (up to ``longest_pause``), so a worker that cannot start does not spin.
    SIGTERM or SIGINT stops the child (SIGTERM: its running jobs go back to the queue) and then
    this loop; returns the child's last exit code.
    """
    stopping = threading.Event()
    child: subprocess.Popen | None = None

    def stop(signum, frame):
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    pause, code = 1.0, 0
    try:
        while not stopping.is_set():
            started = time.monotonic()
            child = subprocess.Popen(argv)  # noqa: S603 (our own command line)
            if stopping.is_set():  # told to stop while it was starting
                child.send_signal(signal.SIGTERM)
            code = child.wait()
            if stopping.is_set():
                break
            pause = 1.0 if time.monotonic() - started > quick else min(pause * 2, longest_pause)
            log.warning("job worker ended (exit code %s); starting it again in %.0f s", code, pause)
            stopping.wait(pause)
    finally:
        for sig, action in previous.items():
            signal.signal(sig, action)
    return code


def job_as_dict(job: Job, result_url: str | None) -> dict:
    """Return the public shape of a job (``GET /api/v1/jobs/<id>``)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "result": result_url if job.status == "done" and job.result_path else None,
        "error": job.error,
        "attempts": job.attempts or 0,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def job_file(job: Job) -> Path | None:
    """Return the path of the file a finished job made, if it still exists."""
    if job.status != "done" or not job.result_path:
        return None
    path = Path(current_app.config["FILES_DIR"]) / job.result_path
    return path if path.is_file() else None


# --- running a job ------------------------------------------------------------------------------


def _run(job_id: int) -> None:
    """Claim the job, run its handler in a process of its own and watch it until it ends."""
    app = current_app._get_current_object()
    config = app.config
    holder = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
    with session_scope() as session:
        if not claim(session, job_id, holder, config["JOB_LEASE_SECONDS"]):
            return  # done, failed, or running elsewhere: this message was a duplicate
        session.commit()
        job = session.get(Job, job_id)
        kind, user_id = job.kind, job.user_id
    if kind not in _HANDLERS:
        _fail(job_id, holder, user_id, _NO_HANDLER, kind=kind)
        return
    limits = limits_for(config, kind)
    started = time.monotonic()
    try:
        pid = os.fork()
    except OSError:  # no process to spare now: back to the queue; the sweep sends it again
        _release(job_id, holder)
        raise
    if pid == 0:
        _child(app, job_id, holder, limits)  # never returns
    outcome, usage = _watch(app, job_id, holder, pid, limits, user_id)
    peak = usage.ru_maxrss // 1024 if usage is not None else 0
    log.info(
        "job %s (%s): %s after %.1f s, peak resident memory %d MB",
        job_id,
        kind,
        outcome,
        time.monotonic() - started,
        peak,
    )


def _watch(app, job_id: int, holder: str, pid: int, limits: Limits, user_id: int):
    """Wait for the job's process, renewing the lease and enforcing the time limit."""
    config = app.config
    beat = float(config["JOB_HEARTBEAT_SECONDS"])
    deadline = time.monotonic() + limits.seconds
    next_beat = time.monotonic() + beat
    waiter = _ExitWaiter(pid)
    timed_out = lost = False
    try:
        while waiter.ended is None:
            now = time.monotonic()
            if waiter.wait(max(0.0, min(deadline, next_beat) - now)) is not None:
                break
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                waiter.kill()
            elif now >= next_beat:
                if _renew_quietly(job_id, holder, config["JOB_LEASE_SECONDS"]) is False:
                    lost = True
                    waiter.kill()
                next_beat = now + beat
    except BaseException:  # the worker is told to stop now: the job goes back to the queue
        waiter.kill()
        _release(job_id, holder)
        raise
    finally:
        waiter.close()
    status, usage = waiter.ended
    if lost:
        return "abandoned (lease lost)", usage
    if timed_out:
        _fail(job_id, holder, user_id, _OVER_TIME, seconds=_n(limits.seconds))
        return "stopped (time)", usage
    code = os.waitstatus_to_exitcode(status)
    if code == _EXIT_WRITTEN:
        return "ended", usage
    if code == _EXIT_LOST:
        return "abandoned (lease lost)", usage
    if code == _EXIT_MEMORY:
        _fail(job_id, holder, user_id, _OVER_MEMORY, mb=limits.memory_mb)
        return "stopped (memory)", usage
    if code in (-signal.SIGXCPU, -signal.SIGKILL) and usage is not None and _cpu(usage) >= (
        limits.seconds
    ):
        _fail(job_id, holder, user_id, _OVER_TIME, seconds=_n(limits.seconds))
        return "stopped (time)", usage
    cause = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    _fail(
        job_id,
        holder,
        user_id,
        _CRASHED,
        cause=cause,
        mb=limits.memory_mb,
    )
    return f"crashed ({cause})", usage


def _child(app, job_id: int, holder: str, limits: Limits) -> None:
    """Run the handler in the forked job process, then leave without running any cleanup."""
    code = 1
    try:
        _die_with_parent()
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the worker's to decide
        _forget_inherited_connections(app)
        _limit_resources(limits)
        with app.app_context():
            code = _run_handler(job_id, holder)
    except MemoryError:
        code = _EXIT_MEMORY
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run_handler(job_id: int, holder: str) -> int:
    """Run the job's handler and write its outcome, in the job's process."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        user = session.get(User, job.user_id)
        try:
            result = _HANDLERS[job.kind](
                session, job, user, json.loads(job.params), _progress(job_id, holder)
            )
            session.flush()
        except MemoryError:
            raise
        except Exception as exc:  # a failed job is reported, never lost
            session.rollback()
            current_app.logger.error("job %s failed\n%s", job_id, traceback.format_exc())
            error = f"{type(exc).__name__}: {exc}"
            _update_held(session, job_id, holder, **_failed(error))
            session.commit()
            return _EXIT_WRITTEN
        values = {"status": "done", "progress": 100, "finished_at": utcnow(), "lease_until": None}
        if result:
            values["result_path"], values["result_name"], values["result_type"] = result
        # The handler's work and "done" commit together, and only while this worker holds it.
        if not _update_held(session, job_id, holder, **values):
            session.rollback()
            return _EXIT_LOST
        session.commit()
        return _EXIT_WRITTEN


def _progress(job_id: int, holder: str):
    def progress(percent: int, message: str | None = None) -> None:
        # Its own short transaction, so pollers see progress while the work goes on.
        with session_scope() as side:
            _update_held(
                side,
                job_id,
                holder,
                progress=max(0, min(100, int(percent))),
                message=message[:500] if message else message,
            )
            side.commit()

    return progress


def _update_held(session: Session, job_id: int, holder: str, **values) -> bool:
    """Update a running job only while ``holder`` holds it; True when it did."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker == holder, Job.status == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _renew_quietly(job_id: int, holder: str, lease_seconds: float) -> bool | None:
    """Renew the lease; None when the database did not answer (try again at the next beat)."""
    try:
        with session_scope() as session:
            held = renew(session, job_id, holder, lease_seconds)
            session.commit()
            return held
    except SQLAlchemyError as exc:
        log.warning("job %s: lease not renewed (%s); trying again", job_id, exc)
        return None


def _fail(job_id: int, holder: str, user_id: int, message: str, **params) -> None:
    """Fail a running job this worker holds, with ``message`` in its user's language."""
    with session_scope() as session:
        error = _in_language_of(session, user_id, message, **params)
        _update_held(session, job_id, holder, **_failed(error))
        session.commit()


def _failed(error: str) -> dict:
    return {"status": "failed", "error": error, "finished_at": utcnow(), "lease_until": None}


def _release(job_id: int, holder: str) -> None:
    """Give a job back to the queue when its worker is stopped (the next sweep resends it)."""
    try:
        with session_scope() as session:
            _update_held(
                session,
                job_id,
                holder,
                status="queued",
                worker=None,
                lease_until=None,
                attempts=Job.attempts - 1,
            )
            session.commit()
    except SQLAlchemyError:  # its lease runs out instead and the sweep takes it back
        log.exception("job %s: could not give it back to the queue", job_id)


def _in_language_of(session: Session, user_id: int, message: str, **params) -> str:
    user = session.get(User, user_id)
    locale = (user.language if user else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return gettext(message, **params)


def _log_sweep(report: SweepReport) -> None:
    if report.requeued or report.failed or report.resent:
        log.warning(
            "jobs swept: queued again %s, failed %s, resent %s",
            report.requeued,
            report.failed,
            report.resent,
        )


# --- processes ----------------------------------------------------------------------------------


class _Consumer(Consumer):
    """huey's consumer, whose worker and scheduler processes end when it ends (even on -9)."""

    def get_environment(self, worker_type):
        environment = super().get_environment(worker_type)
        init_child = environment.init_child

        def init_child_bound_to_parent(process):
            _die_with_parent()
            init_child(process)

        environment.init_child = init_child_bound_to_parent
        return environment


class _ExitWaiter:
    """Wait for a child process with a timeout (a pidfd where Linux has one, else polling)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.ended = None  # (status, rusage) once reaped: the pid may then belong to another
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.fd = None

    def wait(self, timeout: float):
        """Return ``(status, rusage)`` once the child ended, or None after ``timeout`` s."""
        end = time.monotonic() + timeout
        while self.ended is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.ended = status, usage
                break
            left = end - time.monotonic()
            if left <= 0:
                return None
            if self.fd is not None:
                select.select([self.fd], [], [], left)
            else:
                time.sleep(min(left, 0.05))
        return self.ended

    def kill(self):
        """Kill the child unless it ended already; return ``(status, rusage)``."""
        if self.ended is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _pid, status, usage = os.wait4(self.pid, 0)
            self.ended = status, usage
        return self.ended

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _limit_resources(limits: Limits) -> None:
    """Cap this process's address space at its current size plus the job's memory, and its CPU."""
    idle = _address_space()
    if idle is not None and limits.memory_mb > 0:
        cap = idle + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    # CPU time cannot exceed wall time in one thread: a backstop should the worker not watch.
    soft = int(limits.seconds) + 1
    _current, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _address_space() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * resource.getpagesize()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends (PR_SET_PDEATHSIG)."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the lease still catches a lost worker
        return
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


def _forget_inherited_connections(app) -> None:
    """Give this forked process its own database engine and queue connection."""
    _INHERITED.append(app.extensions[_ENGINE_KEY])
    app.extensions[_ENGINE_KEY] = make_engine(app.config["DATABASE_URL"])
    huey, _task = app.extensions[_KEY]
    storage = huey.storage
    if getattr(storage, "_conn", None) is not None:
        _INHERITED.append(storage._conn)
        storage._conn = None
    if hasattr(storage, "lock"):
        storage.lock = threading.Lock()  # another thread of the parent may have held it


def _per_kind(config, setting: str) -> dict[str, float]:
    """Read a ``("kind=value", ...)`` setting (a dict is accepted too)."""
    value = config.get(setting) or ()
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items()}
    if isinstance(value, str):
        value = value.split(",")
    pairs = {}
    for item in value:
        kind, sep, number = str(item).partition("=")
        try:
            if not sep or not kind.strip():
                raise ValueError
            pairs[kind.strip()] = float(number)
        except ValueError:
            raise ValueError(f"{setting}: {item!r} is not kind=number") from None
    return pairs


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def _n(seconds: float) -> str:
    return f"{seconds:g}"
