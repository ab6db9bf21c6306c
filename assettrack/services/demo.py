"""Fictional, realistic demo data: Rotterdam, Antwerp and Genoa, every role, a dozen cases.

Every person, company and case here is invented; any resemblance is accidental. The demo accounts
share one random password per installation, chosen when the data is seeded (``assettrack demo
seed`` only): it is printed once and kept in ``instance/demo-logins.txt`` (mode 0600).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select
from sqlmodel import Session

from ..domain.lifecycle import Action
from ..models import Organisation
from ..models import User
from . import accounts
from . import cases

__all__ = [
    "seed",
    "logins",
    "new_password",
    "write_logins",
    "read_password",
    "DEMO_DOMAIN",
    "LOGINS_FILE",
]

DEMO_DOMAIN = "demo.assettrack.eu"
# Beside the secrets in instance/: the demo logins and their password, readable by the owner only.
LOGINS_FILE = "demo-logins.txt"
# The demo's operator organisation: its admin is the installation admin (DECISIONS #9 §1).
_OPERATOR = ("DEMOOPS", "assettrack operator (demo)", "NL", "Europe/Amsterdam", "en")

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
    ("operator", "Noor Hendriks", "admin", [_OPERATOR[0]]),
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


def new_password() -> str:
    """Return a fresh random password for the demo accounts (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def seed(session: Session, password: str) -> bool:
    """Load the demo data into a database without users, every demo account with ``password``;
    return False (and do nothing) when it has users already."""
    if session.scalar(select(func.count()).select_from(User)):
        return False
    accounts.seed_reference_organisations(session)
    code, name, country, tz, language = _OPERATOR
    accounts.create_organisation(
        session,
        None,
        code=code,
        name=name,
        country=country,
        timezone=tz,
        language=language,
        kind="installation",
    )
    # The demo's organisations alone sign in without a second factor (DECISIONS #14), and
    # `assettrack demo seed` says so; every other organisation requires one.
    for organisation in session.scalars(select(Organisation)):
        organisation.second_factor_required = False
    users = {}
    for local, name, role, orgs in _USERS:
        users[local] = accounts.create_user(
            session,
            None,
            email=f"{local}@{DEMO_DOMAIN}",
            name=name,
            role=role,
            organisation_codes=orgs,
            password=password,
            language="fr" if local == "officer.antwerp" else None,
        )
    made = {}
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
        made[title] = (case, user)
    session.flush()
    _network(session, made)
    return True


def _network(session: Session, made: dict) -> None:
    """Shell companies owning a vessel, a villa and accounts; assets at every stage."""
    from . import decisions
    from . import entities

    def add(case_user, schema, role="other", value=None, **properties):
        case, user = case_user
        data = {"schema": schema, "properties": properties, "role": role}
        if value is not None:
            data.update(estimated_value=value, currency="EUR")
        return entities.add_entity_to_case(session, user, case, data).entity_id

    def link(case_user, entity_id, role):
        case, user = case_user
        return entities.add_entity_to_case(
            session, user, case, {"entity_id": entity_id, "role": role}
        ).entity_id

    def relate(case_user, schema, source, target, **fields):
        entities.create_relation(
            session, case_user[1], {"schema": schema, "source": source, "target": target, **fields}
        )

    def decide(case_user, action, assets, days_ago, **fields):
        case, user = case_user
        org = session.get(Organisation, case.organisation_id)
        day = cases.org_today(org) - timedelta(days=days_ago)
        decisions.record_decision(
            session,
            user,
            case,
            {"action": action, "asset_ids": assets, "decided_on": day.isoformat(), **fields},
        )

    court_nl = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 and 94a Sv"}
    reefer = made["Cocaine import through reefer containers, Maasvlakte"]
    boss = add(
        reefer,
        "Person",
        "suspect",
        name="Dennis van der Berg",
        birthDate="1979-03-14",
        nationality="nl",
    )
    insider = add(
        reefer, "Person", "enabler", name="Ruud Hoekstra", birthDate="1985-11-02", nationality="nl"
    )
    add(reefer, "Person", "witness", name="Fatima El Amrani", nationality="nl")
    add(reefer, "Person", "victim", name="Kees Jansen")
    holding = add(
        reefer,
        "Company",
        "suspect",
        name="Maas Zuid Holding BV",
        jurisdiction="nl",
        registrationNumber="24501234",
    )
    shipping = add(
        reefer,
        "Company",
        "associate",
        name="Nordzee Shipping Ltd",
        jurisdiction="mt",
        registrationNumber="C 81234",
    )
    property_co = add(
        reefer,
        "Company",
        "associate",
        name="Kralingen Vastgoed BV",
        jurisdiction="nl",
        registrationNumber="24509876",
    )
    notary = add(reefer, "Person", "enabler", name="mr. Hendrik Dekker")
    vessel = add(
        reefer,
        "Vessel",
        value="4200000",
        name="Nordzee Trader",
        imoNumber="9321483",
        flag="mt",
        type="General cargo",
    )
    villa = add(
        reefer,
        "RealEstate",
        value="1350000",
        name="Villa Kralingse Plaslaan",
        address="Kralingse Plaslaan 112, Rotterdam",
        country="nl",
    )
    account = add(
        reefer, "BankAccount", value="245000", iban="NL91ABNA0417164300", bankName="ABN AMRO"
    )
    account_de = add(
        reefer, "BankAccount", value="98000", iban="DE89370400440532013000", bankName="Commerzbank"
    )
    car = add(
        reefer, "Vehicle", value="185000", name="Porsche 911 Turbo S", registrationNumber="R-123-XZ"
    )
    watches = add(
        reefer,
        "Asset",
        value="320000",
        name="Watch collection",
        description="14 luxury watches found at the villa",
    )
    relate(reefer, "Ownership", boss, holding, percentage="100", start_date="2019-02-01")
    relate(reefer, "Ownership", holding, shipping, percentage="60", start_date="2020-06-15")
    relate(reefer, "Ownership", insider, shipping, percentage="25-50", start_date="2021-01-01")
    relate(reefer, "Ownership", holding, property_co, percentage="100", start_date="2019-05-01")
    relate(reefer, "Ownership", shipping, vessel, percentage="100", start_date="2021-03-01")
    relate(reefer, "Ownership", property_co, villa, percentage="100", start_date="2019-09-01")
    relate(reefer, "Ownership", holding, account, percentage="100")
    relate(reefer, "Ownership", boss, account_de, percentage="100")
    relate(reefer, "Ownership", boss, car, percentage="100")
    relate(reefer, "Representation", notary, property_co, role="notary for the villa purchase")
    relate(
        reefer, "Payment", property_co, notary, amount="1350000", currency="EUR", date="2019-09-01"
    )
    relate(reefer, "Employment", insider, shipping, role="terminal planner")
    decide(
        reefer,
        Action.FREEZE,
        [account, account_de],
        300,
        urgent=True,
        reference="ARO-2025-114",
        authority="Asset Recovery Office NL",
        legal_basis="Art. 94 Sv",
        value_at_freezing="343000",
    )
    decide(reefer, Action.CONFIRM, [account, account_de], 296, reference="RC-2025-5521", **court_nl)
    decide(
        reefer,
        Action.FREEZE,
        [villa, vessel, car, watches],
        280,
        reference="RC-2025-5580",
        value_at_freezing="6055000",
        owner_notified_on=None,
        **court_nl,
    )
    decide(
        reefer,
        Action.MANAGE,
        [vessel],
        250,
        reference="OM-2025-778",
        authority="Openbaar Ministerie",
        legal_basis="Art. 116 Sv",
        manager="Domeinen Roerende Zaken",
    )
    decide(
        reefer,
        Action.MANAGE,
        [car],
        240,
        reference="OM-2025-790",
        authority="Openbaar Ministerie",
        legal_basis="Art. 117 Sv",
        manager="Domeinen Roerende Zaken",
        early_sale=True,
        ground="rapidly_depreciating",
        price="171000",
    )
    decide(
        reefer,
        Action.CONFISCATE,
        [villa, watches],
        120,
        reference="RB-2026-0412",
        confiscation_type="value",
        final=False,
        value_at_confiscation="1600000",
        **court_nl,
    )
    decide(
        reefer,
        Action.CONFISCATE,
        [account],
        60,
        reference="HR-2026-0077",
        final=True,
        confiscation_type="ordinary",
        value_at_confiscation="245000",
        authority="Hoge Raad",
        legal_basis="Art. 36e Sr",
    )
    decide(
        reefer,
        Action.DISPOSE,
        [account],
        30,
        reference="CJIB-2026-311",
        disposal="sale",
        recipient="Ministerie van Justitie en Veiligheid",
        realised_value="245000",
        authority="CJIB",
        legal_basis="Art. 36e Sr",
    )
    decide(
        reefer,
        Action.RELEASE,
        [account_de],
        20,
        reference="RC-2026-1020",
        reason="Account of an unconnected relative: freeze lifted",
        **court_nl,
    )

    cars = made["Money laundering through car dealerships"]
    dealer = add(
        cars,
        "Company",
        "suspect",
        name="Autohandel Charlois BV",
        jurisdiction="nl",
        registrationNumber="24601111",
    )
    link(cars, boss, "associate")
    relate(cars, "Directorship", boss, dealer, role="shadow director")
    showroom = add(cars, "Asset", value="410000", name="Showroom stock (9 cars)")
    relate(cars, "Ownership", dealer, showroom, percentage="100")
    decide(
        cars,
        Action.FREEZE,
        [showroom],
        15,
        urgent=True,
        reference="ARO-2026-301",
        authority="Asset Recovery Office NL",
        legal_basis="Art. 94 Sv",
        value_at_freezing="395000",
    )

    antwerp = made["Diamond trade invoices and a villa in Schilde"]
    nominee = add(antwerp, "Person", "suspect", name="Jeroen Claes", nationality="be")
    schilde = add(
        antwerp,
        "RealEstate",
        value="2100000",
        name="Villa Schilde",
        address="Kasteeldreef 7, 2970 Schilde",
        country="be",
    )
    relate(antwerp, "Ownership", nominee, schilde, percentage="100", role="nominee")
    add(antwerp, "BankAccount", value="56000", iban="BE68539007547034", bankName="bpost bank")
    crew = made["Container terminal extraction crew"]
    # The same ship in Antwerp's file: a cross-city hit for Rotterdam (same IMO).
    add(crew, "Vessel", name="NORDZEE TRADER", imoNumber="9321483", flag="mt")

    genoa = made["Beni confiscati: Sampierdarena apartments"]
    affiliate = add(
        genoa,
        "Person",
        "convicted",
        name="Salvatore Ferraro",
        birthDate="1968-07-30",
        nationality="it",
    )
    flats = [
        add(genoa, "RealEstate", value=v, name=n, address=a, country="it")
        for n, a, v in (
            ("Appartamento via Cantore 21/4", "Via Cantore 21, Genova", "185000"),
            ("Appartamento via Daste 8/2", "Via Daste 8, Genova", "142000"),
            ("Box auto via Buranello", "Via Buranello 40, Genova", "28000"),
        )
    ]
    for flat in flats:
        relate(genoa, "Ownership", affiliate, flat, percentage="100")
    court_it = {
        "authority": "Tribunale di Genova - Sezione misure di prevenzione",
        "legal_basis": "D.Lgs. 159/2011, art. 20 e 24",
    }
    decide(
        genoa,
        Action.FREEZE,
        flats,
        900,
        reference="SEQ-2023-118",
        value_at_freezing="355000",
        **court_it,
    )
    decide(
        genoa,
        Action.MANAGE,
        flats,
        880,
        reference="ANBSC-2023-77",
        authority="ANBSC",
        legal_basis="D.Lgs. 159/2011, art. 38",
        manager="Agenzia nazionale beni sequestrati e confiscati",
    )
    decide(
        genoa,
        Action.CONFISCATE,
        flats,
        500,
        reference="CONF-2024-031",
        final=True,
        confiscation_type="non_conviction_based",
        value_at_confiscation="355000",
        **court_it,
    )
    decide(
        genoa,
        Action.DISPOSE,
        flats[:2],
        200,
        reference="ANBSC-DEST-2025-12",
        disposal="social_reuse",
        recipient="Comune di Genova",
        purpose="Housing for women leaving violence (associazione Mignanego)",
        realised_value="0",
        authority="ANBSC",
        legal_basis="D.Lgs. 159/2011, art. 48",
    )
    yacht_case = made["Yacht seized at Porto Antico"]
    yacht = add(
        yacht_case, "Vessel", value="3800000", name="Sea Breeze II", imoNumber="9176187", flag="us"
    )
    offshore = add(
        yacht_case,
        "Company",
        "suspect",
        name="Blue Harbor Holdings LLC",
        jurisdiction="us",
        registrationNumber="7712345",
    )
    relate(yacht_case, "Ownership", offshore, yacht, percentage="100")
    decide(
        yacht_case,
        Action.FREEZE,
        [yacht],
        10,
        urgent=True,
        reference="GdF-2026-88",
        authority="Guardia di Finanza",
        legal_basis="art. 321 c.p.p.",
        value_at_freezing="3500000",
    )
    session.flush()


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


def write_logins(path: Path, password: str, rows) -> None:
    """Write the demo logins and their ``password`` to ``path``, readable by its owner only."""
    lines = [
        "# assettrack demo logins, written by `assettrack demo seed`. Keep this file private.",
        "# The demo organisations need no second factor; every other organisation requires one.",
        f"password: {password}",
        *(f"{email}\t{role}\t{orgs}" for email, role, orgs in rows),
    ]
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def read_password(path: Path) -> str:
    """Return the demo password kept in ``path`` (see ``write_logins``)."""
    for line in Path(path).read_text().splitlines():
        if line.startswith("password: "):
            return line.removeprefix("password: ").strip()
    raise ValueError(f"{path} holds no demo password")
