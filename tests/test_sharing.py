"""Sharing rules and redaction: which case may go to whom, why, and what a partner sees of it."""

import pytest

from assettrack.errors import NotFound
from assettrack.services import entities as entity_service
from assettrack.services import reports as report_service
from assettrack.services import sharing
from assettrack.services.sharing import PARTNER
from assettrack.services.sharing import EntityData
from assettrack.services.sharing import Recipient
from assettrack.services.sharing import Redaction

ANTWERP = Recipient("BEANR", "Antwerp", "BE")


# --- the rules, as a table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tlp", "code", "shared", "relevant", "permitted", "expected"),
    [
        ("CLEAR", "H0", False, True, False, None),
        ("GREEN", "H0", False, True, False, None),
        ("GREEN", "H0", False, False, False, "not_relevant"),
        ("GREEN", "H0", True, False, False, None),
        ("AMBER", "H1", False, True, False, "amber_not_shared"),
        ("AMBER", "H1", True, True, False, None),
        ("RED", "H0", False, True, False, "red_not_named"),
        ("RED", "H0", True, False, False, None),
        ("AMBER+STRICT", "H0", True, True, True, "amber_strict"),
        ("AMBER+STRICT", "H0", False, True, True, "amber_strict"),
        ("GREEN", "H2", True, True, False, "h2_without_permission"),
        ("GREEN", "H2", True, True, True, None),
        ("AMBER", "H2", True, True, True, None),
        ("RED", "H2", True, True, False, "h2_without_permission"),
        ("AMBER", "H3", True, True, False, None),
    ],
)
def test_sharing_rules(tlp, code, shared, relevant, permitted, expected):
    assert (
        sharing.withheld_because(
            tlp, code, shared=shared, relevant=relevant, permitted=permitted
        )
        == expected
    )


def test_amber_strict_is_never_included_whatever_else_holds():
    for shared in (False, True):
        for relevant in (False, True):
            for permitted in (False, True):
                for code in ("H0", "H1", "H2", "H3"):
                    assert sharing.withheld_because(
                        "AMBER+STRICT", code, shared=shared, relevant=relevant, permitted=permitted
                    ) == "amber_strict"


def test_the_report_is_marked_by_its_most_restrictive_case():
    assert sharing.highest_tlp(["CLEAR", "GREEN"]) == "GREEN"
    assert sharing.highest_tlp(["GREEN", "AMBER"]) == "AMBER"
    assert sharing.highest_tlp(["AMBER", "RED", "GREEN"]) == "RED"


# --- relevance ---------------------------------------------------------------------------------


def _names(entity_id, caption):
    return caption


def test_an_entity_in_the_recipients_country_or_city_makes_a_case_relevant():
    entities = [
        EntityData(1, "Company", "Schelde Trading NV", {"jurisdiction": ["be"]}),
        EntityData(
            2, "Vessel", "Nordzee Trader", {"flag": ["mt"], "registrationPort": ["Antwerpen"]}
        ),
        EntityData(3, "BankAccount", "BE71096123456769", {"iban": ["BE71096123456769"]}),
        EntityData(4, "Person", "Jan Peeters", {"address": ["Meir 12, 2000 Antwerpen"]}),
    ]
    reasons = [str(r) for r in sharing.relevance(entities, ANTWERP, shared=False, hits={},
                                                 name=_names)]
    assert "Schelde Trading NV is registered in BE" in reasons
    assert "Nordzee Trader has an address in Antwerp" in reasons
    assert "BE71096123456769 is an account held in BE" in reasons
    assert "Jan Peeters has an address in Antwerp" in reasons


def test_nothing_relates_a_dutch_case_to_antwerp():
    entities = [
        EntityData(1, "Company", "Maas Zuid Holding BV", {"jurisdiction": ["nl"]}),
        EntityData(2, "RealEstate", "Villa", {"address": ["Kralingse Plaslaan 112, Rotterdam"]}),
    ]
    assert sharing.relevance(entities, ANTWERP, shared=False, hits={}, name=_names) == []


