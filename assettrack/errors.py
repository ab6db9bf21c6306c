"""Domain errors, raised by services and mapped to HTTP at the edge (web/, api/)."""

__all__ = ["DomainError", "Invalid", "NotFound", "AccessDenied", "Conflict", "Msg"]


class DomainError(Exception):
    """Base of the errors a user can be told about."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class Invalid(DomainError):
    """Input that breaks a rule; ``errors`` maps each field to its message."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: dict[str, str], detail: str = ""):
        # A key "?name" is a query parameter (named, not pointed at, in problem+json).
        super().__init__(
            detail or "; ".join(f"{k.lstrip('?')}: {v}" if k else str(v) for k, v in errors.items())
        )
        self.errors = errors


class NotFound(DomainError):
    """No such object, or one outside the user's read scope (the same answer for both)."""

    status = 404
    title = "Not found"


class AccessDenied(DomainError):
    """The user may read the object but not take this action on it."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The action conflicts with the current state (duplicate, lifecycle)."""

    status = 409
    title = "Conflict"


class Msg(str):
    """A user-facing message: English text that also keeps its message id and parameters.

    Services stay free of Flask; the web layer translates ``msgid`` and formats it with
    ``params`` in the user's language (``pybabel extract`` knows the keyword ``Msg``).

    >>> m = Msg("is {length} characters long; the limit is {limit}", length=250, limit=200)
    >>> str(m)
    'is 250 characters long; the limit is 200'
    >>> m.msgid
    'is {length} characters long; the limit is {limit}'
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        obj = super().__new__(cls, msgid.format(**params) if params else msgid)
        obj.msgid = msgid
        obj.params = params
        return obj
