"""Lifecycle benchmark: the case page, the dashboard statistics and recording a decision.

Builds a fresh SQLite database in a temporary directory at the issue's volumes (10,000 cases,
200,000 entities, 100,000 assets, 50,000 decisions), migrated with ``assettrack.cli.migrate()``,
then measures, with warm-up runs excluded:

- GET /cases/<id> of a case holding exactly 500 assets, as an officer of its organisation
  (whatever the page renders today), limit 300 ms;
- the dashboard figures as services (``directive_statistics`` + ``assets_by_stage`` +
  ``urgent_freezes`` + ``reviews_due``) and GET /dashboard when that route exists, limit 1 s;
- ``record_decision`` (a freeze of 100 traced assets of one case) and its commit, limit 200 ms,
  each run on another case.

It prints a table (median, p95, limit, PASS/FAIL), the data volumes and build time, the query
plan of the slowest statistics query, and a profile of any target that fails. It always exits 0:
benchmarks report, they do not gate.

    .venv/bin/python benchmarks/bench_lifecycle.py              # full volumes (about 2 minutes)
    .venv/bin/python benchmarks/bench_lifecycle.py --scale 0.1  # a tenth, to try changes fast
    .venv/bin/python benchmarks/bench_lifecycle.py --keep       # keep the database afterwards
"""

import argparse
import bisect
import cProfile
import gc
import io
import itertools
import json
import math
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import before_render_template
from flask import template_rendered
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import text

from assettrack import create_app
from assettrack.cli import migrate
from assettrack.db import get_session
from assettrack.db import new_session
from assettrack.domain import lifecycle
from assettrack.domain import schema as ftm_schema
from assettrack.models import Asset
from assettrack.models import Case
from assettrack.models import CaseEntity
from assettrack.models import CaseShare
from assettrack.models import CaseTag
from assettrack.models import Decision
from assettrack.models import DecisionAsset
from assettrack.models import Entity
from assettrack.models import EntityIdentifier
from assettrack.models import LedgerEntry
from assettrack.models import ManagerAssignment
from assettrack.models import Organisation
from assettrack.models import Relation
from assettrack.models import User
from assettrack.models import Valuation
from assettrack.services import accounts
from assettrack.services import stats
from assettrack.services.cases import org_today
from assettrack.services.cases import review_date
from assettrack.services.decisions import record_decision
from assettrack.services.entities import identifiers_of
from assettrack.services.entities import normalise_name

# --- volumes and targets ---------------------------------------------------------------------

CASES = 10_000
ENTITIES = 200_000
ASSETS = 100_000
DECISIONS = 50_000
BIG_CASE_ASSETS = 500  # the case page target
BIG_CASE_PARTIES = 40
DECISION_ASSETS = 100  # traced assets per case of the record_decision target
DECISION_WARMUP = 2
DECISION_RUNS = 12
PAGE_WARMUP, PAGE_RUNS = 3, 15
STATS_WARMUP, STATS_RUNS = 2, 12
RUN_BUDGET_S = 60.0  # stop a target's runs early past this (at least MIN_RUNS kept)
MIN_RUNS = 5

LIMIT_PAGE_MS = 300.0
LIMIT_DASHBOARD_MS = 1000.0
LIMIT_DECISION_MS = 200.0

SEED = 20261126
CHUNK = 5_000
PASSWORD = "benchmark-password-2026"  # noqa: S105  (a throw-away database)
TODAY = datetime.now(UTC).date()
FIRST_DECISION_DAY = date(2024, 1, 1)
FIRST_CASE_DAY = date(2023, 1, 2)

