"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import assettrack.models  # noqa: F401  (registers the tables)
from assettrack.models.search import include_name


@pytest.mark.backends
def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert not diff, f"models and migrations differ; write a migration: {diff}"
