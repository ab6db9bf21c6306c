"""Duplicate-candidate benchmark: 100,000 generated entities with planted near-duplicates.

Generates people (Dutch, Belgian, German, French, Italian, Spanish, Polish, Greek, Romanian,
Turkish, Moroccan and Russian names, some in Cyrillic or Greek script, with birth dates and
nationalities), companies (with legal forms and registration numbers) and vessels (with IMO
numbers). About 5 % of them get a near-duplicate the way registers produce them: a typo, a
title ("Herr Dr."), an umlaut written out ("Mueller"), the family name first ("Jansen, Kees"),
a dropped middle name, a transliteration, a legal form spelled out, the same IMO under another
name. Then it runs the candidate search of ``assettrack.domain.matching.find_candidates`` (what
``assettrack duplicates find`` runs per organisation) and prints the time, the comparisons made
against the n²/2 of comparing every pair, the candidates, and the share of planted pairs found.

    .venv/bin/python benchmarks/bench_duplicates.py               # 100,000 entities, limit 60 s
    .venv/bin/python benchmarks/bench_duplicates.py --n 10000     # smaller, to try changes fast
    .venv/bin/python benchmarks/bench_duplicates.py --db          # also through the database

With ``--db`` the entities are written to a fresh migrated SQLite database (bulk, not through the
services) and ``services.duplicates.scan`` runs on it: loading, matching and storing. It always
exits 0: benchmarks report, they do not gate.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from assettrack.domain import matching

LIMIT_SECONDS = 60.0

GIVEN = {
    "nl": ["Jan", "Kees", "Pieter", "Sanne", "Femke", "Daan", "Bram", "Lotte", "Anouk", "Ruud"],
    "be": ["Wouter", "Lieve", "Koen", "Els", "Jef", "An", "Bart", "Griet", "Stijn", "Ilse"],
    "de": ["Jürgen", "Hans", "Günter", "Jörg", "Sabine", "Ute", "Klaus", "Björn", "Uwe", "Anke"],
    "fr": ["Jean", "Marie", "Pierre", "Hélène", "François", "Cécile", "Luc", "Aurélie", "Rémi"],
    "it": ["Giuseppe", "Salvatore", "Francesca", "Giovanni", "Rosaria", "Antonio", "Carmela"],
    "es": ["José", "María", "Javier", "Lucía", "Sergio", "Carmen", "Álvaro", "Nuria", "Íñigo"],
    "pl": ["Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Krzysztof", "Żaneta", "Michał"],
    "gr": ["Γιώργος", "Νίκος", "Μαρία", "Ελένη", "Κώστας", "Δημήτρης", "Γιάννης"],
    "ro": ["Ștefan", "Ioana", "Mihai", "Andreea", "Răzvan", "Cătălina", "Bogdan"],
    "tr": ["Mehmet", "Ayşe", "Mustafa", "Emine", "Hüseyin", "Fatma", "İbrahim"],
    "ma": ["Mohammed", "Youssef", "Fatima", "Khadija", "Hamza", "Said", "Nadia", "Rachid"],
    "ru": ["Виктор", "Сергей", "Ольга", "Наталья", "Дмитрий", "Алексей", "Ирина"],
}
FAMILY = {
    "nl": [
        "de Vries",
        "Jansen",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "de Groot",
        "Bos",
        "Vos",
        "Peters",
        "Hendriks",
        "van Dijk",
        "van den Berg",
    ],
    "be": [
        "Peeters",
        "Janssens",
        "Maes",
        "Jacobs",
        "Mertens",
        "Willems",
        "Claes",
        "Goossens",
        "Wouters",
        "De Smet",
        "Dubois",
        "Lambert",
    ],
    "de": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Schäfer",
        "Köhler",
        "Günther",
        "Krüger",
    ],
    "fr": [
        "Martin",
        "Bernard",
        "Thomas",
        "Petit",
        "Robert",
        "Richard",
        "Durand",
        "Lefèvre",
        "Moreau",
        "Girard",
        "Fournier",
        "Mercier",
    ],
    "it": [
        "Rossi",
        "Russo",
        "Ferrari",
        "Esposito",
        "Bianchi",
        "Romano",
        "Colombo",
        "Ricci",
        "Greco",
        "Bruno",
        "Gallo",
        "Costa",
        "Mancuso",
        "Piromalli",
        "Pesce",
    ],
    "es": [
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Martín",
        "Jiménez",
        "Ruiz",
    ],
    "pl": [
        "Nowak",
        "Kowalski",
        "Wiśniewski",
        "Wójcik",
        "Kowalczyk",
        "Kamiński",
        "Lewandowski",
        "Zieliński",
        "Szymański",
        "Woźniak",
    ],
    "gr": ["Παπαδόπουλος", "Παπαγεωργίου", "Οικονόμου", "Γεωργίου", "Νικολάου", "Ιωάννου"],
    "ro": ["Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Gheorghe", "Rusu"],
    "tr": ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk"],
    "ma": ["El Amrani", "Benali", "Alaoui", "El Idrissi", "Bennani", "Tazi", "Berrada"],
    "ru": ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов"],
}
WORDS = [
    "Atlas",
    "Noord",
    "Haven",
    "Maas",
    "Rijn",
    "Delta",
    "Euro",
    "Trans",
    "Global",
    "Baltic",
    "Adriatic",
    "Iberia",
    "Aegean",
    "Nordic",
    "Schelde",
    "Elbe",
    "Rhône",
    "Tyrrhenian",
    "Logistics",
    "Shipping",
    "Trading",
    "Holding",
    "Invest",
    "Real Estate",
    "Bunkering",
    "Freight",
    "Marine",
    "Import",
    "Export",
    "Fruit",
    "Reefer",
    "Container",
    "Capital",
    "Partners",
    "Group",
    "Services",
    "Consulting",
    "Transport",
    "Agro",
    "Fish",
    "Oil",
]
LEGAL = {
    "nl": ["BV", "B.V.", "NV"],
    "be": ["BV", "NV", "SRL"],
    "de": ["GmbH", "AG", "KG"],
    "fr": ["SARL", "SAS", "SA"],
    "it": ["S.r.l.", "S.p.A."],
    "es": ["S.L.", "S.A."],
    "pl": ["Sp. z o.o.", "S.A."],
    "gr": ["A.E.", "E.P.E."],
    "ro": ["S.R.L.", "S.A."],
    "tr": ["A.Ş.", "Ltd. Şti."],
    "ma": ["SARL", "SA"],
    "ru": ["OOO", "AO"],
}
SPELLED = {
    "GmbH": "Gesellschaft mit beschränkter Haftung",
    "AG": "Aktiengesellschaft",
    "B.V.": "Besloten Vennootschap",
    "S.p.A.": "Società per azioni",
}
SHIPS = [
    "Star",
    "Queen",
    "Pearl",
    "Spirit",
    "Wind",
    "Trader",
    "Glory",
    "Express",
    "Hope",
    "Fortune",
    "Bay",
    "Sun",
    "Sea",
    "Ocean",
    "Bright",
    "Blue",
    "Golden",
    "Silver",
    "Royal",
]
TITLES = ["Herr", "Frau", "Dr.", "Mr", "Mevr.", "M.", "Mme", "Sig."]
# Family names beyond the common ones, built from stems and endings of each language, so that
# names are as varied as in a city's register (the commonest family name is well under 1 %).
STEMS = {
    "nl": [
        "Berg",
        "Dijk",
        "Veen",
        "Hoven",
        "Kamp",
        "Boom",
        "Hout",
        "Meer",
        "Brink",
        "Laar",
        "Heuvel",
        "Bosch",
        "Beek",
        "Molen",
        "Vliet",
        "Wijk",
        "Horst",
        "Akker",
        "Broek",
    ],
    "be": ["Van", "Ver", "De", "Cool", "Hoe", "Wauter", "Maer", "Gheyl", "Pee", "Claey"],
    "de": ["Bauer", "Hof", "Stein", "Brand", "Wald", "Feld", "Busch", "Kirch", "Berg", "Roth"],
    "fr": ["Beau", "Mont", "Fon", "Ro", "Gar", "Lam", "Char", "Bou", "Ber", "Dela"],
    "it": ["Ro", "Bi", "Fer", "Ma", "Ca", "Lo", "Gi", "Pa", "Ve", "Tri", "Spa", "Co"],
    "es": ["Her", "Go", "Al", "Mar", "Val", "Cas", "Ri", "Mo", "San", "Gu"],
    "pl": ["Kow", "Nowo", "Wis", "Krol", "Zaj", "Maz", "Pawl", "Dud", "Jab", "Sob"],
    "gr": ["Papa", "Kara", "Geor", "Nik", "Dimi", "Kon", "Vasi", "Alex", "Chri", "Ioan"],
    "ro": ["Pop", "Ion", "Radu", "Stan", "Mari", "Dobr", "Cons", "Nico", "Vlad", "Chir"],
    "tr": ["Kara", "Ak", "Kal", "Ars", "Bay", "Dem", "Er", "Kor", "Tas", "Uz"],
    "ma": ["Ben", "El Ha", "Ou", "Az", "Bou", "Cher", "Lah", "Ams", "Bel", "Zer"],
    "ru": ["Kuz", "Sok", "Mor", "Vol", "Zai", "Pav", "Sem", "Gol", "Bog", "Vor"],
}
ENDINGS = {
    "nl": ["", "s", "man", "ink", "ing", "ema", "ens", "er", "hof", "stra"],
    "be": ["haegen", "meulen", "mans", "eckx", "ssens", "ghe", "beke", "aert", "straete"],
    "de": ["mann", "er", "hardt", "inger", "meier", "ert", "lich", "mayr", "bach", "ner"],
    "fr": ["champ", "noir", "taine", "chard", "nier", "mont", "geot", "dier", "lière"],
    "it": ["ssini", "ncelli", "rretti", "ttone", "llano", "nzesi", "lucci", "ggiero", "rbone"],
    "es": ["nández", "mez", "varez", "tínez", "lero", "tillo", "vera", "rales", "chez"],
    "pl": ["alski", "icki", "niak", "ewski", "ński", "owicz", "arczyk", "ecki", "uła"],
    "gr": ["dopoulos", "giannis", "kis", "idis", "akis", "atos", "ou", "elis", "ides"],
    "ro": ["escu", "eanu", "ache", "ici", "oiu", "ean", "aru", "escu", "ea"],
    "tr": ["oğlu", "can", "taş", "han", "lan", "soy", "ci", "gül", "kaya"],
    "ma": ["nani", "ddou", "ziz", "mrani", "rrada", "ouni", "dani", "bari", "kri"],
    "ru": ["netsov", "olov", "ozov", "kov", "tsev", "lov", "enko", "inov", "ichev"],
}
BRANDS = [
    "Tra",
    "Van",
    "Del",
    "Mar",
    "Nor",
    "Eur",
    "Pro",
    "Inter",
    "Sol",
    "Ven",
    "Cor",
    "Lum",
    "Alt",
    "Ber",
    "Kal",
    "Rox",
    "Zen",
    "Vit",
    "Ast",
    "Ori",
]
BRAND_ENDINGS = ["ex", "aco", "ima", "ora", "ion", "ix", "ano", "eta", "us", "ova", "ent", "ara"]


def zipf_choice(rng: random.Random, items: list):
    """Pick the k-th item with a weight of 1/k: a few names are common, most are rare."""
    weights = [1 / (k + 1) for k in range(len(items))]
    return rng.choices(items, weights)[0]


def family_name(rng: random.Random, country: str) -> str:
    if rng.random() < 0.3:
        return zipf_choice(rng, FAMILY[country])
    return rng.choice(STEMS[country]) + rng.choice(ENDINGS[country])


def imo(serial: int) -> str:
    """A valid IMO number (the last digit a weighted checksum)."""
    digits = f"{serial % 1_000_000:06d}"
    check = sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return digits + str(check)


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip in the longest word: a letter dropped, doubled or swapped."""
    words = text.split(" ")
    i = max(range(len(words)), key=lambda k: len(words[k]))
    word = words[i]
    if len(word) < 4:
        return text + "s"
    p = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        word = word[:p] + word[p + 1 :]
    elif kind == "double":
        word = word[:p] + word[p] + word[p:]
    else:
        word = word[: p - 1] + word[p] + word[p - 1] + word[p + 1 :]
    words[i] = word
    return " ".join(words)


