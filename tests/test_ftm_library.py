"""FollowTheMoney from the library: whatever followthemoney accepts is imported strictly.

Issue #11 and DECISIONS #11: the schema registry is built from ``followthemoney.model`` and its
``registry``; a file FtM accepts imports without ``--skip-invalid``; values FtM accepts that
assettrack cannot use (a share of 120 %, an end before the start) are kept, with the typed
column left empty and a warning naming the line; a company holding its own shares is data.
"""

import itertools
import json
from decimal import Decimal

import pytest
from followthemoney import model
from followthemoney import registry
from sqlalchemy import func
from sqlalchemy import select

from assettrack.domain.schema import FTM_SCHEMATA
from assettrack.models import Entity
from assettrack.models import Relation
from assettrack.services import imports
from tests.conftest import SHARED_DATA
from tests.test_bods import owners

KEK = SHARED_DATA / "ftm" / "kek_treasury_share.ftm.jsonl"


@pytest.fixture
def officer(make_user):
    return make_user("officer", "DEHAM")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer, title="Media ownership")


def write_lines(path, entities):
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in entities) + "\n")
    return path


# --- treasury shares (real public data) ------------------------------------------------------


def test_a_company_holding_its_own_shares_imports_strictly(runner, case, session):
    if not KEK.is_file():
        pytest.fail(f"shared test data missing: {KEK} (see data/README.md)", pytrace=False)
    result = runner.invoke(args=["import-ftm", str(KEK), "--case", case.reference])

    assert result.exit_code == 0, result.output
    assert "created 4" in result.output
    self_held = session.scalars(
        select(Relation).where(Relation.source_id == Relation.target_id)
    ).all()
    assert [(r.schema_name, r.percentage) for r in self_held] == [("Ownership", Decimal("1.81"))]


def test_effective_owners_leave_the_treasury_shares_out_and_say_so(session, officer, case):
    imports.import_ftm(session, officer, case, KEK)
    session.commit()

    found, result = owners(session, case.organisation_id, "NRJ Group S.A.")

    # Known answers (data/README.md): Baudecroux 75.56 % on one path of length 1; not 76.95 %.
    assert list(found) == ["Baudecroux, Jean-Paul"]
    owner = found["Baudecroux, Jean-Paul"]
    assert owner.share == Decimal("75.56")
    assert [len(path.relations) for path in owner.paths] == [1]
    assert owner.flags == []
    assert (
        "NRJ Group S.A. holds 1.81 % of its own shares (treasury shares); left out of the "
        "ownership chains"
    ) in result.warnings
    assert not any("cycle" in warning for warning in result.warnings)


# --- what FtM accepts, assettrack imports -----------------------------------------------------


def test_a_jurisdiction_only_followthemoney_knows_imports_strictly(
    session, officer, case, tmp_path
):
    path = write_lines(
        tmp_path / "canary.jsonl",
        [
            {"id": "co-ic", "schema": "Company", "properties": {
                "name": ["Atlántico Holdings SL"], "jurisdiction": ["ic"]}},
            {"id": "pe-1", "schema": "Person", "properties": {"name": ["Ana Pérez"]}},
            {"id": "own-1", "schema": "Ownership", "properties": {
                "owner": ["pe-1"], "asset": ["co-ic"], "percentage": ["100"]}},
        ],
    )  # fmt: skip
    report = imports.import_ftm(session, officer, case, path)
    session.commit()

    assert (report.created, report.skipped) == (3, [])
    company = session.scalar(select(Entity).where(Entity.external_id == "co-ic"))
    assert json.loads(company.properties)["jurisdiction"] == ["ic"]


def test_a_value_followthemoney_accepts_but_assettrack_cannot_use_is_kept_with_a_warning(
    session, officer, case, tmp_path
):
    path = write_lines(
        tmp_path / "odd.jsonl",
        [
            {"id": "a", "schema": "Company", "properties": {"name": ["Alpha BV"]}},
            {"id": "b", "schema": "Company", "properties": {"name": ["Beta BV"]}},
            {"id": "o1", "schema": "Ownership", "properties": {
                "owner": ["a"], "asset": ["b"], "percentage": ["120"]}},
            {"id": "o2", "schema": "Ownership", "properties": {
                "owner": ["b"], "asset": ["a"], "percentage": ["10"],
                "startDate": ["2020-05-01"], "endDate": ["2019-01-01"]}},
        ],
    )  # fmt: skip
    report = imports.import_ftm(session, officer, case, path)
    session.commit()

    assert report.skipped == [] and report.created == 4
    over = session.scalar(select(Relation).where(Relation.external_id == "o1"))
    assert (over.percentage, over.percentage_min, over.percentage_max) == (None, None, None)
    assert json.loads(over.properties)["percentage"] == ["120"]
    backwards = session.scalar(select(Relation).where(Relation.external_id == "o2"))
    assert (backwards.start_date, backwards.end_date) == (None, None)
    assert json.loads(backwards.properties)["endDate"] == ["2019-01-01"]
    warnings = {w["message"]: w["lines"] for w in report.warnings}
    assert warnings["Percentage held 120: must be at most 100; the share is left unknown"] == [3]
    assert warnings[
        "the end date is before the start date; the relation counts as undated"
    ] == [4]


