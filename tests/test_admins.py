"""Two kinds of admin (DECISIONS #9 §1, issue #9 finding 12): organisation admins manage only
their own organisation's users and grants; the installation admin manages organisations and
enrols an organisation's first admin through a one-time link, and reads no case."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assettrack import access
from assettrack import create_app
from assettrack.errors import AccessDenied
from assettrack.errors import Invalid
from assettrack.errors import NotFound
from assettrack.models import AuditEntry
from assettrack.models import Enrolment
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.services import accounts
from tests.conftest import PASSWORD
from tests.conftest import bearer
from tests.conftest import login

# New passwords an admin or a new user sets: long and not guessable (zxcvbn score 3 or more).
NEW = "harbour-crane-north-16"
PW = "pilot-boat-evening"
PW2 = "quay-lights-morning"
PW3 = "reefer-yard-silent"
PW4 = "xylophone-tide-gate"


@pytest.fixture
def operator(session):
    """The installation's operator organisation and its admin (signing in with a password only,
    like the test organisations; tests/test_second_factor.py tests the second factor)."""
    ops = accounts.create_organisation(
        session,
        None,
        code="OPS",
        name="Installation operator",
        country="NL",
        timezone="Europe/Amsterdam",
        language="en",
        kind="installation",
    )
    ops.second_factor_required = False
    user = accounts.create_user(
        session,
        None,
        email="root@ops.test",
        name="Operator",
        role="admin",
        organisation_codes=["OPS"],
        password=PASSWORD,
    )
    session.commit()
    return user


def _org(session, code):
    return session.scalar(select(Organisation).where(Organisation.code == code))


def _user(session, email):
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


# --- finding 12: an admin of one city cannot reach another -----------------------------------


def test_admin_page_creates_users_only_in_the_admins_own_city(client, session, make_user):
    admin = make_user("admin", "NLRTM")
    login(client, admin)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "mole@antwerp.test",
            "name": "Mole",
            "role": "officer",
            "organisation_codes": ["BEANR"],  # what the old form accepted
            "password": PASSWORD,
            "language": "",
        },
    )
    assert response.status_code == 302
    created = _user(session, "mole@antwerp.test")
    assert created.organisation_id == _org(session, "NLRTM").id


def test_admin_service_refuses_a_user_in_another_city_or_a_grant(session, make_user):
    admin = make_user("admin", "NLRTM")
    with pytest.raises(AccessDenied):
        accounts.create_user(
            session, admin, email="x@antwerp.test", name="X", role="officer",
            organisation_codes=["BEANR"], password=PASSWORD,
        )
    with pytest.raises(AccessDenied):
        accounts.create_user(
            session, admin, email="y@rotterdam.test", name="Y", role="liaison",
            organisation_codes=["NLRTM", "BEANR"], password=PASSWORD,
        )
    session.rollback()
    assert _user(session, "x@antwerp.test") is None and _user(session, "y@rotterdam.test") is None


def test_admin_neither_sees_nor_touches_users_of_another_city(client, session, make_user):
    admin = make_user("admin", "NLRTM")
    mine = make_user("officer", "NLRTM")
    theirs = make_user("officer", "BEANR")
    login(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert mine.email in page and theirs.email not in page
    for path in (f"/admin/users/{theirs.id}/password",):
        assert client.get(path).status_code == 404
    for action in ("deactivate", "reactivate", "password"):
        response = client.post(f"/admin/users/{theirs.id}/{action}", data={"password": PW4})
        assert response.status_code == 404, action
    assert _user(session, theirs.email).active
    with pytest.raises(NotFound):
        accounts.deactivate_user(session, admin, theirs)


def test_admin_reads_no_case_by_page_or_api(client, session, make_user, make_case, token_for):
    admin = make_user("admin", "NLRTM")
    antwerp = make_case(make_user("officer", "BEANR"), title="Diamonds")
    rotterdam = make_case(make_user("officer", "NLRTM"), title="Reefers")
    token = token_for(admin)
    assert client.get("/api/v1/cases", headers=bearer(token)).get_json()["items"] == []
    for case in (antwerp, rotterdam):
        assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(token)).status_code == 404
    login(client, admin)
    assert client.get(f"/cases/{antwerp.id}").status_code in (403, 404)


def test_organisation_admin_resets_officers_not_other_admins(client, session, make_user):
    admin = make_user("admin", "NLRTM")
    other_admin = make_user("admin", "NLRTM")
    officer = make_user("officer", "NLRTM")
    login(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{officer.id}/password" in page
    assert f"/admin/users/{other_admin.id}/password" not in page
    assert client.post(
        f"/admin/users/{other_admin.id}/password", data={"password": NEW}
    ).status_code == 403
    response = client.post(f"/admin/users/{officer.id}/password", data={"password": NEW})
    assert response.status_code == 302
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.object_id == str(officer.id) and entry.organisation_id == officer.organisation_id


# --- grants: made by the admin of the organisation granted -----------------------------------


def test_a_grant_to_antwerp_is_made_by_antwerps_admin(client, session, make_user, make_case):
    liaison = make_user("liaison", "NLRTM")
    case = make_case(make_user("officer", "BEANR"), title="Diamonds")
    rotterdam_admin = make_user("admin", "NLRTM")
    antwerp_admin = make_user("admin", "BEANR")
    with pytest.raises(AccessDenied):
        accounts.grant_organisation(session, rotterdam_admin, liaison, _org(session, "BEANR"))
    session.rollback()

    login(client, antwerp_admin)
    response = client.post("/admin/grants", data={"email": liaison.email})
    assert response.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert liaison.email in page and "Withdraw" in page
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "grant")).one()
    assert entry.organisation_id == _org(session, "BEANR").id
    client.post("/logout")

    login(client, liaison)
    assert client.get(f"/cases/{case.id}").status_code == 200
    client.post("/logout")

    login(client, antwerp_admin)
    assert client.post(f"/admin/grants/{liaison.id}/withdraw").status_code == 302
    client.post("/logout")
    login(client, liaison)
    assert client.get(f"/cases/{case.id}").status_code == 404


@pytest.mark.parametrize(
    ("email", "message"),
    [("nobody@example.test", "No liaison has this e-mail"), ("", "No liaison")],
)
def test_a_grant_to_an_unknown_liaison_is_refused_beside_the_field(
    client, make_user, email, message
):
    login(client, make_user("admin", "BEANR"))
    response = client.post("/admin/grants", data={"email": email})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_only_a_liaison_may_be_granted(client, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, make_user("admin", "BEANR"))
    response = client.post("/admin/grants", data={"email": officer.email})
    assert response.status_code == 422
    assert "only a liaison" in response.get_data(as_text=True)


# --- the installation admin ------------------------------------------------------------------


def test_installation_admin_manages_organisations_not_users_or_cases(
    client, session, operator, make_user
):
    officer = make_user("officer", "NLRTM")
    login(client, operator)
    assert client.get("/admin/organisations").status_code == 200
    assert client.get("/admin/users/new").status_code == 403
    assert client.get(f"/admin/users/{officer.id}/password").status_code == 404
    assert client.post(f"/admin/users/{officer.id}/deactivate").status_code == 404
    page = client.get("/admin/users").get_data(as_text=True)
    assert operator.email in page and officer.email not in page
    assert client.get("/cases/").status_code == 403
    with pytest.raises(AccessDenied):
        accounts.reset_password(session, operator, operator, NEW)


def test_organisation_admin_has_no_organisations_page(client, make_user):
    login(client, make_user("admin", "NLRTM"))
    assert client.get("/admin/organisations").status_code == 403
    assert client.get("/admin/organisations/new").status_code == 403
    assert 'href="/admin/organisations"' not in client.get("/admin/users").get_data(as_text=True)


def test_installation_admin_adds_an_organisation(client, session, operator):
    login(client, operator)
    data = {"code": "MTMAR", "name": "Marsaxlokk", "country": "MT",
            "timezone": "Europe/Malta", "language": "mt", "kind": "local"}
    assert client.post("/admin/organisations/new", data=data).status_code == 302
    org = _org(session, "MTMAR")
    assert org.kind == "local" and org.timezone == "Europe/Malta"
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "organisation",
                                 AuditEntry.object_id == str(org.id))
    ).one()
    assert entry.organisation_id == org.id and entry.user_id == operator.id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "NL RTM!", "2 to 10 letters"),
        ("code", "NLRTM", "already exists"),
        ("country", "Netherlands", "two-letter country"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("language", "dutch", "two-letter language"),
        ("kind", "installation", "already has its operator"),
        ("kind", "galactic", "Not a valid choice"),
    ],
)
def test_a_bad_organisation_is_refused_beside_its_field(client, operator, field, value, message):
    login(client, operator)
    data = {"code": "MTMAR", "name": "Marsaxlokk", "country": "MT",
            "timezone": "Europe/Malta", "language": "mt", "kind": "local", field: value}
    response = client.post("/admin/organisations/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html or "flash-error" in html


# --- enrolment of an organisation's first admin ----------------------------------------------


def _enrol_link(client, org_id, email="first@marseille.test"):
    response = client.post(
        f"/admin/organisations/{org_id}/enrolment", data={"email": email, "name": "Premier"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'value="(http[^"]+/enrol/[^"]+)"', response.get_data(as_text=True)).group(1)


def test_first_admin_enrols_once_through_the_link(app, client, session, operator):
    marseille = _org(session, "FRMRS")
    login(client, operator)
    link = _enrol_link(client, marseille.id)
    client.post("/logout")
    token = link.rsplit("/", 1)[1]
    stored = session.scalars(select(Enrolment)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    path = f"/enrol/{token}"
    assert "first@marseille.test" in client.get(path).get_data(as_text=True)
    short = client.post(path, data={"name": "Premier", "password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    differ = client.post(path, data={"name": "P", "password": PW, "confirm": PW2})
    assert differ.status_code == 422 and "The passwords differ." in differ.get_data(as_text=True)
    done = client.post(path, data={"name": "Premier", "password": PW, "confirm": PW})
    assert done.status_code == 302
    admin = _user(session, "first@marseille.test")
    assert admin.role == "admin" and admin.organisation_id == marseille.id
    assert access.is_organisation_admin(session, admin)
    assert client.get(path).status_code == 404  # used
    assert login(client, admin, PW).status_code == 302
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.organisation_id == marseille.id)
    ).all()
    assert {e.object_type for e in entries} >= {"enrolment", "user"}


def test_no_link_for_an_organisation_that_has_an_admin(client, session, operator, make_user):
    make_user("admin", "NLRTM")
    login(client, operator)
    org = _org(session, "NLRTM")
    listing = client.get("/admin/organisations").get_data(as_text=True)
    assert f"/admin/organisations/{org.id}/enrolment" not in listing
    assert f"/admin/organisations/{_org(session, 'FRMRS').id}/enrolment" in listing
    response = client.post(
        f"/admin/organisations/{org.id}/enrolment", data={"email": "me@x.test", "name": "Me"}
    )
    assert response.status_code == 409
    assert session.scalars(select(Enrolment)).first() is None
    with pytest.raises(AccessDenied):
        accounts.create_enrolment(session, operator, org, email="me@x.test", name="Me", hours=1)


def test_an_expired_or_unknown_link_opens_nothing(client, session, operator):
    org = _org(session, "FRMRS")
    row, token = accounts.create_enrolment(
        session, operator, org, email="late@marseille.test", name="Late", hours=1
    )
    row.expires_at = row.expires_at - timedelta(hours=2)
    session.commit()
    for path in (f"/enrol/{token}", "/enrol/en_guess", "/enrol/" + "x" * 300):
        assert client.get(path).status_code == 404
    response = client.post(
        f"/enrol/{token}", data={"name": "Late", "password": PW, "confirm": PW}
    )
    assert response.status_code == 404
    assert _user(session, "late@marseille.test") is None
    with pytest.raises(Invalid):
        accounts.create_enrolment(session, operator, org, email="not-mail", name="", hours=1)


# --- organisations that take part in case work -----------------------------------------------


def test_the_operator_organisation_takes_no_part_in_case_work(client, session, operator, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    assert "OPS" not in client.get("/cases/new").get_data(as_text=True)
    response = client.post(
        "/api/v1/cases", json={"title": "Leak", "tlp": "AMBER", "shared_with": ["OPS"]}
    )
    assert response.status_code == 422
    codes = [o.code for o in session.scalars(access.case_organisations())]
    assert "OPS" not in codes and "NLRTM" in codes
    with pytest.raises(Invalid):
        accounts.create_user(
            session, None, email="o@ops.test", name="O", role="officer",
            organisation_codes=["OPS"], password=PASSWORD,
        )


# --- command line ----------------------------------------------------------------------------


def test_cli_adds_the_operator_organisation_and_enrols_admins(runner, session, client):
    args = ["org", "add", "OPS", "Operator", "--country", "NL", "--timezone",
            "Europe/Amsterdam", "--language", "en", "--kind", "installation"]
    assert runner.invoke(args=args).exit_code == 0
    second = runner.invoke(args=[*args[:2], "OPS2", *args[3:]])
    assert second.exit_code == 2 and "operator organisation" in second.output
    assert "installation" in runner.invoke(args=["org", "list"]).output
    result = runner.invoke(args=["org", "enrol", "OPS", "root@ops.test", "--name", "Root"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:5000/enrol/en_")
    path = link.removeprefix("http://127.0.0.1:5000")
    assert client.post(
        path, data={"name": "Root", "password": PW3, "confirm": PW3}
    ).status_code == 302
    assert access.is_installation_admin(session, _user(session, "root@ops.test"))
    bad = runner.invoke(args=["user", "add", "x@ops.test", "--org", "OPS", "--role", "officer",
                              "--password-stdin"], input=PASSWORD + "\n")
    assert bad.exit_code == 2 and "admins only" in bad.output


def test_cli_grants_and_withdraws(runner, session, make_user):
    liaison = make_user("liaison", "NLRTM")
    assert "now reads" in runner.invoke(
        args=["user", "grant", liaison.email, "--org", "BEANR"]
    ).output
    assert access.organisation_ids(session, liaison) == {
        _org(session, "NLRTM").id, _org(session, "BEANR").id
    }
    assert "no longer reads" in runner.invoke(
        args=["user", "withdraw", liaison.email, "--org", "BEANR"]
    ).output


# --- instance files --------------------------------------------------------------------------


def test_instance_files_are_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    loose = instance / "audit-checkpoint.json"
    loose.write_text("{}")
    loose.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
        from assettrack.cli import migrate

        with app.app_context():
            migrate()
        app.extensions["assettrack.engine"].dispose()
        later = instance / "files" / "uploads"  # what the application writes afterwards
        later.mkdir()
        (later / "register.csv").write_text("name\n")
    finally:
        os.umask(old_umask)
    assert _mode(instance) == 0o700
    assert _mode(instance / "files") == 0o700
    assert _mode(later) == 0o700 and _mode(later / "register.csv") == 0o600
    for name in ("secret_key", "audit_key", "assettrack.sqlite", "audit-checkpoint.json"):
        assert _mode(instance / name) == 0o600, name


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_existing_admins_become_organisation_admins(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy import text
    from sqlmodel import Session

    from assettrack.cli import migrate

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    migrate(url, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO organisation (id, code, name, country, timezone, language, created_at) "
            "VALUES (1, 'NLRTM', 'Rotterdam', 'NL', 'Europe/Amsterdam', 'nl', '2026-01-01')"
        ))
        conn.execute(text(
            "INSERT INTO app_user (id, email, name, password_hash, role, organisation_id, active, "
            "failed_logins, created_at) VALUES (1, 'a@x.test', 'A', 'h', 'admin', 1, 1, 0, "
            "'2026-01-01')"
        ))
    migrate(url, "heads")
    with Session(engine) as session:
        admin = session.get(User, 1)
        assert session.get(Organisation, 1).kind == "local"
        assert access.is_organisation_admin(session, admin)
        assert not access.is_installation_admin(session, admin)
    engine.dispose()


def test_a_role_change_stays_in_the_city_and_ends_grants(client, session, make_user):
    admin = make_user("admin", "NLRTM")
    liaison = make_user("liaison", "NLRTM", "BEANR")
    stranger = make_user("officer", "BEANR")
    login(client, admin)
    assert client.get(f"/admin/users/{stranger.id}/role").status_code == 404
    role = "/admin/users/{}/role".format
    assert client.post(role(stranger.id), data={"role": "admin"}).status_code == 404
    assert client.post(role(admin.id), data={"role": "officer"}).status_code == 403
    bad = client.post(role(liaison.id), data={"role": "king"})
    assert bad.status_code == 422 and 'id="role-error"' in bad.get_data(as_text=True)
    assert client.post(role(liaison.id), data={"role": "officer"}).status_code == 302
    changed = _user(session, liaison.email)
    assert changed.role == "officer"
    assert access.organisation_ids(session, changed) == {_org(session, "NLRTM").id}
    withdrawn = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "grant")).one()
    assert withdrawn.organisation_id == _org(session, "BEANR").id
    assert _user(session, stranger.email).role == "officer"


def test_only_demo_seed_creates_users(runner, session):
    from sqlalchemy import func

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(User)) == 0
