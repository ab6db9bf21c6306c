"""URL converters: an id in a path is a whole number the database can hold, else a 404."""

from werkzeug.routing import IntegerConverter

__all__ = ["IdConverter", "init_app", "is_id", "page_number"]

#: The largest id of a row (a 64-bit ``BIGINT``); a larger one overflowed the driver (a 500).
LARGEST_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to ``LARGEST_ID``: a larger number matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, LARGEST_ID if max is None else max, signed)

    def to_python(self, value: str):
        """Refuse a number too long to be an id before converting it."""
        if len(value.lstrip("-")) > len(str(LARGEST_ID)):
            from werkzeug.routing import ValidationError

            raise ValidationError()
        return super().to_python(value)


#: The last page a list goes to; a further page would skip more rows than the database holds.
LAST_PAGE = 10**9


def is_id(value: int | None) -> bool:
    """Tell whether ``value`` could be the id of a row.

    >>> is_id(7), is_id(2**63), is_id(None)
    (True, False, False)
    """
    return value is not None and 0 <= value <= LARGEST_ID


def page_number(args, name: str = "page") -> int:
    """The page asked for in ``args`` (a query string), 1 when absent, bad or out of range.

    >>> page_number({"page": "3"}), page_number({"page": str(2**64)}), page_number({})
    (3, 1, 1)
    """
    raw = str(args.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(LAST_PAGE)):
        return 1
    return min(max(1, int(raw)), LAST_PAGE)


def init_app(app) -> None:
    """Make ``<int:...>`` in every route (of every blueprint, present and future) bounded."""
    app.url_map.converters["int"] = IdConverter
