"""Benchmark the imports: a generated 200,000-entity FtM file and the Italian register.

Run by ``make bench`` (or ``.venv/bin/python benchmarks/bench_imports.py [--entities N]``).
Each import goes into a fresh, migrated SQLite database in a temporary directory. Prints the
entities imported per second and the peak resident memory of the import (measured in a child
process, so the generator and the other benchmarks do not count), then the time of the Italian
register (11,467 rows; target under 10 s) and of importing the FtM file a second time (nothing
changes). Targets: 5,000 entities/s, peak RSS under 300 MB.
"""

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGISTER = ROOT.parent / "shared" / "data" / "confiscati_it" / "beni_immobili_data.csv"
FIRST_NAMES = (
    "Jan Anna Pieter Sofia Luca Giulia Marc Claire Jonas Lea Nikos Maria Piotr Ewa".split()
)
LAST_NAMES = "de Vries Jansen Rossi Bianchi Dubois Martin Müller Schmidt Papadopoulos Nowak".split()
CITIES = [("Rotterdam", "nl"), ("Antwerpen", "be"), ("Hamburg", "de"), ("Genova", "it")]
# One cluster of 20 FtM entities: 13 things and 7 relations between them.
CLUSTER = 20


def generate(path: Path, total: int, seed: int = 7) -> dict:
    """Write ``total`` FtM entities as JSON lines, in clusters of parties, assets and links."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as out:
        for cluster in range(total // CLUSTER):
            for line in _cluster(rng, cluster):
                counts[line["schema"]] = counts.get(line["schema"], 0) + 1
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return counts


def _cluster(rng, n):
    city, country = rng.choice(CITIES)
    people = [f"p{n}x{i}" for i in range(5)]
    companies = [f"c{n}x{i}" for i in range(3)]
    addresses = [f"a{n}x{i}" for i in range(2)]
    lines = []
    for ftm_id in addresses:
        street = f"Havenstraat {rng.randint(1, 400)}"
        lines.append(
            {
                "id": ftm_id,
                "schema": "Address",
                "properties": {
                    "full": [f"{street}, {city}"],
                    "street": [street],
                    "city": [city],
                    "country": [country],
                },
            }
        )
    for i, ftm_id in enumerate(people):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n}-{i}"
        lines.append(
            {
                "id": ftm_id,
                "schema": "Person",
                "properties": {
                    "name": [name],
                    "birthDate": [f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}"],
                    "nationality": [country],
                    "addressEntity": [rng.choice(addresses)],
                },
            }
        )
    for i, ftm_id in enumerate(companies):
        lines.append(
            {
                "id": ftm_id,
                "schema": "Company",
                "properties": {
                    "name": [f"{city} Shipping {n}-{i} B.V."],
                    "jurisdiction": [country],
                    "registrationNumber": [f"{n:07d}{i}"],
                    "addressEntity": [rng.choice(addresses)],
                },
            }
        )
    imo = _imo(1000000 + (n * 7) % 8999999)
    lines.append(
        {
            "id": f"v{n}",
            "schema": "Vessel",
            "properties": {"name": [f"Ocean {n}"], "imoNumber": [imo], "flag": ["pa"]},
        }
    )
    lines.append(
        {
            "id": f"r{n}",
            "schema": "RealEstate",
            "properties": {"address": [f"Kade {n}, {city}"], "country": [country]},
        }
    )
    lines.append(
        {
            "id": f"b{n}",
            "schema": "BankAccount",
            "properties": {"iban": [_iban(n)], "bankName": ["Havenbank"]},
        }
    )
    links = [
        ("Ownership", "owner", rng.choice(people), "asset", companies[0], {"percentage": ["60"]}),
        ("Ownership", "owner", companies[0], "asset", f"v{n}", {"percentage": ["100"]}),
        ("Ownership", "owner", rng.choice(people), "asset", f"r{n}", {"startDate": ["2019"]}),
        ("Payment", "payer", companies[1], "beneficiary", companies[2], {"amountEur": ["12500"]}),
        ("Payment", "payer", rng.choice(people), "beneficiary", companies[0], {"amount": ["950"]}),
        ("Directorship", "director", rng.choice(people), "organization", companies[1], {}),
        ("Family", "person", people[0], "relative", people[1], {"relationship": ["sibling"]}),
    ]
    for i, (schema, source_prop, source, target_prop, target, extra) in enumerate(links):
        lines.append(
            {
                "id": f"l{n}x{i}",
                "schema": schema,
                "properties": {source_prop: [source], target_prop: [target], **extra},
            }
        )
    rng.shuffle(lines)  # relations before their ends, as real exports have them
    return lines


def _imo(six_plus: int) -> str:
    digits = f"{six_plus % 1000000:06d}"
    check = sum(int(d) * (7 - i) for i, d in enumerate(digits)) % 10
    return f"{digits}{check}"


def _iban(n: int) -> str:
    from stdnum import iban

    bban = f"{n % 10**10:010d}"
    body = f"DE00{37040044}{bban}"
    return body[:2] + iban.calc_check_digits(body) + body[4:]


def _fresh_app(workdir: Path):
    from assettrack import create_app
    from assettrack.cli import migrate
    from assettrack.db import get_session
    from assettrack.services import accounts

    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench",
            "AUDIT_CHECKPOINT": str(instance / "checkpoint.json"),
            "FILES_DIR": str(instance / "files"),
            "JOBS_IMMEDIATE": True,
        }
    )
    with app.app_context():
        migrate()
        db = get_session()
        accounts.seed_reference_organisations(db)
        db.commit()
    return app


def _officer_and_case(db, code: str):
    from assettrack.services import accounts
    from assettrack.services import cases

    user = accounts.create_user(
        db,
        None,
        email=f"bench@{code.lower()}.test",
        name="Bench",
        role="officer",
        organisation_codes=[code],
        password="correct-horse-battery-staple",  # noqa: S106 - a throwaway database
    )
    db.commit()
    case = cases.create_case(db, user, {"title": "Benchmark import", "tlp": "AMBER"})
    db.commit()
    return user, case


def _import_ftm_child(path: str, workdir: str, queue) -> None:
    """Import the FtM file into a fresh database; report time, counts and peak memory."""
    from assettrack.db import get_session
    from assettrack.services import imports

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    app = _fresh_app(Path(workdir))
    with app.app_context():
        db = get_session()
        user, case = _officer_and_case(db, "NLRTM")
        started, cpu = time.perf_counter(), time.process_time()
        report = imports.import_ftm(db, user, case, path)
        db.commit()
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), time.process_time()
        again = imports.import_ftm(db, user, case, path)
        db.commit()
        second, second_cpu = time.perf_counter() - started, time.process_time() - cpu
    queue.put(
        {
            "seconds": first,
            "cpu": first_cpu,
            "again_cpu": second_cpu,
            "entities": sum(report.counts.values()),
            "created": report.created,
            "again_seconds": second,
            "again_unchanged": again.unchanged,
            "rss_start_mb": before / 1024,
            "rss_peak_mb": peak / 1024,
        }
    )


def _import_register_child(workdir: str, queue) -> None:
    from assettrack.db import get_session
    from assettrack.services import registers

    app = _fresh_app(Path(workdir))
    with app.app_context():
        db = get_session()
        user, case = _officer_and_case(db, "ITGOA")
        mapping = registers.ColumnMapping(
            columns={
                "external_id": "ID",
                "schema": "tipo",
                "city": "NOME_COM",
                "region": "NOME_REG",
                "status": "stato",
            },
            defaults={"country": "it", "register": "anbsc"},
        )
        started, cpu = time.perf_counter(), time.process_time()
        report = registers.import_register(db, user, case, REGISTER, mapping)
        db.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = registers.register_counts(db, case.organisation_id)
    queue.put(
        {
            "seconds": seconds,
            "cpu": cpu,
            "rows": report.created,
            "decisions": report.decisions,
            "statuses": {s["status"]: s["count"] for s in counts["by_status"]},
            "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _in_child(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"benchmark child failed with exit code {process.exitcode}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=200_000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
        + (": other work competes for the CPU, wall times run long" if load > 1.5 else "")
    )
    with tempfile.TemporaryDirectory(prefix="assettrack-bench-") as tmp:
        tmp = Path(tmp)
        path = tmp / "generated.ftm.jsonl"
        started = time.perf_counter()
        counts = generate(path, args.entities)
        print(
            f"generated {sum(counts.values()):,} FtM entities in "
            f"{time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.0f} MB): "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
        )
        (tmp / "ftm").mkdir()
        ftm = _in_child(_import_ftm_child, str(path), str(tmp / "ftm"))
        rate = ftm["entities"] / ftm["seconds"]
        print(
            f"FtM import into SQLite: {ftm['entities']:,} entities in {ftm['seconds']:.1f} s = "
            f"{rate:,.0f} entities/s (target 5,000); {ftm['cpu']:.1f} s of CPU = "
            f"{ftm['entities'] / ftm['cpu']:,.0f} entities per CPU-second; peak RSS "
            f"{ftm['rss_peak_mb']:.0f} MB (target < 300; {ftm['rss_start_mb']:.0f} MB before "
            "the app started)"
        )
        print(
            f"FtM import again (idempotent): {ftm['again_unchanged']:,} unchanged in "
            f"{ftm['again_seconds']:.1f} s ({ftm['again_cpu']:.1f} s of CPU)"
        )
        if not REGISTER.is_file():
            print(f"register benchmark skipped: {REGISTER} is missing")
            return
        (tmp / "register").mkdir()
        register = _in_child(_import_register_child, str(tmp / "register"))
        print(
            f"Italian register import: {register['rows']:,} rows in {register['seconds']:.1f} s "
            f"(target < 10 s; {register['cpu']:.1f} s of CPU), {register['decisions']} register "
            "decisions, peak RSS "
            f"{register['rss_peak_mb']:.0f} MB; statuses "
            + ", ".join(f"{k} {v:,}" for k, v in register["statuses"].items())
        )


if __name__ == "__main__":
    main()