def test_a_cross_case_hit_and_an_explicit_share_are_reasons():
    entities = [EntityData(5, "Vessel", "Nordzee Trader", {"imoNumber": ["9321483"]})]
    reasons = [
        str(r)
        for r in sharing.relevance(
            entities, ANTWERP, shared=True, hits={5: ["imoNumber"]}, name=_names
        )
    ]
    assert reasons == [
        "the owning organisation shared the case with BEANR",
        "Nordzee Trader also appears in a case of BEANR (same imoNumber)",
    ]


def test_reasons_name_a_protected_person_by_its_label_only():
    redaction = Redaction(PARTNER)
    victim = EntityData(9, "Person", "Anneke Visser", {"nationality": ["be"]}, {"victim"})
    redaction.register(victim)
    reasons = sharing.relevance([victim], ANTWERP, shared=False, hits={}, name=redaction.name)
    assert [str(r) for r in reasons] == ["Victim 1 is a national of BE"]


# --- redaction ---------------------------------------------------------------------------------


def _victim():
    return EntityData(
        1,
        "Person",
        "Kees Jansen",
        {
            "name": ["Kees Jansen"],
            "birthDate": ["1961-07-02"],
            "passportNumber": ["NX4471208"],
            "address": ["Oranjeboomstraat 41, Rotterdam"],
            "nationality": ["nl"],
        },
        {"victim"},
        [("passportNumber", "NX4471208")],
    )


def test_victims_witnesses_and_other_persons_become_numbered_labels():
    redaction = Redaction(PARTNER)
    redaction.register(_victim())
    redaction.register(EntityData(2, "Person", "Fatima El Amrani", {}, {"witness"}))
    redaction.register(EntityData(3, "Person", "Ilse de Groot", {}, {"witness"}))
    redaction.register(EntityData(4, "Person", "Jan de Wit", {}, {"other"}))
    redaction.register(EntityData(5, "Vessel", "Nordzee Trader", {}, {"other"}))
    assert [redaction.name(i, "") for i in (1, 2, 3, 4)] == [
        "Victim 1",
        "Witness 1",
        "Witness 2",
        "Other 1",
    ]
    assert redaction.name(5, "Nordzee Trader") == "Nordzee Trader"  # an asset is not a person
    assert redaction.details(1) == []


def test_a_protected_persons_values_are_scrubbed_from_every_text():
    redaction = Redaction(PARTNER)
    redaction.register(_victim())
    text = (
        "Kees Jansen (born 02/07/1961, passport NX4471208) of Oranjeboomstraat 41, Rotterdam "
        "told the police; JANSEN was paid on 1961-07-02."
    )
    scrubbed = redaction.text(text)
    for value in ("Kees", "Jansen", "JANSEN", "NX4471208", "Oranjeboomstraat", "1961-07-02",
                  "02/07/1961"):
        assert value not in scrubbed
    # Masked, not labelled: a text naming "Jansen" may speak of a namesake.
    assert scrubbed.count("█████") >= 5
    assert "Victim 1" not in scrubbed


def test_a_victim_stays_protected_where_another_case_names_it_as_suspect():
    redaction = Redaction(PARTNER)
    redaction.register(EntityData(1, "Person", "Kees Jansen", {}, {"suspect"}))
    redaction.register(EntityData(1, "Person", "Kees Jansen", {}, {"victim"}))
    assert redaction.name(1, "Kees Jansen") == "Victim 1"


def test_a_suspect_keeps_name_and_birth_year_only_for_partners():
    suspect = EntityData(
        7,
        "Person",
        "Dennis van der Berg",
        {
            "name": ["Dennis van der Berg"],
            "birthDate": ["1979-03-14"],
            "idNumber": ["IX55013377"],
            "address": ["Kralingse Plaslaan 3, Rotterdam"],
            "nationality": ["nl"],
        },
        {"suspect"},
        [("idNumber", "IX55013377")],
    )
    partner = Redaction(PARTNER)
    partner.register(suspect)
    assert partner.name(7, suspect.caption) == "Dennis van der Berg"
    shown = {str(label): value for label, value in partner.details(7)}
    assert shown == {"born in": "1979", "nationality": "nl"}
    assert partner.text("ID IX55013377, born 14.03.1979") == "ID […], born […]"
    internal = Redaction(sharing.INTERNAL)
    internal.register(suspect)
    shown = {str(label): value for label, value in internal.details(7)}
    assert shown["born"] == "1979-03-14" and shown["ID number"] == "IX55013377"


