"""Screening dossiers: the Bibob clock against a hand-computed table, the page, API and milestones.

The acceptance scenario (issue #13), in Rotterdam (Dutch calendar), with the built-in Bibob
procedure: the permit's decision term is 8 weeks; the national bureau's advice 8 weeks,
extended once by 4; the decision term is extended by the advice time and stops while the
applicant answers questions. A day on which both stop the clock counts once.

2027 calendar facts used below: Easter Monday is 29 March, King's Day Tuesday 27 April,
Ascension Thursday 6 May, Whit Monday 17 May.
"""

import re
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from assettrack.domain import screening_clock as sc
from assettrack.models import AuditEntry
from assettrack.models import Notification
from assettrack.services import dossiers as dossier_service
from tests.conftest import bearer
from tests.conftest import login

# The scenario's facts, in the order they happen.
RECEIVED = date(2027, 1, 4)  # Monday
REQUESTED = date(2027, 1, 11)  # Monday
ADVICE_RECEIVED = date(2027, 3, 26)  # Friday: after the first 8 weeks, within the extension
QUESTIONS_SENT = date(2027, 3, 30)  # Tuesday (Monday 29 March is Easter Monday)
ANSWERED = date(2027, 4, 13)  # Tuesday

# Hand-computed: (today, what the dossier records by then) -> what the page shows.
# Columns: advice due, stopped days so far, clock stopped?, decision due, days left.
HAND_TABLE = [
    # 4 Jan, only received: 8 weeks = 56 days -> Monday 1 March (a working day).
    (date(2027, 1, 4), {}, (None, 0, False, date(2027, 3, 1), 56)),
    # 11 Jan, advice requested: due 11 Jan + 56 = Monday 8 March. A pending advice is taken at
    # its whole term: 12 Jan..8 Mar stop the clock (20 + 28 + 8 = 56 days), so the decision
    # moves from 1 March to 1 March + 56 = Monday 26 April; 105 days from 11 Jan (20 + 28 +
    # 31 + 26). No stopped day has passed yet.
    (
        date(2027, 1, 11),
        {"advice_requested_on": REQUESTED},
        (date(2027, 3, 8), 0, False, date(2027, 4, 26), 105),
    ),
    # 1 March, the bureau extended by 4 weeks: advice due 8 Mar + 28 = Monday 5 April;
    # 12 Jan..5 Apr = 84 days stopped -> decision 1 Mar + 84 = Monday 24 May (Whit Monday is
    # the 17th); 84 days left. Stopped so far: 12 Jan..1 Mar = 20 + 28 + 1 = 49.
    (
        date(2027, 3, 1),
        {"advice_requested_on": REQUESTED, "extensions": 1},
        (date(2027, 4, 5), 49, False, date(2027, 5, 24), 84),
    ),
    # 26 March, the advice arrives: the stop ends today, 12 Jan..26 Mar = 20 + 28 + 26 = 74
    # days -> decision 1 Mar + 74 = Friday 14 May; 49 days left (5 + 30 + 14).
    (
        date(2027, 3, 26),
        {"advice_requested_on": REQUESTED, "extensions": 1, "advice_received_on": ADVICE_RECEIVED},
        (date(2027, 4, 5), 74, False, date(2027, 5, 14), 49),
    ),
    # 6 April, questions sent on 30 March and not answered: the clock stands still, the
    # decision date cannot be known. Stopped so far: 74 + 31 Mar..6 Apr (7) = 81.
    (
        date(2027, 4, 6),
        {
            "advice_requested_on": REQUESTED,
            "extensions": 1,
            "advice_received_on": ADVICE_RECEIVED,
            "suspensions": [{"questions_sent_on": QUESTIONS_SENT}],
        },
        (date(2027, 4, 5), 81, True, None, None),
    ),
    # 13 April, answered: 31 Mar..13 Apr = 14 more days, 88 in all -> decision 1 Mar + 88 =
    # Friday 28 May (a working day); 45 days left (17 + 28). Run the other way: 56 days of
    # term counted on 5-11 Jan (7), 27-30 Mar (4) and 14 Apr..28 May (17 + 28 = 45 less 1).
    (
        date(2027, 4, 13),
        {
            "advice_requested_on": REQUESTED,
            "extensions": 1,
            "advice_received_on": ADVICE_RECEIVED,
            "suspensions": [{"questions_sent_on": QUESTIONS_SENT, "answered_on": ANSWERED}],
        },
        (date(2027, 4, 5), 88, False, date(2027, 5, 28), 45),
    ),
]


