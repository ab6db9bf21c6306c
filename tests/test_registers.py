"""Registers of assets (CSV, XLSX) in: detection, mapping, preview, register decisions, counts."""

import csv
import io
import json
from collections import Counter

import pytest
import time_machine
from sqlalchemy import func
from sqlalchemy import select

from assettrack.domain import clock
from assettrack.domain import schema as ftm_schema
from assettrack.domain.ftm import ImportFailed
from assettrack.errors import Invalid
from assettrack.models import Asset
from assettrack.models import CaseEntity
from assettrack.models import Decision
from assettrack.models import DecisionAsset
from assettrack.models import Entity
from assettrack.models import Organisation
from assettrack.models.imports import RegisterEntry
from assettrack.services import cases as case_service
from assettrack.services import decisions as decision_service
from assettrack.services import imports
from assettrack.services import registers
from assettrack.services import stats
from tests.conftest import SHARED_DATA
from tests.conftest import bearer

ITALY = "confiscati_it/beni_immobili_data.csv"
ITALY_COLUMNS = {
    "external_id": "ID",
    "schema": "tipo",
    "city": "NOME_COM",
    "region": "NOME_REG",
    "status": "stato",
}
STAGE_OF = {
    "In gestione": "managed",
    "Destinati consegnati": "disposed",
    "Destinati non consegnati": "confiscated",
    "Usciti dalla gestione": "traced",
    "Non confiscati in via autonoma": "traced",
}


def shared_file(relative: str):
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (see data/README.md)", pytrace=False)
    return path


def write_csv(path, rows, *, delimiter=",", encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture
def officer(make_user):
    return make_user("officer", "ITGOA")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer, title="Beni confiscati")


# --- the Italian register (real data) --------------------------------------------------------


@pytest.mark.slow
def test_italian_register_imports_every_row_with_status_and_region_counts(session, officer, case):
    path = shared_file(ITALY)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_status = Counter(row["stato"] for row in rows)
    by_region = Counter(row["NOME_REG"] for row in rows)
    by_stage = Counter(STAGE_OF[row["stato"]] for row in rows)
    mapping = registers.ColumnMapping(columns=ITALY_COLUMNS, defaults={"country": "it"})

    report = registers.import_register(session, officer, case, path, mapping)
    session.commit()

    # Its speed (target 10 s) is measured by benchmarks/bench_imports.py, not asserted here.
    assert len(rows) == 11467
    assert (report.created, report.skipped, report.counts) == (11467, [], {"RealEstate": 11467})
    in_case = select(func.count()).where(CaseEntity.case_id == case.id)
    assert session.scalar(in_case) == 11467
    counts = registers.register_counts(session, case.organisation_id)
    assert counts["total"] == 11467
    assert {s["status"]: s["count"] for s in counts["by_status"]} == dict(by_status)
    assert {r["region"]: r["count"] for r in counts["by_region"]} == dict(by_region)
    assert {s["stage"]: s["count"] for s in counts["by_stage"]} == dict(by_stage)
    assert counts["by_region"][0] == {"region": "SICILIA", "count": by_region["SICILIA"]}
    unmapped = {s["status"] for s in counts["by_status"] if s["target"] is None}
    assert unmapped == {"Usciti dalla gestione", "Non confiscati in via autonoma"}

    # One decision per step and status; every disposed asset went freeze -> final confiscation
    # -> disposal, each step a register decision carrying the register's label.
    decisions = list(session.scalars(select(Decision).order_by(Decision.id)))
    assert {d.source for d in decisions} == {"register"}
    disposed = [d for d in decisions if d.register_label == "Destinati consegnati"]
    assert [d.action for d in disposed] == ["freeze", "confiscate", "dispose"]
    assert disposed[1].final is True
    covered = session.scalar(
        select(func.count()).where(DecisionAsset.decision_id == disposed[2].id)
    )
    assert covered == by_status["Destinati consegnati"]

    # Row ID 1 ("In gestione", Bernate Ticino): a managed real estate, unknowns kept as such.
    first = session.scalar(select(Entity).where(Entity.external_id.like("reg-%-1")))
    assert first.schema_name == "RealEstate"
    assert json.loads(first.properties)["address"] == ["Bernate Ticino, LOMBARDIA"]
    assert session.get(Asset, first.id).stage == "managed"
    entry = session.get(RegisterEntry, first.id)
    assert json.loads(entry.row)["Ente destinatario"] == "no data"

    # Importing it again changes nothing.
    again = registers.import_register(session, officer, case, path, mapping)
    assert (again.created, again.updated, again.unchanged, again.decisions) == (0, 0, 11467, 0)


