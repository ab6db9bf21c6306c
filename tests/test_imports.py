"""FollowTheMoney in and out: import (streaming, all or nothing, idempotent) and export."""

import gzip
import io
import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.domain.ftm import ImportFailed
from assettrack.models import Asset
from assettrack.models import AuditEntry
from assettrack.models import CaseEntity
from assettrack.models import Entity
from assettrack.models import EntityIdentifier
from assettrack.models import Relation
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import imports
from tests.conftest import SHARED_DATA
from tests.conftest import bearer

DONATIONS_COUNTS = {"Address": 89, "Company": 56, "Organization": 17, "Payment": 290, "Person": 22}
# A payment of donations.ftm.jsonl: 100,000 EUR from Frau Lina Dachner to the MLPD.
PAYMENT_ID = "2216b422a31242fe204654ce194864661f515921"
PAYER_ID = "f9c295f21b233ac878fbac4d271bb6fd13d7952a"
MLPD_ID = "6d03aec76fdeec8f9697d8b19954ab6fc2568bc8"


def shared_file(relative: str):
    """A file of the shared test data; the test fails naming the path when it is missing."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (see data/README.md)", pytrace=False)
    return path


def donation_lines() -> list[str]:
    return shared_file("ftm/donations.ftm.jsonl").read_text(encoding="utf-8").splitlines()


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer, title="Party donations")


# --- import ----------------------------------------------------------------------------------


@pytest.mark.backends
def test_donations_import_474_entities_with_payments_in_eur(session, officer, case):
    report = imports.import_ftm(session, officer, case, shared_file("ftm/donations.ftm.jsonl"))
    session.commit()

    # Payment is a relation schema: its 290 lines are relations, counted with the rest.
    assert report.counts == DONATIONS_COUNTS
    assert sum(report.counts.values()) == 474
    assert (report.entities, report.relations) == (184, 290)
    assert (report.created, report.updated, report.unchanged) == (474, 0, 0)
    assert count(session, Entity) == 184
    assert count(session, Relation) == 290
    links = list(session.scalars(select(CaseEntity).where(CaseEntity.case_id == case.id)))
    assert len(links) == 184 and {link.role for link in links} == {"other"}
    addresses = session.scalar(
        select(func.count()).select_from(Entity).where(Entity.schema_name == "Address")
    )
    assert addresses == 89

    payment = session.scalar(select(Relation).where(Relation.external_id == PAYMENT_ID))
    payer = session.get(Entity, payment.source_id)
    party = session.get(Entity, payment.target_id)
    assert (payment.schema_name, payment.amount, payment.currency) == ("Payment", 100000, "EUR")
    assert payment.paid_on.isoformat() == "2011-12-29"
    assert (payer.external_id, payer.caption) == (PAYER_ID, "Frau Lina Dachner")
    assert (party.external_id, party.caption) == (MLPD_ID, "MLPD")
    # amountEur alone means EUR: every payment has its amount in the column, in euros.
    currencies = set(session.scalars(select(Relation.currency).distinct()))
    assert currencies == {"EUR"}
    assert session.scalar(select(func.count()).where(Relation.amount.is_(None))) == 0
    # An Address linked by addressEntity is an entity of its own, the link kept as FtM has it.
    assert json.loads(payer.properties)["addressEntity"] == [
        "97149caa3aef14e2be5ae6b3974c6882e7536d88"
    ]

    collections = list(
        session.scalars(select(AuditEntry).where(AuditEntry.object_type == "collection"))
    )
    assert len(collections) == 1
    details = json.loads(collections[0].details)
    assert (collections[0].action, details["counts"]) == ("create", DONATIONS_COUNTS)


@pytest.mark.backends
def test_reimporting_the_same_file_changes_nothing(session, officer, case):
    path = shared_file("ftm/donations.ftm.jsonl")
    imports.import_ftm(session, officer, case, path)
    session.commit()
    before = {m.__name__: count(session, m) for m in (Entity, Relation, CaseEntity, AuditEntry)}

    again = imports.import_ftm(session, officer, case, path)
    session.commit()

    assert (again.created, again.updated, again.unchanged, again.linked) == (0, 0, 474, 0)
    after = {m.__name__: count(session, m) for m in (Entity, Relation, CaseEntity, AuditEntry)}
    assert after == before


def test_an_updated_file_updates_properties_and_audits_old_and_new(
    session, officer, case, tmp_path
):
    imports.import_ftm(session, officer, case, shared_file("ftm/donations.ftm.jsonl"))
    session.commit()
    lines = [json.loads(line) for line in donation_lines()]
    for line in lines:
        if line["id"] == PAYER_ID:
            line["properties"]["name"] = ["Lina Dachner"]
        if line["id"] == PAYMENT_ID:
            line["properties"]["amountEur"] = ["100500"]
    changed = tmp_path / "donations-v2.jsonl"
    changed.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")

    report = imports.import_ftm(session, officer, case, changed)
    session.commit()

    assert (report.created, report.updated, report.unchanged) == (0, 2, 472)
    payer = session.scalar(select(Entity).where(Entity.external_id == PAYER_ID))
    assert payer.caption == "Lina Dachner"
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "entity", AuditEntry.object_id == str(payer.id)
        )
    )
    assert entry.action == "update"
    assert json.loads(entry.details)["properties"]["name"] == [
        ["Frau Lina Dachner"],
        ["Lina Dachner"],
    ]
    payment = session.scalar(select(Relation).where(Relation.external_id == PAYMENT_ID))
    assert payment.amount == 100500


BAD_LINES = [
    ("{not json", "not valid JSON"),
    ('["an", "array"]', "not a JSON object"),
    ('{"schema": "Person", "properties": {"name": ["No Id"]}}', "no id"),
    ('{"id": "x1", "schema": "Persn", "properties": {}}', "unknown FollowTheMoney schema"),
    ('{"id": "x2", "schema": "Thing", "properties": {}}', "abstract"),
    (
        '{"id": "x3", "schema": "Ownership", "properties": {"owner": ["nobody"], '
        f'"asset": ["{MLPD_ID}"]}}}}',
        "owner nobody is neither in the file nor imported before",
    ),
    (
        '{"id": "x4", "schema": "BankAccount", "properties": {"iban": ["NL91ABNA0417164301"]}}',
        "IBAN NL91ABNA0417164301: the check digits are wrong",
    ),
    (
        '{"id": "x5", "schema": "Vessel", "properties": {"name": ["Ocean Star"], '
        '"imoNumber": ["9074728"]}}',
        "IMO 9074728: the check digit is wrong",
    ),
    (f'{{"id": "{MLPD_ID}", "schema": "Organization", "properties": {{}}}}', "already used"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_LINES)
def test_a_bad_line_imports_nothing_and_is_named(session, officer, case, tmp_path, bad, reason):
    lines = donation_lines()
    lines.insert(4, bad)  # the fifth line
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(ImportFailed) as failed:
        imports.import_ftm(session, officer, case, path)
    session.rollback()

    assert [p["line"] for p in failed.value.problems] == [5]
    assert reason in str(failed.value.problems[0]["reason"])
    assert failed.value.status == 422
    assert count(session, Entity) == count(session, Relation) == 0


def test_skip_invalid_imports_the_rest_and_lists_the_skipped_lines(
    session, officer, case, tmp_path
):
    lines = donation_lines()
    payer_line = next(n for n, text in enumerate(lines, 1) if PAYER_ID in text.split(",")[0])
    lines[payer_line - 1] = '{"id": "' + PAYER_ID + '", "schema": "Persn", "properties": {}}'
    lines.insert(9, "{broken")
    path = tmp_path / "two-bad-lines.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    payer_line += 1 if payer_line >= 10 else 0

    report = imports.import_ftm(session, officer, case, path, skip_invalid=True)
    session.commit()

    skipped = {p["line"]: p["reason"] for p in report.skipped}
    # The payer's own line, the broken one, and the payments of the refused payer.
    payments = [
        n
        for n, text in enumerate(lines, 1)
        if '"Payment"' in text and PAYER_ID in text and not text.startswith('{"id": "' + PAYER_ID)
    ]
    assert payments and set(skipped) == {payer_line, 10, *payments}
    assert all("which is refused" in skipped[n] for n in payments)
    assert count(session, Entity) == 183
    assert count(session, Relation) == 290 - len(payments)
    assert report.counts["Person"] == 21 and report.counts["Payment"] == 290 - len(payments)


def test_gzip_and_json_array_read_like_json_lines(session, officer, case, tmp_path):
    entities = [json.loads(line) for line in donation_lines()]
    packed = tmp_path / "donations.json.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as fh:
        json.dump(entities, fh, indent=2)

    report = imports.import_ftm(session, officer, case, packed)

    assert report.counts == DONATIONS_COUNTS
    assert count(session, Relation) == 290


def test_relations_resolve_in_any_order_and_against_earlier_imports(
    session, officer, case, tmp_path
):
    first = tmp_path / "people.jsonl"
    first.write_text(
        json.dumps({"id": "p1", "schema": "Person", "properties": {"name": ["Jan de Vries"]}}),
        encoding="utf-8",
    )
    imports.import_ftm(session, officer, case, first)
    second = tmp_path / "holdings.jsonl"
    second.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "id": "o1",
                    "schema": "Ownership",
                    "properties": {
                        "owner": ["p1"],
                        "asset": ["v1"],
                        "percentage": ["25-50"],
                        "startDate": ["2020"],
                    },
                },
                {"id": "v1", "schema": "Vessel", "properties": {"imoNumber": ["IMO 9074729"]}},
            ]
        ),
        encoding="utf-8",
    )

    report = imports.import_ftm(session, officer, case, second)
    session.commit()

    # Vessel requires a name in FtM: a warning, not an error.
    assert any("name: required" in w["message"] for w in report.warnings)
    ownership = session.scalar(select(Relation).where(Relation.external_id == "o1"))
    vessel = session.scalar(select(Entity).where(Entity.external_id == "v1"))
    person = session.scalar(select(Entity).where(Entity.external_id == "p1"))
    assert (ownership.source_id, ownership.target_id) == (person.id, vessel.id)
    assert ownership.percentage is None
    assert (ownership.percentage_min, ownership.percentage_max) == (25, 50)
    assert ownership.start_date.isoformat() == "2020-01-01"
    assert session.get(Asset, vessel.id).stage == "traced"
    identifiers = set(
        session.execute(
            select(EntityIdentifier.kind, EntityIdentifier.value).where(
                EntityIdentifier.entity_id == vessel.id
            )
        )
    )
    assert identifiers == {("imoNumber", "9074729")}


def test_other_ftm_schemata_are_kept_as_they_came(session, officer, case, tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "s1",
                "schema": "PublicBody",
                "properties": {"name": ["Port Authority"], "customField": ["kept"]},
            }
        ),
        encoding="utf-8",
    )

    imports.import_ftm(session, officer, case, path)

    body = session.scalar(select(Entity).where(Entity.external_id == "s1"))
    assert (body.schema_name, body.caption) == ("PublicBody", "Port Authority")
    assert json.loads(body.properties) == {"customField": ["kept"], "name": ["Port Authority"]}


def test_only_officers_of_the_owning_organisation_import(session, make_user, case, tmp_path):
    from assettrack.errors import AccessDenied

    liaison = make_user("liaison", "NLRTM")
    path = shared_file("ftm/donations.ftm.jsonl")
    with pytest.raises(AccessDenied):
        imports.import_ftm(session, liaison, case, path)


# --- export ----------------------------------------------------------------------------------


def assert_valid_followthemoney(lines: list[dict]) -> None:
    """Check every line with the followthemoney library: schema, properties, values, refs."""
    from followthemoney import model
    from followthemoney.types import registry

    ids = {line["id"] for line in lines}
    assert len(ids) == len(lines), "ids must be unique"
    for line in lines:
        schema = model.get(line["schema"])
        assert schema is not None and not schema.abstract, line["schema"]
        assert registry.entity.validate(line["id"]), line["id"]
        for name, values in line["properties"].items():
            prop = schema.get(name)
            assert prop is not None, f"{schema.name} has no property {name}"
            assert isinstance(values, list) and values, (line["id"], name)
            for value in values:
                assert prop.type.validate(value), f"{schema.name}:{name} {value!r}"
                if prop.type == registry.entity:
                    assert value in ids, f"{line['id']} {name} points outside the export"
        for required in schema.required:
            assert line["properties"].get(required), f"{line['id']} lacks {required}"
        proxy = model.get_proxy(line, cleaned=False)
        assert proxy.id == line["id"] and proxy.schema.name == line["schema"]


@pytest.mark.backends
def test_export_is_valid_followthemoney_and_reimports_unchanged(session, officer, case, tmp_path):
    imports.import_ftm(session, officer, case, shared_file("ftm/donations.ftm.jsonl"))
    session.commit()
    out = io.StringIO()

    counts = imports.export_ftm(session, officer, case, out)
    session.commit()

    lines = [json.loads(text) for text in out.getvalue().splitlines()]
    assert counts == {"entities": 184, "relations": 290} and len(lines) == 474
    assert_valid_followthemoney(lines)
    original = {json.loads(t)["id"]: json.loads(t) for t in donation_lines()}
    for line in lines:
        assert line["properties"] == original[line["id"]]["properties"]
    exported = tmp_path / "export.jsonl"
    exported.write_text(out.getvalue(), encoding="utf-8")
    entities_before = count(session, Entity)

    again = imports.import_ftm(session, officer, case, exported)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 474)
    assert count(session, Entity) == entities_before
    disclosure = session.scalar(select(AuditEntry).where(AuditEntry.action == "disclose"))
    assert disclosure.object_type == "case" and disclosure.justification


def test_export_carries_role_grades_and_asset_lifecycle_and_reimports_stably(
    session, officer, case, tmp_path
):
    vessel = entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {
            "schema": "Vessel",
            "properties": {"name": "Ocean Star", "imoNumber": "9074729", "buildDate": "unknown"},
        },
    )
    person = entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {
            "schema": "Person",
            "properties": {"name": "Jan de Vries"},
            "role": "suspect",
            "source_grade": "B",
            "info_grade": "2",
        },
    )
    entity_service.create_relation(
        session,
        officer,
        {
            "schema": "Ownership",
            "source": person.entity_id,
            "target": vessel.entity_id,
            "percentage": "60",
        },
    )
    decision_service.record_decision(
        session,
        officer,
        case,
        {
            "action": "freeze",
            "asset_ids": [vessel.entity_id],
            "decided_on": "2026-01-05",
            "authority": "Rechtbank Rotterdam",
            "reference": "RB-2026-1",
            "legal_basis": "Art. 94 Sv",
        },
    )
    session.commit()
    out = io.StringIO()

    imports.export_ftm(session, officer, case, out)

    lines = {json.loads(t)["schema"]: json.loads(t) for t in out.getvalue().splitlines()}
    assert_valid_followthemoney(list(lines.values()))
    ship, jan, holding = lines["Vessel"], lines["Person"], lines["Ownership"]
    assert ship["id"] == f"assettrack-nlrtm-{vessel.entity_id}"
    assert ship["assettrack"]["unknown"] == ["buildDate"]
    assert ship["assettrack"]["asset"]["stage"] == "frozen"
    assert ship["assettrack"]["asset"]["decisions"][0]["reference"] == "RB-2026-1"
    assert jan["assettrack"]["case"] == {
        "reference": case.reference,
        "role": "suspect",
        "source_grade": "B",
        "info_grade": "2",
    }
    assert holding["properties"]["percentage"] == ["60"]
    assert holding["properties"]["owner"] == [jan["id"]]
    path = tmp_path / "case.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")

    again = imports.import_ftm(session, officer, case, path)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(session, Entity) == 2 and count(session, Relation) == 1


def test_export_into_another_organisation_keeps_role_and_markers(
    session, officer, case, make_user, make_case, tmp_path
):
    entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {
            "schema": "Person",
            "properties": {"name": "Jan de Vries", "birthDate": "unknown"},
            "role": "enabler",
        },
    )
    session.commit()
    out = io.StringIO()
    imports.export_ftm(session, officer, case, out)
    path = tmp_path / "case.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    antwerp = make_user("officer", "BEANR")
    other = make_case(antwerp, title="Received from Rotterdam")

    report = imports.import_ftm(session, antwerp, other, path)
    session.commit()

    assert report.created == 1
    link = session.scalar(select(CaseEntity).where(CaseEntity.case_id == other.id))
    entity = session.get(Entity, link.entity_id)
    assert link.role == "enabler"
    assert json.loads(entity.properties)["birthDate"] == ["unknown"]


# --- command line and API --------------------------------------------------------------------


def test_cli_import_ftm_shows_counts_and_exit_2_names_bad_lines(runner, case, tmp_path, session):
    good = runner.invoke(
        args=["import-ftm", str(shared_file("ftm/donations.ftm.jsonl")), "--case", case.reference]
    )
    assert good.exit_code == 0, good.output
    assert "290  Payment" in good.output and "created 474" in good.output

    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*donation_lines()[:3], "{oops", "[]"]), encoding="utf-8")
    bad = runner.invoke(args=["import-ftm", str(broken), "--case", case.reference])
    assert bad.exit_code == 2
    assert "line 4: not valid JSON" in bad.output and "line 5: not a JSON object" in bad.output

    skipped = runner.invoke(
        args=["import-ftm", str(broken), "--case", case.reference, "--skip-invalid"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert "skipped 2 bad line(s)" in skipped.output


def test_cli_export_ftm_writes_a_file(runner, case, session, officer, tmp_path):
    imports.import_ftm(session, officer, case, shared_file("ftm/donations.ftm.jsonl"))
    session.commit()
    out = tmp_path / "out.jsonl"

    result = runner.invoke(args=["export-ftm", "--case", case.reference, "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 474


@pytest.mark.backends
def test_api_import_is_a_job_and_export_is_ndjson(
    client, session, officer, case, token_for, make_user, app
):
    headers = bearer(token_for(officer))
    path = shared_file("ftm/donations.ftm.jsonl")
    with path.open("rb") as fh:
        started = client.post(
            f"/api/v1/cases/{case.id}/imports",
            data={"format": "ftm", "file": (fh, "donations.ftm.jsonl")},
            headers=headers,
            content_type="multipart/form-data",
        )
    assert started.status_code == 202, started.json
    job = client.get(started.headers["Location"], headers=headers).json
    assert job["status"] == "done", job
    assert job["kind"] == "import"

    found = client.get(f"/api/v1/entities?external_id={MLPD_ID}", headers=headers).json
    assert found["total"] == 1 and found["items"][0]["name"] == "MLPD"

    export = _issue(client, headers, kind="ftm", case=case.id, justification="JIT-2026-07")
    assert export.report["mimetype"] == "application/x-ndjson"
    assert len(export.data.decode().splitlines()) == 474
    session.expire_all()
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "disclose")
        )
        == 1
    )

    liaison = make_user("liaison", "NLRTM")
    liaison_headers = bearer(token_for(liaison))
    asked = {"kind": "ftm", "case": case.id, "justification": "JIT"}
    assert _issue(client, liaison_headers, **asked).status_code == 202
    with path.open("rb") as fh:
        refused = client.post(
            f"/api/v1/cases/{case.id}/imports",
            data={"format": "ftm", "file": (fh, "donations.ftm.jsonl")},
            headers=liaison_headers,
            content_type="multipart/form-data",
        )
    assert refused.status_code == 403
    stranger = bearer(token_for(make_user("officer", "BEANR")))
    assert _issue(client, stranger, **asked).status_code == 404


def test_api_import_of_a_bad_file_fails_the_job_naming_the_line(
    client, officer, case, token_for, tmp_path
):
    headers = bearer(token_for(officer))
    started = client.post(
        f"/api/v1/cases/{case.id}/imports",
        data={
            "format": "ftm",
            "file": (io.BytesIO(b'{"id": "a", "schema": "Persn"}\n'), "x.jsonl"),
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    job = client.get(started.headers["Location"], headers=headers).json
    assert job["status"] == "failed"
    assert "line 1: unknown FollowTheMoney schema 'Persn'" in job["error"]
    missing = client.post(
        f"/api/v1/cases/{case.id}/imports", data={"format": "pdf"}, headers=headers
    )
    assert missing.status_code == 422


def _issue(client, headers, **body):
    """Issue an export by POST (jobs run inline in tests) and fetch its file."""
    from types import SimpleNamespace

    response = client.post("/api/v1/reports", json=body, headers=headers)
    if response.status_code != 202:
        return SimpleNamespace(status_code=response.status_code, report=None, data=None)
    with client.get(response.json["links"]["file"], headers=headers) as file:
        assert file.status_code == 200, file.get_data(as_text=True)
        return SimpleNamespace(status_code=202, report=response.json, data=file.data)
