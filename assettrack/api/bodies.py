"""Request bodies parsed within bounds: JSON nested at most ``API_MAX_JSON_DEPTH`` deep, whole
numbers that fit a 64-bit database column, no ``NaN`` or ``Infinity``.

Python's parser recurses once per level (a body nested 100,000 deep raised RecursionError, a
500) and reads numbers of any size (an id of 2^63 overflowed in the database driver, a 500).
Checked here, once, for every ``request.get_json()`` of the application.
"""

import json
import math
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider

from ..domain.ftm import json_depth_exceeds

__all__ = ["BoundedJSONProvider", "LARGEST_INTEGER", "NumberTooLarge"]

#: The largest whole number a body may hold: PostgreSQL's and SQLite's ``BIGINT``.
LARGEST_INTEGER = 2**63 - 1


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with bounded parsing (serialising is unchanged)."""

    def loads(self, s, **kwargs):
        """Parse a body; raise ValueError (a 400, or a 422 through ``json_body``) saying why."""
        data = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else bytes(s)
        depth = int(self._app.config["API_MAX_JSON_DEPTH"])
        if json_depth_exceeds(data, depth):
            raise ValueError(f"the JSON is nested deeper than {depth} levels")
        kwargs.setdefault("parse_int", _whole_number)
        kwargs.setdefault("parse_float", _finite_number)
        kwargs.setdefault("parse_constant", _no_constant)
        value = json.loads(data, **kwargs)
        _refuse_too_large(value, ())
        return value


class NumberTooLarge(ValueError):
    """A number past what a database column holds, and the field (dotted path) that held it."""

    def __init__(self, field: str, text: str):
        where = field or "the body"
        super().__init__(f"{where}: the number {text} is larger than {LARGEST_INTEGER}")
        self.field = field
        self.text = text


class _TooLarge(str):
    """A number read as text because it does not fit; refused once its field is known."""


def _whole_number(text: str):
    if len(text.lstrip("-")) > 19 or abs(int(text)) > LARGEST_INTEGER:
        return _TooLarge(text[:30])
    return int(text)


def _finite_number(text: str):
    value = float(text)
    if not math.isfinite(value) or abs(Decimal(text)) > LARGEST_INTEGER:
        return _TooLarge(text[:30])
    return value


def _refuse_too_large(value, path: tuple) -> None:
    # Depth is bounded above, so this walk is too.
    if isinstance(value, _TooLarge):
        raise NumberTooLarge(".".join(path), str(value))
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_too_large(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_too_large(item, (*path, str(index)))


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
