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
from pydantic import ConfigDict
from pydantic import Field
from pydantic import TypeAdapter
from pydantic import WithJsonSchema

from .domain import mentions
from .domain.decision_shapes import ACTION_FIELDS as ACTION_FIELDS
from .domain.decision_shapes import COMMON_FIELDS as COMMON_FIELDS
from .domain.decision_shapes import DECISION_IN as DECISION_IN
from .domain.decision_shapes import DECISION_MODELS as DECISION_MODELS
from .domain.decision_shapes import MONEY as MONEY
from .domain.decision_shapes import MONEY_JSON as MONEY_JSON
from .domain.decision_shapes import VALUE_FIELD as VALUE_FIELD
from .domain.decision_shapes import ConfirmIn as ConfirmIn
from .domain.decision_shapes import ConfiscateIn as ConfiscateIn
from .domain.decision_shapes import Currency as Currency
from .domain.decision_shapes import Day as Day
from .domain.decision_shapes import DecisionIn as DecisionIn
from .domain.decision_shapes import DisposeIn as DisposeIn
from .domain.decision_shapes import FreezeIn as FreezeIn
from .domain.decision_shapes import ManageIn as ManageIn
from .domain.decision_shapes import Money as Money
from .domain.decision_shapes import ReleaseIn as ReleaseIn
from .domain.involvement import CaseRole
from .domain.involvement import InfoGrade
from .domain.involvement import RelationSchema
from .domain.involvement import SourceGrade
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
    "Attachment",
    "AttachmentList",
    "RESPONSES",
    "CaseCreate",
    "CaseUpdate",
    "CaseEntityIn",
    "Relation",
    "BODIES",
    "REPORTS",
    "MATCHING",
    "component_schemas",
    "EntityPatch",
    "CaseEntityPatch",
    "RelationPatch",
    "Removal",
    "CaseLink",
    "Change",
    "CORRECTION_BODIES",
    "CORRECTION_RESPONSES",
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
    lapse_acknowledged: bool | None = None
    lapse_flag: Literal["not_acknowledged_migrated"] | None = Field(
        default=None,
        description="a confirmation entered after the lapse before the confirm action existed",
    )
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
    new_orders_after_lapse: int = Field(
        description="freezing orders after an urgent freeze lapsed unconfirmed (counted above)"
    )
    lapse_not_acknowledged: int = Field(
        description="of those, confirmations entered after the lapse before the confirm action "
        "existed: lapse not acknowledged (migrated)"
    )
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


def _no_null_default(schema: dict) -> None:
    # An optional field left out is not sent: say nothing rather than "default": null.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class _Body(BaseModel):
    """A JSON object the API reads or returns; optional fields may be left out."""

    model_config = ConfigDict(json_schema_extra=_no_null_default, populate_by_name=True)


_Text = Annotated[str, Field(max_length=500)]
_Date = Annotated[str | None, WithJsonSchema({"type": ["string", "null"], "format": "date"})]


class CaseCreate(_Body):
    """The body of POST /cases."""

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default=None, max_length=10000)
    tlp: TLP = TLP.AMBER
    handling_code: HandlingCode = HandlingCode.H0
    handling_restriction: str = Field(default=None, max_length=500, description="required with H3")
    shared_with: list[str] = Field(
        default=None, description="organisation codes; refused for AMBER+STRICT"
    )
    assigned_officer: str = Field(default=None, description="e-mail or id of an officer")
    tags: list[Annotated[str, Field(max_length=40)]] = Field(default=None, max_length=20)
    opened_on: Day = Field(default=None, description="not in the future (organisation's time zone)")
    reference: str = Field(
        default=None, description="an existing file number; generated when absent"
    )


class CaseUpdate(_Body):
    """The body of PATCH /cases/{id}: the fields it changes."""

    title: str = Field(default=None, min_length=1, max_length=200)
    summary: str = Field(default=None, max_length=10000)
    status: CaseStatus = None
    tlp: TLP = None
    handling_code: HandlingCode = None
    handling_restriction: str | None = None
    shared_with: list[str] = None
    assigned_officer: str | None = None
    tags: list[str] = None
    opened_on: Day = None


class CaseEntityIn(_Body):
    """The body of POST /cases/{id}/entities: a new entity, or an existing one to link."""

    schema_name: str = Field(default=None, alias="schema", description="FollowTheMoney schema name")
    properties: dict = Field(
        default=None,
        description='FtM property names to a value or a list of values; "unknown" and "n/a" '
        "are kept as such",
    )
    entity_id: int = Field(default=None, description="link an existing entity instead")
    role: CaseRole = None
    source_grade: SourceGrade = None
    info_grade: InfoGrade = None
    as_asset: bool = Field(
        default=None, description="a Company whose shares or business are seized"
    )
    estimated_value: Money = None
    currency: Currency = None
    note: str = None
    link_existing: bool = Field(
        default=None,
        description="when the organisation holds an entity with the same strong identifier "
        "(409 names it): link that one instead",
    )
    create_anyway: bool = Field(
        default=None, description="create a new entity despite the shared identifier; needs reason"
    )
    reason: str = Field(default=None, max_length=2000)


