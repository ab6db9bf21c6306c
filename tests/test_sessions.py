"""Sessions as rows, sign-in throttling, CSRF with bearer headers, redirects and small hardening.

Each test here failed on the code before issue #9 (findings 5, 7, 8, 10-12).
"""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.models import ApiToken
from assettrack.models import AuditEntry
from assettrack.models import Case
from assettrack.models import SavedForm
from assettrack.models import UserSession
from assettrack.models import utcnow
from assettrack.services import accounts
from tests.conftest import PASSWORD
from tests.conftest import _make_app
from tests.conftest import bearer
from tests.conftest import login

# --- helpers ---------------------------------------------------------------------------------


def _open_sessions(session, user):
    session.expire_all()
    return list(
        session.scalars(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        )
    )


def _age(session, row, **delta):
    """Move a session's last activity into the past."""
    row = session.get(UserSession, row.id)
    row.last_seen_at = utcnow() - timedelta(**delta)
    session.add(row)
    session.commit()


def _copy_cookies(source, target):
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain)


def _csrf_token(client, path="/login"):
    page = client.get(path).data.decode()
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


@pytest.fixture
def limited_app(database_url, tmp_path):
    """The app with small rate limits switched on (each test app counts from zero)."""

    def make(**limits):
        return _make_app(
            database_url, tmp_path / "limited", RATELIMIT_ENABLED=True, **limits
        )

    return make


# --- finding 7: sessions that end ------------------------------------------------------------


def test_the_cookie_carries_a_random_token_not_the_user_id(client, session, make_user):
    officer = make_user("officer", "NLRTM")
    assert login(client, officer).status_code == 302
    with client.session_transaction() as cookie:
        token = cookie["_user_id"]
    assert token != str(officer.id) and len(token) >= 40
    [row] = _open_sessions(session, officer)
    assert token not in row.token_hash  # only its hash is stored
    assert row.expires_at - row.created_at == timedelta(hours=8)


def test_a_copied_cookie_stops_working_after_logout(app, session, make_user):
    officer = make_user("officer", "NLRTM")
    browser, thief = app.test_client(), app.test_client()
    login(browser, officer)
    _copy_cookies(browser, thief)
    assert thief.get("/cases/").status_code == 200
    browser.post("/logout")
    assert thief.get("/cases/").status_code == 302
    assert _open_sessions(session, officer) == []
    row = session.scalar(select(UserSession).where(UserSession.user_id == officer.id))
    assert row.end_reason == "logout"


def test_an_admin_password_reset_ends_every_session_and_revokes_the_tokens(
    app, session, make_user, token_for
):
    officer = make_user("officer", "NLRTM")
    admin = make_user("admin", "NLRTM")
    token = token_for(officer)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, officer)
    login(phone, officer)
    assert len(_open_sessions(session, officer)) == 2
    accounts.reset_password(session, admin, officer, "a-brand-new-password")
    session.commit()
    assert laptop.get("/cases/").status_code == 302
    assert phone.get("/cases/").status_code == 302
    assert laptop.get("/api/v1/cases", headers=bearer(token)).status_code == 401
    assert _open_sessions(session, officer) == []
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.details.contains("sessions_ended"))
    ).one()
    assert '"password_reset"' in entry.details and entry.actor == admin.email


