"""docs/sharing.md's matrix (outbound path × who × named/labelled/withheld), checked cell by cell
against the policy, and against what the read views really return."""

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from assettrack import access
from assettrack.errors import AccessDenied
from assettrack.errors import NotFound
from assettrack.models import UserOrganisation
from assettrack.services import case_view
from assettrack.services import entities as entity_service
from assettrack.services import reports as report_service
from assettrack.services import sharing
from tests.conftest import bearer

DOC = Path(__file__).resolve().parent.parent / "docs" / "sharing.md"

# The four cases of the acceptance test, and the protected person each holds. Antwerp (BEANR)
# is the receiving organisation of the shared reader and the partner.
CASES = {
    "victim": {"tlp": "GREEN", "handling_code": "H0", "shared_with": ["BEANR"]},
    "witness": {"tlp": "AMBER", "handling_code": "H1", "shared_with": ["BEANR"]},
    "red": {"tlp": "RED", "handling_code": "H0", "shared_with": ["DEHAM"]},
    "h2": {"tlp": "AMBER", "handling_code": "H2", "shared_with": ["BEANR"]},
}
PEOPLE = {
    "victim": ("Kees Jansen", "victim"),
    "witness": ("Anneke Visser", "witness"),
    "red": ("Pieter Bakker", "victim"),
    "h2": ("Sanne de Vries", "witness"),
}


def _documented() -> dict[tuple[str, str], str]:
    """The matrix as docs/sharing.md states it: (path, viewer) -> cell."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| path |"))
    viewers = [c.strip() for c in lines[start].strip("|").split("|")][1:]
    cells = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        path, *row = [c.strip() for c in line.strip("|").split("|")]
        for viewer, cell in zip(viewers, row, strict=True):
            cells[(path.strip("`"), viewer)] = cell
    return cells


MATRIX = _documented()


def test_the_documented_matrix_covers_every_path_and_viewer():
    assert {p for p, _v in MATRIX} == set(sharing.OUTBOUND_PATHS)
    assert {v for _p, v in MATRIX} == set(sharing.VIEWERS)
    assert set(MATRIX.values()) <= {"named", "labelled", "labelled*", "withheld"}


def _expected(cell: str, kind: str) -> str:
    if not cell.endswith("*"):
        return cell
    # The receiver (BEANR) is named on the case, except on the RED one (named: DEHAM only);
    # no H2 permission is recorded.
    blocked = kind == "red" or CASES[kind]["handling_code"] == "H2"
    return "withheld" if blocked else cell.rstrip("*")


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize(("path", "viewer"), sorted(MATRIX))
def test_each_cell_is_what_the_policy_decides(path, viewer, kind):
    case = CASES[kind]

    decided = sharing.outbound(
        path,
        viewer,
        tlp=case["tlp"],
        handling_code=case["handling_code"],
        shared="BEANR" in case["shared_with"],
        permitted=False,
    )

    assert decided == _expected(MATRIX[(path, viewer)], kind)


# --- the read views, for real -------------------------------------------------------------------


def make_viewers(session, make_user) -> dict:
    """Rotterdam's officer (the owner) and one user of each way of looking at its cases: a
    liaison granted Rotterdam with names and one without, Antwerp's officer (shared with),
    Antwerp's partner, Rotterdam's auditor."""
    owner = make_user("officer", "NLRTM")
    viewers = {
        "owner": owner,
        "liaison_named": make_user("liaison", "DEHAM", "NLRTM"),
        "liaison": make_user("liaison", "DEHAM", "NLRTM"),
        "shared_reader": make_user("officer", "BEANR"),
        "partner": make_user("partner", "BEANR"),
        "auditor": make_user("auditor", "NLRTM"),
    }
    grant = session.scalar(
        select(UserOrganisation).where(
            UserOrganisation.user_id == viewers["liaison_named"].id,
            UserOrganisation.organisation_id == owner.organisation_id,
        )
    )
    grant.names = True
    return viewers


@pytest.fixture
def world(session, make_user, make_case):
    viewers = make_viewers(session, make_user)
    owner = viewers["owner"]
    cases = {}
    for kind, fields in CASES.items():
        case = make_case(owner, title=f"Case {kind}", **fields)
        name, role = PEOPLE[kind]
        entity_service.add_entity_to_case(
            session, owner, case, {"schema": "Person", "properties": {"name": [name]}, "role": role}
        )
        cases[kind] = case
    session.commit()
    return viewers, cases


def _seen(kind: str, shown) -> str:
    """What a view showed of the case's protected person."""
    text = json.dumps(shown, default=str, ensure_ascii=False)
    name, role = PEOPLE[kind]
    if name in text:
        return "named"
    assert f"{role.title()} 1" in text, text
    return "labelled"


