"""``assettrack screen-list ...``: reference lists and screening the entities against them.

Attached by :func:`assettrack.cli.register_cli`.
"""

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import get_session
from ..errors import DomainError
from . import fail
from . import organisations

__all__ = ["screen_list_group"]


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
    from ..services import screening

    db = get_session()
    org_id = organisations(db, code)[0].id if code else None
    try:
        with file.open(encoding="utf-8") as lines:
            listing = screening.load_list(db, name, lines, organisation_id=org_id, source=file.name)
    except DomainError as exc:
        fail(exc)
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
    from ..services import screening

    db = get_session()
    for org in organisations(db, code):
        started = time.perf_counter()
        screened, hits = screening.screen_organisation(db, org.id)
        db.commit()
        if screened:
            click.echo(
                f"{org.code}: {screened} entities screened, {len(hits)} hits "
                f"({time.perf_counter() - started:.1f} s)"
            )
