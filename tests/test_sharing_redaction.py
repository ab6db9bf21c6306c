"""Redaction by identity: a protected person is labelled where *it* appears, and its name found
in other names or texts is a mention the issuing officer decides about — never a label."""

import io
import json

import pytest
from sqlalchemy import select

from assettrack.domain import mentions
from assettrack.errors import AccessDenied
from assettrack.errors import Invalid
from assettrack.models import Report
from assettrack.models import UserOrganisation
from assettrack.services import case_view
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import imports
from assettrack.services import reports as report_service
from assettrack.services import sharing
from assettrack.services.sharing import PARTNER
from assettrack.services.sharing import EntityData
from assettrack.services.sharing import Redaction

MARK = mentions.MASK_MARK


def _smit_document(**choices):
    redaction = Redaction(PARTNER, choices=choices)
    redaction.register(
        EntityData(1, "Person", "Marieke Smit", {"name": ["Marieke Smit"]}, {"other"})
    )
    redaction.register(EntityData(2, "Company", "Smit Havenservice BV", {}, {"suspect"}))
    redaction.register(EntityData(3, "Vessel", "Smit Trader", {"imoNumber": ["9321483"]}, {}))
    return redaction


# --- the Smit walk ------------------------------------------------------------------------------


def test_a_company_and_a_vessel_sharing_a_surname_keep_their_true_names():
    redaction = _smit_document()

    assert redaction.name(1, "Marieke Smit") == "Other 1"
    assert redaction.name(2, "Smit Havenservice BV") == "Smit Havenservice BV"
    assert redaction.name(3, "Smit Trader") == "Smit Trader"
    flagged = redaction.mentions()
    assert [(m.entity_id, m.kind, m.match, m.default) for m in flagged] == [
        (2, "name", "partial", "keep"),
        (3, "name", "partial", "keep"),
    ]
    assert all(m.options == ("keep", "mask", "withhold") for m in flagged)


def test_the_officer_may_mask_the_part_or_withhold_the_entity_but_never_label_it():
    preview = _smit_document()
    for entity_id, caption in ((2, "Smit Havenservice BV"), (3, "Smit Trader")):
        preview.name(entity_id, caption)
    keys = {m.entity_id: m.key for m in preview.mentions()}
    redaction = _smit_document(**{keys[2]: "mask", keys[3]: "withhold"})

    assert redaction.name(2, "Smit Havenservice BV") == f"{MARK} Havenservice BV"
    assert redaction.is_withheld(3)
    assert redaction.details(3) == []  # nothing of a withheld entity, not even its IMO
    assert "Other 1" not in redaction.name(2, "Smit Havenservice BV")


def test_a_full_protected_name_inside_another_name_is_masked_and_cannot_be_kept():
    redaction = Redaction(PARTNER)
    redaction.register(EntityData(1, "Person", "Marieke Smit", {}, {"victim"}))
    redaction.register(EntityData(4, "Company", "Marieke Smit Holding BV", {}, {"suspect"}))

    assert redaction.name(4, "Marieke Smit Holding BV") == f"{MARK} Holding BV"
    [mention] = redaction.mentions()
    assert (mention.match, mention.default, mention.options) == (
        "full",
        "mask",
        ("mask", "withhold"),
    )
    assert mentions.invalid_choices([mention], {mention.key: "keep"}) == {
        mention.key: "not allowed for this mention"
    }


def test_a_namesake_is_masked_not_given_the_victims_label():
    redaction = Redaction(PARTNER)
    redaction.register(EntityData(1, "Person", "Marieke Smit", {}, {"victim"}))
    redaction.register(EntityData(5, "Person", "Marieke Smit", {}, {"suspect"}))

    assert redaction.name(1, "Marieke Smit") == "Victim 1"
    assert redaction.name(5, "Marieke Smit") == MARK


@pytest.mark.parametrize(
    ("protected", "text", "gone"),
    [
        # surname equal to a word of the text
        ("Marieke Smit", "Payment approved by Smit on Monday.", ["Smit"]),
        # initials
        ("Marieke Smit", "Statement signed by M. Smit in Rotterdam.", ["M. Smit", "Smit"]),
        ("Marieke Smit", "Statement signed by Smit, M. in Rotterdam.", ["Smit, M."]),
        # word order and case
        ("Marieke Smit", "Witness: SMIT, Marieke (see annex).", ["SMIT", "Marieke"]),
        # diacritics and transliterations, both ways
        ("Jürgen Müller", "Meeting with Juergen Mueller at the quay.", ["Juergen", "Mueller"]),
        ("Jürgen Müller", "Meeting with Jurgen Muller at the quay.", ["Jurgen", "Muller"]),
        ("Juergen Mueller", "Meeting with Jürgen Müller at the quay.", ["Jürgen", "Müller"]),
        ("Ivan Šimić", "Transfer ordered by Ivan Simic.", ["Ivan Simic"]),
        ("Ivan Simic", "Transfer ordered by Ivan Šimić.", ["Ivan Šimić"]),
        ("Андрей Иванов", "Cash handed to Andrej Ivanov.", ["Andrej", "Ivanov"]),
    ],
)
def test_protected_names_are_found_normalised_in_notes_and_decision_texts(protected, text, gone):
    redaction = Redaction(PARTNER)
    redaction.register(EntityData(1, "Person", protected, {}, {"witness"}))

    scrubbed = redaction.text(text)

    for value in gone:
        assert value not in scrubbed
    assert MARK in scrubbed
    assert "Witness 1" not in scrubbed  # a mask, never a label
    assert scrubbed.split(MARK)[0] == text.split(gone[0])[0]  # the rest of the text stands


