"""Small checks shared by the services: required text with a stated limit, known choices."""

from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from enum import Enum

from ..domain.lifecycle import ISO_4217_CURRENCIES
from ..errors import Msg

__all__ = [
    "clean_text",
    "clean_choice",
    "clean_decimal",
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


def clean_decimal(errors, field, value) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        errors[field] = Msg('must be a decimal string such as "1250.50", not a float')
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = Msg("must be a number")
        return None
    if not number.is_finite():
        errors[field] = Msg("must be a number")
        return None
    return number


def clean_money(errors, data, field, currency_field) -> tuple[Decimal | None, str | None]:
    amount = clean_decimal(errors, field, data.get(field))
    if amount is not None and amount < 0:
        errors[field] = Msg("must not be negative")
        amount = None
    if amount is not None and (amount.as_tuple().exponent < -4 or abs(amount) >= 10**15):
        errors[field] = Msg("at most 15 digits before the decimal point and 4 after")
        amount = None
    currency = data.get(currency_field) or "EUR"
    if not isinstance(currency, str) or currency.upper() not in ISO_4217_CURRENCIES:
        errors[currency_field] = Msg("must be an ISO 4217 currency code such as EUR")
        currency = None
    return amount, currency.upper() if currency else None


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
