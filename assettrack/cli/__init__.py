"""The ``assettrack`` command: database, organisations, users, tokens, audit, jobs, demo data.

Every command works on ``ASSETTRACK_DATABASE_URL`` when set, else on instance/assettrack.sqlite.
"""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from flask.cli import with_appcontext

from ..db import get_session
from ..errors import DomainError

__all__ = ["main", "register_cli", "migrate"]

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _create_app():
    from .. import create_app

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
        __import__("assettrack.cli.network", fromlist=["network_group"]).network_group,
        __import__("assettrack.cli.duplicates", fromlist=["duplicates_group"]).duplicates_group,
        __import__("assettrack.cli.screening", fromlist=["screen_list_group"]).screen_list_group,
        *__import__("assettrack.cli.imports", fromlist=["COMMANDS"]).COMMANDS,
        __import__("assettrack.cli.reports", fromlist=["report_group"]).report_group,
        __import__("assettrack.cli.dossiers", fromlist=["dossiers_group"]).dossiers_group,
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


def fail(exc: DomainError):
    """Print a refusal's field errors (or its detail) on stderr and exit with status 2."""
    errors = getattr(exc, "errors", None) or exc.extra.get("errors") or {}
    for field, message in errors.items():
        click.echo(f"error: {field}: {message}", err=True)
    if not errors:
        click.echo(f"error: {exc.detail}", err=True)
    sys.exit(2)


def organisations(db, code):
    """The organisation with UN/LOCODE ``code`` (exit 2 when unknown), or every one by code."""
    from sqlalchemy import select

    from ..models import Organisation
    from ..services import accounts

    if code:
        try:
            return [accounts.get_organisation_by_code(db, code)]
        except DomainError as exc:
            fail(exc)
    return list(db.scalars(select(Organisation).order_by(Organisation.code)))


# --- db --------------------------------------------------------------------------------------


