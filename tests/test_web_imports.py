"""The browser side of imports: FtM/BODS upload as a job, the FtM export, registers mapped."""

import io
import json
import re

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.models import Asset
from assettrack.models import AuditEntry
from assettrack.models import CaseEntity
from assettrack.models import Entity
from assettrack.models import Job
from tests.conftest import SHARED_DATA
from tests.conftest import login


def donations():
    path = SHARED_DATA / "ftm" / "donations.ftm.jsonl"
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (see data/README.md)", pytrace=False)
    return path


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer, title="Party donations")


def job_of(response) -> int:
    match = re.fullmatch(r".*/jobs/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def test_officer_uploads_ftm_and_the_case_lists_the_entities(client, session, officer, case):
    login(client, officer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/imports/new" in page
    assert f"/reports/issue?kind=ftm&amp;case={case.id}" in page
    form = client.get(f"/cases/{case.id}/imports/new")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.get_data(as_text=True)

    with donations().open("rb") as fh:
        response = client.post(
            f"/cases/{case.id}/imports/new",
            data={"format": "ftm", "file": (fh, "donations.ftm.jsonl")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 302
    job_id = job_of(response)
    job = session.get(Job, job_id)
    assert job.status == "done", job.error
    assert job.kind == "import"
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    assert f"/jobs/{job_id}/download" in page.get_data(as_text=True)
    with client.get(f"/jobs/{job_id}/download") as download:
        report = json.loads(download.get_data(as_text=True))
    assert report["counts"]["Person"] == 22
    assert count(session, CaseEntity, CaseEntity.case_id == case.id) > 100
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "MLPD" in case_page


def test_broken_line_fails_the_job_naming_it_and_writes_nothing(
    client, session, officer, case, tmp_path
):
    lines = donations().read_text(encoding="utf-8").splitlines()[:10]
    lines[6] = '{"id": "broken", "schema": "Person", "properties": '
    broken = tmp_path / "broken.ftm.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    login(client, officer)
    with broken.open("rb") as fh:
        response = client.post(
            f"/cases/{case.id}/imports/new",
            data={"format": "ftm", "file": (fh, "broken.ftm.jsonl")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 302
    job_id = job_of(response)
    job = session.get(Job, job_id)
    assert job.status == "failed"
    assert "line 7" in job.error
    assert "line 7" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert count(session, Entity) == 0
    assert count(session, CaseEntity, CaseEntity.case_id == case.id) == 0


def test_bad_input_is_422_beside_the_field(client, officer, case):
    login(client, officer)
    response = client.post(
        f"/cases/{case.id}/imports/new",
        data={"format": "csv"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html
    assert 'id="format-error"' in html


def test_liaison_cannot_reach_the_upload_forms(client, make_user, case):
    liaison = make_user("liaison", "NLRTM")
    login(client, liaison)
    assert client.get(f"/cases/{case.id}").status_code == 200
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/imports/new" not in page
    assert f"/reports/issue?kind=ftm&amp;case={case.id}" in page
    assert client.get(f"/cases/{case.id}/imports/new").status_code == 403
    assert client.get(f"/cases/{case.id}/registers/new").status_code == 403
    with donations().open("rb") as fh:
        refused = client.post(
            f"/cases/{case.id}/imports/new",
            data={"format": "ftm", "file": (fh, "donations.ftm.jsonl")},
            content_type="multipart/form-data",
        )
    assert refused.status_code == 403


def test_export_button_downloads_json_lines(client, session, officer, case):
    login(client, officer)
    with donations().open("rb") as fh:
        client.post(
            f"/cases/{case.id}/imports/new",
            data={"format": "ftm", "file": (fh, "donations.ftm.jsonl")},
            content_type="multipart/form-data",
        )
    issued = client.post("/reports/issue", data={"kind": "ftm", "case": case.id,
                                                 "justification": "JIT-2026-07"})
    assert issued.status_code == 302  # issued by POST, made by a job
    with client.get(issued.headers["Location"] + "/download") as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        lines = response.get_data(as_text=True).splitlines()
    assert len(lines) > 100
    items = [json.loads(line) for line in lines]
    assert all({"id", "schema", "properties"} <= set(item) for item in items)
    assert count(session, AuditEntry, AuditEntry.action == "disclose") == 1


REGISTER = (
    "Codice;Denominazione;Tipologia;Comune;Regione;Stato\n"
    "R1;Villa Bellavista;immobile;Gioia Tauro;Calabria;in gestione\n"
    "R2;Magazzino del porto;immobile;Crotone;Calabria;destinati consegnati\n"
    "R3;Località Śèrra;immobile;Vibo Valentia;Calabria;Sequestrato\n"
)


def test_register_goes_through_mapping_preview_and_import(client, session, officer, case, tmp_path):
    path = tmp_path / "registro.csv"
    path.write_bytes(REGISTER.replace("Ś", "S").encode("latin-1"))
    login(client, officer)
    assert client.get(f"/cases/{case.id}/registers/new").status_code == 200
    assert client.post(f"/cases/{case.id}/registers/new", data={}).status_code == 422
    with path.open("rb") as fh:
        response = client.post(
            f"/cases/{case.id}/registers/new",
            data={"file": (fh, "registro.csv")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    token = mapping_url.rstrip("/").rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{32}", token)

    page = client.get(mapping_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "semicolon" in html
    assert "latin-1" in html
    assert "Villa Bellavista" in html

    columns = {
        "col_external_id": "Codice",
        "col_name": "Denominazione",
        "col_schema": "Tipologia",
        "col_city": "Comune",
        "col_region": "Regione",
        "col_status": "Stato",
    }
    # The status column's labels each get a stage select; map "Sequestrato" to frozen.
    preview = client.post(mapping_url, data={**columns, "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Sequestrato" in html
    status_field = re.search(r'<label for="(status_[0-9a-f]{12})">Sequestrato</label>', html)
    assert status_field, html

    # A column the file does not have is refused beside its field, nothing written.
    wrong = client.post(mapping_url, data={**columns, "col_name": "Nope", "action": "import"})
    assert wrong.status_code == 422
    assert 'id="col_name-error"' in wrong.get_data(as_text=True)
    assert count(session, Entity) == 0

    done = client.post(
        mapping_url,
        data={**columns, status_field.group(1): "frozen", "action": "import"},
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/cases/{case.id}")
    assert count(session, CaseEntity, CaseEntity.case_id == case.id) == 3
    stages = sorted(session.scalars(select(Asset.stage)))
    assert stages == ["disposed", "frozen", "managed"]
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "3 created" in case_page
    assert "Villa Bellavista" in case_page
    # The upload is gone once imported; the token leads nowhere now.
    assert client.get(mapping_url).status_code == 404


def test_register_token_is_bound_to_the_session(client, make_user, officer, case, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(REGISTER.replace("Ś", "S").encode("latin-1"))
    login(client, officer)
    with path.open("rb") as fh:
        response = client.post(
            f"/cases/{case.id}/registers/new",
            data={"file": (fh, "r.csv")},
            content_type="multipart/form-data",
        )
    mapping_url = response.headers["Location"]
    assert client.get(f"/cases/{case.id}/registers/..%2F..%2Fetc").status_code == 404
    other = make_user("officer", "NLRTM")
    client.post("/logout")
    login(client, other)
    assert client.get(mapping_url).status_code == 404


def test_upload_form_checks_csrf(csrf_app, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": officer.email, "password": "correct-horse-battery", "csrf_token": token},
    )
    response = client.post(
        f"/cases/{case.id}/imports/new",
        data={"format": "ftm", "file": (io.BytesIO(b"{}\n"), "x.ftm.jsonl")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422)
