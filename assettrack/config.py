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
# Directory of the audit keys, current and retired (verification needs them); None: instance/.
AUDIT_KEYRING = None
# Minutes between two runs of the job moving the audit checkpoint to the head (1-59).
AUDIT_CHECKPOINT_MINUTES = 5
# Redis URL for the background job queue; None means SQLite storage in instance/huey.sqlite.
REDIS_URL = None
# Run background jobs inline in the request (tests, single-process demos).
JOBS_IMMEDIATE = False
# Seconds a running job's lease lasts; a job whose worker stops renewing it is taken back.
JOB_LEASE_SECONDS = 120
# Seconds between two renewals of a running job's lease by its worker (well under the lease).
JOB_HEARTBEAT_SECONDS = 20
# Starts a job gets before it is failed because its worker keeps dying while running it.
JOB_MAX_ATTEMPTS = 3
# Minutes between two sweeps for expired leases and queue messages lost (a periodic job).
JOB_SWEEP_MINUTES = 1
# Memory each job's own process may use above the idle worker, in MB (RLIMIT_AS).
JOB_MEMORY_MB = 500
# Job kinds that need another memory limit, as "kind=MB" (duplicates at 1M entities: 1 GB).
JOB_MEMORY_MB_BY_KIND = ("duplicates=1024",)
# Seconds a job may run (wall clock) before it is stopped and failed.
JOB_TIME_LIMIT = 3600
# Job kinds that need another time limit, as "kind=seconds" (a thumbnail takes a second or two).
JOB_TIME_LIMIT_BY_KIND = ("thumbnail=120",)
# Where files made by jobs and uploaded documents are kept; None: instance/files.
FILES_DIR = None
# Languages of the user interface.
LANGUAGES = ("en", "fr")
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
# Failed logins on one account before sign-in to it is paused (the counter resets on success).
LOGIN_MAX_FAILURES = 5
# The longest pause: each further failure doubles it from LOGIN_DELAY_SECONDS up to this.
LOGIN_LOCK_MINUTES = 15
# Hours an admin enrolment link (made by the installation admin) stays usable.
ENROLMENT_HOURS = 72
# Address users reach this installation at: links printed by the command line start with it.
PUBLIC_URL = "http://127.0.0.1:5000"
# The first pause after LOGIN_MAX_FAILURES failures, in seconds.
LOGIN_DELAY_SECONDS = 30
# A signed-in session ends after this long without a request (background polling excluded).
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
# A signed-in session ends this long after sign-in, however active.
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=8)
# The page warns this many seconds before the idle end and offers to stay signed in.
SESSION_WARNING_SECONDS = 120
# Ended and expired session records are deleted after this many days.
SESSION_KEEP_DAYS = 30
# A form posted after its session ended is kept this many hours for the next sign-in.
SAVED_FORM_HOURS = 24
# Notifications (read or not) are deleted after this many days.
NOTIFICATION_KEEP_DAYS = 90
# --- E-mail of notifications (docs/operations.md, "E-mail and the schedule") ----------------
# SMTP server; None (unset) sends no e-mail at all: notifications stay under the bell.
SMTP_HOST = None
# SMTP port: 587 (submission with STARTTLS) by default.
SMTP_PORT = 587
# Account on the SMTP server, if it asks for one (sent only after STARTTLS when it is on).
SMTP_USERNAME = None
SMTP_PASSWORD = None
# Sender address of the e-mails; None: assettrack@<SMTP_HOST>.
SMTP_FROM = None
# Upgrade the connection with STARTTLS before anything else (turn off only for a local relay).
SMTP_STARTTLS = True
# Seconds to wait for the SMTP server before giving up until the next run.
SMTP_TIMEOUT = 30
# Minutes between two runs of the mailer sending the notifications of channel "e-mail" (1-59).
MAIL_SEND_MINUTES = 5
# Hour of the day (UTC, 0-23) of the daily run: reminders (tasks, urgent freezes, reviews),
# then the daily digests, then the purge of notifications older than NOTIFICATION_KEEP_DAYS.
DAILY_RUN_HOUR = 5
# API tokens are refused after this long (from their creation).
API_TOKEN_LIFETIME = timedelta(days=90)
# Per-address and per-token rate limits (Flask-Limiter syntax); counted in Redis when
# REDIS_URL is set, else in each process's memory (so per process: N workers allow N times).
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True
# With Redis unreachable, count in memory meanwhile rather than refuse every sign-in.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
# Sign-in attempts per client address.
RATELIMIT_LOGIN = "20 per minute; 200 per hour"
# Other sensitive posts per client address (password change, staying signed in).
RATELIMIT_SENSITIVE = "30 per minute"
# API requests rejected for a bad bearer token, per client address.
RATELIMIT_BAD_TOKEN = "20 per minute"  # noqa: S105 (a rate, not a secret)
# API requests per valid bearer token, counted per token whatever the address.
RATELIMIT_TOKEN = "600 per minute"  # noqa: S105
# Strict-Transport-Security max-age in seconds; 0 sends no header (set it once HTTPS works).
HSTS_MAX_AGE = 0
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
# --- Limits on uploaded files (docs/operations.md, "Limits") ---------------------------------
# Largest attachment of a case or entity, in bytes.
ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
# Most pixels of an attached image the thumbnail job decodes; a larger one is refused (a bomb).
ATTACHMENT_MAX_PIXELS = 40_000_000
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