def test_labels_are_written_in_the_documents_language():
    french = Redaction(PARTNER, translate=report_service._translator("fr"))
    french.register(_victim())
    assert french.name(1, "Kees Jansen") == "Victime 1"


def test_an_asset_named_after_a_victim_loses_the_name_but_not_to_a_label():
    redaction = Redaction(PARTNER)
    redaction.register(_victim())
    redaction.register(EntityData(8, "RealEstate", "House of Kees Jansen", {}, {"other"}))
    assert redaction.name(8, "House of Kees Jansen") == "House of █████"


# --- scoped queries ----------------------------------------------------------------------------


@pytest.fixture
def officers(make_user):
    return make_user("officer", "NLRTM"), make_user("officer", "BEANR"), make_user("officer",
                                                                                   "DEHAM")


def _vessel(session, user, case, imo="9321483", role="other"):
    return entity_service.add_entity_to_case(
        session,
        user,
        case,
        {"schema": "Vessel", "properties": {"name": "Nordzee Trader", "imoNumber": imo},
         "role": role},
    ).entity_id


@pytest.mark.backends
def test_identifier_hits_answer_only_for_the_recipients_entities(session, officers, make_case):
    rotterdam, antwerp, hamburg = officers
    ours = make_case(rotterdam, tlp="GREEN")
    vessel = _vessel(session, rotterdam, ours)
    theirs = make_case(antwerp, tlp="AMBER")
    _vessel(session, antwerp, theirs)
    session.commit()
    beanr = report_service.recipient_choices(session, rotterdam)
    by_code = {o.code: o.id for o in beanr}
    assert sharing.identifier_hits(session, [ours.id], by_code["BEANR"]) == {
        vessel: ["imoNumber"]
    }
    assert sharing.identifier_hits(session, [ours.id], by_code["DEHAM"]) == {}


@pytest.mark.backends
def test_shared_reading_follows_the_same_rules(session, officers, make_case):
    rotterdam, antwerp, hamburg = officers
    green = make_case(rotterdam, tlp="GREEN", shared_with=["BEANR"])
    h2 = make_case(rotterdam, tlp="AMBER", handling_code="H2", shared_with=["BEANR"])
    red_for_hamburg = make_case(rotterdam, tlp="RED", shared_with=["DEHAM"])
    make_case(rotterdam, tlp="AMBER+STRICT")
    readable = [case.id for case, _org in sharing.shared_cases(session, antwerp)]
    assert readable == [green.id]
    with pytest.raises(NotFound):
        sharing.get_shared_case(session, antwerp, red_for_hamburg.id)
    with pytest.raises(NotFound):
        sharing.get_shared_case(session, antwerp, h2.id)
    report_service.record_permission(
        session,
        rotterdam,
        h2,
        {"recipient": "BEANR", "granted_by": "Officier van justitie Rotterdam",
         "granted_on": h2.opened_on.isoformat()},
    )
    session.commit()
    assert sharing.get_shared_case(session, antwerp, h2.id)[1].code == "BEANR"
    assert [c.id for c, _o in sharing.shared_cases(session, hamburg)] == [red_for_hamburg.id]
    # The owning organisation reads its own cases through access.py, not as shared ones.
    assert sharing.shared_cases(session, rotterdam) == []


def test_a_protected_company_is_scrubbed_by_its_whole_name_not_its_words():
    redaction = Redaction(PARTNER)
    redaction.register(
        EntityData(3, "Company", "Rotterdam Shipping BV", {"name": ["Rotterdam Shipping BV"],
                                                           "registrationNumber": ["24999111"]},
                   {"victim"})
    )
    text = "Rotterdam Shipping BV (24999111) lost its cargo; Rechtbank Rotterdam froze the ship."
    assert redaction.text(text) == (
        "█████ (█████) lost its cargo; Rechtbank Rotterdam froze the ship."
    )
