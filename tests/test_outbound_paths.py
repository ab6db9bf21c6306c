"""Every way out × every role, through the real routes (issue #10's acceptance test).

Four cases of Rotterdam (NLRTM), each with one protected person: a victim (GREEN, shared with
Antwerp), a witness (AMBER, shared with Antwerp), a TLP:RED case naming Hamburg only and an H2
case without any recorded permission. Six viewers take data out: an officer of Rotterdam, a
Hamburg liaison granted Rotterdam with and without the names flag, an Antwerp officer (the
case is shared with Antwerp), an Antwerp partner and Rotterdam's auditor. Each route answers
named, labelled or withheld for the person as docs/sharing.md's matrix says.

A route that a viewer cannot use at all (a shared reader asking Rotterdam's case for an FtM
export) answers "withheld": never more than the matrix gives that viewer on that path.
"""

import io
import json
import re
import shutil
import subprocess

import networkx as nx
import pytest
from sqlalchemy import select

from assettrack.models import AuditEntry
from assettrack.models import Entity
from assettrack.services import entities as entity_service
from assettrack.services import issuing
from assettrack.services import sharing
from tests.conftest import bearer
from tests.conftest import login
from tests.test_sharing_matrix import make_viewers

CASES = {
    "victim": {"tlp": "GREEN", "handling_code": "H0", "shared_with": ["BEANR"]},
    "witness": {"tlp": "AMBER", "handling_code": "H1", "shared_with": ["BEANR"]},
    "red": {"tlp": "RED", "handling_code": "H0", "shared_with": ["DEHAM"]},
    "h2": {"tlp": "AMBER", "handling_code": "H2", "shared_with": ["BEANR"]},
}
PEOPLE = {
    "victim": ("Kees Jansen", "victim", "NLID-4471-KJ"),
    "witness": ("Anneke Visser", "witness", "NLID-8812-AV"),
    "red": ("Pieter Bakker", "victim", "NLID-2290-PB"),
    "h2": ("Sanne de Vries", "witness", "NLID-6634-SV"),
}
VIEWERS = tuple(sharing.VIEWERS)
#: The organisation that receives what a viewer takes out (a file goes to the viewer's own).
RECEIVER = {
    "owner": "NLRTM",
    "liaison_named": "DEHAM",
    "liaison": "DEHAM",
    "shared_reader": "BEANR",
    "partner": "BEANR",
    "auditor": "NLRTM",
}
RANK = {"withheld": 0, "labelled": 1, "named": 2}
JUSTIFICATION = "JIT-2026-07, request of the public prosecutor"


@pytest.fixture
def world(session, make_user, make_case):
    viewers = make_viewers(session, make_user)
    owner = viewers["owner"]
    cases, people = {}, {}
    for kind, fields in CASES.items():
        case = make_case(owner, title=f"Case {kind}", **fields)
        name, role, number = PEOPLE[kind]
        person = entity_service.add_entity_to_case(
            session,
            owner,
            case,
            {
                "schema": "Person",
                "properties": {"name": [name], "idNumber": [number]},
                "role": role,
            },
        )
        # Another entity whose name holds the person's surname: never rewritten.
        entity_service.add_entity_to_case(
            session,
            owner,
            case,
            {
                "schema": "Company",
                "properties": {"name": [f"{name.split()[-1]} Havenservice BV"]},
                "role": "suspect",
            },
        )
        cases[kind], people[kind] = case, person.id
    session.commit()
    return viewers, cases, people


def _expected(path: str, viewer: str, kind: str, receiver: str | None = None) -> str:
    case = CASES[kind]
    return sharing.outbound(
        path,
        viewer,
        tlp=case["tlp"],
        handling_code=case["handling_code"],
        shared=(receiver or RECEIVER[viewer]) in case["shared_with"],
        permitted=False,
    )


def _seen(kind: str, text: str) -> str:
    """What a file or answer gives of the case's protected person."""
    name, role, number = PEOPLE[kind]
    if name in text:
        return "named"
    assert number not in text, "an identifier of a labelled person left"
    assert re.search(rf"{role.title()} \d", text), text[:2000]
    assert f"{name.split()[-1]} Havenservice BV" in text  # another's name is never rewritten
    return "labelled"


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _file_text(kind: str, data: bytes, tmp_path) -> str:
    return _pdf_text(data, tmp_path) if data.startswith(b"%PDF") else data.decode("utf-8")


def _issue(client, token, body) -> tuple[int, dict, bytes | None]:
    """POST /api/v1/reports, then (jobs run inline in tests) GET its file."""
    response = client.post("/api/v1/reports", json=body, headers=bearer(token))
    if response.status_code != 202:
        return response.status_code, response.json, None
    report = client.get(response.headers["Location"], headers=bearer(token)).json
    with client.get(report["links"]["file"], headers=bearer(token)) as file:
        assert file.status_code == 200, report
        return 202, report, file.data


