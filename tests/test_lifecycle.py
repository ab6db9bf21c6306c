"""The asset lifecycle with plain values: the transition table, decision checks, deadlines."""

import ast
import copy as copy_module
import itertools
import sys
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assettrack.domain import lifecycle
from assettrack.domain.lifecycle import CASE_COMPLETED
from assettrack.domain.lifecycle import ISO_4217_CURRENCIES
from assettrack.domain.lifecycle import STAGE_ORDER
from assettrack.domain.lifecycle import TERMINAL_STAGES
from assettrack.domain.lifecycle import Action
from assettrack.domain.lifecycle import AssetState
from assettrack.domain.lifecycle import ConfiscationType
from assettrack.domain.lifecycle import DecisionInvalid
from assettrack.domain.lifecycle import DisposalKind
from assettrack.domain.lifecycle import EarlySaleGround
from assettrack.domain.lifecycle import IllegalTransition
from assettrack.domain.lifecycle import LifecycleError
from assettrack.domain.lifecycle import Stage
from assettrack.domain.lifecycle import allowed_actions
from assettrack.domain.lifecycle import allowed_moves
from assettrack.domain.lifecycle import case_stage
from assettrack.domain.lifecycle import is_terminal
from assettrack.domain.lifecycle import next_state
from assettrack.domain.lifecycle import urgent_freeze_expiry
from assettrack.domain.lifecycle import validate_decision

# --- the transition table, written out independently of the module ---------------------------

# (stage, urgent_unconfirmed, confiscation_final) of every state an asset can be in.
VALID_STATES = [
    ("traced", False, False),
    ("frozen", False, False),
    ("frozen", True, False),
    ("managed", False, False),
    ("confiscated", False, False),
    ("confiscated", False, True),
    ("disposed", False, False),
    ("released", False, False),
]

# (stage, urgent_unconfirmed, confiscation_final, action, urgent, final) -> new state:
# DOMAIN.md "Allowed moves", one line per legal decision; every other combination is refused.
LEGAL_MOVES = {
    ("traced", False, False, "freeze", False, False): ("frozen", False, False),
    ("traced", False, False, "freeze", True, False): ("frozen", True, False),
    ("traced", False, False, "release", False, False): ("released", False, False),
    ("frozen", True, False, "confirm", False, False): ("frozen", False, False),
    ("frozen", True, False, "manage", False, False): ("managed", False, False),
    ("frozen", True, False, "confiscate", False, False): ("confiscated", False, False),
    ("frozen", True, False, "confiscate", False, True): ("confiscated", False, True),
    ("frozen", True, False, "release", False, False): ("released", False, False),
    ("frozen", False, False, "manage", False, False): ("managed", False, False),
    ("frozen", False, False, "confiscate", False, False): ("confiscated", False, False),
    ("frozen", False, False, "confiscate", False, True): ("confiscated", False, True),
    ("frozen", False, False, "release", False, False): ("released", False, False),
    ("managed", False, False, "confiscate", False, False): ("confiscated", False, False),
    ("managed", False, False, "confiscate", False, True): ("confiscated", False, True),
    ("managed", False, False, "release", False, False): ("released", False, False),
    ("confiscated", False, False, "confiscate", False, True): ("confiscated", False, True),
    ("confiscated", False, False, "release", False, False): ("released", False, False),
    ("confiscated", False, True, "dispose", False, False): ("disposed", False, False),
    ("confiscated", False, True, "release", False, False): ("released", False, False),
}

ACTIONS = ["freeze", "confirm", "manage", "confiscate", "dispose", "release"]
FLAGS = [(False, False), (True, False), (False, True), (True, True)]
EVERY_COMBINATION = [
    (*state, action, urgent, final)
    for state in VALID_STATES
    for action in ACTIONS
    for urgent, final in FLAGS
]


def state_of(stage, urgent_unconfirmed=False, confiscation_final=False, last=None):
    return AssetState(
        Stage(stage),
        urgent_unconfirmed=urgent_unconfirmed,
        confiscation_final=confiscation_final,
        last_decided_on=last,
    )


def combination_id(combination):
    stage, unconfirmed, final_state, action, urgent, final = combination
    state = stage + ("(urgent)" if unconfirmed else "") + ("(final)" if final_state else "")
    flags = ("+urgent" if urgent else "") + ("+final" if final else "")
    return f"{state}-{action}{flags}"


