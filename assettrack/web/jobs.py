"""A background job's page (progress bar) and the download of what it made."""

from flask import Blueprint
from flask import abort
from flask import render_template
from flask import send_file
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from .. import audit
from .. import jobs
from ..db import get_session
from ..models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def get_own_job(job_id: int) -> Job:
    """Return the job if the current user started it, else 404."""
    job = get_session().get(Job, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.route("/<int:job_id>")
@login_required
def detail(job_id: int):
    """Show a job's progress; the page polls the API until it is done."""
    job = get_own_job(job_id)
    return render_template(
        "jobs/detail.html",
        job=job,
        status_url=url_for("api.job", job_id=job.id),
        result_url=url_for("jobs.download", job_id=job.id),
    )


@bp.route("/<int:job_id>/download")
@login_required
def download(job_id: int):
    """Send the file a finished job made (a consultation: the job recorded the disclosure)."""
    job = get_own_job(job_id)
    path = jobs.job_file(job)
    if path is None:
        abort(404)
    db = get_session()
    # A GET records no disclosure (DECISIONS, for every issue): the job that made the file did,
    # when it was complete; downloading it again is a consultation.
    audit.record(
        db,
        current_user,
        audit.Action.READ,
        "job",
        job.id,
        details={"file": job.result_name, "kind": job.kind, "download": True},
    )
    db.commit()
    return send_file(
        path, mimetype=job.result_type, as_attachment=True, download_name=job.result_name
    )
