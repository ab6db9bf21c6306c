"""States and kinds are str enums stored as their value, with a CHECK generated from the enum."""

import pytest
from sqlalchemy import CheckConstraint
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from assettrack.domain import lifecycle
from assettrack.models import Asset
from assettrack.models.assets import ACTIONS
from assettrack.models.assets import STAGES
from assettrack.services import entities as entity_service


def _checks():
    for table in SQLModel.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                yield table, constraint


def test_every_list_of_allowed_values_in_a_check_comes_from_an_enum():
    literal = [
        f"{table.name}.{check.name}"
        for table, check in _checks()
        if " IN (" in str(check.sqltext) and "enum" not in check.info
    ]
    assert literal == []


@pytest.mark.parametrize(
    ("table", "check", "enum"),
    [
        (table.name, check.name, check.info["enum"])
        for table, check in _checks()
        if "enum" in check.info
    ],
)
def test_each_enum_check_allows_exactly_the_enums_values(table, check, enum):
    constraint = next(c for t, c in _checks() if t.name == table and c.name == check)
    allowed = str(constraint.sqltext).split(" IN (", 1)[1].rstrip(")")
    assert allowed == ", ".join(f"'{member.value}'" for member in enum)


def test_the_asset_tables_store_the_lifecycle_enums():
    assert tuple(lifecycle.Stage) == STAGES
    assert tuple(lifecycle.Action) == ACTIONS


@pytest.mark.backends
def test_the_database_refuses_a_stage_outside_the_enum(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    link = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "RealEstate", "properties": {"name": ["Villa"]}}
    )
    session.commit()
    asset = session.get(Asset, link.entity_id)
    assert asset.stage == lifecycle.Stage.TRACED
    update = text("UPDATE asset SET stage = 'seized' WHERE entity_id = :id")
    with pytest.raises(IntegrityError):
        session.execute(update, {"id": asset.entity_id})
    session.rollback()
