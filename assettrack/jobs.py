"""Background jobs (huey): imports, large reports, exports, whole-graph analytics.

A job is a row in ``job`` (status, progress, result file) and a huey task that runs the handler
registered for its kind. huey keeps its queue in ``instance/huey.sqlite`` unless
``ASSETTRACK_REDIS_URL`` is set (several app servers share one Redis). ``assettrack jobs worker``
is the consumer; ``make run`` starts it beside the web server.
"""

import json
import traceback
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from huey import RedisHuey
from huey import SqliteHuey
from sqlmodel import Session

from .db import session_scope
from .models import Job
from .models import User
from .models import utcnow

__all__ = ["init_app", "handler", "create_job", "start_job", "job_as_dict", "job_file", "worker"]

_HANDLERS: dict[str, Callable] = {}
_KEY = "assettrack.huey"


def handler(kind: str):
    """Register ``fn(session, job, params, progress) -> (path, name, mimetype) | None``."""

    def decorate(fn):
        _HANDLERS[kind] = fn
        return fn

    return decorate


def init_app(app):
    """Create the huey queue for ``app`` and register the task that runs jobs."""
    if app.config.get("REDIS_URL"):
        huey = RedisHuey("assettrack", url=app.config["REDIS_URL"])
    else:
        huey = SqliteHuey("assettrack", filename=str(Path(app.instance_path) / "huey.sqlite"))
    huey.immediate = bool(app.config.get("JOBS_IMMEDIATE"))

    @huey.task(name="assettrack.run_job")
    def run_job(job_id: int):
        with app.app_context():
            _run(job_id)

    app.extensions[_KEY] = (huey, run_job)


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


def worker(workers: int = 2) -> None:
    """Run the huey consumer in this process until interrupted."""
    from huey.consumer import Consumer

    huey, _task = current_app.extensions[_KEY]
    Consumer(huey, workers=workers, worker_type="thread").run()


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
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def job_file(job: Job) -> Path | None:
    """Return the path of the file a finished job made, if it still exists."""
    if job.status != "done" or not job.result_path:
        return None
    path = Path(current_app.config["FILES_DIR"]) / job.result_path
    return path if path.is_file() else None


def _run(job_id: int) -> None:
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "queued":
            return
        job.status = "running"
        job.started_at = utcnow()
        session.add(job)
        session.commit()
        user = session.get(User, job.user_id)

        def progress(percent: int, message: str | None = None) -> None:
            # Its own short transaction, so pollers see progress while the work goes on.
            with session_scope() as side:
                row = side.get(Job, job_id)
                row.progress = max(0, min(100, int(percent)))
                row.message = message
                side.add(row)
                side.commit()

        try:
            result = _HANDLERS[job.kind](session, job, user, json.loads(job.params), progress)
            session.commit()
        except Exception as exc:  # a failed job is reported, never lost
            session.rollback()
            job = session.get(Job, job_id)
            job.status = "failed"
            job.error = f"{type(exc).__name__}: {exc}"
            job.finished_at = utcnow()
            session.add(job)
            session.commit()
            current_app.logger.error("job %s failed\n%s", job_id, traceback.format_exc())
            return
        job = session.get(Job, job_id)
        session.refresh(job)
        if result:
            job.result_path, job.result_name, job.result_type = result
        job.status = "done"
        job.progress = 100
        job.finished_at = utcnow()
        session.add(job)
        session.commit()