def test_words_that_merely_contain_a_protected_name_are_untouched():
    redaction = Redaction(PARTNER)
    redaction.register(EntityData(1, "Person", "Marieke Smit", {}, {"other"}))

    assert redaction.text("Warehouse at Smitweg 4, Smithfield Ltd") == (
        "Warehouse at Smitweg 4, Smithfield Ltd"
    )
    assert redaction.mentions() == []


def test_a_partial_match_in_free_text_may_be_kept_by_choice():
    redaction = Redaction(PARTNER)
    redaction.register(EntityData(1, "Person", "Marieke Smit", {}, {"other"}))
    note = "Invoice of Smit Havenservice BV"
    assert redaction.text(note) == f"Invoice of {MARK} Havenservice BV"
    [mention] = redaction.mentions()

    kept = Redaction(PARTNER, choices={mention.key: "keep"})
    kept.register(EntityData(1, "Person", "Marieke Smit", {}, {"other"}))
    assert kept.text(note) == note


def test_earlier_choices_are_prefilled_and_dropped_when_the_text_changes():
    smit = mentions.Protected(1, "Other 1", ("Marieke Smit",), given=("Marieke",))
    before = mentions.TextField("entity:2:name", "Smit Havenservice BV", mentions.NAME, 2)
    [mention] = mentions.protected_mentions([before], [smit])
    earlier = {mention.key: "withhold"}

    again = mentions.protected_mentions([before], [smit])
    assert mentions.prefill(again, earlier) == {mention.key: "withhold"}

    renamed = mentions.TextField("entity:2:name", "Smit Havenservice B.V.", mentions.NAME, 2)
    [changed] = mentions.protected_mentions([renamed], [smit])
    assert changed.key != mention.key
    assert mentions.prefill([changed], earlier) == {changed.key: "keep"}


def test_apply_choices_gives_every_text_and_what_is_withheld():
    smit = mentions.Protected(1, "Other 1", ("Marieke Smit",), given=("Marieke",))
    fields = [
        mentions.TextField("entity:2:name", "Smit Havenservice BV", mentions.NAME, 2),
        mentions.TextField("entity:3:name", "Smit Trader", mentions.NAME, 3),
        mentions.TextField("case:9:summary", "Marieke Smit tipped off the harbour master."),
        mentions.TextField("case:9:title", "Reefer containers"),
    ]
    found = mentions.protected_mentions(fields, [smit])
    by_entity = {m.entity_id: m.key for m in found}

    applied = mentions.apply_choices(fields, found, {by_entity[3]: "withhold"})

    assert applied.texts == {
        "entity:2:name": "Smit Havenservice BV",
        "entity:3:name": MARK,
        "case:9:summary": f"{MARK} tipped off the harbour master.",
        "case:9:title": "Reefer containers",
    }
    assert applied.withheld_entities == {3}


# --- through the services -----------------------------------------------------------------------


@pytest.fixture
def officers(make_user):
    return make_user("officer", "NLRTM"), make_user("officer", "BEANR")


def _smit_case(session, officer, make_case, **case):
    case = make_case(
        officer,
        title="Reefer containers",
        summary="Tip from Marieke Smit about the night shift.",
        tlp="GREEN",
        shared_with=["BEANR"],
        **case,
    )

    def add(schema, name, role, **extra):
        data = {"schema": schema, "properties": {"name": [name], **extra}, "role": role}
        return entity_service.add_entity_to_case(session, officer, case, data).entity_id

    smit = add("Person", "Marieke Smit", "victim", passportNumber=["NX4471208"])
    company = add("Company", "Smit Havenservice BV", "suspect", registrationNumber=["24999111"])
    vessel = add("Vessel", "Smit Trader", "other", imoNumber=["9321483"])
    car = add("Vehicle", "Audi Q7", "other")
    # The protected person is also a director elsewhere in the case.
    entity_service.create_relation(
        session, officer, {"schema": "Directorship", "source": smit, "target": company}
    )
    entity_service.create_relation(
        session, officer, {"schema": "Ownership", "source": company, "target": vessel}
    )
    session.commit()
    release = {
        "action": "release",
        "asset_ids": [car],
        "decided_on": case.opened_on.isoformat(),
        "authority": "Rechtbank Rotterdam",
        "reference": "RC-7",
        "legal_basis": "Art. 94 Sv",
        "reason": "Ownership proven by M. Smit",
    }
    decision_service.record_decision(session, officer, case, release)
    session.commit()
    return case, {"smit": smit, "company": company, "vessel": vessel}


