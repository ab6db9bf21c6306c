"""The assettrack command: organisations, users, tokens, demo data."""

from sqlalchemy import func
from sqlalchemy import select

from assettrack.models import Case
from assettrack.models import Organisation
from assettrack.models import User
from tests.conftest import bearer


def test_seeded_organisations_are_european_port_cities_with_contact_and_time_zone(session):
    orgs = list(session.scalars(select(Organisation)))
    codes = {o.code for o in orgs}
    assert len(orgs) >= 16
    assert {"NLRTM", "BEANR", "DEHAM", "FRMRS", "ITGOA", "GRPIR", "PLGDN", "ROCND"} <= codes
    for org in orgs:
        assert org.timezone.startswith("Europe/") and len(org.country) == 2
        assert org.language and "@" in org.contact_email


def test_org_add_and_its_bad_input(runner, session):
    result = runner.invoke(
        args=[
            "org",
            "add",
            "MTMAR",
            "Marsaxlokk",
            "--country",
            "MT",
            "--timezone",
            "Europe/Malta",
            "--language",
            "mt",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        session.scalar(select(Organisation).where(Organisation.code == "MTMAR")).name
        == "Marsaxlokk"
    )
    again = runner.invoke(
        args=[
            "org",
            "add",
            "MTMAR",
            "Again",
            "--country",
            "MT",
            "--timezone",
            "Europe/Malta",
            "--language",
            "mt",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(
        args=[
            "org",
            "add",
            "XXBAD",
            "Nowhere",
            "--country",
            "Malta",
            "--timezone",
            "Mars/Olympus",
            "--language",
            "mt",
        ]
    )
    assert bad.exit_code == 2
    assert "country" in bad.output and "unknown time zone" in bad.output
    assert session.scalar(select(Organisation).where(Organisation.code == "XXBAD")) is None


def test_user_add_with_password_on_stdin_then_login(runner, client):
    result = runner.invoke(
        args=[
            "user",
            "add",
            "liaison@politie.example",
            "--org",
            "NLRTM",
            "--org",
            "BEANR",
            "--role",
            "liaison",
            "--password-stdin",
        ],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    login = client.post(
        "/login", data={"email": "liaison@politie.example", "password": "a-long-enough-password"}
    )
    assert login.status_code == 302


def test_user_add_prompts_for_the_password_when_not_on_stdin(runner, session):
    result = runner.invoke(
        args=["user", "add", "auditor@rotterdam.example", "--org", "NLRTM", "--role", "auditor"],
        input="prompted-password-1\nprompted-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User).where(User.email == "auditor@rotterdam.example"))


def test_user_add_refuses_bad_input_and_creates_nothing(runner, session):
    cases = [
        (
            [
                "user",
                "add",
                "x@y.example",
                "--org",
                "NOPE1",
                "--role",
                "officer",
                "--password-stdin",
            ],
            "a-long-enough-password\n",
            "unknown organisation",
        ),
        (
            [
                "user",
                "add",
                "x@y.example",
                "--org",
                "NLRTM",
                "--role",
                "officer",
                "--password-stdin",
            ],
            "short\n",
            "at least 12",
        ),
        (
            [
                "user",
                "add",
                "x@y.example",
                "--org",
                "NLRTM",
                "--org",
                "BEANR",
                "--role",
                "officer",
                "--password-stdin",
            ],
            "a-long-enough-password\n",
            "only a liaison",
        ),
    ]
    for args, stdin, words in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 2 and words in result.output, result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_token_add_prints_the_token_last_and_revoke_stops_it(runner, client, make_user):
    officer = make_user("officer", "NLRTM")
    result = runner.invoke(args=["token", "add", officer.email])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    revoked = runner.invoke(args=["token", "revoke", officer.email])
    assert revoked.exit_code == 0 and "1 token" in revoked.output
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401


def test_user_deactivate_stops_logins_and_tokens(runner, client, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    token = token_for(officer)
    assert runner.invoke(args=["user", "deactivate", officer.email]).exit_code == 0
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401
    unknown = runner.invoke(args=["user", "deactivate", "nobody@example.test"])
    assert unknown.exit_code == 2 and "no user" in unknown.output


def test_demo_seed_loads_once_and_its_logins_work(runner, client, session, app):
    import re
    from pathlib import Path

    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0 and "demo data loaded" in first.output
    password = re.search(r"chosen at random here: (\S+)\)", first.output).group(1)
    cases = session.scalar(select(func.count()).select_from(Case))
    assert cases >= 12
    kept = Path(app.instance_path) / "demo-logins.txt"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert f"password: {password}" in kept.read_text()
    second = runner.invoke(args=["demo", "seed"])
    assert "not loaded twice" in second.output and str(kept) in second.output
    assert password not in second.output
    assert session.scalar(select(func.count()).select_from(Case)) == cases
    emails = [line.split()[0] for line in first.output.splitlines() if "@" in line]
    roles = {line.split()[1] for line in first.output.splitlines() if "@" in line}
    assert roles == {"officer", "liaison", "partner", "auditor", "admin"}
    for email in emails:
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, email
        client.post("/logout")
    tlps = set(session.scalars(select(Case.tlp)))
    assert {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"} <= tlps
    assert set(session.scalars(select(Case.status))) == {"open", "closed"}


def test_each_demo_installation_gets_its_own_password(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = str(Path(sys.executable).parent / "assettrack")
    passwords = set()
    for name in ("one", "two"):
        env = dict(os.environ, ASSETTRACK_INSTANCE_PATH=str(tmp_path / name))
        env.pop("ASSETTRACK_DATABASE_URL", None)
        subprocess.run([exe, "db", "upgrade"], env=env, check=True, capture_output=True)
        out = subprocess.run(
            [exe, "demo", "seed"], env=env, check=True, capture_output=True, text=True
        ).stdout
        passwords.add(out.split("chosen at random here: ")[1].split(")")[0])
    assert len(passwords) == 2
    assert "demo-assettrack-2026" not in passwords


def test_database_url_from_the_environment_is_used_by_cli_commands(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    env = dict(
        os.environ, ASSETTRACK_DATABASE_URL=url, ASSETTRACK_INSTANCE_PATH=str(tmp_path / "instance")
    )
    exe = str(Path(sys.executable).parent / "assettrack")
    subprocess.run([exe, "db", "upgrade"], env=env, check=True, capture_output=True)
    listing = subprocess.run(
        [exe, "org", "list"], env=env, check=True, capture_output=True, text=True
    )
    assert "NLRTM" in listing.stdout
    assert (tmp_path / "elsewhere.sqlite").exists()
    assert (tmp_path / "instance" / "secret_key").exists()
    assert (tmp_path / "instance" / "audit_key").exists()
