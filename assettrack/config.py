"""Default configuration; each value can be overridden by instance/config.py,
an ``ASSETTRACK_<NAME>`` environment variable or the dict given to ``create_app``."""

from datetime import timedelta

# Database URL; None means sqlite:///<instance>/assettrack.sqlite.
DATABASE_URL = None
# Flask session signing key; None means read or generate instance/secret_key.
SECRET_KEY = None
# HMAC key of the audit chain; None means read or generate instance/audit_key (never in the DB).
AUDIT_KEY = None
# File holding the checkpoint of the audit chain head (count and last HMAC); None: instance/.
AUDIT_CHECKPOINT = None
# Redis URL for the background job queue; None means SQLite storage in instance/huey.sqlite.
REDIS_URL = None
# Run background jobs inline in the request (tests, single-process demos).
JOBS_IMMEDIATE = False
# Where files made by jobs and uploaded documents are kept; None: instance/files.
FILES_DIR = None
# Languages of the user interface.
LANGUAGES = ("en", "fr")
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
# Failed logins before an account is locked, and for how long.
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK_MINUTES = 15
# Session cookie: HttpOnly and SameSite=Lax always; Secure when served over HTTPS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
REMEMBER_COOKIE_HTTPONLY = True
# CSRF tokens on every form; the API is exempt when it authenticates with a bearer token.
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = 8 * 3600
# Largest request body (decision documents up to 20 MB, imports larger).
MAX_CONTENT_LENGTH = 200 * 1024 * 1024
# Rows per page in lists.
PAGE_SIZE = 25
# Trust X-Forwarded-* from this many proxies (set 1 behind nginx/traefik).
PROXY_COUNT = 0
DEBUG = False
TESTING = False
# Reports (docs/operations.md): a report of more case entities than this is refused before
# anything is recorded; tables print this many rows, the rest goes into a CSV embedded in the
# PDF; verification reads at most this many bytes; the case page shows this many rows a section.
REPORT_MAX_ENTITIES = 20_000
REPORT_ANNEX_ROWS = 1_000
VERIFY_MAX_BYTES = 100 * 1024 * 1024
CASE_PAGE_SIZE = 100