def test_the_enums_keep_the_values_stored_in_the_database():
    assert [stage.value for stage in STAGE_ORDER] == [
        "traced",
        "frozen",
        "managed",
        "confiscated",
        "disposed",
        "released",
    ]
    assert list(Stage) == list(STAGE_ORDER)
    assert TERMINAL_STAGES == {Stage.DISPOSED, Stage.RELEASED}
    assert [action.value for action in Action] == ACTIONS
    assert [kind.value for kind in ConfiscationType] == [
        "ordinary",
        "value",
        "third_party",
        "extended",
        "non_conviction_based",
        "unexplained_wealth",
    ]
    assert [kind.value for kind in DisposalKind] == [
        "social_reuse",
        "public_use",
        "sale",
        "destruction",
        "victim_compensation",
        "returned_abroad",
    ]
    assert [ground.value for ground in EarlySaleGround] == [
        "perishable",
        "rapidly_depreciating",
        "disproportionate_cost",
    ]
    assert Stage.FROZEN == "frozen"
    assert f"{Stage.FROZEN}" == "frozen"


def test_an_asset_state_holds_only_the_flags_of_its_stage():
    for stage, unconfirmed, final in itertools.product(STAGE_ORDER, (False, True), (False, True)):
        combination = (stage.value, unconfirmed, final)
        if combination in VALID_STATES:
            assert state_of(*combination).stage is stage
        else:
            with pytest.raises(ValueError, match="only a"):
                state_of(*combination)


def test_an_asset_state_accepts_a_stage_value_and_refuses_unknown_ones():
    assert AssetState("managed").stage is Stage.MANAGED
    with pytest.raises(ValueError, match="seized"):
        AssetState("seized")
    with pytest.raises(TypeError, match="last_decided_on"):
        AssetState(Stage.FROZEN, last_decided_on=datetime(2026, 4, 23, 9, 30))


@pytest.mark.parametrize("combination", EVERY_COMBINATION, ids=combination_id)
def test_every_state_action_and_flags_follow_the_table(combination):
    stage, unconfirmed, final_state, action, urgent, final = combination
    state = state_of(stage, unconfirmed, final_state)
    if (urgent and action != "freeze") or (final and action != "confiscate"):
        with pytest.raises(DecisionInvalid) as excinfo:
            next_state(state, Action(action), urgent=urgent, final=final)
        assert set(excinfo.value.errors) <= {"urgent", "final"}
    elif combination in LEGAL_MOVES:
        new = next_state(state, Action(action), urgent=urgent, final=final)
        assert (new.stage.value, new.urgent_unconfirmed, new.confiscation_final) == LEGAL_MOVES[
            combination
        ]
    else:
        with pytest.raises(IllegalTransition) as excinfo:
            next_state(state, Action(action), urgent=urgent, final=final)
        error = excinfo.value
        assert error.stage is Stage(stage)
        assert error.action is Action(action)
        assert error.reason.strip()
        assert str(error) == error.reason


def test_exactly_the_legal_moves_succeed():
    succeeded = set()
    for combination in EVERY_COMBINATION:
        stage, unconfirmed, final_state, action, urgent, final = combination
        try:
            next_state(
                state_of(stage, unconfirmed, final_state), action, urgent=urgent, final=final
            )
        except LifecycleError:
            continue
        succeeded.add(combination)
    assert succeeded == set(LEGAL_MOVES)
    assert len(LEGAL_MOVES) == 19


# Every decision that some stage can take: each action with each of its meaningful flags.
EVERY_DECISION = [
    ("freeze", {}),
    ("freeze", {"urgent": True}),
    ("confirm", {}),
    ("manage", {}),
    ("confiscate", {}),
    ("confiscate", {"final": True}),
    ("dispose", {}),
    ("release", {}),
]


@pytest.mark.parametrize("stage", sorted(TERMINAL_STAGES))
@pytest.mark.parametrize(("action", "flags"), EVERY_DECISION)
def test_a_terminal_asset_refuses_every_decision(stage, action, flags):
    with pytest.raises(IllegalTransition) as excinfo:
        next_state(AssetState(stage), action, **flags)
    assert excinfo.value.reason == (
        f"a {stage.value} asset is terminal: no further decision is possible"
    )
    assert allowed_actions(AssetState(stage)) == []
    assert is_terminal(stage)


