"""JSON API under /api/v1: bearer tokens or the browser session, problem+json errors."""

import hashlib

from flask import Blueprint
from flask import current_app
from flask import g
from flask import request
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException

from ..auth import bearer_token
from ..errors import DomainError
from ..routing import LAST_PAGE
from ..security import client_address
from ..security import csrf
from ..security import limit_from
from ..security import limiter
from .bodies import LARGEST_INTEGER
from .bodies import BoundedJSONProvider
from .bodies import NumberTooLarge
from .problems import problem
from .problems import problem_from

__all__ = ["bp", "init_app", "json_body"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _without_token() -> bool:
    return bearer_token() is None


def _token_key() -> str:
    return "token:" + hashlib.sha256(bearer_token().encode()).hexdigest()


# Bad tokens are counted per address (guessing); good ones per token (load tests and peers
# share addresses). Requests without a token fall under the browser session's own limits.
limiter.limit(
    limit_from("RATELIMIT_BAD_TOKEN"),
    key_func=client_address,
    exempt_when=_without_token,
    deduct_when=lambda response: response.status_code == 401,
    scope="api-bad-token",
)(bp)
limiter.limit(
    limit_from("RATELIMIT_TOKEN"),
    key_func=_token_key,
    exempt_when=_without_token,
    scope="api-token",
)(bp)


def init_app(app):
    """Register the API routes; bearer-token requests skip CSRF, session ones do not."""
    from . import attachments  # noqa: F401  (routes register on bp)
    from . import cases  # noqa: F401  (routes register on bp)
    from . import corrections  # noqa: F401
    from . import dossiers  # noqa: F401
    from . import duplicates  # noqa: F401
    from . import imports  # noqa: F401
    from . import jobs  # noqa: F401
    from . import lifecycle  # noqa: F401
    from . import network  # noqa: F401
    from . import openapi  # noqa: F401
    from . import reports  # noqa: F401
    from . import search  # noqa: F401
    from . import tasks  # noqa: F401
    from . import watchlist  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.json = BoundedJSONProvider(app)  # every request.get_json() parses within bounds



@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        if bearer_token() is not None:
            return problem(
                401, "The bearer token is invalid, expired, revoked, or its user deactivated."
            )
        return problem(401, "Authentication required: send Authorization: Bearer <token>.")
    if g.get("auth_via") == "token":
        if g.get("token_read_only") and request.method not in ("GET", "HEAD", "OPTIONS"):
            return problem(403, "This API token is read-only: it may not change anything.")
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config["WTF_CSRF_ENABLED"]:
        # Whatever else the request carries (a bogus bearer header, say), the cookie is what
        # authenticated it: the write needs the CSRF token, like the forms.
        csrf.protect()
    return None


@bp.errorhandler(DomainError)
def _domain_error(exc):
    return problem_from(exc)


@bp.errorhandler(HTTPException)
def _http_error(exc):
    return problem(exc.code or 500, exc.description)


def json_body() -> dict:
    """Return the request's JSON object, or raise a 422 naming the problem."""
    from ..errors import Invalid

    if not request.is_json:
        raise Invalid(
            {"": "send a JSON object with Content-Type: application/json"},
            detail="the body must be a JSON object (Content-Type: application/json)",
        )
    try:
        data = request.get_json()
    except BadRequest as error:
        too_large = _cause(error, NumberTooLarge)
        if too_large is not None:
            message = f"the number {too_large.text} is larger than {LARGEST_INTEGER}"
            raise Invalid({too_large.field: message}, detail=message) from None
        cause = getattr(error.__cause__, "description", None) or error.description or ""
        detail = str(cause).removeprefix("Failed to decode JSON object: ")[:200]
        raise Invalid(
            {"": f"the body is not readable JSON: {detail}"},
            detail=f"the body is not readable JSON: {detail}",
        ) from None
    if not isinstance(data, dict):
        raise Invalid({"": "the body is not a JSON object"}, detail="the body is not a JSON object")
    return data


def _cause(error: BaseException, kind: type):
    # Werkzeug wraps the parser's error in a BadRequest, itself wrapped in another.
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def query_call(function, *args, **kwargs):
    """Call a service with values read from the query string (a scoped read, a parse).

    Its field errors name query parameters (``?to``, ``?year``) in the 422 problem body.
    """
    from ..errors import Invalid

    try:
        return function(*args, **kwargs)
    except Invalid as exc:
        raise Invalid({f"?{k}" if k else k: v for k, v in exc.errors.items()}) from None


def page_args(default_limit: int = 50, max_limit: int = 500) -> tuple[int, int]:
    """Return ``limit`` and ``offset`` from the query string, checked."""
    from ..errors import Invalid

    errors = {}
    try:
        limit = int(request.args.get("limit", default_limit))
        if not 1 <= limit <= max_limit:
            raise ValueError
    except ValueError:
        errors["?limit"] = f"must be a whole number from 1 to {max_limit}"
        limit = default_limit
    try:
        offset = int(request.args.get("offset", 0))
        if not 0 <= offset <= LAST_PAGE * max_limit:
            raise ValueError
    except ValueError:
        errors["?offset"] = f"must be a whole number from 0 to {LAST_PAGE * max_limit}"
        offset = 0
    if errors:
        raise Invalid(errors)
    return limit, offset
