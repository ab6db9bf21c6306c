"""Who sees what: organisations never see each other's cases unless the rules allow it."""

import pytest

from tests.conftest import bearer
from tests.conftest import login


@pytest.mark.backends
def test_officer_of_antwerp_gets_404_for_rotterdam_case_by_page_and_api(
    client, make_user, make_case, token_for
):
    rotterdam = make_user("officer", "NLRTM")
    antwerp = make_user("officer", "BEANR")
    case = make_case(rotterdam, title="Rotterdam only")
    login(client, antwerp)
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/edit").status_code == 404
    listing = client.get("/cases/?q=Rotterdam").data
    assert b"Rotterdam only" not in listing and case.reference.encode() not in listing
    token = token_for(antwerp)
    api = client.get(f"/api/v1/cases/{case.id}", headers=bearer(token))
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    missing = client.get("/api/v1/cases/999999", headers=bearer(token))
    assert missing.json["detail"].replace("999999", "X") == api.json["detail"].replace(
        str(case.id), "X"
    )
    items = client.get("/api/v1/cases", headers=bearer(token)).json["items"]
    assert case.reference not in [c["reference"] for c in items]
    patch = client.patch(f"/api/v1/cases/{case.id}", json={"title": "x"}, headers=bearer(token))
    assert patch.status_code == 404


@pytest.mark.backends
def test_liaison_reads_every_granted_organisation_but_edits_nothing(
    client, make_user, make_case, token_for
):
    rotterdam = make_user("officer", "NLRTM")
    antwerp = make_user("officer", "BEANR")
    genoa = make_user("officer", "ITGOA")
    liaison = make_user("liaison", "NLRTM", "BEANR")
    nl = make_case(rotterdam, title="Dutch case")
    be = make_case(antwerp, title="Belgian case")
    it = make_case(genoa, title="Italian case")
    login(client, liaison)
    page = client.get("/cases/").data
    assert b"Dutch case" in page and b"Belgian case" in page and b"Italian case" not in page
    assert client.get(f"/cases/{be.id}").status_code == 200
    assert client.get(f"/cases/{it.id}").status_code == 404
    assert client.get(f"/cases/{nl.id}/edit").status_code == 403
    assert client.get("/cases/new").status_code == 403
    token = token_for(liaison)
    patch = client.patch(f"/api/v1/cases/{nl.id}", json={"title": "x"}, headers=bearer(token))
    assert patch.status_code == 403
    created = client.post("/api/v1/cases", json={"title": "x"}, headers=bearer(token))
    assert created.status_code == 403


@pytest.mark.parametrize("role", ["partner", "auditor", "admin"])
def test_roles_without_case_access_see_no_case(client, make_user, make_case, token_for, role):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    other = make_user(role, "NLRTM")
    login(client, other)
    assert client.get("/cases/").status_code == 403
    assert client.get(f"/cases/{case.id}").status_code == 403
    token = token_for(other)
    assert client.get("/api/v1/cases", headers=bearer(token)).json["total"] == 0
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(token)).status_code == 404


def test_only_auditors_read_the_audit_log_and_only_admins_manage_users(client, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    assert client.get("/audit/").status_code == 403
    assert client.get("/admin/users").status_code == 403
    client.post("/logout")
    auditor = make_user("auditor", "NLRTM")
    login(client, auditor)
    assert client.get("/audit/").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_pages_need_a_login(client):
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/cases").status_code == 401
