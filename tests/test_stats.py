"""The statistics that leave the city, checked against a year counted by hand.

One organisation (NLRTM) and the year 2026. Every figure below was counted on paper from the
decisions listed in ``fixture_year``, not computed by the code under test; the open-data CSV and
``/api/v1/stats`` must give exactly these figures.
"""

import csv
import io
from datetime import date

import pytest
import time_machine

from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import registers
from tests.conftest import bearer
from tests.conftest import login

ORDER = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 Sv"}

# The assets of the year, in the order they are created (so their ids ascend in this order).
ASSETS = (
    ("Villa Kralingen", "RealEstate", {"country": ["nl"]}),
    ("Rekening ING", "BankAccount", {"country": ["nl"]}),
    ("Zeewolf", "Vessel", {"flag": ["mt"]}),
    ("Porsche Cayenne", "Vehicle", {"country": ["de"]}),
    ("Flat Katendrecht", "RealEstate", {"country": ["nl"]}),
    ("Rolex horloges", "Asset", {}),
)


@pytest.fixture
def fixture_year(session, make_user, make_case, tmp_path):
    """Record the year: several assets through every stage, annulments, a register import."""
    # The register dates its decisions "today": keep that day inside the counted year.
    with time_machine.travel("2026-12-07T12:00:00Z", tick=False):
        return _record_year(session, make_user, make_case, tmp_path)


def _record_year(session, make_user, make_case, tmp_path):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer, title="Havenbedrijf witwassen", tlp="GREEN")
    ids = []
    for name, schema, extra in ASSETS:
        link = entity_service.add_entity_to_case(
            session, officer, case, {"schema": schema, "properties": {"name": [name], **extra}}
        )
        ids.append(link.entity_id)
    session.commit()
    villa, account, yacht, car, flat, watches = ids
    numbers = iter(range(1, 100))

    def decide(action, assets, day, **fields):
        body = {
            "action": action,
            "asset_ids": assets,
            "decided_on": day.isoformat(),
            "reference": f"RC-2026-{next(numbers)}",
            **ORDER,
            **fields,
        }
        decision = decision_service.record_decision(session, officer, case, body)
        session.commit()
        return decision

    # Villa: frozen, confiscated at first instance, then finally, then given to social re-use.
    decide("freeze", [villa], date(2026, 1, 15), urgent=False, value_at_freezing="500000")
    decide(
        "confiscate",
        [villa],
        date(2026, 4, 1),
        confiscation_type="ordinary",
        final=False,
        value_at_confiscation="480000",
    )
    decide(
        "confiscate",
        [villa],
        date(2026, 6, 1),
        confiscation_type="ordinary",
        final=True,
        value_at_confiscation="490000",
    )
    decide(
        "dispose",
        [villa],
        date(2026, 9, 1),
        disposal="social_reuse",
        recipient="Stichting Jongerenwerk",
        purpose="youth centre",
        realised_value="0",
    )
    # Account: an urgent freeze by the asset recovery office, confirmed by the judge (not a new
    # order), finally confiscated by value and paid out to the victims.
    decide("freeze", [account], date(2026, 2, 2), urgent=True, value_at_freezing="40000")
    decide("confirm", [account], date(2026, 2, 5))
    decide(
        "confiscate",
        [account],
        date(2026, 7, 1),
        confiscation_type="value",
        final=True,
        value_at_confiscation="40000",
    )
    decide(
        "dispose",
        [account],
        date(2026, 10, 1),
        disposal="victim_compensation",
        recipient="Slachtofferfonds",
        realised_value="40000",
    )
    # Yacht: frozen last year, managed and sold early this year, finally confiscated (extended).
    decide("freeze", [yacht], date(2025, 11, 10), urgent=False, value_at_freezing="300000")
    decide(
        "manage",
        [yacht],
        date(2026, 3, 1),
        manager="AMO Domeinen Roerende Zaken",
        early_sale=True,
        ground="rapidly_depreciating",
        price="250000",
    )
    for kind, amount in (("cost", "1200"), ("income", "300")):
        decision_service.add_ledger_entry(
            session,
            officer,
            yacht,
            {"booked_on": "2026-03-20", "kind": kind, "amount": amount, "category": "berth"},
        )
    session.commit()
    decide(
        "confiscate",
        [yacht],
        date(2026, 8, 1),
        confiscation_type="extended",
        final=True,
        value_at_confiscation="250000",
    )
    # Car: frozen (in CHF), then released after an acquittal.
    decide(
        "freeze", [car], date(2026, 3, 10), urgent=False, value_at_freezing="30000", currency="CHF"
    )
    decide("release", [car], date(2026, 5, 1), reason="acquittal")
    # Flat: frozen, confiscated at first instance without conviction; a release entered on the
    # wrong asset was annulled.
    decide("freeze", [flat], date(2026, 4, 10), urgent=False, value_at_freezing="200000")
    decide(
        "confiscate",
        [flat],
        date(2026, 11, 1),
        confiscation_type="non_conviction_based",
        final=False,
        value_at_confiscation="190000",
    )
    wrong = decide("release", [flat], date(2026, 11, 15), reason="acquittal")
    decision_service.annul_decision(session, officer, wrong.id, "entered on the wrong asset")
    # Watches: a freeze entered by mistake and annulled: back to traced, counted nowhere.
    mistake = decide("freeze", [watches], date(2026, 5, 20), urgent=False, value_at_freezing="9000")
    decision_service.annul_decision(session, officer, mistake.id, "wrong case")
    session.commit()

    # A register import (in the year too): its assets come with decisions dated on the day of
    # the import, which are kept out of the statistics.
    register_case = make_case(officer, title="Register Domeinen", tlp="GREEN")
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["id", "type", "status"],
                ["R1", "RealEstate", "confiscated"],
                ["R2", "RealEstate", "Destinati consegnati"],
                ["R3", "RealEstate", "frozen"],
            ]
        )
    mapping = registers.ColumnMapping(
        columns={"external_id": "id", "schema": "type", "status": "status"}
    )
    registers.import_register(session, officer, register_case, path, mapping)
    session.commit()
    return officer, ids


