"""The suite's date logic at 23:30 and 00:30 UTC, east and west of UTC: "today" has one source.

Each rule compares with the organisation's calendar, never the server's. The instants straddle
New Year so the statistics year moves too: at 23:30 UTC on 31 December it is already 2027 in Rome
and still 2026 in the Azores; at 00:30 UTC on 1 January it is 2027 in UTC and Rome, 2026 in the
Azores.
"""

from datetime import date
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from assettrack.domain import clock
from assettrack.domain import lifecycle
from assettrack.models import Case
from assettrack.models import Decision
from assettrack.models import Organisation
from assettrack.services import case_view
from assettrack.services import cases as case_service
from assettrack.services import registers
from assettrack.services.cases import org_today
from tests.conftest import bearer
from tests.test_registers import write_csv

ORDER = {"authority": "Tribunale di Genova", "reference": "RG-1", "legal_basis": "Art. 321 cpp"}

# (instant, time zone, the organisation's date at that instant)
MOMENTS = [
    ("2026-12-31T23:30:00Z", "Europe/Rome", date(2027, 1, 1)),
    ("2027-01-01T00:30:00Z", "Europe/Rome", date(2027, 1, 1)),
    ("2026-12-31T23:30:00Z", "Atlantic/Azores", date(2026, 12, 31)),
    ("2027-01-01T00:30:00Z", "Atlantic/Azores", date(2026, 12, 31)),
]


@pytest.fixture(params=MOMENTS, ids=lambda m: f"{m[0][11:16]}-{m[1].split('/')[1]}")
def moment(request, session):
    """Freeze the clock at the instant; give the organisation the time zone; yield its date."""
    instant, timezone, local = request.param
    org = session.scalar(select(Organisation).where(Organisation.code == "ITGOA"))
    org.timezone = timezone
    session.commit()
    with time_machine.travel(instant, tick=False):
        yield local


@pytest.fixture
def api(client, make_user, token_for):
    officer = make_user("officer", "ITGOA")
    headers = bearer(token_for(officer))

    class Api:
        user = officer

        def post(self, url, body):
            return client.post(url, json=body, headers=headers)

        def get(self, url):
            return client.get(url, headers=headers)

    return Api()


def _asset(api, case_id, name="Villa Ada"):
    response = api.post(
        f"/api/v1/cases/{case_id}/entities",
        {"schema": "RealEstate", "properties": {"name": name, "country": "it"}},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def _freeze(api, case_id, asset, day, urgent=False, action="freeze"):
    body = {
        "action": action,
        "asset_ids": [asset],
        "decided_on": day.isoformat(),
        "urgent": urgent,
    }
    return api.post(f"/api/v1/cases/{case_id}/decisions", {**body, **ORDER})


def test_the_clock_gives_the_organisations_date(moment, session):
    org = session.scalar(select(Organisation).where(Organisation.code == "ITGOA"))
    assert case_service.org_today(org) == moment
    assert clock.today_in(org.timezone) == moment


def test_a_case_opened_today_is_reviewed_three_years_on(moment, api):
    body = api.post("/api/v1/cases", {"title": "Porto di Genova", "tlp": "AMBER"}).json
    assert body["opened_on"] == moment.isoformat()
    assert body["review_on"] == moment.replace(year=moment.year + 3).isoformat()
    late = api.post(
        "/api/v1/cases",
        {"title": "Domani", "tlp": "AMBER", "opened_on": (moment + timedelta(1)).isoformat()},
    )
    assert late.status_code == 422


def test_a_decision_of_today_is_taken_and_one_of_tomorrow_refused(moment, api):
    case = api.post("/api/v1/cases", {"title": "Porto di Genova", "tlp": "AMBER"}).json
    asset = _asset(api, case["id"])
    tomorrow = _freeze(api, case["id"], asset, moment + timedelta(days=1))
    assert tomorrow.status_code == 422
    assert "/decided_on" in [e["pointer"] for e in tomorrow.json["errors"]]
    assert _freeze(api, case["id"], asset, moment, urgent=True).status_code == 201
    before = _freeze(api, case["id"], asset, moment - timedelta(days=1), action="confirm")
    assert before.status_code == 422
    assert "/decided_on" in [e["pointer"] for e in before.json["errors"]]


def test_an_urgent_freeze_lapses_after_its_last_day_in_the_organisations_calendar(
    moment, api, session
):
    case = api.post("/api/v1/cases", {"title": "Porto di Genova", "tlp": "AMBER"}).json
    days = [moment - timedelta(days=n) for n in range(30)]
    # The latest freeze whose last day was yesterday, and the earliest still holding today.
    lapsed = next(d for d in days if lifecycle.urgent_freeze_expiry(d, "IT") < moment)
    holding = min(d for d in days if lifecycle.urgent_freeze_expiry(d, "IT") >= moment)
    for name, day in (("Villa Ada", lapsed), ("Villa Borghese", holding)):
        asset = _asset(api, case["id"], name)
        assert _freeze(api, case["id"], asset, day, urgent=True).status_code == 201
    org = session.scalar(select(Organisation).where(Organisation.code == "ITGOA"))
    rows = case_view.case_assets(session, session.get(Case, case["id"]), org_today(org))
    overdue = {row["name"]: row["overdue"] for row in rows}
    assert overdue == {"Villa Ada": True, "Villa Borghese": False}
    assert [row["expiring"] for row in rows if row["name"] == "Villa Borghese"] == [True]


def test_statistics_count_the_organisations_year(moment, api):
    body = api.get("/api/v1/stats").json
    assert body["year"] == moment.year
    assert body["generated_on"] == moment.isoformat()


def test_a_register_import_dates_its_decisions_today(moment, api, session, tmp_path):
    case = case_service.create_case(session, api.user, {"title": "Registro", "tlp": "AMBER"})
    session.commit()
    path = write_csv(tmp_path / "r.csv", [["id", "name", "status"], ["7", "Villa Ada", "frozen"]])
    mapping = registers.ColumnMapping(
        columns={"external_id": "id", "name": "name", "status": "status"},
        defaults={"schema": "RealEstate", "register": "anbsc"},
    )
    registers.import_register(session, api.user, case, path, mapping)
    session.commit()
    assert session.scalars(select(Decision.decided_on)).all() == [moment]
