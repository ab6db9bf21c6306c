"""The request and response shapes of decisions, declared once as pydantic models.

One model per decision action, joined in a union discriminated by ``action``. The API's
OpenAPI components are generated from these models, the web form takes its field list from
them, and the decision service builds its row from a validated model. The lifecycle's rules
(which move is allowed, which field a move requires) stay in :mod:`assettrack.lifecycle`;
this module only says what a decision looks like.

Pure: pydantic and the lifecycle's enums, nothing from Flask or the database.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated
from typing import Literal
from typing import Union
from typing import get_args

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import TypeAdapter
from pydantic import WithJsonSchema

from .lifecycle import DEFAULT_CURRENCY
from .lifecycle import MAX_LENGTHS
from .lifecycle import MONEY_MAX_DECIMAL_PLACES
from .lifecycle import MONEY_MAX_INTEGER_DIGITS
from .lifecycle import Action
from .lifecycle import ConfiscationType
from .lifecycle import DisposalKind
from .lifecycle import EarlySaleGround
from .lifecycle import Stage

__all__ = [
    "Money",
    "Currency",
    "Day",
    "MONEY_JSON",
    "MONEY",
    "FreezeIn",
    "ManageIn",
    "ConfiscateIn",
    "DisposeIn",
    "ReleaseIn",
    "DecisionIn",
    "DECISION_IN",
    "DECISION_MODELS",
    "COMMON_FIELDS",
    "ACTION_FIELDS",
    "VALUE_FIELD",
    "DecisionAsset",
    "DocumentRef",
    "Decision",
    "component_schemas",
]

#: Money on the wire: a decimal string, never a float, within the one limit of the lifecycle.
MONEY_JSON = {
    "type": "string",
    "pattern": f"^[0-9]{{1,{MONEY_MAX_INTEGER_DIGITS}}}"
    f"(\\.[0-9]{{1,{MONEY_MAX_DECIMAL_PLACES}}})?$",
    "description": "a decimal string, never a float",
}

#: A non-negative amount of at most 15 digits before the point and 4 after it.
Money = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=MONEY_MAX_INTEGER_DIGITS + MONEY_MAX_DECIMAL_PLACES,
        decimal_places=MONEY_MAX_DECIMAL_PLACES,
        allow_inf_nan=False,
    ),
    WithJsonSchema(MONEY_JSON),
]

#: An ISO 4217 code; the list itself is checked by the lifecycle (money.ISO_4217_CURRENCIES).
Currency = Annotated[
    str,
    Field(pattern="^[A-Z]{3}$", description="ISO 4217", json_schema_extra={"default": "EUR"}),
]

#: A calendar day, ``YYYY-MM-DD`` on the wire.
Day = date

#: Validates one amount (a decimal string, an int or a Decimal) against the money limit.
MONEY = TypeAdapter(Money)


def _text(name: str, description: str | None = None):
    return Field(max_length=MAX_LENGTHS[name], description=description)


class _Decision(BaseModel):
    """The fields every decision has, whatever its action."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False)

    asset_ids: list[int] = Field(min_length=1, description="assets of the case it covers")
    decided_on: Day = Field(description="date of the order; not in the future")
    authority: Annotated[str, _text("authority", "court, prosecutor, office...")]
    reference: Annotated[str, _text("reference", "the order's reference")]
    legal_basis: Annotated[str, _text("legal_basis")]
    asset_values: dict[int, Money] | None = Field(
        default=None, description="per-asset values of a decision on several assets"
    )


class FreezeIn(_Decision):
    """A freezing order; urgent when an asset recovery office made it, to be confirmed."""

    action: Literal["freeze"]
    urgent: bool = False
    value_at_freezing: Money | None = None
    currency: Currency = DEFAULT_CURRENCY
    owner_notified_on: Day | None = None


class ManageIn(_Decision):
    """A management order naming the manager; with an early sale, its ground and price."""

    action: Literal["manage"]
    manager: Annotated[str, _text("manager", "asset management office or custodian")]
    early_sale: bool = False
    ground: EarlySaleGround | None = None
    price: Money | None = None
    currency: Currency | None = None


class ConfiscateIn(_Decision):
    """A confiscation order, final or open to appeal."""

    action: Literal["confiscate"]
    confiscation_type: ConfiscationType
    final: bool = False
    value_at_confiscation: Money | None = None
    currency: Currency = DEFAULT_CURRENCY


