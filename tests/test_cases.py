"""Opening, changing, finding cases: references, marking, sharing, review dates."""

import json
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.domain import clock
from assettrack.errors import AccessDenied
from assettrack.errors import Conflict
from assettrack.errors import Invalid
from assettrack.models import AuditEntry
from assettrack.models import Case
from assettrack.services import cases as case_service
from tests.conftest import login


@pytest.mark.backends
def test_references_count_per_organisation_and_year(session, make_user, make_case):
    rotterdam = make_user("officer", "NLRTM")
    antwerp = make_user("officer", "BEANR")
    year = clock.today_in("Europe/Amsterdam").year  # Rotterdam's calendar numbers its cases
    first = make_case(rotterdam)
    second = make_case(rotterdam)
    belgian = make_case(antwerp)
    old = make_case(rotterdam, opened_on=date(year - 1, 6, 1))
    assert first.reference == f"NLRTM-{year}-0001"
    assert second.reference == f"NLRTM-{year}-0002"
    assert belgian.reference == f"BEANR-{year}-0001"
    assert old.reference == f"NLRTM-{year - 1}-0001"


@pytest.mark.backends
def test_review_date_is_three_years_after_opening(make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer, opened_on=date(2024, 2, 29))
    assert case.review_on == date(2027, 2, 28)
    assert make_case(officer, opened_on=date(2025, 3, 10)).review_on == date(2028, 3, 10)


@pytest.mark.backends
@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"title": ""}, "title", "is required"),
        ({"title": "x" * 201}, "title", "the limit is 200"),
        ({"title": "ok", "summary": "s" * 10_001}, "summary", "the limit is 10000"),
        ({"title": "ok", "tlp": "PURPLE"}, "tlp", "expected one of"),
        ({"title": "ok", "handling_code": "H9"}, "handling_code", "expected one of"),
        ({"title": "ok", "handling_code": "H3"}, "handling_restriction", "H3"),
        ({"title": "ok", "shared_with": ["ZZZZZ"]}, "shared_with", "unknown organisation"),
        ({"title": "ok", "shared_with": ["NLRTM"]}, "shared_with", "already belongs"),
        (
            {"title": "ok", "tlp": "AMBER+STRICT", "shared_with": ["BEANR"]},
            "shared_with",
            "never shared",
        ),
        ({"title": "ok", "opened_on": "2026-13-01"}, "opened_on", "YYYY-MM-DD"),
        (
            {"title": "ok", "opened_on": (date.today() + timedelta(days=2)).isoformat()},
            "opened_on",
            "future",
        ),
        ({"title": "ok", "tags": ["t" * 41]}, "tags", "limited to 40"),
        ({"title": "ok", "reference": "no spaces allowed"}, "reference", "capital letters"),
        ({"title": "ok", "assigned_officer": "nobody@example.test"}, "assigned_officer", "officer"),
    ],
)
def test_bad_case_input_is_refused_with_the_field_named(session, make_user, data, field, words):
    officer = make_user("officer", "NLRTM")
    before = session.scalar(select(func.count()).select_from(Case))
    with pytest.raises(Invalid) as caught:
        case_service.create_case(session, officer, data)
    session.rollback()
    assert field in caught.value.errors
    assert words in str(caught.value.errors[field])
    assert session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.backends
def test_duplicate_reference_is_a_conflict_and_writes_nothing(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    make_case(officer, reference="RTM/BIBOB-17")
    count = session.scalar(select(func.count()).select_from(Case))
    with pytest.raises(Conflict):
        case_service.create_case(session, officer, {"title": "again", "reference": "RTM/BIBOB-17"})
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Case)) == count


