"""The request and response shapes of screening dossiers, declared once as pydantic models.

The API validates with them, the web form posts the same fields, the OpenAPI components are
generated from them. The rules between fields (an advice received after it was requested...)
are the service's (:mod:`assettrack.services.dossiers`); the clock is
:mod:`assettrack.domain.screening_clock`'s.
"""

from typing import Annotated

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from .domain.screening_clock import MAX_TERM
from .domain.screening_clock import Measure
from .domain.screening_clock import Outcome
from .domain.screening_clock import TermUnit
from .shapes import Day

__all__ = [
    "MAX_SUSPENSIONS",
    "SuspensionIn",
    "DossierIn",
    "Suspension",
    "DossierClock",
    "Dossier",
]

#: The most question rounds one dossier records (bounds the input).
MAX_SUSPENSIONS = 20


class SuspensionIn(BaseModel):
    """Questions put to the applicant; the decision clock stops until they are answered."""

    model_config = ConfigDict(extra="forbid")

    questions_sent_on: Day
    answered_on: Day | None = None


class DossierIn(BaseModel):
    """A screening dossier as an officer records it (PUT replaces it whole)."""

    model_config = ConfigDict(extra="forbid")

    permit: Annotated[
        str, Field(min_length=1, max_length=200, description="the permit applied for")
    ]
    received_on: Day = Field(description="the application was received")
    procedure: Annotated[str, Field(min_length=1, max_length=32)] = Field(
        default="bibob", description="the organisation's procedure (its terms) by code"
    )
    decision_term: int | None = Field(
        default=None,
        ge=0,
        le=MAX_TERM,
        description="the permit's own decision term, in the procedure's unit (default: the "
        "procedure's)",
    )
    advice_requested_on: Day | None = None
    extensions: int = Field(
        default=0, ge=0, le=10, description="times the advice term was extended"
    )
    advice_received_on: Day | None = None
    suspensions: list[SuspensionIn] = Field(default_factory=list, max_length=MAX_SUSPENSIONS)
    outcome: Outcome | None = None
    measure: Measure | None = None
    decided_on: Day | None = None
    version: int | None = Field(
        default=None, ge=1, description="the version read (required to change a dossier)"
    )


class Suspension(SuspensionIn):
    """A round of questions as stored."""

    id: int


class DossierClock(BaseModel):
    """The dossier's clock on ``today`` (the organisation's date)."""

    today: Day
    decision_term_ends_on: Day = Field(description="the end if nothing had stopped the clock")
    advice_due_on: Day | None
    advice_overdue: bool
    advice_days_left: int | None
    stopped_days: int
    suspended: bool = Field(
        description="waiting for the applicant's answer: the clock stands still"
    )
    decision_due_on: Day | None = Field(description="None while the clock stands still")
    days_left: int | None


class Dossier(DossierIn):
    """A screening dossier with its clock, as the API returns it."""

    id: int
    case_id: int
    case_reference: str
    decision_term_unit: TermUnit
    suspensions: list[Suspension]
    version: int
    clock: DossierClock
