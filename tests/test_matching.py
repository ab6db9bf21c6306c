"""The pure matching core: names, scores with reasons, blocking, merge plans."""

import json
import random

import pytest

from assettrack.domain import matching
from assettrack.domain.matching import compare
from assettrack.domain.matching import find_candidates
from assettrack.domain.matching import merge_plan
from assettrack.domain.matching import record_from_ftm


def person(id, name, **props):
    return record_from_ftm(id, "Person", {"name": name, **props})


def company(id, name, **props):
    return record_from_ftm(id, "Company", {"name": name, **props})


def texts(match):
    return [f.text for f in match.factors]


def test_umlaut_spellings_of_a_company_are_near_identical():
    match = compare(
        company(1, "Müller GmbH", country="de"), company(2, "Mueller GmbH", country="de")
    )
    assert match.score > 0.75
    assert texts(match) == [
        "names 'Müller GmbH' and 'Mueller GmbH' are 97 % similar (+0.73)",
        "both registered in DE (+0.05)",
    ]


def test_titles_and_legal_forms_are_set_aside():
    assert compare(person(1, "Frau Johanna Quandt"), person(2, "Johanna Quandt")).score == 0.75
    long_form = company(3, "Müller Gesellschaft mit beschränkter Haftung")
    assert compare(long_form, company(4, "Müller GmbH")).score == 0.75


def test_other_scripts_and_word_order_meet():
    assert compare(person(1, "Viktor Ivanov"), person(2, "Виктор Иванов")).score == 0.75
    assert compare(person(1, "Hans Peter Müller"), person(2, "Müller, Hans Peter")).score == 0.75


def test_family_members_are_not_proposed():
    assert compare(person(1, "Johanna Quandt"), person(2, "Stefan Quandt")).score < 0.5


def test_different_birth_years_weigh_against():
    match = compare(
        person(1, "Hans Müller", birthDate="1965-04-01"), person(2, "Hans Müller", birthDate="1971")
    )
    assert match.score == pytest.approx(0.35)
    assert "different birth years 1965 / 1971 (−0.40)" in texts(match)


def test_same_birth_date_and_nationality_add_up():
    match = compare(
        person(1, "Jan de Vries", birthDate="1971-02-03", nationality="nl"),
        person(2, "Jan de Vries", birthDate="1971-02-03", country="nl"),
    )
    assert match.score == pytest.approx(1.0)
    assert "same birth date 1971-02-03 (+0.20)" in texts(match)
    assert "both linked to NL (+0.05)" in texts(match)


def test_a_shared_strong_identifier_is_near_certain():
    a = record_from_ftm(1, "Vessel", {"name": "Ocean Star", "imoNumber": "9074729"})
    b = record_from_ftm(2, "Vessel", {"name": "Sea Queen", "imoNumber": "IMO 9074729"})
    match = compare(a, b)
    assert match.score >= 0.98
    assert match.factors[0].text.startswith("both have IMO 9074729 (near-certain)")


def test_different_identifiers_of_one_kind_weigh_against():
    a = record_from_ftm(1, "BankAccount", {"name": "Rekening", "iban": "NL91ABNA0417164300"})
    b = record_from_ftm(2, "BankAccount", {"name": "Rekening", "iban": "DE89370400440532013000"})
    match = compare(a, b)
    assert match.score == pytest.approx(0.25)
    assert any(t.startswith("different IBAN") and t.endswith("(−0.50)") for t in texts(match))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Person", "Company"),
        ("Person", "Organization"),
        ("Company", "Vessel"),
        ("Asset", "Company"),
    ],
)
def test_incompatible_schemata_never_match(a, b):
    match = compare(
        record_from_ftm(1, a, {"name": "Atlas"}), record_from_ftm(2, b, {"name": "Atlas"})
    )
    assert match.score == 0.0
    assert texts(match) == [f"a {a} is never the same as a {b} (+0.00)"]


def test_a_legal_entity_can_be_a_person():
    assert compare(
        record_from_ftm(1, "LegalEntity", {"name": "Jan de Vries"}), person(2, "Jan de Vries")
    ).score == pytest.approx(0.75)


def test_blocking_finds_the_pairs_that_comparing_everything_finds():
    rng = random.Random(7)
    firsts = ["Jan", "Piet", "Anna", "Sophie", "Luca", "Marco", "Elena", "Ahmed", "Youssef", "Eva"]
    stems = [
        "Bakker",
        "Visser",
        "Rossi",
        "Garcia",
        "Nowak",
        "Peters",
        "Maes",
        "Weber",
        "Costa",
        "Dubois",
        "Popescu",
        "Kaya",
        "Smit",
        "Greco",
        "Moreau",
        "Lopez",
        "Wagner",
        "Claes",
    ]
    lasts = [f"{stem}{suffix}" for stem in stems for suffix in ("", "s", "man", "ink", "ello")]
    records, expected = [], set()
    for i in range(300):
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        year = str(rng.randint(1950, 2000))
        records.append(person(i, name, birthDate=year, country="nl"))
    for i in range(0, 300, 15):  # near-duplicates with a typo
        original = records[i]
        typo = original.names[0][:-1] + "x" + original.names[0][-1]
        records.append(person(1000 + i, typo, birthDate=original.birth_dates, country="nl"))
        expected.add((i, 1000 + i))
    found, stats = find_candidates(records)
    pairs = {(min(m.a, m.b), max(m.a, m.b)) for m in found}
    assert expected <= pairs
    assert stats.comparisons < stats.all_pairs / 10
    # The same answer as comparing every pair, for the pairs above the threshold.
    brute = {
        (min(a.id, b.id), max(a.id, b.id))
        for i, a in enumerate(records)
        for b in records[i + 1 :]
        if compare(a, b).score >= matching.DEFAULT_THRESHOLD
    }
    assert len(pairs) >= 0.9 * len(brute)
    assert pairs <= brute


