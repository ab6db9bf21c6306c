"""Lists and asset reads run a constant number of queries, whatever the number of rows."""

import contextlib
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from assettrack.models import LedgerEntry
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from tests.conftest import bearer
from tests.conftest import login

ORDER = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 Sv"}


@contextlib.contextmanager
def counted(app):
    """Count the SQL statements sent to the database inside the block."""
    engine = app.extensions["assettrack.engine"]
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


def _case_with_assets(session, officer, make_case, n):
    """A case of ``n`` frozen assets, each with a value, a ledger and a second decision."""
    case = make_case(officer, title=f"{n} assets")
    ids = [
        entity_service.add_entity_to_case(
            session, officer, case, {"schema": "RealEstate", "properties": {"name": [f"Pand {i}"]}}
        ).entity_id
        for i in range(n)
    ]
    values = {str(i): str(1000 + i) for i in ids}
    for number, (action, day) in enumerate((("freeze", 2), ("manage", 9)), start=1):
        body = {
            "action": action,
            "asset_ids": ids,
            "decided_on": date(2026, 3, day).isoformat(),
            "reference": f"RC-{number}",
            "asset_values": values,
            "manager": "AMO Domeinen",
            **ORDER,
        }
        decision_service.record_decision(session, officer, case, body)
    session.add_all(
        LedgerEntry(
            asset_id=i,
            booked_on=date(2026, 3, 10),
            kind=kind,
            amount=Decimal("10"),
            currency="EUR",
            category="rent",
        )
        for i in ids
        for kind in ("cost", "income")
    )
    session.commit()
    return case, ids


@pytest.mark.parametrize("sizes", [(10, 100)])
def test_listing_cases_costs_the_same_for_ten_and_a_hundred(
    app, client, session, make_user, make_case, token_for, sizes
):
    counts = []
    for size in sizes:
        user = make_user("officer", "NLRTM")
        for number in range(size):
            case = make_case(user, title=f"Case {number}", tags=["haven", f"t{number}"])
            entity_service.add_entity_to_case(
                session, user, case, {"schema": "Vessel", "properties": {"name": ["Zeewolf"]}}
            )
        session.commit()
        headers = bearer(token_for(user))
        with counted(app) as statements:
            body = client.get(f"/api/v1/cases?limit={size}", headers=headers).json
        assert len(body["items"]) == size
        assert {item["stage"] for item in body["items"]} == {"traced"}
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_reading_a_case_and_its_assets_costs_the_same_for_fifty_and_five_hundred(
    app, client, session, make_user, make_case, token_for
):
    counts = {"api case": [], "api asset": [], "case page": []}
    for size in (50, 500):
        user = make_user("officer", "NLRTM")
        case, ids = _case_with_assets(session, user, make_case, size)
        headers = bearer(token_for(user))
        with counted(app) as statements:
            response = client.get(f"/api/v1/cases/{case.id}", headers=headers)
        body = response.json
        assert response.status_code == 200, body
        assert body["stage"] == "managed"
        counts["api case"].append(len(statements))
        with counted(app) as statements:
            asset = client.get(f"/api/v1/assets/{ids[-1]}", headers=headers).json
        assert asset["manager"] == "AMO Domeinen"
        assert asset["value_at_freezing"] == f"{1000 + ids[-1]}.00"
        assert asset["ledger"]["EUR"] == {"cost": "10.00", "income": "10.00", "net": "0.00"}
        assert [d["action"] for d in asset["history"]] == ["freeze", "manage"]
        assert len(asset["history"][0]["asset_ids"]) == size
        counts["api asset"].append(len(statements))
        browser = app.test_client()
        login(browser, user)
        with counted(app) as statements:
            page = browser.get(f"/cases/{case.id}")
        assert page.status_code == 200
        counts["case page"].append(len(statements))
    assert {name: c[0] == c[1] for name, c in counts.items()} == dict.fromkeys(counts, True)


def test_an_asset_with_many_decisions_is_read_in_the_same_number_of_queries(
    app, client, session, officer, make_case, token_for
):
    case = make_case(officer)
    asset = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": ["Zeewolf"]}}
    ).entity_id
    headers = bearer(token_for(officer))
    client.get("/api/v1/cases", headers=headers)  # the token's first use is noted once
    counts = []
    for day in range(1, 21):
        # A freeze, read, then annulled: the history grows by one decision each day.
        body = {
            "action": "freeze",
            "asset_ids": [asset],
            "decided_on": date(2026, 3, day).isoformat(),
            "reference": f"RC-{day}",
            "value_at_freezing": str(100 * day),
            **ORDER,
        }
        decision = decision_service.record_decision(session, officer, case, body)
        session.commit()
        if day in (2, 20):
            with counted(app) as statements:
                read = client.get(f"/api/v1/assets/{asset}", headers=headers).json
            assert len(read["history"]) == day
            assert read["value_at_freezing"] == f"{100 * day}.00"
            counts.append(len(statements))
        decision_service.annul_decision(session, officer, decision.id, "entered twice")
        session.commit()
    assert counts[0] == counts[1]
