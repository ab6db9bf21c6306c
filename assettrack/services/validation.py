"""Small checks shared by the services: required text with a stated limit, known choices."""

from datetime import date
from decimal import Decimal
from enum import Enum

from ..domain.money import MoneyRefused
from ..domain.money import read_amount
from ..domain.money import read_currency
from ..errors import Msg

__all__ = [
    "clean_text",
    "clean_choice",
    "clean_money",
    "clean_date",
    "Errors",
]


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


def clean_money(errors, data, field, currency_field) -> tuple[Decimal | None, str | None]:
    """Return an amount and its currency read by the one money check (``domain.money``)."""
    amount = currency = None
    if data.get(field) not in (None, ""):
        try:
            amount = read_amount(data.get(field))
        except MoneyRefused as refused:
            errors[field] = refused.message
    try:
        currency = read_currency(data.get(currency_field))
    except MoneyRefused as refused:
        errors[currency_field] = refused.message
    return amount, currency


def clean_date(errors, field, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = Msg("must be a date written YYYY-MM-DD")
        return None
