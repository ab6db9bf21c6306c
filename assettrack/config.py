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
# Failed logins on one account before sign-in to it is paused (the counter resets on success).
LOGIN_MAX_FAILURES = 5
# The longest pause: each further failure doubles it from LOGIN_DELAY_SECONDS up to this.
LOGIN_LOCK_MINUTES = 15
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