# Hand count of 2026 (yacht's freeze was in 2025; register decisions and annulled ones excluded).
EXPECTED_2026 = {
    "year": 2026,
    # villa 15 Jan, account 2 Feb (urgent), car 10 Mar, flat 10 Apr; the confirmation of
    # 5 Feb is not a new order; the annulled freeze of the watches does not count.
    "freezing_orders": 4,
    "urgent_freezing_orders": 1,
    "confirmations_of_urgent_freezes": 1,
    "new_orders_after_lapse": 0,
    "lapse_not_acknowledged": 0,
    "confiscation_orders": {
        "first_instance": 2,  # villa 1 Apr, flat 1 Nov
        "final": 3,  # villa 1 Jun, account 1 Jul, yacht 1 Aug
        "by_type": {
            "ordinary": {"first_instance": 1, "final": 1},
            "value": {"first_instance": 0, "final": 1},
            "extended": {"first_instance": 0, "final": 1},
            "non_conviction_based": {"first_instance": 1, "final": 0},
        },
    },
    # 500,000 + 40,000 + 200,000 EUR; 30,000 CHF (per currency, never converted)
    "value_frozen": {"EUR": "740000.00", "CHF": "30000.00"},
    "value_confiscated": {
        "first_instance": {"EUR": "670000.00"},  # 480,000 + 190,000
        "final": {"EUR": "780000.00"},  # 490,000 + 40,000 + 250,000
    },
    "value_realised": {"EUR": "40000.00"},  # villa 0 (social re-use) + account 40,000
    "interlocutory_sales": {"count": 1, "proceeds": {"EUR": "250000.00"}},  # the yacht
    "social_reuse": {"orders": 1, "assets": 1},  # the villa
    "victim_compensations": 1,  # the account
    "releases": 1,  # the car; the flat's release was annulled
    # days from first freeze to first confiscation, for confiscations in 2026:
    # villa 15 Jan -> 1 Apr = 76; account 2 Feb -> 1 Jul = 149;
    # yacht 10 Nov 2025 -> 1 Aug 2026 = 264; flat 10 Apr -> 1 Nov = 205; 694 / 4 = 173.5
    "average_days_freeze_to_confiscation": 173.5,
}