def generate(n: int, seed: int = 1) -> tuple[list[tuple[str, dict]], set[tuple[int, int]]]:
    """Return ``n`` entities as (schema, FtM properties) and the planted duplicate pairs."""
    rng = random.Random(seed)
    countries = list(GIVEN)
    items: list[tuple[str, dict]] = []
    planted: set[tuple[int, int]] = set()
    serial = 0
    while len(items) < n:
        country = rng.choice(countries)
        kind = rng.random()
        if kind < 0.6:
            given = rng.choice(GIVEN[country])
            if rng.random() < 0.15:
                given += " " + rng.choice(GIVEN[country])
            family = family_name(rng, country)
            born = f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            props = {
                "name": [f"{given} {family}"],
                "birthDate": [born],
                "nationality": [country if country != "gr" else "gr"],
            }
            items.append(("Person", props))
        elif kind < 0.9:
            brand = rng.choice(BRANDS) + rng.choice(BRAND_ENDINGS)
            if rng.random() < 0.5:
                brand = family_name(rng, country)
            words = [brand, *rng.sample(WORDS, rng.choice((0, 1, 1, 2)))]
            name = " ".join(words) + " " + rng.choice(LEGAL[country])
            props = {
                "name": [name],
                "jurisdiction": [country],
                "registrationNumber": [str(rng.randint(10_000_000, 99_999_999))],
            }
            items.append(("Company", props))
        else:
            serial += 1
            name = f"{rng.choice(SHIPS)} {rng.choice(SHIPS)}".upper()
            items.append(
                (
                    "Vessel",
                    {
                        "name": [name],
                        "imoNumber": [imo(serial * 7919)],
                        "flag": [rng.choice(("pa", "lr", "mt", "cy", country))],
                    },
                )
            )
        if rng.random() < 0.05 and len(items) < n:
            original = len(items) - 1
            items.append(near_duplicate(rng, *items[original]))
            planted.add((original, len(items) - 1))
    return items, planted