@pytest.mark.parametrize(("today", "facts", "expected"), HAND_TABLE, ids=lambda v: str(v))
def test_the_bibob_clock_is_the_hand_computed_one(today, facts, expected):
    clock = sc.screening_clock(
        sc.BIBOB,
        received_on=RECEIVED,
        today=today,
        country="NL",
        advice_requested_on=facts.get("advice_requested_on"),
        extensions=facts.get("extensions", 0),
        advice_received_on=facts.get("advice_received_on"),
        suspensions=[
            sc.Suspension(s["questions_sent_on"], s.get("answered_on"))
            for s in facts.get("suspensions", [])
        ],
    )
    assert (
        clock.advice_due_on,
        clock.stopped_days,
        clock.suspended,
        clock.decision_due_on,
        clock.days_left,
    ) == expected


def test_a_term_ending_on_kings_day_ends_the_next_working_day():
    # Received Tuesday 2 March 2027: 8 weeks end Tuesday 27 April, King's Day; the Algemene
    # termijnenwet moves it to Wednesday 28 April.
    clock = sc.screening_clock(
        sc.BIBOB, received_on=date(2027, 3, 2), today=date(2027, 3, 2), country="NL"
    )
    assert clock.decision_due_on == date(2027, 4, 28)


def test_a_working_day_procedure_counts_only_working_days():
    # Another country's procedure: decision in 10 working days, advice 5 working days, no
    # rolling. Received Thursday 22 April 2027; weekends, King's Day (27 April) and Ascension
    # (Thursday 6 May) are skipped: 23, 26, 28, 29, 30 Apr, 3, 4, 5, 7, 10 May -> Monday 10 May.
    procedure = sc.Procedure(
        code="other",
        advice_term=sc.Term(5, "working_days"),
        advice_extension=None,
        extensions_allowed=0,
        decision_term=sc.Term(10, "working_days"),
        roll_to_working_day=False,
    )
    clock = sc.screening_clock(
        procedure, received_on=date(2027, 4, 22), today=date(2027, 4, 22), country="NL"
    )
    assert clock.decision_due_on == date(2027, 5, 10)


# --- through the API and the page, on both databases, with the clock frozen ----------------


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def api(client, officer, token_for):
    headers = bearer(token_for(officer))

    class Api:
        def put(self, url, body):
            return client.put(url, json=body, headers=headers)

        def get(self, url):
            return client.get(url, headers=headers)

    return Api()


def _iso(facts):
    out = {}
    for key, value in facts.items():
        if key == "suspensions":
            value = [{k: v.isoformat() for k, v in s.items()} for s in value]
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out


def _shown(page, element_id):
    match = re.search(rf'id="{element_id}">(?:<time datetime="([0-9-]+)">)?', page)
    return match.group(1) if match else None


@pytest.mark.backends
def test_the_dossier_page_shows_the_hand_computed_dates_at_each_step(
    client, officer, make_case, session, token_for
):
    case = make_case(officer, title="Exploitatievergunning Witte de Withstraat")
    version = None
    for today, facts, expected in HAND_TABLE:
        advice_due, stopped, suspended, decision_due, days_left = expected
        body = {
            "permit": "Exploitatievergunning horeca, Witte de Withstraat 12",
            "received_on": RECEIVED.isoformat(),
            **_iso(facts),
        }
        if version is not None:
            body["version"] = version
        with time_machine.travel(f"{today.isoformat()}T09:00:00Z", tick=False):
            headers = bearer(token_for(officer))  # a token of the day: tokens expire
            saved = client.put(f"/api/v1/cases/{case.id}/dossier", json=body, headers=headers)
            assert saved.status_code == (201 if version is None else 200), saved.json
            version = saved.json["version"]
            clock = client.get(f"/api/v1/cases/{case.id}/dossier", headers=headers).json["clock"]
            login(client, officer)
            page = client.get(f"/cases/{case.id}/dossier").get_data(as_text=True)
        assert clock["advice_due_on"] == (advice_due and advice_due.isoformat())
        assert clock["decision_due_on"] == (decision_due and decision_due.isoformat())
        assert (clock["stopped_days"], clock["suspended"], clock["days_left"]) == (
            stopped,
            suspended,
            days_left,
        )
        assert _shown(page, "decision-due-on") == (decision_due and decision_due.isoformat())
        assert _shown(page, "advice-due-on") == (advice_due and advice_due.isoformat())
        if suspended:
            assert "clock stopped" in page
        else:
            assert f"decision due in {days_left} days" in page
        client.post("/logout")
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "screening_dossier")
    ).all()
    assert [e.action for e in entries].count("create") == 1
    assert [e.action for e in entries].count("update") == len(HAND_TABLE) - 1
    assert "read" in [e.action for e in entries]


