"""The one source of "now" and "today" for assettrack.

Every service, view, job and pure core that needs the date or the time asks this module, so tests
freeze a single clock (time-machine) and the suite behaves the same at any hour. A date that a rule
compares with ("not in the future", a lapse, a statistics year) is the date in the organisation's
time zone, never the server's.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["today_in", "utc_today", "utcnow"]


def utcnow() -> datetime:
    """Return the current time, aware, in UTC.

    >>> utcnow().tzinfo is UTC
    True
    """
    return datetime.now(UTC)


def today_in(timezone: str) -> date:
    """Return today's date in ``timezone`` (an IANA name such as ``"Europe/Rome"``).

    Parameters
    ----------
    timezone : str
        The time zone whose calendar decides the date.

    Returns
    -------
    date
        The calendar date there at this instant.

    Examples
    --------
    >>> isinstance(today_in("Europe/Rome"), date)
    True
    """
    return utcnow().astimezone(ZoneInfo(timezone)).date()


def utc_today() -> date:
    """Return today's date in UTC (for what belongs to no organisation, such as a file name).

    >>> utc_today() == utcnow().date()
    True
    """
    return utcnow().date()
