"""/api/v1/jobs"""

from flask import url_for
from flask_login import current_user

from .. import jobs
from ..db import get_session
from ..errors import NotFound
from ..models import Job
from . import bp


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    """Return a job's status, progress and, when done, the URL of its file."""
    row = get_session().get(Job, job_id)
    if row is None or row.user_id != current_user.id:
        raise NotFound(f"job {job_id} not found")
    result = url_for("jobs.download", job_id=row.id) if row.result_path else None
    return jobs.job_as_dict(row, result)
