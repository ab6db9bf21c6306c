"""The case page that scales (#12): sections, decisions as a table, the timeline, last change.

What an officer notices: the page names its sections and links them; decisions are rows of a
table with their details behind a disclosure; the timeline (an SVG with a table of the same
events) shows decisions, urgent-freeze lapses, changes and imports; "last change" moves when an
entity of the case changes; officers are named, not numbered; and the page costs the same number
of queries with 3 decisions or 30.
"""

import re
from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
import time_machine

from assettrack import audit
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from tests.conftest import login
from tests.test_query_counts import counted

ORDER = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 Sv"}

pytestmark = pytest.mark.backends


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM", name="Sanne de Vries")


def _vessel(session, officer, case, name="Zeewolf"):
    return entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": [name]}}
    ).entity_id


def _freeze(session, officer, case, assets, day, reference, **extra):
    body = {
        "action": "freeze",
        "asset_ids": assets,
        "decided_on": day.isoformat(),
        "reference": reference,
        **ORDER,
        **extra,
    }
    return decision_service.record_decision(session, officer, case, body)


def _page(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.data.decode()


def test_sections_are_linked_and_decisions_are_rows_with_details_on_demand(
    client, session, officer, make_case
):
    case = make_case(officer, title="Reefer containers")
    case.assigned_officer_id = officer.id
    session.add(case)
    asset = _vessel(session, officer, case)
    _freeze(session, officer, case, [asset], date(2026, 3, 2), "RC-2026-1")
    session.commit()
    login(client, officer)
    html = _page(client, case)
    assert f"<title>{case.reference} · assettrack</title>" in html
    nav = re.search(r'<nav class="case-sections".*?</nav>', html, re.S).group(0)
    for section in ("summary", "assets", "entities", "relations", "decisions", "documents"):
        assert f'href="#{section}"' in nav
        assert f'id="{section}"' in html
    assert 'href="#history"' in nav and 'id="history"' in html
    row = re.search(r'<tr id="decision-\d+".*?</tr>', html, re.S).group(0)
    assert "RC-2026-1" in row and "<details>" in row and "Rechtbank Rotterdam" in row
    assert "data-sortable" in html and 'data-filter-for="decisions-table"' in html
    # The officer by name, never by number.
    assert "Sanne de Vries" in html
    assert not re.search(r"\buser \d+\b", html)


def test_the_timeline_draws_decisions_lapses_and_changes_with_a_table(
    client, session, officer, make_case
):
    with time_machine.travel(datetime(2026, 3, 20, 10, tzinfo=UTC), tick=False):
        case = make_case(officer)
        asset = _vessel(session, officer, case)
        _freeze(
            session,
            officer,
            case,
            [asset],
            date(2026, 3, 2),
            "RC-URGENT",
            urgent=True,
            value_at_freezing="1000",
        )
        session.commit()
        login(client, officer)
        html = _page(client, case)
    svg = re.search(r'<svg[^>]*class="chart timeline".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "RC-URGENT" in svg
    assert "urgent freeze of 1 asset lapsed" in svg or "lapses unless confirmed" in svg
    assert "style=" not in svg
    table = re.search(r'<table class="data" id="timeline-table".*?</table>', html, re.S).group(0)
    assert "RC-URGENT" in table and "change" in table


def test_last_change_follows_a_change_to_an_entity_of_the_case(client, session, officer, make_case):
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        case = make_case(officer)
        entity = entity_service.add_entity_to_case(
            session, officer, case, {"schema": "Company", "properties": {"name": ["Smit BV"]}}
        ).entity_id
        session.commit()
    login(client, officer)
    before = re.search(r'id="last-change"><time datetime="([^"]+)"', _page(client, case))
    assert before.group(1).startswith("2026-03-02T09:00")
    # An entity of the case changes (as the entity editor and imports record it) a week later.
    with time_machine.travel(datetime(2026, 3, 9, 14, 30, tzinfo=UTC), tick=False):
        audit.record(
            session,
            officer,
            audit.Action.UPDATE,
            "entity",
            entity,
            details={"properties": {"name": [["Smit BV"], ["Smit Holding BV"]]}},
            organisation_id=case.organisation_id,
        )
        session.commit()
    html = _page(client, case)
    after = re.search(r'id="last-change"><time datetime="([^"]+)"', html)
    assert after.group(1).startswith("2026-03-09T14:30")
    history = re.search(r'<ol class="history">.*?</ol>', html, re.S).group(0)
    assert "Sanne de Vries" in history and "changed" in history and "properties" in history
    assert "Smit BV" in history  # the entity by its name


def test_an_auditor_finds_the_case_trail_link_only_when_allowed(
    client, session, officer, make_case
):
    case = make_case(officer)
    session.commit()
    login(client, officer)
    # Officers do not read the audit log: no link to a page they cannot open.
    assert "/audit/?case=" not in _page(client, case)


def test_the_case_page_costs_the_same_with_three_or_thirty_decisions(
    app, session, make_user, make_case
):
    counts = []
    for size in (3, 30):
        user = make_user("officer", "NLRTM")
        case = make_case(user)
        assets = [_vessel(session, user, case, f"Schip {i}") for i in range(size)]
        for number in range(size):
            _freeze(
                session,
                user,
                case,
                [assets[number]],
                date(2026, 3, 1 + number % 27),
                f"RC-{number}",
                urgent=number % 2 == 0,
                value_at_freezing="10",
            )
        session.commit()
        browser = app.test_client()
        login(browser, user)
        with counted(app) as statements:
            html = _page(browser, case)
        assert html.count('<tr id="decision-') == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_reports_issued_on_the_case_are_listed_and_drawn(client, session, officer, make_case):
    from assettrack.models import Report

    case = make_case(officer)
    other = make_case(officer)
    issued = datetime(2026, 3, 5, 12, tzinfo=UTC)
    for case_ids, kind in (
        (f"[{other.id}, {case.id}]", "case_brief"),
        (f"[{case.id}]", "ftm"),
        (f"[{case.id}0]", "gexf"),  # another case whose id starts alike
    ):
        session.add(
            Report(
                kind=kind,
                status="issued",
                issuing_organisation_id=case.organisation_id,
                recipient_organisation_id=case.organisation_id,
                tlp="AMBER",
                case_ids=case_ids,
                created_by_id=officer.id,
                issued_at=issued,
            )
        )
    session.commit()
    login(client, officer)
    html = _page(client, case)
    documents = re.search(r'<section[^>]*id="documents".*?</section>', html, re.S).group(0)
    assert len(re.findall(r'href="/reports/\d+"', documents)) == 2
    assert html.count("issued</title>") == 2  # two marks on the timeline's report lane


def test_entity_names_link_their_page_once_the_application_serves_it(
    app, client, session, officer, make_case
):
    case = make_case(officer)
    entity = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Company", "properties": {"name": ["Smit BV"]}}
    ).entity_id
    session.commit()
    # The entity pages are another blueprint's (#12); a stand-in serves the same path here.
    app.add_url_rule("/entities/<int:entity_id>", "entity_stand_in", lambda entity_id: "")
    login(client, officer)
    html = _page(client, case)
    assert f'<a href="/entities/{entity}">Smit BV</a>' in html