def test_one_word_names_spelled_differently_are_compared():
    records = [company(1, "Müller GmbH"), company(2, "Mueller GmbH"), company(3, "Schmidt AG")]
    matches, _stats = find_candidates(records)
    assert [(m.a, m.b) for m in matches] == [(1, 2)]


def test_reviewed_pairs_are_left_out():
    records = [person(1, "Jan de Vries"), person(2, "Jan de Vries")]
    assert len(find_candidates(records)[0]) == 1
    assert find_candidates(records, exclude=[(2, 1)])[0] == []


def test_screen_matches_list_entries_by_name_and_birth_date():
    listed = [
        person("s1", "Ivan Petrov", birthDate="1970-05-01"),
        company("s2", "Oceanic Shipping Ltd"),
    ]
    ours = [person(10, "Ivan Petrov", birthDate="1970-05-01"), person(11, "Ivana Petrova")]
    matches, _stats = matching.screen(ours, listed)
    assert [(m.a, m.b) for m in matches] == [(10, "s1")]


# --- merge plans -----------------------------------------------------------------------------


def entity(id, schema="Person", **props):
    return {
        "id": id,
        "organisation_id": 1,
        "schema": schema,
        "merged_into_id": None,
        "properties": json.dumps(props),
        "updated_at": None,
    }


def link(id, case, entity_id, role, **extra):
    row = {
        "id": id,
        "case_id": case,
        "entity_id": entity_id,
        "role": role,
        "source_grade": None,
        "info_grade": None,
        "as_asset": False,
        "note": None,
    }
    row.update(extra)
    return row


@pytest.mark.parametrize(
    ("kept", "other", "role"),
    [
        ("associate", "suspect", "suspect"),
        ("suspect", "convicted", "convicted"),
        ("suspect", "victim", "victim"),
        ("witness", "enabler", "witness"),
        ("other", "other", "other"),
    ],
)
def test_the_stronger_role_is_kept_and_protection_is_never_lifted(kept, other, role):
    plan = merge_plan(
        entity(1, name=["A"]),
        entity(2, name=["B"]),
        case_links=[link(10, 5, 1, kept), link(11, 5, 2, other)],
    )
    assert plan.summary["case_roles"][0]["role"] == role
    assert {"op": "delete", "table": "case_entity", "row": link(11, 5, 2, other)} in plan.operations


def test_relations_and_identifiers_move_and_a_link_between_the_two_stays():
    plan = merge_plan(
        entity(1, "Company", name=["Atlas BV"]),
        entity(2, "Company", name=["Atlas B.V."], country=["nl"]),
        relations=[
            {"id": 7, "source_id": 2, "target_id": 9, "schema": "Ownership"},
            {"id": 8, "source_id": 1, "target_id": 2, "schema": "Associate"},
        ],
        identifiers=[(1, "leiCode", "X"), (2, "leiCode", "X"), (2, "registrationNumber", "nl:1")],
    )
    assert plan.summary["relations"] == [7]
    assert plan.summary["relations_left"] == [8]
    assert plan.summary["identifiers"] == [["registrationNumber", "nl:1"]]
    assert plan.summary["properties_added"] == {"alias": ["Atlas B.V."], "country": ["nl"]}


def test_two_assets_with_legal_states_are_never_merged():
    assets = {
        1: {"entity_id": 1, "stage": "frozen", "version": 2},
        2: {"entity_id": 2, "stage": "confiscated", "version": 3},
    }
    with pytest.raises(matching.MergeRefused) as refused:
        merge_plan(entity(1, "Vessel"), entity(2, "Vessel"), assets=assets)
    assert "still traced" in str(refused.value)


def test_a_traced_survivor_takes_the_legal_state_of_the_merged_asset():
    assets = {
        1: {"entity_id": 1, "stage": "traced", "version": 1, "currency": "EUR", "manager": None},
        2: {"entity_id": 2, "stage": "frozen", "version": 2, "currency": "EUR", "manager": None},
    }
    plan = merge_plan(
        entity(1, "Vessel"),
        entity(2, "Vessel"),
        assets=assets,
        asset_rows={
            "decision_asset": [{"decision_id": 4, "asset_id": 2}],
            "valuation": [{"id": 3}],
        },
    )
    assert plan.summary["asset"] == {"action": "combined", "stage": "frozen", "state_from": 2}
    update = plan.operations[0]
    assert update["table"] == "asset" and update["set"]["stage"] == ["traced", "frozen"]
    assert plan.summary["decisions"] == [4]
    assert plan.summary["valuations"] == [3]


@pytest.mark.parametrize(
    ("keep", "merge", "reason"),
    [
        (entity(1), entity(1), "itself"),
        (entity(1), dict(entity(2), organisation_id=2), "two organisations"),
        (entity(1), dict(entity(2), merged_into_id=3), "already merged"),
        (entity(1), entity(2, "Company"), "never the same"),
    ],
)
def test_refused_merges_say_why(keep, merge, reason):
    with pytest.raises(matching.MergeRefused) as refused:
        merge_plan(keep, merge)
    assert reason in str(refused.value)
