"""Every route of the OpenAPI document, called with the demo data, answers what it declares.

The fuzz test (test_fuzz_api.py) sends random input to a nearly empty database; this one sends
real requests to the demo seed, as the role that may make them, and validates each actual
body against the schema the spec declares for its status code.
"""

import io

import jsonschema
import pytest
from sqlalchemy import select

from assettrack.models import Asset
from assettrack.models import Case
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.services import demo
from assettrack.services.cases import org_today
from tests.conftest import bearer

#: Routes this test does not call, with the reason.
NOT_CALLED = {
    ("post", "/merges/{merge_id}/undo"): "needs a merge of duplicates the demo does not hold; "
    "test_duplicates_api.py undoes one",
    ("post", "/duplicates/review"): "needs a candidate pair the demo does not hold",
    ("post", "/entities/merge"): "needs a candidate pair the demo does not hold",
    ("get", "/cases/{case_id}/tasks"): "the demo holds no task; tests/test_tasks.py calls it",
    ("post", "/cases/{case_id}/tasks"): "tests/test_tasks.py creates tasks",
    ("get", "/tasks/{task_id}"): "the demo holds no task; tests/test_tasks.py reads one",
    ("patch", "/tasks/{task_id}"): "the demo holds no task; tests/test_tasks.py changes one",
}


@pytest.fixture
def demo_api(app, client, session, token_for):
    """The demo seed, and a caller per demo account that checks every answer against the spec."""
    demo.seed(session, demo.new_password())
    session.commit()
    spec = client.get("/api/v1/openapi.json").json
    called = set()

    class Caller:
        def __init__(self, email):
            user = session.scalar(select(User).where(User.email == f"{email}@{demo.DEMO_DOMAIN}"))
            self.headers = bearer(token_for(user))

        def __call__(self, method, template, expect, *, path=None, **kwargs):
            url = "/api/v1" + (path or template)
            headers = {**self.headers, **kwargs.pop("headers", {})}
            response = client.open(url, method=method.upper(), headers=headers, **kwargs)
            response.get_data()  # read a streamed file whole, so that closing it loses nothing
            response.close()
            assert response.status_code == expect, (method, url, response.get_data(as_text=True))
            _check(spec, method, template, response)
            called.add((method, template))
            return response

    return Caller, spec, called


def _check(spec, method, template, response):
    declared = spec["paths"][template][method]["responses"].get(str(response.status_code))
    assert declared, f"{method} {template}: {response.status_code} is not declared"
    if "$ref" in declared:
        declared = spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    content = declared.get("content", {})
    media = response.mimetype
    if not media.endswith("json"):
        # A file (SVG, PDF): its media type is declared, its bytes are not a JSON document.
        assert media in content or "*/*" in content or not content, (
            f"{method} {template}: {media} is not declared"
        )
        return
    assert media in content, f"{method} {template}: {media} is not declared"
    schema = {**content[media]["schema"], "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [
        f"at /{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(response.json)
    ]
    assert not errors, f"{method} {template} {response.status_code}: " + "; ".join(errors[:5])


