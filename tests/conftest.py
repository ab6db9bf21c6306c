"""Fixtures: an app on a fresh database per test, on SQLite and (for data-layer tests) PostgreSQL.

The schema is migrated once per run and backend. Per test, SQLite gets a copy of the migrated
file; PostgreSQL gets its tables truncated. Under CI=true an unreachable PostgreSQL fails the run.
"""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from assettrack import create_app
from assettrack.db import get_session
from assettrack.services import accounts
from assettrack.services import cases as case_service

PASSWORD = "correct-horse-battery"
PG_ADMIN_URL = os.environ.get(
    "ASSETTRACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The project's shared reference data lies beside the repository (../shared/data); a clone
# elsewhere points to it with ASSETTRACK_SHARED_DATA.
SHARED_DATA = Path(
    os.environ.get("ASSETTRACK_SHARED_DATA")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "data"
)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        params = ["sqlite", "postgresql"] if marker else ["sqlite"]
        metafunc.parametrize("backend", params, indirect=True, scope="function")


@pytest.fixture
def backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file with the reference organisations, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    instance = tmp_path_factory.mktemp("template-instance")
    app = _make_app(f"sqlite:///{path}", instance)
    _migrate_and_seed(app)
    app.extensions["assettrack.engine"].dispose()
    # The audit checkpoint travels with each copy, as it does with a restored backup.
    shutil.copyfile(instance / "audit-checkpoint.json", path.with_suffix(".checkpoint.json"))
    return path


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory):
    """A database of its own on the PostgreSQL server, migrated once, dropped at the end."""
    name = f"assettrack_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: a failure in CI, a skip on a laptop
        admin.dispose()
        message = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.__class__.__name__}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    app = _make_app(url, tmp_path_factory.mktemp("pg-instance"))
    _migrate_and_seed(app)
    app.extensions["assettrack.engine"].dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(request, backend, tmp_path):
    """The URL of a fresh database for this test."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite"
        shutil.copyfile(template, path)
        (tmp_path / "instance").mkdir(exist_ok=True)
        checkpoint = template.with_suffix(".checkpoint.json")
        shutil.copyfile(checkpoint, tmp_path / "instance" / "audit-checkpoint.json")
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def app(database_url, tmp_path):
    """The application on a fresh database, with jobs run inline and CSRF off."""
    app = _make_app(database_url, tmp_path / "instance")
    yield app
    app.extensions["assettrack.engine"].dispose()


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """The application with CSRF protection on, as in production."""
    app = _make_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["assettrack.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A database session of its own inside an app context (what services receive).

    Requests made with ``client`` meanwhile open their own sessions, as in production.
    """
    from assettrack.db import new_session

    db = new_session(app)
    yield db
    db.close()


@pytest.fixture
def make_user(session):
    """Create a user: ``make_user("officer", "NLRTM")``; extra organisations for liaisons."""
    counter = iter(range(1, 10_000))

    def make(role="officer", *orgs, email=None, name=None, password=PASSWORD, language=None):
        orgs = list(orgs) or ["NLRTM"]
        user = accounts.create_user(
            session,
            None,
            email=email or f"{role}{next(counter)}.{orgs[0].lower()}@example.test",
            name=name or f"{role.title()} of {orgs[0]}",
            role=role,
            organisation_codes=orgs,
            password=password,
            language=language,
        )
        session.commit()
        return user

    return make


@pytest.fixture
def make_case(session):
    """Open a case as ``user``: ``make_case(officer, title=..., tlp=...)``."""

    def make(user, **overrides):
        data = {"title": "Reefer containers at Maasvlakte", "summary": "", "tlp": "AMBER"}
        data.update(overrides)
        case = case_service.create_case(session, user, data)
        session.commit()
        return case

    return make


def login(client, user, password=PASSWORD):
    """Log ``user`` in through the login form; return the response."""
    return client.post("/login", data={"email": user.email, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(session):
    """Return a new API token for ``user``."""

    def make(user):
        token = accounts.create_token(session, None, user)
        session.commit()
        return token

    return make


# --- helpers ---------------------------------------------------------------------------------


def _make_app(url, instance: Path, **extra):
    instance.mkdir(parents=True, exist_ok=True)
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key",
        "AUDIT_KEY": "test-audit-key",
        "DATA_KEY": "test-data-key",
        "AUDIT_CHECKPOINT": str(instance / "audit-checkpoint.json"),
        "FILES_DIR": str(instance / "files"),
        "JOBS_IMMEDIATE": True,
        "WTF_CSRF_ENABLED": False,
        # Rate limits are tested where a test sets them (tests/test_sessions.py).
        "RATELIMIT_ENABLED": False,
    }
    config.update(extra)
    return create_app(config)


def _migrate_and_seed(app):
    from assettrack.cli import migrate

    with app.app_context():
        migrate()
        db = get_session()
        accounts.seed_reference_organisations(db)
        _relax_second_factor(db)
        db.commit()


def _relax_second_factor(db):
    # The test organisations do not require a second factor, like `make run`'s demo ones, so
    # tests of other features sign in with a password; tests/test_second_factor.py turns the
    # requirement on (every organisation requires it by default).
    from sqlalchemy import update

    from assettrack.models import Organisation

    db.execute(update(Organisation).values(second_factor_required=False))


_KEEP = {"alembic_version", "organisation", "installation"}


def _truncate_postgres(url):
    from assettrack.domain.reference import PORT_CITIES

    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            if row[0] not in _KEEP
        ]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("DELETE FROM organisation WHERE NOT (code = ANY(:codes))"),
            {"codes": [c[0] for c in PORT_CITIES]},
        )
        conn.execute(text("UPDATE organisation SET second_factor_required = false"))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, last_hmac) VALUES (1, 0, :genesis)"),
            {"genesis": "0" * 64},
        )
    engine.dispose()
