"""second factor: sealed TOTP secrets, hashed recovery codes, the organisation's policy; read-only named tokens

Revision ID: w3_2fa_01
Revises: 0010
Create Date: 2026-12-08 01:20:00.000000
"""

from alembic import op
import sqlalchemy as sa

import assettrack.models.base

revision = "w3_2fa_01"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "totp_factor",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("secret_sealed", sa.String(length=400), nullable=False),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("paused_until", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_verified_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])
    with op.batch_alter_table("organisation") as batch:
        # Every organisation requires a second factor from now on (DECISIONS #14); the demo
        # command turns it off for its fictional organisations only.
        batch.add_column(
            sa.Column(
                "second_factor_required", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch.add_column(sa.Column("locode", sa.String(length=5), nullable=True))

    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch.add_column(
            sa.Column("read_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("read_only")
        batch.drop_column("name")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("locode")
        batch.drop_column("second_factor_required")
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("totp_factor")