def near_duplicate(rng: random.Random, schema: str, props: dict) -> tuple[str, dict]:
    """Another register's record of the same entity."""
    props = {k: list(v) for k, v in props.items()}
    name = props["name"][0]
    if schema == "Person":
        given, _, family = name.partition(" ")
        way = rng.choice(("typo", "title", "umlaut", "order", "year", "initial"))
        if way == "typo":
            name = typo(rng, name)
        elif way == "title":
            name = f"{rng.choice(TITLES)} {name}"
        elif way == "umlaut":
            name = name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
            name = typo(rng, name) if name == props["name"][0] else name
        elif way == "order":
            name = f"{family}, {given}"
        elif way == "year":
            props["birthDate"] = [props["birthDate"][0][:4]]
        else:
            name = f"{given[0]}. {family}"
        if rng.random() < 0.3:
            del props["birthDate"]
    elif schema == "Company":
        way = rng.choice(("typo", "spelled", "drop_form", "punctuation"))
        if way == "typo":
            name = typo(rng, name)
        elif way == "spelled":
            for short, long in SPELLED.items():
                if name.endswith(" " + short):
                    name = name[: -len(short)] + long
                    break
            else:
                name = typo(rng, name)
        elif way == "drop_form":
            name = name.rsplit(" ", 1)[0]
        else:
            name = name.replace(".", "").replace(" ", "  ")
        if rng.random() < 0.5:
            del props["registrationNumber"]
    else:
        name = rng.choice((typo(rng, name), name.title(), f"M/V {name}"))
    props["name"] = [name]
    return schema, props


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="entities to generate")
    parser.add_argument("--db", action="store_true", help="also run the scan on SQLite")
    args = parser.parse_args()

    started = time.perf_counter()
    items, planted = generate(args.n)
    print(
        f"generated {len(items):,} entities with {len(planted):,} planted near-duplicates "
        f"in {time.perf_counter() - started:.1f} s"
    )

    # The first person name loads rigour's name-symbol tagger (a few seconds, once a process):
    # warm it up so the figure below is the search itself.
    warm = time.perf_counter()
    matching.compare(
        matching.record_from_ftm(0, "Person", {"name": "Jan Jansen"}),
        matching.record_from_ftm(1, "Company", {"name": "Jansen BV"}),
    )
    print(f"rigour name tables loaded in {time.perf_counter() - warm:.1f} s (once per process)")

    started, cpu = time.perf_counter(), time.process_time()
    records = [matching.record_from_ftm(i, s, p) for i, (s, p) in enumerate(items)]
    matches, stats = matching.find_candidates(records)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu

    found = {(min(m.a, m.b), max(m.a, m.b)) for m in matches}
    recall = len(found & planted) / len(planted) if planted else 1.0
    precision = len(found & planted) / len(found) if found else 1.0
    verdict = "PASS" if seconds < LIMIT_SECONDS else "FAIL"
    print()
    print(f"{'entities':<34}{stats.records:>16,}")
    print(f"{'blocking keys':<34}{stats.keys:>16,}")
    print(f"{'comparisons made':<34}{stats.comparisons:>16,}")
    print(f"{'every pair (n²/2)':<34}{stats.all_pairs:>16,}")
    print(f"{'share of n²/2':<34}{stats.comparisons / max(stats.all_pairs, 1):>16.6%}")
    print(f"{'comparisons per entity':<34}{stats.comparisons / max(stats.records, 1):>16.1f}")
    print(f"{'blocks skipped as too common':<34}{stats.skipped_blocks:>16,}")
    print(f"{'candidates (score ≥ 0.6)':<34}{stats.candidates:>16,}")
    print(f"{'planted pairs found (recall)':<34}{recall:>16.1%}")
    print(f"{'candidates that were planted':<34}{precision:>16.1%}")
    print(f"{'time':<34}{seconds:>14.1f} s   limit {LIMIT_SECONDS:.0f} s  {verdict}")
    # Wall time suffers when other processes share the 2 cores; CPU time tells the work itself.
    print(f"{'cpu time':<34}{cpu:>14.1f} s   (load average {os.getloadavg()[0]:.1f})")
    missed = sorted(planted - found)[:5]
    if missed:
        print("\nsome planted pairs not proposed:")
        for a, b in missed:
            m = matching.compare(records[a], records[b])
            print(f"  {records[a].names[0]!r} / {records[b].names[0]!r}: {m.score:.2f}")
    if args.db:
        run_on_database(items)
    return 0