def test_a_released_asset_says_it_is_terminal():
    with pytest.raises(IllegalTransition, match="^a released asset is terminal: no further"):
        next_state(AssetState(Stage.RELEASED), Action.FREEZE)


@pytest.mark.parametrize(
    ("state", "action", "flags"),
    [
        (state_of("frozen", True), "freeze", {"urgent": True}),
        (state_of("frozen"), "freeze", {}),
        (state_of("frozen"), "freeze", {"urgent": True}),
        (state_of("frozen"), "confirm", {}),
        (state_of("managed"), "manage", {}),
        (state_of("confiscated"), "confiscate", {}),
        (state_of("confiscated", confiscation_final=True), "confiscate", {"final": True}),
    ],
    ids=[
        "urgent-freeze-twice",
        "freeze-confirmed-freeze",
        "urgent-freeze-confirmed-freeze",
        "confirm-twice",
        "manage-twice",
        "first-instance-twice",
        "final-twice",
    ],
)
def test_a_second_identical_order_is_refused(state, action, flags):
    with pytest.raises(IllegalTransition):
        next_state(state, action, **flags)


def test_two_officers_recording_the_same_freeze_cannot_both_succeed():
    traced = state_of("traced")
    first = next_state(traced, Action.FREEZE, decided_on=date(2026, 4, 23))
    assert first.stage is Stage.FROZEN
    with pytest.raises(IllegalTransition, match="already frozen"):
        next_state(first, Action.FREEZE, decided_on=date(2026, 4, 23))


def test_disposal_after_a_first_instance_confiscation_needs_the_final_order():
    with pytest.raises(IllegalTransition, match="a final confiscation is required"):
        next_state(state_of("confiscated"), Action.DISPOSE)
    with pytest.raises(IllegalTransition, match="a final confiscation is required"):
        next_state(state_of("managed"), Action.DISPOSE)


def test_changing_the_manager_is_an_assignment_not_a_move():
    with pytest.raises(IllegalTransition, match="assignment, not a lifecycle move"):
        next_state(state_of("managed"), Action.MANAGE)


def test_an_urgent_freeze_confirmed_by_a_judicial_order_stays_frozen():
    urgent = next_state(state_of("traced"), Action.FREEZE, urgent=True)
    assert urgent == state_of("frozen", urgent_unconfirmed=True)
    confirmed = next_state(urgent, Action.CONFIRM)
    assert confirmed == state_of("frozen")
    assert urgent.urgent_unconfirmed, "the input state is never changed"


def test_a_decision_dated_before_the_previous_one_is_invalid():
    state = state_of("frozen", last=date(2026, 3, 10))
    with pytest.raises(DecisionInvalid) as excinfo:
        next_state(state, Action.MANAGE, decided_on=date(2026, 3, 9))
    assert excinfo.value.errors == {
        "decided_on": "must not be before the asset's previous decision (2026-03-10)"
    }


def test_a_decision_records_its_date_and_may_share_the_previous_one():
    state = state_of("frozen", last=date(2026, 3, 10))
    assert next_state(state, "manage", decided_on=date(2026, 3, 10)).last_decided_on == date(
        2026, 3, 10
    )
    assert next_state(state, "manage", decided_on=date(2026, 5, 2)).last_decided_on == date(
        2026, 5, 2
    )
    assert next_state(state, "manage").last_decided_on == date(2026, 3, 10)
    assert next_state(state_of("traced"), "freeze", decided_on=date(2026, 1, 5)).last_decided_on


def test_flags_that_do_not_apply_to_the_action_are_invalid():
    with pytest.raises(DecisionInvalid) as excinfo:
        next_state(state_of("frozen"), Action.RELEASE, urgent=True, final=True)
    assert excinfo.value.errors == {
        "urgent": "applies only to a freeze",
        "final": "applies only to a confiscation",
    }


def test_an_unknown_action_is_a_value_error():
    with pytest.raises(ValueError, match="seize"):
        next_state(state_of("frozen"), "seize")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (state_of("traced"), ["freeze", "release"]),
        (state_of("frozen", True), ["confirm", "manage", "confiscate", "release"]),
        (state_of("frozen"), ["manage", "confiscate", "release"]),
        (state_of("managed"), ["confiscate", "release"]),
        (state_of("confiscated"), ["confiscate", "release"]),
        (state_of("confiscated", confiscation_final=True), ["dispose", "release"]),
        (state_of("disposed"), []),
        (state_of("released"), []),
    ],
)
def test_allowed_actions_offer_what_the_table_allows(state, expected):
    assert allowed_actions(state) == [Action(action) for action in expected]


