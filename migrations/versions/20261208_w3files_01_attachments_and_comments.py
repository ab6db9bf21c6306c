"""attachments of cases and entities; comments with their earlier versions

Revision ID: w3files_01
Revises: 0010
Create Date: 2026-12-08 01:10:00.000000
"""

from alembic import op
import sqlalchemy as sa

import assettrack.models.base

revision = "w3files_01"
down_revision = "0010"
branch_labels = None
depends_on = None

_PREVIEW = "'pending', 'ready', 'none', 'refused'"


def upgrade():
    utc = assettrack.models.base.UTCDateTime(timezone=True)
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=True),
        sa.Column("entity_id", sa.Integer(), sa.ForeignKey("entity.id"), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("uploaded_at", utc, nullable=False),
        sa.Column("preview", sa.String(length=8), nullable=False),
        sa.Column("preview_error", sa.String(length=500), nullable=True),
        sa.Column("thumbnail_path", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("job.id"), nullable=True),
        sa.Column("removed_at", utc, nullable=True),
        sa.Column("removed_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("removal_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("(case_id IS NULL) <> (entity_id IS NULL)", name="ck_attachment_one_owner"),
        sa.CheckConstraint("size > 0", name="ck_attachment_size"),
        sa.CheckConstraint("length(name) > 0", name="ck_attachment_name"),
        sa.CheckConstraint("length(sha256) = 64", name="ck_attachment_sha256"),
        sa.CheckConstraint(
            "(removed_at IS NULL) = (removal_reason IS NULL)", name="ck_attachment_removal"
        ),
        sa.CheckConstraint(f"preview IN ({_PREVIEW})", name="ck_attachment_preview"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attachment_organisation_id", "attachment", ["organisation_id"])
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])
    op.create_index("ix_attachment_case", "attachment", ["case_id", "removed_at"])
    op.create_index("ix_attachment_entity", "attachment", ["entity_id", "removed_at"])
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False),
        # The task a comment belongs to: a foreign key to task.id once #13's tasks are merged.
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("edited_at", utc, nullable=True),
        sa.CheckConstraint("length(body) > 0", name="ck_comment_body"),
        sa.CheckConstraint("version >= 1", name="ck_comment_version"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comment_case", "comment", ["case_id", "created_at"])
    op.create_index("ix_comment_task_id", "comment", ["task_id"])
    op.create_table(
        "comment_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comment.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_at", utc, nullable=False),
        sa.Column("replaced_at", utc, nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.CheckConstraint("version >= 1", name="ck_comment_version_number"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "version", name="uq_comment_version"),
    )


def downgrade():
    op.drop_table("comment_version")
    op.drop_index("ix_comment_task_id", table_name="comment")
    op.drop_index("ix_comment_case", table_name="comment")
    op.drop_table("comment")
    op.drop_index("ix_attachment_entity", table_name="attachment")
    op.drop_index("ix_attachment_case", table_name="attachment")
    op.drop_index("ix_attachment_sha256", table_name="attachment")
    op.drop_index("ix_attachment_organisation_id", table_name="attachment")
    op.drop_table("attachment")
