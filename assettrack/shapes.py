"""The request and response shapes of decisions, declared once as pydantic models.

One model per decision action, joined in a union discriminated by ``action``. The API's
OpenAPI components are generated from these models, the web form takes its field list from
them, and the decision service builds its row from a validated model. The lifecycle's rules
(which move is allowed, which field a move requires) stay in :mod:`assettrack.domain.lifecycle`;
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

from .domain.lifecycle import DEFAULT_CURRENCY
from .domain.lifecycle import MAX_LENGTHS
from .domain.lifecycle import MONEY_MAX_DECIMAL_PLACES
from .domain.lifecycle import MONEY_MAX_INTEGER_DIGITS
from .domain.lifecycle import Action
from .domain.lifecycle import ConfiscationType
from .domain.lifecycle import DisposalKind
from .domain.lifecycle import EarlySaleGround
from .domain.lifecycle import Stage
from .models.base import TLP
from .models.base import CaseStatus
from .models.base import HandlingCode

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
    "Case",
    "CaseList",
    "Entity",
    "EntitySummary",
    "Asset",
    "ValuationEntry",
    "LedgerEntry",
    "Statistics",
    "Job",
    "Problem",
    "Attachment",
    "AttachmentList",
    "RESPONSES",
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


# The other resources of the API, as its routes return them.

_Money = Annotated[str | None, WithJsonSchema({**MONEY_JSON, "type": ["string", "null"]})]
_Balance = Annotated[
    str | None,
    WithJsonSchema(
        {
            **MONEY_JSON,
            "type": ["string", "null"],
            "pattern": "^-?" + MONEY_JSON["pattern"][1:],
            "description": "a decimal string, negative when costs exceed income",
        }
    ),
]
_Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
_MaybeMoment = Annotated[
    str | None, WithJsonSchema({"type": ["string", "null"], "format": "date-time"})
]


class Case(BaseModel):
    """A case; GET /cases/{id} adds its entities and assets."""

    id: int
    reference: str = Field(examples=["NLRTM-2026-0001"])
    organisation: str = Field(description="UN/LOCODE")
    title: str = Field(max_length=200)
    summary: str | None = Field(max_length=10000)
    stage: Literal["traced", "frozen", "managed", "confiscated", "completed"]
    status: CaseStatus
    tlp: TLP
    handling_code: HandlingCode
    handling_restriction: str | None
    shared_with: list[str]
    assigned_officer: str | None = Field(json_schema_extra={"format": "email"})
    tags: list[Annotated[str, Field(max_length=40)]]
    opened_on: Day
    review_on: Day
    created_at: _Moment
    updated_at: _Moment
    entities: list["CaseEntity"] | None = Field(
        default=None, description="in GET /cases/{id} only, with roles and grades"
    )
    assets: list["CaseAsset"] | None = Field(default=None, description="in GET /cases/{id} only")


class CaseEntity(BaseModel):
    """An entity as a case holds it: its role and the grades of what is known."""

    id: int
    schema_: str = Field(alias="schema")
    name: str
    role: str
    source_grade: str | None
    info_grade: str | None
    as_asset: bool


class CaseAsset(BaseModel):
    """An asset of a case, with its stage and estimated value."""

    id: int
    schema_: str = Field(alias="schema")
    name: str
    stage: Stage
    estimated_value: _Money
    currency: str
    urgent_unconfirmed: bool
    urgent_expires_on: Day | None


class CaseList(BaseModel):
    """One page of cases."""

    items: list[Case]
    total: int
    limit: int | None = None
    offset: int | None = None


class EntitySummary(BaseModel):
    """An entity by its id, FollowTheMoney schema and name."""

    id: int
    schema_: str = Field(alias="schema")
    name: str
    external_id: str | None = None
    redacted: bool | None = Field(
        default=None,
        description="a protected person shown by its label (the grant's names flag)",
    )


class AssetState(BaseModel):
    """Where an asset stands: its stage, value and manager."""

    stage: Stage
    estimated_value: _Money
    currency: str
    urgent_unconfirmed: bool
    urgent_expires_on: Day | None
    confiscation_final: bool
    manager: str | None


class EntityCase(BaseModel):
    """A case an entity appears in, with its role there."""

    id: int
    reference: str
    role: str


class Entity(EntitySummary):
    """An entity with its FollowTheMoney properties, its asset state and its cases."""

    properties: dict[str, list[str]]
    asset: AssetState | None
    cases: list[EntityCase]


class Valuation(BaseModel):
    """One valuation of an asset."""

    valued_on: Day
    amount: _Money
    currency: str
    basis: str | None
    valuer: str | None


class ValuationEntry(Valuation):
    """A valuation as recorded, with its id and asset."""

    id: int
    asset_id: int


class LedgerEntry(BaseModel):
    """A management cost or income booked on an asset."""

    id: int
    asset_id: int
    booked_on: Day
    kind: Literal["cost", "income"]
    amount: _Money
    currency: str
    category: str
    note: str | None


class LedgerTotal(BaseModel):
    """The costs and income of an asset in one currency, and what remains."""

    cost: _Money
    income: _Money
    net: _Balance


class Asset(BaseModel):
    """An asset: its state, its values by the orders that set them, ledger and history."""

    id: int
    schema_: str = Field(alias="schema")
    name: str
    stage: Stage
    urgent_unconfirmed: bool
    urgent_expires_on: Day | None
    confiscation_final: bool
    manager: str | None
    # null until the asset is valued, frozen, confiscated or sold.
    estimated_value: _Money
    currency: str
    value_at_freezing: _Money
    value_at_freezing_currency: str | None
    value_at_confiscation: _Money
    value_at_confiscation_currency: str | None
    realised_value: _Money
    realised_value_currency: str | None
    ledger: dict[str, LedgerTotal] = Field(description="totals by currency")
    valuations: list[Valuation]
    history: list[Decision]


class Job(BaseModel):
    """A background job and, once done, where its result is."""

    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(ge=0, le=100)
    message: str | None
    result: str | None = Field(json_schema_extra={"format": "uri-reference"})
    error: str | None
    attempts: int = Field(
        ge=0, description="times a worker started it (more than 1: an earlier worker died)"
    )
    created_at: _Moment
    started_at: _MaybeMoment
    finished_at: _MaybeMoment


_ByCurrency = dict[str, Annotated[str, WithJsonSchema(MONEY_JSON)]]


class ConfiscationCounts(BaseModel):
    """Confiscation orders of first instance and final, in all and by type."""

    first_instance: int
    final: int
    by_type: dict[str, dict[Literal["first_instance", "final"], int]]


class AmountsByStage(BaseModel):
    """Totals per currency of first-instance and final confiscations."""

    first_instance: _ByCurrency
    final: _ByCurrency


class EarlySales(BaseModel):
    """Interlocutory sales: how many, and their proceeds per currency."""

    count: int
    proceeds: _ByCurrency


class SocialReuse(BaseModel):
    """Disposals for social re-use: orders and the assets they covered."""

    orders: int
    assets: int


class Statistics(BaseModel):
    """The Directive 2014/42/EU Art. 11 figures of one organisation for one year."""

    organisation: str
    year: int
    generated_on: Day
    freezing_orders: int
    urgent_freezing_orders: int
    confirmations_of_urgent_freezes: int
    confiscation_orders: ConfiscationCounts
    value_frozen: _ByCurrency
    value_confiscated: AmountsByStage
    value_realised: _ByCurrency
    interlocutory_sales: EarlySales
    social_reuse: SocialReuse
    victim_compensations: int
    releases: int
    average_days_freeze_to_confiscation: float | None


class Attachment(BaseModel):
    """A file attached to a case or an entity, its type as read from its bytes."""

    id: int
    case_id: int | None
    entity_id: int | None
    name: str
    content_type: str = Field(description="found in the file's bytes, not taken from its name")
    size: int = Field(ge=1, description="bytes")
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    uploaded_by: str
    uploaded_at: _Moment
    preview: Literal["pending", "ready", "none", "refused"] = Field(
        description="the check of the content by the thumbnail job: pending, ready (a "
        "thumbnail), none (a type without one), refused (not served)"
    )
    preview_error: str | None
    file: str | None = Field(
        json_schema_extra={"format": "uri-reference"}, description="download; null when refused"
    )
    thumbnail: str | None = Field(json_schema_extra={"format": "uri-reference"})


class AttachmentList(BaseModel):
    """The attachments of a case or an entity, newest first."""

    items: list[Attachment]


class ProblemError(BaseModel):
    """One wrong field (a JSON Pointer into the body) or query parameter."""

    pointer: str | None = Field(default=None, description="JSON Pointer into the body")
    parameter: str | None = Field(default=None, description="a query parameter")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemError] | None = None


RESPONSES = (
    Decision,
    Case,
    CaseList,
    Entity,
    EntitySummary,
    Asset,
    ValuationEntry,
    LedgerEntry,
    Statistics,
    Job,
    Problem,
)


def component_schemas(*models, named: dict | None = None, mode: str = "serialization") -> dict:
    """Return OpenAPI ``components.schemas`` generated from pydantic models.

    Each model, and every model or enum it refers to, becomes one schema named after its class;
    ``named`` adds a schema under a chosen name for a type that has none (a union such as
    ``DecisionIn``). ``mode`` is "validation" for request bodies, "serialization" for responses.
    """
    schemas: dict = {}
    items = [(model.__name__, model) for model in models] + list((named or {}).items())
    for name, kind in items:
        schema = TypeAdapter(kind).json_schema(ref_template=_REF, mode=mode, by_alias=True)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


_REF = "#/components/schemas/{model}"
