"""URL converters: an id in a path is a whole number the database can hold, else a 404."""

from werkzeug.routing import IntegerConverter

__all__ = ["IdConverter", "LARGEST_ID", "id_value", "init_app", "is_id", "page_number"]

#: The largest id of a row (a 64-bit ``BIGINT``); a larger one overflowed the driver (a 500).
LARGEST_ID = 2**63 - 1
#: The last page a list goes to; a further page would skip more rows than the database holds.
LAST_PAGE = 10**9


def _at_most(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to ``limit``.

    >>> import re
    >>> [bool(re.fullmatch(_at_most(250), n)) for n in ("7", "199", "249", "250", "251", "999")]
    [True, True, True, True, False, False]
    """
    digits = str(limit)
    parts = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            parts.append(digits[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` matching only numbers up to ``LARGEST_ID``: a larger one matches no route.

    Bounded in the pattern rather than on conversion, so a too-large id is a 404 and never a
    405 (werkzeug answers 405 when another method's route matched the path).
    """

    regex = _at_most(LARGEST_ID)


def is_id(value: int | None) -> bool:
    """Tell whether ``value`` could be the id of a row.

    >>> is_id(7), is_id(2**63), is_id(None)
    (True, False, False)
    """
    return value is not None and 0 <= value <= LARGEST_ID


def id_value(raw) -> int:
    """Read an id as ``int()`` would, raising ValueError for a number no row can have.

    >>> id_value("42"), id_value(7)
    (42, 7)
    >>> id_value(str(2**63))
    Traceback (most recent call last):
    ...
    ValueError: not an id: 9223372036854775808
    """
    value = int(raw)
    if not is_id(value):
        raise ValueError(f"not an id: {str(raw)[:30]}")
    return value


def page_number(args, name: str = "page") -> int:
    """The page asked for in ``args`` (a query string), 1 when absent, bad or out of range.

    >>> page_number({"page": "3"}), page_number({"page": str(2**64)}), page_number({})
    (3, 1, 1)
    """
    raw = str(args.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(LAST_PAGE)):
        return 1
    page = int(raw)
    return page if 1 <= page <= LAST_PAGE else 1


def init_app(app) -> None:
    """Make ``<int:...>`` in every route (of every blueprint, present and future) bounded."""
    app.url_map.converters["int"] = IdConverter