def run_on_database(items: list[tuple[str, dict]]) -> None:
    """Write the entities to a fresh SQLite database and time ``services.duplicates.scan``."""
    from sqlalchemy import insert
    from sqlalchemy import select

    from assettrack import create_app
    from assettrack.cli import migrate
    from assettrack.db import get_session
    from assettrack.models import Entity
    from assettrack.models import EntityIdentifier
    from assettrack.models import Organisation
    from assettrack.models import utcnow
    from assettrack.services import accounts
    from assettrack.services import duplicates
    from assettrack.services.entities import identifiers_of
    from assettrack.services.entities import normalise_name

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{path}",
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": "bench",
                "AUDIT_KEY": "bench",
                "AUDIT_CHECKPOINT": str(Path(tmp) / "checkpoint.json"),
            }
        )
        with app.app_context():
            migrate()
            db = get_session()
            accounts.seed_reference_organisations(db)
            org = db.scalar(select(Organisation).where(Organisation.code == "NLRTM"))
            now = utcnow()
            started = time.perf_counter()
            rows = [
                {
                    "id": i + 1,
                    "organisation_id": org.id,
                    "schema": schema,
                    "caption": p["name"][0],
                    "caption_norm": normalise_name(p["name"][0]),
                    "properties": json.dumps(p, ensure_ascii=False),
                    "created_at": now,
                    "updated_at": now,
                }
                for i, (schema, p) in enumerate(items)
            ]
            db.execute(insert(Entity.__table__), rows)
            idents = [
                {"entity_id": i + 1, "kind": k, "value": v}
                for i, (schema, p) in enumerate(items)
                for k, v in identifiers_of(schema, p)
            ]
            if idents:
                db.execute(insert(EntityIdentifier.__table__), idents)
            db.commit()
            print(
                f"\ndatabase: {len(rows):,} entities written in "
                f"{time.perf_counter() - started:.1f} s"
            )
            # Cold caches: the figure must not profit from the in-memory run above.
            matching._analyse.cache_clear()
            matching._TOKEN_CACHE.clear()
            started = time.perf_counter()
            result = duplicates.scan(db, org.id)
            db.commit()
            seconds = time.perf_counter() - started
            verdict = "PASS" if seconds < LIMIT_SECONDS else "FAIL"
            print(
                f"services.duplicates.scan: {result.entity_count:,} entities, "
                f"{result.comparisons:,} comparisons, {result.candidate_count:,} candidates "
                f"stored in {seconds:.1f} s   limit {LIMIT_SECONDS:.0f} s  {verdict}"
            )
        app.extensions["assettrack.engine"].dispose()


if __name__ == "__main__":
    sys.exit(main())
