"""Money as text: a decimal string beside its ISO 4217 currency, never a float."""

from decimal import Decimal

__all__ = ["ISO_4217_CURRENCIES", "money_text"]

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
