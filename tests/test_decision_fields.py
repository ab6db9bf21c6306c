"""The fields of a decision and the money limit are declared once (#11).

The pydantic models of ``domain/decision_shapes.py`` are the declaration: the lifecycle's
validation, the API, the form and the decision service read them. The money limit lives only
in ``domain/money.py``; every amount the application accepts goes through it.
"""

import re
from datetime import date
from pathlib import Path

import pytest

from assettrack.domain import lifecycle
from assettrack.domain.decision_shapes import ACTION_FIELDS
from assettrack.domain.decision_shapes import COMMON_FIELDS
from assettrack.domain.decision_shapes import DECISION_MODELS
from assettrack.domain.lifecycle import Action
from assettrack.services.validation import Errors
from assettrack.services.validation import clean_money

PACKAGE = Path(__file__).resolve().parent.parent / "assettrack"
TODAY = date(2026, 4, 24)
COMMON = {
    "decided_on": "2026-04-01",
    "authority": "Rechtbank Rotterdam",
    "reference": "OM-1",
    "legal_basis": "Art. 94 Sv",
}
MINIMAL = {
    Action.FREEZE: {},
    Action.CONFIRM: {},
    Action.MANAGE: {"manager": "Domeinen", "early_sale": "on", "ground": "perishable",
                    "price": "10"},
    Action.CONFISCATE: {"confiscation_type": "value"},
    Action.DISPOSE: {"disposal": "sale"},
    Action.RELEASE: {"reason": "acquitted"},
}  # fmt: skip


@pytest.mark.parametrize("action", list(Action))
def test_the_validation_returns_exactly_the_fields_of_the_actions_model(action):
    cleaned = lifecycle.validate_decision(action, {**COMMON, **MINIMAL[action]}, today=TODAY)

    declared = {"action", *COMMON_FIELDS, *ACTION_FIELDS[action.value]}
    assert set(cleaned) == declared
    assert set(declared) - {"action"} <= set(DECISION_MODELS[action].model_fields)


@pytest.mark.parametrize("action", list(Action))
def test_what_the_model_requires_the_validation_requires(action):
    model = DECISION_MODELS[action]
    required = {
        name for name, field in model.model_fields.items()
        if field.is_required() and name not in ("action", "asset_ids")
    }  # fmt: skip
    with pytest.raises(lifecycle.DecisionInvalid) as refused:
        lifecycle.validate_decision(action, {}, today=TODAY)
    assert {k for k, v in refused.value.errors.items() if v.msgid == "is required"} == required


@pytest.mark.parametrize(
    "amount", ["1e3", "-1", "1.23456", "1234567890123456", 1.5, "abc", "12,50"]
)
def test_every_amount_meets_the_same_limit_and_message(amount):
    with pytest.raises(lifecycle.DecisionInvalid) as refused:
        lifecycle.validate_decision("freeze", {**COMMON, "value_at_freezing": amount}, today=TODAY)
    errors = Errors()
    clean_money(errors, {"amount": amount}, "amount", "currency")

    assert errors["amount"] == refused.value.errors["value_at_freezing"]


def test_the_money_limit_is_written_only_in_domain_money():
    limit = re.compile(r"10\s*\*\*\s*15|\b1e15\b|MONEY_MAX_\w+\s*=|15 digits")
    found = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if limit.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["domain/money.py"]