def test_deactivation_ends_sessions_and_revokes_tokens(client, session, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    token = token_for(officer)
    login(client, officer)
    accounts.deactivate_user(session, None, officer)
    session.commit()
    assert client.get("/cases/").status_code == 302
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    assert row.revoked_at is not None
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401


def test_a_session_ends_after_thirty_idle_minutes(client, session, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    [row] = _open_sessions(session, officer)
    _age(session, row, minutes=29)
    assert client.get("/cases/").status_code == 200  # still open, and now active again
    _age(session, row, minutes=31)
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    session.expire_all()
    assert session.get(UserSession, row.id).end_reason == "idle"


def test_a_session_ends_eight_hours_after_sign_in_however_active(client, session, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    [row] = _open_sessions(session, officer)
    row = session.get(UserSession, row.id)
    row.expires_at = utcnow() - timedelta(seconds=1)  # signed in 8 hours ago
    session.add(row)
    session.commit()
    assert client.get("/cases/").status_code == 302
    session.expire_all()
    assert session.get(UserSession, row.id).end_reason == "expired"


def test_background_polling_does_not_extend_the_idle_time(client, session, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    [row] = _open_sessions(session, officer)
    _age(session, row, minutes=10)
    before = session.get(UserSession, row.id).last_seen_at
    assert client.get("/cases/", headers={"X-Background-Poll": "1"}).status_code == 200
    session.expire_all()
    assert session.get(UserSession, row.id).last_seen_at == before
    client.get("/cases/")
    session.expire_all()
    touched = session.get(UserSession, row.id).last_seen_at
    assert touched > before
    client.get("/cases/")  # within the minute: not written again
    session.expire_all()
    assert session.get(UserSession, row.id).last_seen_at == touched


def test_stay_signed_in_extends_the_session_and_needs_the_csrf_token(csrf_app, session, make_user):
    officer = make_user("officer", "NLRTM")
    client = csrf_app.test_client()
    token = _csrf_token(client)
    client.post("/login", data={"email": officer.email, "password": PASSWORD, "csrf_token": token})
    [row] = _open_sessions(session, officer)
    _age(session, row, minutes=28)
    status = client.get("/session/status", headers={"X-Background-Poll": "1"}).json
    assert 100 < status["remaining"] <= 120
    page = client.get("/cases/", headers={"X-Background-Poll": "1"}).data.decode()
    assert 'id="session-warning"' in page and "js/session.js" in page
    csrf = page.split('data-csrf="')[1].split('"')[0]
    assert client.post("/session/keep-alive").status_code == 400  # no CSRF token
    kept = client.post("/session/keep-alive", headers={"X-CSRFToken": csrf})
    assert kept.status_code == 200 and kept.json["remaining"] > 29 * 60


def test_changing_ones_password_ends_the_other_sessions_and_renews_this_one(
    app, session, make_user, token_for
):
    officer = make_user("officer", "NLRTM")
    token = token_for(officer)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, officer)
    login(phone, officer)
    copy = app.test_client()
    _copy_cookies(laptop, copy)
    wrong = laptop.post(
        "/account/password",
        data={"current_password": "not-my-password", "password": "another-long-password"},
    )
    assert wrong.status_code == 422 and b"is not your current password" in wrong.data
    changed = laptop.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "another-long-password"},
    )
    assert changed.status_code == 302
    assert laptop.get("/cases/").status_code == 200  # renewed, still signed in
    assert phone.get("/cases/").status_code == 302  # the other session ended
    assert copy.get("/cases/").status_code == 302  # the old token of this one too
    assert len(_open_sessions(session, officer)) == 1
    assert laptop.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    assert login(app.test_client(), officer, "another-long-password").status_code == 302


def test_a_form_posted_after_the_session_ended_survives_the_new_sign_in(
    app, session, make_user
):
    officer = make_user("officer", "NLRTM")
    client = app.test_client()
    login(client, officer)
    [row] = _open_sessions(session, officer)
    _age(session, row, minutes=45)
    posted = client.post(
        "/cases/new",
        data={"title": "Reefer <containers> at Waalhaven", "summary": "Two lines\nof text",
              "tlp": "AMBER", "handling_code": "H0"},
    )
    assert posted.status_code == 302 and "/login" in posted.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    signed_in = login(client, officer)
    assert signed_in.headers["Location"].endswith("/login/resume")
    page = client.get("/login/resume").data.decode()
    assert 'action="/cases/new"' in page
    assert "Reefer &lt;containers&gt; at Waalhaven" in page
    assert session.scalar(select(func.count()).select_from(SavedForm)) == 0  # shown once
    fields = dict(
        (part.split('name="')[1].split('"')[0], part.split('value="')[1].split('"')[0])
        for part in page.split("<input")[1:]
        if 'type="hidden"' in part and "csrf_token" not in part
    )
    import html

    sent = client.post("/cases/new", data={k: html.unescape(v) for k, v in fields.items()})
    assert sent.status_code == 302
    case = session.scalars(select(Case)).one()
    assert case.title == "Reefer <containers> at Waalhaven"


def test_a_kept_form_is_offered_only_to_its_own_user(app, session, make_user):
    officer = make_user("officer", "NLRTM")
    other = make_user("officer", "NLRTM")
    client = app.test_client()
    login(client, officer)
    [row] = _open_sessions(session, officer)
    _age(session, row, minutes=45)
    client.post("/cases/new", data={"title": "Kept", "tlp": "AMBER", "handling_code": "H0"})
    assert login(client, other).headers["Location"].endswith("/login/resume")
    assert client.get("/login/resume").status_code == 302  # nothing for this user
    assert session.scalar(select(func.count()).select_from(SavedForm)) == 0


# --- finding 5: CSRF whatever the Authorization header says ----------------------------------


def test_a_bogus_bearer_header_beside_the_cookie_cannot_create_a_case(csrf_app, make_user):
    officer = make_user("officer", "NLRTM")
    client = csrf_app.test_client()
    token = _csrf_token(client)
    client.post("/login", data={"email": officer.email, "password": PASSWORD, "csrf_token": token})
    forged = client.post(
        "/api/v1/cases",
        json={"title": "Forged", "tlp": "AMBER"},
        headers={"Authorization": "Bearer bogus"},
    )
    assert forged.status_code == 400
    assert forged.mimetype == "application/problem+json"
    with csrf_app.app_context():
        from assettrack.db import get_session

        assert get_session().scalar(select(func.count()).select_from(Case)) == 0


def test_a_valid_bearer_token_without_a_cookie_needs_no_csrf_token(
    csrf_app, session, make_user, token_for
):
    officer = make_user("officer", "NLRTM")
    response = csrf_app.test_client().post(
        "/api/v1/cases", json={"title": "By script", "tlp": "AMBER"},
        headers=bearer(token_for(officer)),
    )
    assert response.status_code == 201


# --- finding 8: throttling -------------------------------------------------------------------


@pytest.mark.parametrize("case", ["unknown", "wrong", "paused", "deactivated"])
def test_every_refused_sign_in_verifies_one_argon2_hash(
    client, session, make_user, monkeypatch, case
):
    officer = make_user("officer", "NLRTM")
    email, password = officer.email, "wrong-password-here"
    if case == "unknown":
        email = "ghost@example.test"
    elif case == "paused":
        officer.locked_until = utcnow() + timedelta(minutes=5)
        password = PASSWORD
    elif case == "deactivated":
        officer.active = False
        password = PASSWORD
    session.add(officer)
    session.commit()
    calls = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: calls.append(h) or real(h, p))
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401 and b"Login refused" in response.data
    assert len(calls) == 1  # the same work, so the same time, whatever the account's state


