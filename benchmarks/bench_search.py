"""Search benchmark (#12): names and identifiers over 1,000,000 entities, SQLite and PostgreSQL.

Builds the data with the shared generator (``benchmarks/datagen.py``: entities in several
scripts, cases, relations, assets, identifiers, and the search key), then runs a mix of queries
as an officer of the city that holds the answer would type them, through
``services.search.search`` (what ``GET /search`` and ``GET /api/v1/search`` call), timed
without and then with its audit entry and commit: person names in another order and without
accents, name prefixes, IBANs in groups of four, IMO numbers with "IMO", registration numbers
with a dot, case references, and words that find nothing. Prints the median and p95 per kind
and overall; target: median < 100 ms on each database. It always exits 0: benchmarks
report, they do not gate.

    make bench SCALE=0.1                                     # 100,000 entities
    .venv/bin/python benchmarks/bench_search.py              # 1,000,000 (SCALE, default 1)
    .venv/bin/python benchmarks/bench_search.py --backends sqlite --entities 20000
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen  # noqa: E402

TARGET_MS = 100.0
WARMUP = 10
FULL = 1_000_000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def queries(samples: dict) -> list[tuple[str, str, str]]:
    """(kind, query, organisation code): the mix, interleaved so no kind runs warm alone."""
    mix = []
    for kind in ("name", "iban", "imo", "registration", "case"):
        mix.extend((kind, q, code) for q, code in samples.get(kind, []))
    names = samples.get("name", [])
    # A prefix of a family name (what one types before finishing the word).
    mix.extend(("prefix", q.split()[0][:4], code) for q, code in names if len(q.split()[0]) >= 4)
    mix.extend(("nothing", f"zzqx{n} wrong", "NLRTM") for n in range(20))
    return sorted(mix, key=lambda item: hash(item[1]) % 1009)


def run(backend: str, url: str, tmp: Path, entities: int) -> dict:
    from sqlalchemy import select

    from assettrack.db import get_session
    from assettrack.models import User
    from assettrack.services import search

    print(f"  building {entities:,} entities on {backend}...", flush=True)
    started = time.perf_counter()
    data = datagen.build(url, tmp / f"instance-{backend}", entities=entities)
    built = time.perf_counter() - started
    print(
        f"  built in {built:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in data.seconds.items())
        + ")",
        flush=True,
    )
    timings: dict[str, list[float]] = {}
    audited: list[float] = []
    found: dict[str, int] = {}
    mix = queries(data.samples)
    with data.app.app_context():
        db = get_session()
        users = {
            code: db.scalar(select(User).where(User.id == user_id))
            for code, user_id in data.officers.items()
        }
        for n, (kind, q, code) in enumerate(mix[:WARMUP] + mix):
            start = time.perf_counter()
            results = search.search(db, users[code], q, record=False)
            middle = time.perf_counter()
            search.search(db, users[code], q)
            db.commit()
            end = time.perf_counter()
            if n >= WARMUP:
                timings.setdefault(kind, []).append((middle - start) * 1000)
                audited.append((end - middle) * 1000)
                found[kind] = found.get(kind, 0) + (results.total > 0)
    data.app.extensions["assettrack.engine"].dispose()
    return {
        "timings": timings,
        "audited": audited,
        "found": found,
        "counts": data.counts,
        "built": built,
    }


def report(backend: str, result: dict) -> None:
    every = [t for values in result["timings"].values() for t in values]
    print(f"\n  {backend}: {result['counts'].get('entity', 0):,} entities")
    print(f"  {'kind':<14}{'queries':>8}{'found':>7}{'median ms':>11}{'p95 ms':>9}")
    for kind, values in result["timings"].items():
        print(
            f"  {kind:<14}{len(values):>8}{result['found'].get(kind, 0):>7}"
            f"{statistics.median(values):>11.1f}{p95(values):>9.1f}"
        )
    median = statistics.median(every)
    verdict = "PASS" if median < TARGET_MS else "FAIL"
    print(
        f"  {'all':<14}{len(every):>8}{'':>7}{median:>11.1f}{p95(every):>9.1f}"
        f"   {verdict} (target: median < {TARGET_MS:.0f} ms)"
    )
    audited = result["audited"]
    print(
        f"  {'+ audit, commit':<14}{len(audited):>8}{'':>7}"
        f"{statistics.median(audited):>11.1f}{p95(audited):>9.1f}"
        "   (the same searches as a request makes them: audit entry and commit)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=None, help="default 1,000,000 × SCALE")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    entities = args.entities or int(FULL * datagen.scale())
    print(f"search over {entities:,} entities")
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        for backend in args.backends.split(","):
            try:
                if backend == "sqlite":
                    result = run(backend, datagen.sqlite_url(Path(tmp)), Path(tmp), entities)
                else:
                    with datagen.postgres_database() as url:
                        result = run(backend, url, Path(tmp), entities)
            except Exception as exc:  # noqa: BLE001  (a benchmark reports, it does not gate)
                print(f"  {backend}: FAIL, could not run: {exc.__class__.__name__}: {exc}")
                continue
            report(backend, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
