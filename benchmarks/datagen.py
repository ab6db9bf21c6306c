"""The one benchmark data generator (DECISIONS "For every issue"): 1,000 to 1,000,000 entities
with cases, relations, assets and identifiers, on SQLite or PostgreSQL, from a fixed seed.

Built with #12's search benchmark, meant for every later one (#15 retention drills, #17, #18):
import it rather than writing another generator.

    from datagen import build, scale, sqlite_url, postgres_database

    with postgres_database() as url:                 # or url = sqlite_url(tmp_dir)
        data = build(url, tmp_dir, entities=int(1_000_000 * scale()))
        with data.app.app_context(): ...             # data.officers, data.samples, data.counts

**What it writes** (every run the same rows for the same ``entities`` and ``seed``):

- the reference port cities (``accounts.seed_reference_organisations``) and one officer per
  organisation holding data (NLRTM, BEANR, DEHAM, ITGOA, ESALG, FRLEH), through
  ``accounts.create_user`` (argon2: only six);
- ``case_file``: one case per 20 entities on average, spread over the six cities and 2023-2026,
  references ``NLRTM-2025-0042`` as the services number them, TLP AMBER;
- ``entity``: Person 45 % (given and family names of twelve countries from
  ``bench_duplicates``, in Latin with accents, Greek and Cyrillic scripts, some with an alias),
  Company 25 % (legal forms, registration number and jurisdiction), BankAccount 10 % (valid
  IBANs of NL, BE, DE, FR), Vehicle 6 % (registration number), RealEstate 6 % (address,
  cadastral code), Vessel 4 % (valid IMO numbers), Security 4 % (name); FtM ``properties``
  JSON, ``caption`` by ``schema.caption``, ``caption_norm`` by ``normalise_name``;
- ``entity_identifier`` by ``services.entities.identifiers_of`` (what the services store);
- ``case_entity``: each entity in its case (suspects, associates, enablers, a few victims and
  witnesses, ``other`` for assets), about 3 % also in a second case of the same city;
- ``relation``: an Ownership from a party of the case to each asset (percentage), a Directorship
  from a person to each company;
- ``asset``: one per asset-schema entity, ``traced``/``frozen``/``managed``/``confiscated``,
  an estimated value in EUR;
- ``search_key``: ``services.search.reindex_all`` (set ``index=False`` to skip it).

**How**: rows are generated in Python with explicit ids, 50,000 entities at a time (memory stays
bounded), and each batch is written in one transaction, table by table (SQLite: ``executemany``
in chunks of 5,000; PostgreSQL: ``COPY``, then the sequences are moved past the ids); then the
search key, then ``ANALYZE`` (``VACUUM ANALYZE`` on PostgreSQL, which also merges the GIN
indexes' pending lists, as autovacuum does after a load). No ORM, no services, no audit entries: it
builds a large installation's state, not its history. About 1,000,000 entities a few minutes
per database on a 2-core machine.

``samples`` holds, per kind, queries as an officer would type them and the organisation whose
officer may find them: person names in another order and without accents, IBANs in groups of
four, IMO numbers with "IMO", registration numbers with punctuation, case references.
"""

import contextlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_duplicates import BRAND_ENDINGS  # noqa: E402
from bench_duplicates import BRANDS  # noqa: E402
from bench_duplicates import GIVEN  # noqa: E402
from bench_duplicates import LEGAL  # noqa: E402
from bench_duplicates import SHIPS  # noqa: E402
from bench_duplicates import WORDS  # noqa: E402
from bench_duplicates import family_name  # noqa: E402
from bench_duplicates import imo  # noqa: E402

__all__ = [
    "ORGANISATIONS",
    "Dataset",
    "build",
    "scale",
    "sqlite_url",
    "postgres_database",
    "POSTGRES_ADMIN_URL",
]

