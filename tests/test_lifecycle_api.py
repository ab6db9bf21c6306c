"""Entities, assets and decisions through the API and the services, on both databases."""

import threading
from datetime import date
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assettrack.errors import Conflict
from assettrack.models import Asset
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import stats as stats_service
from tests.conftest import bearer

ORDER = {"authority": "Rechtbank Rotterdam", "reference": "RC-1", "legal_basis": "Art. 94 Sv"}

# Every legal move of DOMAIN.md's table, written out independently of lifecycle.py:
# (state, action, flags) -> state after. States: traced, frozen-urgent, frozen, managed,
# confiscated-first, confiscated-final, disposed, released.
LEGAL = {
    ("traced", "freeze", False): "frozen",
    ("traced", "freeze", True): "frozen-urgent",
    ("traced", "release", False): "released",
    ("frozen-urgent", "confirm", False): "frozen",
    ("frozen-urgent", "manage", False): "managed",
    ("frozen", "manage", False): "managed",
    ("frozen-urgent", "confiscate", False): "confiscated-first",
    ("frozen-urgent", "confiscate", True): "confiscated-final",
    ("frozen", "confiscate", False): "confiscated-first",
    ("frozen", "confiscate", True): "confiscated-final",
    ("managed", "confiscate", False): "confiscated-first",
    ("managed", "confiscate", True): "confiscated-final",
    ("confiscated-first", "confiscate", True): "confiscated-final",
    ("frozen-urgent", "release", False): "released",
    ("frozen", "release", False): "released",
    ("managed", "release", False): "released",
    ("confiscated-first", "release", False): "released",
    ("confiscated-final", "release", False): "released",
    ("confiscated-final", "dispose", False): "disposed",
}
STATES = [
    "traced",
    "frozen-urgent",
    "frozen",
    "managed",
    "confiscated-first",
    "confiscated-final",
    "disposed",
    "released",
]
# How to reach each state from traced.
PATHS = {
    "traced": [],
    "frozen-urgent": [("freeze", True)],
    "frozen": [("freeze", False)],
    "managed": [("freeze", False), ("manage", False)],
    "confiscated-first": [("freeze", False), ("confiscate", False)],
    "confiscated-final": [("freeze", False), ("confiscate", True)],
    "disposed": [("freeze", False), ("confiscate", True), ("dispose", False)],
    "released": [("release", False)],
}


def payload(action, asset_ids, flag=False, day=None, **extra):
    body = {
        "action": action,
        "asset_ids": asset_ids,
        "decided_on": (day or date(2026, 3, 2)).isoformat(),
        **ORDER,
    }
    if action == "freeze":
        body["urgent"] = flag
    elif action == "manage":
        body["manager"] = "AMO Domeinen Roerende Zaken"
    elif action == "confiscate":
        body.update(confiscation_type="ordinary", final=flag)
    elif action == "dispose":
        body.update(disposal="social_reuse", recipient="Gemeente Rotterdam", purpose="youth centre")
    elif action == "release":
        body["reason"] = "acquittal"
    body.update(extra)
    return body


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def api(client, officer, token_for):
    headers = bearer(token_for(officer))

    class Api:
        def post(self, url, body):
            return client.post(url, json=body, headers=headers)

        def get(self, url):
            return client.get(url, headers=headers)

    return Api()


