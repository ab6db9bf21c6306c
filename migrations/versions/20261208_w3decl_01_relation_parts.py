"""several values at a relation's end: one row per edge, numbered by part

Revision ID: w3decl_01
Revises: 0009
Create Date: 2026-12-08 01:00:00

FtM allows several values at a relation's end (DECISIONS #11): an imported Ownership with two
owners and two assets draws two edges (read as pairs by position) or one per owner × asset
pair. Each edge is a ``relation`` row; the rows of one FtM relation share its ``external_id``
and are numbered by ``part``, so the uniqueness of an FtM id now includes the part.
"""

import sqlalchemy as sa
from alembic import op

revision = "w3decl_01"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_relation_org_external_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_relation_org_external_id_part", ["organisation_id", "external_id", "part"]
        )


def downgrade():
    op.execute("DELETE FROM relation WHERE part > 0")
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.drop_constraint("uq_relation_org_external_id_part", type_="unique")
        batch_op.create_unique_constraint(
            "uq_relation_org_external_id", ["organisation_id", "external_id"]
        )
        batch_op.drop_column("part")
