"""The search key: one row per entity and case, written by ``services.search``.

The key is plain text built in Python (``terms``: normalised name tokens; ``idents``: compact
identifiers). Each database indexes it its own way, both built by the migration
``w3search_01``: SQLite with two FTS5 tables over ``search_key`` (``search_terms``, unicode61
tokens, prefix queries; ``search_idents``, trigrams, substrings), PostgreSQL with a ``tsv``
tsvector column filled by a trigger (GIN index) and a ``pg_trgm`` GIN index on ``idents``. None of
those is part of the models: ``include_name`` tells Alembic's comparison to leave them out.
"""

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

__all__ = ["SearchKey", "INDEX_OBJECTS", "include_name"]

#: What the migration builds beside the table, per database, that the models do not describe.
INDEX_OBJECTS = frozenset(
    {
        # SQLite: the FTS5 tables and their shadow tables
        *(
            f"{table}{suffix}"
            for table in ("search_terms", "search_idents")
            for suffix in ("", "_data", "_idx", "_docsize", "_config", "_content")
        ),
        # PostgreSQL: the tsvector column and the two GIN indexes
        "tsv",
        "ix_search_key_tsv",
        "ix_search_key_idents_trgm",
    }
)


def include_name(name, type_, parent_names) -> bool:
    """Alembic's ``include_name`` hook: compare everything but the search index's own objects."""
    return name not in INDEX_OBJECTS


class SearchKey(SQLModel, table=True):
    """What search matches for one entity or case, and what it shows.

    ``kind`` is ``entity`` or ``case``; ``grp`` the group a result is listed under (people,
    companies, vehicles...); ``protected`` marks a person named only to those who may see the
    names of the organisation's protected persons (DECISIONS #10); ``sort_key`` the normalised
    label results are ordered by. Rebuilt by ``services.search.reindex`` after every write.

    Fate: erased with its case (removed with the entity or case it describes, rebuilt from them).
    """

    __tablename__ = "search_key"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", name="uq_search_key_object"),
        Index("ix_search_key_org_grp", "organisation_id", "grp"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(8))
    object_id: int = Field(sa_type=Integer)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False)
    )
    grp: str = Field(sa_type=String(16))
    label: str = Field(sa_type=String(500))
    detail: str = Field(default="", sa_type=String(200))
    sort_key: str = Field(sa_type=String(200))
    protected: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    terms: str = Field(default="", sa_type=Text)
    idents: str = Field(default="", sa_type=Text)