# The open-data CSV, one row per asset, counted by hand (the asset id is added in the test).
# Columns after asset_id: organisation, schema, country, stage, estimated_value, currency,
# frozen_on, confiscated_on, confiscation_final, disposal, disposed_on, realised_value,
# management_costs, management_income.
EXPECTED_ROWS = [
    # the villa was finally confiscated, then disposed of: confiscation_final stays "yes"
    ["NLRTM", "RealEstate", "nl", "disposed", "", "EUR", "2026-01-15", "2026-04-01", "yes",
     "social_reuse", "2026-09-01", "0.00", "", ""],
    ["NLRTM", "BankAccount", "nl", "disposed", "", "EUR", "2026-02-02", "2026-07-01", "yes",
     "victim_compensation", "2026-10-01", "40000.00", "", ""],
    ["NLRTM", "Vessel", "mt", "confiscated", "", "EUR", "2025-11-10", "2026-08-01", "yes",
     "", "", "", "1200.00", "300.00"],
    ["NLRTM", "Vehicle", "de", "released", "", "EUR", "2026-03-10", "", "", "", "", "", "", ""],
    ["NLRTM", "RealEstate", "nl", "confiscated", "", "EUR", "2026-04-10", "2026-11-01", "no",
     "", "", "", "", ""],
    # the annulled freeze leaves the watches traced, with no date at all
    ["NLRTM", "Asset", "", "traced", "", "EUR", "", "", "", "", "", "", "", ""],
]  # fmt: skip
# Register assets: stage from the register, no date (the import's day is not the order's),
# confiscation_final from the register's status.
EXPECTED_REGISTER_ROWS = [
    ["NLRTM", "RealEstate", "", "confiscated", "", "EUR", "", "", "no", "", "", "", "", ""],
    ["NLRTM", "RealEstate", "", "disposed", "", "EUR", "", "", "yes", "", "", "", "", ""],
    ["NLRTM", "RealEstate", "", "frozen", "", "EUR", "", "", "", "", "", "", "", ""],
]  # fmt: skip


@pytest.mark.backends
def test_the_published_statistics_are_the_hand_counted_ones(
    client, session, fixture_year, token_for
):
    officer, ids = fixture_year

    body = client.get("/api/v1/stats?year=2026", headers=bearer(token_for(officer))).json

    assert body["organisation"] == "NLRTM"
    assert {k: body[k] for k in EXPECTED_2026} == EXPECTED_2026


@pytest.mark.backends
def test_the_open_data_csv_is_the_hand_counted_one(client, session, fixture_year):
    officer, ids = fixture_year
    login(client, officer)

    issued = client.post(
        "/api/v1/reports", json={"kind": "open_data", "justification": "open data 2026"}
    )
    assert issued.status_code == 202, issued.json
    report = client.get(issued.headers["Location"]).json
    with client.get(report["links"]["file"]) as response:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["asset_id", "organisation"]
    body = rows[1:]
    assert [r[0] for r in body[: len(ids)]] == [str(i) for i in ids]
    assert [r[1:] for r in body[: len(ids)]] == EXPECTED_ROWS
    assert [r[1:] for r in body[len(ids) :]] == EXPECTED_REGISTER_ROWS


def test_a_final_confiscation_is_still_final_once_the_asset_is_disposed_of():
    from assettrack.services.stats import _confiscation_final

    # (asset still marked final, a final order stands) -> column
    assert _confiscation_final(False, 1) == "yes"  # disposed after a final order: the bug
    assert _confiscation_final(True, 1) == "yes"
    assert _confiscation_final(False, 0) == "no"  # first instance only
    assert _confiscation_final(False, None) == ""  # never confiscated