def test_every_route_answers_the_demo_data_as_its_spec_declares(demo_api, session):
    Caller, spec, called = demo_api
    officer = Caller("officer.rotterdam")
    partner = Caller("partner.hamburg")
    # "Today" as the officer's organisation counts it: a decision may not be dated later.
    rotterdam = session.scalar(select(User).where(User.email.like("officer.rotterdam@%")))
    day = org_today(session.get(Organisation, rotterdam.organisation_id))
    today = day.isoformat()

    # Cases
    cases = officer("get", "/cases", 200).json
    assert cases["total"] >= 1
    own_assets = list(
        session.scalars(
            select(Asset.entity_id)
            .where(Asset.organisation_id == rotterdam.organisation_id)
            .order_by(Asset.entity_id)
        )
    )
    assert own_assets, "the demo gives Rotterdam assets"
    case_id = session.scalar(
        select(Case.id).where(Case.organisation_id == rotterdam.organisation_id).order_by(Case.id)
    )
    officer("get", "/cases/{case_id}", 200, path=f"/cases/{case_id}")
    made = officer("post", "/cases", 201, json={"title": "Spec check: containers"}).json
    new = f"/cases/{made['id']}"
    officer("patch", "/cases/{case_id}", 200, path=new, json={"summary": "checked"})
    dossier = {"permit": "Spec check: operating licence", "received_on": "2026-11-02"}
    officer("put", "/cases/{case_id}/dossier", 201, path=f"{new}/dossier", json=dossier)
    officer("get", "/cases/{case_id}/dossier", 200, path=f"{new}/dossier")
    villa = officer(
        "post",
        "/cases/{case_id}/entities",
        201,
        path=new + "/entities",
        json={"schema": "RealEstate", "properties": {"name": "Villa Spec"}, "estimated_value": "5"},
    ).json["id"]
    company = officer(
        "post",
        "/cases/{case_id}/entities",
        201,
        path=new + "/entities",
        json={"schema": "Company", "properties": {"name": "Spec Holding BV"}, "role": "suspect"},
    ).json["id"]
    ownership = officer(
        "post",
        "/relations",
        201,
        json={"schema": "Ownership", "source": company, "target": villa, "percentage": "100"},
    ).json["id"]

    # Entities and the network
    officer("get", "/entities", 200, query_string={"q": "Spec"})
    officer("get", "/search", 200, query_string={"q": "Spec"})
    officer("get", "/entities/{entity_id}", 200, path=f"/entities/{villa}")
    officer("get", "/entities/{entity_id}/owners", 200, path=f"/entities/{villa}/owners")
    officer("get", "/entities/{entity_id}/network", 200, path=f"/entities/{villa}/network")
    officer("get", "/entities/{entity_id}/links", 200, path=f"/entities/{villa}/links")
    officer("get", "/entities/{entity_id}/screening", 200, path=f"/entities/{company}/screening")
    officer("get", "/paths", 200, query_string={"from": company, "to": villa})
    officer("get", "/cases/{case_id}/network", 200, path=f"/cases/{case_id}/network")
    officer("get", "/cases/{case_id}/network.svg", 200, path=f"/cases/{case_id}/network.svg")
    officer("get", "/cases/{case_id}/screening", 200, path=f"/cases/{case_id}/screening")

    # Corrections (issue #12): the version is the ETag, sent back in If-Match
    link, relation = f"{new}/entities/{company}", f"/relations/{ownership}"
    officer("get", "/cases/{case_id}/entities/{entity_id}", 200, path=link)
    no_version = {"role": "other"}
    officer("patch", "/cases/{case_id}/entities/{entity_id}", 428, path=link, json=no_version)
    v1 = {"If-Match": '"1"'}
    officer(
        "patch", "/entities/{entity_id}", 200, path=f"/entities/{company}",
        json={"properties": {"name": "Spec Holding Renamed"}}, headers=v1,
    )
    officer(
        "patch", "/entities/{entity_id}", 412, path=f"/entities/{company}",
        json={"properties": {"name": "Spec Holding Stale"}}, headers=v1,
    )
    officer(
        "patch", "/cases/{case_id}/entities/{entity_id}", 200, path=link,
        json={"role": "enabler"}, headers=v1,
    )
    officer("get", "/relations/{relation_id}", 200, path=relation)
    officer(
        "patch", "/relations/{relation_id}", 200, path=relation, json={"percentage": "90"},
        headers=v1,
    )
    removed = officer(
        "delete", "/relations/{relation_id}", 200, path=relation, json={"reason": "spec"},
        headers={"If-Match": '"2"'},
    ).json
    officer("post", "/changes/{change_id}/revert", 201, path=f"/changes/{removed['id']}/revert")
    officer(
        "delete", "/cases/{case_id}/entities/{entity_id}", 200, path=link,
        json={"reason": "spec"}, headers={"If-Match": '"2"'},
    )
    # Attachments (#13): a case's and an entity's, uploaded, listed, downloaded
    for owner, owner_path in (
        ("cases/{case_id}", new),
        ("entities/{entity_id}", f"/entities/{villa}"),
    ):
        attached = officer(
            "post",
            f"/{owner}/attachments",
            201,
            path=owner_path + "/attachments",
            data={"file": (io.BytesIO(b"Seen at quay 7.\n"), "note.txt")},
            content_type="multipart/form-data",
        ).json
        officer("get", f"/{owner}/attachments", 200, path=owner_path + "/attachments")
        officer(
            "get",
            f"/{owner}/attachments/{{attachment_id}}/file",
            200,
            path=attached["file"].removeprefix("/api/v1"),
        )

    # Decisions, assets, valuations and the ledger
    order = {
        "decided_on": today,
        "authority": "Rechtbank Rotterdam",
        "reference": "RC-SPEC",
        "legal_basis": "Art. 94 Sv",
    }
    freeze = officer(
        "post",
        "/cases/{case_id}/decisions",
        201,
        path=new + "/decisions",
        json={**order, "action": "freeze", "asset_ids": [villa], "value_at_freezing": "250000"},
    ).json
    officer("get", "/assets/{asset_id}", 200, path=f"/assets/{villa}")
    officer(
        "post",
        "/assets/{asset_id}/valuations",
        201,
        path=f"/assets/{villa}/valuations",
        json={"valued_on": today, "amount": "240000", "basis": "appraisal", "valuer": "Taxateur"},
    )
    officer(
        "post",
        "/assets/{asset_id}/ledger",
        201,
        path=f"/assets/{villa}/ledger",
        json={"booked_on": today, "kind": "cost", "amount": "120.50", "category": "storage"},
    )
    officer(
        "post",
        "/decisions/{decision_id}/annul",
        200,
        path=f"/decisions/{freeze['id']}/annul",
        json={"reason": "entered on the wrong case"},
    )
    # Every demo asset of the organisation, at every stage the demo put it in, with its history.
    for asset_id in own_assets:
        officer("get", "/assets/{asset_id}", 200, path=f"/assets/{asset_id}")
    # Refusals are problem documents: a bad field (422) and a move the lifecycle forbids (409).
    bad = {**order, "action": "freeze", "asset_ids": [villa], "decided_on": "2999-01-01"}
    problem = officer("post", "/cases/{case_id}/decisions", 422, path=new + "/decisions", json=bad)
    assert problem.json["errors"][0]["pointer"] == "/decided_on"
    release = {**order, "action": "release", "asset_ids": [villa], "reason": "acquittal"}
    officer("post", "/cases/{case_id}/decisions", 201, path=new + "/decisions", json=release)
    again = {**order, "action": "confiscate", "asset_ids": [villa], "confiscation_type": "value"}
    officer("post", "/cases/{case_id}/decisions", 409, path=new + "/decisions", json=again)

    # Statistics, duplicates, imports, mappings, analyses, jobs
    officer("get", "/stats", 200)
    officer("get", "/duplicates", 200)
    officer("post", "/duplicates/scan", 200)
    officer("get", "/register-mappings", 200)
    lines = b'{"id": "spec-1", "schema": "Person", "properties": {"name": ["Jan Spec"]}}\n'
    officer(
        "post",
        "/cases/{case_id}/imports/preview",
        200,
        path=new + "/imports/preview",
        data={"format": "csv", "file": (io.BytesIO(b"name,date\nJan Spec,2026-01-05\n"), "r.csv")},
        content_type="multipart/form-data",
    )
    job = officer(
        "post",
        "/cases/{case_id}/imports",
        202,
        path=new + "/imports",
        data={"format": "ftm", "file": (io.BytesIO(lines), "spec.ftm.json")},
        content_type="multipart/form-data",
    ).json
    officer("get", "/jobs/{job_id}", 200, path=f"/jobs/{job['id']}")
    officer("post", "/network/analyses", 202)
    officer("get", "/network/analyses/latest", 200)

    # Sharing and reports
    officer("get", "/cases/{case_id}/permissions", 200, path=f"/cases/{case_id}/permissions")
    officer(
        "post",
        "/cases/{case_id}/permissions",
        201,
        path=new + "/permissions",
        json={"recipient": "DEHAM", "granted_by": "Officier van Justitie", "granted_on": today},
    )
    period = {"to": "DEHAM", "year": day.year}
    officer("get", "/reports/partner/preview", 200, query_string=period)
    officer("get", "/reports/brief/preview", 200, query_string={"case": made["id"]})
    issued = officer(
        "post", "/reports", 202, json={"kind": "case_brief", "case": made["id"]}
    ).json
    officer("get", "/jobs/{job_id}", 200, path=f"/jobs/{issued['job']}")
    reports = officer("get", "/reports", 200).json
    partner("get", "/reports", 200, query_string={"received": "true"})
    report = reports["items"][0]
    officer("get", "/reports/{report_id}", 200, path=f"/reports/{report['id']}")
    pdf = officer(
        "get", "/reports/{report_id}/file", 200, path=f"/reports/{report['id']}/file"
    ).data
    officer(
        "post",
        "/reports/verify",
        200,
        query_string={"report": report["number"]},
        data=pdf,
        content_type="application/pdf",
    )
    officer(
        "post",
        "/reports/{report_id}/withdraw",
        200,
        path=f"/reports/{report['id']}/withdraw",
        json={"reason": "issued for the spec check"},
    )
    officer("put", "/register-mappings/{name}", 200, path="/register-mappings/spec", json={})
    officer("get", "/openapi.json", 200)

    # Watchlist (#12)
    watch = officer("post", "/watchlist", 201, json={"kind": "iban", "value": "NL91ABNA0417164300"})
    officer("get", "/watchlist", 200)
    officer("delete", "/watchlist/{watch_id}", 204, path=f"/watchlist/{watch.json['id']}")

    every = {
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert set(NOT_CALLED) <= every, "NOT_CALLED names a route the spec no longer has"
    missing = every - called - set(NOT_CALLED)
    assert not missing, f"routes neither called nor listed in NOT_CALLED: {sorted(missing)}"
