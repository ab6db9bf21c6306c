"""The decision shapes are declared once (assettrack.shapes) and everything else follows them."""

from datetime import date
from types import SimpleNamespace

import jsonschema
import pytest

from assettrack import shapes
from assettrack.api.openapi import document
from assettrack.domain import lifecycle
from assettrack.web.forms import DECISION_FIELDS
from tests.conftest import bearer
from tests.test_lifecycle_api import add_asset
from tests.test_lifecycle_api import payload


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def api(client, officer, token_for):
    """Post and get as the officer, like test_lifecycle_api's ``api``."""
    headers = bearer(token_for(officer))
    return SimpleNamespace(
        post=lambda url, body: client.post(url, json=body, headers=headers),
        get=lambda url: client.get(url, headers=headers),
    )


def _validator(name):
    spec = document()
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_every_action_has_one_model_and_the_form_shows_its_fields(app):
    assert set(shapes.DECISION_MODELS) == set(lifecycle.Action)
    assert DECISION_FIELDS == shapes.ACTION_FIELDS
    with app.test_request_context():
        from assettrack.web.forms import DecisionForm

        form = DecisionForm(meta={"csrf": False})
        for action, names in DECISION_FIELDS.items():
            for name in (*shapes.COMMON_FIELDS, *names):
                assert name in form, f"{action}: the form has no field {name}"


def test_the_spec_describes_each_action_from_its_model(app):
    schemas = document()["components"]["schemas"]
    mapping = schemas["DecisionIn"]["discriminator"]["mapping"]
    assert set(mapping) == {a.value for a in lifecycle.Action}
    manage = schemas["ManageIn"]
    assert {"manager", "early_sale", "ground", "price"} <= set(manage["properties"])
    assert "manager" in manage["required"]
    assert manage["properties"]["authority"]["maxLength"] == lifecycle.MAX_LENGTHS["authority"]
    # One money limit: the spec's pattern and the model say 15 digits and 4 decimals.
    assert schemas["FreezeIn"]["properties"]["value_at_freezing"]["anyOf"][0] == (
        shapes.MONEY_JSON
    )


def test_a_valid_request_of_each_action_matches_its_declared_schema(app):
    check = _validator("DecisionIn")
    for action in lifecycle.Action:
        check.validate(payload(action.value, [1]))
    with pytest.raises(jsonschema.ValidationError):
        check.validate(payload("freeze", [1], value_at_freezing="1234567890123456"))


def test_a_decision_of_each_action_is_returned_with_every_key_declared(api, officer, make_case):
    case = make_case(officer)
    check = _validator("Decision")
    declared = set(document()["components"]["schemas"]["Decision"]["properties"])
    asset = add_asset(api, case)
    steps = [
        ("freeze", {"value_at_freezing": "185000.00", "owner_notified_on": "2026-03-03"}),
        ("manage", {"early_sale": True, "ground": "perishable", "price": "12.5"}),
        ("confiscate", {"final": True}),
        ("dispose", {"realised_value": "10"}),
    ]
    for step, (action, extra) in enumerate(steps):
        day = date(2026, 3, 2 + step)
        response = api.post(
            f"/api/v1/cases/{case.id}/decisions", payload(action, [asset], day=day, **extra)
        )
        assert response.status_code == 201, response.json
        check.validate(response.json)
        assert set(response.json) <= declared
    other = add_asset(api, case, name="Yacht Maas")
    released = api.post(f"/api/v1/cases/{case.id}/decisions", payload("release", [other]))
    assert released.status_code == 201, released.json
    check.validate(released.json)
    assert released.json["reason"] == "acquittal"
    assert len(declared) >= 22


def test_per_asset_values_obey_the_money_limit(api, officer, make_case):
    case = make_case(officer)
    one, two = add_asset(api, case), add_asset(api, case, name="Yacht Maas")
    url = f"/api/v1/cases/{case.id}/decisions"
    too_large = payload("freeze", [one, two], asset_values={str(one): "1" * 16, str(two): "5"})
    response = api.post(url, too_large)
    assert response.status_code == 422
    pointers = [error["pointer"] for error in response.json["errors"]]
    assert pointers == ["/asset_values"]
    assert "15 digits" in response.json["errors"][0]["detail"]
    assert api.get(f"/api/v1/assets/{one}").json["stage"] == "traced"

    too_precise = payload("freeze", [one, two], asset_values={str(one): "1.23456"})
    assert api.post(url, too_precise).status_code == 422
    stranger = payload("freeze", [one, two], asset_values={"999999": "5"})
    assert api.post(url, stranger).status_code == 422

    fine = payload("freeze", [one, two], asset_values={str(one): "100.50", str(two): "7"})
    response = api.post(url, fine)
    assert response.status_code == 201, response.json
    amounts = {row["id"]: row["amount"] for row in response.json["assets"]}
    assert amounts == {one: "100.50", two: "7.00"}