class DisposeIn(_Decision):
    """The disposal of a confiscated asset: social re-use, sale, destruction..."""

    action: Literal["dispose"]
    disposal: DisposalKind
    recipient: Annotated[str, _text("recipient")] | None = None
    purpose: Annotated[str, _text("purpose")] | None = None
    realised_value: Money | None = None
    currency: Currency = DEFAULT_CURRENCY


class ReleaseIn(_Decision):
    """The release of an asset back to its owner."""

    action: Literal["release"]
    reason: Annotated[str, _text("reason")]
    returned_on: Day | None = None


DecisionIn = Annotated[
    Union[FreezeIn, ManageIn, ConfiscateIn, DisposeIn, ReleaseIn],  # noqa: UP007
    Field(discriminator="action"),
]

#: Validates a cleaned decision (lifecycle.validate_decision's result plus the asset fields).
DECISION_IN = TypeAdapter(DecisionIn)

#: The model of each action.
DECISION_MODELS = {
    Action(model.model_fields["action"].annotation.__args__[0]): model
    for model in get_args(get_args(DecisionIn)[0])
}

#: The fields every action has, in the order a form shows them.
COMMON_FIELDS = tuple(
    name for name in _Decision.model_fields if name not in {"asset_ids", "asset_values"}
)

#: The fields of each action beyond the common ones, in the order a form shows them.
ACTION_FIELDS = {
    action.value: tuple(
        name for name in model.model_fields if name not in {*_Decision.model_fields, "action"}
    )
    for action, model in DECISION_MODELS.items()
}


def _is_money(annotation) -> bool:
    return annotation is Decimal or any(_is_money(arg) for arg in get_args(annotation))


#: The amount a decision of each action records for its assets (release records none).
VALUE_FIELD = {
    action.value: name
    for action, model in DECISION_MODELS.items()
    for name, field in model.model_fields.items()
    if name != "asset_values" and _is_money(field.annotation)
}


# ---------------------------------------------------------------------------------------
# Responses


class DecisionAsset(BaseModel):
    """One asset a decision covered, with the stages it moved between."""

    id: int
    stage_before: Stage
    stage_after: Stage
    amount: Annotated[str | None, WithJsonSchema({**MONEY_JSON, "type": ["string", "null"]})]


class DocumentRef(BaseModel):
    """The order's document: its file name and content hash."""

    name: str | None
    sha256: str


def _nullable_money():
    return WithJsonSchema({**MONEY_JSON, "type": ["string", "null"]})


class Decision(BaseModel):
    """A recorded decision as the API returns it; the action's own fields only with it."""

    id: int
    case_id: int
    action: Action
    asset_ids: list[int]
    decided_on: Day
    authority: str
    reference: str
    legal_basis: str
    source: Literal["manual", "register"]
    register_label: str | None
    entered_by: int | None
    entered_at: str = Field(json_schema_extra={"format": "date-time"})
    annulled: bool
    annul_reason: str | None
    currency: str
    document: DocumentRef | None
    assets: list[DecisionAsset]
    # freeze
    urgent: bool | None = None
    confirms_urgent: bool | None = None
    expires_on: Day | None = None
    owner_notified_on: Day | None = None
    value_at_freezing: Annotated[str | None, _nullable_money()] = None
    # manage
    manager: str | None = None
    early_sale: bool | None = None
    ground: EarlySaleGround | None = None
    price: Annotated[str | None, _nullable_money()] = None
    # confiscate
    confiscation_type: ConfiscationType | None = None
    final: bool | None = None
    value_at_confiscation: Annotated[str | None, _nullable_money()] = None
    # dispose
    disposal: DisposalKind | None = None
    recipient: str | None = None
    purpose: str | None = None
    realised_value: Annotated[str | None, _nullable_money()] = None
    # release
    reason: str | None = None
    returned_on: Day | None = None


def component_schemas(*models, named: dict | None = None, mode: str = "serialization") -> dict:
    """Return OpenAPI ``components.schemas`` generated from pydantic models.

    Each model, and every model or enum it refers to, becomes one schema named after its class;
    ``named`` adds a schema under a chosen name for a type that has none (a union such as
    ``DecisionIn``). ``mode`` is "validation" for request bodies, "serialization" for responses.
    """
    schemas: dict = {}
    items = [(model.__name__, model) for model in models] + list((named or {}).items())
    for name, kind in items:
        schema = TypeAdapter(kind).json_schema(ref_template=_REF, mode=mode)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


_REF = "#/components/schemas/{model}"