def test_register_decisions_stay_out_of_the_directive_statistics(session, officer, case, tmp_path):
    path = write_csv(
        tmp_path / "register.csv",
        [
            ["id", "type", "status"],
            ["1", "RealEstate", "confiscated"],
            ["2", "RealEstate", "Destinati consegnati"],
            ["3", "RealEstate", "frozen"],
        ],
    )
    mapping = registers.ColumnMapping(
        columns={"external_id": "id", "schema": "type", "status": "status"}
    )
    registers.import_register(session, officer, case, path, mapping)
    session.commit()

    figures = stats.directive_statistics(
        session, case.organisation_id, clock.today_in("Europe/Rome").year
    )

    assert session.scalar(select(func.count()).select_from(Decision)) > 0
    assert figures["freezing_orders"] == 0
    assert figures["confiscation_orders"]["first_instance"] == 0
    assert figures["confiscation_orders"]["final"] == 0
    assert figures["social_reuse"]["orders"] == 0
    assert figures["average_days_freeze_to_confiscation"] is None


@pytest.mark.backends
# 23:30 UTC is already tomorrow in Genoa: the register dates its decisions in the organisation's
# time zone, so "today" must come from the same calendar (it failed between 23:00 and 24:00 UTC).
@pytest.mark.parametrize("now", ["2026-12-07T23:30:00Z", "2026-12-08T00:30:00Z"])
def test_a_status_that_moves_on_adds_decisions_and_manual_decisions_follow(
    session, officer, case, tmp_path, now
):
    traveller = time_machine.travel(now, tick=False)
    traveller.start()
    try:
        _status_moves_on(session, officer, case, tmp_path)
    finally:
        traveller.stop()


def _status_moves_on(session, officer, case, tmp_path):
    header = ["id", "name", "status"]
    mapping = registers.ColumnMapping(
        columns={"external_id": "id", "name": "name", "status": "status"},
        statuses={"Sotto sequestro": "frozen"},
        defaults={"schema": "RealEstate", "register": "anbsc"},
    )
    first = write_csv(tmp_path / "v1.csv", [header, ["7", "Villa Ada", "Sotto sequestro"]])
    registers.import_register(session, officer, case, first, mapping)
    later = write_csv(tmp_path / "v2.csv", [header, ["7", "Villa Ada", "In gestione"]])

    report = registers.import_register(session, officer, case, later, mapping)
    session.commit()

    assert (report.created, report.updated, report.decisions) == (0, 1, 1)
    villa = session.scalar(select(Entity).where(Entity.external_id == "reg-anbsc-7"))
    asset = session.get(Asset, villa.id)
    assert (asset.stage, asset.manager) == ("managed", ftm_schema.UNKNOWN)
    history = decision_service.asset_history(session, villa.id)
    assert [(d.action, d.register_label) for d in history] == [
        ("freeze", "Sotto sequestro"),
        ("manage", "In gestione"),
    ]
    # An officer records the confiscation by hand: the lifecycle goes on from the register's.
    genoa_today = case_service.org_today(session.get(Organisation, officer.organisation_id))
    decision_service.record_decision(
        session,
        officer,
        case,
        {
            "action": "confiscate",
            "asset_ids": [villa.id],
            "decided_on": genoa_today.isoformat(),
            "authority": "Tribunale di Genova",
            "reference": "MP 12/2026",
            "legal_basis": "art. 24 d.lgs. 159/2011",
            "confiscation_type": "ordinary",
        },
    )
    assert session.get(Asset, villa.id).stage == "confiscated"
    back = write_csv(tmp_path / "v3.csv", [header, ["7", "Villa Ada", "Sotto sequestro"]])

    refused = registers.import_register(session, officer, case, back, mapping)

    assert "cannot reach" in refused.warnings[0]["message"]
    session.expire_all()
    assert session.get(Asset, villa.id).stage == "confiscated"