def add_asset(api, case, name="Villa Kralingen", schema="RealEstate", **extra):
    response = api.post(
        f"/api/v1/cases/{case.id}/entities",
        {"schema": schema, "properties": {"name": name}, **extra},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def asset_state(api, asset_id):
    body = api.get(f"/api/v1/assets/{asset_id}").json
    if body["stage"] == "frozen" and body["urgent_unconfirmed"]:
        return "frozen-urgent"
    if body["stage"] == "confiscated":
        return "confiscated-final" if body["confiscation_final"] else "confiscated-first"
    return body["stage"]


@pytest.mark.backends
def test_every_move_of_the_table_is_allowed_or_refused_with_409(api, officer, make_case):
    case = make_case(officer)
    failures = []
    for state in STATES:
        for action in ("freeze", "confirm", "manage", "confiscate", "dispose", "release"):
            for flag in (False, True):
                if flag and action not in ("freeze", "confiscate"):
                    continue
                asset = add_asset(api, case, name=f"{state} {action} {flag}")
                for step, (step_action, step_flag) in enumerate(PATHS[state]):
                    day = date(2026, 1, 5) + timedelta(days=step)
                    done = api.post(
                        f"/api/v1/cases/{case.id}/decisions",
                        payload(step_action, [asset], step_flag, day),
                    )
                    assert done.status_code == 201, done.json
                assert asset_state(api, asset) == state
                # The day after the path: within the term of an urgent freeze.
                day = date(2026, 1, 5) + timedelta(days=len(PATHS[state]))
                response = api.post(
                    f"/api/v1/cases/{case.id}/decisions", payload(action, [asset], flag, day)
                )
                expected = LEGAL.get((state, action, flag))
                if expected is None:
                    if response.status_code != 409:
                        failures.append((state, action, flag, response.status_code))
                    elif asset_state(api, asset) != state:
                        failures.append((state, action, flag, "state changed"))
                    else:
                        refused = response.json["assets"]
                        assert refused[0]["id"] == asset and refused[0]["reason"]
                elif response.status_code != 201 or asset_state(api, asset) != expected:
                    failures.append((state, action, flag, response.status_code))
    assert not failures, failures


@pytest.mark.backends
def test_a_decision_on_several_assets_is_all_or_nothing(api, officer, make_case):
    case = make_case(officer)
    villa = add_asset(api, case, "Villa")
    yacht = add_asset(api, case, "Yacht", schema="Vessel")
    assert (
        api.post(f"/api/v1/cases/{case.id}/decisions", payload("release", [yacht])).status_code
        == 201
    )
    response = api.post(f"/api/v1/cases/{case.id}/decisions", payload("freeze", [villa, yacht]))
    assert response.status_code == 409
    assert [a["id"] for a in response.json["assets"]] == [yacht]
    assert asset_state(api, villa) == "traced"
    both = add_asset(api, case, "Account", schema="BankAccount")
    ok = api.post(f"/api/v1/cases/{case.id}/decisions", payload("freeze", [villa, both], True))
    assert ok.status_code == 201 and sorted(ok.json["asset_ids"]) == sorted([villa, both])
    assert asset_state(api, villa) == asset_state(api, both) == "frozen-urgent"


@pytest.mark.parametrize(
    ("schema", "prop", "value"),
    [
        ("BankAccount", "iban", "NL91ABNA0417164301"),
        ("Vessel", "imoNumber", "IMO 9074728"),
        ("Security", "isin", "US0378331006"),
        ("Company", "leiCode", "529900T8BM49AURSDO56"),
    ],
)
def test_identifiers_with_wrong_check_digits_are_refused_naming_the_property(
    api, officer, make_case, schema, prop, value
):
    case = make_case(officer)
    response = api.post(
        f"/api/v1/cases/{case.id}/entities",
        {"schema": schema, "properties": {"name": "X", prop: value}},
    )
    assert response.status_code == 422
    assert f"/properties/{prop}" in [e["pointer"] for e in response.json["errors"]]
    assert api.get(f"/api/v1/cases/{case.id}").json["entities"] == []


def test_valid_identifiers_are_normalised_and_searchable(api, officer, make_case):
    case = make_case(officer)
    response = api.post(
        f"/api/v1/cases/{case.id}/entities",
        {"schema": "Vessel", "properties": {"name": "Nordzee Trader", "imoNumber": "IMO 9074729"}},
    )
    assert response.status_code == 201
    found = api.get("/api/v1/entities?q=9074729").json["items"]
    assert [e["name"] for e in found] == ["Nordzee Trader"]
    entity = api.get(f"/api/v1/entities/{found[0]['id']}").json
    assert entity["properties"]["imoNumber"] == ["9074729"]
    assert entity["asset"]["stage"] == "traced"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"decided_on": (date.today() + timedelta(days=3)).isoformat()}, "/decided_on"),
        ({"decided_on": "2026-02-30"}, "/decided_on"),
        ({"authority": ""}, "/authority"),
        ({"reference": "r" * 201}, "/reference"),
        ({"value_at_freezing": "-5"}, "/value_at_freezing"),
        ({"value_at_freezing": 12.5}, "/value_at_freezing"),
        ({"currency": "EURO"}, "/currency"),
        ({"asset_ids": []}, "/asset_ids"),
        ({"asset_ids": [999999]}, "/asset_ids"),
        ({"action": "seize"}, "/action"),
    ],
)
def test_invalid_decisions_are_422_with_the_field_named(api, officer, make_case, body, pointer):
    case = make_case(officer)
    asset = add_asset(api, case)
    response = api.post(
        f"/api/v1/cases/{case.id}/decisions", {**payload("freeze", [asset]), **body}
    )
    assert response.status_code == 422, response.json
    assert pointer in [e["pointer"] for e in response.json["errors"]]
    assert asset_state(api, asset) == "traced"


