"""The second factor at sign-in: set-up with a QR code, codes used once, a growing pause after
wrong codes, recovery codes, an admin's reset, and ending one's other sessions."""

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy import update

from assettrack.models import ApiToken
from assettrack.models import AuditEntry
from assettrack.models import Organisation
from assettrack.models.second_factor import TotpFactor
from tests.conftest import PASSWORD

START = datetime(2027, 3, 1, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def required(session):
    """Rotterdam requires a second factor (every organisation's default; the tests relax it)."""
    session.execute(
        update(Organisation).where(Organisation.code == "NLRTM").values(second_factor_required=True)
    )
    session.commit()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _password(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def _enrol(client, user):
    """Sign in with the password and set up the app; return its secret and the recovery codes."""
    assert _password(client, user).location.endswith("/login/set-up-code")
    page = client.get("/login/set-up-code").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn here
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page).group(1)
    done = client.post("/login/set-up-code", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", done.get_data(as_text=True))
    return secret, codes


def _signed_in(client) -> bool:
    return client.get("/cases/").status_code == 200


@pytest.mark.backends
def test_set_up_then_sign_in_again_with_a_fresh_code(client, session, make_user, required, clock):
    officer = make_user("officer")
    secret, codes = _enrol(client, officer)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert _signed_in(client)
    # The secret is sealed in the database, never stored as it is.
    row = session.get(TotpFactor, officer.id)
    assert secret not in row.secret_sealed
    client.post("/logout")
    assert not _signed_in(client)
    assert _password(client, officer).location.endswith("/login/code")
    assert not _signed_in(client)  # the password alone opens nothing
    # The code just used to set up is refused: a code is used once.
    replay = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert replay.status_code == 422
    assert "already used" in replay.get_data(as_text=True)
    clock.shift(timedelta(seconds=30))
    ok = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert _signed_in(client)
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.in_(["login", "login_failed"]))
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == ["login", "login_failed", "login"]


def test_five_wrong_codes_pause_the_step_only_for_the_configured_time(
    client, session, make_user, required, clock
):
    officer = make_user("officer")
    secret, _ = _enrol(client, officer)
    client.post("/logout")
    clock.shift(timedelta(seconds=60))
    _password(client, officer)
    for _ in range(5):
        wrong = client.post("/login/code", data={"code": "000000"})
        assert wrong.status_code == 422
    paused = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert paused.status_code == 422
    assert "paused until" in paused.get_data(as_text=True)
    assert not _signed_in(client)
    # LOGIN_DELAY_SECONDS (30) after the fifth failure; the password itself is not locked.
    clock.shift(timedelta(seconds=31))
    _password(client, officer)  # the pending sign-in lasts 5 minutes; start again anyway
    ok = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert _signed_in(client)


def test_a_recovery_code_signs_in_once(client, make_user, required, clock):
    officer = make_user("officer")
    _, codes = _enrol(client, officer)
    client.post("/logout")
    _password(client, officer)
    used = client.post("/login/code", data={"code": codes[3].upper()})
    assert used.status_code == 302
    assert _signed_in(client)
    client.post("/logout")
    _password(client, officer)
    again = client.post("/login/code", data={"code": codes[3]})
    assert again.status_code == 422
    assert not _signed_in(client)


def test_not_a_code_is_told_clearly(client, make_user, required, clock):
    officer = make_user("officer")
    _enrol(client, officer)
    client.post("/logout")
    _password(client, officer)
    page = client.post("/login/code", data={"code": "12"})
    assert page.status_code == 422
    assert "Enter the 6 digits" in page.get_data(as_text=True)


def test_the_sign_in_waits_five_minutes_for_the_code(client, make_user, required, clock):
    officer = make_user("officer")
    secret, _ = _enrol(client, officer)
    client.post("/logout")
    _password(client, officer)
    clock.shift(timedelta(minutes=6))
    late = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert late.status_code == 302 and late.location.endswith("/login")
    assert not _signed_in(client)


def test_an_admin_reset_ends_the_sessions_and_asks_for_a_new_set_up(
    app, client, session, make_user, required, clock
):
    officer = make_user("officer")
    admin = make_user("admin")
    _enrol(client, officer)
    assert _signed_in(client)
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    # The admin sets up their own factor first: the organisation requires it for every role.
    page = admin_client.get("/login/set-up-code").get_data(as_text=True)
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page).group(1)
    admin_client.post("/login/set-up-code", data={"code": pyotp.TOTP(secret).now()})
    users = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Reset second factor" in users
    reset = admin_client.post(f"/admin/users/{officer.id}/second-factor/reset")
    assert reset.status_code == 302
    assert not _signed_in(client)  # the officer's session ended
    assert _password(client, officer).location.endswith("/login/set-up-code")


def test_not_required_and_not_set_up_signs_in_with_the_password(client, make_user):
    officer = make_user("officer")
    assert _password(client, officer).location.endswith("/")
    assert _signed_in(client)


def test_end_my_other_sessions_from_a_second_browser(app, make_user):
    officer = make_user("officer")
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        _password(browser, officer)
        assert _signed_in(browser)
    page = first.get("/account/security").get_data(as_text=True)
    assert "End my other sessions" in page
    assert "<title>Security of my account · assettrack</title>" in page
    assert page.count('id="tokens-title"') == 1
    first.post("/account/sessions/end", data={})
    assert _signed_in(first)
    assert not _signed_in(second)