@pytest.mark.backends
def test_a_stale_version_is_refused_and_changes_nothing(api, officer, make_case):
    case = make_case(officer)
    body = {"permit": "Drank- en horecavergunning", "received_on": "2026-11-02"}
    first = api.put(f"/api/v1/cases/{case.id}/dossier", body)
    assert first.status_code == 201
    assert api.put(f"/api/v1/cases/{case.id}/dossier", {**body, "version": 1}).status_code == 200
    stale = api.put(f"/api/v1/cases/{case.id}/dossier", {**body, "permit": "changed", "version": 1})
    assert stale.status_code == 409
    assert api.get(f"/api/v1/cases/{case.id}/dossier").json["permit"] == body["permit"]


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"received_on": "2026-13-01"}, "/received_on"),
        ({"permit": ""}, "/permit"),
        ({"permit": "x" * 201}, "/permit"),
        ({"advice_requested_on": "2026-10-01"}, "/advice_requested_on"),
        ({"advice_received_on": "2026-11-10"}, "/advice_received_on"),
        ({"advice_requested_on": "2026-11-03", "extensions": 2}, "/extensions"),
        ({"extensions": 99}, "/extensions"),
        ({"suspensions": [{"questions_sent_on": "2026-11-05", "answered_on": "2026-11-04"}]},
         "/suspensions/0/answered_on"),
        ({"suspensions": [{"questions_sent_on": "2026-11-05"},
                          {"questions_sent_on": "2026-11-06"}]}, "/suspensions"),
        ({"suspensions": [{"questions_sent_on": "2026-11-05"}] * 21}, "/suspensions"),
        ({"outcome": "maybe"}, "/outcome"),
        ({"measure": "refusal"}, "/measure"),
        ({"outcome": "no_risk", "measure": "refusal"}, "/measure"),
        ({"decided_on": "2026-11-20"}, "/decided_on"),
        ({"received_on": "2099-01-01"}, "/received_on"),
        ({"procedure": "unknown"}, "/procedure"),
        ({"colour": "red"}, "/colour"),
    ],
)  # fmt: skip
def test_bad_dossiers_are_refused_naming_the_field(api, officer, make_case, change, pointer):
    case = make_case(officer)
    body = {"permit": "Exploitatievergunning", "received_on": "2026-11-02", **change}
    with time_machine.travel("2026-11-25T10:00:00Z", tick=False):
        response = api.put(f"/api/v1/cases/{case.id}/dossier", body)
    assert response.status_code == 422, response.json
    assert pointer in [e["pointer"] for e in response.json["errors"]]
    assert api.get(f"/api/v1/cases/{case.id}/dossier").status_code == 404


def test_another_city_cannot_read_or_write_the_dossier(
    api, client, officer, make_case, make_user, token_for
):
    case = make_case(officer)
    api.put(f"/api/v1/cases/{case.id}/dossier", {"permit": "X", "received_on": "2026-11-02"})
    other = bearer(token_for(make_user("officer", "BEANR")))
    assert client.get(f"/api/v1/cases/{case.id}/dossier", headers=other).status_code == 404
    assert (
        client.put(
            f"/api/v1/cases/{case.id}/dossier",
            json={"permit": "Y", "received_on": "2026-11-02"},
            headers=other,
        ).status_code
        == 404
    )


