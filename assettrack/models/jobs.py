"""Background jobs: their state, progress and the file they made."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = ["Job", "JobStatus", "JOB_STATUSES"]


class JobStatus(StrEnum):
    """Where a job stands: waiting for a worker, running, finished or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: The stored values of :class:`JobStatus`, in its order.
JOB_STATUSES = tuple(status.value for status in JobStatus)


class Job(SQLModel, table=True):
    """A long piece of work (import, report, export, analytics) run by the job worker.

    A worker claims a queued job by setting ``worker`` (a token naming its host and process) and
    ``lease_until``, and renews the lease while the job runs; a job whose lease ran out lost its
    worker and is queued again or, after the last attempt, failed (see ``assettrack.jobs``).

    Fate: kept (the record of work done; a file it made follows the fate of the report or
    export it is).
    """

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_job_progress"),
        enum_check("status", JobStatus, name="ck_job_status"),
        CheckConstraint("attempts >= 0", name="ck_job_attempts"),
        # The sweeper's two questions: which running jobs lost their lease, which are queued.
        Index("ix_job_status_lease", "status", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(32))
    status: str = Field(default="queued", sa_type=String(8))
    progress: int = Field(default=0)
    message: str | None = Field(default=None, sa_type=String(500))
    params: str = Field(default="{}", sa_type=Text)
    result_path: str | None = Field(default=None, sa_type=String(500))
    result_name: str | None = Field(default=None, sa_type=String(200))
    result_type: str | None = Field(default=None, sa_type=String(100))
    error: str | None = Field(default=None, sa_type=Text)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Times a worker started it (a worker that dies while running it costs one attempt).
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Until when the worker holding it is presumed alive; renewed by its heartbeat.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Which worker holds it ("host:pid:token"); every write of a running job names it.
    worker: str | None = Field(default=None, sa_type=String(100))
