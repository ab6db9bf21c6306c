"""Fictional, realistic demo data: Rotterdam, Antwerp and Genoa, every role, a dozen cases.

Every person, company and case here is invented; any resemblance is accidental.
"""

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlmodel import Session

from ..models import Organisation
from ..models import User
from . import accounts
from . import cases

__all__ = ["seed", "logins", "DEMO_PASSWORD", "DEMO_DOMAIN"]

DEMO_PASSWORD = "demo-assettrack-2026"  # noqa: S105 (fictional demo accounts, printed by make run)
DEMO_DOMAIN = "demo.assettrack.eu"

_USERS = (
    # email local part, name, role, organisations
    ("officer.rotterdam", "Sanne de Vries", "officer", ["NLRTM"]),
    ("officer2.rotterdam", "Mehmet Yilmaz", "officer", ["NLRTM"]),
    ("officer.antwerp", "Lotte Peeters", "officer", ["BEANR"]),
    ("officer.genoa", "Giulia Ferrari", "officer", ["ITGOA"]),
    ("liaison.north", "Pieter Janssens", "liaison", ["NLRTM", "BEANR"]),
    ("liaison.genoa", "Marco Bianchi", "liaison", ["ITGOA"]),
    ("partner.hamburg", "Jana Schulz", "partner", ["DEHAM"]),
    ("auditor.rotterdam", "Eva Bakker", "auditor", ["NLRTM"]),
    ("admin", "Tom Visser", "admin", ["NLRTM"]),
)

# (organisation, officer, title, summary, tlp, handling, shared_with, tags, status, months ago)
_CASES = (
    (
        "NLRTM",
        "officer.rotterdam",
        "Cocaine import through reefer containers, Maasvlakte",
        "Bananas from Guayaquil used as cover for cocaine; a logistics insider at a terminal and "
        "a network of shell companies in Rotterdam-Zuid holding real estate.",
        "AMBER",
        "H1",
        ["BEANR"],
        ["port", "cocaine", "real-estate"],
        "open",
        14,
    ),
    (
        "NLRTM",
        "officer.rotterdam",
        "Money laundering through car dealerships",
        "Cash purchases of luxury cars resold abroad; the dealerships changed directors three "
        "times in a year.",
        "GREEN",
        "H0",
        [],
        ["vehicles", "cash"],
        "open",
        9,
    ),
    (
        "NLRTM",
        "officer2.rotterdam",
        "Bibob screening: hospitality permits Witte de Withstraat",
        "Administrative screening of permit applicants linked to a convicted trafficker.",
        "AMBER+STRICT",
        "H2",
        [],
        ["bibob", "hospitality"],
        "open",
        5,
    ),
    (
        "NLRTM",
        "officer2.rotterdam",
        "Vessel MV Nordzee Trader detained",
        "Bulk carrier detained after a tip-off; ownership through two Maltese companies.",
        "RED",
        "H3",
        ["BEANR"],
        ["vessel"],
        "open",
        3,
    ),
    (
        "NLRTM",
        "officer.rotterdam",
        "Crypto cash-out desk, Delfshaven",
        "Over-the-counter crypto exchange converting proceeds into cash.",
        "AMBER",
        "H1",
        [],
        ["crypto"],
        "closed",
        30,
    ),
    (
        "BEANR",
        "officer.antwerp",
        "Diamond trade invoices and a villa in Schilde",
        "Over-invoiced diamond shipments financing a villa held by a nominee.",
        "AMBER",
        "H1",
        ["NLRTM"],
        ["real-estate", "trade-based"],
        "open",
        11,
    ),
    (
        "BEANR",
        "officer.antwerp",
        "Container terminal extraction crew",
        "Extraction of cocaine from containers at Deurganck dock; assets of the crew leader.",
        "GREEN",
        "H0",
        [],
        ["port", "cocaine"],
        "open",
        7,
    ),
    (
        "BEANR",
        "officer.antwerp",
        "Nightshop chain cash deposits",
        "Structured cash deposits across a chain of night shops.",
        "CLEAR",
        "H0",
        [],
        ["cash"],
        "closed",
        26,
    ),
    (
        "ITGOA",
        "officer.genoa",
        "Beni confiscati: Sampierdarena apartments",
        "Apartments confiscated from a 'ndrangheta affiliate, assigned to the municipality "
        "for social re-use.",
        "GREEN",
        "H0",
        [],
        ["real-estate", "social-reuse"],
        "open",
        20,
    ),
    (
        "ITGOA",
        "officer.genoa",
        "Shipping agency used for waste trafficking",
        "A shipping agency with hidden owners moving waste to North Africa.",
        "AMBER",
        "H2",
        ["NLRTM"],
        ["waste", "shipping"],
        "open",
        6,
    ),
    (
        "ITGOA",
        "officer.genoa",
        "Restaurant group in the historic centre",
        "Restaurants bought with cash by a front man; interdittiva antimafia issued.",
        "AMBER",
        "H1",
        [],
        ["hospitality"],
        "open",
        4,
    ),
    (
        "ITGOA",
        "officer.genoa",
        "Yacht seized at Porto Antico",
        "A 24 m yacht registered to a Delaware company seized at the marina.",
        "RED",
        "H1",
        [],
        ["vessel", "luxury"],
        "open",
        2,
    ),
)


def seed(session: Session) -> bool:
    """Load the demo data into an empty database; return False (and do nothing) otherwise."""
    if session.scalar(select(func.count()).select_from(User)):
        return False
    accounts.seed_reference_organisations(session)
    users = {}
    for local, name, role, orgs in _USERS:
        users[local] = accounts.create_user(
            session,
            None,
            email=f"{local}@{DEMO_DOMAIN}",
            name=name,
            role=role,
            organisation_codes=orgs,
            password=DEMO_PASSWORD,
            language="fr" if local == "officer.antwerp" else None,
        )
    for org_code, officer, title, summary, tlp, handling, shared, tags, status, months in _CASES:
        org = session.scalar(select(Organisation).where(Organisation.code == org_code))
        user = users[officer]
        opened = cases.org_today(org) - timedelta(days=30 * months)
        case = cases.create_case(
            session,
            user,
            {
                "title": title,
                "summary": summary,
                "tlp": tlp,
                "handling_code": handling,
                "handling_restriction": "Not to be used in administrative proceedings"
                if handling == "H3"
                else None,
                "shared_with": shared,
                "tags": tags,
                "opened_on": opened,
            },
        )
        if status == "closed":
            cases.update_case(session, user, case, {"status": "closed"})
    session.flush()
    return True


def logins(session: Session) -> list[tuple[str, str, str]]:
    """Return (e-mail, role, organisations) of the demo accounts."""
    from ..models import UserOrganisation

    rows = []
    orgs = {o.id: o.code for o in session.scalars(select(Organisation))}
    for user in session.scalars(
        select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")).order_by(User.id)
    ):
        extra = session.scalars(
            select(UserOrganisation.organisation_id).where(UserOrganisation.user_id == user.id)
        )
        codes = [orgs[user.organisation_id]] + [orgs[i] for i in extra]
        rows.append((user.email, user.role, ", ".join(codes)))
    return rows
