"""tasks on a case

Revision ID: w3notify_01
Revises: 0010
Create Date: 2026-12-08 01:10:00.000000
"""

from alembic import op
import sqlalchemy as sa

import assettrack.models.base

revision = "w3notify_01"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("entity_id", sa.Integer(), sa.ForeignKey("entity.id"), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name="ck_task_status"),
        sa.CheckConstraint("length(title) > 0", name="ck_task_title"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_case_id", "task", ["case_id"])
    op.create_index("ix_task_assignee_status_due", "task", ["assignee_id", "status", "due_on"])


def downgrade():
    op.drop_index("ix_task_assignee_status_due", table_name="task")
    op.drop_index("ix_task_case_id", table_name="task")
    op.drop_table("task")
