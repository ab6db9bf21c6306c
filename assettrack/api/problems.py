"""RFC 9457 problem details (``application/problem+json``)."""

from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import DomainError
from ..errors import Invalid

__all__ = ["problem", "problem_from"]


def problem(status: int, detail: str | None = None, *, errors: dict | None = None, **extra):
    """Return a problem+json response; ``errors`` maps field names to messages."""
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    if errors:
        # Body fields get a JSON Pointer; query parameters (keys starting with "?") are named.
        body["errors"] = [
            {"parameter": field[1:], "detail": str(message)}
            if str(field).startswith("?")
            else {"pointer": _pointer(field), "detail": str(message)}
            for field, message in errors.items()
        ]
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="assettrack"'
    return response


def problem_from(exc: DomainError):
    """Map a domain error to its problem response."""
    errors = exc.errors if isinstance(exc, Invalid) else exc.extra.get("errors")
    extra = {k: v for k, v in exc.extra.items() if k != "errors"}
    return problem(exc.status, exc.detail, errors=errors, **extra)


def _pointer(field: str) -> str:
    # JSON Pointer (RFC 6901) into the request body; "" is the body itself.
    if not field:
        return ""
    return "/" + "/".join(
        part.replace("~", "~0").replace("/", "~1") for part in str(field).split(".")
    )