@pytest.mark.parametrize("state", VALID_STATES)
def test_allowed_moves_agree_with_the_table(state):
    expected = sorted(
        (action, urgent, final)
        for (*from_state, action, urgent, final) in LEGAL_MOVES
        if tuple(from_state) == state
    )
    moves = allowed_moves(state_of(*state))
    got = sorted(
        (action.value, flags.get("urgent", False), flags.get("final", False))
        for action, flags in moves
    )
    assert got == expected
    for action, flags in moves:
        next_state(state_of(*state), action, **flags)


def test_lifecycle_errors_print_their_message_and_survive_copying():
    # deepcopy goes through __reduce__ like pickle does (job queues pickle exceptions).
    refused = IllegalTransition(Stage.TRACED, Action.DISPOSE, "a reason")
    invalid = DecisionInvalid(
        {"decided_on": "must not be in the future", "authority": "is required"}
    )
    assert str(invalid) == "decided_on: must not be in the future; authority: is required"
    assert isinstance(refused, LifecycleError)
    assert isinstance(invalid, LifecycleError)
    copy = copy_module.deepcopy(refused)
    assert (copy.stage, copy.action, copy.reason, str(copy)) == (
        Stage.TRACED,
        Action.DISPOSE,
        "a reason",
        "a reason",
    )
    assert copy_module.deepcopy(invalid).errors == invalid.errors


# --- validate_decision -------------------------------------------------------------------------

TODAY = date(2026, 4, 24)
COMMON = {
    "decided_on": "2026-04-23",
    "authority": "Rechtbank Rotterdam",
    "reference": "RK 26/1234",
    "legal_basis": "Art. 94 Wetboek van Strafvordering",
}
VALID = {
    "freeze": {},
    "manage": {"manager": "Domeinen Roerende Zaken"},
    "confiscate": {"confiscation_type": "ordinary"},
    "dispose": {"disposal": "sale"},
    "release": {"reason": "acquittal"},
}
MISSING = object()


def fields_for(action, **overrides):
    fields = {**COMMON, **VALID.get(action, {}), **overrides}
    return {name: value for name, value in fields.items() if value is not MISSING}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_complete_decision_passes_with_typed_values(action):
    cleaned = validate_decision(action, fields_for(action, csrf_token="x"), today=TODAY)
    assert cleaned["action"] is Action(action)
    assert cleaned["decided_on"] == date(2026, 4, 23)
    assert cleaned["authority"] == "Rechtbank Rotterdam"
    assert "csrf_token" not in cleaned


def test_a_freeze_is_cleaned_to_dates_decimals_and_booleans():
    cleaned = validate_decision(
        Action.FREEZE,
        fields_for(
            "freeze",
            decided_on=date(2026, 4, 23),
            authority="  Openbaar Ministerie  ",
            urgent="on",
            value_at_freezing=" 185000.50 ",
            currency="pln",
            owner_notified_on="2026-04-24",
            manager="not a freeze field",
        ),
        today=TODAY,
    )
    assert cleaned == {
        "action": Action.FREEZE,
        "decided_on": date(2026, 4, 23),
        "authority": "Openbaar Ministerie",
        "reference": "RK 26/1234",
        "legal_basis": "Art. 94 Wetboek van Strafvordering",
        "urgent": True,
        "lapse_acknowledged": False,
        "value_at_freezing": Decimal("185000.50"),
        "currency": "PLN",
        "owner_notified_on": date(2026, 4, 24),
    }


def test_a_freeze_defaults_to_not_urgent_in_euro_without_value():
    cleaned = validate_decision("freeze", fields_for("freeze", value_at_freezing=""), today=TODAY)
    assert (cleaned["urgent"], cleaned["value_at_freezing"], cleaned["currency"]) == (
        False,
        None,
        "EUR",
    )
    assert cleaned["owner_notified_on"] is None


def test_money_may_be_a_decimal_or_an_integer():
    for given, expected in [(Decimal("12.5"), Decimal("12.5")), (40000, Decimal(40000))]:
        cleaned = validate_decision(
            "confiscate", fields_for("confiscate", value_at_confiscation=given), today=TODAY
        )
        assert cleaned["value_at_confiscation"] == expected
        assert isinstance(cleaned["value_at_confiscation"], Decimal)


