"""Money: a decimal beside its ISO 4217 currency, never a float; the one limit on amounts.

Every amount assettrack accepts (decisions, valuations, ledger entries, estimated values) is
read by :func:`read_amount` and every currency by :func:`read_currency`, so the limit below is
written once.
"""

import re
from decimal import Decimal

from ..errors import Msg

__all__ = [
    "ISO_4217_CURRENCIES",
    "DEFAULT_CURRENCY",
    "MONEY_MAX_INTEGER_DIGITS",
    "MONEY_MAX_DECIMAL_PLACES",
    "MoneyRefused",
    "read_amount",
    "read_currency",
    "money_text",
]

#: Currency of a money value when none is named (DOMAIN.md, "Money").
DEFAULT_CURRENCY = "EUR"

# Money bounds, so that every accepted value fits a NUMERIC(19, 4) column on SQLite and
# PostgreSQL alike (0, 2 and 3 decimal currencies, with room for unit prices).
MONEY_MAX_INTEGER_DIGITS = 15
MONEY_MAX_DECIMAL_PLACES = 4

_PLAIN_DECIMAL = re.compile(r"[+-]?\d+(?:\.\d+)?")
_CURRENCY_SHAPE = re.compile(r"[A-Z]{3}")

_CENT = Decimal("0.01")

#: Active ISO 4217 codes (list one, 2025), less XTS (testing) and XXX (no currency). BGN stays
#: while Bulgaria's 2026 changeover to the euro is under way: older values were set in leva.
ISO_4217_CURRENCIES = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
    PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
    SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND
    VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG
    """.split()
)


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


class MoneyRefused(ValueError):
    """Why an amount or a currency is refused (``message``, a :class:`Msg`)."""

    def __init__(self, message: Msg):
        super().__init__(message)
        self.message = message


def read_amount(value: object) -> Decimal:
    """Return ``value`` (a decimal string, an int or a Decimal) as an amount within the limit.

    Raises
    ------
    MoneyRefused
        A float (binary floats cannot hold most amounts exactly), no plain decimal number, a
        negative amount, more than 4 decimals or more than 15 digits before the point.

    Examples
    --------
    >>> read_amount("1250.50"), read_amount(7), read_amount("-0")
    (Decimal('1250.50'), Decimal('7'), Decimal('0'))
    >>> read_amount("1e3")
    Traceback (most recent call last):
    ...
    assettrack.domain.money.MoneyRefused: must be a number such as 1234.50
    >>> read_amount("1234567890123456")
    Traceback (most recent call last):
    ...
    assettrack.domain.money.MoneyRefused: must have at most 15 digits before the point
    """
    if isinstance(value, float):
        raise MoneyRefused(Msg('must be an exact decimal such as "1234.50", not a float'))
    if isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value.strip()):
        value = Decimal(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    elif not isinstance(value, Decimal) or not value.is_finite():
        raise MoneyRefused(Msg("must be a number such as 1234.50"))
    if value < 0:
        raise MoneyRefused(Msg("must not be negative"))
    _sign, digits, exponent = value.as_tuple()
    if max(0, -exponent) > MONEY_MAX_DECIMAL_PLACES:
        raise MoneyRefused(
            Msg("must have at most {places} decimal places", places=MONEY_MAX_DECIMAL_PLACES)
        )
    if len(digits) + exponent > MONEY_MAX_INTEGER_DIGITS:
        raise MoneyRefused(
            Msg(
                "must have at most {digits} digits before the point",
                digits=MONEY_MAX_INTEGER_DIGITS,
            )
        )
    return abs(value)  # abs() turns a "-0" into 0


def read_currency(value: object) -> str:
    """Return an ISO 4217 code (any case in, upper case out); ``DEFAULT_CURRENCY`` when none.

    >>> read_currency(" usd "), read_currency(None)
    ('USD', 'EUR')
    >>> read_currency("ABC")
    Traceback (most recent call last):
    ...
    assettrack.domain.money.MoneyRefused: ABC is not an ISO 4217 currency code
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_CURRENCY
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or not _CURRENCY_SHAPE.fullmatch(code):
        raise MoneyRefused(Msg("must be a three-letter ISO 4217 code such as EUR"))
    if code not in ISO_4217_CURRENCIES:
        raise MoneyRefused(Msg("{code} is not an ISO 4217 currency code", code=code))
    return code