def test_sign_in_attempts_are_limited_per_address_with_retry_after(limited_app, make_user):
    app = limited_app(RATELIMIT_LOGIN="3 per minute")
    officer = make_user("officer", "NLRTM")
    client = app.test_client()
    for _ in range(3):
        assert login(client, officer, password="wrong-password-here").status_code == 401
    refused = login(client, officer)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert b"Too many attempts" in refused.data
    assert client.get("/login").status_code == 200  # reading the form is not limited


def test_bad_tokens_are_limited_per_address_good_ones_per_token(
    limited_app, make_user, token_for
):
    app = limited_app(RATELIMIT_BAD_TOKEN="2 per minute", RATELIMIT_TOKEN="3 per minute")
    officer = make_user("officer", "NLRTM")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/api/v1/cases", headers=bearer("at_guess")).status_code == 401
    guessed = client.get("/api/v1/cases", headers=bearer("at_guess"))
    assert guessed.status_code == 429 and guessed.mimetype == "application/problem+json"
    assert int(guessed.headers["Retry-After"]) >= 1
    other = app.test_client()
    first, second = token_for(officer), token_for(officer)
    for _ in range(3):
        assert other.get(
            "/api/v1/cases", headers={**bearer(first), "X-Forwarded-For": "10.0.0.9"}
        ).status_code in (200, 429)
    assert other.get("/api/v1/cases", headers=bearer(first)).status_code == 429
    assert other.get("/api/v1/cases", headers=bearer(second)).status_code in (200, 429)


