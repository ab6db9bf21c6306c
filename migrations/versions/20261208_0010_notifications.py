"""notifications and each user's channel per event

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

import assettrack.models.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_EVENTS = (
    "'task_assigned', 'task_due_tomorrow', 'task_overdue', 'freeze_lapsing', 'freeze_lapsed', "
    "'screening_milestone', 'review_due', 'case_shared', 'report_addressed', 'watchlist_hit', "
    "'mentioned'"
)
_CHANNELS = "'off', 'in_app', 'email', 'digest'"


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=True),
        sa.Column("case_reference", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"event IN ({_EVENTS})", name="ck_notification_event"),
        sa.CheckConstraint(f"channel IN ({_CHANNELS})", name="ck_notification_channel"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notification_user_dedupe"),
    )
    op.create_index("ix_notification_user_unread", "notification", ["user_id", "read_at"])
    op.create_index("ix_notification_created_at", "notification", ["created_at"])
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.CheckConstraint(f"event IN ({_EVENTS})", name="ck_notification_preference_event"),
        sa.CheckConstraint(f"channel IN ({_CHANNELS})", name="ck_notification_preference_channel"),
        sa.PrimaryKeyConstraint("user_id", "event"),
    )


def downgrade():
    op.drop_table("notification_preference")
    op.drop_index("ix_notification_created_at", table_name="notification")
    op.drop_index("ix_notification_user_unread", table_name="notification")
    op.drop_table("notification")
