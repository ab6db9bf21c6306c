"""Files attached to a case or to an entity (evidence, photos, registry extracts)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger
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

__all__ = ["Attachment", "PreviewState", "NAME_MAX", "REASON_MAX"]

NAME_MAX = 255
REASON_MAX = 500


class PreviewState(StrEnum):
    """Where the check of an attachment's content (and its thumbnail) stands.

    The request checks the first bytes (the type); the job then decodes images and PDFs under
    the job limits and makes the thumbnail.
    """

    PENDING = "pending"  # the job has not run yet
    READY = "ready"  # checked, thumbnail made
    NONE = "none"  # a type without a thumbnail (office files, text...): nothing to decode
    REFUSED = "refused"  # the content did not decode as its type, or broke a limit (a bomb)


class Attachment(SQLModel, table=True):
    """A file attached to a case or to an entity, stored under its SHA-256 in ``files/``.

    Exactly one of ``case_id`` and ``entity_id`` is set. The file itself is the one store of
    uploaded documents (``services.files``): two rows with the same bytes share it. A removal
    is reasoned and only hides the row; nothing is deleted before retention.

    Fate: erased with its case (a case's attachments with their case, an entity's with its
    entity; the stored file once no row refers to its SHA-256).
    """

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("(case_id IS NULL) <> (entity_id IS NULL)", name="ck_attachment_one_owner"),
        CheckConstraint("size > 0", name="ck_attachment_size"),
        CheckConstraint("length(name) > 0", name="ck_attachment_name"),
        CheckConstraint("length(sha256) = 64", name="ck_attachment_sha256"),
        CheckConstraint(
            "(removed_at IS NULL) = (removal_reason IS NULL)", name="ck_attachment_removal"
        ),
        enum_check("preview", PreviewState, name="ck_attachment_preview"),
        Index("ix_attachment_case", "case_id", "removed_at"),
        Index("ix_attachment_entity", "entity_id", "removed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("case_file.id"), nullable=True)
    )
    entity_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("entity.id"), nullable=True)
    )
    name: str = Field(sa_type=String(NAME_MAX))
    # The type found in the bytes (never the name's or the browser's).
    content_type: str = Field(sa_type=String(100))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(sa_type=String(64), index=True)
    path: str = Field(sa_type=String(200))
    uploaded_by_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False)
    )
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    preview: str = Field(default=PreviewState.PENDING.value, sa_type=String(8))
    # Why the content was refused by the check job (shown beside the file).
    preview_error: str | None = Field(default=None, sa_type=String(500))
    # The thumbnail, re-encoded by the job as PNG (files/thumbnails/...).
    thumbnail_path: str | None = Field(default=None, sa_type=String(200))
    job_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("job.id"), nullable=True)
    )
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    removal_reason: str | None = Field(default=None, sa_type=String(REASON_MAX))