# Organisations holding data (reference port cities), with their share of the cases.
ORGS = (
    ("NLRTM", 0.28),
    ("BEANR", 0.22),
    ("DEHAM", 0.14),
    ("ITGOA", 0.14),
    ("ESALG", 0.11),
    ("FRLEH", 0.11),
)
PARTY_KINDS = (("Person", 0.62), ("Company", 0.38))
ASSET_KINDS = (("RealEstate", 0.30), ("Vehicle", 0.30), ("BankAccount", 0.28), ("Vessel", 0.12))
STAGE_WEIGHTS = (
    ("traced", 0.40),
    ("frozen", 0.22),
    ("managed", 0.08),
    ("confiscated", 0.13),
    ("disposed", 0.07),
    ("released", 0.10),
)
# How an asset reached its stage: the decisions it went through, in order.
# F freeze, Fu urgent freeze, Fc judicial freeze confirming it, M manage, Ms manage with early
# sale, C1 first-instance confiscation, Cf final confiscation, D dispose, R release.
TEMPLATES = {
    "traced": ((), 1.0),
    "frozen": ((("F",), 0.74), (("Fu", "Fc"), 0.25), (("Fu",), 0.01)),
    "managed": ((("F", "M"), 0.65), (("F", "Ms"), 0.15), (("Fu", "Fc", "M"), 0.20)),
    "confiscated": (
        (("F", "C1"), 0.45),
        (("F", "Cf"), 0.20),
        (("F", "C1", "Cf"), 0.20),
        (("F", "M", "Cf"), 0.15),
    ),
    "disposed": (
        (("F", "Cf", "D"), 0.60),
        (("F", "C1", "Cf", "D"), 0.25),
        (("F", "M", "Cf", "D"), 0.15),
    ),
    "released": ((("R",), 0.35), (("F", "R"), 0.45), (("F", "C1", "R"), 0.20)),
}
# Days between a decision and the next one on the same assets.
GAPS = {
    "F": (0, 0),
    "Fu": (0, 0),
    "Fc": (2, 6),
    "M": (20, 150),
    "Ms": (20, 150),
    "C1": (90, 420),
    "Cf": (60, 360),
    "D": (30, 240),
    "R": (20, 300),
}
STEP_ACTION = {
    "F": "freeze",
    "Fu": "freeze",
    "Fc": "freeze",
    "M": "manage",
    "Ms": "manage",
    "C1": "confiscate",
    "Cf": "confiscate",
    "D": "dispose",
    "R": "release",
}
COUNTRY = {
    "NL": {
        "first": ("Jan", "Sanne", "Pieter", "Fatima", "Mohamed", "Eva", "Daan", "Anouk"),
        "last": ("de Vries", "Jansen", "Bakker", "El Amrani", "van Dijk", "Visser", "Öztürk"),
        "form": "B.V.",
        "city": ("Rotterdam", "Schiedam", "Vlaardingen", "Spijkenisse"),
        "street": ("Wilhelminakade", "Coolsingel", "Maasboulevard", "Waalhaven Oostzijde"),
        "court": "Rechtbank Rotterdam",
        "aro": "Bureau Ontnemingswetgeving OM",
        "freeze_basis": "Art. 94a Sv",
        "confiscation_basis": "Art. 36e Sr",
    },
    "BE": {
        "first": ("Lotte", "Wout", "Yasmine", "Thibault", "Mehdi", "Inès"),
        "last": ("Peeters", "Janssens", "Maes", "Claes", "Benali", "Dubois"),
        "form": "BV",
        "city": ("Antwerpen", "Zwijndrecht", "Beveren"),
        "street": ("Kattendijkdok", "Noorderlaan", "Scheldekaai", "Leien"),
        "court": "Onderzoeksrechter Antwerpen",
        "aro": "COIV / OCSC",
        "freeze_basis": "Art. 35 Sv",
        "confiscation_basis": "Art. 42 Sw",
    },
    "DE": {
        "first": ("Lukas", "Anna", "Jürgen", "Svenja", "Emre", "Katarzyna"),
        "last": ("Müller", "Schröder", "Yılmaz", "Weiß", "Petersen", "Nowak"),
        "form": "GmbH",
        "city": ("Hamburg", "Norderstedt", "Pinneberg"),
        "street": ("Hafenstraße", "Große Elbstraße", "Am Sandtorkai", "Köhlbranddeich"),
        "court": "Amtsgericht Hamburg",
        "aro": "LKA Hamburg Vermögensabschöpfung",
        "freeze_basis": "§ 111b StPO",
        "confiscation_basis": "§ 73 StGB",
    },
    "IT": {
        "first": ("Giuseppe", "Francesca", "Salvatore", "Chiara", "Niccolò", "Ştefan"),
        "last": ("Russo", "Esposito", "Bianchi", "Romano", "Greco", "Popescu"),
        "form": "S.r.l.",
        "city": ("Genova", "Savona", "La Spezia"),
        "street": ("Via del Molo", "Calata Bettolo", "Via Gramsci", "Corso Italia"),
        "court": "GIP Tribunale di Genova",
        "aro": "Ufficio ARO Polizia di Stato",
        "freeze_basis": "Art. 321 c.p.p.",
        "confiscation_basis": "Art. 240-bis c.p.",
    },
    "ES": {
        "first": ("José", "María", "Álvaro", "Lucía", "Youssef", "Begoña"),
        "last": ("García", "Fernández", "López", "Martínez", "El Idrissi", "Núñez"),
        "form": "S.L.",
        "city": ("Algeciras", "La Línea de la Concepción", "San Roque"),
        "street": ("Avenida Virgen del Carmen", "Calle Cayetano del Toro", "Muelle Isla Verde"),
        "court": "Juzgado Central de Instrucción",
        "aro": "Oficina de Recuperación y Gestión de Activos",
        "freeze_basis": "Art. 127 octies CP",
        "confiscation_basis": "Art. 127 CP",
    },
    "FR": {
        "first": ("Camille", "Hugo", "Françoise", "Karim", "Léa", "Noël"),
        "last": ("Martin", "Lefèvre", "Benoît", "Haddad", "Leroy", "Moreau"),
        "form": "SARL",
        "city": ("Le Havre", "Harfleur", "Montivilliers"),
        "street": ("Quai de Southampton", "Boulevard de Strasbourg", "Rue de Paris"),
        "court": "Juge d'instruction, Tribunal judiciaire du Havre",
        "aro": "AGRASC",
        "freeze_basis": "Art. 706-153 CPP",
        "confiscation_basis": "Art. 131-21 CP",
    },
}
COMPANY_WORDS = (
    ("Maasvlakte", "Scheldt", "Elbe", "Liguria", "Estrecho", "Seine", "Northsea", "Atlantic"),
    ("Reefer", "Fruit", "Logistics", "Shipping", "Trading", "Cold Storage", "Forwarding", "Import"),
)
VESSEL_NAMES = ("Stella Maris", "Nordic Star", "Ocean Breeze", "Sea Falcon", "Aurora", "Caribe")
VESSEL_TYPES = ("Reefer", "Container Ship", "Bulk Carrier", "Tug", "Yacht", "Fishing Vessel")
FLAGS = ("pa", "lr", "mt", "cy", "bs", "mh", "nl", "it", "es", "gr")
CAR_MODELS = ("Porsche Cayenne", "Range Rover Sport", "Audi RS6", "Mercedes G 63", "BMW X5")
BANKS = {"NL": ("ABN AMRO", "ING", "Rabobank"), "DE": ("Deutsche Bank", "Commerzbank", "HASPA")}
CASE_TITLES = (
    "Cocaine in reefer containers at {port}",
    "Money laundering through car dealers in {port}",
    "Real estate bought with cash near {port}",
    "Port insiders extracting containers at {port}",
    "Trade-based laundering, fruit imports via {port}",
    "Underground banking network, {port}",
)
TAGS = ("port", "cocaine", "real-estate", "vessel", "insider", "tbml", "crypto", "cars")
ROLES = (
    ("suspect", 0.30),
    ("associate", 0.20),
    ("enabler", 0.10),
    ("witness", 0.10),
    ("victim", 0.08),
    ("convicted", 0.07),
    ("other", 0.15),
)
CONFISCATION_TYPES = (
    ("ordinary", 0.55),
    ("value", 0.15),
    ("extended", 0.12),
    ("third_party", 0.06),
    ("non_conviction_based", 0.09),
    ("unexplained_wealth", 0.03),
)
DISPOSALS = (
    ("sale", 0.50),
    ("social_reuse", 0.18),
    ("public_use", 0.12),
    ("victim_compensation", 0.10),
    ("destruction", 0.06),
    ("returned_abroad", 0.04),
)
EARLY_SALE_GROUNDS = ("perishable", "rapidly_depreciating", "disproportionate_cost")
MANAGERS = ("Domeinen Roerende Zaken", "ANBSC", "AGRASC", "ORGA", "Landeshauptkasse Hamburg")

warnings.filterwarnings("ignore", message=".*support Decimal objects natively.*")


def pick(rng, table):
    """Choose one value of ((value, weight), ...)."""
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


# --- the plan: what to insert ----------------------------------------------------------------


@dataclass
class CasePlan:
    id: int
    org: str
    opened_on: date
    reference: str = ""
    big: bool = False
    for_decision: bool = False
    parties: list = field(default_factory=list)
    assets: list = field(default_factory=list)
    last_decided_on: date | None = None


@dataclass
class AssetPlan:
    entity_id: int
    case_id: int
    org: str
    schema: str
    value: Decimal | None
    template: tuple = ()
    # final state
    stage: str = "traced"
    urgent_unconfirmed: bool = False
    urgent_expires_on: date | None = None
    confiscation_final: bool = False
    last_decided_on: date | None = None
    manager: str | None = None


@dataclass
class Plan:
    cases: list
    entity_org: list  # index: entity id - 1
    entity_schema: list
    entity_case: list  # primary case
    extra_links: list  # (case id, entity id) beyond the primary one
    assets: dict  # entity id -> AssetPlan
    groups: list  # [(case, [AssetPlan, ...], source)] decided together from one first order
    annulled: list  # (case, AssetPlan) traced assets with an annulled freeze
    big_case: int = 0
    decision_cases: list = field(default_factory=list)


