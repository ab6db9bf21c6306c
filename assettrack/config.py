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
# --- Limits on uploaded files (docs/operations.md, "Limits") ---------------------------------
# Longest register cell, in characters (Excel's own limit); a longer cell makes its row bad.
REGISTER_MAX_CELL_CHARS = 32767
# Most columns a register may have.
REGISTER_MAX_COLUMNS = 500
# Most data rows a register import reads; split a larger register into several files.
REGISTER_MAX_ROWS = 1_000_000
# Rows the register preview reads (it shows the first 20 and counts the statuses of all it read).
REGISTER_PREVIEW_ROWS = 2000
# Bytes of a CSV register the preview reads.
REGISTER_PREVIEW_BYTES = 8 * 1024 * 1024
# Seconds the preview spends reading rows before it stops and shows what it has.
REGISTER_PREVIEW_SECONDS = 5
# Characters of a cell the preview shows; longer ones are cut and marked.
REGISTER_PREVIEW_CELL_CHARS = 200
# XLSX: most members in the zip, most bytes once unzipped, highest compression ratio of a member.
XLSX_MAX_MEMBERS = 1000
XLSX_MAX_BYTES = 256 * 1024 * 1024
XLSX_MAX_RATIO = 100
# FtM and BODS imports: longest line (or array item), in bytes, and deepest JSON nesting.
IMPORT_MAX_LINE_BYTES = 4 * 1024 * 1024
IMPORT_MAX_JSON_DEPTH = 64
# FtM and BODS imports: most bytes once gunzipped, and highest gzip compression ratio.
IMPORT_MAX_BYTES = 4 * 1024 * 1024 * 1024
IMPORT_MAX_RATIO = 100
# API request bodies: deepest JSON nesting accepted.
API_MAX_JSON_DEPTH = 32
