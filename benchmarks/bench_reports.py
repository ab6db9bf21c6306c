"""Report benchmark: a case brief, a 50-case partner report in the job worker, and Chromium.

Builds a fresh SQLite database in a temporary directory: the reference port cities, an officer
of Rotterdam (NLRTM) and one of Antwerp (BEANR), and 50 Rotterdam cases of this year shared
with Antwerp (GREEN and AMBER), each with a suspect company and person, an enabler, a victim
and a witness, a vessel, a villa, two bank accounts, a car and a lot of watches, ownership
chains between them and four decisions (an urgent freeze, its confirmation, a management
order, a confiscation). Everything goes through the services, as the application writes it
(audit log included). Then it measures:

- the case brief of one of those cases (context + WeasyPrint + issue), warm, limit 1.5 s;
- the partner report NLRTM → BEANR holding the 50 cases (about 60 pages), made through the job
  worker's code path (``jobs.create_job`` + ``jobs.start_job`` with jobs run inline) in a
  subprocess of its own, which reports its wall time and peak memory (``ru_maxrss``); limits
  15 s and 500 MB;
- the same partner report's HTML printed by headless Chromium (Playwright, ``/usr/bin/chromium``)
  as the peer's figure, when Playwright and Chromium are there.

It prints a table (median, limit, PASS/FAIL) and always exits 0: benchmarks report, they do not
gate. CPU time is shown beside wall time: on a busy 2-core machine wall time swings.

    .venv/bin/python benchmarks/bench_reports.py            # about a minute
    .venv/bin/python benchmarks/bench_reports.py --cases 10 # a smaller partner report
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRIEF_LIMIT = 1.5
PARTNER_LIMIT = 15.0
MEMORY_LIMIT_MB = 500
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-password-only"  # noqa: S105 (throw-away accounts of a temporary database)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50, help="cases in the partner report")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # the subprocess: instance dir
    args = parser.parse_args()
    if args.worker:
        return _worker(Path(args.worker))
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        _run(tmp, args.cases)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _app(instance: Path):
    from assettrack import create_app

    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite'}",
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench-audit",
            "AUDIT_CHECKPOINT": str(instance / "audit-checkpoint.json"),
            "FILES_DIR": str(instance / "files"),
            "JOBS_IMMEDIATE": True,
        }
    )


def _run(tmp: Path, n_cases: int) -> None:
    instance = tmp / "instance"
    instance.mkdir()
    app = _app(instance)
    rows = []
    with app.app_context():
        from assettrack.cli import migrate
        from assettrack.db import get_session

        started = time.perf_counter()
        migrate()
        db = get_session()
        officer, case_ids = _build(db, n_cases)
        build = time.perf_counter() - started
        print(f"built {n_cases} cases through the services in {build:.1f} s")

        rows.append(_brief(db, officer, case_ids[0]))
    worker = _partner_in_subprocess(instance)
    rows.append(worker)
    rows.append(_chromium(app, instance))
    print()
    print(f"{'target':<52} {'median':>9} {'cpu':>8} {'limit':>8}  result   notes")
    for name, seconds, cpu, limit, notes in rows:
        if seconds is None:
            print(f"{name:<52} {'—':>9} {'—':>8} {'—':>8}  {'n/a':<7}  {notes}")
            continue
        verdict = "PASS" if limit is None or seconds <= limit else "FAIL"
        limit_text = f"{limit:.1f} s" if limit else "—"
        cpu_text = f"{cpu:.2f} s" if cpu is not None else "—"
        print(f"{name:<52} {seconds:>7.2f} s {cpu_text:>8} {limit_text:>8}  {verdict:<7}  {notes}")


# --- data ----------------------------------------------------------------------------------------


def _build(db, n_cases: int):
    from assettrack.models import Organisation
    from assettrack.services import accounts
    from assettrack.services import cases
    from assettrack.services import decisions
    from assettrack.services import entities

    accounts.seed_reference_organisations(db)
    officer = accounts.create_user(
        db, None, email="officer@nlrtm.bench", name="Sanne de Vries", role="officer",
        organisation_codes=["NLRTM"], password=PASSWORD,
    )
    accounts.create_user(
        db, None, email="partner@beanr.bench", name="Lotte Peeters", role="partner",
        organisation_codes=["BEANR"], password=PASSWORD,
    )
    db.commit()
    org = db.get(Organisation, officer.organisation_id)
    today = cases.org_today(org)
    start = today.replace(month=1, day=1)
    ids = []
    for n in range(n_cases):
        case = cases.create_case(
            db,
            officer,
            {
                "title": f"Reefer route {n + 1}: Guayaquil – Maasvlakte – Deurganck",
                "summary": "Cocaine in banana reefers; a terminal planner, shell companies in "
                "Rotterdam-Zuid and Antwerp holding a villa, a vessel and accounts. Statement "
                f"of victim Kees Jansen {n}.",
                "tlp": "GREEN" if n % 2 else "AMBER",
                "handling_code": "H1",
                "shared_with": ["BEANR"],
                "opened_on": start,
            },
        )

        def add(schema, role="other", value=None, _case=case, **properties):
            data = {"schema": schema, "properties": properties, "role": role}
            if value is not None:
                data.update(estimated_value=value, currency="EUR")
            return entities.add_entity_to_case(db, officer, _case, data).entity_id

        boss = add("Person", "suspect", name=f"Dennis van der Berg {n}", birthDate="1979-03-14",
                   nationality="nl", idNumber=f"IX{55013377 + n}")
        planner = add("Person", "enabler", name=f"Łukasz Wróbel {n}", nationality="pl")
        add("Person", "victim", name=f"Kees Jansen {n}", birthDate="1961-07-02")
        add("Person", "witness", name=f"Γιώργος Παπαδόπουλος {n}")
        holding = add("Company", "suspect", name=f"Maas Zuid Holding {n} BV", jurisdiction="nl",
                      registrationNumber=f"{24500000 + n}")
        shipping = add("Company", "associate", name=f"Schelde Overslag {n} NV",
                       jurisdiction="be", registrationNumber=f"0{456000000 + n}")
        vessel = add("Vessel", value="4200000", name=f"Nordzee Trader {n}",
                     imoNumber=_imo(9100000 + n * 7), flag="mt")
        villa = add("RealEstate", value="1350000", name=f"Villa Schilde {n}",
                    address=f"Kasteeldreef {n}, 2970 Schilde", country="be")
        account = add("BankAccount", value="245000", iban="NL91ABNA0417164300"
                      if n == 0 else _iban_nl(417164300 + n))
        car = add("Vehicle", value="185000", name=f"Porsche 911 Turbo S ({n})",
                  registrationNumber=f"R-{100 + n}-XZ")
        watches = add("Asset", value="320000", name=f"Watch collection {n}")
        for source, target, pct in (
            (boss, holding, "100"),
            (holding, shipping, "60"),
            (planner, shipping, "25-50"),
            (shipping, vessel, "100"),
            (holding, villa, "100"),
            (holding, account, "100"),
            (boss, car, "100"),
        ):
            entities.create_relation(db, officer, {"schema": "Ownership", "source": source,
                                                   "target": target, "percentage": pct})
        court = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 Sv"}
        for action, assets, days, extra in (
            ("freeze", [account, car], 20, {"urgent": True, "reference": f"ARO-{n}",
                                            "value_at_freezing": "430000"}),
            ("freeze", [account, car], 18, {"reference": f"RC-{n}-1"}),
            ("freeze", [vessel, villa, watches], 15, {"reference": f"RC-{n}-2",
                                                      "value_at_freezing": "5870000"}),
            ("manage", [vessel], 10, {"reference": f"OM-{n}", "manager": "Domeinen"}),
            ("confiscate", [villa], 5, {"reference": f"RB-{n}", "confiscation_type": "value",
                                        "value_at_confiscation": "1350000"}),
        ):
            decided = max(start, today - timedelta(days=days))
            decisions.record_decision(
                db, officer, case,
                {"action": action, "asset_ids": assets, "decided_on": decided.isoformat(),
                 **court, **extra},
            )
        db.commit()
        ids.append(case.id)
    return officer, ids


def _imo(base: int) -> str:
    digits = str(base)[:6]
    check = sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return digits + str(check)


def _iban_nl(account: int) -> str:
    bban = f"ABNA{account:010d}"
    numeric = "".join(str(int(c, 36)) for c in bban + "NL00")
    check = 98 - int(numeric) % 97
    return f"NL{check:02d}{bban}"


# --- targets -------------------------------------------------------------------------------------


def _brief(db, officer, case_id):
    from flask import current_app

    from assettrack.models import Case
    from assettrack.services import issuing

    case = db.get(Case, case_id)
    limits = issuing.Limits.from_config(current_app.config)
    times, cpus, pages = [], [], None
    for _run in range(4):
        started, cpu = time.perf_counter(), time.process_time()
        # What POST /api/v1/reports and its job do, in this process: record, make, disclose.
        report, _job = issuing.request_report(
            db, officer, {"kind": "case_brief", "case": case.id, "language": "en"},
            limits=limits, queue=False,
        )
        pdf = issuing.make_file(
            db, officer, report, files_dir=current_app.config["FILES_DIR"], limits=limits
        )
        db.commit()
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        if _run:  # the first run imports WeasyPrint and loads the fonts
            times.append(elapsed)
            cpus.append(used)
        else:
            cold = elapsed
        pages = _page_count(pdf)
    return (
        "case brief (request + context + WeasyPrint + issue), warm",
        statistics.median(times),
        statistics.median(cpus),
        BRIEF_LIMIT,
        f"{pages} pages; cold first run {cold:.2f} s",
    )


def _partner_in_subprocess(instance: Path):
    process = subprocess.run(  # noqa: S603 (this very script, with a path we made)
        [sys.executable, __file__, "--worker", str(instance)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if process.returncode != 0:
        print(process.stdout, process.stderr)
        return ("partner report, 50 cases, job worker", None, None, PARTNER_LIMIT, "failed")
    result = json.loads(process.stdout.strip().splitlines()[-1])
    memory_ok = "PASS" if result["peak_mb"] <= MEMORY_LIMIT_MB else "FAIL"
    return (
        f"partner report, {result['cases']} cases, job worker (subprocess)",
        result["seconds"],
        result["cpu"],
        PARTNER_LIMIT,
        f"{result['pages']} pages, {result['size_kb']} KB; peak memory {result['peak_mb']} MB "
        f"(limit {MEMORY_LIMIT_MB} MB: {memory_ok}); context {result['context_seconds']:.2f} s",
    )


def _worker(instance: Path) -> int:
    """In the subprocess: make the partner report as the job worker does; print the figures."""
    app = _app(instance)
    with app.app_context():
        from sqlalchemy import select

        from assettrack import jobs
        from assettrack.db import get_session
        from assettrack.models import Job
        from assettrack.models import Report
        from assettrack.models import User
        from assettrack.services import issuing
        from assettrack.services import reports as report_service
        from assettrack.services.cases import org_today

        db = get_session()
        officer = db.scalar(select(User).where(User.email == "officer@nlrtm.bench"))
        today = org_today(db.get(__import__("assettrack.models").models.Organisation,
                                 officer.organisation_id))
        period = report_service.parse_period(today.year, today=today)
        started = time.perf_counter()
        report_service.partner_report_context(  # the context alone, timed
            db, officer, "BEANR", period, justification="benchmark"
        )
        context_seconds = time.perf_counter() - started
        db.rollback()
        started, cpu = time.perf_counter(), time.process_time()
        _report, job = issuing.request_report(
            db, officer,
            {"kind": "partner", "to": "BEANR", "year": today.year, "language": "en",
             "justification": "benchmark"},
            limits=issuing.Limits.from_config(app.config),
        )
        db.commit()
        jobs.start_job(job)  # JOBS_IMMEDIATE: runs the job worker's code path here
        seconds, used = time.perf_counter() - started, time.process_time() - cpu
        db.expire_all()
        job = db.get(Job, job.id)
        if job.status != "done":
            print(job.error, file=sys.stderr)
            return 1
        report = db.scalar(select(Report).order_by(Report.id.desc()))
        pdf = (Path(app.config["FILES_DIR"]) / report.file_path).read_bytes()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "cases": len(json.loads(report.case_ids)),
                    "seconds": seconds,
                    "cpu": used,
                    "context_seconds": context_seconds,
                    "pages": _page_count(pdf),
                    "size_kb": len(pdf) // 1024,
                    "peak_mb": peak_kb // 1024,
                }
            )
        )
    return 0


def _chromium(app, instance: Path):
    name = "same HTML printed by headless Chromium (peer)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return (name, None, None, None, "Playwright is not installed")
    if not Path(CHROMIUM).exists():
        return (name, None, None, None, f"{CHROMIUM} is missing")
    with app.app_context():
        from sqlalchemy import select

        from assettrack.db import get_session
        from assettrack.models import Organisation
        from assettrack.models import User
        from assettrack.services import pdf as reports
        from assettrack.services import reports as report_service
        from assettrack.services.cases import org_today

        db = get_session()
        officer = db.scalar(select(User).where(User.email == "officer@nlrtm.bench"))
        today = org_today(db.get(Organisation, officer.organisation_id))
        period = report_service.parse_period(today.year, today=today)
        context = report_service.partner_report_context(
            db, officer, "BEANR", period, justification="benchmark"
        )
        html = reports.render_html(
            "reports/partner.html",
            {**context, "report_number": "R-999999", "generated_at": datetime.now(UTC)},
            lang="en",
            standalone=True,
        )
    page_file = instance / "partner.html"
    page_file.write_text(html)
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page()
        for _run in range(3):
            started = time.perf_counter()
            page.goto(page_file.as_uri())
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            times.append(time.perf_counter() - started)
        browser.close()
    return (
        name,
        statistics.median(times[1:]),
        None,
        None,
        f"{_page_count(pdf)} pages, {len(pdf) // 1024} KB (no running headers: Chromium "
        "ignores position: running())",
    )


def _page_count(pdf: bytes) -> int | None:
    pdfinfo = shutil.which("pdfinfo")
    if not pdfinfo:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(  # noqa: S603 (poppler on a file we wrote)
            [pdfinfo, handle.name], capture_output=True, text=True, check=False
        ).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[-1])
    return None


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