def make_plan(rng, scale: float) -> Plan:
    n_cases = max(len(ORGS) * 4, round(CASES * scale))
    n_entities = round(ENTITIES * scale)
    n_assets = round(ASSETS * scale)
    n_decision_cases = DECISION_WARMUP + DECISION_RUNS + 1  # + 1 instrumented run

    # Cases, numbered per organisation and year in the order they were opened.
    cases = []
    span = (TODAY - timedelta(days=5) - FIRST_CASE_DAY).days
    counts = [round(w * n_cases) for _code, w in ORGS]
    counts[0] += n_cases - sum(counts)
    case_id = 0
    by_org: dict[str, list] = {}
    for (code, _w), count in zip(ORGS, counts, strict=True):
        days = sorted(rng.randrange(span) for _ in range(count))
        numbers: dict[int, int] = {}
        for day in days:
            case_id += 1
            opened = FIRST_CASE_DAY + timedelta(days=day)
            numbers[opened.year] = numbers.get(opened.year, 0) + 1
            plan = CasePlan(case_id, code, opened)
            plan.reference = f"{code}-{opened.year}-{numbers[opened.year]:04d}"
            cases.append(plan)
            by_org.setdefault(code, []).append(plan)

    # The case page target: an NLRTM case opened early in 2024 holding exactly 500 assets.
    big = min(by_org["NLRTM"], key=lambda c: abs((c.opened_on - date(2024, 2, 1)).days))
    big.big = True
    # The record_decision targets: cases of every organisation holding 100 traced assets.
    decision_cases = []
    pools = {code: [c for c in by_org[code] if not c.big] for code, _w in ORGS}
    for i in range(n_decision_cases):
        code = ORGS[i % len(ORGS)][0]
        chosen = pools[code].pop(rng.randrange(len(pools[code])))
        chosen.for_decision = True
        decision_cases.append(chosen)
    ordinary = [c for c in cases if not c.big and not c.for_decision]
    ordinary_by_org = {code: [c for c in ordinary if c.org == code] for code, _w in ORGS}
    # Case sizes vary: a log-normal weight per case (a few large ones, many small ones).
    cum = {}
    for code, members in ordinary_by_org.items():
        cum[code] = list(itertools.accumulate(rng.lognormvariate(0, 0.8) for _ in members))

    entity_org, entity_schema, entity_case = [], [], []
    assets: dict[int, AssetPlan] = {}

    def add_entity(case: CasePlan, schema: str, is_asset: bool):
        entity_org.append(case.org)
        entity_schema.append(schema)
        entity_case.append(case.id)
        entity_id = len(entity_org)
        if is_asset:
            case.assets.append(entity_id)
            assets[entity_id] = AssetPlan(
                entity_id, case.id, case.org, schema, asset_value(rng, schema)
            )
        else:
            case.parties.append(entity_id)
        return entity_id

    for _ in range(BIG_CASE_ASSETS):
        add_entity(big, pick(rng, ASSET_KINDS), True)
    for _ in range(BIG_CASE_PARTIES):
        add_entity(big, pick(rng, PARTY_KINDS), False)
    for case in decision_cases:
        for _ in range(DECISION_ASSETS):
            add_entity(case, pick(rng, ASSET_KINDS), True)
        for _ in range(8):
            add_entity(case, pick(rng, PARTY_KINDS), False)
    org_codes = [code for code, _w in ORGS]
    org_weights = [w for _code, w in ORGS]
    n_more_assets = max(0, n_assets - len(assets))
    n_more_parties = max(0, n_entities - n_assets - (len(entity_org) - len(assets)))
    for is_asset, how_many in ((True, n_more_assets), (False, n_more_parties)):
        kinds = ASSET_KINDS if is_asset else PARTY_KINDS
        for code in rng.choices(org_codes, org_weights, k=how_many):
            members = ordinary_by_org[code]
            idx = bisect.bisect_left(cum[code], rng.random() * cum[code][-1])
            add_entity(members[min(idx, len(members) - 1)], pick(rng, kinds), is_asset)

    # Shared entities: a person or vessel in two investigations of the same city (never added
    # to the target cases, which must hold exactly their assets).
    extra_links = []
    seen = set()
    for entity_id in rng.sample(range(1, len(entity_org) + 1), k=len(entity_org) // 16):
        members = ordinary_by_org[entity_org[entity_id - 1]]
        other = members[rng.randrange(len(members))]
        if other.id != entity_case[entity_id - 1] and (other.id, entity_id) not in seen:
            seen.add((other.id, entity_id))
            extra_links.append((other.id, entity_id))

    plan = Plan(
        cases,
        entity_org,
        entity_schema,
        entity_case,
        extra_links,
        assets,
        [],
        [],
        big.id,
        [c.id for c in decision_cases],
    )
    choose_templates(rng, plan)
    plan.groups, plan.annulled = group_decisions(rng, plan, round(DECISIONS * scale))
    return plan


def asset_value(rng, schema: str) -> Decimal | None:
    if rng.random() < 0.08:
        return None
    low, high = {
        "RealEstate": (80_000, 2_500_000),
        "Vessel": (150_000, 40_000_000),
        "Vehicle": (5_000, 180_000),
        "BankAccount": (500, 900_000),
    }[schema]
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return Decimal(round(value, -2 if value > 10_000 else 0)).quantize(Decimal("0.01"))


def choose_templates(rng, plan: Plan) -> None:
    """Give each asset its history; assets of a case tend to move together."""
    stages = [s for s, _w in STAGE_WEIGHTS]
    weights = [w for _s, w in STAGE_WEIGHTS]
    for case in plan.cases:
        if case.for_decision or not case.assets:
            continue
        window = (TODAY - timedelta(days=1) - max(case.opened_on, FIRST_DECISION_DAY)).days
        dominant = rng.choices(stages, weights)[0]
        dominant_template = pick_template(rng, dominant)
        for entity_id in case.assets:
            asset = plan.assets[entity_id]
            if rng.random() < 0.6 and not case.big:
                template = dominant_template
            else:
                template = pick_template(rng, rng.choices(stages, weights)[0])
            if template == ("Fu",) and window < 15:
                template = ("F",)
            if len(template) > 1 and window < 90:
                template = ("F",) if window > 1 else ()
            asset.template = template


def pick_template(rng, stage: str) -> tuple:
    choices = TEMPLATES[stage]
    if stage == "traced":
        return ()
    return pick(rng, choices)


def group_decisions(rng, plan: Plan, target: int):
    """Split each case's assets into groups decided together and hit ``target`` decisions.

    A group's decisions form a prefix tree of its assets' histories: one freezing order covers
    them all, later orders cover the subsets that went on. Larger groups mean fewer decisions:
    the group size is searched so the count lands just under ``target``; the rest are freezes
    entered by mistake and annulled, on traced assets (the statistics must leave them out).
    """
    moving = {}
    for case in plan.cases:
        members = [plan.assets[e] for e in case.assets if plan.assets[e].template]
        if members:
            moving[case.id] = members

    def split(cap_large: int, k: int):
        # Groups of 1..cap_large assets; 1..cap_large - 1 in the first k cases.
        groups = []
        for index, (case_id, members) in enumerate(moving.items()):
            cap = max(1, cap_large - 1) if index < k else cap_large
            local = random.Random(SEED * 31 + case_id)
            urgent = [a for a in members if a.template == ("Fu",)]
            rest = [a for a in members if a.template != ("Fu",)]
            local.shuffle(rest)
            if case_id == plan.big_case:
                cap = 25
            i = 0
            while i < len(rest):
                size = local.randint(1, cap)
                groups.append((case_id, rest[i : i + size]))
                i += size
            if urgent:
                groups.append((case_id, urgent))
        return groups

    def count(groups) -> int:
        return sum(
            len({a.template[:d] for a in g for d in range(1, len(a.template) + 1)})
            for _c, g in groups
        )

    # About 1 % of the orders were entered by mistake and annulled: keep room for them.
    annulled_share = target // 100
    target -= annulled_share
    # Single-asset groups give the most decisions; raise the cap until under the target.
    cap, best = 1, None
    while cap < 200:
        groups = split(cap, 0)
        if count(groups) <= target:
            best = cap
            break
        cap += 1
    if best is None:
        groups = split(cap, 0)
    elif best > 1:
        # The first k cases get cap - 1: the largest k still under the target.
        lo, hi = 0, len(moving)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(split(best, mid)) <= target:
                lo = mid
            else:
                hi = mid - 1
        groups = split(best, lo)
    total = count(groups)
    cases = {c.id: c for c in plan.cases}
    result = []
    for case_id, members in groups:
        source = "register" if rng.random() < 0.04 and case_id != plan.big_case else "manual"
        result.append((cases[case_id], members, source))
    # Pad with annulled freezes of traced assets in ordinary cases.
    traced = [
        a
        for a in plan.assets.values()
        if not a.template and not cases[a.case_id].for_decision and not cases[a.case_id].big
    ]
    k = min(len(traced), max(0, target + annulled_share - total))
    annulled = [(cases[a.case_id], a) for a in rng.sample(traced, k=k)]
    return result, annulled


# --- writing the plan with Core bulk inserts -------------------------------------------------


class Writer:
    """Insert rows table by table: executemany in chunks, one transaction per table."""

    def __init__(self, engine):
        self.engine = engine
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def insert(self, model, rows) -> None:
        table = model.__table__
        started = time.perf_counter()
        n = 0
        with self.engine.begin() as conn:
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= CHUNK:
                    conn.execute(table.insert(), batch)
                    n += len(batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
                n += len(batch)
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        self.seconds[table.name] = self.seconds.get(table.name, 0) + time.perf_counter() - started


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def iban(rng, country: str) -> str:
    if country == "NL":
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban += f"{rng.randrange(10**10):010d}"
    else:
        bban = f"{rng.randrange(10**18):018d}"
    digits = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - digits % 97:02d}{bban}"


def imo_number(rng) -> str:
    digits = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(5)]
    check = sum(d * (7 - i) for i, d in enumerate(digits)) % 10
    return "IMO" + "".join(map(str, digits)) + str(check)


