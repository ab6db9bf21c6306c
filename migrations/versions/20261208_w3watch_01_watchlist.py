"""watchlists: a user's watched entities and identifiers

Revision ID: w3watch_01
Revises: 0010
Create Date: 2026-12-08 01:30:00.000000
"""

from alembic import op
import sqlalchemy as sa

import assettrack.models.base

revision = "w3watch_01"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "watch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "entity_id", sa.Integer(), sa.ForeignKey("entity.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity_id IS NOT NULL OR (kind IS NOT NULL AND value IS NOT NULL)",
            name="ck_watch_target",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watch_kind_value", "watch", ["kind", "value"])
    op.create_index("ix_watch_entity", "watch", ["entity_id"])
    op.create_index("ix_watch_user", "watch", ["user_id"])


def downgrade():
    op.drop_index("ix_watch_user", table_name="watch")
    op.drop_index("ix_watch_entity", table_name="watch")
    op.drop_index("ix_watch_kind_value", table_name="watch")
    op.drop_table("watch")
