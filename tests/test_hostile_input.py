"""Hostile files: each bomb of issue #9 ends with a clear error, bounded memory, nothing written.

Every bomb goes through a real path — the web register upload (which reads the file as its
preview does), the API register preview, the API import job — in a child process of its own
application, so the memory it costs is that process's peak RSS (``VmHWM``) above its resident
memory at idle, after a warm-up that loaded every parser. Each must stay under
``MEMORY_LIMIT_MB`` above idle and ``TIME_LIMIT_S``, answer with a message naming the problem,
and leave no entity, no import audit entry and no upload behind. The sizes prove each limit
without hurting CI: the gzip bomb is 2 MB expanding to 2 GB, the XLSX bombs about 0.5 MB.

Run by hand: ``python tests/test_hostile_input.py DATABASE_URL INSTANCE SCENARIOS.json``.
"""

import gzip
import io
import json
import os
import random
import string
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

MEMORY_LIMIT_MB = 500
TIME_LIMIT_S = 30

_SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


# --- the bombs -------------------------------------------------------------------------------


def xlsx_parts(rows: list[list[str]]) -> dict[str, bytes]:
    """The parts of a one-sheet workbook whose cells are shared strings."""
    strings, sheet_rows = [], []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            strings.append(value)
            cells.append(f'<c r="{chr(65 + c)}{r}" t="s"><v>{len(strings) - 1}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return {
        "[Content_Types].xml": _CONTENT_TYPES.encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{_RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{_OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{_SPREADSHEET}" '
            f'xmlns:r="{_OFFICE}"><sheets><sheet name="Registro" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{_OFFICE}/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
            f'Id="rId2" Type="{_OFFICE}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{_SPREADSHEET}">'
            f"<sheetData>{''.join(sheet_rows)}</sheetData></worksheet>"
        ).encode(),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{_SPREADSHEET}">{items}</sst>'
        ).encode(),
    }


REGISTER = [["Codice", "Denominazione", "Stato"], ["A1", "Villa Bellavista", "In gestione"]]