def test_a_decision_dated_before_the_previous_one_is_refused(api, officer, make_case):
    case = make_case(officer)
    asset = add_asset(api, case)
    assert (
        api.post(
            f"/api/v1/cases/{case.id}/decisions", payload("freeze", [asset], day=date(2026, 3, 10))
        ).status_code
        == 201
    )
    early = api.post(
        f"/api/v1/cases/{case.id}/decisions", payload("manage", [asset], day=date(2026, 3, 1))
    )
    assert early.status_code == 422
    assert "/decided_on" in [e["pointer"] for e in early.json["errors"]]
    assert asset_state(api, asset) == "frozen"


def test_dispose_before_a_final_confiscation_is_409_with_the_reason(api, officer, make_case):
    case = make_case(officer)
    asset = add_asset(api, case)
    api.post(f"/api/v1/cases/{case.id}/decisions", payload("freeze", [asset]))
    api.post(f"/api/v1/cases/{case.id}/decisions", payload("confiscate", [asset], False))
    response = api.post(f"/api/v1/cases/{case.id}/decisions", payload("dispose", [asset]))
    assert response.status_code == 409
    assert "final" in response.json["assets"][0]["reason"]


@pytest.mark.parametrize(
    ("percentage", "ok"),
    [
        ("150", False),
        ("-1", False),
        ("abc", False),
        ("50-25", False),
        ("25-50", True),
        ("33.33", True),
        ("100", True),
        ("0", True),
    ],
)
def test_ownership_percentages(api, officer, make_case, percentage, ok):
    case = make_case(officer)
    company = add_asset(api, case, "Maas Holding BV", schema="Company")
    villa = add_asset(api, case, "Villa")
    response = api.post(
        "/api/v1/relations",
        {"schema": "Ownership", "source": company, "target": villa, "percentage": percentage},
    )
    if ok:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert "/percentage" in [e["pointer"] for e in response.json["errors"]]


def test_relation_rules(api, officer, make_case):
    case = make_case(officer)
    company = add_asset(api, case, "Maas Holding BV", schema="Company")
    villa = add_asset(api, case, "Villa")
    # A company holding its own shares (treasury shares) is data, recorded as given.
    itself = api.post(
        "/api/v1/relations", {"schema": "Ownership", "source": company, "target": company}
    )
    assert itself.status_code == 201
    backwards = api.post(
        "/api/v1/relations",
        {
            "schema": "Ownership",
            "source": company,
            "target": villa,
            "start_date": "2024-05-01",
            "end_date": "2024-01-01",
        },
    )
    assert [e["pointer"] for e in backwards.json["errors"]] == ["/end_date"]
    band = api.post(
        "/api/v1/relations",
        {
            "schema": "Ownership",
            "source": company,
            "target": villa,
            "percentage": "25-50",
            "role": "declared indirect",
        },
    )
    assert band.json["percentage"] is None
    assert (band.json["percentage_min"], band.json["percentage_max"]) == ("25", "50")
    payment = api.post(
        "/api/v1/relations",
        {
            "schema": "Payment",
            "source": company,
            "target": villa,
            "amount": "125000.50",
            "currency": "EUR",
            "date": "2025-12-01",
        },
    )
    assert payment.status_code == 201 and payment.json["amount"] == "125000.50"