def _case_page(session, user, case, kind) -> str:
    _forget_access(session)
    try:
        access.get_case(session, user, case.id)
    except NotFound:
        return "withheld"
    return _seen(kind, [e["name"] for e in case_view.case_entities(session, user, case)])


def _shared_view(session, user, case, kind) -> str:
    _forget_access(session)
    try:
        context = report_service.shared_case_context(session, user, case.id)
    except (NotFound, AccessDenied):
        return "withheld"
    return _seen(kind, context["case"])


VIEWS = {"case_page": _case_page, "shared_view": _shared_view}


@pytest.mark.backends
def test_the_read_views_give_each_viewer_what_the_matrix_says(session, world):
    viewers, cases = world
    seen, expected = {}, {}
    for path, view in VIEWS.items():
        for viewer, user in viewers.items():
            for kind, case in cases.items():
                seen[(path, viewer, kind)] = view(session, user, case, kind)
                expected[(path, viewer, kind)] = _expected(MATRIX[(path, viewer)], kind)
    assert seen == expected


@pytest.mark.backends
def test_partners_read_no_case_through_the_api(client, session, world, token_for):
    viewers, cases = world
    headers = bearer(token_for(viewers["partner"]))
    for case in cases.values():
        response = client.get(f"/api/v1/cases/{case.id}", headers=headers)
        assert response.status_code in (403, 404)
        assert not re.search("Jansen|Visser|Bakker|Vries", response.get_data(as_text=True))
    listed = client.get("/api/v1/reports", headers=headers)
    assert listed.status_code == 200
    assert not re.search("Jansen|Visser|Bakker|Vries", listed.get_data(as_text=True))


def _forget_access(session):
    """Forget what access.py cached for the request (memberships change between readings)."""
    for key in [k for k in session.info if str(k).startswith("access.")]:
        del session.info[key]


# --- every way out declares its policy -----------------------------------------------------------

# A route or command that writes a file or answers about cases across organisations.
OUTBOUND_LOOKING = re.compile(
    r"\.(pdf|csv|ftm|gexf|graphml|svg|png|json)$|export|download|shared|report|stats|links|hits"
)


def test_every_outbound_route_declares_its_path_in_the_matrix(app):
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    looking = {e for e, rule in rules.items() if OUTBOUND_LOOKING.search(rule)}

    declared = (
        set(sharing.OUTBOUND_ENDPOINTS)
        | set(sharing.INSIDE_ENDPOINTS)
        | set(sharing.ISSUING_ENDPOINTS)
    )
    undeclared = looking - declared
    stale = (set(sharing.OUTBOUND_ENDPOINTS) | set(sharing.ISSUING_ENDPOINTS)) - set(rules)

    assert not undeclared, f"declare these routes in sharing.OUTBOUND_ENDPOINTS: {undeclared}"
    assert not stale, f"no such routes any more: {stale}"
    assert set(sharing.OUTBOUND_ENDPOINTS.values()) <= set(sharing.OUTBOUND_PATHS)


def test_every_kind_of_report_or_export_follows_a_path_of_the_matrix():
    from assettrack.services import issuing

    assert set(sharing.KIND_PATHS) == set(issuing.KINDS)
    assert set(sharing.KIND_PATHS.values()) <= set(sharing.OUTBOUND_PATHS)


def test_every_outbound_command_declares_its_path_in_the_matrix(app):
    import click

    def walk(group, prefix=""):
        for name, command in group.commands.items():
            full = f"{prefix} {name}".strip()
            if isinstance(command, click.Group):
                yield from walk(command, full)
            else:
                yield full

    commands = set(walk(app.cli))
    looking = {c for c in commands if re.search(r"export|report", c) and "verify" not in c}

    assert looking <= set(sharing.OUTBOUND_COMMANDS), looking - set(sharing.OUTBOUND_COMMANDS)
    assert set(sharing.OUTBOUND_COMMANDS) <= commands
    assert set(sharing.OUTBOUND_COMMANDS.values()) <= set(sharing.OUTBOUND_PATHS)


@pytest.mark.backends
def test_the_case_api_read_follows_the_names_flag(client, session, world, token_for):
    viewers, cases = world
    case = cases["witness"]

    def names(viewer):
        response = client.get(
            f"/api/v1/cases/{case.id}", headers=bearer(token_for(viewers[viewer]))
        )
        assert response.status_code == 200
        return [e["name"] for e in response.json["entities"]]

    assert names("owner") == ["Anneke Visser"]
    assert names("liaison_named") == ["Anneke Visser"]
    assert names("liaison") == ["Witness 1"]