class Relation(_Body):
    """A relation between two entities: POST /relations takes it, the API returns it.

    Null where the relation does not say: no share, no period, no payment, no grade.
    """

    id: int = None
    schema_name: RelationSchema = Field(alias="schema")
    source: int
    target: int
    percentage: str | None = Field(default=None, description="0-100, or a band such as 25-50")
    percentage_min: str | None = Field(default=None, json_schema_extra={"readOnly": True})
    percentage_max: str | None = Field(default=None, json_schema_extra={"readOnly": True})
    start_date: _Date = None
    end_date: _Date = None
    role: str | None = None
    amount: _Money = None
    currency: Annotated[
        str | None,
        WithJsonSchema(
            {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217"}
        ),
    ] = None
    date: _Date = None
    source_grade: SourceGrade | None = None
    info_grade: InfoGrade | None = None


#: The request bodies (and Relation, a body and a response) whose schemas are generated.
BODIES = (CaseCreate, CaseUpdate, CaseEntityIn, Relation)


# Reports (api/reports.py adds the enumerations only the services know: report kinds and
# the fields a mention is met in).

_Choice = Literal[mentions.KEEP, mentions.MASK, mentions.WITHHOLD]
_Language = Literal["en", "fr"]


class Report(_Body):
    """An issued (or pending) report or export, as the API returns it."""

    id: int
    number: str = Field(description="the report id printed on pages")
    kind: str
    status: Literal["pending", "issued", "failed", "withdrawn"]
    error: str | None
    job: int | None
    issuer: str
    issuer_name: str
    recipient: str
    recipient_name: str
    period_start: _Date
    period_end: _Date
    language: _Language
    tlp: str
    cases: list[str]
    mimetype: str
    sha256: str | None
    size: int | None
    created_by: str | None
    created_at: _Moment
    issued_at: _MaybeMoment
    withdrawn_at: _MaybeMoment
    withdrawn_by: str | None
    withdrawal_reason: str | None
    links: dict


class ReportRequest(_Body):
    """The body of POST /reports."""

    kind: str = Field(
        description="case_brief, ftm, gexf, graphml, diagram (SVG): of `case`; partner: to "
        "`to` for a `year` or `since`..`until`; open_data: of `organisation` (default the "
        "caller's)"
    )
    case: int = None
    to: str = Field(default=None, description="UN/LOCODE of the recipient")
    year: int | str = None
    since: Day = None
    until: Day = None
    organisation: str = None
    language: _Language = None
    justification: str = Field(
        default=None,
        description="why the disclosure is made (required for a partner report)",
    )
    redaction: dict[str, _Choice] = Field(
        default=None,
        description="case_brief, partner: the issuing officer's choice for each protected name "
        "the preview flagged (its `key` → keep, mask or withhold); a flagged name without one "
        "takes its `default`. A key that is no mention of the report, or a choice its mention "
        "does not allow, is refused (422, pointer `/redaction/<key>`). Recorded with the "
        "disclosure",
    )
    expand: bool = Field(
        default=None, description="network kinds: also the entities one link out of the case"
    )


class MentionPart(_Body):
    text: str = None
    found: bool = None


class MentionPlace(_Body):
    case: str = None
    field: str = None


class Mention(_Body):
    """A protected person's name (full, or a part: surname, initials) met in another entity's
    name or in a free text of the report."""

    key: str = Field(
        description="names the text (by its hash) and the protected entity; a changed text "
        "gets a new key"
    )
    kind: Literal[mentions.NAME, mentions.TEXT] = Field(
        description="name: another entity's name; text: a free text"
    )
    match: Literal[mentions.FULL, mentions.PARTIAL]
    label: str = Field(description="the label of the protected entity (never its name)")
    text: str = Field(
        description="the text it was met in (its found parts masked for a reader who may not "
        "see the names)"
    )
    parts: list[MentionPart] = None
    masked: str = Field(default=None, description="the text when masked")
    entity_id: int | None = Field(
        default=None, description="kind name: the entity whose name it is"
    )
    where: list[MentionPlace] = None
    default: _Choice
    options: list[_Choice]
    choice: _Choice = Field(
        description="pre-filled: the organisation's latest choice for this key, else the default"
    )


class IncludedCase(_Body):
    id: int = None
    reference: str = None
    tlp: str = None
    handling_code: str = None
    reasons: list[str] = None


class WithheldRule(_Body):
    rule: str = None
    reason: str = None
    count: int = None


class PartnerPreview(_Body):
    """Which cases a partner report would hold and why, what is withheld, the mentions."""

    recipient: str = None
    language: _Language = None
    tlp: str = None
    recipient_only: bool = None
    included: list[IncludedCase] = None
    withheld: list[WithheldRule] = None
    withheld_total: int = None
    mentions: list[Mention] = None


class PreviewCase(_Body):
    id: int = None
    reference: str = None
    tlp: str = None


class BriefPreview(_Body):
    """Whether a brief labels its protected persons, and the mentions to confirm."""

    case: PreviewCase = None
    labelled: bool = Field(
        default=None,
        description="the brief shows victims, witnesses and other persons by labels (it is "
        "made outside the owning organisation)",
    )
    mentions: list[Mention] = None


class Permission(_Body):
    """A provider's permission to pass an H2 case on to a recipient."""

    id: int = None
    case_id: int = None
    recipient: str = None
    granted_by: str = None
    granted_on: Day = None
    note: str | None = None
    entered_by: str | None = None
    entered_at: _Moment = None


#: The report shapes, generated into the OpenAPI components by api/reports.py.
REPORTS = (Report, ReportRequest, Mention, PartnerPreview, BriefPreview, Permission)


# Duplicates and screening (api/duplicates.py).


class MatchFactor(_Body):
    """One reason of a match score, with its weight; ``text`` in the reader's language."""

    code: str = None
    text: str = Field(default=None, examples=["both registered in DE (+0.05)"])
    msgid: str = None
    params: dict = None
    weight: float = None


class PairEntity(_Body):
    """One entity of a candidate pair, with the cases it is in."""

    id: int = None
    schema_name: str = Field(default=None, alias="schema")
    name: str = None
    properties: dict = None
    stage: str | None = None
    cases: list[dict] = None


class DuplicateCandidate(_Body):
    """Two entities that may be one, with the score and its reasons."""

    id: int = None
    organisation: str = None
    a: PairEntity = None
    b: PairEntity = None
    score: float = Field(default=None, ge=0, le=1)
    explanation: list[MatchFactor] = None


class MergeRecord(_Body):
    """A merge of two entities, kept so that it can be undone exactly."""

    id: int = None
    survivor: dict = None
    merged: dict = None
    merged_by: str = None
    merged_at: _Moment = None
    undone_by: str | None = None
    undone_at: _MaybeMoment = None
    summary: dict = Field(default=None, description="what moved to the survivor")


class ScreeningHit(_Body):
    """An entity found on a reference list, with the score and its reasons."""

    id: int = None
    entity: dict = None
    reference_list: dict = Field(default=None, alias="list")
    entry: dict = None
    score: float = None
    explanation: list[MatchFactor] = None
    found_at: _Moment = None


#: The duplicate and screening shapes, generated into the OpenAPI components.
MATCHING = (DuplicateCandidate, MergeRecord, ScreeningHit)


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


# --- corrections (issue #12): the bodies of PATCH and DELETE, and a case link with its version --


class _Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=2000, description="why: kept in the history and the audit log"
    )


