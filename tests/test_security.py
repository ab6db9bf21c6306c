"""Logins, lock-out, CSRF, cookies and headers."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.models import Case
from assettrack.models import User
from assettrack.models import utcnow
from tests.conftest import PASSWORD
from tests.conftest import login


def test_login_with_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client, make_user
):
    officer = make_user("officer", "NLRTM")
    wrong = login(client, officer, password="not-the-password")
    unknown = client.post("/login", data={"email": "ghost@example.test", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 401
    assert b"Login refused" in wrong.data
    # Same page either way (the CSRF token, which carries a timestamp, aside).
    def page(response, email):
        text = response.data.decode().replace(email, "")
        return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", text)

    assert page(wrong, officer.email) == page(unknown, "ghost@example.test")


def test_repeated_failures_pause_sign_in_with_growing_delays_the_owner_can_outwait(
    client, session, make_user
):
    officer = make_user("officer", "NLRTM")
    for _ in range(5):
        assert login(client, officer, password="wrong-password-here").status_code == 401
    paused = login(client, officer)  # the right password, but during the pause
    assert paused.status_code == 401 and b"Login refused" in paused.data
    user = session.get(User, officer.id)
    session.refresh(user)
    assert timedelta(seconds=25) < user.locked_until - utcnow() <= timedelta(seconds=30)
    for expected in (60, 120, 240, 480, 900, 900):  # each failure after a pause doubles it
        user.locked_until = utcnow() - timedelta(seconds=1)  # the pause is over
        session.add(user)
        session.commit()
        assert login(client, officer, password="wrong-password-here").status_code == 401
        session.refresh(user)
        assert timedelta(seconds=expected - 5) < user.locked_until - utcnow()
        assert user.locked_until - utcnow() <= timedelta(seconds=expected)  # never over 15 min
    user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
    session.add(user)
    session.commit()
    assert login(client, officer).status_code == 302
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_deactivated_user_cannot_log_in_and_loses_the_session(client, session, make_user):
    from assettrack.services import accounts

    officer = make_user("officer", "NLRTM")
    assert login(client, officer).status_code == 302
    accounts.deactivate_user(session, None, officer)
    session.commit()
    assert client.get("/cases/").status_code == 302
    assert login(client, officer).status_code == 401
    assert session.get(User, officer.id) is not None  # deactivated, never deleted


def test_forms_without_csrf_token_are_refused_and_change_nothing(csrf_app, make_user):
    officer = make_user("officer", "NLRTM")
    client = csrf_app.test_client()
    refused = client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert refused.status_code == 400
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = client.post(
        "/login", data={"email": officer.email, "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302
    forged = client.post(
        "/cases/new", data={"title": "Forged", "tlp": "AMBER", "handling_code": "H0"}
    )
    assert forged.status_code == 400
    assert b"form expired" in forged.data
    with csrf_app.app_context():
        from assettrack.db import get_session

        assert get_session().scalar(select(func.count()).select_from(Case)) == 0


def test_logout_needs_a_post(client, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/cases/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_login_does_not_redirect_off_site(client, make_user, target):
    officer = make_user("officer", "NLRTM")
    response = client.post(
        f"/login?next={target}", data={"email": officer.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_security_headers_and_cookie_flags(client, make_user):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    officer = make_user("officer", "NLRTM")
    cookie = login(client, officer).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_templates_have_no_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        if (
            "<script>" in text
            or "<script " in text.replace("<script src=", "")
            or " style=" in text
        ):
            offenders.append(str(path.relative_to(root)))
        if "onclick=" in text or "onchange=" in text or "onsubmit=" in text:
            offenders.append(str(path.relative_to(root)))
    assert not offenders, f"inline script/style (forbidden by the CSP) in {offenders}"


def test_passwords_are_stored_as_argon2_hashes(session, make_user):
    officer = make_user("officer", "NLRTM")
    stored = session.get(User, officer.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_debug_is_off_by_default():
    from assettrack import config

    assert config.DEBUG is False


def test_environment_settings_take_the_type_of_their_default(monkeypatch, tmp_path):
    from datetime import timedelta as td

    from assettrack import create_app

    monkeypatch.setenv("ASSETTRACK_PROXY_COUNT", "1")
    monkeypatch.setenv("ASSETTRACK_PAGE_SIZE", "10")
    monkeypatch.setenv("ASSETTRACK_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("ASSETTRACK_JOBS_IMMEDIATE", "yes")
    monkeypatch.setenv("ASSETTRACK_PERMANENT_SESSION_LIFETIME", "3600")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "AUDIT_KEY": "y"})
    assert app.config["PROXY_COUNT"] == 1 and app.config["PAGE_SIZE"] == 10
    assert app.config["SESSION_COOKIE_SECURE"] is False and app.config["JOBS_IMMEDIATE"] is True
    assert app.config["PERMANENT_SESSION_LIFETIME"] == td(hours=1)
    assert app.test_client().get("/login").status_code == 200
    monkeypatch.setenv("ASSETTRACK_JOBS_IMMEDIATE", "perhaps")
    with pytest.raises(ValueError, match="true or false"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "AUDIT_KEY": "y"})