def entity_properties(rng, schema: str, country: str) -> dict:
    words = COUNTRY[country]
    cc = country.lower()
    if schema == "Person":
        props = {
            "name": [f"{rng.choice(words['first'])} {rng.choice(words['last'])}"],
            "birthDate": [f"{rng.randint(1950, 2002)}-{rng.randint(1, 12):02d}"],
            "nationality": [rng.choice((cc, cc, cc, "ma", "co", "al", "tr"))],
        }
    elif schema == "Company":
        props = {
            "name": [
                f"{rng.choice(COMPANY_WORDS[0])} {rng.choice(COMPANY_WORDS[1])} {words['form']}"
            ],
            "jurisdiction": [cc],
            "registrationNumber": [f"{rng.randrange(10**7, 10**8)}"],
        }
    elif schema == "Vessel":
        props = {
            "name": [f"{rng.choice(VESSEL_NAMES)} {rng.randint(1, 9)}"],
            "imoNumber": [imo_number(rng)],
            "flag": [rng.choice(FLAGS)],
            "type": [rng.choice(VESSEL_TYPES)],
        }
    elif schema == "RealEstate":
        street = f"{rng.choice(words['street'])} {rng.randint(1, 400)}"
        props = {
            "name": [f"Property {street}"],
            "address": [f"{street}, {rng.choice(words['city'])}"],
            "cadastralCode": [f"{country}-{rng.randrange(10**5):05d}-{rng.randint(1, 9999)}"],
            "country": [cc],
        }
    elif schema == "BankAccount":
        bank_country = "NL" if country in ("NL", "BE") else "DE"
        props = {
            "iban": [iban(rng, bank_country)],
            "bankName": [rng.choice(BANKS[bank_country])],
            "country": [bank_country.lower()],
        }
    else:  # Vehicle
        vin = "WVW" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(14))
        props = {
            "registrationNumber": [
                f"{rng.choice('ABCDEFGH')}{rng.randint(100, 999)}"
                f"{rng.choice('KLMNPRST')}{rng.choice('KLMNPRST')}"
            ],
            "model": [rng.choice(CAR_MODELS)],
            "vin": [vin],
            "country": [cc],
        }
    return props


def build(app, rng, scale: float) -> tuple[Plan, Writer, dict]:
    """Migrate, seed, create the officers, then bulk-insert the plan; return what was built."""
    with app.app_context():
        migrate()
        db = get_session()
        accounts.seed_reference_organisations(db)
        db.commit()
        officers = {}
        for code, _w in ORGS:
            user = accounts.create_user(
                db,
                None,
                email=f"officer.{code.lower()}@bench.invalid",
                name=f"Officer of {code}",
                role="officer",
                organisation_codes=[code],
                password=PASSWORD,
            )
            officers[code] = user.id
        db.commit()
        orgs = {o.code: o for o in db.scalars(select(Organisation)) if o.code in dict(ORGS)}
    plan = make_plan(rng, scale)
    writer = Writer(app.extensions["assettrack.engine"])
    org_id = {code: org.id for code, org in orgs.items()}
    country = {code: org.country for code, org in orgs.items()}

    decisions, links, managers = plan_decisions(rng, plan, officers, country, org_id)
    # record_decision moves the case's review date to three years after its latest decision.
    last_by_case: dict[int, date] = {}
    for d in decisions:
        last = last_by_case.get(d["case_id"])
        last_by_case[d["case_id"]] = max(last, d["decided_on"]) if last else d["decided_on"]

    def case_rows():
        for c in plan.cases:
            words = COUNTRY[country[c.org]]
            last = max(c.opened_on, last_by_case.get(c.id, c.opened_on))
            handling = rng.choices(("H0", "H1", "H2", "H3"), (0.5, 0.3, 0.15, 0.05))[0]
            yield {
                "id": c.id,
                "organisation_id": org_id[c.org],
                "reference": c.reference,
                "year": c.opened_on.year,
                "number": int(c.reference.rsplit("-", 1)[1]),
                "title": rng.choice(CASE_TITLES).format(port=words["city"][0]),
                "summary": f"Investigation opened on {c.opened_on.isoformat()} by {c.org}.",
                "status": "closed" if rng.random() < 0.12 else "open",
                "tlp": rng.choices(("GREEN", "AMBER", "AMBER+STRICT", "RED"), (1, 6, 2, 1))[0],
                "handling_code": handling,
                "handling_restriction": "No dissemination outside the JIT"
                if handling == "H3"
                else None,
                "assigned_officer_id": officers[c.org],
                "opened_on": c.opened_on,
                "review_on": review_date(last),
                "created_by_id": officers[c.org],
                "created_at": at(c.opened_on, 9),
                "updated_at": at(last, 16),
            }

    writer.insert(Case, case_rows())
    codes = [code for code, _w in ORGS]

    def share_rows():
        for c in plan.cases:
            if rng.random() < 0.1:
                other = rng.choice([x for x in codes if x != c.org])
                yield {
                    "case_id": c.id,
                    "organisation_id": org_id[other],
                    "created_at": at(c.opened_on, 11),
                }

    def tag_rows():
        for c in plan.cases:
            for tag in rng.sample(TAGS, k=rng.randint(0, 3)):
                yield {"case_id": c.id, "tag": tag}

    writer.insert(CaseShare, share_rows())
    writer.insert(CaseTag, tag_rows())

    opened = {c.id: c.opened_on for c in plan.cases}
    identifiers = []

    def entity_rows():
        for index, (code, schema, case_id) in enumerate(
            zip(plan.entity_org, plan.entity_schema, plan.entity_case, strict=True)
        ):
            entity_id = index + 1
            props = entity_properties(rng, schema, country[code])
            caption = ftm_schema.caption(schema, props)
            for kind, value in identifiers_of(schema, props):
                identifiers.append((entity_id, kind, value))
            created = at(opened[case_id], 12)
            yield {
                "id": entity_id,
                "organisation_id": org_id[code],
                "schema": schema,
                "caption": caption[:500],
                "caption_norm": normalise_name(caption)[:500],
                "properties": json.dumps(props, ensure_ascii=False, sort_keys=True),
                "external_id": None,
                "merged_into_id": None,
                "created_by_id": officers[code],
                "created_at": created,
                "updated_at": created,
            }

    writer.insert(Entity, entity_rows())
    writer.insert(
        EntityIdentifier,
        ({"entity_id": e, "kind": k, "value": v} for e, k, v in identifiers),
    )

    def link_rows():
        link_id = 0
        primary = ((c, e) for e, c in enumerate(plan.entity_case, start=1))
        for case_id, entity_id in itertools.chain(primary, plan.extra_links):
            link_id += 1
            is_asset = entity_id in plan.assets
            graded = rng.random() < 0.7
            yield {
                "id": link_id,
                "case_id": case_id,
                "entity_id": entity_id,
                "role": "other" if is_asset else pick(rng, ROLES),
                "source_grade": rng.choice("ABCX") if graded else None,
                "info_grade": rng.choice("1234") if graded else None,
                "as_asset": False,
                "note": None,
                "created_at": at(opened[case_id], 13),
            }

    writer.insert(CaseEntity, link_rows())

    def relation_rows():
        # Each asset is owned by a party of its case; persons direct companies.
        for case in plan.cases:
            if not case.parties:
                continue
            for asset_id in case.assets:
                owner = rng.choice(case.parties)
                yield relation(
                    org_id[case.org],
                    "Ownership",
                    owner,
                    asset_id,
                    officers[case.org],
                    case.opened_on,
                    percentage=rng.choice((Decimal(100), Decimal(50), None)),
                )
            persons = [p for p in case.parties if plan.entity_schema[p - 1] == "Person"]
            companies = [p for p in case.parties if plan.entity_schema[p - 1] == "Company"]
            for company in companies:
                if persons:
                    yield relation(
                        org_id[case.org],
                        "Directorship",
                        rng.choice(persons),
                        company,
                        officers[case.org],
                        case.opened_on,
                        role="director",
                    )

    writer.insert(Relation, relation_rows())

    def asset_rows():
        for a in plan.assets.values():
            created = at(opened[a.case_id], 12)
            yield {
                "entity_id": a.entity_id,
                "organisation_id": org_id[a.org],
                "stage": a.stage,
                "urgent_unconfirmed": a.urgent_unconfirmed,
                "urgent_expires_on": a.urgent_expires_on,
                "confiscation_final": a.confiscation_final,
                "last_decided_on": a.last_decided_on,
                "estimated_value": a.value,
                "currency": "EUR",
                "manager": a.manager,
                "version": 1 + len(a.template),
                "created_at": created,
                "updated_at": at(a.last_decided_on, 15) if a.last_decided_on else created,
            }

    writer.insert(Asset, asset_rows())

    def valuation_rows():
        for a in plan.assets.values():
            if a.value is not None:
                day = min(opened[a.case_id] + timedelta(days=rng.randint(1, 40)), TODAY)
                yield {
                    "asset_id": a.entity_id,
                    "valued_on": day,
                    "amount": a.value,
                    "currency": "EUR",
                    "basis": rng.choice(("desk estimate", "expert appraisal", "bank statement")),
                    "valuer": rng.choice(("ARO analyst", "court-appointed expert", "bank")),
                    "entered_by_id": officers[a.org],
                    "entered_at": at(day, 14),
                }

    writer.insert(Valuation, valuation_rows())
    writer.insert(Decision, decisions)
    writer.insert(DecisionAsset, links)
    writer.insert(ManagerAssignment, managers)

    def ledger_rows():
        for a in plan.assets.values():
            if a.stage in ("managed", "confiscated") and a.last_decided_on:
                for _ in range(rng.randint(1, 3)):
                    day = a.last_decided_on + timedelta(days=rng.randint(0, 60))
                    if day > TODAY:
                        continue
                    yield {
                        "asset_id": a.entity_id,
                        "booked_on": day,
                        "kind": rng.choices(("cost", "income"), (0.8, 0.2))[0],
                        "amount": Decimal(rng.randint(50, 25_000)),
                        "currency": "EUR",
                        "category": rng.choice(("storage", "insurance", "mooring", "rent")),
                        "note": None,
                        "entered_by_id": officers[a.org],
                        "entered_at": at(day, 15),
                    }

    writer.insert(LedgerEntry, ledger_rows())
    return plan, writer, officers