ORGANISATIONS = ("NLRTM", "BEANR", "DEHAM", "ITGOA", "ESALG", "FRLEH")
POSTGRES_ADMIN_URL = os.environ.get(
    "ASSETTRACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "bench-password-not-secret"  # noqa: S105  (benchmark officers only)
CHUNK = 5000
BATCH_ENTITIES = 50_000  # generated, then written, at a time
ENTITIES_PER_CASE = 20
SAMPLES_PER_KIND = 100
_SCHEMATA = (
    ("Person", 0.45),
    ("Company", 0.25),
    ("BankAccount", 0.10),
    ("Vehicle", 0.06),
    ("RealEstate", 0.06),
    ("Vessel", 0.04),
    ("Security", 0.04),
)
_ASSETS = {"BankAccount", "Vehicle", "RealEstate", "Vessel", "Security"}
_PARTY_ROLES = ("suspect", "suspect", "associate", "associate", "enabler", "victim", "witness")
_STAGES = ("traced", "traced", "frozen", "managed", "confiscated")
_DUTCH_BANKS = ("ABNA", "INGB", "RABO")
_IBAN_LENGTH = {"NL": 18, "BE": 16, "DE": 22, "FR": 27}
_STREETS = ("Havenstraat", "Kade", "Rue du Port", "Hafenstraße", "Via del Porto", "Calle Mayor")
_CITIES = {
    "NLRTM": "Rotterdam",
    "BEANR": "Antwerpen",
    "DEHAM": "Hamburg",
    "ITGOA": "Genova",
    "ESALG": "Algeciras",
    "FRLEH": "Le Havre",
}
_COUNTRY = {
    "NLRTM": "nl",
    "BEANR": "be",
    "DEHAM": "de",
    "ITGOA": "it",
    "ESALG": "es",
    "FRLEH": "fr",
}


def scale(default: float = 1.0) -> float:
    """The ``SCALE`` environment variable (``make bench SCALE=0.1``), else ``default``."""
    raw = os.environ.get("SCALE", "").strip()
    return float(raw) if raw else default


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{Path(directory) / 'bench.sqlite'}"


@contextlib.contextmanager
def postgres_database(admin_url: str = POSTGRES_ADMIN_URL):
    """A fresh database on the PostgreSQL server, dropped afterwards; yields its URL."""
    name = f"assettrack_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Dataset:
    """What ``build`` made: the app on the database, its officers, counts, sample queries."""

    url: str
    app: object
    officers: dict[str, int]  # organisation code → user id
    organisations: dict[str, int]  # code → organisation id
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    # kind → [(query as typed, organisation code)]
    samples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def build(
    url: str,
    instance: Path,
    *,
    entities: int = 1_000_000,
    seed: int = 12,
    index: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Dataset:
    """Migrate a fresh database at ``url`` and fill it; return the :class:`Dataset`."""
    from assettrack import create_app
    from assettrack.cli import migrate
    from assettrack.db import get_session
    from assettrack.models import Organisation
    from assettrack.services import accounts

    say = progress or (lambda message: None)
    instance = Path(instance)
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench",
            "AUDIT_CHECKPOINT": str(instance / "audit-checkpoint.json"),
            "FILES_DIR": str(instance / "files"),
            "JOBS_IMMEDIATE": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    started = time.perf_counter()
    with app.app_context():
        migrate()
        db = get_session()
        accounts.seed_reference_organisations(db)
        db.commit()
        orgs = {
            o.code: o.id
            for o in db.scalars(select(Organisation).where(Organisation.code.in_(ORGANISATIONS)))
        }
        officers = {}
        for code in ORGANISATIONS:
            user = accounts.create_user(
                db,
                None,
                email=f"bench.{code.lower()}@example.test",
                name=f"Bench officer {code}",
                role="officer",
                organisation_codes=[code],
                password=PASSWORD,
            )
            officers[code] = user.id
        db.commit()
    data = Dataset(url=url, app=app, officers=officers, organisations=orgs)
    data.seconds["migrate"] = time.perf_counter() - started
    engine = app.extensions["assettrack.engine"]
    data.seconds["generate"] = data.seconds["write"] = 0.0
    with engine.begin() as conn:
        _fast(conn)
    batches = _Generator(random.Random(seed), orgs, officers).batches(entities, data)
    while True:
        started = time.perf_counter()
        tables = next(batches, None)
        data.seconds["generate"] += time.perf_counter() - started
        if tables is None:
            break
        started = time.perf_counter()
        with engine.begin() as conn:
            for name, rows in tables.items():
                _write(conn, name, rows)
                data.counts[name] = data.counts.get(name, 0) + len(rows)
        data.seconds["write"] += time.perf_counter() - started
        say(f"entity: {data.counts['entity']:,} rows")
    if index:
        from assettrack.services.search import reindex_all

        started = time.perf_counter()
        with engine.begin() as conn:
            data.counts["search_key"] = reindex_all(conn, fresh=True)
        data.seconds["index"] = time.perf_counter() - started
        say(f"search_key: {data.counts['search_key']:,} rows")
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        # As autovacuum would after a load: statistics, and GIN pending lists merged.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    data.seconds["analyze"] = time.perf_counter() - started
    return data


def _empty() -> dict[str, list[dict]]:
    """The tables a batch fills, in the order they are written (foreign keys first)."""
    names = ("case_file", "entity", "entity_identifier", "case_entity", "relation", "asset")
    return {name: [] for name in names}


def _fast(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA synchronous=OFF")


def _write(conn, name: str, rows: list[dict]) -> None:
    from sqlmodel import SQLModel

    if not rows:
        return
    table = SQLModel.metadata.tables[name]
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        if "id" in columns:
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :last)"),
                {"last": max(r["id"] for r in rows)},
            )
        return
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


class _Generator:
    def __init__(self, rng: random.Random, orgs: dict[str, int], officers: dict[str, int]):
        self.rng = rng
        self.orgs = orgs
        self.officers = officers
        self.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        self.serial = 0

    def batches(self, n: int, data: Dataset, size: int = BATCH_ENTITIES) -> Iterator[dict]:
        """Yield the rows of each table, about ``size`` entities at a time (bounded memory)."""
        from assettrack.domain import schema as ftm_schema
        from assettrack.services.entities import identifiers_of
        from assettrack.services.entities import normalise_name

        rng = self.rng
        tables = _empty()
        cases, entities, identifiers, links, relations, assets = tables.values()
        case_count = relation_count = 0
        numbers: dict[tuple[str, int], int] = {}
        samples: dict[str, list] = {"name": [], "iban": [], "imo": [], "registration": []}
        samples["case"] = []
        schemata = [s for s, _ in _SCHEMATA]
        weights = [w for _, w in _SCHEMATA]
        entity_id = 0
        by_org: dict[str, list[int]] = {code: [] for code in ORGANISATIONS}
        while entity_id < n:
            if len(entities) >= size:
                yield tables
                tables = _empty()
                cases, entities, identifiers, links, relations, assets = tables.values()
            code = ORGANISATIONS[case_count % len(ORGANISATIONS)]
            year = rng.choice((2023, 2024, 2025, 2026))
            numbers[(code, year)] = number = numbers.get((code, year), 0) + 1
            case_count += 1
            case_id = case_count
            opened = date(year, rng.randint(1, 11), rng.randint(1, 28))
            reference = f"{code}-{year}-{number:04d}"
            cases.append(
                {
                    "id": case_id,
                    "organisation_id": self.orgs[code],
                    "reference": reference,
                    "year": year,
                    "number": number,
                    "title": f"{rng.choice(SHIPS)} {rng.choice(WORDS).lower()} "
                    f"{rng.choice(('laundering', 'smuggling', 'fraud', 'trafficking'))}",
                    "summary": "",
                    "status": "open" if rng.random() < 0.8 else "closed",
                    "tlp": "AMBER",
                    "handling_code": "H0",
                    "opened_on": opened,
                    "review_on": date(year + 3, opened.month, opened.day),
                    "created_by_id": self.officers[code],
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            if len(samples["case"]) < SAMPLES_PER_KIND and rng.random() < 0.05:
                samples["case"].append((reference, code))
            members = []
            for _ in range(min(rng.randint(8, 32), n - entity_id)):
                entity_id += 1
                schema = rng.choices(schemata, weights)[0]
                props = self._properties(schema, code, samples)
                caption = ftm_schema.caption(schema, props)[:500]
                entities.append(
                    {
                        "id": entity_id,
                        "organisation_id": self.orgs[code],
                        "schema": schema,
                        "caption": caption,
                        "caption_norm": normalise_name(caption)[:500],
                        "properties": json.dumps(props, ensure_ascii=False),
                        "external_id": None,
                        "merged_into_id": None,
                        "created_by_id": self.officers[code],
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                for kind, value in sorted(identifiers_of(schema, props)):
                    identifiers.append({"entity_id": entity_id, "kind": kind, "value": value})
                is_asset = schema in _ASSETS
                role = "other" if is_asset else rng.choice(_PARTY_ROLES)
                links.append(self._link(case_id, entity_id, role, is_asset))
                if is_asset:
                    assets.append(self._asset(entity_id, self.orgs[code]))
                members.append((entity_id, schema))
                by_org[code].append(entity_id)
            # A few entities of the city appear in a second case of theirs.
            if len(by_org[code]) > 200 and rng.random() < 0.6:
                other = rng.choice(by_org[code][: -len(members)])
                if other not in {m for m, _ in members}:
                    links.append(self._link(case_id, other, "associate", False))
            made = self._relations(case_id, code, members, relation_count)
            relation_count += len(made)
            relations.extend(made)
        data.samples = samples
        yield tables

    def _properties(self, schema: str, code: str, samples: dict) -> dict:
        rng = self.rng
        country = _COUNTRY[code]
        if schema == "Person":
            origin = rng.choice(list(GIVEN))
            given = rng.choice(GIVEN[origin])
            family = family_name(rng, origin)
            name = f"{given} {family}"
            props = {"name": [name], "nationality": [origin if origin != "ma" else "ma"]}
            if rng.random() < 0.1:
                props["alias"] = [f"{family} {given[0]}."]
            if len(samples["name"]) < SAMPLES_PER_KIND and rng.random() < 0.01:
                samples["name"].append((f"{family} {given}".lower(), code))
            return props
        if schema == "Company":
            brand = rng.choice(BRANDS) + rng.choice(BRAND_ENDINGS)
            if rng.random() < 0.5:
                brand = family_name(rng, country if country in GIVEN else "nl")
            legal = rng.choice(LEGAL.get(country, ["SA"]))
            number = f"{rng.randint(10_000_000, 99_999_999)}"
            if len(samples["registration"]) < SAMPLES_PER_KIND and rng.random() < 0.02:
                samples["registration"].append((f"{number[:4]}.{number[4:]}", code))
            return {
                "name": [f"{brand} {rng.choice(WORDS)} {legal}"],
                "registrationNumber": [number],
                "jurisdiction": [country],
            }
        if schema == "BankAccount":
            iban = self._iban(rng.choice(("NL", "BE", "DE", "FR")))
            if len(samples["iban"]) < SAMPLES_PER_KIND and rng.random() < 0.02:
                grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
                samples["iban"].append((grouped, code))
            return {"iban": [iban], "currency": ["EUR"]}
        if schema == "Vessel":
            self.serial += 1
            number = imo(self.serial * 7919)
            if len(samples["imo"]) < SAMPLES_PER_KIND and rng.random() < 0.1:
                samples["imo"].append((f"IMO {number}", code))
            return {
                "name": [f"{rng.choice(SHIPS)} {rng.choice(SHIPS)}".upper()],
                "imoNumber": [number],
                "flag": [rng.choice(("pa", "lr", "mt", "cy", country))],
            }
        if schema == "Vehicle":
            letters = "".join(rng.choices("BDFGHJKLNPRSTVXZ", k=2))
            plate = f"{rng.randint(1, 99):02d}-{letters}-{rng.randint(1, 999)}"
            return {
                "name": [f"{rng.choice(('Audi', 'BMW', 'Mercedes', 'Porsche'))} {plate}"],
                "registrationNumber": [plate],
            }
        if schema == "RealEstate":
            street = f"{rng.choice(_STREETS)} {rng.randint(1, 250)}, {_CITIES[code]}"
            return {
                "name": [street],
                "address": [street],
                "cadastralCode": [f"{code[:2]}{rng.randint(100000, 999999)}"],
            }
        return {"name": [f"{rng.choice(BRANDS)} {rng.choice(('bonds', 'shares', 'notes'))}"]}

    def _iban(self, country: str) -> str:
        rng = self.rng
        if country == "NL":
            bban = rng.choice(_DUTCH_BANKS) + f"{rng.randrange(10**10):010d}"
        else:
            bban = (
                f"{rng.randrange(10 ** (_IBAN_LENGTH[country] - 4)):0{_IBAN_LENGTH[country] - 4}d}"
            )
        digits = "".join(str(int(c, 36)) for c in bban + country + "00")
        return f"{country}{98 - int(digits) % 97:02d}{bban}"

    def _link(self, case_id: int, entity_id: int, role: str, as_asset: bool) -> dict:
        return {
            "case_id": case_id,
            "entity_id": entity_id,
            "role": role,
            "source_grade": self.rng.choice(("A", "B", "C", None)),
            "info_grade": self.rng.choice(("1", "2", "3", None)),
            "as_asset": as_asset,
            "note": None,
            "created_at": self.now,
        }

    def _asset(self, entity_id: int, organisation_id: int) -> dict:
        return {
            "entity_id": entity_id,
            "organisation_id": organisation_id,
            "stage": self.rng.choice(_STAGES),
            "urgent_unconfirmed": False,
            "confiscation_final": False,
            "estimated_value": Decimal(self.rng.randrange(1_000, 5_000_000)),
            "currency": "EUR",
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _relations(self, case_id, code, members, done) -> list[dict]:
        rng = self.rng
        people = [e for e, s in members if s == "Person"]
        parties = [e for e, s in members if s in ("Person", "Company")]
        rows = []
        if not parties:
            return rows
        for entity_id, schema in members:
            if schema in _ASSETS:
                rows.append(self._relation(code, "Ownership", rng.choice(parties), entity_id))
                rows[-1]["percentage"] = Decimal(rng.choice((100, 100, 50, 25)))
            elif schema == "Company" and people:
                rows.append(self._relation(code, "Directorship", rng.choice(people), entity_id))
        for offset, row in enumerate(rows, 1):
            row["id"] = done + offset
        return rows

    def _relation(self, code, schema, source, target) -> dict:
        return {
            "organisation_id": self.orgs[code],
            "schema": schema,
            "source_id": source,
            "target_id": target,
            "percentage": None,
            "properties": "{}",
            "created_by_id": self.officers[code],
            "created_at": self.now,
        }


if __name__ == "__main__":  # a quick look: python benchmarks/datagen.py [entities]
    import tempfile

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        built = build(sqlite_url(Path(tmp)), Path(tmp) / "instance", entities=count, progress=print)
        print(built.counts, {k: round(v, 2) for k, v in built.seconds.items()})
        print({k: v[:3] for k, v in built.samples.items()})
        built.app.extensions["assettrack.engine"].dispose()
