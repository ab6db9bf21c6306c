"""organisation kind (local, remote, installation) and admin enrolment links

Every organisation that exists today is a city or agency of this installation, so each becomes
``local``; the users with the role ``admin`` of those organisations are thereby organisation
admins (DECISIONS #9 §1). An installation admin exists only once an operator organisation
(kind ``installation``) is added with ``assettrack org add ... --kind installation``.

Revision ID: 20261207_h9admins
Revises: 0008
Create Date: 2026-12-07 21:50:00
"""

from alembic import op
import sqlalchemy as sa

import assettrack.models.base

revision = "20261207_h9admins"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="local")
        )
        batch_op.create_check_constraint(
            "ck_organisation_kind", "kind IN ('local', 'remote', 'installation')"
        )

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_organisation_id"))
    op.drop_table("enrolment")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint("ck_organisation_kind", type_="check")
        batch_op.drop_column("kind")