def relation(org, schema, source, target, user, day, *, percentage=None, role=None) -> dict:
    return {
        "organisation_id": org,
        "schema": schema,
        "source_id": source,
        "target_id": target,
        "role": role,
        "percentage": percentage,
        "percentage_min": None,
        "percentage_max": None,
        "start_date": day,
        "end_date": None,
        "amount": None,
        "currency": None,
        "paid_on": None,
        "properties": "{}",
        "source_grade": None,
        "info_grade": None,
        "external_id": None,
        "created_by_id": user,
        "created_at": at(day, 12),
    }


def plan_decisions(rng, plan: Plan, officers: dict, country: dict, org_id: dict):
    """Turn the groups into decision, decision_asset and manager_assignment rows.

    Walks each asset's history through the lifecycle rules (lifecycle.next_state), so the
    stored stages, flags and dates are exactly what record_decision would have left.
    """
    decisions, links, managers = [], [], []
    expiry_cache: dict = {}
    decision_id = itertools.count(1)
    sequence: dict = {}

    def expiry(day, code):
        key = (day, code)
        if key not in expiry_cache:
            expiry_cache[key] = lifecycle.urgent_freeze_expiry(day, country[code])
        return expiry_cache[key]

    def reference(code, action, day):
        key = (code, action, day.year)
        sequence[key] = sequence.get(key, 0) + 1
        return f"{code}-{action[:3].upper()}-{day.year}-{sequence[key]:05d}"

    for case, members, source in plan.groups:
        words = COUNTRY[country[case.org]]
        nodes = sorted({a.template[:d] for a in members for d in range(1, len(a.template) + 1)})
        # Dates: each order follows its parent by a gap; the whole tree fits the window.
        offset = {}
        for node in sorted(nodes, key=len):
            low, high = GAPS[node[-1]]
            parent = offset.get(node[:-1], 0)
            offset[node] = parent + (rng.randint(low, high) if len(node) > 1 else 0)
        lo = max(case.opened_on, FIRST_DECISION_DAY)
        hi = TODAY - timedelta(days=1)
        if all(a.template == ("Fu",) for a in members):
            lo = max(lo, TODAY - timedelta(days=10))
        avail = max(0, (hi - lo).days)
        longest = max(offset.values())
        if longest > avail:
            offset = {n: o * avail // longest for n, o in offset.items()}
            longest = avail
        start = lo + timedelta(days=rng.randint(0, avail - longest))
        state = {a.entity_id: lifecycle.AssetState(lifecycle.Stage.TRACED) for a in members}
        manager_of: dict = {a.entity_id: None for a in members}
        expires_of: dict = {a.entity_id: None for a in members}
        for node in sorted(nodes, key=lambda n: (offset[n], len(n))):
            step = node[-1]
            action = STEP_ACTION[step]
            day = start + timedelta(days=offset[node])
            covered = [a for a in members if a.template[: len(node)] == node]
            ident = next(decision_id)
            row = decision_row(rng, ident, case, action, day, words, officers, source)
            row["organisation_id"] = org_id[case.org]
            row["reference"] = reference(case.org, action, day)
            values = []
            for a in covered:
                before = state[a.entity_id]
                after = lifecycle.next_state(
                    before, action, urgent=step == "Fu", final=step == "Cf", decided_on=day
                )
                amount = None
                if action in ("freeze", "confiscate") and a.value is not None:
                    amount = a.value
                elif action == "dispose" and a.value is not None:
                    amount = (a.value * Decimal(rng.uniform(0.5, 1.0))).quantize(Decimal("0.01"))
                if amount is not None:
                    values.append(amount)
                if step == "Fc":
                    row["confirms_urgent"] = True
                links.append(
                    {
                        "decision_id": ident,
                        "asset_id": a.entity_id,
                        "stage_before": before.stage.value,
                        "stage_after": after.stage.value,
                        "state_before": json.dumps(
                            state_dict(before, expires_of[a.entity_id], manager_of[a.entity_id])
                        ),
                        "amount": amount,
                    }
                )
                state[a.entity_id] = after
                expires_of[a.entity_id] = (
                    expiry(day, case.org) if after.urgent_unconfirmed else None
                )
                if action == "manage":
                    manager_of[a.entity_id] = row["manager"]
                    managers.append(
                        {
                            "asset_id": a.entity_id,
                            "manager": row["manager"],
                            "assigned_on": day,
                            "decision_id": ident,
                            "note": None,
                            "entered_by_id": officers[case.org],
                            "entered_at": at(day, 11),
                        }
                    )
            total = sum(values) if values else None
            if step == "Fu":
                row["urgent"] = True
                row["expires_on"] = expiry(day, case.org)
                row["authority"] = words["aro"]
            if step == "Cf":
                row["final"] = True
            if step == "Ms":
                row["early_sale"] = True
                row["early_sale_ground"] = rng.choice(EARLY_SALE_GROUNDS)
                row["price"] = (
                    (total * Decimal("0.8")).quantize(Decimal("0.01"))
                    if total
                    else Decimal(rng.randint(1_000, 90_000))
                )
            if action in ("freeze", "confiscate", "dispose"):
                row["amount"] = total
            decisions.append(row)
        for a in members:
            final = state[a.entity_id]
            a.stage = final.stage.value
            a.urgent_unconfirmed = final.urgent_unconfirmed
            a.urgent_expires_on = expires_of[a.entity_id]
            a.confiscation_final = final.confiscation_final
            a.last_decided_on = final.last_decided_on
            a.manager = manager_of[a.entity_id]

    for case, a in plan.annulled:
        words = COUNTRY[country[case.org]]
        lo = max(case.opened_on, FIRST_DECISION_DAY)
        day = lo + timedelta(days=rng.randint(0, max(0, (TODAY - lo).days - 2)))
        ident = next(decision_id)
        row = decision_row(rng, ident, case, "freeze", day, words, officers, "manual")
        row["organisation_id"] = org_id[case.org]
        row["reference"] = reference(case.org, "freeze", day)
        row["amount"] = a.value
        row["annulled_at"] = at(min(day + timedelta(days=1), TODAY), 17)
        row["annulled_by_id"] = officers[case.org]
        row["annul_reason"] = "entered on the wrong case"
        decisions.append(row)
        links.append(
            {
                "decision_id": ident,
                "asset_id": a.entity_id,
                "stage_before": "traced",
                "stage_after": "frozen",
                "state_before": json.dumps(
                    state_dict(lifecycle.AssetState(lifecycle.Stage.TRACED), None, None)
                ),
                "amount": a.value,
            }
        )
    return decisions, links, managers


def state_dict(state, expires_on, manager) -> dict:
    """What decisions._state_dict stores as a link's state before the decision."""
    return {
        "stage": state.stage.value,
        "urgent_unconfirmed": state.urgent_unconfirmed,
        "urgent_expires_on": expires_on.isoformat() if expires_on else None,
        "confiscation_final": state.confiscation_final,
        "last_decided_on": state.last_decided_on.isoformat() if state.last_decided_on else None,
        "manager": manager,
    }


def decision_row(rng, ident, case, action, day, words, officers, source) -> dict:
    basis = (
        words["confiscation_basis"]
        if action in ("confiscate", "dispose")
        else words["freeze_basis"]
    )
    row = {
        "id": ident,
        "case_id": case.id,
        "organisation_id": None,  # set by the caller
        "action": action,
        "decided_on": day,
        "authority": words["court"],
        "reference": "",
        "legal_basis": basis,
        "urgent": False,
        "confirms_urgent": False,
        "expires_on": None,
        "owner_notified_on": None,
        "manager": None,
        "early_sale": False,
        "early_sale_ground": None,
        "price": None,
        "confiscation_type": None,
        "final": False,
        "disposal": None,
        "recipient": None,
        "purpose": None,
        "reason": None,
        "returned_on": None,
        "amount": None,
        "currency": "EUR",
        "document_name": None,
        "document_path": None,
        "document_sha256": None,
        "document_type": None,
        "source": source,
        "register_label": "Land registry import" if source == "register" else None,
        "annulled_at": None,
        "annulled_by_id": None,
        "annul_reason": None,
        "entered_by_id": officers[case.org],
        "entered_at": at(min(day + timedelta(days=1), TODAY), 9),
    }
    if action == "freeze" and rng.random() < 0.7:
        row["owner_notified_on"] = min(day + timedelta(days=rng.randint(1, 20)), TODAY)
    elif action == "manage":
        row["manager"] = rng.choice(MANAGERS)
    elif action == "confiscate":
        row["confiscation_type"] = pick(rng, CONFISCATION_TYPES)
    elif action == "dispose":
        row["disposal"] = pick(rng, DISPOSALS)
        if row["disposal"] in ("social_reuse", "public_use", "victim_compensation"):
            row["recipient"] = f"Municipality of {words['city'][0]}"
            row["purpose"] = (
                "community centre" if row["disposal"] != "victim_compensation" else None
            )
    elif action == "release":
        row["reason"] = rng.choice(
            ("acquittal", "no link to the offence shown", "bona fide third-party owner")
        )
        row["returned_on"] = min(day + timedelta(days=rng.randint(0, 30)), TODAY)
    return row


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Built:
    """What the measurements and the report need of the plan."""

    big_case: int
    decision_cases: list
    stage_count: dict
    annulled: int
    register_groups: int

    @classmethod
    def of(cls, plan: Plan) -> "Built":
        stage_count: dict = {}
        for a in plan.assets.values():
            stage_count[a.stage] = stage_count.get(a.stage, 0) + 1
        return cls(
            plan.big_case,
            list(plan.decision_cases),
            stage_count,
            len(plan.annulled),
            sum(1 for g in plan.groups if g[2] == "register"),
        )


@dataclass
class Result:
    name: str
    limit_ms: float | None
    samples: list = field(default_factory=list)  # wall-clock ms
    note: str = ""
    error: str = ""
    queries: int | None = None
    cpu: list = field(default_factory=list)  # CPU ms of this process, same runs

    @property
    def median(self):
        return statistics.median(self.samples) if self.samples else None

    @property
    def cpu_median(self):
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def p95(self):
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.limit_ms is None or not self.samples:
            return "info"
        return "PASS" if self.median <= self.limit_ms else "FAIL"


def measure(result: Result, run, *, warmup: int, runs: int) -> Result:
    """Call ``run()`` warm-up + ``runs`` times; keep the timed runs (ms) in ``result``."""
    try:
        for _ in range(warmup):
            run()
        started = time.perf_counter()
        for i in range(runs):
            c0, t0 = time.process_time(), time.perf_counter()
            run()
            result.samples.append((time.perf_counter() - t0) * 1000)
            result.cpu.append((time.process_time() - c0) * 1000)
            if i + 1 >= MIN_RUNS and time.perf_counter() - started > RUN_BUDGET_S:
                result.note += f" (stopped after {i + 1} runs: time budget)"
                break
    except Exception as exc:  # report it, keep benchmarking the rest
        result.error = f"{exc.__class__.__name__}: {exc}"
        traceback.print_exc()
    return result


class SqlRecorder:
    """Time each SQL statement executed on an engine while active."""

    def __init__(self, engine):
        self.engine = engine
        self.active = False
        self.rows: list = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active and conn.info.get("bench_t0"):
            elapsed = time.perf_counter() - conn.info["bench_t0"].pop()
            self.rows.append((elapsed * 1000, statement, parameters, executemany))

    def record(self, run):
        self.rows = []
        self.active = True
        try:
            run()
        finally:
            self.active = False
        return list(self.rows)


def slowest(rows, n=5) -> str:
    """Summarise recorded statements: the n slowest by total time, grouped by text."""
    groups: dict = {}
    for ms, statement, _params, _many in rows:
        key = " ".join(statement.split())
        total, count = groups.get(key, (0.0, 0))
        groups[key] = (total + ms, count + 1)
    lines = []
    for key, (total, count) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:n]:
        lines.append(f"    {total:8.1f} ms  x{count:<4} {key[:110]}")
    return "\n".join(lines)


