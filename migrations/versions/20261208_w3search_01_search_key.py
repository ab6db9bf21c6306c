"""search key: one row per entity and case, indexed by FTS5 (SQLite) or tsvector + pg_trgm

Revision ID: w3search_01
Revises: 0009
Create Date: 2026-12-08 01:00:00

The key is written by Python (``assettrack.services.search``); each database indexes it:
SQLite with two external-content FTS5 tables kept by triggers (``search_terms``: word prefixes,
``search_idents``: trigram substrings of identifiers), PostgreSQL with a ``tsv`` column filled by
a trigger from the same words (GIN) and a ``pg_trgm`` GIN index on the identifiers. The existing
entities and cases are indexed here.
"""

import sqlalchemy as sa
from alembic import op

revision = "w3search_01"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE = [
    "CREATE VIRTUAL TABLE search_terms USING fts5("
    "terms, content='search_key', content_rowid='id', tokenize='unicode61')",
    "CREATE VIRTUAL TABLE search_idents USING fts5("
    "idents, content='search_key', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER search_key_ai AFTER INSERT ON search_key BEGIN
        INSERT INTO search_terms(rowid, terms) VALUES (new.id, new.terms);
        INSERT INTO search_idents(rowid, idents) VALUES (new.id, new.idents);
    END""",
    """CREATE TRIGGER search_key_ad AFTER DELETE ON search_key BEGIN
        INSERT INTO search_terms(search_terms, rowid, terms) VALUES ('delete', old.id, old.terms);
        INSERT INTO search_idents(search_idents, rowid, idents)
            VALUES ('delete', old.id, old.idents);
    END""",
    """CREATE TRIGGER search_key_au AFTER UPDATE ON search_key BEGIN
        INSERT INTO search_terms(search_terms, rowid, terms) VALUES ('delete', old.id, old.terms);
        INSERT INTO search_idents(search_idents, rowid, idents)
            VALUES ('delete', old.id, old.idents);
        INSERT INTO search_terms(rowid, terms) VALUES (new.id, new.terms);
        INSERT INTO search_idents(rowid, idents) VALUES (new.id, new.idents);
    END""",
]

_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE search_key ADD COLUMN tsv tsvector",
    # The words are already normalised by Python: the tsvector takes them as they are.
    """CREATE FUNCTION search_key_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.tsv := array_to_tsvector(string_to_array(NEW.terms, ' '));
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER search_key_tsv BEFORE INSERT OR UPDATE OF terms ON search_key "
    "FOR EACH ROW EXECUTE FUNCTION search_key_tsv()",
    # A GIN index first queues new entries in a pending list that every search scans: at the
    # default 4 MB a search costs ~40 ms more until (auto)vacuum merges it. 512 kB bounds that.
    "CREATE INDEX ix_search_key_tsv ON search_key USING gin (tsv) "
    "WITH (gin_pending_list_limit = 512)",
    "CREATE INDEX ix_search_key_idents_trgm ON search_key USING gin (idents gin_trgm_ops) "
    "WITH (gin_pending_list_limit = 512)",
]


def upgrade():
    op.create_table(
        "search_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("grp", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("sort_key", sa.String(length=200), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("idents", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "object_id", name="uq_search_key_object"),
    )
    op.create_index("ix_search_key_org_grp", "search_key", ["organisation_id", "grp"])
    bind = op.get_bind()
    for statement in _SQLITE if bind.dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)
    from assettrack.services.search import reindex_all

    reindex_all(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_terms")
        op.execute("DROP TABLE IF EXISTS search_idents")
    op.drop_table("search_key")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS search_key_tsv()")