def test_an_early_sale_records_its_ground_price_and_currency():
    cleaned = validate_decision(
        "manage",
        fields_for("manage", early_sale=True, ground="perishable", price="2500", currency="EUR"),
        today=TODAY,
    )
    assert cleaned["early_sale"] is True
    assert cleaned["ground"] is EarlySaleGround.PERISHABLE
    assert cleaned["price"] == Decimal("2500")
    assert cleaned["currency"] == "EUR"
    plain = validate_decision("manage", fields_for("manage", early_sale="false"), today=TODAY)
    assert (plain["early_sale"], plain["ground"], plain["price"]) == (False, None, None)


def test_a_confiscation_records_its_type_and_whether_it_is_final():
    cleaned = validate_decision(
        "confiscate",
        fields_for("confiscate", confiscation_type="non_conviction_based", final=True),
        today=TODAY,
    )
    assert cleaned["confiscation_type"] is ConfiscationType.NON_CONVICTION_BASED
    assert cleaned["final"] is True
    assert cleaned["currency"] == "EUR"


def test_social_reuse_names_its_recipient_and_purpose():
    cleaned = validate_decision(
        "dispose",
        fields_for(
            "dispose",
            disposal="social_reuse",
            recipient="Comune di Genova",
            purpose="youth centre",
            realised_value="0",
        ),
        today=TODAY,
    )
    assert cleaned["disposal"] is DisposalKind.SOCIAL_REUSE
    assert (cleaned["recipient"], cleaned["purpose"]) == ("Comune di Genova", "youth centre")
    assert cleaned["realised_value"] == Decimal("0")


def test_a_sale_needs_no_recipient():
    cleaned = validate_decision("dispose", fields_for("dispose"), today=TODAY)
    assert cleaned["recipient"] is None
    assert cleaned["purpose"] is None


def test_a_release_may_record_the_return_date():
    cleaned = validate_decision(
        "release", fields_for("release", returned_on="2026-04-23"), today=TODAY
    )
    assert cleaned["reason"] == "acquittal"
    assert cleaned["returned_on"] == date(2026, 4, 23)


FLOAT_MESSAGE = 'must be an exact decimal such as "1234.50", not a float'
CURRENCY_SHAPE_MESSAGE = "must be a three-letter ISO 4217 code such as EUR"