# --- reading files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "encoding", "detected"),
    [
        (",", "utf-8", "utf-8"),
        (";", "utf-8-sig", "utf-8-sig"),
        ("\t", "latin-1", "latin-1"),
        (";", "cp1252", "cp1252"),
    ],
)
def test_delimiter_and_encoding_are_detected(
    session, officer, case, tmp_path, delimiter, encoding, detected
):
    # "€" exists in Windows-1252, not in Latin-1: it is what tells the two apart.
    city = "Città di Castello" + (" €" if encoding == "cp1252" else "")
    path = write_csv(
        tmp_path / "r.csv",
        [
            ["Codice", "Denominazione", "Comune", "Regione", "Stato"],
            ["A1", "Appartamento, via Roma 3", city, "UMBRIA", "In gestione"],
            ["A2", "n.d.", "Perugia", "no data", "n/d"],
        ],
        delimiter=delimiter,
        encoding=encoding,
    )

    table = registers.read_table(path)
    report = registers.import_register(
        session,
        officer,
        case,
        path,
        registers.ColumnMapping(
            columns=registers.suggest_columns(table.headers), defaults={"schema": "RealEstate"}
        ),
    )

    assert (table.delimiter, table.encoding) == (delimiter, detected)
    assert registers.suggest_columns(table.headers) == {
        "external_id": "Codice",
        "name": "Denominazione",
        "city": "Comune",
        "region": "Regione",
        "status": "Stato",
    }
    assert report.created == 2
    first = session.scalar(select(Entity).where(Entity.external_id.like("%-A1")))
    second = session.scalar(select(Entity).where(Entity.external_id.like("%-A2")))
    assert json.loads(first.properties)["address"] == [f"{city}, UMBRIA"]
    assert first.caption == "Appartamento, via Roma 3"
    # "n.d.", "n/d" and "no data" are unknown, not values.
    assert json.loads(second.properties)["name"] == [ftm_schema.UNKNOWN]
    entry = session.get(RegisterEntry, second.id)
    assert (entry.status_label, entry.region) == (None, None)