@pytest.mark.backends
def test_a_shared_reading_labels_the_victim_everywhere_and_keeps_other_names(
    session, officers, make_case
):
    rotterdam, antwerp = officers
    case, ids = _smit_case(session, rotterdam, make_case)

    context = report_service.shared_case_context(session, antwerp, case.id)
    section = context["case"]

    names = {row["id"]: row["name"] for row in section["entities"]}
    assert names[ids["smit"]] == "Victim 1"
    assert names[ids["company"]] == "Smit Havenservice BV"
    assert names[ids["vessel"]] == "Smit Trader"
    assert section["summary"] == f"Tip from {MARK} about the night shift."
    [decision] = section["decisions"]
    assert decision["reason"] == f"Ownership proven by {MARK}"
    svg = section["network"]["svg"]
    assert "Victim 1" in svg and "Smit Havenservice BV" in svg
    dumped = json.dumps(section, default=str)
    for secret in ("Marieke", "NX4471208", "Other 1 Havenservice", "Victim 1 Havenservice"):
        assert secret not in dumped and secret not in svg


@pytest.mark.backends
def test_the_partner_report_of_the_smit_walk_states_no_false_name(session, officers, make_case):
    rotterdam, _antwerp = officers
    case, ids = _smit_case(session, rotterdam, make_case)
    today = case.opened_on
    period = report_service.parse_period(year=today.year, today=today)

    context = report_service.partner_report_context(session, rotterdam, "BEANR", period)

    dumped = json.dumps(context, default=str, ensure_ascii=False)
    assert "Smit Havenservice BV" in dumped and "Smit Trader" in dumped
    for false_or_secret in (
        "Other 1 Havenservice",
        "Victim 1 Havenservice",
        "Victim 1 Trader",
        "Other 1 Trader",
        "Marieke",
        "NX4471208",
    ):
        assert false_or_secret not in dumped
    [section] = context["cases"]
    assert "Victim 1" in {row["name"] for row in section["entities"]}


@pytest.mark.backends
def test_choices_are_recorded_with_the_disclosure_and_offered_again(session, officers, make_case):
    rotterdam, antwerp = officers
    case, ids = _smit_case(session, rotterdam, make_case)
    redaction = Redaction(PARTNER)
    for entity in sharing.load_entities(session, [case.id]).values():
        redaction.register(entity)
    for entity_id, entity in sharing.load_entities(session, [case.id]).items():
        redaction.name(entity_id, entity.caption)
    redaction.text(case.summary)
    found = redaction.mentions()
    company = next(m for m in found if m.entity_id == ids["company"])
    report = _report(session, rotterdam, antwerp)

    with pytest.raises(Invalid) as bad:
        sharing.record_choices(session, rotterdam, report.id, [case.id], found, {"nope": "keep"})
    assert list(bad.value.errors) == ["choices/nope"]
    rows = sharing.record_choices(
        session, rotterdam, report.id, [case.id], found, {company.key: "withhold"}
    )
    session.commit()

    assert {r.mention_key: r.choice for r in rows}[company.key] == "withhold"
    assert {r.case_id for r in rows} == {case.id}
    preview = sharing.preview_choices(session, rotterdam.organisation_id, found)
    assert {p["key"]: p["choice"] for p in preview}[company.key] == "withhold"
    # Another organisation's choices are not offered.
    assert sharing.earlier_choices(session, antwerp.organisation_id, [company.key]) == {}


def _report(session, issuer, recipient):
    report = Report(
        kind="partner",
        issuing_organisation_id=issuer.organisation_id,
        recipient_organisation_id=recipient.organisation_id,
        tlp="GREEN",
        context_hash="0" * 64,
        created_by_id=issuer.id,
    )
    session.add(report)
    session.flush()
    return report


