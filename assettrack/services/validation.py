"""Small checks shared by the services: required text with a stated limit, known choices."""

from enum import Enum

from ..errors import Msg

__all__ = ["clean_text", "clean_choice", "Errors"]


class Errors(dict):
    """Field → message, filled while checking a whole input so every problem is reported."""


def clean_text(errors: Errors, field: str, value, *, limit: int, required: bool = True):
    """Return ``value`` stripped, or None; note an error when empty or over ``limit``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = Msg("must be text")
        return None
    value = value.strip()
    if not value:
        if required:
            errors[field] = Msg("is required")
        return None
    if len(value) > limit:
        errors[field] = Msg(
            "is {length} characters long; the limit is {limit}", length=len(value), limit=limit
        )
        return None
    return value


def clean_choice(errors: Errors, field: str, value, enum: type[Enum]):
    """Return the member of ``enum`` whose value is ``value``; note an error otherwise."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        errors[field] = Msg(
            "unknown value {value}; expected one of {choices}", value=repr(value), choices=choices
        )
        return None