@pytest.mark.parametrize(
    ("action", "overrides", "field", "message"),
    [
        ("freeze", {"decided_on": "2026-04-25"}, "decided_on", "must not be in the future"),
        ("freeze", {"decided_on": MISSING}, "decided_on", "is required"),
        (
            "freeze",
            {"decided_on": "23/04/2026"},
            "decided_on",
            "must be a date in the form YYYY-MM-DD",
        ),
        ("freeze", {"decided_on": "2026-02-30"}, "decided_on", "is not a real date"),
        (
            "freeze",
            {"decided_on": datetime(2026, 4, 23, 10, 0)},
            "decided_on",
            "must be a date in the form YYYY-MM-DD",
        ),
        ("freeze", {"authority": MISSING}, "authority", "is required"),
        ("freeze", {"authority": "   "}, "authority", "is required"),
        ("freeze", {"authority": 42}, "authority", "must be text"),
        (
            "freeze",
            {"reference": "R" * 201},
            "reference",
            "must be at most 200 characters (it has 201)",
        ),
        (
            "release",
            {"legal_basis": "L" * 501},
            "legal_basis",
            "must be at most 500 characters (it has 501)",
        ),
        ("freeze", {"value_at_freezing": "-1"}, "value_at_freezing", "must not be negative"),
        ("freeze", {"value_at_freezing": 1234.5}, "value_at_freezing", FLOAT_MESSAGE),
        (
            "confiscate",
            {"value_at_confiscation": 0.1},
            "value_at_confiscation",
            FLOAT_MESSAGE,
        ),
        (
            "freeze",
            {"value_at_freezing": "1.234,50"},
            "value_at_freezing",
            "must be a number such as 1234.50",
        ),
        (
            "freeze",
            {"value_at_freezing": Decimal("NaN")},
            "value_at_freezing",
            "must be a number such as 1234.50",
        ),
        (
            "freeze",
            {"value_at_freezing": True},
            "value_at_freezing",
            "must be a number such as 1234.50",
        ),
        (
            "freeze",
            {"value_at_freezing": "0.00001"},
            "value_at_freezing",
            "must have at most 4 decimal places",
        ),
        (
            "freeze",
            {"value_at_freezing": "1" + "0" * 15},
            "value_at_freezing",
            "must have at most 15 digits before the point",
        ),
        ("freeze", {"currency": "EURO"}, "currency", CURRENCY_SHAPE_MESSAGE),
        ("freeze", {"currency": 978}, "currency", CURRENCY_SHAPE_MESSAGE),
        ("freeze", {"currency": "XYZ"}, "currency", "XYZ is not an ISO 4217 currency code"),
        ("freeze", {"urgent": "maybe"}, "urgent", "must be true or false"),
        (
            "freeze",
            {"owner_notified_on": "2026-04-22"},
            "owner_notified_on",
            "must not be before the date of the decision (2026-04-23)",
        ),
        (
            "freeze",
            {"owner_notified_on": "2026-04-25"},
            "owner_notified_on",
            "must not be in the future",
        ),
        ("manage", {"manager": MISSING}, "manager", "is required"),
        ("manage", {"early_sale": True, "price": "1000"}, "ground", "is required"),
        ("manage", {"early_sale": "on", "ground": "perishable"}, "price", "is required"),
        (
            "manage",
            {"early_sale": True, "ground": "cheap", "price": "1"},
            "ground",
            "must be one of: perishable, rapidly_depreciating, disproportionate_cost",
        ),
        (
            "manage",
            {"ground": "perishable"},
            "ground",
            "applies only to an early sale (early_sale)",
        ),
        (
            "confiscate",
            {"confiscation_type": "civil_forfeiture"},
            "confiscation_type",
            "must be one of: ordinary, value, third_party, extended, non_conviction_based, "
            "unexplained_wealth",
        ),
        ("confiscate", {"confiscation_type": MISSING}, "confiscation_type", "is required"),
        ("confiscate", {"final": "perhaps"}, "final", "must be true or false"),
        ("dispose", {"disposal": MISSING}, "disposal", "is required"),
        (
            "dispose",
            {"disposal": "social_reuse", "recipient": "Comune di Genova"},
            "purpose",
            "is required",
        ),
        ("dispose", {"disposal": "public_use"}, "recipient", "is required"),
        ("dispose", {"disposal": "victim_compensation"}, "recipient", "is required"),
        ("dispose", {"disposal": "returned_abroad"}, "recipient", "is required"),
        ("dispose", {"realised_value": "-0.01"}, "realised_value", "must not be negative"),
        ("release", {"reason": MISSING}, "reason", "is required"),
        (
            "release",
            {"returned_on": "2026-04-22"},
            "returned_on",
            "must not be before the date of the decision (2026-04-23)",
        ),
        ("release", {"returned_on": "2026-04-25"}, "returned_on", "must not be in the future"),
        (
            "seize",
            {},
            "action",
            "must be one of: freeze, confirm, manage, confiscate, dispose, release",
        ),
    ],
)
def test_a_bad_decision_field_is_named_with_its_problem(action, overrides, field, message):
    with pytest.raises(DecisionInvalid) as excinfo:
        validate_decision(action, fields_for(action, **overrides), today=TODAY)
    assert excinfo.value.errors == {field: message}


def test_every_problem_of_a_decision_is_reported_at_once():
    with pytest.raises(DecisionInvalid) as excinfo:
        validate_decision("dispose", {"disposal": "social_reuse"}, today=TODAY)
    assert set(excinfo.value.errors) == {
        "decided_on",
        "authority",
        "reference",
        "legal_basis",
        "recipient",
        "purpose",
    }


def test_the_currency_list_holds_iso_4217_codes_only():
    assert all(len(code) == 3 and code.isupper() for code in ISO_4217_CURRENCIES)
    assert {"EUR", "GBP", "PLN", "RON", "SEK", "DKK", "NOK", "CHF", "USD"} <= ISO_4217_CURRENCIES
    assert not {"XXX", "XTS", "HRK", "EURO"} & ISO_4217_CURRENCIES
    numbers = pytest.importorskip("babel.numbers")
    # A second source: every code must be one the Unicode CLDR knows.
    assert ISO_4217_CURRENCIES <= set(numbers.list_currencies())