@pytest.mark.backends
def test_an_xlsx_register_reads_like_a_csv(session, officer, case, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Type", "Name", "Value", "Status"])
    sheet.append([101, "vessel", "Ocean Star", 1250000.5, "seized"])
    sheet.append([102, "car", "BMW X5", "35.000,00", "released"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    mapping = registers.ColumnMapping(
        columns={
            "external_id": "ID",
            "schema": "Type",
            "name": "Name",
            "value": "Value",
            "status": "Status",
        }
    )

    report = registers.import_register(session, officer, case, path, mapping)
    session.commit()

    assert report.format == "xlsx" and report.counts == {"Vehicle": 1, "Vessel": 1}
    ship = session.scalar(select(Entity).where(Entity.schema_name == "Vessel"))
    car = session.scalar(select(Entity).where(Entity.schema_name == "Vehicle"))
    assert (
        session.get(Asset, ship.id).stage,
        str(session.get(Asset, ship.id).estimated_value),
    ) == (
        "frozen",
        "1250000.5000",
    )
    assert session.get(Asset, car.id).estimated_value == 35000
    assert session.get(Asset, car.id).stage == "released"


def test_the_preview_marks_bad_rows_and_writes_nothing(session, officer, case, tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        [
            ["id", "kind", "value", "country", "status"],
            ["1", "real estate", "100000", "IT", "In gestione"],
            ["2", "spaceship", "12,3x", "Italy", "Sequestro urgente"],
        ],
    )
    mapping = registers.ColumnMapping(
        columns={
            "external_id": "id",
            "schema": "kind",
            "value": "value",
            "country": "country",
            "status": "status",
        }
    )

    preview = registers.preview_register(path, mapping)

    good, bad = preview["rows"]
    assert (good["line"], good["schema"], good["target"], good["errors"]) == (
        2,
        "RealEstate",
        "managed",
        {},
    )
    assert set(bad["errors"]) == {"schema", "value"}
    assert "spaceship" in bad["errors"]["schema"]
    assert bad["notes"] == ["no stage for status Sequestro urgente; kept as the register's label"]
    assert session.scalar(select(func.count()).select_from(Entity)) == 0
    with pytest.raises(ImportFailed) as failed:
        registers.import_register(session, officer, case, path, mapping)
    assert [p["line"] for p in failed.value.problems] == [3]
    report = registers.import_register(session, officer, case, path, mapping, skip_invalid=True)
    assert report.created == 1 and report.skipped[0]["line"] == 3


def test_the_export_of_register_assets_is_valid_followthemoney(session, officer, case, tmp_path):
    from tests.test_imports import assert_valid_followthemoney

    path = write_csv(
        tmp_path / "r.csv",
        [
            ["id", "tipo", "nome", "comune", "regione", "stato", "valore"],
            ["1", "bene immobile", "no data", "Palermo", "SICILIA", "Destinati consegnati", ""],
            ["2", "azienda", "Trasporti Srl", "n.d.", "CALABRIA", "In gestione", "150000"],
        ],
    )
    mapping = registers.ColumnMapping(
        columns={
            "external_id": "id",
            "schema": "tipo",
            "name": "nome",
            "city": "comune",
            "region": "regione",
            "status": "stato",
            "value": "valore",
        },
        defaults={"country": "it"},
    )
    registers.import_register(session, officer, case, path, mapping)
    out = io.StringIO()

    imports.export_ftm(session, officer, case, out)

    lines = {json.loads(t)["schema"]: json.loads(t) for t in out.getvalue().splitlines()}
    assert_valid_followthemoney(list(lines.values()))
    estate, company = lines["RealEstate"], lines["Company"]
    assert estate["assettrack"]["unknown"] == ["name"]
    assert estate["assettrack"]["asset"]["stage"] == "disposed"
    assert [d["action"] for d in estate["assettrack"]["asset"]["decisions"]] == [
        "freeze",
        "confiscate",
        "dispose",
    ]
    assert {d["source"] for d in estate["assettrack"]["asset"]["decisions"]} == {"register"}
    assert company["assettrack"]["case"]["as_asset"] is True
    assert company["assettrack"]["asset"]["estimated_value"] == "150000.00"


def test_a_mapping_naming_a_missing_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["id", "status"], ["1", "frozen"]])
    with pytest.raises(Invalid) as refused:
        registers.preview_register(path, registers.ColumnMapping(columns={"name": "Nome"}))
    assert "no column Nome" in str(refused.value)


# --- saved mappings, command line, API -------------------------------------------------------


def test_saved_mapping_is_used_by_the_command(runner, session, officer, case, tmp_path):
    mapping = registers.ColumnMapping(
        columns={"external_id": "Codice", "name": "Bene", "status": "Stato"},
        statuses={"Sequestrato": "frozen", "Archiviato": ""},
        defaults={"schema": "RealEstate", "country": "it", "register": "genova"},
    )
    registers.save_mapping(session, officer, "genova-beni", mapping)
    session.commit()
    path = write_csv(
        tmp_path / "beni.csv",
        [
            ["Codice", "Bene", "Stato"],
            ["G1", "Magazzino", "Sequestrato"],
            ["G2", "Box", "Archiviato"],
        ],
    )

    result = runner.invoke(
        args=["import-register", str(path), "--case", case.reference, "--mapping", "genova-beni"]
    )

    assert result.exit_code == 0, result.output
    assert "created 2" in result.output and "Sequestrato" in result.output
    store = session.scalar(select(Entity).where(Entity.external_id == "reg-genova-G1"))
    assert session.get(Asset, store.id).stage == "frozen"
    box = session.scalar(select(Entity).where(Entity.external_id == "reg-genova-G2"))
    assert session.get(RegisterEntry, box.id).status_label == "Archiviato"
    assert session.get(Asset, box.id).stage == "traced"

    other = runner.invoke(
        args=[
            "import-register",
            str(path),
            "--case",
            case.reference,
            "--columns",
            "external_id=Codice,name=Bene,status=Stato",
            "--default",
            "schema=RealEstate",
            "--default",
            "register=genova",
            "--default",
            "country=it",
            "--status",
            "Sequestrato=frozen",
        ]
    )
    assert other.exit_code == 0, other.output
    assert "unchanged 2" in other.output
    unknown = runner.invoke(
        args=["import-register", str(path), "--case", case.reference, "--mapping", "nope"]
    )
    assert unknown.exit_code == 2 and "nope" in unknown.output


def test_api_register_import_and_preview(client, officer, case, token_for, tmp_path):
    headers = bearer(token_for(officer))
    body = "id;tipo;stato\n1;bene immobile;In gestione\n2;bene immobile;Destinati consegnati\n"
    preview = client.post(
        f"/api/v1/cases/{case.id}/imports/preview",
        data={"format": "csv", "file": (io.BytesIO(body.encode()), "r.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.json
    assert preview.json["delimiter"] == ";" and preview.json["row_count"] == 2

    saved = client.put(
        "/api/v1/register-mappings/anbsc",
        json={"columns": {"external_id": "id", "schema": "tipo", "status": "stato"}},
        headers=headers,
    )
    assert saved.status_code == 200
    listed = client.get("/api/v1/register-mappings", headers=headers).json
    assert [m["name"] for m in listed["items"]] == ["anbsc"]
    started = client.post(
        f"/api/v1/cases/{case.id}/imports",
        data={
            "format": "csv",
            "mapping": "anbsc",
            "file": (io.BytesIO(body.encode()), "r.csv"),
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert started.status_code == 202, started.json
    job = client.get(started.headers["Location"], headers=headers).json
    assert job["status"] == "done", job
