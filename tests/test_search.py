"""Search (services/search.py): the same queries give the same results on SQLite and PostgreSQL;
the key follows every write path (forms, API, FtM import, merge, edits); scope and audit."""

import json

import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from assettrack.errors import Invalid
from assettrack.models import AuditEntry
from assettrack.models import Entity
from assettrack.models import SearchKey
from assettrack.services import duplicates
from assettrack.services import imports
from assettrack.services import search as search_service
from assettrack.services.entities import add_entity_to_case

pytestmark = pytest.mark.backends


def add(session, user, case, schema, role="suspect", **properties):
    link = add_entity_to_case(
        session,
        user,
        case,
        {"schema": schema, "properties": {k: [v] for k, v in properties.items()}, "role": role},
    )
    session.commit()
    return link.entity_id


@pytest.fixture
def world(session, make_user, make_case):
    """Rotterdam's officer with a case of people, a vessel, an account and a company."""
    officer = make_user("officer", "NLRTM")
    case = make_case(officer, title="Sea Breeze laundering")
    ids = {
        "johan": add(session, officer, case, "Person", name="Jóhan de Wit"),
        "ivan": add(session, officer, case, "Person", name="Йохан Шмидт"),
        "vessel": add(session, officer, case, "Vessel", name="Sea Breeze", imoNumber="9074729"),
        "account": add(session, officer, case, "BankAccount", iban="NL91ABNA0417164300"),
        "company": add(
            session,
            officer,
            case,
            "Company",
            name="Havenbedrijf Noord B.V.",
            registrationNumber="B 123.456",
            jurisdiction="lu",
        ),
        "victim": add(session, officer, case, "Person", role="victim", name="Anna Victima"),
    }
    return officer, case, ids


def found(session, user, q, **kw):
    results = search_service.search(session, user, q, **kw)
    session.commit()
    return {(item["type"], item["id"]) for items in results.items.values() for item in items}


QUERIES = [
    ("de wit johan", {"johan"}),
    ("Jóhan", {"johan", "ivan"}),  # Йохан is transliterated "johan"
    ("JOHAN DE", {"johan"}),
    ("wit de", {"johan"}),
    ("Шмидт", {"ivan"}),
    ("smidt", {"ivan"}),
    ("IMO 9074729", {"vessel"}),
    ("9074729", {"vessel"}),
    ("imo9074729", {"vessel"}),
    ("NL91 ABNA 0417 1643 00", {"account"}),
    ("0417 1643", {"account"}),
    ("B123456", {"company"}),
    ("b 123.456", {"company"}),
    ("noord havenbedrijf", {"company"}),
    ("sea bree", {"vessel"}),
    ("nobody here", set()),
]


@pytest.mark.parametrize(("q", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_the_same_queries_find_the_same_entities_on_both_databases(session, world, q, expected):
    officer, _case, ids = world
    expected_ids = {("entity", ids[name]) for name in expected}
    entities = {hit for hit in found(session, officer, q) if hit[0] == "entity"}
    assert entities == expected_ids


def test_transliteration_meets_the_latin_spelling(session, world):
    officer, _case, ids = world
    assert found(session, officer, "johan smidt") == {("entity", ids["ivan"])}


def test_cases_are_found_by_reference_and_title(session, world):
    officer, case, _ids = world
    assert ("case", case.id) in found(session, officer, case.reference)
    assert ("case", case.id) in found(session, officer, "laundering")
    assert ("case", case.id) in found(session, officer, case.reference.lower().replace("-", " "))


def test_results_are_grouped_counted_and_paged(session, world, make_case):
    officer, case, _ids = world
    for n in range(25):
        add(session, officer, case, "Person", name=f"Pieter Jansen {n:02d}")
    results = search_service.search(session, officer, "jansen")
    assert results.counts == {"people": 25}
    assert len(results.items["people"]) == search_service.GROUP_PREVIEW
    page2 = search_service.search(session, officer, "jansen", kind="people", page=2)
    assert page2.pages == 2
    assert [i["label"] for i in page2.items["people"]] == [
        f"Pieter Jansen {n:02d}" for n in range(20, 25)
    ]
    mixed = search_service.search(session, officer, "sea breeze")
    assert list(mixed.counts) == ["cases", "vehicles"]


def test_an_officer_of_another_city_finds_nothing(session, world, make_user):
    _officer, _case, _ids = world
    antwerp = make_user("officer", "BEANR")
    assert found(session, antwerp, "de wit johan") == set()
    assert found(session, antwerp, "9074729") == set()


def test_a_liaison_finds_protected_persons_only_with_the_names_flag(session, world, make_user):
    _officer, _case, ids = world
    liaison = make_user("liaison", "BEANR", "NLRTM")
    assert found(session, liaison, "de wit") == {("entity", ids["johan"])}
    from assettrack.models import UserOrganisation

    session.execute(update(UserOrganisation).values(names=False))
    session.commit()
    session.info.pop("access.named_organisation_ids", None)
    assert found(session, liaison, "anna victima") == set()
    session.execute(update(UserOrganisation).values(names=True))
    session.commit()
    session.info.pop("access.named_organisation_ids", None)
    assert found(session, liaison, "anna victima") == {("entity", ids["victim"])}


def test_a_search_records_the_query_and_the_ids_shown(session, world):
    officer, _case, ids = world
    search_service.search(session, officer, "de wit johan")
    session.commit()
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "search").order_by(AuditEntry.seq)
    ).all()[-1]
    details = json.loads(entry.details) if isinstance(entry.details, str) else entry.details
    assert details["query"] == "de wit johan"
    assert details["shown"] == {"entity": [ids["johan"]], "case": []}