@pytest.mark.backends
def test_database_constraints_hold_even_without_the_service(session, officer, make_case):
    case = make_case(officer)
    link = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Company", "properties": {"name": "Shell BV"}}
    )
    session.commit()
    org = officer.organisation_id
    other = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Company", "properties": {"name": "Other BV"}}
    )
    session.commit()
    rows = [
        (link.entity_id, other.entity_id, 150, None, None),
        (link.entity_id, other.entity_id, None, date(2025, 1, 2), date(2025, 1, 1)),
    ]
    for source, target, pct, start, end in rows:
        with pytest.raises(IntegrityError):
            session.execute(
                text(
                    "INSERT INTO relation (organisation_id, schema, source_id, target_id, "
                    "percentage, start_date, end_date, properties, created_at) VALUES "
                    "(:o, 'Ownership', :s, :t, :p, :a, :b, '{}', CURRENT_TIMESTAMP)"
                ),
                {"o": org, "s": source, "t": target, "p": pct, "a": start, "b": end},
            )
        session.rollback()


def test_same_entity_in_two_cases_with_different_roles(api, officer, make_case):
    first = make_case(officer, title="First")
    second = make_case(officer, title="Second")
    made = api.post(
        f"/api/v1/cases/{first.id}/entities",
        {
            "schema": "Person",
            "properties": {"name": "Jan Visser"},
            "role": "suspect",
            "source_grade": "B",
            "info_grade": "2",
        },
    )
    linked = api.post(
        f"/api/v1/cases/{second.id}/entities", {"entity_id": made.json["id"], "role": "witness"}
    )
    assert linked.status_code == 201 and linked.json["role"] == "witness"
    again = api.post(
        f"/api/v1/cases/{second.id}/entities", {"entity_id": made.json["id"], "role": "victim"}
    )
    assert again.status_code == 409
    roles = {
        c["reference"]: c["role"]
        for c in api.get(f"/api/v1/entities/{made.json['id']}").json["cases"]
    }
    assert roles == {first.reference: "suspect", second.reference: "witness"}


def test_company_is_an_asset_only_when_marked(api, officer, make_case):
    case = make_case(officer)
    party = add_asset(api, case, "Party BV", schema="Company")
    seized = api.post(
        f"/api/v1/cases/{case.id}/entities",
        {
            "schema": "Company",
            "properties": {"name": "Seized BV"},
            "as_asset": True,
            "estimated_value": "2500000",
            "currency": "EUR",
        },
    ).json["id"]
    assets = {a["id"] for a in api.get(f"/api/v1/cases/{case.id}").json["assets"]}
    assert assets == {seized}
    assert party not in assets
    assert api.get(f"/api/v1/assets/{seized}").json["estimated_value"] == "2500000.00"


def test_case_stage_follows_its_assets(api, officer, make_case):
    case = make_case(officer)
    assert api.get(f"/api/v1/cases/{case.id}").json["stage"] == "traced"
    villa = add_asset(api, case, "Villa")
    yacht = add_asset(api, case, "Yacht", schema="Vessel")
    api.post(f"/api/v1/cases/{case.id}/decisions", payload("freeze", [villa, yacht]))
    api.post(
        f"/api/v1/cases/{case.id}/decisions",
        payload("confiscate", [villa], True, day=date(2026, 3, 5)),
    )
    assert api.get(f"/api/v1/cases/{case.id}").json["stage"] == "frozen"
    api.post(
        f"/api/v1/cases/{case.id}/decisions", payload("release", [yacht], day=date(2026, 3, 6))
    )
    assert api.get(f"/api/v1/cases/{case.id}").json["stage"] == "confiscated"
    api.post(
        f"/api/v1/cases/{case.id}/decisions", payload("dispose", [villa], day=date(2026, 3, 7))
    )
    assert api.get(f"/api/v1/cases/{case.id}").json["stage"] == "completed"


def test_urgent_freeze_expires_after_seven_working_days_with_national_holidays(
    api, officer, make_case
):
    case = make_case(officer)
    asset = add_asset(api, case)
    # Thursday 23 April 2026; 27 April is King's Day in the Netherlands.
    response = api.post(
        f"/api/v1/cases/{case.id}/decisions",
        payload("freeze", [asset], True, day=date(2026, 4, 23)),
    )
    assert response.json["expires_on"] == "2026-05-05"
    assert api.get(f"/api/v1/assets/{asset}").json["urgent_expires_on"] == "2026-05-05"
    confirm = api.post(
        f"/api/v1/cases/{case.id}/decisions",
        payload("confirm", [asset], False, day=date(2026, 4, 28)),
    )
    assert confirm.json["action"] == "confirm"
    assert api.get(f"/api/v1/assets/{asset}").json["urgent_unconfirmed"] is False


