"""GET /api/v1/search and the /search page: grouped results, counts, pages, bad input, scope."""

import pytest

from assettrack.services.entities import add_entity_to_case
from tests.conftest import bearer
from tests.conftest import login


@pytest.fixture
def officer_case(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer, title="Sea Breeze laundering")
    for schema, props in (
        ("Person", {"name": ["Jóhan de Wit"]}),
        ("Vessel", {"name": ["Sea Breeze"], "imoNumber": ["9074729"]}),
    ):
        add_entity_to_case(session, officer, case, {"schema": schema, "properties": props})
    for n in range(23):
        add_entity_to_case(
            session,
            officer,
            case,
            {"schema": "Person", "properties": {"name": [f"Pieter Jansen {n:02d}"]}},
        )
    session.commit()
    return officer, case


def test_the_api_groups_results_by_kind(client, officer_case, token_for):
    officer, case = officer_case
    body = client.get("/api/v1/search?q=sea+breeze", headers=bearer(token_for(officer))).json
    assert body["total"] == 2 and body["truncated"] is False
    assert [g["kind"] for g in body["groups"]] == ["cases", "vehicles"]
    [case_hit] = body["groups"][0]["items"]
    assert case_hit == {
        "type": "case",
        "id": case.id,
        "group": "cases",
        "label": "Sea Breeze laundering",
        "detail": case.reference,
        "organisation": "NLRTM",
        "href": f"/cases/{case.id}",
    }
    vessel = body["groups"][1]["items"][0]
    assert vessel["label"] == "Sea Breeze" and vessel["href"] == f"/entities/{vessel['id']}"


def test_the_api_pages_one_kind(client, officer_case, token_for):
    officer, _case = officer_case
    headers = bearer(token_for(officer))
    first = client.get("/api/v1/search?q=jansen", headers=headers).json
    assert first["groups"][0]["count"] == 23 and len(first["groups"][0]["items"]) == 5
    second = client.get("/api/v1/search?q=jansen&kind=people&page=2", headers=headers).json
    assert second["pages"] == 2
    assert [i["label"] for i in second["groups"][0]["items"]] == [
        "Pieter Jansen 20",
        "Pieter Jansen 21",
        "Pieter Jansen 22",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=" + "x" * 201, "q"),
        ("q=a+b+c+d+e+f+g+h+i", "q"),
        ("q=wit&kind=ships", "kind"),
        ("q=wit&page=0", "page"),
        ("q=wit&page=51", "page"),
        ("q=wit&page=" + "9" * 30, "page"),
        ("q=wit&page=x", "page"),
    ],
)
def test_the_api_refuses_bad_input_with_422(client, officer_case, token_for, query, field):
    officer, _case = officer_case
    response = client.get(f"/api/v1/search?{query}", headers=bearer(token_for(officer)))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in str(response.json)


def test_the_api_needs_a_caller(client):
    assert client.get("/api/v1/search?q=wit").status_code == 401


def test_another_city_sees_nothing_through_the_api(client, officer_case, make_user, token_for):
    antwerp = make_user("officer", "BEANR")
    body = client.get("/api/v1/search?q=9074729", headers=bearer(token_for(antwerp))).json
    assert body["groups"] == [] and body["total"] == 0


def test_the_openapi_document_describes_search(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "/search" in doc["paths"]
    assert {"SearchResults", "SearchGroup", "SearchHit"} <= set(doc["components"]["schemas"])


def test_the_page_shows_groups_with_counts_and_links(client, officer_case):
    officer, case = officer_case
    login(client, officer)
    html = client.get("/search?q=sea+breeze").get_data(as_text=True)
    assert 'Cases <span class="count">(1)</span>' in html
    assert "Vessels, vehicles and aircraft" in html
    assert f'href="/cases/{case.id}"' in html
    assert 'href="/entities/' in html


def test_the_page_links_to_all_results_of_a_kind_and_pages_them(client, officer_case):
    officer, _case = officer_case
    login(client, officer)
    html = client.get("/search?q=jansen").get_data(as_text=True)
    assert "All 23 results in People" in html
    page2 = client.get("/search?q=jansen&kind=people&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page2 and "Pieter Jansen 22" in page2


def test_a_too_long_query_is_shown_beside_the_field(client, officer_case):
    officer, _case = officer_case
    login(client, officer)
    response = client.get("/search?q=" + "x" * 201)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Error: Search" in html and "At most 200 characters." in html
    title = html[html.index("<title>") : html.index("</title>")]
    assert "x" * 61 not in title  # the title does not repeat an oversized query
    assert 'id="q-error"' in html


def test_nothing_found_says_so(client, officer_case):
    officer, _case = officer_case
    login(client, officer)
    assert "Nothing found for" in client.get("/search?q=zzyzx").get_data(as_text=True)


def test_the_header_holds_the_search_box_for_case_readers(client, officer_case, make_user):
    officer, _case = officer_case
    login(client, officer)
    assert 'id="site-search"' in client.get("/cases/").get_data(as_text=True)
    auditor = make_user("auditor", "NLRTM")
    client.post("/logout")
    login(client, auditor)
    assert client.get("/search?q=wit").status_code == 403


def test_the_page_answers_in_french(client, officer_case):
    officer, _case = officer_case
    login(client, officer)
    client.post("/language", data={"language": "fr"})
    html = client.get("/search?q=sea+breeze").get_data(as_text=True)
    assert "Rechercher" in html and "Navires, véhicules et aéronefs" in html