def test_the_form_rerenders_with_the_message_beside_the_field(client, officer, make_case):
    case = make_case(officer)
    login(client, officer)
    response = client.post(
        f"/cases/{case.id}/dossier",
        data={
            "permit": "Exploitatievergunning",
            "procedure": "bibob",
            "received_on": "2026-11-02",
            "advice_requested_on": "2026-10-01",
            "extensions": "0",
            "suspensions-0-questions_sent_on": "2026-11-05",
            "suspensions-0-answered_on": "2026-11-04",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "must not be before the application was received" in page
    assert "must not be before the questions were sent" in page
    assert 'value="Exploitatievergunning"' in page


@pytest.mark.backends
def test_milestones_are_told_once_to_the_officer_and_shown_on_the_dashboard(
    api, client, officer, make_case, session, runner
):
    case = make_case(officer)
    api.put(
        f"/api/v1/cases/{case.id}/dossier",
        {"permit": "Exploitatievergunning", "received_on": "2026-10-05",
         "advice_requested_on": "2026-10-12"},
    )  # fmt: skip
    # Advice due 12 Oct + 8 weeks = Monday 7 December 2026; the decision (8 weeks from
    # 5 Oct = 30 Nov, plus 56 days of advice) Monday 25 January 2027.
    with time_machine.travel("2026-11-25T06:00:00Z", tick=False):
        made = dossier_service.due_milestones(session)
        session.commit()
    assert [n.params for n in made] == [f'{{"day": "2026-12-07", "reference": "{case.reference}"}}']
    with time_machine.travel("2026-11-26T06:00:00Z", tick=False):
        again = runner.invoke(args=["dossiers", "notify"])
    assert "0 notification(s)" in again.output  # told once per milestone and due date
    with time_machine.travel("2026-12-08T06:00:00Z", tick=False):
        late = runner.invoke(args=["dossiers", "notify"])
    assert "1 notification(s)" in late.output  # the advice is now overdue
    told = session.scalars(select(Notification).where(Notification.user_id == officer.id)).all()
    assert sorted(n.dedupe_key.split(":")[2] for n in told) == ["advice-due", "advice-overdue"]
    with time_machine.travel("2026-12-08T09:00:00Z", tick=False):
        login(client, officer)
        dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "Screening dossiers" in dashboard and case.reference in dashboard


def test_a_french_officer_reads_the_dossier_in_french(client, make_user, make_case):
    officer = make_user("officer", "NLRTM", language="fr")
    case = make_case(officer)
    login(client, officer)
    page = client.get(f"/cases/{case.id}/dossier").get_data(as_text=True)
    assert "Dossier de contrôle" in page
    assert "Permis demandé" in page


def test_an_organisation_stores_its_own_procedure_and_dossiers_follow_it(
    api, officer, make_case, runner, session
):
    result = runner.invoke(
        args=[
            "dossiers", "procedure", "be-integrity", "--org", "NLRTM",
            "--advice-term", "30", "--advice-unit", "calendar_days",
            "--decision-term", "10", "--decision-unit", "working_days", "--no-roll",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    case = make_case(officer)
    with time_machine.travel("2026-12-03T09:00:00Z", tick=False):
        saved = api.put(
            f"/api/v1/cases/{case.id}/dossier",
            {"permit": "Integrity check", "received_on": "2026-12-03", "procedure": "be-integrity"},
        )
    assert saved.status_code == 201, saved.json
    # 10 working days from Thursday 3 December 2026: Fri 4 (1), Mon 7 to Fri 11 (2-6), Mon 14
    # to Thu 17 (7-10): Thursday 17 December.
    assert saved.json["clock"]["decision_due_on"] == "2026-12-17"
    assert saved.json["decision_term_unit"] == "working_days"
    bad = runner.invoke(
        args=["dossiers", "procedure", "x", "--org", "NLRTM", "--advice-term", "9999",
              "--decision-term", "8"]
    )  # fmt: skip
    assert bad.exit_code == 2 and "terms" in bad.output


def test_the_daily_run_tells_the_dossier_milestones(api, officer, make_case, session):
    from assettrack.services import reminders

    case = make_case(officer)
    api.put(
        f"/api/v1/cases/{case.id}/dossier",
        {"permit": "Exploitatievergunning", "received_on": "2026-10-05",
         "advice_requested_on": "2026-10-12"},
    )  # fmt: skip
    # The advice is due Monday 7 December 2026: inside the warning days on 25 November.
    with time_machine.travel("2026-11-25T06:00:00Z", tick=False):
        told = reminders.remind(session)
        session.commit()
        again = reminders.remind(session)
    assert told["screening_milestone"] == 1
    assert "screening_milestone" not in again  # told once