# --- urgent_freeze_expiry ----------------------------------------------------------------------


# Each expected date counted by hand on a 2025/2026 calendar; the comment shows the count.
@pytest.mark.parametrize(
    ("decided_on", "country", "expected"),
    [
        # Mon 2 Mar: Tu3 W4 Th5 F6, (weekend) M9 Tu10 W11.
        (date(2026, 3, 2), "NL", date(2026, 3, 11)),
        # Fri 6 Mar: (weekend) M9 Tu10 W11 Th12 F13, (weekend) M16 Tu17.
        (date(2026, 3, 6), "NL", date(2026, 3, 17)),
        # Sat 7 Mar counts from Monday, like Friday.
        (date(2026, 3, 7), "NL", date(2026, 3, 17)),
        # Thu 23 Apr: F24, (weekend, King's Day Mon 27) Tu28 W29 Th30 F1, (weekend) M4 Tu5.
        (date(2026, 4, 23), "NL", date(2026, 5, 5)),
        # Fri 17 Jul: M20, (National Day Tu21) W22 Th23 F24, (weekend) M27 Tu28 W29.
        (date(2026, 7, 17), "BE", date(2026, 7, 29)),
        # Thu 30 Apr: (Labour Day F1, weekend) M4 Tu5 W6 Th7, (Victory Day F8, weekend)
        # M11 Tu12 W13.
        (date(2026, 4, 30), "FR", date(2026, 5, 13)),
        # Wed 1 Apr: Th2 F3 (Good Friday is no holiday in Italy), (weekend, Easter Monday 6)
        # Tu7 W8 Th9 F10, (weekend) M13.
        (date(2026, 4, 1), "IT", date(2026, 4, 13)),
        # Mon 22 Dec 2025: Tu23 W24, (Christmas, St Stephen, weekend) M29 Tu30 W31,
        # (New Year) F2, (weekend) M5 -- Epiphany (Tu 6 Jan) comes after.
        (date(2025, 12, 22), "IT", date(2026, 1, 5)),
        # Thu 30 Oct 2025 in Germany: F31 M3 Tu4 W5 Th6 F7 M10 (Reformation Day is regional).
        (date(2025, 10, 30), "DE", date(2025, 11, 10)),
    ],
)
def test_an_urgent_freeze_lapses_after_seven_working_days(decided_on, country, expected):
    assert urgent_freeze_expiry(decided_on, country) == expected


def test_a_regional_holiday_counts_when_the_subdivision_is_given():
    # Hamburg keeps Reformation Day (Fri 31 Oct 2025): M3 Tu4 W5 Th6 F7 M10 Tu11.
    assert urgent_freeze_expiry(date(2025, 10, 30), "DE", subdiv="HH") == date(2025, 11, 11)


def test_the_number_of_working_days_can_be_changed():
    assert urgent_freeze_expiry(date(2026, 4, 23), "nl", working_days=1) == date(2026, 4, 24)
    assert urgent_freeze_expiry(date(2026, 4, 23), "NL", working_days=2) == date(2026, 4, 28)
    with pytest.raises(ValueError, match="at least 1"):
        urgent_freeze_expiry(date(2026, 4, 23), "NL", working_days=0)


def test_an_unknown_country_has_no_calendar():
    with pytest.raises(ValueError, match="no public holiday calendar"):
        urgent_freeze_expiry(date(2026, 4, 23), "QQ")


# --- case_stage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ([], "traced"),
        (["traced"], "traced"),
        (["confiscated", "frozen", "released"], "frozen"),
        (["managed", "confiscated"], "managed"),
        ([Stage.FROZEN, "traced", Stage.DISPOSED], "traced"),
        (["disposed", "confiscated"], "confiscated"),
        (["disposed", "released"], CASE_COMPLETED),
        (["released"], "completed"),
    ],
)
def test_a_case_is_at_the_earliest_stage_of_its_live_assets(stages, expected):
    assert case_stage(stages) == expected
    assert case_stage(iter(stages)) == expected


def test_a_case_with_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="seized"):
        case_stage(["frozen", "seized"])


# --- purity ------------------------------------------------------------------------------------


def test_the_lifecycle_imports_only_the_standard_library_and_holidays():
    tree = ast.parse(Path(lifecycle.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"holidays"}