needs_pdftotext = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"
)

#: The case kinds issued from one case, and the viewers each is made for (their answer is
#: exactly the matrix's; anyone else's is withheld or less).
CASE_KINDS = {
    kind: ("owner", "liaison_named", "liaison")
    for kind, info in issuing.KINDS.items()
    if info.about == "case"
}


@needs_pdftotext
@pytest.mark.parametrize("report_kind", sorted(CASE_KINDS))
def test_each_case_export_gives_each_viewer_what_the_matrix_says(
    client, session, world, token_for, tmp_path, report_kind
):
    viewers, cases, _people = world
    path = sharing.KIND_PATHS[report_kind]
    seen, expected = {}, {}
    for viewer, user in viewers.items():
        token = token_for(user)
        for kind, case in cases.items():
            body = {"kind": report_kind, "case": case.id, "justification": JUSTIFICATION}
            status, report, data = _issue(client, token, body)
            if status == 202:
                seen[(viewer, kind)] = _seen(kind, _file_text(report_kind, data, tmp_path))
            else:
                assert status in (403, 404, 422), report
                assert not re.search("Jansen|Visser|Bakker|Vries", json.dumps(report))
                seen[(viewer, kind)] = "withheld"
            cell = _expected(path, viewer, kind)
            if viewer in CASE_KINDS[report_kind]:
                expected[(viewer, kind)] = cell
            else:  # a route that is not this viewer's: at most what the matrix gives
                assert RANK[seen[(viewer, kind)]] <= RANK[cell], (viewer, kind)
                expected[(viewer, kind)] = seen[(viewer, kind)]
    assert seen == expected


@needs_pdftotext
def test_the_partner_report_and_its_reading_through_the_api(
    client, session, world, token_for, tmp_path
):
    from tests.test_reports import _year

    viewers, cases, _people = world
    owner = viewers["owner"]
    body = {
        "kind": "partner",
        "to": "BEANR",
        "year": _year(session, owner),
        "justification": JUSTIFICATION,
    }
    status, report, data = _issue(client, token_for(owner), body)
    assert status == 202, report
    text = _pdf_text(data, tmp_path)

    def outcome(kind, text):
        return _seen(kind, text) if cases[kind].reference in text else "withheld"

    issued = {k: outcome(k, text) for k in cases}
    assert issued == {k: _expected("partner_report", "owner", k, "BEANR") for k in cases}
    # Read back through /api/v1/reports by everyone: the recipient's partner and the issuer
    # get the file as issued; nobody else gets anything.
    for viewer, user in viewers.items():
        headers = bearer(token_for(user))
        with client.get(f"/api/v1/reports/{report['id']}/file", headers=headers) as response:
            read = _pdf_text(response.data, tmp_path) if response.status_code == 200 else None
        for kind in cases:
            got = outcome(kind, read) if read is not None else "withheld"
            # A read gives what the report holds: the cases it was issued with.
            cell = _expected("api_partner_read", viewer, kind, "BEANR")
            cell = min(cell, issued[kind], key=RANK.get)
            if viewer in ("owner", "partner"):
                assert got == cell, (viewer, kind)
            else:
                assert RANK[got] <= RANK[cell], (viewer, kind)


def test_open_data_names_nobody(client, session, world, token_for):
    viewers, _cases, _people = world
    status, report, data = _issue(client, token_for(viewers["owner"]), {"kind": "open_data"})
    assert status == 202, report
    assert not re.search("Jansen|Visser|Bakker|Vries|NLID", data.decode())


@pytest.mark.backends
def test_screen_reads_follow_the_names_flag(app, client, session, world, token_for):
    """The case, entity and network API reads: named at home and with the names flag."""
    viewers, cases, people = world
    seen, expected = {}, {}
    for viewer, user in viewers.items():
        headers = bearer(token_for(user))
        for kind, case in cases.items():
            cell = _expected("case_page", viewer, kind)
            for url in (
                f"/api/v1/cases/{case.id}",
                f"/api/v1/entities/{people[kind]}",
                f"/api/v1/cases/{case.id}/network",
                f"/api/v1/entities/{people[kind]}/network?depth=1",
                f"/api/v1/paths?from={people[kind]}&to={people[kind]}",
            ):
                response = client.get(url, headers=headers)
                if response.status_code == 200:
                    text = response.get_data(as_text=True)
                    name = PEOPLE[kind][0]
                    got = "named" if name in text else "labelled"
                    if got == "labelled":
                        assert re.search(rf"{PEOPLE[kind][1].title()} \d", text), (url, text)
                        assert PEOPLE[kind][2] not in text
                else:
                    assert response.status_code in (403, 404), url
                    got = "withheld"
                seen[(viewer, kind, url)] = got
                expected[(viewer, kind, url)] = cell
    assert seen == expected


