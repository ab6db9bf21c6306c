"""``assettrack report``: case briefs and partner reports as PDF files, and their verification.

A report is made as a user (``--as EMAIL``, or ``ASSETTRACK_USER``): their scope decides what
may be read, and the disclosure is logged under their name, as on the web.
"""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import get_session
from ..errors import DomainError
from . import fail

__all__ = ["report_group"]

_AS = click.option(
    "--as",
    "email",
    required=True,
    envvar="ASSETTRACK_USER",
    help="E-mail of the user who makes the report (or ASSETTRACK_USER).",
)
_OUT = click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the PDF.",
)
_LANGUAGE = click.option(
    "--language",
    type=click.Choice(["en", "fr"]),
    default=None,
    help="Default: the user's (brief) or the recipient's when en/fr (partner report).",
)


@click.group("report")
def report_group():
    """PDF reports: case briefs, partner reports, and checking an issued file."""


@report_group.command("case")
@click.argument("reference")
@_OUT
@_AS
@_LANGUAGE
@with_appcontext
def report_case(reference, out, email, language):
    """Write the brief of case REFERENCE to --out (logged as a disclosure)."""
    from .. import access
    from ..models import Case

    db = get_session()
    user = _user(db, email)
    case = db.scalar(
        access.visible_cases(db, user).where(Case.reference == reference.strip().upper())
    )
    if case is None:
        click.echo(f"error: no case {reference} within the reach of {email}", err=True)
        sys.exit(2)
    report, _data = _issue(
        db, user, {"kind": "case_brief", "case": case.id, "language": language}, out
    )
    click.echo(f"{report.number} written to {out} (SHA-256 {report.sha256})")


@report_group.command("partner")
@click.option("--to", "to", required=True, help="UN/LOCODE of the recipient organisation.")
@click.option("--year", type=int, default=None, help="The year reported on.")
@click.option("--since", default=None, help="First day (YYYY-MM-DD), with --until.")
@click.option("--until", default=None, help="Last day (YYYY-MM-DD), with --since.")
@click.option("--justification", required=True, help="Why this disclosure is made.")
@_OUT
@_LANGUAGE
@_AS
@with_appcontext
def report_partner(to, year, since, until, justification, out, language, email):
    """Write a partner report from the user's organisation to --to (logged as a disclosure)."""
    import json

    from ..services import issuing

    db = get_session()
    user = _user(db, email)
    data = {
        "kind": "partner",
        "to": to,
        "year": year,
        "since": since,
        "until": until,
        "language": language,
        "justification": justification,
    }
    report, _data = _issue(db, user, data, out)
    cases = ", ".join(issuing.report_as_dict(db, report)["cases"]) or "no case"
    audit_details = _last_disclosure(db, report)
    withheld = sum(json.loads(audit_details).get("withheld", {}).values())
    click.echo(
        f"{report.number} to {to.strip().upper()} written to {out}: {cases}; "
        f"{withheld} withheld (SHA-256 {report.sha256})"
    )


@report_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    "number",
    default=None,
    help="The report id the file claims (R-000042): a differing file is MODIFIED.",
)
@with_appcontext
def report_verify(file, number):
    """Say whether FILE was issued, to whom and when (exit 0), or not / modified (exit 1).

    The file is compared by its SHA-256 only; it is never parsed.
    """
    from ..models import Report
    from ..services import issuing

    db = get_session()
    with file.open("rb") as stream:
        digest, _size = issuing.hash_stream(stream, current_app.config["VERIFY_MAX_BYTES"])
    claimed = None
    if number is not None:
        try:
            claimed = db.get(Report, issuing.parse_report_number(number))
        except DomainError as exc:
            fail(exc)
    report = issuing.verify_by_hash(db, digest)
    if report is not None and (claimed is None or claimed.id == report.id):
        r = issuing.report_as_dict(db, report)
        cases = ", ".join(r["cases"]) or "no case"
        click.echo(
            f"issued: report {r['number']} ({r['kind']}) by {r['issuer']} to {r['recipient']} "
            f"on {r['issued_at'] or r['created_at']} by {r['created_by']}; cases {cases}; "
            f"SHA-256 {r['sha256']}"
            + (
                f"; WITHDRAWN on {r['withdrawn_at']}: {r['withdrawal_reason']}"
                if r["withdrawn_at"]
                else ""
            )
        )
        return
    if claimed is not None and claimed.sha256:
        click.echo(
            f"MODIFIED: not the file issued as report {claimed.number} to "
            f"{issuing.report_as_dict(db, claimed)['recipient']} (SHA-256 {digest}, "
            f"issued {claimed.sha256})",
            err=True,
        )
    else:
        known = db.scalar(select(Report.id).limit(1)) is not None
        click.echo(
            f"NOT ISSUED: no report issued by this installation has SHA-256 {digest}"
            + ("" if known else " (no report has been issued here yet)"),
            err=True,
        )
    sys.exit(1)


def _user(db, email):
    from ..services import accounts

    try:
        return accounts.get_user_by_email(db, email)
    except DomainError as exc:
        fail(exc)


def _issue(db, user, data, out):
    """Ask for a report and make its file here, without the job worker; write it to ``out``."""
    from ..services import issuing

    limits = issuing.Limits.from_config(current_app.config)
    try:
        report, _job = issuing.request_report(db, user, data, limits=limits, queue=False)
        pdf = issuing.make_file(
            db, user, report, files_dir=current_app.config["FILES_DIR"], limits=limits
        )
    except DomainError as exc:
        db.rollback()
        fail(exc)
    db.commit()
    out.write_bytes(pdf)
    return report, pdf


def _last_disclosure(db, report) -> str:
    from ..models import AuditEntry

    return (
        db.scalar(
            select(AuditEntry.details)
            .where(
                AuditEntry.object_type == "report",
                AuditEntry.object_id == str(report.id),
                AuditEntry.action == "disclose",
            )
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        or "{}"
    )
