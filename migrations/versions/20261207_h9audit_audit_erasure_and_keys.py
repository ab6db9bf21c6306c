"""audit log: keyed details digest, erasure allowed once, key ids, installation id

Revision ID: h9audit_0001
Revises: 0008
Create Date: 2026-12-07 21:45:00
"""

import uuid

import sqlalchemy as sa
from alembic import op

import assettrack.models.base

revision = "h9audit_0001"
down_revision = "0008"
branch_labels = None
depends_on = None

# Columns an erasure never changes (the trigger compares them); ``justification`` is no longer
# among them: it moved under the keyed digest of the details and is erased with them.
_SEALED = (
    "seq", "ts", "user_id", "actor", "organisation_id", "action", "object_type", "object_id",
    "details_digest", "prev_hmac", "hmac", "key_id",
)
_REFUSED = "the audit log is append-only: only an erasure may change an entry, once"


def upgrade():
    # Plain ADD COLUMN (no batch copy on SQLite): a copied table would lose its triggers.
    op.add_column("audit_entry", sa.Column("erased_digests", sa.Text(), nullable=True))
    op.add_column("audit_entry", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.add_column("audit_head", sa.Column("key_id", sa.String(length=16), nullable=True))
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("installation_id"),
    )
    op.bulk_insert(
        installation,
        [
            {
                "id": 1,
                "installation_id": str(uuid.uuid4()),
                "created_at": assettrack.models.base.utcnow(),
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_trigger()
    else:
        _sqlite_trigger()


def _sqlite_trigger():
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _SEALED)
    op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
    # An update is an erasure of an entry sealed with a key id, done once: the sealed columns
    # stay, the justification goes (or stays), the details keep a subset of their fields with
    # their values, the digests of what went are stored. A NULL anywhere counts as a refusal.
    op.execute(f"""
        CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
        WHEN NOT COALESCE((
            {unchanged}
            AND OLD.key_id IS NOT NULL
            AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
            AND NEW.erased_digests IS NOT NULL
            AND (NEW.justification IS NULL OR NEW.justification IS OLD.justification)
            AND json_valid(NEW.details) AND json_type(NEW.details) = 'object'
            AND NOT EXISTS (
                SELECT 1 FROM json_each(NEW.details) AS n WHERE NOT EXISTS (
                    SELECT 1 FROM json_each(OLD.details) AS o
                    WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value
                )
            )
        ), 0)
        BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END
    """)


def _postgresql_trigger():
    new = ", ".join(f"NEW.{c}" for c in _SEALED)
    old = ", ".join(f"OLD.{c}" for c in _SEALED)
    _postgresql_function(
        f"""COALESCE(({new}) IS DISTINCT FROM ({old})
               OR OLD.key_id IS NULL
               OR OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL
               OR NEW.erased_digests IS NULL
               OR (NEW.justification IS NOT NULL
                   AND NEW.justification IS DISTINCT FROM OLD.justification)
               OR jsonb_typeof(NEW.details::jsonb) <> 'object'
               OR EXISTS (
                   SELECT 1 FROM jsonb_each(NEW.details::jsonb) AS n
                   WHERE (OLD.details::jsonb -> n.key) IS DISTINCT FROM n.value
               ), true)""",
        _REFUSED,
    )


def _postgresql_function(refused_when: str, message: str):
    # The trigger itself (BEFORE UPDATE OR DELETE) comes from the first migration.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'the audit log is append-only';
            END IF;
            IF {refused_when} THEN
                RAISE EXCEPTION '{message}';
            END IF;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql
    """)


def downgrade():
    _legacy = (
        "seq, ts, user_id, actor, organisation_id, action, object_type, object_id, "
        "justification, details_digest, prev_hmac, hmac"
    )
    if op.get_bind().dialect.name == "postgresql":
        new = ", ".join("NEW." + c for c in _legacy.split(", "))
        old = ", ".join("OLD." + c for c in _legacy.split(", "))
        _postgresql_function(f"({new}) IS DISTINCT FROM ({old})", "the audit log is append-only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute(
            f"CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OF {_legacy} ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
    op.drop_table("installation")
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("key_id")
    op.drop_column("audit_entry", "key_id")
    op.drop_column("audit_entry", "erased_digests")