def profile(run, n=22) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    stats_ = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats_.print_stats(r"assettrack/|templates/|flask_wtf/csrf|flask_babel/__init__", n)
    keep = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(keep) if "ncalls" in ln), 0)
    return "\n".join("    " + ln for ln in keep[start:])


def explain(engine, statement: str, parameters) -> list[str]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        rows = cursor.fetchall()
    finally:
        raw.close()
    depth = {0: 0}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * depth[node] + detail)
    return lines


BIG_TABLES = ("decision_asset", "decision", "asset", "entity", "case_entity", "case_file")


def plan_findings(lines: list[str]) -> list[str]:
    """Name the full scans of large tables, and index searches on the organisation alone."""
    found = []
    for line in lines:
        detail = line.strip()
        words = detail.split()
        if len(words) < 2 or words[0] not in ("SCAN", "SEARCH") or words[1] not in BIG_TABLES:
            continue
        if words[0] == "SCAN":
            kind = "index scan of every row" if "INDEX" in detail else "FULL TABLE SCAN"
            found.append(f"{kind}: {detail}")
        elif detail.endswith("(organisation_id=?)"):
            found.append(f"reads every {words[1]} row of the organisation: {detail}")
    return found


def dashboard_rules(app) -> list[str]:
    """The GET routes named like a dashboard that take no URL argument."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "dashboard" in rule.rule and not rule.arguments and "GET" in (rule.methods or ())
    )


def benchmark(app, plan: "Built", officers: dict, recorder: SqlRecorder) -> list[Result]:
    results = []
    officer_of = {}
    with app.app_context():
        db = get_session()
        for code, user_id in officers.items():
            officer_of[code] = db.get(User, user_id)
        org_by_code = {o.code: o for o in db.scalars(select(Organisation))}
        big_case = db.get(Case, plan.big_case)
        big_org = next(c for c, o in org_by_code.items() if o.id == big_case.organisation_id)
        db.close()

    # 1. The case page of the case with 500 assets.
    client = app.test_client()
    login = client.post(
        "/login",
        data={"email": officer_of[big_org].email, "password": PASSWORD},
    )
    page = Result(f"GET /cases/{plan.big_case} (500 assets)", LIMIT_PAGE_MS)
    if login.status_code not in (200, 302):
        page.error = f"login failed: HTTP {login.status_code}"
        results.append(page)
    else:

        def get_page():
            response = client.get(f"/cases/{plan.big_case}")
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            return response

        # Time spent in render_template, told apart from the view's own work by Flask's signals.
        render_ms: list[float] = []
        stamp: dict = {}

        def before_render(sender, template, context, **extra):
            stamp["t0"] = time.perf_counter()

        def after_render(sender, template, context, **extra):
            if "t0" in stamp:
                render_ms.append((time.perf_counter() - stamp.pop("t0")) * 1000)

        before_render_template.connect(before_render, app)
        template_rendered.connect(after_render, app)
        try:
            measure(page, get_page, warmup=PAGE_WARMUP, runs=PAGE_RUNS)
        finally:
            before_render_template.disconnect(before_render, app)
            template_rendered.disconnect(after_render, app)
        if not page.error:
            holder = {}
            rows = recorder.record(lambda: holder.setdefault("r", get_page()))
            body = holder["r"].get_data(as_text=True)
            page.queries = len(rows)
            timed_render = render_ms[-len(page.samples) :]
            page.note = (
                f"{len(body) / 1024:.0f} KiB of HTML, {body.count('<tr')} table rows, "
                f"{body.count('<form')} forms; render_template median "
                f"{statistics.median(timed_render):.0f} ms of the request, SQL "
                f"{sum(r[0] for r in rows):.0f} ms" + page.note
            )
            page.sql = rows
        results.append(page)

    # 2. The dashboard figures, as services (a fresh session per run, like a request).
    code = big_org
    org = org_by_code[code]
    today = org_today(org)
    year = today.year
    parts = {
        "directive_statistics": lambda s: stats.directive_statistics(s, org.id, year),
        "assets_by_stage": lambda s: stats.assets_by_stage(s, org.id),
        "urgent_freezes": lambda s: stats.urgent_freezes(s, org.id, today),
        "reviews_due": lambda s: stats.reviews_due(s, org.id, today),
    }
    timings: list[dict] = []
    sizes: dict = {}
    marks: dict = {}

    def dashboard_services():
        timing = {}
        with app.app_context():
            session = new_session(app)
            try:
                for name, call in parts.items():
                    before = len(recorder.rows)
                    t0 = time.perf_counter()
                    out = call(session)
                    timing[name] = (time.perf_counter() - t0) * 1000
                    marks[name] = len(recorder.rows) - before
                    sizes[name] = len(out) if hasattr(out, "__len__") else None
            finally:
                session.close()
        timings.append(timing)

    total = Result(f"dashboard services ({code}, {year})", LIMIT_DASHBOARD_MS)
    measure(total, dashboard_services, warmup=STATS_WARMUP, runs=STATS_RUNS)
    timed = timings[STATS_WARMUP : STATS_WARMUP + len(total.samples)]
    if not total.error:
        total.sql = recorder.record(dashboard_services)
        total.queries = len(total.sql)
        total.note = (
            f"urgent_freezes: {sizes.get('urgent_freezes')} assets, "
            f"reviews_due: {sizes.get('reviews_due')} cases" + total.note
        )
    results.append(total)
    for name in parts:
        part = Result(f"  {name}", None, samples=[t[name] for t in timed if name in t])
        part.queries = marks.get(name)
        results.append(part)

    # 3. GET /dashboard, when the route exists.
    rules = dashboard_rules(app)
    if rules:
        route = "/dashboard" if "/dashboard" in rules else rules[0]
        dash = Result(f"GET {route}", LIMIT_DASHBOARD_MS)

        def get_dashboard():
            response = client.get(route, follow_redirects=True)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")

        measure(dash, get_dashboard, warmup=STATS_WARMUP, runs=STATS_RUNS)
        if not dash.error:
            dash.sql = recorder.record(get_dashboard)
            dash.queries = len(dash.sql)
        results.append(dash)
    else:
        results.append(
            Result("GET /dashboard", LIMIT_DASHBOARD_MS, note="route absent when run: not measured")
        )

    # 4. record_decision: a freeze of 100 traced assets, then commit; one case per run.
    decision = Result("record_decision freeze x100 + commit", LIMIT_DECISION_MS)
    queue = list(plan.decision_cases)
    recorded_sql = {}

    def record_one(instrument=False):
        case_id = queue.pop(0)
        with app.app_context():
            session = new_session(app)
            try:
                case = session.get(Case, case_id)
                org_code = next(c for c, o in org_by_code.items() if o.id == case.organisation_id)
                user = session.get(User, officers[org_code])
                asset_ids = list(
                    session.scalars(
                        select(CaseEntity.entity_id)
                        .where(CaseEntity.case_id == case_id)
                        .join(Asset, Asset.entity_id == CaseEntity.entity_id)
                    )
                )
                payload = {
                    "action": "freeze",
                    "asset_ids": asset_ids,
                    "decided_on": org_today(org_by_code[org_code]).isoformat(),
                    "authority": "Public Prosecution Service",
                    "reference": f"BENCH-{case_id}",
                    "legal_basis": "Art. 94a Sv",
                    "value_at_freezing": "1250000.00",
                    "asset_values": {str(a): "12500.00" for a in asset_ids},
                }

                def work():
                    record_decision(session, user, case, payload)
                    session.commit()

                if instrument:
                    recorded_sql["rows"] = recorder.record(work)
                    return
                c0, t0 = time.process_time(), time.perf_counter()
                work()
                decision.samples.append((time.perf_counter() - t0) * 1000)
                decision.cpu.append((time.process_time() - c0) * 1000)
            finally:
                session.close()

    try:
        for _ in range(DECISION_WARMUP):
            record_one()
        decision.samples.clear()
        for _ in range(DECISION_RUNS - 1):
            record_one()
        record_one(instrument=True)
        decision.sql = recorded_sql["rows"]
        decision.queries = len(decision.sql)
        decision.note = f"{len(decision.samples)} cases timed, 1 more instrumented"
    except Exception as exc:
        decision.error = f"{exc.__class__.__name__}: {exc}"
        traceback.print_exc()
    results.append(decision)

    return results


# --- report ----------------------------------------------------------------------------------


def fmt(ms) -> str:
    return "—" if ms is None else f"{ms:,.1f} ms"


def report(results, plan, writer, build_s, engine) -> None:
    print()
    print("Data volumes (SQLite, one fresh file):")
    for table, count in writer.counts.items():
        print(f"  {table:<20} {count:>9,} rows   {writer.seconds[table]:6.1f} s")
    stage_count = plan.stage_count
    print(
        "  assets by stage:    "
        + ", ".join(
            f"{s} {n:,}"
            for s, n in sorted(
                stage_count.items(), key=lambda kv: [s for s, _w in STAGE_WEIGHTS].index(kv[0])
            )
        )
    )
    print(
        f"  annulled decisions: {plan.annulled:,};  "
        f"register-imported groups: {plan.register_groups:,}"
    )
    print(f"  build time (migrate, seed, officers, plan, inserts, ANALYZE): {build_s:.1f} s")
    print()
    print(
        "Wall-clock median and p95 decide; 'cpu' is the median CPU time of this process over the"
        " same runs,\nwhich other processes on the machine disturb less (load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end)."
    )
    header = (
        f"{'target':<44} {'median':>10} {'p95':>10} {'cpu':>10} {'limit':>9} {'runs':>4} "
        f"{'SQL':>4}  result"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        limit = "—" if r.limit_ms is None else f"{r.limit_ms:,.0f} ms"
        queries = "" if r.queries is None else str(r.queries)
        verdict = r.verdict
        if verdict == "FAIL":
            verdict = "FAIL  <<<"
            if r.cpu_median is not None and r.cpu_median <= r.limit_ms:
                verdict += " (CPU time passes: a busy machine?)"
        print(
            f"{r.name:<44} {fmt(r.median):>10} {fmt(r.p95):>10} {fmt(r.cpu_median):>10} "
            f"{limit:>9} {len(r.samples):>4} {queries:>4}  {verdict}"
        )
        if r.error:
            print(f"      error: {r.error}")
        if r.note.strip():
            print(f"      {r.note.strip()}")
    print()
    print("Where the time goes (SQL of one more, instrumented run per target):")
    for r in results:
        if getattr(r, "sql", None):
            print(
                f"  {r.name.strip()}: {len(r.sql)} statements, "
                f"{sum(x[0] for x in r.sql):,.1f} ms in SQL; the heaviest:"
            )
            print(slowest(r.sql, n=3))
    print()
    for r in results:
        if getattr(r, "profile", None):
            print(f"FAIL {r.name.strip()}: profile of one more run (cumulative, cProfile):")
            print(r.profile)
            print()


def suggest_index(statement: str, finding: str) -> str | None:
    """Name the index that would turn an organisation-wide read into a narrow search."""
    sql = " ".join(statement.split())
    if "SEARCH decision " in finding and "decision.action = ?" in sql:
        where = " WHERE annulled_at IS NULL" if "decision.annulled_at IS NULL" in sql else ""
        return (
            f"CREATE INDEX ix_decision_org_action ON decision (organisation_id, action, "
            f"decided_on){where}"
        )
    if "SEARCH asset " in finding and "asset.urgent_unconfirmed IS 1" in sql:
        return (
            "CREATE INDEX ix_asset_org_urgent ON asset (organisation_id, urgent_expires_on) "
            "WHERE urgent_unconfirmed IS 1"
        )
    if "SEARCH asset " in finding and "GROUP BY asset.stage, asset.currency" in sql:
        return (
            "CREATE INDEX ix_asset_org_stage_value ON asset (organisation_id, stage, "
            "currency, estimated_value)  -- covering: no row lookups"
        )
    return None


def explain_statistics(engine, results) -> None:
    """EXPLAIN QUERY PLAN of the heaviest statistics query in full, then the findings of all."""
    dash = next((r for r in results if r.name.startswith("dashboard services")), None)
    if dash is None or not getattr(dash, "sql", None):
        print("EXPLAIN QUERY PLAN: no statistics run recorded")
        return
    ordered = sorted((row for row in dash.sql if not row[3]), key=lambda row: -row[0])
    ms, statement, params, _many = ordered[0]
    print(
        f"Heaviest statistics query ({ms:.1f} ms of {sum(r[0] for r in ordered):.1f} ms "
        f"spent in {len(ordered)} statistics statements):"
    )
    print("    " + " ".join(statement.split())[:700])
    lines = explain(engine, statement, params)
    print("  EXPLAIN QUERY PLAN:")
    for line in lines:
        print("    " + line)
    uses = [ln for ln in lines if "USING" in ln and "INDEX" in ln and "AUTOMATIC" not in ln]
    print(
        f"  uses indexes: {'yes' if uses else 'NO'} ({len(uses)} index searches); "
        f"temporary B-trees: {sum('TEMP B-TREE' in ln for ln in lines)}"
    )
    print("  Plan findings over all statistics statements:")
    seen = set()
    any_found = False
    for ms, statement, params, _many in ordered:
        for finding in plan_findings(explain(engine, statement, params)):
            key = (finding, " ".join(statement.split())[:60])
            if key in seen:
                continue
            seen.add(key)
            any_found = True
            print(f"    {ms:6.1f} ms  {' '.join(statement.split())[:70]}...")
            print(f"               {finding}")
            suggestion = suggest_index(statement, finding)
            if suggestion:
                print(f"               missing index: {suggestion}")
    if not any_found:
        print("    none: every large table is searched through a selective index")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the volumes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="assettrack-bench-"))
    instance = workdir / "instance"
    instance.mkdir()
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
            "SECRET_KEY": "bench-secret-key",
            "AUDIT_KEY": "bench-audit-key",
            "AUDIT_CHECKPOINT": str(instance / "audit-checkpoint.json"),
            "FILES_DIR": str(instance / "files"),
            "JOBS_IMMEDIATE": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    engine = app.extensions["assettrack.engine"]
    print(f"assettrack lifecycle benchmark: scale {args.scale:g}, today {TODAY}, in {workdir}")
    rng = random.Random(SEED)
    try:
        started = time.perf_counter()
        plan, writer, officers = build(app, rng, args.scale)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        build_s = time.perf_counter() - started
        # Keep what the measurements need and drop the plan, then freeze what is left out of the
        # garbage collector: a web process does not hold 100,000 planned assets, and collecting
        # them would add pauses to random runs.
        plan = Built.of(plan)
        gc.collect()
        gc.freeze()
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"built in {build_s:.1f} s; measuring (load average {load}, {os.cpu_count()} CPUs)..."
        )
        recorder = SqlRecorder(engine)
        results = benchmark(app, plan, officers, recorder)
        for r in results:
            if r.verdict == "FAIL":
                r.profile = profile_target(app, r, plan, officers)
        report(results, plan, writer, build_s, engine)
        explain_statistics(engine, results)
        failed = [r.name.strip() for r in results if r.verdict in ("FAIL", "ERROR")]
        print("RESULT: " + ("all targets PASS" if not failed else "FAIL: " + "; ".join(failed)))
    finally:
        engine.dispose()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def profile_target(app, result, plan, officers) -> str:
    """Profile one more run of a failed target (the case page or the statistics)."""
    if result.name.startswith("GET /cases/"):
        client = app.test_client()
        with app.app_context():
            db = get_session()
            case = db.get(Case, plan.big_case)
            email = next(
                u.email
                for u in db.scalars(select(User))
                if u.organisation_id == case.organisation_id
            )
        client.post("/login", data={"email": email, "password": PASSWORD})
        return profile(lambda: client.get(f"/cases/{plan.big_case}"))
    if result.name.startswith("dashboard services"):

        def run():
            with app.app_context():
                session = new_session(app)
                org_id = session.get(Case, plan.big_case).organisation_id
                org = session.get(Organisation, org_id)
                today = org_today(org)
                stats.directive_statistics(session, org_id, today.year)
                stats.assets_by_stage(session, org_id)
                stats.urgent_freezes(session, org_id, today)
                stats.reviews_due(session, org_id, today)
                session.close()

        return profile(run)
    return ""


if __name__ == "__main__":
    sys.exit(main())
