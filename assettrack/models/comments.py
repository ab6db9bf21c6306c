"""Comments on a case (or on one of its tasks), and the earlier versions of edited ones."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import utcnow

__all__ = ["Comment", "CommentVersion", "BODY_MAX"]

BODY_MAX = 10_000


class Comment(SQLModel, table=True):
    """A comment of an officer on a case, or on one of the case's tasks (``task_id``).

    ``task_id`` has no foreign key yet: the task table is built beside this one (#13) and the
    key is added when both are merged. ``version`` counts the edits; each earlier text is kept
    in ``comment_version``.

    Fate: erased with its case.
    """

    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint("length(body) > 0", name="ck_comment_body"),
        CheckConstraint("version >= 1", name="ck_comment_version"),
        Index("ix_comment_case", "case_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=False))
    task_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    author_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    body: str = Field(sa_type=Text)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CommentVersion(SQLModel, table=True):
    """An earlier text of an edited comment: version ``version`` as it stood until ``replaced_at``.

    Fate: erased with its case (with its comment).
    """

    __tablename__ = "comment_version"
    __table_args__ = (
        UniqueConstraint("comment_id", "version", name="uq_comment_version"),
        CheckConstraint("version >= 1", name="ck_comment_version_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(sa_column=Column(Integer, ForeignKey("comment.id"), nullable=False))
    version: int
    body: str = Field(sa_type=Text)
    written_at: datetime = Field(sa_type=UTCDateTime)
    replaced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    replaced_by_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False)
    )
