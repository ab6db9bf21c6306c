"""CSRF protection, rate limits, security headers, proxy awareness and refused-access audit."""

import math
import time

from flask import current_app
from flask import g
from flask import render_template
from flask import request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

__all__ = [
    "csrf",
    "limiter",
    "init_app",
    "client_address",
    "limit_from",
    "CONTENT_SECURITY_POLICY",
]

csrf = CSRFProtect()

# Everything comes from this server: no inline script, no inline style attribute, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def client_address() -> str:
    """Return the client's address: the socket's, or the proxies' (ProxyFix, PROXY_COUNT)."""
    return request.remote_addr or "unknown"


# Limits are declared on the routes with ``limit_from(SETTING)`` so each reads its setting when
# the request comes (tests set small ones). Storage: RATELIMIT_STORAGE_URI (Redis when
# REDIS_URL is set, else memory — per process).
limiter = Limiter(key_func=client_address)


def limit_from(setting: str):
    """Return a callable giving the rate limit held in the setting ``setting``."""
    return lambda: current_app.config[setting]


def init_app(app):
    """Turn on CSRF, rate limits and the security headers; trust proxies only when told."""
    csrf.init_app(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.after_request(_headers)
    app.after_request(_audit_refusal)


def _too_many_requests(exc):
    retry = _retry_after()
    if request.path.startswith("/api/"):
        from .api.problems import problem

        response = problem(429, "Too many requests: wait before trying again.")
    else:
        from flask_babel import gettext

        message = gettext("Too many attempts from your address. Wait a minute and try again.")
        response = current_app.make_response(
            (render_template("errors/error.html", code=429, message=message), 429)
        )
    response.headers["Retry-After"] = str(retry)
    return response


def _retry_after() -> int:
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        # Pages, JSON and every download (reports, exports, documents, CSV) hold police data:
        # no copy in the browser's or a proxy's cache (send_file's no-cache would keep one).
        response.headers["Cache-Control"] = "no-store"
    hsts = current_app.config["HSTS_MAX_AGE"]
    if hsts:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains"
        )
    return response


def _audit_refusal(response):
    """Record a refused access to an object (403/404 on a route naming one) by a known user."""
    if response.status_code not in (403, 404) or not request.view_args:
        return response
    from flask_login import current_user

    from . import audit
    from .db import get_session

    if not current_user.is_authenticated:
        return response
    db = get_session()
    db.rollback()  # nothing of the refused request is kept
    audit.record(
        db,
        current_user,
        audit.Action.READ,
        request.blueprint or "page",
        _object_id(request.view_args),
        details={
            "refused": response.status_code,
            "method": request.method,
            "path": request.path[:300],
            "via": g.get("auth_via"),
        },
    )
    db.commit()
    return response


def _object_id(view_args: dict):
    ids = [str(v) for k, v in view_args.items() if k.endswith("id")]
    return ",".join(ids)[:64] or None
