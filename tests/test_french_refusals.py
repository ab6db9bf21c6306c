"""Every refusal of the lifecycle and every decision field error reaches a French user in French."""

import itertools
from datetime import date

import pytest
from flask_babel import force_locale

from assettrack.domain import lifecycle
from assettrack.domain.lifecycle import Action
from assettrack.domain.lifecycle import AssetState
from assettrack.domain.lifecycle import Stage
from assettrack.errors import Msg
from assettrack.web import translate

TODAY = date(2026, 4, 24)

STATES = [
    AssetState(stage, urgent_unconfirmed=urgent, confiscation_final=final)
    for stage in Stage
    for urgent in (False, True)
    for final in (False, True)
    if (not urgent or stage is Stage.FROZEN) and (not final or stage is Stage.CONFISCATED)
]


def _refusals():
    """Yield every message the transition table gives for a move it refuses."""
    for state, action, urgent, final in itertools.product(
        STATES, Action, (False, True), (False, True)
    ):
        try:
            lifecycle.next_state(state, action, urgent=urgent, final=final)
        except lifecycle.IllegalTransition as refusal:
            yield f"{state.stage}/{action}", refusal.reason
        except lifecycle.DecisionInvalid as invalid:
            yield from ((f"{action}/{k}", v) for k, v in invalid.errors.items())
    # After an urgent freeze lapsed unconfirmed (DECISIONS.md #13), with and without the
    # acknowledgement of the lapse, and acknowledging a lapse that is not there.
    lapsed = AssetState(Stage.FROZEN, urgent_unconfirmed=True, urgent_expires_on=date(2026, 4, 1))
    for state, action, acknowledged in itertools.product([lapsed, *STATES], Action, (False, True)):
        try:
            lifecycle.next_state(state, action, lapse_acknowledged=acknowledged, decided_on=TODAY)
        except lifecycle.IllegalTransition as refusal:
            yield f"{state.stage}/{action}/lapse", refusal.reason
        except lifecycle.DecisionInvalid as invalid:
            yield from ((f"{action}/lapse/{k}", v) for k, v in invalid.errors.items())
    # A decision dated before the asset's previous one.
    state = AssetState(Stage.FROZEN, last_decided_on=TODAY)
    try:
        lifecycle.next_state(state, Action.MANAGE, decided_on=date(2026, 1, 1))
    except lifecycle.DecisionInvalid as invalid:
        yield from (("manage/earlier", v) for v in invalid.errors.values())


# Bad values for each field a decision can carry: missing, wrong type, too long, in the future...
BAD_FIELDS = [
    {},
    {"decided_on": "2026-02-30", "authority": 5, "reference": "r" * 500, "legal_basis": " "},
    {"decided_on": 20260101, "owner_notified_on": "2026-01-01", "returned_on": "2026-01-01"},
    {"decided_on": "2026-05-01", "value_at_freezing": 1.5, "currency": "EURO"},
    {"decided_on": "2026-04-01", "value_at_freezing": "-3", "realised_value": "abc"},
    {"early_sale": "on", "ground": "boredom", "price": "x", "currency": "eur1"},
    {"ground": "perishable", "price": "10"},
    {"confiscation_type": "guessed", "disposal": "lost", "urgent": "maybe", "final": "perhaps"},
    {"disposal": "social_reuse", "value_at_confiscation": "1e400"},
]


def _field_errors():
    """Yield every message decision validation gives, for every action and bad input."""
    for action, fields in itertools.product([*Action, "seize"], BAD_FIELDS):
        try:
            lifecycle.validate_decision(action, fields, today=TODAY)
        except lifecycle.DecisionInvalid as invalid:
            yield from ((f"{action}/{k}", v) for k, v in invalid.errors.items())


def _untranslated(app, messages):
    found = {}
    with app.test_request_context(), force_locale("fr"):
        for where, message in messages:
            assert isinstance(message, Msg), f"{where}: {message!r} is not translatable"
            if translate(message) == str(message):
                found[message.msgid] = where
    return found


def test_every_refusal_of_the_transition_table_is_french(app):
    refusals = list(_refusals())
    assert len({str(m) for _w, m in refusals}) >= 10
    assert _untranslated(app, refusals) == {}


def test_every_decision_field_error_is_french(app):
    errors = list(_field_errors())
    assert len({m.msgid for _w, m in errors if isinstance(m, Msg)}) >= 10
    assert _untranslated(app, errors) == {}


@pytest.mark.parametrize(
    "english",
    ["is required", "must not be in the future", "must be one of: {choices}"],
)
def test_common_field_messages_have_french(app, english):
    with app.test_request_context(), force_locale("fr"):
        assert translate(Msg(english, choices="a, b")) != Msg(english, choices="a, b")