def test_annulment_restores_the_previous_state_and_keeps_the_record(api, officer, make_case):
    case = make_case(officer)
    asset = add_asset(api, case)
    api.post(f"/api/v1/cases/{case.id}/decisions", payload("freeze", [asset]))
    wrong = api.post(
        f"/api/v1/cases/{case.id}/decisions",
        payload("confiscate", [asset], True, day=date(2026, 3, 9)),
    ).json
    assert api.post(f"/api/v1/decisions/{wrong['id']}/annul", {}).status_code == 422
    annulled = api.post(
        f"/api/v1/decisions/{wrong['id']}/annul", {"reason": "entered on the wrong asset"}
    )
    assert annulled.status_code == 200 and annulled.json["annulled"] is True
    body = api.get(f"/api/v1/assets/{asset}").json
    assert body["stage"] == "frozen"
    assert [d["annulled"] for d in body["history"]] == [False, True]
    again = api.post(f"/api/v1/decisions/{wrong['id']}/annul", {"reason": "twice"})
    assert again.status_code == 409


def test_valuations_and_ledger(api, officer, make_case):
    case = make_case(officer)
    asset = add_asset(api, case)
    traced = api.post(
        f"/api/v1/assets/{asset}/ledger",
        {"booked_on": "2026-03-01", "kind": "cost", "amount": "100", "category": "insurance"},
    )
    assert traced.status_code == 409
    valued = api.post(
        f"/api/v1/assets/{asset}/valuations",
        {
            "valued_on": "2026-02-01",
            "amount": "850000",
            "currency": "EUR",
            "basis": "appraisal",
            "valuer": "Makelaardij Zuid",
        },
    )
    assert valued.status_code == 201
    api.post(f"/api/v1/cases/{case.id}/decisions", payload("freeze", [asset]))
    for kind, amount in (("cost", "1200.50"), ("cost", "300"), ("income", "2000")):
        response = api.post(
            f"/api/v1/assets/{asset}/ledger",
            {"booked_on": "2026-03-04", "kind": kind, "amount": amount, "category": "rent"},
        )
        assert response.status_code == 201
    bad = api.post(
        f"/api/v1/assets/{asset}/ledger",
        {"booked_on": "2026-03-04", "kind": "gift", "amount": "0", "category": ""},
    )
    assert {e["pointer"] for e in bad.json["errors"]} == {"/kind", "/amount", "/category"}
    body = api.get(f"/api/v1/assets/{asset}").json
    assert body["estimated_value"] == "850000.00"
    assert body["ledger"]["EUR"] == {"cost": "1500.50", "income": "2000.00", "net": "499.50"}


