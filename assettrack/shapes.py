"""The request and response shapes of the API, declared once as pydantic models.

The decision request models (one per action, a discriminated union) are declared in
:mod:`assettrack.domain.decision_shapes`, where the lifecycle's validation reads them, and
re-exported here. The API's OpenAPI components are generated from these models, the web form
takes its field list from them, and the decision service builds its row from a validated model.

No Flask and no database: pydantic, the lifecycle's enums and the tables' enum types.
"""

from typing import Annotated
from typing import Literal

from pydantic import BaseModel
from pydantic import Field
from pydantic import TypeAdapter
from pydantic import WithJsonSchema

from .domain.decision_shapes import ACTION_FIELDS as ACTION_FIELDS
from .domain.decision_shapes import COMMON_FIELDS as COMMON_FIELDS
from .domain.decision_shapes import DECISION_IN as DECISION_IN
from .domain.decision_shapes import DECISION_MODELS as DECISION_MODELS
from .domain.decision_shapes import MONEY as MONEY
from .domain.decision_shapes import MONEY_JSON as MONEY_JSON
from .domain.decision_shapes import VALUE_FIELD as VALUE_FIELD
from .domain.decision_shapes import ConfiscateIn as ConfiscateIn
from .domain.decision_shapes import Currency as Currency
from .domain.decision_shapes import Day as Day
from .domain.decision_shapes import DecisionIn as DecisionIn
from .domain.decision_shapes import DisposeIn as DisposeIn
from .domain.decision_shapes import FreezeIn as FreezeIn
from .domain.decision_shapes import ManageIn as ManageIn
from .domain.decision_shapes import Money as Money
from .domain.decision_shapes import ReleaseIn as ReleaseIn
from .domain.lifecycle import Action
from .domain.lifecycle import ConfiscationType
from .domain.lifecycle import DisposalKind
from .domain.lifecycle import EarlySaleGround
from .domain.lifecycle import Stage
from .models.base import TLP
from .models.base import CaseStatus
from .models.base import HandlingCode

# The decision models (Money, Currency, Day, FreezeIn... DecisionIn, DECISION_IN,
# DECISION_MODELS, COMMON_FIELDS, ACTION_FIELDS, VALUE_FIELD) are re-exported from
# domain/decision_shapes.py above; this module declares the responses.
__all__ = [
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
    "RESPONSES",
    "component_schemas",
]

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
