"""Several values at a relation's end (DECISIONS #11): kept, never refused, exported as it came.

FtM allows an Ownership with several owners or assets; merging fragments that share an id
produces one. The fixtures below are real public records (../shared/data/ftm/, see its README)
merged by id with the followthemoney library itself, as an FtM pipeline would merge them.
"""

import io
import json
from decimal import Decimal

import pytest
from followthemoney import model
from sqlalchemy import select

from assettrack.models import Entity
from assettrack.models import Relation
from assettrack.services import imports
from tests.conftest import SHARED_DATA
from tests.test_bods import owners

KEK = SHARED_DATA / "ftm" / "kek_treasury_share.ftm.jsonl"
BODS = SHARED_DATA / "ftm" / "bods_examples.ftm.jsonl"

# Gasgrid Finland Oy (bods-package-fi-soe): the Ministry of Finance holds 100 % of Suomen
# Kaasuverkko Oy, which holds 76.50 % of Gasgrid; the Ministry holds 23.50 % directly.
KAASUVERKKO_HOLDS_GASGRID = "bods-bods-package-fi-soe-87ed6d1daf8f-0"
MINISTRY_HOLDS_KAASUVERKKO = "bods-bods-package-fi-soe-e34164e75ac3-0"


def lines_of(path):
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (see data/README.md)", pytrace=False)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def merged(first: dict, second: dict) -> dict:
    """Two fragments merged under the first one's id, by the followthemoney library."""
    proxy = model.get_proxy(first)
    other = model.get_proxy(second)
    other.id = proxy.id
    proxy.merge(other)
    return {"id": proxy.id, "schema": proxy.schema.name, "properties": proxy.properties}


def write_lines(path, entities):
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in entities) + "\n")
    return path


def exported(session, officer, case):
    out = io.StringIO()
    imports.export_ftm(session, officer, case, out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def edges(session, external_id=None):
    names = dict(session.execute(select(Entity.id, Entity.caption)).all())
    stmt = select(Relation)
    if external_id is not None:
        stmt = stmt.where(Relation.external_id == external_id)
    return sorted(
        (names[r.source_id], names[r.target_id], r.percentage, r.part)
        for r in session.scalars(stmt)
    )


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer, title="Ownership fragments")


@pytest.fixture
def gasgrid_file(tmp_path):
    """The Finnish state-owned gas company, two of its holdings merged into one Ownership."""
    found = [e for e in lines_of(BODS) if "fi-soe" in e["id"]]
    by_id = {e["id"]: e for e in found}
    both = merged(by_id[KAASUVERKKO_HOLDS_GASGRID], by_id[MINISTRY_HOLDS_KAASUVERKKO])
    parts = (KAASUVERKKO_HOLDS_GASGRID, MINISTRY_HOLDS_KAASUVERKKO)
    kept = [e for e in found if e["id"] not in parts]
    return write_lines(tmp_path / "gasgrid.jsonl", kept + [both]), both


@pytest.mark.backends
def test_ends_and_shares_of_the_same_length_are_read_as_pairs(session, officer, case, gasgrid_file):
    path, both = gasgrid_file
    assert both["properties"]["percentage"] == ["76.50", "100"]  # two owners, two assets

    report = imports.import_ftm(session, officer, case, path)  # strictly: no --skip-invalid
    session.commit()

    assert report.skipped == []
    assert edges(session, both["id"]) == [
        ("Suomen Kaasuverkko Oy", "Gasgrid Finland Oy", Decimal("76.50"), 0),
        ("Valtiovarainministerio", "Suomen Kaasuverkko Oy", Decimal("100"), 1),
    ]
    warnings = {w["message"]: w["lines"] for w in report.warnings}
    line = path.read_text().splitlines().index(json.dumps(both, ensure_ascii=False)) + 1
    assert warnings[
        "owner, asset and percentage hold 2 values each: read as 2 pairs by position, one "
        "edge each with its own share"
    ] == [line]
    # The known answer of data/README.md still holds: the Ministry owns 100 % of Gasgrid.
    found, _result = owners(session, case.organisation_id, "Gasgrid Finland Oy")
    assert found["Valtiovarainministerio"].share == Decimal("100")


