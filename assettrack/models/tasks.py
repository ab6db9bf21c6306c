"""Tasks on a case: something to do, by someone of the case's organisation, by a date."""

from datetime import date
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import enum_check
from .base import utcnow

__all__ = ["TaskStatus", "Task", "TaskIn", "TaskChange", "TaskOut", "TASK_TITLE_MAX"]

TASK_TITLE_MAX = 200


class TaskStatus(StrEnum):
    """Where a task stands: still to do, done, or given up."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(SQLModel, table=True):
    """A task on a case, assigned to a user of the case's organisation, optionally about one
    entity or asset of the case.

    Fate: erased with its case (its title is free text about the case).
    """

    __tablename__ = "task"
    __table_args__ = (
        enum_check("status", TaskStatus, name="ck_task_status"),
        CheckConstraint("length(title) > 0", name="ck_task_title"),
        # "My tasks" and the daily reminders: a user's open tasks by due date.
        Index("ix_task_assignee_status_due", "assignee_id", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False, index=True)
    )
    title: str = Field(sa_type=String(TASK_TITLE_MAX))
    assignee_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    due_on: date | None = None
    status: str = Field(default=TaskStatus.OPEN.value, sa_type=String(12))
    entity_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("entity.id"), nullable=True)
    )
    created_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- the shapes of a task on the wire and in forms (one declaration: API, forms, service) -------


class TaskIn(BaseModel):
    """A new task: what, for whom, by when, about which entity or asset of the case."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = PydanticField(min_length=1, max_length=TASK_TITLE_MAX)
    assignee_id: int = PydanticField(
        ge=1, le=2**63 - 1, description="a user of the case's organisation"
    )
    due_on: date | None = PydanticField(default=None, description="YYYY-MM-DD")
    entity_id: int | None = PydanticField(
        default=None, ge=1, le=2**63 - 1, description="an entity or asset of the case"
    )


class TaskChange(BaseModel):
    """A change to a task: only the fields sent change; ``null`` clears a due date or a link."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = PydanticField(default=None, min_length=1, max_length=TASK_TITLE_MAX)
    assignee_id: int | None = PydanticField(default=None, ge=1, le=2**63 - 1)
    due_on: date | None = None
    entity_id: int | None = PydanticField(default=None, ge=1, le=2**63 - 1)
    status: TaskStatus | None = None


class TaskOut(BaseModel):
    """A task as the API returns it."""

    id: int
    case_id: int
    case_reference: str
    title: str
    assignee_id: int
    assignee: str = PydanticField(description="the assignee's name")
    due_on: date | None
    overdue: bool = PydanticField(description="open and due before today")
    status: TaskStatus
    entity_id: int | None
    entity: str | None = PydanticField(
        description="the linked entity's name, as the reader sees it"
    )
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
