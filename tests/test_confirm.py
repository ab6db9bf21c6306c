"""Confirming an urgent freeze is its own action; after the lapse only a new order moves on.

DECISIONS.md #13: ``confirm`` is allowed only on an asset under an unconfirmed urgent freeze
within its term. After the lapse the asset shows "frozen — lapsed": manage and confiscate are
refused until a new order, release is allowed, and a new order is a ``freeze`` with
``lapse_acknowledged`` that counts as a new freezing order.

The calendar, worked by hand (Rotterdam, NL): an urgent freeze on Thursday 23 April 2026
counts Fri 24 April (1), skips the weekend and King's Day (Mon 27), counts Tue 28, Wed 29,
Thu 30 April and Fri 1 May (2-5), skips the weekend, counts Mon 4 (6) and Tue 5 May (7):
it holds until Tuesday 5 May 2026 and has lapsed on Wednesday 6 May.
"""

from datetime import date

import pytest
import time_machine

from assettrack.domain import lifecycle
from assettrack.domain.lifecycle import Action
from assettrack.domain.lifecycle import AssetState
from assettrack.domain.lifecycle import IllegalTransition
from assettrack.domain.lifecycle import Stage
from tests.conftest import bearer
from tests.conftest import login

URGENT_ON = date(2026, 4, 23)
LAST_DAY = date(2026, 5, 5)  # the hand-worked 7th working day (see the module docstring)
LAPSED_ON = date(2026, 5, 6)
ORDER = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 Sv"}

UNDER_URGENT = AssetState(
    Stage.FROZEN, urgent_unconfirmed=True, last_decided_on=URGENT_ON, urgent_expires_on=LAST_DAY
)


def test_the_hand_worked_calendar_is_the_lifecycles():
    assert lifecycle.urgent_freeze_expiry(URGENT_ON, "NL") == LAST_DAY


def test_a_confirmation_on_the_last_day_confirms_the_urgent_freeze():
    confirmed = lifecycle.next_state(UNDER_URGENT, Action.CONFIRM, decided_on=LAST_DAY)
    assert confirmed == AssetState(Stage.FROZEN, last_decided_on=LAST_DAY)


def test_a_confirmation_the_day_after_the_lapse_is_refused_naming_the_last_day():
    with pytest.raises(IllegalTransition) as refused:
        lifecycle.next_state(UNDER_URGENT, Action.CONFIRM, decided_on=LAPSED_ON)
    assert "lapsed unconfirmed after 2026-05-05" in refused.value.reason


@pytest.mark.parametrize("action", [Action.MANAGE, Action.CONFISCATE, Action.FREEZE])
def test_after_the_lapse_manage_confiscate_and_an_unacknowledged_freeze_are_refused(action):
    with pytest.raises(IllegalTransition, match="freeze, acknowledging the lapse"):
        lifecycle.next_state(UNDER_URGENT, action, decided_on=LAPSED_ON)


def test_after_the_lapse_a_release_is_allowed():
    released = lifecycle.next_state(UNDER_URGENT, Action.RELEASE, decided_on=LAPSED_ON)
    assert released.stage is Stage.RELEASED


@pytest.mark.parametrize("urgent", [False, True])
def test_after_the_lapse_a_freeze_acknowledging_it_is_a_new_order(urgent):
    new = lifecycle.next_state(
        UNDER_URGENT, Action.FREEZE, urgent=urgent, lapse_acknowledged=True, decided_on=LAPSED_ON
    )
    assert (new.stage, new.urgent_unconfirmed) == (Stage.FROZEN, urgent)


def test_within_the_term_a_judicial_freeze_is_refused_in_favour_of_confirm():
    with pytest.raises(IllegalTransition, match=r"confirmation \(confirm\)"):
        lifecycle.next_state(UNDER_URGENT, Action.FREEZE, decided_on=LAST_DAY)


@pytest.mark.parametrize(
    "state",
    [UNDER_URGENT, AssetState(Stage.TRACED), AssetState(Stage.FROZEN)],
    ids=["within-term", "traced", "confirmed"],
)
def test_acknowledging_a_lapse_that_is_not_there_is_refused(state):
    with pytest.raises(IllegalTransition, match="no lapse to acknowledge"):
        lifecycle.next_state(state, Action.FREEZE, lapse_acknowledged=True, decided_on=LAST_DAY)


@pytest.mark.parametrize(
    "state",
    [AssetState(Stage.FROZEN), AssetState(Stage.TRACED), AssetState(Stage.MANAGED)],
    ids=["confirmed", "traced", "managed"],
)
def test_only_an_unconfirmed_urgent_freeze_can_be_confirmed(state):
    with pytest.raises(IllegalTransition, match="confirmed"):
        lifecycle.next_state(state, Action.CONFIRM, decided_on=LAST_DAY)


def test_lapse_acknowledged_applies_only_to_a_freeze():
    with pytest.raises(lifecycle.DecisionInvalid) as invalid:
        lifecycle.next_state(UNDER_URGENT, Action.CONFIRM, lapse_acknowledged=True)
    assert invalid.value.errors == {"lapse_acknowledged": "applies only to a freeze"}


