"""The JSON API: tokens, shapes, problem+json errors and the OpenAPI document."""

import pytest

from assettrack.api.openapi import PATHS
from tests.conftest import bearer
from tests.conftest import login


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.mark.backends
def test_post_case_returns_201_with_the_promised_fields(client, officer, token_for):
    response = client.post(
        "/api/v1/cases",
        json={
            "title": "Nordzee Trader",
            "summary": "Bulk carrier",
            "tlp": "GREEN",
            "handling_code": "H1",
            "shared_with": ["BEANR", "DEHAM"],
        },
        headers=bearer(token_for(officer)),
    )
    assert response.status_code == 201
    body = response.json
    assert isinstance(body["id"], int)
    assert body["reference"].startswith("NLRTM-")
    assert body["organisation"] == "NLRTM"
    assert (body["title"], body["stage"], body["status"]) == ("Nordzee Trader", "traced", "open")
    assert (body["tlp"], body["handling_code"]) == ("GREEN", "H1")
    assert body["shared_with"] == ["BEANR", "DEHAM"]
    assert response.headers["Location"].endswith(f"/api/v1/cases/{body['id']}")


@pytest.mark.backends
def test_list_pages_with_limit_and_offset(client, officer, token_for, make_case):
    for n in range(5):
        make_case(officer, title=f"Case {n}")
    headers = bearer(token_for(officer))
    first = client.get("/api/v1/cases?limit=2&offset=0&sort=title&dir=asc", headers=headers).json
    second = client.get("/api/v1/cases?limit=2&offset=2&sort=title&dir=asc", headers=headers).json
    assert first["total"] == second["total"] == 5
    assert [c["title"] for c in first["items"]] == ["Case 0", "Case 1"]
    assert [c["title"] for c in second["items"]] == ["Case 2", "Case 3"]


def test_patch_changes_only_the_given_fields(client, officer, token_for, make_case):
    case = make_case(officer, title="Keep", summary="Old summary")
    response = client.patch(
        f"/api/v1/cases/{case.id}",
        json={"summary": "New summary", "status": "closed"},
        headers=bearer(token_for(officer)),
    )
    assert response.status_code == 200
    assert response.json["title"] == "Keep"
    assert (response.json["summary"], response.json["status"]) == ("New summary", "closed")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"title": ""}, "/title"),
        ({"title": "x" * 201}, "/title"),
        ({"title": "ok", "tlp": "ORANGE"}, "/tlp"),
        ({"title": "ok", "handling_code": "H7"}, "/handling_code"),
        ({"title": "ok", "shared_with": "not a list but a code XXXXX"}, "/shared_with"),
        ({"title": "ok", "shared_with": [1, 2]}, "/shared_with"),
        ({"title": 42}, "/title"),
        ({"title": "ok", "tags": {"a": 1}}, "/tags"),
    ],
)
def test_invalid_bodies_get_422_problem_json_naming_the_field(
    client, officer, token_for, body, pointer
):
    response = client.post("/api/v1/cases", json=body, headers=bearer(token_for(officer)))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["status"] == 422 and problem["title"]
    assert pointer in [e["pointer"] for e in problem["errors"]]
    listing = client.get("/api/v1/cases", headers=bearer(token_for(officer))).json
    assert listing["total"] == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("not json", "application/json"), ("[1, 2]", "application/json"), ("title=x", "text/plain")],
)
def test_a_body_that_is_not_a_json_object_is_422(client, officer, token_for, data, content_type):
    response = client.post(
        "/api/v1/cases", data=data, content_type=content_type, headers=bearer(token_for(officer))
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_duplicate_reference_is_409(client, officer, token_for):
    headers = bearer(token_for(officer))
    assert (
        client.post(
            "/api/v1/cases", json={"title": "a", "reference": "RTM-OLD-1"}, headers=headers
        ).status_code
        == 201
    )
    again = client.post(
        "/api/v1/cases", json={"title": "b", "reference": "RTM-OLD-1"}, headers=headers
    )
    assert again.status_code == 409
    assert again.json["errors"][0]["pointer"] == "/reference"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic abc", "Token x"])
def test_missing_or_invalid_token_is_401(client, header):
    response = client.get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_revoked_token_and_deactivated_user_token_are_refused(
    client, session, officer, token_for, make_user
):
    from assettrack.services import accounts

    token = token_for(officer)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    accounts.revoke_tokens(session, None, officer)
    session.commit()
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401
    other = make_user("officer", "NLRTM")
    token2 = token_for(other)
    accounts.deactivate_user(session, None, other)
    session.commit()
    assert client.get("/api/v1/cases", headers=bearer(token2)).status_code == 401


def test_browser_session_works_for_reads(client, officer, make_case):
    make_case(officer, title="Seen through the session")
    login(client, officer)
    assert client.get("/api/v1/cases").json["total"] == 1


def test_session_writes_to_the_api_need_the_csrf_token(csrf_app, make_user):
    officer = make_user("officer", "NLRTM")
    client = csrf_app.test_client()
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"email": officer.email, "password": "correct-horse-battery", "csrf_token": token},
    )
    # the session is renewed at login, and with it the CSRF token
    page = client.get("/cases/").data.decode()
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post("/api/v1/cases", json={"title": "no token"})
    assert refused.status_code == 400
    accepted = client.post(
        "/api/v1/cases", json={"title": "with token"}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201


def test_unknown_api_path_and_method_are_problem_json(client, officer, token_for):
    headers = bearer(token_for(officer))
    assert client.get("/api/v1/nothing", headers=headers).status_code == 404
    response = client.delete("/api/v1/cases/1", headers=headers)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


def test_openapi_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule[len("/api/v1") :]
        for name, _conv, var in _parts(rule):
            path = path.replace(name, "{" + var + "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method.lower()) not in described:
                missing.append(f"{method} {path}")
    assert not missing, f"routes missing from the OpenAPI document: {missing}"
    assert set(document["paths"]) == set(PATHS)


def test_openapi_document_is_valid_openapi(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)


def _parts(rule):
    import re

    for match in re.finditer(r"<(?:(\w+):)?(\w+)>", rule.rule):
        yield match.group(0), match.group(1), match.group(2)