class EntityPatch(_Correction):
    """New values of some properties (FtM names); an empty list or null removes a property.

    Only the properties given are checked. Send the version read (the ETag) in ``If-Match``.
    """

    properties: dict[str, list[str] | str | None] = Field(min_length=1)


class CaseEntityPatch(_Correction):
    """An entity's role, grades or note in a case; only the fields given change."""

    role: str | None = None
    source_grade: str | None = None
    info_grade: str | None = None
    note: str | None = Field(default=None, max_length=2000)


class RelationPatch(_Correction):
    """A relation's fields as text (a share "25" or a band "25-50"); only those given change."""

    role: str | None = Field(default=None, max_length=200)
    percentage: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    amount: str | None = None
    currency: str | None = None
    date: str | None = None
    source_grade: str | None = None
    info_grade: str | None = None


class Removal(BaseModel):
    """Remove a link or a relation: nothing is deleted, it is kept with the reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class CaseLink(BaseModel):
    """An entity's place in a case, with the version to send back in ``If-Match``."""

    case_id: int
    entity_id: int
    role: str
    source_grade: str | None
    info_grade: str | None
    note: str | None
    version: int


class Change(BaseModel):
    """One correction as recorded: the fields before and after, who, why, the new version."""

    id: int
    object_type: str
    object_id: int
    kind: str
    before: dict
    after: dict
    reason: str | None
    version: int


CORRECTION_BODIES = (EntityPatch, CaseEntityPatch, RelationPatch, Removal)
CORRECTION_RESPONSES = (CaseLink, Change)
