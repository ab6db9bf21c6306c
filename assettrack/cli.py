"""The ``assettrack`` command: database, organisations, users, tokens, audit, jobs, demo data.

Every command works on ``ASSETTRACK_DATABASE_URL`` when set, else on instance/assettrack.sqlite.
"""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from flask.cli import with_appcontext

from .db import get_session
from .errors import DomainError

__all__ = ["main", "register_cli", "migrate"]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _create_app():
    from . import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def main():
    """assettrack: trace, freeze, manage and confiscate criminal assets."""


def register_cli(app):
    """Attach the command groups to ``app`` (also reachable through ``flask --app wsgi``)."""
    for command in (
        db_group,
        org_group,
        user_group,
        token_group,
        audit_group,
        jobs_group,
        demo_group,
        __import__("assettrack.cli_network", fromlist=["network_group"]).network_group,
        *__import__("assettrack.cli_matching", fromlist=["COMMANDS"]).COMMANDS,
        *__import__("assettrack.cli_imports", fromlist=["COMMANDS"]).COMMANDS,
        __import__("assettrack.cli_reports", fromlist=["report_group"]).report_group,
    ):
        app.cli.add_command(command)


def migrate(url: str | None = None, revision: str = "heads") -> None:
    """Apply the Alembic migrations to the app's database (or ``url``).

    "heads": branches written side by side are all applied (a merge revision joins them).
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", (url or current_app.config["DATABASE_URL"]).replace("%", "%%")
    )
    command.upgrade(config, revision)


def _fail(exc: DomainError):
    errors = getattr(exc, "errors", None) or exc.extra.get("errors") or {}
    for field, message in errors.items():
        click.echo(f"error: {field}: {message}", err=True)
    if not errors:
        click.echo(f"error: {exc.detail}", err=True)
    sys.exit(2)


# --- db --------------------------------------------------------------------------------------


@click.group("db")
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply migrations and add the reference port cities that are missing."""
    from .services import accounts

    migrate()
    db = get_session()
    added = accounts.seed_reference_organisations(db)
    db.commit()
    click.echo(f"database at revision head; {added} reference organisations added")


# --- organisations ---------------------------------------------------------------------------


@click.group("org")
def org_group():
    """Organisations (cities, agencies)."""


@org_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--country", required=True, help="ISO 3166 two-letter code, e.g. NL.")
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. Europe/Amsterdam.")
@click.option("--language", required=True, help="ISO 639-1 code, e.g. nl.")
@click.option("--contact", default=None, help="E-mail for hit/no-hit enquiries.")
@with_appcontext
def org_add(code, name, country, tz, language, contact):
    """Add an organisation CODE (UN/LOCODE) called NAME."""
    from .services import accounts

    db = get_session()
    try:
        org = accounts.create_organisation(
            db,
            None,
            code=code,
            name=name,
            country=country,
            timezone=tz,
            language=language,
            contact_email=contact,
        )
    except DomainError as exc:
        _fail(exc)
    db.commit()
    click.echo(f"organisation {org.code} ({org.name}) added")


@org_group.command("list")
@with_appcontext
def org_list():
    """List the organisations."""
    from sqlalchemy import select

    from .models import Organisation

    for org in get_session().scalars(select(Organisation).order_by(Organisation.code)):
        click.echo(
            f"{org.code}\t{org.name}\t{org.country}\t{org.timezone}\t{org.language}\t"
            f"{org.contact_email or ''}"
        )


# --- users -----------------------------------------------------------------------------------


@click.group("user")
def user_group():
    """User accounts."""


@user_group.command("add")
@click.argument("email")
@click.option(
    "--org",
    "orgs",
    multiple=True,
    required=True,
    help="Organisation code; repeat for a liaison's further organisations.",
)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["officer", "liaison", "partner", "auditor", "admin"]),
)
@click.option("--name", default=None, help="Full name (defaults to the e-mail's local part).")
@click.option("--language", type=click.Choice(["en", "fr"]), default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def user_add(email, orgs, role, name, language, password_stdin):
    """Create the user EMAIL (the password is prompted for unless --password-stdin)."""
    from .services import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = get_session()
    try:
        user = accounts.create_user(
            db,
            None,
            email=email,
            name=name or email.split("@")[0],
            role=role,
            organisation_codes=list(orgs),
            password=password,
            language=language,
        )
    except DomainError as exc:
        _fail(exc)
    db.commit()
    click.echo(f"user {user.email} ({user.role}, {', '.join(o.upper() for o in orgs)}) created")


@user_group.command("deactivate")
@click.argument("email")
@with_appcontext
def user_deactivate(email):
    """Deactivate EMAIL: no more logins or API calls; the account and its trail stay."""
    from .services import accounts

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
    except DomainError as exc:
        _fail(exc)
    accounts.deactivate_user(db, None, user)
    db.commit()
    click.echo(f"user {user.email} deactivated")


# --- tokens ----------------------------------------------------------------------------------


@click.group("token")
def token_group():
    """API tokens."""


@token_group.command("add")
@click.argument("email")
@with_appcontext
def token_add(email):
    """Create an API token for EMAIL; it is printed once, as the last line."""
    from .services import accounts

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
        lifetime = current_app.config["API_TOKEN_LIFETIME"]
        token = accounts.create_token(db, None, user, lifetime=lifetime)
    except DomainError as exc:
        _fail(exc)
    db.commit()
    click.echo(
        f"API token for {user.email}, valid {lifetime.days} days "
        "(shown once; only its hash is kept):"
    )
    click.echo(token)


@token_group.command("revoke")
@click.argument("email")
@click.option("--prefix", default=None, help="Revoke only the token starting with this.")
@with_appcontext
def token_revoke(email, prefix):
    """Revoke the API tokens of EMAIL."""
    from .services import accounts

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
    except DomainError as exc:
        _fail(exc)
    count = accounts.revoke_tokens(db, None, user, prefix)
    db.commit()
    click.echo(f"{count} token(s) of {user.email} revoked")


# --- audit -----------------------------------------------------------------------------------


@click.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Check the hash chain; exit 1 naming the first broken entry."""
    from . import audit

    result = audit.verify_chain(get_session())
    if result.ok:
        click.echo(f"audit chain intact: {result.count} entries")
        return
    click.echo(f"audit chain BROKEN: {result.problem}", err=True)
    sys.exit(1)


# --- jobs ------------------------------------------------------------------------------------


@click.group("jobs")
def jobs_group():
    """Background jobs."""


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True)
@with_appcontext
def jobs_worker(workers):
    """Run the job consumer (imports, reports, exports, analytics)."""
    from . import jobs

    jobs.worker(workers)


# --- demo ------------------------------------------------------------------------------------


@click.group("demo")
def demo_group():
    """Demonstration data."""


@demo_group.command("seed")
@with_appcontext
def demo_seed():
    """Load the fictional demo data when the database holds no users yet, then list logins."""
    from .services import demo

    db = get_session()
    created = demo.seed(db)
    db.commit()
    click.echo("demo data loaded" if created else "demo data already present (not loaded twice)")
    click.echo("")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for email, role, orgs in demo.logins(db):
        click.echo(f"  {email:<40} {role:<8} {orgs}")
