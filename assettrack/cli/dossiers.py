"""``assettrack dossiers``: screening-dossier milestones and each organisation's procedures."""

import click
from flask.cli import with_appcontext

from ..db import get_session
from ..domain.screening_clock import TermUnit
from ..errors import DomainError
from . import fail
from . import organisations

__all__ = ["dossiers_group"]

_UNITS = click.Choice([unit.value for unit in TermUnit])


@click.group("dossiers")
def dossiers_group():
    """Screening dossiers (Bibob-style permit screening)."""


@dossiers_group.command("notify")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge the clocks on this day (default: each organisation's today).",
)
@with_appcontext
def notify(today):
    """Tell officers of the screening milestones due (advice due or overdue, decision due)."""
    from ..services import dossiers

    db = get_session()
    made = dossiers.due_milestones(db, today.date() if today else None)
    db.commit()
    click.echo(f"{len(made)} notification(s) of screening milestones made")


@dossiers_group.command("procedure")
@click.argument("code")
@click.option("--org", "org_code", required=True, help="Organisation code (UN/LOCODE).")
@click.option("--name", default=None, help="A readable name (default: the code).")
@click.option("--advice-term", type=int, required=True, help="The national bureau's term.")
@click.option("--advice-unit", type=_UNITS, default="weeks", show_default=True)
@click.option("--extension", type=int, default=0, show_default=True, help="Each extension.")
@click.option("--extension-unit", type=_UNITS, default="weeks", show_default=True)
@click.option("--extensions-allowed", type=int, default=0, show_default=True)
@click.option("--decision-term", type=int, required=True, help="The default decision term.")
@click.option("--decision-unit", type=_UNITS, default="weeks", show_default=True)
@click.option("--advice-extends-decision/--advice-does-not-extend-decision", default=True)
@click.option("--questions-suspend/--questions-do-not-suspend", default=True)
@click.option("--roll/--no-roll", default=True, help="Move an end on a holiday to a working day.")
@click.option("--warn-days", type=int, default=14, show_default=True)
@with_appcontext
def procedure(code, org_code, name, **terms):
    """Store an organisation's own terms of a screening procedure (e.g. another country's)."""
    from ..services import dossiers

    db = get_session()
    (org,) = organisations(db, org_code)
    data = {
        "code": code,
        "name": name,
        "advice_term": terms["advice_term"],
        "advice_term_unit": terms["advice_unit"],
        "extension": terms["extension"],
        "extension_unit": terms["extension_unit"],
        "extensions_allowed": terms["extensions_allowed"],
        "decision_term": terms["decision_term"],
        "decision_term_unit": terms["decision_unit"],
        "advice_extends_decision": terms["advice_extends_decision"],
        "questions_suspend_decision": terms["questions_suspend"],
        "roll_to_working_day": terms["roll"],
        "warn_days": terms["warn_days"],
    }
    try:
        row = dossiers.set_procedure(db, org, data)
    except DomainError as exc:
        fail(exc)
    db.commit()
    click.echo(f"procedure {row.code} of {org.code} stored")
