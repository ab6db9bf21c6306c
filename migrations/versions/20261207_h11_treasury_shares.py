"""treasury shares: an Ownership of a company by itself is data, not an error

Revision ID: h11_treasury_shares
Revises: 0008
Create Date: 2026-12-07 21:50:00

A company may hold its own shares (1.81 % of NRJ Group S.A. in the German KEK media register):
the relation is kept as recorded, and effective ownership leaves it out of the chains.
"""

from alembic import op

revision = "h11_treasury_shares"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.drop_constraint("ck_relation_no_self_ownership", type_="check")


def downgrade():
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "ck_relation_no_self_ownership", "schema <> 'Ownership' OR source_id <> target_id"
        )