@pytest.mark.backends
def test_statistics_for_a_year_match_the_hand_count(session, officer, make_case):
    case = make_case(officer)
    ids = []
    for name, schema in (
        ("Villa", "RealEstate"),
        ("Yacht", "Vessel"),
        ("Account", "BankAccount"),
        ("Porsche", "Vehicle"),
        ("Flat", "RealEstate"),
    ):
        link = entity_service.add_entity_to_case(
            session, officer, case, {"schema": schema, "properties": {"name": name}}
        )
        ids.append(link.entity_id)
    session.commit()
    villa, yacht, account, car, flat = ids

    def decide(action, assets, day, **fields):
        body = payload(action, assets, day=day, **fields)
        decision = decision_service.record_decision(session, officer, case, body)
        session.commit()
        return decision

    decide("freeze", [villa, yacht], date(2025, 12, 20), value_at_freezing="900000")  # 2025
    decide("freeze", [account], date(2026, 1, 10), urgent=True, value_at_freezing="50000")
    decide("confirm", [account], date(2026, 1, 14))  # confirmation: not a new order
    decide("freeze", [car, flat], date(2026, 2, 1), value_at_freezing="80000", currency="CHF")
    decide(
        "manage",
        [car],
        date(2026, 2, 10),
        early_sale=True,
        ground="rapidly_depreciating",
        price="61000",
        currency="CHF",
    )
    decide("confiscate", [villa], date(2026, 3, 1), final=False, value_at_confiscation="700000")
    decide("confiscate", [villa], date(2026, 5, 1), final=True, value_at_confiscation="720000")
    decide(
        "confiscate",
        [yacht],
        date(2026, 4, 20),
        final=True,
        confiscation_type="extended",
        value_at_confiscation="150000",
    )
    decide("dispose", [villa], date(2026, 6, 1), realised_value="0")
    wrong = decide("release", [flat], date(2026, 6, 2))
    decision_service.annul_decision(session, officer, wrong.id, "wrong asset")
    session.commit()
    stats = stats_service.directive_statistics(session, officer.organisation_id, 2026)
    assert stats["freezing_orders"] == 2  # account (urgent) and car+flat; not the confirmation
    assert stats["urgent_freezing_orders"] == 1
    assert stats["confirmations_of_urgent_freezes"] == 1
    assert stats["confiscation_orders"]["first_instance"] == 1
    assert stats["confiscation_orders"]["final"] == 2
    assert stats["confiscation_orders"]["by_type"] == {
        "ordinary": {"first_instance": 1, "final": 1},
        "extended": {"first_instance": 0, "final": 1},
    }
    assert stats["value_frozen"] == {"EUR": Decimal("50000"), "CHF": Decimal("80000")}
    assert stats["value_confiscated"]["final"] == {"EUR": Decimal("870000")}
    assert stats["value_confiscated"]["first_instance"] == {"EUR": Decimal("700000")}
    assert stats["value_realised"] == {"EUR": Decimal("0")}
    assert stats["interlocutory_sales"] == {"count": 1, "proceeds": {"CHF": Decimal("61000")}}
    assert stats["social_reuse"] == {"orders": 1, "assets": 1}
    assert stats["releases"] == 0  # the release was annulled
    # villa: 20 Dec 2025 -> 1 Mar 2026 = 71 days; yacht: 20 Dec 2025 -> 20 Apr 2026 = 121
    assert stats["average_days_freeze_to_confiscation"] == 96.0
    last_year = stats_service.directive_statistics(session, officer.organisation_id, 2025)
    assert last_year["freezing_orders"] == 1
    assert last_year["value_frozen"] == {"EUR": Decimal("900000")}


@pytest.mark.backends
def test_two_officers_recording_the_same_order_at_once_only_one_succeeds(
    app, backend, make_user, make_case, session
):
    from assettrack.db import new_session
    from assettrack.models import Case
    from assettrack.models import User

    officer = make_user("officer", "NLRTM")
    colleague = make_user("officer", "NLRTM")
    case = make_case(officer)
    link = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": "Nordzee Trader"}}
    )
    session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def record(user_id):
        db = new_session(app)
        try:
            user = db.get(User, user_id)
            mine = db.get(Case, case.id)
            barrier.wait()
            decision_service.record_decision(db, user, mine, payload("freeze", [link.entity_id]))
            db.commit()
            outcomes.append("ok")
        except Conflict:
            db.rollback()
            outcomes.append("conflict")
        except Exception as exc:  # SQLite: the loser may time out on the write lock
            db.rollback()
            outcomes.append(type(exc).__name__)
        finally:
            db.close()

    threads = [threading.Thread(target=record, args=(u.id,)) for u in (officer, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    session.expire_all()
    assert session.get(Asset, link.entity_id).stage == "frozen"
    history = decision_service.asset_history(session, link.entity_id)
    assert len(history) == 1


@pytest.mark.parametrize("year", ["1800", "next", "3000"])
def test_statistics_refuse_a_bad_year_naming_the_parameter(api, year):
    response = api.get(f"/api/v1/stats?year={year}")
    assert response.status_code == 422
    assert response.json["errors"][0]["parameter"] == "year"


def test_statistics_answer_money_as_decimal_strings(api, officer, make_case):
    case = make_case(officer)
    asset = add_asset(api, case)
    api.post(
        f"/api/v1/cases/{case.id}/decisions", payload("freeze", [asset], value_at_freezing="1250.5")
    )
    body = api.get("/api/v1/stats?year=2026").json
    assert body["freezing_orders"] == 1 and body["value_frozen"] == {"EUR": "1250.50"}