def test_search_does_not_find_a_labelled_person_by_name(client, session, world, token_for):
    viewers, _cases, people = world
    for viewer, found in (("owner", True), ("liaison_named", True), ("liaison", False)):
        headers = bearer(token_for(viewers[viewer]))
        body = client.get("/api/v1/entities?q=Anneke Visser", headers=headers).json
        assert (people["witness"] in [i["id"] for i in body["items"]]) is found, viewer
        assert ("Anneke Visser" in json.dumps(body)) is found
    listed = client.get(
        "/api/v1/entities?schema=Person", headers=bearer(token_for(viewers["liaison"]))
    ).json
    names = {i["id"]: i["name"] for i in listed["items"]}
    assert re.fullmatch(r"Witness \d", names[people["witness"]])


def test_the_shared_view_gives_the_shared_reader_labels(app, session, world):
    viewers, cases, _people = world
    for viewer, user in viewers.items():
        client = app.test_client()
        login(client, user)
        for kind, case in cases.items():
            response = client.get(f"/shared/cases/{case.id}")
            got = (
                _seen(kind, response.get_data(as_text=True))
                if response.status_code == 200
                else "withheld"
            )
            cell = _expected("shared_view", viewer, kind)
            if viewer == "shared_reader":
                assert got == cell, (viewer, kind)
            else:
                assert RANK[got] <= RANK[cell], (viewer, kind)


def test_the_network_picture_on_the_page_follows_the_diagram_path(
    client, session, world, token_for
):
    viewers, cases, _people = world
    for viewer in ("owner", "liaison_named", "liaison"):
        headers = bearer(token_for(viewers[viewer]))
        for kind, case in cases.items():
            response = client.get(f"/api/v1/cases/{case.id}/network.svg", headers=headers)
            got = (
                _seen(kind, response.get_data(as_text=True))
                if response.status_code == 200
                else "withheld"
            )
            assert got == _expected("diagram", viewer, kind), (viewer, kind)


def test_a_protected_person_is_never_a_hit_for_another_city(
    client, session, world, make_user, make_case, token_for
):
    viewers, _cases, _people = world
    antwerp = viewers["shared_reader"]
    case = make_case(antwerp, title="Antwerp's own")
    theirs = entity_service.add_entity_to_case(
        session,
        antwerp,
        case,
        {
            "schema": "Person",
            "properties": {"name": ["K. Jansen"], "idNumber": [PEOPLE["victim"][2]]},
            "role": "suspect",
        },
    )
    session.commit()
    body = client.get(
        f"/api/v1/entities/{theirs.id}/links", headers=bearer(token_for(antwerp))
    ).json
    assert all(hit["organisation"] != "NLRTM" for hit in body["hits"])
    assert "Kees Jansen" not in json.dumps(body)


# --- the files' marking, justification and disclosure ------------------------------------------


def _witness_file(client, session, world, token_for, report_kind, viewer="liaison_named"):
    viewers, cases, _people = world
    # The witness case is AMBER and shared with Antwerp: a Hamburg liaison needs it shared.
    share_with_hamburg(session, cases["witness"])
    status, report, data = _issue(
        client,
        token_for(viewers[viewer]),
        {"kind": report_kind, "case": cases["witness"].id, "justification": JUSTIFICATION},
    )
    assert status == 202, report
    return report, data


def share_with_hamburg(session, case):
    from assettrack.models import CaseShare
    from assettrack.models import Organisation

    hamburg = session.scalar(select(Organisation).where(Organisation.code == "DEHAM"))
    if not session.get(CaseShare, (case.id, hamburg.id)):
        session.add(CaseShare(case_id=case.id, organisation_id=hamburg.id))
        session.commit()


@pytest.mark.backends
def test_a_liaisons_ftm_export_is_redacted_and_marked(client, session, world, token_for):
    _viewers, _cases, people = world
    report, data = _witness_file(client, session, world, token_for, "ftm")
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert all(
        line["assettrack"]["marking"]
        == {"tlp": "AMBER", "handling_code": "H1", "marking": "TLP:AMBER H1"}
        for line in lines
    )
    [witness] = [line for line in lines if line["assettrack"].get("redacted")]
    assert witness["properties"] == {"name": ["Witness 1"]}
    assert witness["id"].startswith("redacted-")
    text = data.decode()
    assert f"assettrack-nlrtm-{people['witness']}" not in text
    assert "Anneke Visser" not in text and "NLID-8812-AV" not in text
    assert "Visser Havenservice BV" in text