def test_forms_and_the_api_stay_strict(client, officer, token_for, case):
    from tests.conftest import bearer

    headers = bearer(token_for(officer))
    made = [
        client.post(
            f"/api/v1/cases/{case.id}/entities",
            json={"schema": "Company", "properties": {"name": name}},
            headers=headers,
        )
        for name in ("Alpha BV", "Beta BV")
    ]
    assert [r.status_code for r in made] == [201, 201]
    alpha, beta = (r.get_json()["id"] for r in made)
    refused = client.post(
        "/api/v1/relations",
        json={"schema": "Ownership", "source": alpha, "target": beta, "percentage": "120"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "percentage" in json.dumps(refused.get_json())
    treasury = client.post(
        "/api/v1/relations",
        json={"schema": "Ownership", "source": alpha, "target": alpha, "percentage": "1.81"},
        headers=headers,
    )
    assert treasury.status_code == 201, treasury.get_json()


# --- every schema, values from FtM's own registries ------------------------------------------

# One valid value per identifier format assettrack checks, and per FtM type. Anything FtM's
# type accepts is a candidate; each value is still passed through FtM's own ``clean`` below.
_FORMAT_SAMPLES = {
    "imo": "IMO 9074729",
    "iban": "NL91ABNA0417164300",
    "bic": "ABNANL2A",
    "isin": "US0378331005",
    "lei": "529900T8BM49AURSDO55",
    "figi": "BBG000BLNNH6",
}
_TYPE_SAMPLES = {
    "name": "Havenbedrijf Test",
    "string": "sample",
    "text": "A longer text\nwith a line break.",
    "number": "12.5",
    "email": "desk@example.org",
    "url": "https://example.org/a",
    "phone": "+31 10 252 1010",
    "address": "Wilhelminakade 909, 3072 AP Rotterdam",
    "identifier": "AB-12345",
    "language": "nld",
    "mimetype": "application/pdf",
    "checksum": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "ip": "192.0.2.1",
    "gender": "female",
    "topic": "crime",
    "html": "<p>note</p>",
}
_DATES = itertools.cycle(["2021", "2021-06", "2021-06-15", "2021-06-15T10:30:00"])
_COUNTRIES = itertools.cycle(sorted(registry.country.names))


def _concrete(schema):
    if not schema.abstract:
        return schema.name
    return sorted(s.name for s in schema.descendants if not s.abstract)[0]


def _value(prop):
    kind = prop.type.name
    if kind == "date":
        raw = next(_DATES)
    elif kind == "country":
        raw = next(_COUNTRIES)
    elif kind == "identifier" and prop.format in _FORMAT_SAMPLES:
        raw = _FORMAT_SAMPLES[prop.format]
    elif kind == "identifier" and prop.format:
        return None  # a format with no sample here (national tax numbers...): left out
    else:
        raw = _TYPE_SAMPLES.get(kind)
    if raw is None:
        return None
    return raw if prop.type.clean(raw, format=prop.format) is not None else None


def all_schemata_entities():
    """One entity per FtM schema, every property filled from FtM's registries."""
    ids = {name: f"gen-{name.lower()}" for name in sorted(FTM_SCHEMATA)}
    entities = []
    for name in sorted(FTM_SCHEMATA):
        schema = model.get(name)
        properties = {}
        for prop in schema.properties.values():
            if prop.stub or prop.deprecated or prop.hidden:
                continue
            if prop.type.name == "entity":
                target = _concrete(prop.range) if prop.range is not None else "Thing"
                if target in ids and target != name:
                    properties[prop.name] = [ids[target]]
                continue
            value = _value(prop)
            if value is not None:
                properties[prop.name] = [value]
        entities.append({"id": ids[name], "schema": name, "properties": properties})
    return entities


def test_every_followthemoney_schema_with_registry_values_imports_strictly(
    runner, case, session, tmp_path
):
    entities = all_schemata_entities()
    for entity in entities:  # the file is valid for the followthemoney library itself
        proxy = model.get_proxy(entity, cleaned=False)
        assert proxy.schema.name == entity["schema"]
    used_countries = {
        v for e in entities for p, vs in e["properties"].items() for v in vs
        if model.get(e["schema"]).get(p).type.name == "country"
    }  # fmt: skip
    assert len(used_countries) > 60
    path = write_lines(tmp_path / "all.jsonl", entities)

    result = runner.invoke(args=["import-ftm", str(path), "--case", case.reference])

    assert result.exit_code == 0, result.output
    stored = session.scalar(select(func.count()).select_from(Entity)) + session.scalar(
        select(func.count()).select_from(Relation)
    )
    assert stored == len(entities)


def test_every_country_code_followthemoney_knows_imports(session, officer, case, tmp_path):
    codes = sorted(registry.country.names)
    path = write_lines(
        tmp_path / "countries.jsonl",
        [
            {"id": f"c-{code}", "schema": "Company", "properties": {
                "name": [f"Company {code}"], "jurisdiction": [code], "country": [code]}}
            for code in codes
        ],
    )  # fmt: skip
    report = imports.import_ftm(session, officer, case, path)
    assert (report.created, report.skipped) == (len(codes), [])
