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

from .db import get_session
from .errors import DomainError

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
    """PDF reports: case briefs, partner reports, and checking a PDF."""


@report_group.command("case")
@click.argument("reference")
@_OUT
@_AS
@_LANGUAGE
@with_appcontext
def report_case(reference, out, email, language):
    """Write the brief of case REFERENCE to --out (logged as a disclosure)."""
    from . import access
    from .models import Case
    from .services import accounts
    from .services import reports as report_service

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
        case = db.scalar(
            access.visible_cases(db, user).where(Case.reference == reference.strip().upper())
        )
        if case is None:
            click.echo(f"error: no case {reference} within the reach of {email}", err=True)
            sys.exit(2)
        context = report_service.case_brief_context(db, user, case, language=language)
        issued = report_service.issue_report(
            db, user, context, files_dir=current_app.config["FILES_DIR"]
        )
    except DomainError as exc:
        _fail(exc)
    db.commit()
    out.write_bytes(issued.pdf)
    click.echo(f"{issued.report.number} written to {out} (SHA-256 {issued.report.sha256})")


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
    from .models import Organisation
    from .services import accounts
    from .services import reports as report_service
    from .services.cases import org_today

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
        org = db.get(Organisation, user.organisation_id)
        period = report_service.parse_period(year, since, until, today=org_today(org))
        context = report_service.partner_report_context(
            db, user, to, period, language=language, justification=justification
        )
        issued = report_service.issue_report(
            db, user, context, files_dir=current_app.config["FILES_DIR"]
        )
    except DomainError as exc:
        _fail(exc)
    db.commit()
    out.write_bytes(issued.pdf)
    cases = ", ".join(context["case_references"]) or "no case"
    click.echo(
        f"{issued.report.number} to {context['recipient']['code']} written to {out}: {cases}; "
        f"{context['withheld_total']} withheld (SHA-256 {issued.report.sha256})"
    )


@report_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def report_verify(file):
    """Say whether FILE was issued, to whom and when (exit 0), or not / modified (exit 1)."""
    from .models import Report
    from .services import reports as report_service

    db = get_session()
    result = report_service.verify_report(db, file.read_bytes())
    if result["issued"]:
        r = result["report"]
        cases = ", ".join(r["cases"]) or "no case"
        click.echo(
            f"issued: report {r['number']} ({r['kind']}) by {r['issuer']} to {r['recipient']} "
            f"on {r['created_at']} by {r['created_by']}; cases {cases}; SHA-256 {r['sha256']}"
        )
        return
    if result["claims"]:
        r = result["claims"]
        click.echo(
            f"MODIFIED: the file names report {r['number']}, issued to {r['recipient']} on "
            f"{r['created_at']}, but it is not the file issued (SHA-256 {result['sha256']}, "
            f"issued {r['sha256']})",
            err=True,
        )
    else:
        known = db.scalar(select(Report.id).limit(1)) is not None
        click.echo(
            f"NOT ISSUED: no report issued by this installation has SHA-256 {result['sha256']}"
            + ("" if known else " (no report has been issued here yet)"),
            err=True,
        )
    sys.exit(1)


def _fail(exc: DomainError):
    errors = getattr(exc, "errors", None) or exc.extra.get("errors") or {}
    for field, message in errors.items():
        click.echo(f"error: {field}: {message}", err=True)
    if not errors:
        click.echo(f"error: {exc.detail}", err=True)
    sys.exit(2)
