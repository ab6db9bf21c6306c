"""CSV files for spreadsheets: every export writes through :func:`writer`.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (OWASP "CSV injection"): ``=HYPERLINK(...)`` in a
justification would become a live link in an auditor's spreadsheet. Such cells are written with
a leading apostrophe, which spreadsheets show as text; plain numbers (``-12.50``) stay numbers.
"""

import csv
import re

__all__ = ["writer", "safe_cell"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value):
    """Return ``value`` ready for a spreadsheet: a would-be formula is prefixed with ``'``.

    Examples
    --------
    >>> safe_cell('=HYPERLINK("http://evil.example","open")')
    '\\'=HYPERLINK("http://evil.example","open")'
    >>> safe_cell("-12.50"), safe_cell(-3), safe_cell("Rotterdam")
    ('-12.50', -3, 'Rotterdam')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        if not _NUMBER.fullmatch(value):
            return "'" + value
    return value


class _SafeWriter:
    """A ``csv.writer`` whose cells pass through :func:`safe_cell`."""

    def __init__(self, handle, **kwargs):
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(handle, **kwargs) -> _SafeWriter:
    """Return a CSV writer on ``handle`` (arguments of ``csv.writer``) that defuses formulas."""
    return _SafeWriter(handle, **kwargs)