@pytest.mark.backends
def test_the_export_gives_the_relation_back_as_it_came(session, officer, case, gasgrid_file):
    path, both = gasgrid_file
    imports.import_ftm(session, officer, case, path)
    session.commit()

    lines = {line["id"]: line for line in exported(session, officer, case)}

    assert lines[both["id"]]["properties"] == both["properties"]
    assert KAASUVERKKO_HOLDS_GASGRID in lines and MINISTRY_HOLDS_KAASUVERKKO not in lines


@pytest.mark.backends
def test_a_second_import_of_the_same_file_changes_nothing(session, officer, case, gasgrid_file):
    path, _both = gasgrid_file
    imports.import_ftm(session, officer, case, path)
    session.commit()
    before = edges(session)

    again = imports.import_ftm(session, officer, case, path)
    session.commit()

    assert (again.created, again.updated) == (0, 0)
    assert edges(session) == before


@pytest.mark.backends
def test_an_owner_at_both_ends_is_not_read_as_holding_itself(session, officer, case, tmp_path):
    # The two KEK holdings of NRJ Group S.A. merged: owners [Baudecroux, NRJ], asset [NRJ],
    # shares [75.56, 1.81]. Ends and shares differ in length: each owner × asset pair is an
    # edge of unknown share, and NRJ at both ends is no self-holding.
    companies, (baudecroux, treasury) = lines_of(KEK)[:2], lines_of(KEK)[2:]
    both = merged(baudecroux, treasury)
    assert len(both["properties"]["owner"]) == 2 and len(both["properties"]["asset"]) == 1
    path = write_lines(tmp_path / "kek-merged.jsonl", companies + [both])

    report = imports.import_ftm(session, officer, case, path)
    session.commit()

    assert (report.created, report.skipped) == (3, [])
    assert edges(session) == [("Baudecroux, Jean-Paul", "NRJ Group S.A.", None, 0)]
    messages = [w["message"] for w in report.warnings]
    assert (
        "owner: 2 values, asset: 1 values: each owner × asset pair is an edge of unknown share"
        in messages
    )
    line = exported(session, officer, case)[-1]
    assert line["properties"] == both["properties"]


@pytest.mark.backends
def test_a_mutual_holding_without_shares_draws_one_edge_each_way(session, officer, case, tmp_path):
    companies = [e for e in lines_of(KEK) if e["schema"] == "Company"]
    a, b = (e["id"] for e in companies)
    mutual = {
        "id": "mutual-1",
        "schema": "Ownership",
        "properties": {"owner": [a, b], "asset": [b, a], "startDate": ["2010-12-31"]},
    }
    path = write_lines(tmp_path / "mutual.jsonl", companies + [mutual])

    report = imports.import_ftm(session, officer, case, path)
    session.commit()

    assert report.skipped == []
    assert edges(session) == [
        ("Baudecroux, Jean-Paul", "NRJ Group S.A.", None, 1),
        ("NRJ Group S.A.", "Baudecroux, Jean-Paul", None, 0),
    ]
    assert all(r.start_date is not None for r in session.scalars(select(Relation)))
    assert exported(session, officer, case)[-1]["properties"] == mutual["properties"]


@pytest.mark.backends
def test_a_new_version_with_fewer_owners_removes_the_edge_it_no_longer_draws(
    session, officer, case, tmp_path, gasgrid_file
):  # fmt: skip
    path, both = gasgrid_file
    imports.import_ftm(session, officer, case, path)
    session.commit()
    one = {**both, "properties": {**both["properties"]}}
    one["properties"]["owner"] = one["properties"]["owner"][:1]
    one["properties"]["asset"] = one["properties"]["asset"][:1]
    one["properties"]["percentage"] = one["properties"]["percentage"][:1]
    again = write_lines(tmp_path / "one.jsonl", [one])

    report = imports.import_ftm(session, officer, case, again)
    session.commit()

    assert report.updated == 1
    rows = session.scalars(select(Relation).where(Relation.external_id == both["id"])).all()
    assert [(r.part, r.percentage) for r in rows] == [(0, Decimal("76.50"))]
    line = next(x for x in exported(session, officer, case) if x["id"] == both["id"])
    assert line["properties"]["owner"] == one["properties"]["owner"]