@pytest.mark.backends
def test_update_records_old_and_new_values_in_the_audit_log(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer, title="Before", tlp="AMBER")
    case_service.update_case(
        session, officer, case, {"title": "After", "tlp": "GREEN", "shared_with": ["BEANR"]}
    )
    session.commit()
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.seq.desc())
    ).first()
    details = json.loads(entry.details)
    assert details["title"] == ["Before", "After"]
    assert details["tlp"] == ["AMBER", "GREEN"]
    assert details["shared_with"] == [[], ["BEANR"]]
    assert entry.object_type == "case" and entry.object_id == str(case.id)


@pytest.mark.backends
def test_switching_a_shared_case_to_amber_strict_is_refused(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer, tlp="AMBER", shared_with=["BEANR"])
    with pytest.raises(Invalid) as caught:
        case_service.update_case(session, officer, case, {"tlp": "AMBER+STRICT"})
    assert "shared_with" in caught.value.errors
    session.rollback()
    assert session.get(Case, case.id).tlp == "AMBER"


def test_another_officer_of_the_same_city_may_edit_but_not_a_liaison(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    colleague = make_user("officer", "NLRTM")
    liaison = make_user("liaison", "NLRTM")
    case = make_case(officer)
    case_service.update_case(session, colleague, case, {"status": "closed"})
    with pytest.raises(AccessDenied):
        case_service.update_case(session, liaison, case, {"status": "open"})


def test_case_list_filters_sorts_and_paginates(app, client, make_user, make_case):
    app.config["PAGE_SIZE"] = 2
    officer = make_user("officer", "NLRTM")
    make_case(officer, title="Alpha vessel", tlp="GREEN")
    make_case(officer, title="Bravo villa", tlp="RED")
    make_case(officer, title="Charlie accounts", tlp="GREEN", tags=["crypto"])
    login(client, officer)
    green = client.get("/cases/?tlp=GREEN").data.decode()
    assert "Alpha vessel" in green and "Charlie accounts" in green and "Bravo" not in green
    assert "Charlie" in client.get("/cases/?q=crypto").data.decode()
    page1 = client.get("/cases/?sort=title&dir=asc&page=1").data.decode()
    page2 = client.get("/cases/?sort=title&dir=asc&page=2").data.decode()
    assert "Alpha vessel" in page1 and "Bravo villa" in page1 and "Charlie" not in page1
    assert "Charlie accounts" in page2
    assert "Page 1 of 2" in page1
    descending = client.get("/cases/?sort=title&dir=desc").data.decode()
    assert descending.index("Charlie") < descending.index("Bravo")
    # nonsense parameters fall back to defaults instead of failing
    assert client.get("/cases/?sort=drop&dir=x&page=-4&status=zzz").status_code == 200


def test_case_form_keeps_the_input_and_shows_the_error_beside_the_field(client, session, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    response = client.post(
        "/cases/new",
        data={"title": "", "summary": "Keep me", "tlp": "AMBER", "handling_code": "H0"},
    )
    page = response.data.decode()
    assert response.status_code == 422
    assert 'id="title-error"' in page and "is required" in page
    assert "Keep me" in page
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_officer_opens_edits_and_reads_a_case_through_the_pages(client, session, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    response = client.post(
        "/cases/new",
        data={
            "title": "Shell companies of Rotterdam-Zuid",
            "tlp": "AMBER",
            "handling_code": "H3",
            "handling_restriction": "Not for Bibob decisions",
            "shared_with": ["BEANR", "ITGOA"],
            "tags": "real-estate, port",
        },
    )
    assert response.status_code == 302
    case_url = response.headers["Location"]
    page = client.get(case_url).data.decode()
    assert "Shell companies of Rotterdam-Zuid" in page
    assert "BEANR, ITGOA" in page and "Not for Bibob decisions" in page
    edit = client.post(
        case_url + "/edit",
        data={
            "title": "Renamed",
            "status": "closed",
            "tlp": "GREEN",
            "handling_code": "H0",
            "tags": "port",
        },
    )
    assert edit.status_code == 302
    page = client.get(case_url).data.decode()
    assert "Renamed" in page and "closed" in page
