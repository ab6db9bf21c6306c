"""``assettrack network``: whole-graph analytics of each organisation, stored for the pages."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func
from sqlalchemy import select

from ..db import get_session
from ..errors import DomainError

__all__ = ["network_group"]


@click.group("network")
def network_group():
    """Entity network analytics."""


@network_group.command("analyse")
@click.option("--org", "code", default=None, help="Organisation code (UN/LOCODE); default: all.")
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    default=None,
    help="Sources sampled for betweenness (default: exact up to 3,000 entities, else 256).",
)
@click.option(
    "--communities",
    type=click.Choice(["leiden", "louvain"]),
    default="leiden",
    show_default=True,
    help="Community detection (both maximise modularity; Leiden is the faster, refined Louvain).",
)
@click.option(
    "--seed", default=0, show_default=True, help="Seed of the sampling and of communities."
)
@with_appcontext
def analyse(code, samples, communities, seed):
    """Compute degree, betweenness and communities of each organisation's graph and store them.

    Each organisation is analysed on its own graph, never mixed with another's. Without --org,
    organisations without entities are skipped.
    """
    from ..models import Entity
    from ..models import Organisation
    from ..services import accounts
    from ..services import network

    db = get_session()
    if code:
        try:
            organisations = [accounts.get_organisation_by_code(db, code)]
        except DomainError as exc:
            raise click.UsageError(exc.detail) from None
    else:
        populated = select(Entity.organisation_id).group_by(Entity.organisation_id)
        organisations = list(
            db.scalars(
                select(Organisation)
                .where(Organisation.id.in_(populated))
                .order_by(Organisation.code)
            )
        )
        if not organisations:
            click.echo("no organisation has entities yet: nothing to analyse")
            return
    for organisation in organisations:
        entities = db.scalar(select(func.count()).where(Entity.organisation_id == organisation.id))
        with click.progressbar(
            length=100, label=f"{organisation.code} ({entities:,} entities)", show_eta=False
        ) as bar:

            def progress(percent, message=None, bar=bar):
                bar.update(max(0, int(percent) - bar.pos))

            row = network.analyse_organisation(
                db, organisation, progress=progress, k=samples, seed=seed, communities=communities
            )
            progress(100)
        db.commit()
        click.echo(
            f"{organisation.code}: {row.node_count:,} entities, {row.edge_count:,} relations, "
            f"{row.community_count:,} communities in {row.seconds:.1f} s — {row.method}"
        )