@click.group("db")
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply migrations and add the reference port cities that are missing."""
    from ..services import accounts
    from ..services import decisions

    migrate()
    db = get_session()
    added = accounts.seed_reference_organisations(db)
    for line in decisions.audit_reclassifications(db):
        click.echo(line)
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
@click.option(
    "--kind",
    type=click.Choice(["local", "remote", "installation"]),
    default="local",
    show_default=True,
    help="installation: the operator of this installation (its admins manage organisations).",
)
@with_appcontext
def org_add(code, name, country, tz, language, contact, kind):
    """Add an organisation CODE (UN/LOCODE) called NAME."""
    from ..services import accounts

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
            kind=kind,
        )
    except DomainError as exc:
        fail(exc)
    db.commit()
    click.echo(f"organisation {org.code} ({org.name}, {org.kind}) added")


@org_group.command("list")
@with_appcontext
def org_list():
    """List the organisations."""
    from sqlalchemy import select

    from ..models import Organisation

    for org in get_session().scalars(select(Organisation).order_by(Organisation.code)):
        click.echo(
            f"{org.code}\t{org.name}\t{org.country}\t{org.timezone}\t{org.language}\t"
            f"{org.contact_email or ''}\t{org.kind}"
        )


@org_group.command("enrol")
@click.argument("code")
@click.argument("email")
@click.option("--name", required=True, help="Full name of the new admin.")
@with_appcontext
def org_enrol(code, email, name):
    """Make a one-time link by which EMAIL enrols as an admin of CODE; printed last, once."""
    from flask import url_for

    from ..services import accounts

    db = get_session()
    hours = current_app.config["ENROLMENT_HOURS"]
    try:
        org = accounts.get_organisation_by_code(db, code)
        row, token = accounts.create_enrolment(db, None, org, email=email, name=name, hours=hours)
    except DomainError as exc:
        fail(exc)
    db.commit()
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        link = url_for("enrolment.enrol", token=token, _external=True)
    click.echo(
        f"enrolment link for {row.email}, admin of {org.code}, usable once until "
        f"{row.expires_at:%Y-%m-%d %H:%M} UTC (shown once; only its hash is kept):"
    )
    click.echo(link)


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
    from ..services import accounts

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
        fail(exc)
    db.commit()
    click.echo(f"user {user.email} ({user.role}, {', '.join(o.upper() for o in orgs)}) created")


@user_group.command("deactivate")
@click.argument("email")
@with_appcontext
def user_deactivate(email):
    """Deactivate EMAIL: no more logins or API calls; the account and its trail stay."""
    from ..services import accounts

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
    except DomainError as exc:
        fail(exc)
    accounts.deactivate_user(db, None, user)
    db.commit()
    click.echo(f"user {user.email} deactivated")


@user_group.command("grant")
@click.argument("email")
@click.option("--org", "code", required=True, help="Organisation whose cases the liaison reads.")
@with_appcontext
def user_grant(email, code):
    """Grant the liaison EMAIL the cases of organisation CODE."""
    _change_grant(email, code, grant=True)


@user_group.command("withdraw")
@click.argument("email")
@click.option("--org", "code", required=True, help="Organisation granted to the liaison.")
@with_appcontext
def user_withdraw(email, code):
    """Withdraw the grant of organisation CODE from the liaison EMAIL."""
    _change_grant(email, code, grant=False)


def _change_grant(email: str, code: str, *, grant: bool) -> None:
    from ..services import accounts

    db = get_session()
    change = accounts.grant_organisation if grant else accounts.withdraw_grant
    try:
        user = accounts.get_user_by_email(db, email)
        org = accounts.get_organisation_by_code(db, code)
        changed = change(db, None, user, org)
    except DomainError as exc:
        fail(exc)
    db.commit()
    outcome = {
        (True, True): "now reads the cases of",
        (True, False): "already reads the cases of",
        (False, True): "no longer reads the cases of",
        (False, False): "held no grant to",
    }[grant, changed]
    click.echo(f"{user.email} {outcome} {org.code}")


# --- tokens ----------------------------------------------------------------------------------


@click.group("token")
def token_group():
    """API tokens."""


@token_group.command("add")
@click.argument("email")
@click.option("--read-only", is_flag=True, help="The token may only read (GET requests).")
@click.option("--name", default=None, help="What the token is for (shown to its owner).")
@with_appcontext
def token_add(email, read_only, name):
    """Create an API token for EMAIL; it is printed once, as the last line."""
    from ..services import accounts

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
        lifetime = current_app.config["API_TOKEN_LIFETIME"]
        token = accounts.create_token(
            db, None, user, lifetime=lifetime, read_only=read_only, name=name
        )
    except DomainError as exc:
        fail(exc)
    db.commit()
    click.echo(
        f"{'Read-only API' if read_only else 'API'} token for {user.email}, "
        f"valid {lifetime.days} days "
        "(shown once; only its hash is kept):"
    )
    click.echo(token)


@token_group.command("revoke")
@click.argument("email")
@click.option("--prefix", default=None, help="Revoke only the token starting with this.")
@with_appcontext
def token_revoke(email, prefix):
    """Revoke the API tokens of EMAIL."""
    from ..services import accounts

    db = get_session()
    try:
        user = accounts.get_user_by_email(db, email)
    except DomainError as exc:
        fail(exc)
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
    """Check the hash chain and the checkpoint outside the database.

    Exit codes: 0 intact; 1 broken (altered, missing or cut-off entries, an erasure no erase
    entry names); 3 checkpoint missing; 4 checkpoint corrupt; 5 checkpoint of another
    database; 6 an entry's key is not in the keyring.
    """
    from .. import audit

    result = audit.verify_chain(get_session())
    if result.ok:
        click.echo(f"audit chain intact: {result.count} entries")
        return
    label = {
        audit.Outcome.BROKEN: "audit chain BROKEN",
        audit.Outcome.CHECKPOINT_MISSING: "audit checkpoint MISSING",
        audit.Outcome.CHECKPOINT_CORRUPT: "audit checkpoint CORRUPT",
        audit.Outcome.CHECKPOINT_FOREIGN: "audit checkpoint OF ANOTHER DATABASE",
        audit.Outcome.KEY_MISSING: "audit key MISSING",
    }[result.outcome]
    click.echo(f"{label}: {result.problem}", err=True)
    sys.exit(int(result.outcome))


@audit_group.command("rotate-key")
@with_appcontext
def audit_rotate_key():
    """Seal a rotation entry with the current key naming a new one, and install the new key.

    Stop the web servers and job workers first: they hold the old key, which the log refuses
    once rotated. Retired keys stay in the keyring (AUDIT_KEYRING) for verification.
    """
    from .. import audit

    db = get_session()
    old = current_app.config["AUDIT_KEY"].encode()
    old_id, new_id, path = audit.rotate_key(db, actor="assettrack audit rotate-key")
    db.commit()
    click.echo(f"audit key {old_id} retired; new key {new_id} written to {path}")
    key_file = Path(current_app.instance_path) / "audit_key"
    if audit.install_key(key_file, old, path):
        click.echo(f"{key_file} now holds key {new_id}; restart the application")
    else:
        click.echo(
            f"the current key does not come from {key_file}: set ASSETTRACK_AUDIT_KEY (or "
            f"AUDIT_KEY) to the content of {path} on every server, then restart them"
        )


@audit_group.command("reset-checkpoint")
@with_appcontext
def audit_reset_checkpoint():
    """Verify the chain, record a reset entry and rewrite a missing or wrong checkpoint.

    Refused (exit 1 or 6) when the chain itself is broken. Use it after finding out why the
    checkpoint was missing, corrupt or of another database (docs/operations.md).
    """
    from .. import audit

    db = get_session()
    result = audit.reset_checkpoint(db, actor="assettrack audit reset-checkpoint")
    if result.outcome in (audit.Outcome.BROKEN, audit.Outcome.KEY_MISSING):
        click.echo(f"audit chain BROKEN, checkpoint not reset: {result.problem}", err=True)
        sys.exit(int(result.outcome))
    db.commit()
    click.echo(f"audit checkpoint reset (was {result.outcome.name.lower()}) at the log's head")


# --- jobs ------------------------------------------------------------------------------------


@click.group("jobs")
def jobs_group():
    """Background jobs."""


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--supervise", is_flag=True, help="Start the worker again whenever it dies.")
@click.option("--with-parent", is_flag=True, hidden=True)
@with_appcontext
def jobs_worker(workers, supervise, with_parent):
    """Run the job consumer (imports, reports, exports, analytics)."""
    import logging

    from .. import jobs

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if supervise:
        argv = [sys.executable, "-c", "from assettrack.cli import main; main()"]
        argv += ["jobs", "worker", "--workers", str(workers), "--with-parent"]
        sys.exit(jobs.supervise(argv))
    jobs.worker(workers, with_parent=with_parent)


@jobs_group.command("reap")
@with_appcontext
def jobs_reap():
    """Queue again (or fail) the jobs whose worker died; resend the messages the queue lost."""
    from .. import jobs

    report = jobs.sweep()
    click.echo(
        f"queued again: {len(report.requeued)}, failed: {len(report.failed)}, "
        f"messages resent: {len(report.resent)}"
    )


# --- demo ------------------------------------------------------------------------------------


@click.group("demo")
def demo_group():
    """Demonstration data."""


@demo_group.command("seed")
@with_appcontext
def demo_seed():
    """Load the fictional demo data into a database without users, with one random password for
    every demo account: printed once here and kept in instance/demo-logins.txt (mode 0600)."""
    from ..services import demo

    db = get_session()
    path = Path(current_app.instance_path) / demo.LOGINS_FILE
    password = demo.new_password()
    if not demo.seed(db, password):
        db.rollback()
        click.echo("demo data already present (not loaded twice)")
        if path.exists():
            click.echo(f"its logins and their password are in {path}")
        else:
            click.echo(f"{path} with its logins is gone; an admin can set new passwords")
        return
    db.flush()
    rows = demo.logins(db)
    demo.write_logins(path, password, rows)
    db.commit()
    click.echo("demo data loaded")
    click.echo("")
    click.echo(f"Demo logins (one password for all, chosen at random here: {password})")
    for email, role, orgs in rows:
        click.echo(f"  {email:<40} {role:<8} {orgs}")
    click.echo("")
    click.echo(f"Shown once here; kept for you in {path} (readable by you only).")
    click.echo(
        "Second factor: not required in these demo organisations only; every other "
        "organisation requires one (an authenticator app) at sign-in."
    )
