"""corrections with history: versions, removals, change records, property sources

Revision ID: w3entity_01
Revises: 0009
Create Date: 2026-12-08 01:10:00

Issue #12: entity, case_entity and relation get a ``version`` (optimistic concurrency);
case_entity and relation a removal (time, user, reason) instead of a delete; the unique link of an
entity to a case holds among the links not removed (a partial unique index, on SQLite and
PostgreSQL). ``change_record`` keeps each correction, ``property_source`` where values came from.
"""

import sqlalchemy as sa
from alembic import op

import assettrack.models.base

revision = "w3entity_01"
down_revision = "0009"
branch_labels = None
depends_on = None

_UTC = assettrack.models.base.UTCDateTime()


def _removal(batch_op, table):
    batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    batch_op.add_column(sa.Column("removed_at", _UTC, nullable=True))
    batch_op.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column("removed_reason", sa.Text(), nullable=True))
    batch_op.create_foreign_key(
        f"fk_{table}_removed_by_id_app_user", "app_user", ["removed_by_id"], ["id"]
    )


def upgrade():
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("case_entity", schema=None) as batch_op:
        _removal(batch_op, "case_entity")
        batch_op.drop_constraint("uq_case_entity", type_="unique")
    op.create_index(
        "uq_case_entity",
        "case_entity",
        ["case_id", "entity_id"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    with op.batch_alter_table("relation", schema=None) as batch_op:
        _removal(batch_op, "relation")

    op.create_table(
        "change_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("other_entity_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version_before", sa.Integer(), nullable=False),
        sa.Column("version_after", sa.Integer(), nullable=False),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.Column("reverted_by_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", _UTC, nullable=False),
        sa.CheckConstraint(
            "object_type IN ('entity', 'case_entity', 'relation')",
            name="ck_change_record_object_type",
        ),
        sa.CheckConstraint("kind IN ('update', 'remove', 'revert')", name="ck_change_record_kind"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["other_entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"]),
        sa.ForeignKeyConstraint(["reverts_id"], ["change_record.id"]),
        sa.ForeignKeyConstraint(["reverted_by_id"], ["change_record.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_change_record_entity", "change_record", ["entity_id", "id"])
    op.create_index("ix_change_record_other_entity", "change_record", ["other_entity_id", "id"])

    op.create_table(
        "property_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("property", sa.String(length=64), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("merge_record_id", sa.Integer(), nullable=True),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("source_grade", sa.String(length=1), nullable=True),
        sa.Column("info_grade", sa.String(length=1), nullable=True),
        sa.Column("recorded_at", _UTC, nullable=False),
        sa.CheckConstraint(
            "kind IN ('officer', 'import', 'register', 'merge')", name="ck_property_source_kind"
        ),
        sa.CheckConstraint(
            "source_grade IS NULL OR source_grade IN ('A', 'B', 'C', 'X')",
            name="ck_property_source_grade",
        ),
        sa.CheckConstraint(
            "info_grade IS NULL OR info_grade IN ('1', '2', '3', '4')",
            name="ck_property_source_info_grade",
        ),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["merge_record_id"], ["merge_record.id"]),
        sa.ForeignKeyConstraint(["change_id"], ["change_record.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_property_source_entity", "property_source", ["entity_id", "property"])


def downgrade():
    op.drop_index("ix_property_source_entity", table_name="property_source")
    op.drop_table("property_source")
    op.drop_index("ix_change_record_other_entity", table_name="change_record")
    op.drop_index("ix_change_record_entity", table_name="change_record")
    op.drop_table("change_record")
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_relation_removed_by_id_app_user", type_="foreignkey")
        for column in ("removed_reason", "removed_by_id", "removed_at", "version"):
            batch_op.drop_column(column)
    op.drop_index("uq_case_entity", table_name="case_entity")
    with op.batch_alter_table("case_entity", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_entity_removed_by_id_app_user", type_="foreignkey")
        for column in ("removed_reason", "removed_by_id", "removed_at", "version"):
            batch_op.drop_column(column)
        batch_op.create_unique_constraint("uq_case_entity", ["case_id", "entity_id"])
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.drop_column("version")