def test_ending_someone_elses_session_is_not_found(app, session, make_user):
    from assettrack.models import UserSession

    officer = make_user("officer")
    other = make_user("officer")
    mine, theirs = app.test_client(), app.test_client()
    _password(mine, officer)
    _password(theirs, other)
    their_row = session.scalar(select(UserSession.id).where(UserSession.user_id == other.id))
    assert mine.post("/account/sessions/end", data={"id": str(their_row)}).status_code == 404
    assert _signed_in(theirs)


def _token_from(page: str) -> str:
    return re.search(r'<code class="secret-key">(at_[\w-]+)</code>', page).group(1)


def test_a_read_only_token_reads_and_is_refused_writes(app, client, session, make_user):
    officer = make_user("officer")
    _password(client, officer)
    made = client.post("/account/tokens", data={"name": "dashboard", "days": "7", "read_only": "y"})
    assert made.status_code == 200
    token = _token_from(made.get_data(as_text=True))
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/cases", headers=headers).status_code == 200
    refused = api.post("/api/v1/cases", json={"title": "x", "tlp": "AMBER"}, headers=headers)
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert "read-only" in refused.get_json()["detail"]
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    assert row.read_only and row.name == "dashboard"
    assert abs(row.expires_at - row.created_at - timedelta(days=7)) < timedelta(seconds=5)


def test_a_token_needs_a_fresh_code_once_a_factor_is_set_up(
    client, session, make_user, required, clock
):
    officer = make_user("officer")
    secret, _ = _enrol(client, officer)
    missing = client.post("/account/tokens", data={"days": "30"})
    assert missing.status_code == 422
    assert session.scalar(select(ApiToken.id).where(ApiToken.user_id == officer.id)) is None
    too_long = client.post("/account/tokens", data={"days": "400", "code": "123456"})
    assert too_long.status_code == 422
    assert "from 1 to 90" in too_long.get_data(as_text=True)
    clock.shift(timedelta(seconds=30))
    made = client.post("/account/tokens", data={"days": "30", "code": pyotp.TOTP(secret).now()})
    assert made.status_code == 200
    assert _token_from(made.get_data(as_text=True)).startswith("at_")


def test_a_user_revokes_only_their_own_tokens(app, client, session, make_user):
    officer = make_user("officer")
    other = make_user("officer")
    _password(client, officer)
    client.post("/account/tokens", data={"days": "5"})
    theirs = app.test_client()
    _password(theirs, other)
    theirs.post("/account/tokens", data={"days": "5"})
    mine_id, their_id = (
        session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
        for user in (officer, other)
    )
    assert client.post(f"/account/tokens/{their_id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{mine_id}/revoke").status_code == 302
    session.expire_all()
    assert session.get(ApiToken, mine_id).revoked_at is not None
    assert session.get(ApiToken, their_id).revoked_at is None


@pytest.mark.parametrize(
    "weak", ["Password1234!", "qwertyuiop123", "rotterdamofficer", "111111111111"]
)
def test_a_guessable_password_is_refused_beside_the_field(client, make_user, weak):
    officer = make_user("officer", name="Rotterdam Officer")
    _password(client, officer)
    page = client.post("/account/password", data={"current_password": PASSWORD, "password": weak})
    assert page.status_code == 422
    assert "too easy to guess" in page.get_data(as_text=True)
    client.post("/logout")
    assert _password(client, officer).status_code == 302  # the old password still works


def test_an_organisation_admin_sets_the_sign_in_policy_of_their_own_only(
    client, session, make_user
):
    admin = make_user("admin")
    _password(client, admin)
    rotterdam = session.scalar(select(Organisation).where(Organisation.code == "NLRTM"))
    antwerp = session.scalar(select(Organisation).where(Organisation.code == "BEANR"))
    url = f"/admin/organisations/{rotterdam.id}/settings"
    assert client.get(url).status_code == 200
    assert client.get(f"/admin/organisations/{antwerp.id}/settings").status_code == 404
    form = {
        "name": rotterdam.name,
        "timezone": "Europe/Amsterdam",
        "language": "nl",
        "contact_email": "",
        "locode": "NL RT1",
        "second_factor_required": "y",
    }
    bad = client.post(url, data=form)
    assert bad.status_code == 422
    assert "must be a UN/LOCODE" in bad.get_data(as_text=True)
    session.expire_all()
    assert session.get(Organisation, rotterdam.id).second_factor_required is False
    saved = client.post(url, data={**form, "locode": "nlrtm"})
    assert saved.status_code == 302
    session.expire_all()
    organisation = session.get(Organisation, rotterdam.id)
    assert organisation.second_factor_required is True
    assert organisation.locode == "NLRTM"
    change = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.object_type == "organisation", AuditEntry.action == "update")
        .order_by(AuditEntry.seq.desc())
    )
    assert "second_factor_required" in change.details
    # The next sign-in of a user of Rotterdam asks to set up an authenticator.
    officer = make_user("officer")
    other = client.application.test_client()
    assert _password(other, officer).location.endswith("/login/set-up-code")


def test_showing_the_set_up_writes_nothing_a_post_starts_it(client, session, make_user, clock):
    from sqlalchemy import func

    officer = make_user("officer")
    _password(client, officer)  # not required here: signed in with the password
    count = select(func.count()).select_from(TotpFactor)
    assert client.get("/account/security/set-up").status_code == 302  # nothing waits
    assert session.scalar(count) == 0
    started = client.post("/account/security/set-up/start")
    assert started.location.endswith("/account/security/set-up")
    for _ in range(2):
        page = client.get("/account/security/set-up").get_data(as_text=True)
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page).group(1)
    session.expire_all()
    assert session.scalar(count) == 1  # the same pending secret, shown twice
    done = client.post("/account/security/set-up", data={"code": pyotp.TOTP(secret).now()})
    assert "Your recovery codes" in done.get_data(as_text=True)
