"""The clock of a screening dossier: when the advice and the decision on a permit are due.

A municipality that screens a permit application (the Dutch *Bibob* procedure, Wet Bibob) may
ask a national bureau for advice (the Landelijk Bureau Bibob: 8 weeks, extendable once by 4,
Wet Bibob art. 15) and may put questions to the applicant. Both stop the clock of the permit's
own decision term: the term is extended by the time the advice takes (at most the advice term,
Wet Bibob art. 31) and suspended while the applicant answers (Awb art. 4:15). Other countries'
screening procedures fit the same template with their own terms: a :class:`Procedure` holds
them, and :data:`BIBOB` is the Dutch default.

:func:`screening_clock` computes every date from plain dates: the day the advice is due, the
day the decision is due, the days the clock stood still, and whether it stands still today.
Pure: dates in, dates out; the calendar of working days is the ``holidays`` package's, as for
urgent freezes (:func:`assettrack.domain.lifecycle.urgent_freeze_expiry`).
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from enum import StrEnum

import holidays

__all__ = [
    "TermUnit",
    "Outcome",
    "Measure",
    "Term",
    "Procedure",
    "Suspension",
    "Clock",
    "BIBOB",
    "DEFAULT_PROCEDURES",
    "MAX_TERM",
    "add_term",
    "screening_clock",
]

#: The longest term a procedure may set, in its unit (bounds user input: about ten years).
MAX_TERM = 520


class TermUnit(StrEnum):
    """How a term is counted."""

    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    WEEKS = "weeks"


class Outcome(StrEnum):
    """What the screening found (Wet Bibob art. 3: serious risk, lesser risk, none)."""

    SERIOUS_RISK = "serious_risk"
    LESSER_RISK = "lesser_risk"
    NO_RISK = "no_risk"


class Measure(StrEnum):
    """The measure taken on the permit after the screening."""

    REFUSAL = "refusal"
    CONDITIONS = "conditions"
    WITHDRAWAL = "withdrawal"
    CLOSURE = "closure"


@dataclass(frozen=True)
class Term:
    """A length of time in a unit: ``Term(8, "weeks")``.

    Examples
    --------
    >>> Term(8, "weeks")
    Term(value=8, unit=<TermUnit.WEEKS: 'weeks'>)
    """

    value: int
    unit: TermUnit

    def __post_init__(self):
        object.__setattr__(self, "unit", TermUnit(self.unit))
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError("a term's value is a whole number")
        if not 0 <= self.value <= MAX_TERM:
            raise ValueError(f"a term is between 0 and {MAX_TERM} {self.unit.value}")


@dataclass(frozen=True)
class Procedure:
    """The terms of one screening procedure, as an organisation configures it.

    Attributes
    ----------
    code : str
        Short name (``"bibob"``).
    advice_term : Term
        How long the national bureau has to advise.
    advice_extension : Term or None
        How much longer it may take when it extends, ``extensions_allowed`` times.
    extensions_allowed : int
        How many times the advice term may be extended (Bibob: once).
    decision_term : Term
        The permit's own decision term when the dossier names none.
    advice_extends_decision : bool
        The decision term is extended by the days the advice takes (at most its term).
    questions_suspend_decision : bool
        The decision term stands still while the applicant answers questions.
    roll_to_working_day : bool
        A term ending on a Saturday, Sunday or public holiday ends on the next working day
        (the Dutch Algemene termijnenwet art. 1).
    warn_days : int
        How many days before a due date the milestone "due in N days" is told.
    """

    code: str
    advice_term: Term
    advice_extension: Term | None
    extensions_allowed: int
    decision_term: Term
    advice_extends_decision: bool = True
    questions_suspend_decision: bool = True
    roll_to_working_day: bool = True
    warn_days: int = 14


#: The Dutch default: advice in 8 weeks, extendable once by 4; the permit's decision term
#: (the Awb's default of 8 weeks when the permit sets none) extended by the advice time and
#: suspended while the applicant answers.
BIBOB = Procedure(
    code="bibob",
    advice_term=Term(8, TermUnit.WEEKS),
    advice_extension=Term(4, TermUnit.WEEKS),
    extensions_allowed=1,
    decision_term=Term(8, TermUnit.WEEKS),
)

#: The built-in procedures, used when an organisation stored none of its own.
DEFAULT_PROCEDURES = {BIBOB.code: BIBOB}


@dataclass(frozen=True)
class Suspension:
    """Questions sent to the applicant on ``start``, answered on ``end`` (None: not yet)."""

    start: date
    end: date | None = None


@dataclass(frozen=True)
class Clock:
    """Every date of a dossier's clock on one day.

    Attributes
    ----------
    received_on : datetime.date
        The application was received.
    decision_term_ends_on : datetime.date
        Where the decision term would end if nothing stopped it.
    advice_due_on : datetime.date or None
        The day the advice is due (with its extensions); None when none was requested.
    advice_overdue : bool
        The advice is due before ``today`` and not received.
    stopped_days : int
        Days the decision clock stood still so far (advice and questions, each day once).
    suspended : bool
        The applicant has not answered questions yet: the decision clock stands still today.
    decision_due_on : datetime.date or None
        The day the decision is due; None while the clock stands still for an unanswered
        question (it cannot be known). While the advice is pending, the advice is assumed to
        take its whole term.
    days_left : int or None
        Calendar days from ``today`` to ``decision_due_on`` (negative when overdue).
    advice_days_left : int or None
        Calendar days from ``today`` to ``advice_due_on`` while the advice is pending.
    """

    received_on: date
    decision_term_ends_on: date
    advice_due_on: date | None
    advice_overdue: bool
    stopped_days: int
    suspended: bool
    decision_due_on: date | None
    days_left: int | None
    advice_days_left: int | None
    stops: tuple[tuple[date, date], ...] = field(default=())


def add_term(start: date, term: Term, *, country: str | None = None, roll: bool = False) -> date:
    """Return the last day of ``term`` counted from the day after ``start``.

    Parameters
    ----------
    start : datetime.date
        The day the term starts from (not counted).
    term : Term
        Weeks are 7 calendar days each; working days skip weekends and ``country``'s
        public holidays.
    country : str, optional
        ISO 3166-1 alpha-2 code of the calendar; required for working days and rolling.
    roll : bool, optional
        Move a last day on a weekend or public holiday to the next working day.

    Returns
    -------
    datetime.date

    Examples
    --------
    Eight weeks from Monday 11 January 2027 end on Monday 8 March; four working days from
    Thursday 22 April 2027 skip the weekend and King's Day (Tuesday 27 April):

    >>> add_term(date(2027, 1, 11), Term(8, "weeks"))
    datetime.date(2027, 3, 8)
    >>> add_term(date(2027, 4, 22), Term(4, "working_days"), country="NL")
    datetime.date(2027, 4, 29)
    """
    if term.unit is TermUnit.WORKING_DAYS:
        day, counted = start, 0
        while counted < term.value:
            day += timedelta(days=1)
            if _is_working_day(day, _country(country)):
                counted += 1
        return day
    days = term.value * 7 if term.unit is TermUnit.WEEKS else term.value
    day = start + timedelta(days=days)
    if roll:
        day = _next_working_day(day, _country(country))
    return day


def screening_clock(
    procedure: Procedure,
    *,
    received_on: date,
    today: date,
    country: str,
    decision_term: Term | None = None,
    advice_requested_on: date | None = None,
    extensions: int = 0,
    advice_received_on: date | None = None,
    suspensions: Iterable[Suspension] = (),
) -> Clock:
    """Compute a screening dossier's dates on ``today``.

    The decision term runs from the day after ``received_on``. Each day on which the clock
    stands still pushes the end one day on, each day counted once even when the advice and a
    question overlap: the days after ``advice_requested_on`` up to the advice's receipt (at
    most to its due day), and the days after questions were sent up to their answer. A
    working-day term counts only working days that are not stopped. The end is then rolled
    to a working day when the procedure says so.

    Parameters
    ----------
    procedure : Procedure
        The terms.
    received_on : datetime.date
        The application was received.
    today : datetime.date
        The organisation's today (from :mod:`assettrack.domain.clock`).
    country : str
        ISO 3166-1 alpha-2 code of the organisation's calendar.
    decision_term : Term, optional
        The permit's own decision term (default: the procedure's).
    advice_requested_on : datetime.date, optional
        The day the advice was requested.
    extensions : int, optional
        How many times the bureau extended its term (at most ``extensions_allowed``).
    advice_received_on : datetime.date, optional
        The day the advice arrived.
    suspensions : iterable of Suspension
        Questions to the applicant.

    Returns
    -------
    Clock

    Raises
    ------
    ValueError
        On dates out of order: advice before receipt, received before requested, an answer
        before its question, or more extensions than allowed.

    Examples
    --------
    Received Monday 4 January 2027 with an 8-week term: due Monday 1 March. The advice,
    requested 11 January and received 1 February, stopped the clock 21 days (12 January to
    1 February): due 22 March.

    >>> clock = screening_clock(BIBOB, received_on=date(2027, 1, 4), today=date(2027, 2, 2),
    ...                         country="NL", advice_requested_on=date(2027, 1, 11),
    ...                         advice_received_on=date(2027, 2, 1))
    >>> clock.decision_term_ends_on, clock.stopped_days, clock.decision_due_on
    (datetime.date(2027, 3, 1), 21, datetime.date(2027, 3, 22))
    """
    country = _country(country)
    suspensions = sorted(suspensions, key=lambda s: s.start)
    _check_order(
        procedure, received_on, advice_requested_on, extensions, advice_received_on, suspensions
    )
    term = decision_term or procedure.decision_term
    advice_due = None
    if advice_requested_on is not None:
        advice_due = add_term(
            advice_requested_on, procedure.advice_term, country=country,
            roll=procedure.roll_to_working_day,
        )  # fmt: skip
        for _ in range(extensions):
            advice_due = add_term(
                advice_due, procedure.advice_extension, country=country,
                roll=procedure.roll_to_working_day,
            )  # fmt: skip
    stops = []
    if advice_due is not None and procedure.advice_extends_decision:
        # A pending advice is assumed to take its whole term: the due date shown is the latest
        # one the law allows, and it moves earlier when the advice arrives.
        end = advice_due if advice_received_on is None else min(advice_received_on, advice_due)
        stops.append((advice_requested_on, end))
    suspended = False
    if procedure.questions_suspend_decision:
        for suspension in suspensions:
            if suspension.end is None:
                suspended = True
                stops.append((suspension.start, max(today, suspension.start)))
            else:
                stops.append((suspension.start, suspension.end))
    stopped = _stopped_days(stops)
    unstopped_end = add_term(received_on, term, country=country, roll=procedure.roll_to_working_day)
    decision_due = None
    if not suspended:
        decision_due = _run(received_on, term, stopped, country, procedure.roll_to_working_day)
    elapsed = sum(1 for day in stopped if day <= today)
    advice_pending = advice_due is not None and advice_received_on is None
    return Clock(
        received_on=received_on,
        decision_term_ends_on=unstopped_end,
        advice_due_on=advice_due,
        advice_overdue=advice_pending and today > advice_due,
        stopped_days=elapsed,
        suspended=suspended,
        decision_due_on=decision_due,
        days_left=None if decision_due is None else (decision_due - today).days,
        advice_days_left=(advice_due - today).days if advice_pending else None,
        stops=tuple(stops),
    )


# --- private helpers -------------------------------------------------------------------------


def _country(country):
    if not country or not isinstance(country, str):
        raise ValueError("a country's calendar is needed to count working days")
    return country.strip().upper()


def _stopped_days(stops):
    """The set of days on which the clock stands still: the day after each start to its end."""
    days = set()
    for start, end in stops:
        day = start + timedelta(days=1)
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return days


def _run(received_on, term, stopped, country, roll):
    """Walk the term from the day after receipt, skipping stopped days."""
    if term.unit is TermUnit.WORKING_DAYS:
        needed = term.value
        counts = lambda day: _is_working_day(day, country)  # noqa: E731
    else:
        needed = term.value * 7 if term.unit is TermUnit.WEEKS else term.value
        counts = lambda day: True  # noqa: E731
    day, counted = received_on, 0
    while counted < needed:
        day += timedelta(days=1)
        if day not in stopped and counts(day):
            counted += 1
    if roll and term.unit is not TermUnit.WORKING_DAYS:
        day = _next_working_day(day, country)
    return day


def _next_working_day(day, country):
    while not _is_working_day(day, country):
        day += timedelta(days=1)
    return day


def _is_working_day(day, country):
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


@functools.lru_cache(maxsize=256)
def _public_holidays(country, year):
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError as error:
        raise ValueError(f"no public holiday calendar for {country!r}: {error}") from None


def _check_order(procedure, received_on, requested, extensions, received, suspensions):
    if requested is not None and requested < received_on:
        raise ValueError("the advice was requested before the application was received")
    if received is not None and (requested is None or received < requested):
        raise ValueError("the advice arrived before it was requested")
    if extensions and requested is None:
        raise ValueError("an advice that was not requested cannot be extended")
    if not 0 <= extensions <= procedure.extensions_allowed or (
        extensions and procedure.advice_extension is None
    ):
        raise ValueError(
            f"the advice term may be extended at most {procedure.extensions_allowed} time(s)"
        )
    for suspension in suspensions:
        if suspension.start < received_on:
            raise ValueError("questions were sent before the application was received")
        if suspension.end is not None and suspension.end < suspension.start:
            raise ValueError("questions were answered before they were sent")
