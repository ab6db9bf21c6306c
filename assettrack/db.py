"""Engine and sessions: SQLite in instance/ by default, PostgreSQL in production.

The engine lives on the app (``app.extensions["assettrack.engine"]``); a request gets one
session (``get_session()``), closed when the request ends. Views and CLI commands commit;
services only flush.
"""

from contextlib import contextmanager

from flask import current_app
from flask import g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import create_engine

__all__ = [
    "init_app",
    "make_engine",
    "get_engine",
    "get_session",
    "new_session",
    "session_scope",
]

_KEY = "assettrack.engine"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the pragmas this application relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    return engine


def init_app(app):
    """Create the engine of ``app`` and close the request's session at teardown."""
    app.extensions[_KEY] = make_engine(app.config["DATABASE_URL"])
    # One session per request, even when the request reuses an application context
    # already pushed (CLI commands, jobs and tests hold one open).
    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """Return the engine of the current app."""
    return current_app.extensions[_KEY]


def get_session() -> Session:
    """Return the session of the current request or CLI command, opening it on first use."""
    if "db_session" not in g:
        g.db_session = new_session(current_app)
    return g.db_session


def new_session(app) -> Session:
    """Open a session on ``app``'s engine carrying what the audit log needs (key, checkpoint)."""
    return Session(
        app.extensions[_KEY],
        expire_on_commit=False,
        info={
            "audit_key": app.config["AUDIT_KEY"].encode(),
            "audit_checkpoint": app.config["AUDIT_CHECKPOINT"],
            "audit_keyring": app.config["AUDIT_KEYRING"],
        },
    )


@contextmanager
def session_scope():
    """Yield a fresh session outside a request (jobs); rolled back unless committed."""
    session = new_session(current_app)
    try:
        yield session
    finally:
        session.close()


def _close_session(exc=None):
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def _sqlite_pragmas(dbapi_connection, connection_record):
    # Foreign keys are off by default in SQLite; WAL lets readers go on while the audit log
    # is written; the busy timeout makes concurrent writers wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
