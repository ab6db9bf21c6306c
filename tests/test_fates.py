"""Every store declares its fate, so retention and backups know what to do with it."""

import re

import pytest

import assettrack.models  # noqa: F401 - every table registered
from assettrack.models.fates import FATE_KINDS
from assettrack.models.fates import table_fates

FATES = table_fates()


def test_every_table_of_the_schema_is_listed():
    assert {"case_file", "entity", "audit_entry", "user_session", "job"} <= set(FATES)


@pytest.mark.parametrize("table", sorted(FATES))
def test_every_table_declares_a_fate_of_a_known_kind(table):
    fate = FATES[table]
    assert fate, f"{table}: its model's docstring has no 'Fate: ...' line"
    assert fate.startswith(FATE_KINDS), f"{table}: {fate!r} is not one of {FATE_KINDS}"
    if fate.startswith("expires after"):
        assert re.match(r"expires after \d+ days?\b", fate), f"{table}: after how many days?"
    if fate.startswith("kept ("):
        assert len(fate) > len("kept ()") + 10, f"{table}: kept, but why?"