def write_xlsx(path: Path, parts: dict, streamed: dict | None = None) -> Path:
    """Write a workbook; ``streamed`` parts are ``(head, chunk, times, tail)``, never held."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name not in (streamed or {}):
                archive.writestr(name, data)
        for name, (head, chunk, times, tail) in (streamed or {}).items():
            with archive.open(name, "w", force_zip64=True) as fh:
                fh.write(head)
                for _ in range(times):
                    fh.write(chunk)
                fh.write(tail)
    return path


def make_bombs(folder: Path) -> dict[str, Path]:
    """Each hostile file of the issue, small on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    entity = json.dumps({"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}})

    # 2 MB of gzip members, each 64 MB of blank lines once unpacked: 2 GB in all.
    member = gzip.compress((b" " * 1023 + b"\n") * 65536, compresslevel=9)
    files["gzip_bomb"] = folder / "bomb.ftm.jsonl.gz"
    files["gzip_bomb"].write_bytes(member * 32)
    files["deep_lines"] = folder / "deep.ftm.jsonl"
    files["deep_lines"].write_text(entity + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    # The case: 80 KB nested 40,000 deep took ijson to 3.9 GB.
    files["deep_array"] = folder / "deep.ftm.json"
    files["deep_array"].write_text("[" + entity + "," + "[" * 40_000 + "]" * 40_000 + "]")
    files["long_line"] = folder / "long.ftm.jsonl"
    files["long_line"].write_text(
        entity + "\n" + '{"id": "x", "schema": "Note", "properties": {"description": ["'
        + "a" * 10_000_000 + '"]}}\n'
    )
    files["bods_deep"] = folder / "deep.bods.json"
    files["bods_deep"].write_text("[" + "{\"a\": " * 30_000 + "1" + "}" * 30_000 + "]")

    letters = "".join(random.Random(9).choices(string.ascii_letters, k=3_000_000))
    files["xlsx_huge_string"] = write_xlsx(
        folder / "huge-string.xlsx", xlsx_parts([*REGISTER, ["A2", letters, "In gestione"]])
    )
    # The case: a 0.5 MB workbook holding one 500 MB string.
    parts = xlsx_parts([*REGISTER, ["A2", "PLACEHOLDER", "In gestione"]])
    head, tail = parts["xl/sharedStrings.xml"].split(b"PLACEHOLDER")
    files["xlsx_500mb_string"] = write_xlsx(
        folder / "500mb-string.xlsx",
        parts,
        {"xl/sharedStrings.xml": (head, b"a" * (1 << 20), 500, tail)},
    )
    # A zip bomb under the size limit: 200 MB of repeated rows, compressed 1,000 times.
    parts = xlsx_parts(REGISTER)
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    row = b'<row r="3"><c r="A3" t="s"><v>0</v></c><c r="B3" t="s"><v>1</v></c></row>'
    files["xlsx_zip_bomb"] = write_xlsx(
        folder / "zip-bomb.xlsx",
        parts,
        {
            "xl/worksheets/sheet1.xml": (
                head, row * ((1 << 20) // len(row)), 200, b"</sheetData>" + tail
            )
        },
    )
    parts = xlsx_parts(REGISTER)
    laughs = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10)
    )
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(
        b"?>\n", f"?>\n<!DOCTYPE sst [{laughs}]>".encode(), 1
    ).replace(b"Villa Bellavista", b"&l9;")
    files["xlsx_dtd"] = write_xlsx(folder / "dtd.xlsx", parts)
    parts = xlsx_parts(REGISTER)
    parts["[Content_Types].xml"] = b"<Types><Default Extension="
    files["xlsx_broken_content_types"] = write_xlsx(folder / "content-types.xlsx", parts)
    parts = xlsx_parts(REGISTER)
    del parts["[Content_Types].xml"]
    files["xlsx_no_content_types"] = write_xlsx(folder / "no-content-types.xlsx", parts)

    files["csv_huge_field"] = folder / "huge-field.csv"
    files["csv_huge_field"].write_text('Codice,Denominazione\nA1,"' + "a" * 200_000 + '"\n')
    files["csv_long_line"] = folder / "long-line.csv"
    files["csv_long_line"].write_text("Codice,Denominazione\nA1," + "a;" * 9_000_000 + "\n")
    files["png"] = folder / "picture.csv"
    files["png"].write_bytes(b"\x89PNG\r\n\x1a\n" + zlib.compress(os.urandom(2000)))
    return files


# What each bomb goes through, and words of the message that must name its problem.
SCENARIOS = [
    ("gzip_bomb", "api-import", "ftm", "compressed more than 100 times"),
    ("deep_lines", "api-import", "ftm", "line 2: nested deeper than 64"),
    ("deep_array", "api-import", "ftm", "line 2: nested deeper than 64"),
    ("long_line", "api-import", "ftm", "line 2: longer than 4194304 bytes"),
    ("bods_deep", "api-import", "bods", "nested deeper than 64"),
    ("gzip_bomb", "api-import", "bods", "compressed more than 100 times"),
    ("xlsx_huge_string", "web-register", "xlsx", "longer than 32767 characters"),
    ("xlsx_huge_string", "api-preview", "xlsx", "longer than 32767 characters"),
    ("xlsx_huge_string", "api-import", "xlsx", "longer than 32767 characters"),
    ("xlsx_500mb_string", "web-register", "xlsx", "unzips to"),
    ("xlsx_500mb_string", "api-preview", "xlsx", "unzips to"),
    ("xlsx_zip_bomb", "api-preview", "xlsx", "compressed"),
    ("xlsx_zip_bomb", "api-import", "xlsx", "compressed"),
    ("xlsx_dtd", "web-register", "xlsx", "declares a DTD"),
    ("xlsx_dtd", "api-preview", "xlsx", "declares a DTD"),
    ("xlsx_broken_content_types", "api-preview", "xlsx", "[Content_Types].xml is broken"),
    ("xlsx_no_content_types", "web-register", "xlsx", "[Content_Types].xml is missing"),
    ("csv_huge_field", "web-register", "csv", "row 2: a cell is longer than 131072"),
    ("csv_huge_field", "api-preview", "csv", "row 2: a cell is longer than 131072"),
    ("csv_huge_field", "api-import", "csv", "line 2: a cell is longer than 131072"),
    ("csv_long_line", "api-import", "csv", "line 2: a line is longer than"),
    ("png", "web-register", "csv", "not a register"),
    ("png", "api-preview", "csv", "not a register"),
]


@pytest.fixture(scope="module")
def outcomes(sqlite_template, tmp_path_factory):
    """Run every scenario in one child process; return its report per scenario."""
    folder = tmp_path_factory.mktemp("hostile")
    files = make_bombs(folder / "bombs")
    database = folder / "hostile.sqlite"
    database.write_bytes(Path(sqlite_template).read_bytes())
    plan = [
        {"key": f"{name}-{path}-{fmt}", "file": str(files[name]), "path": path, "format": fmt}
        for name, path, fmt, _words in SCENARIOS
    ]
    (folder / "plan.json").write_text(json.dumps(plan))
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            f"sqlite:///{database}",
            str(folder / "instance"),
            str(folder / "plan.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("bomb", "path", "fmt", "words"),
    SCENARIOS,
    ids=[f"{name}-{path}-{fmt}" for name, path, fmt, _w in SCENARIOS],
)
def test_each_bomb_is_refused_clearly_with_bounded_memory_and_nothing_written(
    outcomes, bomb, path, fmt, words
):
    outcome = outcomes[f"{bomb}-{path}-{fmt}"]
    assert outcome["status"] in outcome["expected"], outcome
    assert words in outcome["message"], outcome
    assert outcome["memory_mb"] < MEMORY_LIMIT_MB, outcome
    assert outcome["seconds"] < TIME_LIMIT_S, outcome
    assert outcome["written"] == {"entities": 0, "imports": 0, "uploads": 0}, outcome


def test_the_limits_let_an_ordinary_register_through(outcomes):
    warm = outcomes["warm-up"]
    assert warm == {"csv": 200, "xlsx": 200, "preview": 200, "ftm": "done"}, warm


# --- the preview reads a bounded head (finding 2) ---------------------------------------------


def test_the_preview_reads_a_bounded_head_and_cuts_long_cells(tmp_path):
    from assettrack.services import registers

    long_name = "Villa " + "b" * 30_000
    lines = ["Codice,Denominazione,Stato", f"A0,{long_name},In gestione"]
    lines += [f"A{n},Villa {n},In gestione" for n in range(1, 5000)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")

    preview = registers.preview_register(path)

    assert (preview["row_count"], preview["complete"]) == (2000, False)
    shown = preview["rows"][0]["values"]["Denominazione"]
    assert shown.startswith("Villa bbb") and shown.endswith("… [+29806 characters]")
    assert len(json.dumps(preview)) < 50_000


def test_the_preview_stops_at_its_time_limit(tmp_path):
    from dataclasses import replace

    from assettrack.services import registers

    path = tmp_path / "r.csv"
    path.write_text("Codice,Stato\nA1,In gestione\nA2,In gestione\n")
    limits = replace(registers.RegisterLimits.from_config(), preview_seconds=0)

    preview = registers.preview_register(path, limits=limits)

    assert (preview["row_count"], preview["complete"]) == (0, False)


def test_an_import_reads_no_more_rows_than_the_limit(tmp_path):
    from dataclasses import replace

    from assettrack.domain.ftm import ImportFailed
    from assettrack.services import registers

    path = tmp_path / "r.csv"
    path.write_text("Codice,Stato\n" + "".join(f"A{n},In gestione\n" for n in range(10)))
    limits = replace(registers.RegisterLimits.from_config(), max_rows=5)
    table = registers.read_table(path, limits)

    with pytest.raises(ImportFailed) as refused:
        list(table.rows())

    assert refused.value.line == 7
    assert "more than 5 rows" in str(refused.value.reason)


def test_a_register_cell_past_the_limit_makes_its_row_bad(tmp_path):
    from assettrack.services import registers

    path = tmp_path / "r.csv"
    path.write_text(f"Codice,Denominazione\nA1,Villa\nA2,{'x' * 40_000}\n")

    preview = registers.preview_register(path)

    assert preview["rows"][0]["errors"] == {}
    assert preview["rows"][1]["errors"] == {
        "Denominazione": "40000 characters; the limit is 32767"
    }


# --- malformed requests: a clear 4xx, never a 500 (finding 10) -------------------------------

TOO_LARGE = str(2**63)


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        if any(type(c).__name__ == "IdConverter" for c in rule._converters.values()):
            yield rule


def test_an_id_past_2_63_is_a_404_on_every_route(app, client, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    headers = {"Authorization": f"Bearer {token_for(officer)}"}
    client.post("/login", data={"email": officer.email, "password": "correct-horse-battery"})
    answers, rules = {}, list(_int_rules(app))
    for rule in rules:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", TOO_LARGE).replace(f"<{name}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, headers=headers, json={})
            answers[f"{method} {path}"] = response.status_code
            response.close()
    assert len(rules) >= 20
    assert {key: code for key, code in answers.items() if code != 404} == {}


@pytest.mark.parametrize(
    "body",
    [
        {"schema": "Ownership", "source": 2**63, "target": 1},
        {"schema": "Ownership", "source": 1, "target": -(2**64)},
        {"schema": "Ownership", "source": 1, "target": 10**400},
    ],
)
def test_ids_past_2_63_in_a_json_body_are_a_422(client, make_user, token_for, body):
    officer = make_user("officer", "NLRTM")
    response = client.post(
        "/api/v1/relations", json=body, headers={"Authorization": f"Bearer {token_for(officer)}"}
    )
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert "larger than" in response.json["detail"]


ID_FIELDS = (
    "a", "b", "keep", "asset_ids", "entity_id", "source", "target", "assigned_officer",
    "user_id", "case_id", "decision_id", "asset_id", "merge_id", "job_id", "record_id", "page",
    "limit", "offset", "year", "organisation_id", "id",
)


def test_ids_past_2_63_in_forms_queries_and_json_strings_never_give_a_500(
    app, client, make_user, make_case, token_for
):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    headers = {"Authorization": f"Bearer {token_for(officer)}"}
    client.post("/login", data={"email": officer.email, "password": "correct-horse-battery"})
    values = {name: TOO_LARGE for name in ID_FIELDS}
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(case.id)).replace(f"<{name}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            sent = {"query_string": values}
            if method != "GET" and path.startswith("/api/"):
                sent.update(json={**values, "asset_ids": [TOO_LARGE]}, headers=headers)
            elif method != "GET":
                sent["data"] = values
            response = client.open(path, method=method, **sent)
            if response.status_code >= 500:
                failures.append(f"{method} {path}: {response.status_code}")
            response.close()
    assert failures == []


def test_json_nested_100000_deep_is_a_422_problem(client, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    response = client.post(
        "/api/v1/cases",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(officer)}"},
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "nested deeper than 32 levels" in response.json["detail"]


@pytest.mark.parametrize("query", [f"offset={2**63}", f"offset={10**30}", "limit=99999999999999"])
def test_paging_past_2_63_in_the_query_string_is_a_422(client, make_user, token_for, query):
    officer = make_user("officer", "NLRTM")
    headers = {"Authorization": f"Bearer {token_for(officer)}"}
    for url in ("/api/v1/cases", "/api/v1/entities", "/api/v1/duplicates"):
        response = client.get(f"{url}?{query}", headers=headers)
        assert response.status_code == 422, (url, response.json)


@pytest.mark.parametrize("url", ["/cases/", "/audit/", "/duplicates/"])
def test_a_page_number_past_2_63_shows_a_page(client, make_user, url):
    user = make_user("auditor" if url == "/audit/" else "officer", "NLRTM")
    client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert client.get(f"{url}?page={2**64}").status_code == 200


@pytest.mark.parametrize("role", ["officer", "liaison", "partner", "auditor", "admin"])
def test_duplicates_by_organisation_answers_every_role(client, make_user, token_for, role):
    user = make_user(role, "NLRTM")
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    known = client.get("/api/v1/duplicates?organisation=NLRTM", headers=headers)
    unknown = client.get("/api/v1/duplicates?organisation=%00%FF" + "x" * 300, headers=headers)
    # Before: AttributeError (a 500) for every user. Now an answer, or the user's scope.
    assert known.status_code in (200, 403, 404), known.json
    assert unknown.status_code in (403, 404, 422), unknown.json
    assert known.mimetype in ("application/json", "application/problem+json")


def test_a_relation_answers_as_the_spec_declares(client, make_user, make_case, token_for):
    from jsonschema import Draft202012Validator

    from assettrack.api.openapi import document

    officer = make_user("officer", "NLRTM")
    headers = {"Authorization": f"Bearer {token_for(officer)}"}
    case = make_case(officer)
    ids = [
        client.post(
            f"/api/v1/cases/{case.id}/entities",
            json={"schema": schema, "properties": {"name": [name]}},
            headers=headers,
        ).json["id"]
        for schema, name in (("Company", "Maas Holding BV"), ("RealEstate", "Villa"))
    ]
    response = client.post(
        "/api/v1/relations",
        json={"schema": "Ownership", "source": ids[0], "target": ids[1]},
        headers=headers,
    )
    assert response.status_code == 201
    # The generated component refers to others (RelationSchema, the grades): resolve them in
    # the whole document.
    schema = {"$ref": "#/components/schemas/Relation", "components": document()["components"]}
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(response.json)]
    assert errors == []
    assert response.json["start_date"] is None and response.json["source_grade"] is None


def test_a_csv_with_a_bare_cr_is_previewed(client, make_user, make_case, token_for):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    response = client.post(
        f"/api/v1/cases/{case.id}/imports/preview",
        data={"format": "csv", "file": (io.BytesIO(b"id,name\r1,Villa\r2,\"Ca\rsa\"\n"), "r.csv")},
        headers={"Authorization": f"Bearer {token_for(officer)}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert [row["values"]["name"] for row in response.json["rows"]] == ["Villa", "Ca\rsa"]


# --- the child process -----------------------------------------------------------------------


def _child(database_url: str, instance: str, plan_file: str) -> None:
    import re

    from sqlalchemy import func
    from sqlalchemy import select

    from assettrack.db import get_session
    from assettrack.models import AuditEntry
    from assettrack.models import Entity
    from assettrack.services import accounts
    from assettrack.services import cases as case_service
    from tests.conftest import _make_app

    instance_path = Path(instance)
    app = _make_app(database_url, instance_path)  # as the tests' app: jobs inline, no CSRF
    with app.app_context():
        db = get_session()
        officer = accounts.create_user(
            db, None, email="officer@example.test", name="Officer", role="officer",
            organisation_codes=["NLRTM"], password="correct-horse-battery",
        )
        case = case_service.create_case(db, officer, {"title": "Hostile files", "tlp": "AMBER"})
        token = accounts.create_token(db, None, officer)
        db.commit()
        case_id = case.id
    client = app.test_client()
    client.post("/login", data={"email": "officer@example.test",
                                "password": "correct-horse-battery"})
    headers = {"Authorization": f"Bearer {token}"}
    uploads = instance_path / "files" / "uploads"

    def send(path: str, fmt: str, name: str, data: bytes | Path):
        body = data.read_bytes() if isinstance(data, Path) else data
        upload = (io.BytesIO(body), name)
        if path == "web-register":  # the upload, then the mapping page with its preview
            response = client.post(f"/cases/{case_id}/registers/new", data={"file": upload},
                                   content_type="multipart/form-data")
            if response.status_code == 302:
                return client.get(response.headers["Location"])
            return response
        url = f"/api/v1/cases/{case_id}/imports" + ("/preview" if path == "api-preview" else "")
        return client.post(url, data={"file": upload, "format": fmt}, headers=headers,
                           content_type="multipart/form-data")

    def written() -> dict:
        with app.app_context():
            db = get_session()
            entities = db.scalar(select(func.count()).select_from(Entity))
            imports = db.scalar(
                select(func.count()).select_from(AuditEntry)
                .where(AuditEntry.object_type == "collection")
            )
        return {"entities": entities, "imports": imports,
                "uploads": len(list(uploads.glob("*"))) if uploads.exists() else 0}

    # Warm-up: one ordinary file down each path, so every parser is loaded before idle.
    csv = b"Codice,Denominazione,Stato\nA1,Villa Bellavista,In gestione\n"
    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w") as archive:
        for part, data in xlsx_parts(REGISTER).items():
            archive.writestr(part, data)
    ftm = json.dumps({"id": "warm-1", "schema": "Person", "properties": {"name": ["Ana"]}})
    warm = {
        "csv": send("web-register", "csv", "r.csv", csv).status_code,
        "xlsx": send("web-register", "xlsx", "r.xlsx", xlsx.getvalue()).status_code,
        "preview": send("api-preview", "xlsx", "r.xlsx", xlsx.getvalue()).status_code,
        "ftm": send("api-import", "ftm", "warm.jsonl", ftm.encode()).get_json()["status"],
    }
    with app.app_context():  # the warm-up's entity and uploads are not the bombs' doing
        db = get_session()
        baseline = written()
    for leftover in uploads.glob("*"):
        leftover.unlink()
    baseline["uploads"] = 0
    # Idle is what the process holds now (not its peak so far): the growth measured is the
    # bombs' peak above it, however the warm-up went.
    idle_kb = _memory_kb("VmRSS")

    outcomes = {"warm-up": warm}
    for step in json.loads(Path(plan_file).read_text()):
        file = Path(step["file"])
        started = time.perf_counter()
        response = send(step["path"], step["format"], file.name, file)
        seconds = time.perf_counter() - started
        if step["path"] == "web-register":
            html = response.get_data(as_text=True)
            message = " ".join(re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', html))
            status, expected = response.status_code, [422]
        elif step["path"] == "api-preview":
            message = (response.get_json() or {}).get("detail", "")
            status, expected = response.status_code, [422]
        else:
            job = response.get_json() or {}
            message = job.get("error") or job.get("detail") or ""
            status, expected = job.get("status", response.status_code), ["failed"]
        now = written()
        outcomes[step["key"]] = {
            "status": status,
            "expected": expected,
            "message": message.replace("&#34;", '"').replace("&#39;", "'"),
            "seconds": round(seconds, 2),
            "memory_mb": round((_memory_kb("VmHWM") - idle_kb) / 1024, 1),
            "written": {k: now[k] - baseline.get(k, 0) for k in now},
        }
    print(json.dumps(outcomes))


def _memory_kb(field: str) -> int:
    """This process's resident memory (VmRSS) or its peak (VmHWM), in KiB.

    Read from /proc rather than ``ru_maxrss``, which a child inherits from the process that
    forked it (the test run, hundreds of MB) and keeps across exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _child(*sys.argv[1:4])