@pytest.mark.parametrize(
    ("q", "field"), [("x" * 201, "q"), ("a b c d e f g h i", "q")], ids=["long", "words"]
)
def test_queries_are_bounded(session, world, q, field):
    officer, _case, _ids = world
    with pytest.raises(Invalid) as caught:
        search_service.search(session, officer, q)
    assert field in caught.value.errors


def test_an_unknown_kind_is_refused(session, world):
    officer, _case, _ids = world
    with pytest.raises(Invalid) as caught:
        search_service.search(session, officer, "wit", kind="spaceships")
    assert "kind" in caught.value.errors


def test_punctuation_alone_finds_nothing(session, world):
    officer, _case, _ids = world
    assert found(session, officer, "\"'*:()&|!") == set()
    assert found(session, officer, "") == set()


def test_an_ftm_import_is_searchable_and_a_changed_import_too(session, world, tmp_path):
    officer, case, _ids = world
    path = tmp_path / "in.ftm.json"
    lines = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Marijke van Dam"]}},
        {
            "id": "v1",
            "schema": "Vessel",
            "properties": {"name": ["Nordzee Trader"], "imoNumber": ["IMO 9321483"]},
        },
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    imports.import_ftm(session, officer, case, path)
    session.commit()
    [person] = found(session, officer, "van dam marijke")
    assert found(session, officer, "IMO 9321483") and found(session, officer, "nordzee")
    lines[0]["properties"]["name"] = ["Marijke de Boer"]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    imports.import_ftm(session, officer, case, path)
    session.commit()
    assert found(session, officer, "van dam marijke") == set()
    assert found(session, officer, "marijke boer") == {person}


def test_a_merge_moves_the_identifiers_to_the_survivor(session, world):
    officer, case, ids = world
    twin = add(session, officer, case, "Vessel", name="Seabreeze Two", imoNumber="9176187")
    duplicates.merge(session, officer, ids["vessel"], twin)
    session.commit()
    # The survivor takes the merged vessel's name as an alias; the merged one is gone.
    assert found(session, officer, "seabreeze two") == {("entity", ids["vessel"])}
    assert found(session, officer, "9176187") == {("entity", ids["vessel"])}


def test_an_edit_through_the_orm_and_a_core_update_follow(session, world):
    officer, _case, ids = world
    entity = session.get(Entity, ids["johan"])
    entity.caption = "Johanna de Wit"
    session.add(entity)
    session.commit()
    assert found(session, officer, "johanna") == {("entity", ids["johan"])}
    session.execute(update(Entity).where(Entity.id == ids["ivan"]).values(caption="Ivan Petrov"))
    session.commit()
    assert found(session, officer, "petrov") == {("entity", ids["ivan"])}


def test_a_rollback_forgets_what_it_noted(session, world):
    officer, case, _ids = world
    add_entity_to_case(
        session, officer, case, {"schema": "Person", "properties": {"name": ["Ghost Writer"]}}
    )
    session.rollback()
    assert found(session, officer, "ghost writer") == set()


def test_reindex_all_rebuilds_the_keys_as_the_migration_does(session, world):
    officer, _case, ids = world
    before = found(session, officer, "de wit johan")
    session.execute(delete(SearchKey))
    session.commit()
    assert found(session, officer, "de wit johan") == set()
    search_service.reindex_all(session.connection(), fresh=True)
    session.commit()
    assert found(session, officer, "de wit johan") == before == {("entity", ids["johan"])}


def test_the_migration_indexes_what_was_there_before_it(tmp_path, app, backend):
    """Upgrading a database that holds entities gives them their search keys."""
    if backend != "sqlite":
        pytest.skip("the upgrade runs on a file of its own")
    from sqlalchemy import create_engine
    from sqlalchemy import text

    from assettrack.cli import migrate

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    with app.app_context():
        migrate(url, "0009")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisation (id, code, name, country, timezone, language, kind,"
                    " created_at) VALUES (1, 'NLRTM', 'Rotterdam', 'NL', 'Europe/Amsterdam',"
                    " 'nl', 'local', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO entity (id, organisation_id, schema, caption, caption_norm,"
                    " properties, created_at, updated_at) VALUES (1, 1, 'Vessel', 'Sea Breeze',"
                    " 'sea breeze', '{\"imoNumber\": [\"9074729\"]}', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO entity_identifier (entity_id, kind, value)"
                    " VALUES (1, 'imoNumber', '9074729')"
                )
            )
        migrate(url, "heads")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT k.object_id, k.grp FROM search_key k WHERE k.id IN"
                    " (SELECT rowid FROM search_idents WHERE search_idents MATCH '\"9074729\"')"
                )
            ).all()
        engine.dispose()
    assert rows == [(1, "vehicles")]
