"""The fields of each decision, declared once as pydantic models (pure: pydantic only).

One model per decision action, joined in a union discriminated by ``action``
(:data:`DecisionIn`). Everything else reads the fields of a decision from here: the lifecycle's
validation (:func:`assettrack.domain.lifecycle.validate_decision` takes each action's fields,
their kinds, whether they are required and their limits from :data:`DECISION_READS`), the API's
OpenAPI components (:mod:`assettrack.shapes`), the web form's field list and the decision
service. The lifecycle's rules (which move is allowed, which field a move requires beyond these:
an early sale's ground, a recipient for some disposals) stay in the lifecycle.
"""

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated
from typing import Literal
from typing import Union
from typing import get_args
from typing import get_origin

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import TypeAdapter
from pydantic import WithJsonSchema

from .lifecycle import MAX_LENGTHS
from .lifecycle import Action
from .lifecycle import ConfiscationType
from .lifecycle import DisposalKind
from .lifecycle import EarlySaleGround
from .money import DEFAULT_CURRENCY
from .money import MONEY_MAX_DECIMAL_PLACES
from .money import MONEY_MAX_INTEGER_DIGITS

__all__ = [
    "Money",
    "Currency",
    "Day",
    "MONEY_JSON",
    "MONEY",
    "FreezeIn",
    "ConfirmIn",
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
    "FieldRead",
    "COMMON_READS",
    "DECISION_READS",
]


class _Reads(str):
    """How the lifecycle reads a field whose type alone does not say it (money, currency)."""


#: Money on the wire: a decimal string, never a float, within the one limit of the lifecycle.
MONEY_JSON = {
    "type": "string",
    "pattern": f"^[0-9]{{1,{MONEY_MAX_INTEGER_DIGITS}}}"
    f"(\\.[0-9]{{1,{MONEY_MAX_DECIMAL_PLACES}}})?$",
    "description": "a decimal string, never a float",
}

#: A non-negative amount within the one money limit (domain/money.py).
Money = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=MONEY_MAX_INTEGER_DIGITS + MONEY_MAX_DECIMAL_PLACES,
        decimal_places=MONEY_MAX_DECIMAL_PLACES,
        allow_inf_nan=False,
    ),
    WithJsonSchema(MONEY_JSON),
    _Reads("money"),
]

#: An ISO 4217 code; the list itself is checked by the lifecycle (money.ISO_4217_CURRENCIES).
Currency = Annotated[
    str,
    Field(pattern="^[A-Z]{3}$", description="ISO 4217", json_schema_extra={"default": "EUR"}),
    _Reads("currency"),
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
    lapse_acknowledged: bool = Field(
        default=False,
        description="a new order after the asset's urgent freeze lapsed unconfirmed",
    )
    value_at_freezing: Money | None = None
    currency: Currency = DEFAULT_CURRENCY
    owner_notified_on: Day | None = None


class ConfirmIn(_Decision):
    """The judicial order confirming an urgent freeze within its term."""

    action: Literal["confirm"]


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
    Union[FreezeIn, ConfirmIn, ManageIn, ConfiscateIn, DisposeIn, ReleaseIn],  # noqa: UP007
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


class FieldRead(tuple):
    """One field as the lifecycle reads it: ``(name, kind, enum, required)``.

    ``kind`` is ``text``, ``date``, ``money``, ``currency``, ``flag`` or ``choice`` (then
    ``enum`` is its enumeration); ``required`` says whether the model requires it.
    """

    __slots__ = ()

    def __new__(cls, name: str, kind: str, enum: type[Enum] | None, required: bool):
        return super().__new__(cls, (name, kind, enum, required))


def _kind(annotation, metadata=()) -> tuple[str, type[Enum] | None]:
    for item in metadata:
        if isinstance(item, _Reads):
            return str(item), None
    if get_origin(annotation) is Annotated:
        return _kind(get_args(annotation)[0], annotation.__metadata__)
    arguments = [a for a in get_args(annotation) if a is not type(None)]
    if arguments:
        return _kind(arguments[0])
    if annotation is bool:
        return "flag", None
    if annotation is date:
        return "date", None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "choice", annotation
    if annotation is Decimal:
        return "money", None
    return "text", None


def _reads(model: type[BaseModel], names) -> tuple[FieldRead, ...]:
    fields = model.model_fields
    return tuple(
        FieldRead(
            name, *_kind(fields[name].annotation, fields[name].metadata), fields[name].is_required()
        )
        for name in names
    )


#: The common fields as the lifecycle reads them, in the order of the model.
COMMON_READS = _reads(_Decision, COMMON_FIELDS)

#: Each action's own fields as the lifecycle reads them, in the order of its model.
DECISION_READS = {
    action: _reads(model, ACTION_FIELDS[action.value]) for action, model in DECISION_MODELS.items()
}