def test_the_address_is_the_sockets_unless_proxies_are_counted(limited_app, make_user):
    officer = make_user("officer", "NLRTM")
    direct = limited_app(RATELIMIT_LOGIN="1 per minute").test_client()
    login(direct, officer, password="wrong-password-here")
    spoofed = direct.post(
        "/login", data={"email": officer.email, "password": "x" * 12},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert spoofed.status_code == 429  # a forged header does not buy new attempts


def test_behind_a_counted_proxy_each_client_address_has_its_own_limit(
    database_url, tmp_path, make_user
):
    app = _make_app(
        database_url, tmp_path / "proxied", RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="1 per minute", PROXY_COUNT=1,
    )
    officer = make_user("officer", "NLRTM")
    client = app.test_client()
    data = {"email": officer.email, "password": "x" * 12}
    first = {"X-Forwarded-For": "203.0.113.7"}
    assert client.post("/login", data=data, headers=first).status_code == 401
    assert client.post("/login", data=data, headers=first).status_code == 429
    second = {"X-Forwarded-For": "203.0.113.8"}
    assert client.post("/login", data=data, headers=second).status_code == 401


def test_the_openapi_document_declares_429_with_retry_after(client):
    document = client.get("/api/v1/openapi.json").json
    post = document["paths"]["/cases"]["post"]["responses"]
    assert post["429"]["$ref"] == "#/components/responses/TooManyRequests"
    too_many = document["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]
    assert "429" not in document["paths"]["/openapi.json"]["get"]["responses"]


# --- findings 10 and 11: redirects -----------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.example", "/%0A/evil.example", "%2F%0D%0AX-Evil:%201", "/%E2%80%A8/evil", "//x"],
)
def test_login_never_redirects_off_site_nor_fails_on_control_characters(
    client, make_user, target
):
    officer = make_user("officer", "NLRTM")
    response = client.post(
        f"/login?next={target}", data={"email": officer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_same_site_next_path(client, make_user):
    officer = make_user("officer", "NLRTM")
    response = client.post(
        "/login?next=/cases/%3Fq%3Dreefer", data={"email": officer.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/cases/?q=reefer"


# --- finding 12: the smaller items -----------------------------------------------------------


def test_hsts_is_sent_only_when_configured(client, database_url, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app = _make_app(database_url, tmp_path / "hsts", HSTS_MAX_AGE=31536000)
    header = app.test_client().get("/login").headers["Strict-Transport-Security"]
    assert header == "max-age=31536000; includeSubDomains"


def test_downloads_are_never_stored_in_a_cache(client, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    make_case(officer)
    login(client, officer)
    issued = client.post(
        "/api/v1/reports", json={"kind": "open_data", "justification": "open data 2026"}
    )
    assert issued.status_code == 202, issued.json
    report = client.get(issued.headers["Location"]).json
    response = client.get(report["links"]["file"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    response.close()
    static = client.get("/static/css/app.css")
    assert static.headers.get("Cache-Control") != "no-store"
    static.close()


def test_api_tokens_expire_and_note_their_last_use(client, session, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    token = token_for(officer)
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    session.refresh(row)
    used = row.last_used_at
    assert used is not None
    client.get("/api/v1/cases", headers=bearer(token))
    session.refresh(row)
    assert row.last_used_at == used  # written at most once a minute
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    expired = client.get("/api/v1/cases", headers=bearer(token))
    assert expired.status_code == 401 and "expired" in expired.json["detail"]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "api_token")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.action == "login_failed" and '"expired"' in entry.details


def test_a_guessed_token_is_audited(client, session):
    assert client.get("/api/v1/cases", headers=bearer("at_guessed123")).status_code == 401
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "api_token")).one()
    assert entry.action == "login_failed" and '"unknown"' in entry.details


def test_refused_access_to_another_citys_case_is_audited(
    client, session, make_user, make_case, token_for
):
    genoa = make_user("officer", "ITGOA")
    case = make_case(genoa)
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(
        f"/api/v1/cases/{case.id}", headers=bearer(token_for(officer))
    ).status_code == 404
    refused = list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.user_id == officer.id, AuditEntry.details.contains('"refused"')
            )
        )
    )
    assert len(refused) == 2
    assert {e.object_id for e in refused} == {str(case.id)}
    assert all(json.loads(e.details)["refused"] == 404 for e in refused)


def test_entity_search_takes_percent_and_underscore_literally(session, make_user, make_case):
    from assettrack.services import entities

    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    for name in ("Nordzee Trader", "Abc Shipping", "50% Holding"):
        entities.add_entity_to_case(
            session, officer, case, {"schema": "Company", "properties": {"name": name}}
        )
    session.commit()

    def names(q):
        rows, _ = entities.search_entities(session, officer, q=q)
        return sorted(e.caption for e in rows)

    assert names("%") == ["50% Holding"]
    assert names("a_c") == []
    assert names("_") == []


def test_a_bearer_token_opens_the_api_only_not_the_pages(client, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    headers = bearer(token_for(officer))
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    assert client.get("/cases/", headers=headers).status_code == 302  # to the login page


def test_a_form_posted_with_a_cookie_ended_by_a_reset_is_not_kept(app, session, make_user):
    officer = make_user("officer", "NLRTM")
    client = app.test_client()
    login(client, officer)
    accounts.reset_password(session, None, officer, "a-brand-new-password")
    session.commit()
    posted = client.post("/cases/new", data={"title": "Planted", "tlp": "AMBER"})
    assert posted.status_code == 302 and "/login" in posted.headers["Location"]
    assert session.scalar(select(func.count()).select_from(SavedForm)) == 0


def test_rate_limits_count_in_redis_and_survive_its_outage(database_url, tmp_path, make_user):
    officer = make_user("officer", "NLRTM")
    data = {"email": officer.email, "password": "x" * 12}
    for name, url in (("redis", "redis://127.0.0.1:6379/15"), ("down", "redis://127.0.0.1:1/0")):
        app = _make_app(
            database_url, tmp_path / name, RATELIMIT_ENABLED=True, REDIS_URL=url,
            RATELIMIT_LOGIN="1 per minute", RATELIMIT_KEY_PREFIX=f"test-{tmp_path.name}",
        )
        assert app.config["RATELIMIT_STORAGE_URI"] == url
        client = app.test_client()
        assert client.post("/login", data=data).status_code == 401
        assert client.post("/login", data=data).status_code == 429
