"""``assettrack duplicates ...``: candidate duplicates within each organisation.

Attached by :func:`assettrack.cli.register_cli`.
"""

import click
from flask.cli import with_appcontext

from ..db import get_session
from . import organisations

__all__ = ["duplicates_group"]


@click.group("duplicates")
def duplicates_group():
    """Duplicate entities within each organisation."""


@duplicates_group.command("find")
@click.option("--org", "code", default=None, help="Only this organisation (UN/LOCODE).")
@with_appcontext
def duplicates_find(code):
    """Search for candidate duplicates (per organisation, never across) and store them."""
    from ..services import duplicates

    db = get_session()
    for org in organisations(db, code):
        result = duplicates.scan(db, org.id)
        db.commit()
        if result.entity_count:
            pairs = result.entity_count * (result.entity_count - 1) // 2
            click.echo(
                f"{org.code}: {result.entity_count} entities, {result.comparisons} comparisons "
                f"(every pair: {pairs}), {result.candidate_count} candidates "
                f"in {result.seconds:.1f} s"
            )
