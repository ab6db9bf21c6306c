"""``assettrack screen-list ...`` and ``assettrack duplicates ...``: screening and duplicates.

Attached by :func:`assettrack.cli.register_cli` through :data:`COMMANDS`.
"""

import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .db import get_session
from .errors import DomainError

__all__ = ["COMMANDS", "screen_list_group", "duplicates_group"]


def _fail(exc: DomainError):
    errors = getattr(exc, "errors", None) or exc.extra.get("errors") or {}
    for field, message in errors.items():
        click.echo(f"error: {field}: {message}", err=True)
    if not errors:
        click.echo(f"error: {exc.detail}", err=True)
    sys.exit(2)


def _organisations(db, code):
    from .models import Organisation
    from .services import accounts

    if code:
        try:
            return [accounts.get_organisation_by_code(db, code)]
        except DomainError as exc:
            _fail(exc)
    return list(db.scalars(select(Organisation).order_by(Organisation.code)))


# --- screen-list -----------------------------------------------------------------------------


@click.group("screen-list")
def screen_list_group():
    """Reference lists (sanctions exports) that entities are screened against."""


@screen_list_group.command("add")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "code", default=None, help="Only this organisation uses the list.")
@with_appcontext
def screen_list_add(name, file, code):
    """Load (or replace) list NAME from FILE, FtM entities as JSON lines.

    Parties and assets with a name are kept with their aliases, identifiers, birth dates and
    countries; each Sanction adds its programme, authority and reason to its subject.
    """
    from .services import screening

    db = get_session()
    org_id = _organisations(db, code)[0].id if code else None
    try:
        with file.open(encoding="utf-8") as lines:
            listing = screening.load_list(db, name, lines, organisation_id=org_id, source=file.name)
    except DomainError as exc:
        _fail(exc)
    db.commit()
    click.echo(
        f"list {listing.name}: {listing.entry_count} entries loaded; "
        "run `assettrack screen-list run` to screen the cases' entities"
    )


@screen_list_group.command("run")
@click.option("--org", "code", default=None, help="Only this organisation (UN/LOCODE).")
@with_appcontext
def screen_list_run(code):
    """Screen the entities of every organisation (or one) against the lists; store the hits."""
    from .services import screening

    db = get_session()
    for org in _organisations(db, code):
        started = time.perf_counter()
        screened, hits = screening.screen_organisation(db, org.id)
        db.commit()
        if screened:
            click.echo(
                f"{org.code}: {screened} entities screened, {len(hits)} hits "
                f"({time.perf_counter() - started:.1f} s)"
            )


# --- duplicates ------------------------------------------------------------------------------


@click.group("duplicates")
def duplicates_group():
    """Duplicate entities within each organisation."""


@duplicates_group.command("find")
@click.option("--org", "code", default=None, help="Only this organisation (UN/LOCODE).")
@with_appcontext
def duplicates_find(code):
    """Search for candidate duplicates (per organisation, never across) and store them."""
    from .services import duplicates

    db = get_session()
    for org in _organisations(db, code):
        result = duplicates.scan(db, org.id)
        db.commit()
        if result.entity_count:
            pairs = result.entity_count * (result.entity_count - 1) // 2
            click.echo(
                f"{org.code}: {result.entity_count} entities, {result.comparisons} comparisons "
                f"(every pair: {pairs}), {result.candidate_count} candidates "
                f"in {result.seconds:.1f} s"
            )


#: The command groups :func:`assettrack.cli.register_cli` attaches.
COMMANDS = (screen_list_group, duplicates_group)