def test_the_interface_offers_what_the_day_allows():
    assert lifecycle.allowed_actions(UNDER_URGENT, on=LAST_DAY) == [
        Action.CONFIRM,
        Action.MANAGE,
        Action.CONFISCATE,
        Action.RELEASE,
    ]
    assert lifecycle.allowed_actions(UNDER_URGENT, on=LAPSED_ON) == [
        Action.FREEZE,
        Action.RELEASE,
    ]


# --- through the API and the pages, on both databases, with the clock frozen ----------------


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


def _urgently_frozen_asset(api, case):
    asset = api.post(
        f"/api/v1/cases/{case.id}/entities",
        {"schema": "RealEstate", "properties": {"name": "Villa Kralingen"}},
    ).json["id"]
    with time_machine.travel("2026-04-23T10:00:00Z", tick=False):
        urgent = api.post(
            f"/api/v1/cases/{case.id}/decisions",
            {
                "action": "freeze",
                "urgent": True,
                "asset_ids": [asset],
                "decided_on": URGENT_ON.isoformat(),
                "reference": "ARO-2026-17",
                **ORDER,
            },
        )
    assert urgent.status_code == 201, urgent.json
    assert urgent.json["expires_on"] == LAST_DAY.isoformat()
    return asset


def _decide(api, case, asset, action, day, **extra):
    with time_machine.travel(f"{day.isoformat()}T10:00:00Z", tick=False):
        return api.post(
            f"/api/v1/cases/{case.id}/decisions",
            {
                "action": action,
                "asset_ids": [asset],
                "decided_on": day.isoformat(),
                "reference": f"RC-{action}-{day}",
                **ORDER,
                **extra,
            },
        )


@pytest.mark.backends
def test_confirming_within_the_term_is_recorded_as_a_confirmation(api, officer, make_case):
    case = make_case(officer)
    asset = _urgently_frozen_asset(api, case)
    confirmed = _decide(api, case, asset, "confirm", LAST_DAY)
    assert confirmed.status_code == 201, confirmed.json
    assert confirmed.json["action"] == "confirm"
    body = api.get(f"/api/v1/assets/{asset}").json
    assert (body["stage"], body["urgent_unconfirmed"], body["urgent_expires_on"]) == (
        "frozen",
        False,
        None,
    )
    with time_machine.travel("2026-12-01T10:00:00Z", tick=False):
        stats = api.get("/api/v1/stats?year=2026").json
    assert stats["freezing_orders"] == 1
    assert stats["confirmations_of_urgent_freezes"] == 1
    assert stats["new_orders_after_lapse"] == 0


@pytest.mark.backends
def test_after_the_lapse_the_asset_shows_lapsed_and_needs_a_new_acknowledged_order(
    api, client, officer, make_case
):
    case = make_case(officer)
    asset = _urgently_frozen_asset(api, case)

    late = _decide(api, case, asset, "confirm", LAPSED_ON)
    assert late.status_code == 409
    assert "lapsed unconfirmed after 2026-05-05" in late.json["assets"][0]["reason"]
    for action, extra in [
        ("manage", {"manager": "Domeinen Roerende Zaken"}),
        ("confiscate", {"confiscation_type": "ordinary"}),
        ("freeze", {}),
    ]:
        refused = _decide(api, case, asset, action, LAPSED_ON, **extra)
        assert refused.status_code == 409, (action, refused.json)

    with time_machine.travel("2026-05-06T10:00:00Z", tick=False):
        login(client, officer)
        page = client.get(f"/assets/{asset}").get_data(as_text=True)
    assert "frozen — lapsed" in page
    assert "manage and confiscate are refused until a new freezing order" in page

    new = _decide(api, case, asset, "freeze", LAPSED_ON, lapse_acknowledged=True)
    assert new.status_code == 201, new.json
    assert new.json["lapse_acknowledged"] is True
    with time_machine.travel("2026-05-06T10:05:00Z", tick=False):
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "new order after a lapsed urgent freeze" in page
    assert "frozen — lapsed" not in page
    managed = _decide(
        api, case, asset, "manage", date(2026, 5, 7), manager="Domeinen Roerende Zaken"
    )
    assert managed.status_code == 201, managed.json

    with time_machine.travel("2026-12-01T10:00:00Z", tick=False):
        stats = api.get("/api/v1/stats?year=2026").json
    # The urgent freeze and the new order are two freezing orders; nothing was confirmed.
    assert stats["freezing_orders"] == 2
    assert stats["urgent_freezing_orders"] == 1
    assert stats["confirmations_of_urgent_freezes"] == 0
    assert stats["new_orders_after_lapse"] == 1
    assert stats["lapse_not_acknowledged"] == 0


@pytest.mark.backends
def test_a_release_after_the_lapse_is_allowed(api, officer, make_case):
    case = make_case(officer)
    asset = _urgently_frozen_asset(api, case)
    released = _decide(api, case, asset, "release", LAPSED_ON, reason="the freeze lapsed")
    assert released.status_code == 201, released.json
    assert api.get(f"/api/v1/assets/{asset}").json["stage"] == "released"
