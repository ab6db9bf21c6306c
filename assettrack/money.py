"""Money as text: a decimal string beside its ISO 4217 currency, never a float."""

from decimal import Decimal

__all__ = ["money_text"]

_CENT = Decimal("0.01")


def money_text(value: Decimal | None) -> str | None:
    """Return ``value`` as a decimal string with at least two decimals (None stays None).

    >>> money_text(Decimal("1100000.0000")), money_text(Decimal("12.3456")), money_text(None)
    ('1100000.00', '12.3456', None)
    """
    if value is None:
        return None
    if value == value.quantize(_CENT):
        return str(value.quantize(_CENT))
    return str(value.normalize()) if value.normalize().as_tuple().exponent < -2 else str(value)