@pytest.mark.backends
def test_a_redacted_ftm_export_gives_the_victim_a_new_id_and_nothing_else(
    session, officers, make_case
):
    rotterdam, _antwerp = officers
    case, ids = _smit_case(session, rotterdam, make_case)
    out = io.StringIO()
    imports.export_ftm(session, rotterdam, case, out, justification="test")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    entities = sharing.load_entities(session, [case.id])
    ftm_ids = {imports.export_id("NLRTM", e): e.id for e in _entity_rows(session, entities)}
    redaction = Redaction(PARTNER)
    for entity in entities.values():
        redaction.register(entity)
    victim_ftm = next(f for f, i in ftm_ids.items() if i == ids["smit"])

    first = list(sharing.redacted_ftm(lines, redaction, ftm_ids))
    second = list(sharing.redacted_ftm(lines, redaction, ftm_ids))

    [victim] = [line for line in first if line.get("assettrack", {}).get("redacted")]
    assert victim["properties"] == {"name": ["Victim 1"]}
    assert victim["id"].startswith("redacted-") and victim_ftm not in victim["id"]
    assert victim["id"] not in {line["id"] for line in second}  # new for each disclosure
    [directorship] = [line for line in first if line["schema"] == "Directorship"]
    assert directorship["properties"]["director"] == [victim["id"]]
    dumped = json.dumps(first, ensure_ascii=False)
    for secret in ("Marieke", "NX4471208", victim_ftm):
        assert secret not in dumped
    assert "Smit Havenservice BV" in dumped and "Smit Trader" in dumped


def _entity_rows(session, entities):
    from assettrack.models import Entity

    return session.scalars(select(Entity).where(Entity.id.in_(list(entities))))


# --- the names flag on grants -------------------------------------------------------------------


@pytest.mark.backends
def test_a_new_liaison_grant_shows_labels_until_the_names_flag_is_set(
    session, make_user, make_case
):
    officer = make_user("officer", "NLRTM")
    liaison = make_user("liaison", "DEHAM", "NLRTM")
    case = make_case(officer, tlp="AMBER")
    entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {"schema": "Person", "properties": {"name": ["Anneke Visser"]}, "role": "witness"},
    )
    session.commit()

    def shown(user):
        _forget_access(session)
        return [str(e["name"]) for e in case_view.case_entities(session, user, case)]

    assert shown(officer) == ["Anneke Visser"]
    assert shown(liaison) == ["Witness 1"]
    assert sharing.screen_level(session, liaison, case) == PARTNER
    grant = session.scalar(
        select(UserOrganisation).where(
            UserOrganisation.user_id == liaison.id,
            UserOrganisation.organisation_id == case.organisation_id,
        )
    )
    grant.names = True
    session.commit()
    assert shown(liaison) == ["Anneke Visser"]
    # On screen only: whatever the flag, an export made by a liaison labels.
    assert sharing.export_level(liaison, case) == PARTNER
    assert sharing.export_level(officer, case) == sharing.INTERNAL


@pytest.mark.backends
def test_grants_with_names_are_listed_for_their_organisation_admin(session, make_user):
    admin = make_user("admin", "NLRTM")
    other_admin = make_user("admin", "BEANR")
    named = make_user("liaison", "DEHAM", "NLRTM", name="Anna Named")
    make_user("liaison", "DEHAM", "NLRTM", name="Bert Unnamed")
    grant = session.get(UserOrganisation, (named.id, admin.organisation_id))
    grant.names = True
    session.commit()

    listed = sharing.grants_with_names(session, admin, admin.organisation_id)

    assert [(g["name"], g["home"]) for g in listed] == [("Anna Named", "DEHAM")]
    with pytest.raises(AccessDenied):
        sharing.grants_with_names(session, other_admin, admin.organisation_id)


def test_the_migration_keeps_existing_grants_named(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy import text

    from assettrack.cli import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisation (id, code, name, country, timezone, language, "
                "created_at) VALUES (1, 'NLRTM', 'Rotterdam', 'NL', 'Europe/Amsterdam', 'nl', "
                "'2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO app_user (id, email, name, password_hash, role, organisation_id, "
                "active, failed_logins, created_at) VALUES (1, 'l@x.test', 'L', 'x', "
                "'liaison', 1, 1, 0, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(text("INSERT INTO user_organisation (user_id, organisation_id) VALUES (1, 1)"))
    migrate(url, "heads")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT names FROM user_organisation")).scalar() in (1, True)
        conn.execute(
            text(
                "INSERT INTO app_user (id, email, name, password_hash, role, "
                "organisation_id, active, failed_logins, created_at) VALUES (2, "
                "'m@x.test', 'M', 'x', 'liaison', 1, 1, 0, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(text("INSERT INTO user_organisation (user_id, organisation_id) VALUES (2, 1)"))
        new = conn.execute(text("SELECT names FROM user_organisation WHERE user_id = 2")).scalar()
    engine.dispose()
    assert new in (0, False)


def _forget_access(session):
    """Forget what access.py cached for the request (memberships change between readings)."""
    for key in [k for k in session.info if str(k).startswith("access.")]:
        del session.info[key]