@pytest.mark.backends
@pytest.mark.parametrize("report_kind", ["gexf", "graphml"])
def test_a_liaisons_graph_file_is_redacted_and_marked(
    client, session, world, token_for, report_kind
):
    _viewers, _cases, people = world
    report, data = _witness_file(client, session, world, token_for, report_kind)
    text = data.decode()
    assert "Anneke Visser" not in text and "NLID-8812-AV" not in text
    reader = nx.read_gexf if report_kind == "gexf" else nx.read_graphml
    graph = reader(io.BytesIO(data))
    names = {data["name"]: node for node, data in graph.nodes(data=True)}
    assert set(names) == {"Witness 1", "Visser Havenservice BV"}
    assert names["Witness 1"].startswith("redacted-")
    if report_kind == "graphml":
        assert graph.graph["tlp"] == "AMBER" and graph.graph["handling_code"] == "H1"
    else:
        assert "<description>TLP:AMBER H1</description>" in text
        assert "tlp=AMBER; handling_code=H1" in text


@pytest.mark.backends
def test_a_diagram_is_drawn_on_the_server_redacted_and_marked(client, session, world, token_for):
    report, data = _witness_file(client, session, world, token_for, "diagram")
    svg = data.decode()
    assert report["mimetype"] == "image/svg+xml"
    assert ">TLP:AMBER H1</text>" in svg
    assert re.search(r"<title>TLP:AMBER H1 — [^<]+</title>", svg)
    assert "<desc>TLP:AMBER H1. H1: not to be used in court" in svg
    assert "Witness 1" in svg and "Anneke Visser" not in svg


@pytest.mark.backends
def test_the_owners_files_name_and_are_marked(client, session, world, token_for):
    report, data = _witness_file(client, session, world, token_for, "ftm", viewer="owner")
    assert "Anneke Visser" in data.decode()
    assert '"marking": "TLP:AMBER H1"' in data.decode()


@pytest.mark.parametrize("report_kind", ["ftm", "gexf", "graphml", "diagram"])
def test_an_export_without_a_justification_is_refused(
    client, session, world, token_for, report_kind
):
    viewers, cases, _people = world
    for justification in (None, "", "   "):
        body = {"kind": report_kind, "case": cases["victim"].id}
        if justification is not None:
            body["justification"] = justification
        response = client.post(
            "/api/v1/reports", json=body, headers=bearer(token_for(viewers["owner"]))
        )
        assert response.status_code == 422
        assert "justification" in json.dumps(response.json)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "disclose")) is None


def test_the_web_form_asks_for_the_justification(client, session, world):
    viewers, cases, _people = world
    login(client, viewers["owner"])
    response = client.post("/reports/issue", data={"kind": "gexf", "case": cases["victim"].id})
    assert response.status_code == 422
    assert "justification" in response.get_data(as_text=True).lower()


@pytest.mark.backends
def test_a_withheld_case_never_leaves_and_says_why(client, session, world, token_for):
    viewers, cases, _people = world
    share_with_hamburg(session, cases["h2"])  # shared, yet without the provider's permission
    for kind, reason in (("h2", "H2"), ("witness", "TLP:AMBER")):
        response = client.post(
            "/api/v1/reports",
            json={"kind": "ftm", "case": cases[kind].id, "justification": JUSTIFICATION},
            headers=bearer(token_for(viewers["liaison"])),
        )
        assert response.status_code == 422
        assert reason in json.dumps(response.json)


@pytest.mark.backends
def test_each_export_is_audited_as_a_disclosure_with_its_hash(client, session, world, token_for):
    import hashlib

    report, data = _witness_file(client, session, world, token_for, "graphml")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "disclose"))
    details = json.loads(entry.details)
    assert details["sha256"] == hashlib.sha256(data).hexdigest()
    assert details["kind"] == "graphml" and details["tlp"] == "AMBER"
    assert details["cases"] and entry.justification == JUSTIFICATION


@pytest.mark.backends
def test_a_person_protected_in_another_case_is_labelled_one_link_out(
    client, session, world, token_for
):
    viewers, cases, people = world
    company = session.scalar(select(Entity).where(Entity.caption == "Visser Havenservice BV"))
    entity_service.create_relation(
        session,
        viewers["owner"],
        {"schema": "Directorship", "source": people["victim"], "target": company.id},
    )
    session.commit()
    share_with_hamburg(session, cases["witness"])
    status, report, data = _issue(
        client,
        token_for(viewers["liaison"]),
        {
            "kind": "graphml",
            "case": cases["witness"].id,
            "expand": True,
            "justification": JUSTIFICATION,
        },
    )
    assert status == 202, report
    graph = nx.read_graphml(io.BytesIO(data))
    names = sorted(data["name"] for _node, data in graph.nodes(data=True))
    assert names == ["Victim 1", "Visser Havenservice BV", "Witness 1"]
    assert "Kees Jansen" not in data.decode() and "NLID-4471-KJ" not in data.decode()
