"""The lifecycle of one asset: its stages, the decisions that move it, and their checks.

An asset is *traced*, then *frozen*, possibly handed to a manager (*managed*), *confiscated*
(first instance, then final) and at last *disposed* of; before disposal it can be *released*
back to its owner. Every move is a decision. :func:`next_state` applies the transition table of
DOMAIN.md ("The asset lifecycle") to one asset, :func:`validate_decision` checks and cleans the
fields a decision records, :func:`urgent_freeze_expiry` dates the lapse of an urgent freeze and
:func:`case_stage` derives a case's stage from its assets' stages.

The module is pure: it imports nothing from Flask or the database, so the rules are tested with
plain values. Errors form a small hierarchy (:class:`LifecycleError`) that the web and API layers
map to a response: :class:`IllegalTransition` (409) and :class:`DecisionInvalid` (422).
"""

import functools
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

import holidays

from ..errors import Msg
from .money import DEFAULT_CURRENCY
from .money import ISO_4217_CURRENCIES
from .money import MONEY_MAX_DECIMAL_PLACES
from .money import MONEY_MAX_INTEGER_DIGITS
from .money import MoneyRefused
from .money import read_amount
from .money import read_currency

__all__ = [
    "Stage",
    "Action",
    "ConfiscationType",
    "DisposalKind",
    "EarlySaleGround",
    "TERMINAL_STAGES",
    "STAGE_ORDER",
    "CASE_COMPLETED",
    "DEFAULT_CURRENCY",
    "ISO_4217_CURRENCIES",
    "MAX_LENGTHS",
    "MONEY_MAX_INTEGER_DIGITS",
    "MONEY_MAX_DECIMAL_PLACES",
    "RECIPIENT_REQUIRED",
    "URGENT_FREEZE_WORKING_DAYS",
    "AssetState",
    "LifecycleError",
    "IllegalTransition",
    "DecisionInvalid",
    "next_state",
    "allowed_moves",
    "allowed_actions",
    "is_terminal",
    "validate_decision",
    "urgent_freeze_expiry",
    "is_lapsed",
    "case_stage",
]


class Stage(StrEnum):
    """Where one asset stands in its lifecycle."""

    TRACED = "traced"
    FROZEN = "frozen"
    MANAGED = "managed"
    CONFISCATED = "confiscated"
    DISPOSED = "disposed"
    RELEASED = "released"


class Action(StrEnum):
    """What a decision does to the assets it covers."""

    FREEZE = "freeze"
    CONFIRM = "confirm"
    MANAGE = "manage"
    CONFISCATE = "confiscate"
    DISPOSE = "dispose"
    RELEASE = "release"


class ConfiscationType(StrEnum):
    """The legal kind of a confiscation order (Directive 2014/42/EU Arts. 4-6; 2024/1260)."""

    ORDINARY = "ordinary"
    VALUE = "value"
    THIRD_PARTY = "third_party"
    EXTENDED = "extended"
    NON_CONVICTION_BASED = "non_conviction_based"
    UNEXPLAINED_WEALTH = "unexplained_wealth"


class DisposalKind(StrEnum):
    """What becomes of a finally confiscated asset."""

    SOCIAL_REUSE = "social_reuse"
    PUBLIC_USE = "public_use"
    SALE = "sale"
    DESTRUCTION = "destruction"
    VICTIM_COMPENSATION = "victim_compensation"
    RETURNED_ABROAD = "returned_abroad"


class EarlySaleGround(StrEnum):
    """Why a managed asset may be sold before confiscation (interlocutory sale)."""

    PERISHABLE = "perishable"
    RAPIDLY_DEPRECIATING = "rapidly_depreciating"
    DISPROPORTIONATE_COST = "disproportionate_cost"


#: Stages after which no decision is possible.
TERMINAL_STAGES = frozenset({Stage.DISPOSED, Stage.RELEASED})

#: Stages in lifecycle order; a case's stage is the earliest of its live assets'.
STAGE_ORDER = (
    Stage.TRACED,
    Stage.FROZEN,
    Stage.MANAGED,
    Stage.CONFISCATED,
    Stage.DISPOSED,
    Stage.RELEASED,
)

#: The derived stage of a case whose assets are all disposed of or released.
CASE_COMPLETED = "completed"

#: Working days after which an urgent freeze lapses unless a judicial order confirms it.
URGENT_FREEZE_WORKING_DAYS = 7

#: Longest accepted text, in characters, of each free-text field of a decision.
MAX_LENGTHS = MappingProxyType(
    {
        "authority": 200,
        "reference": 200,
        "legal_basis": 500,
        "manager": 200,
        "recipient": 200,
        "purpose": 500,
        "reason": 500,
    }
)

#: Disposals that hand the asset to someone, who must then be named.
RECIPIENT_REQUIRED = frozenset(
    {
        DisposalKind.SOCIAL_REUSE,
        DisposalKind.PUBLIC_USE,
        DisposalKind.VICTIM_COMPENSATION,
        DisposalKind.RETURNED_ABROAD,
    }
)


@dataclass(frozen=True)
class AssetState:
    """The lifecycle facts about one asset that decide which move is legal next.

    Attributes
    ----------
    stage : Stage
        The asset's stage; a stage's value (``"frozen"``) is accepted and converted.
    urgent_unconfirmed : bool
        Frozen by an urgent freeze that no judicial order has confirmed yet. Only a frozen
        asset can have it.
    confiscation_final : bool
        Confiscated by a final order (False: first instance). Only a confiscated asset can
        have it.
    last_decided_on : datetime.date or None
        Date of the asset's latest standing decision; a new decision may not be earlier.
    urgent_expires_on : datetime.date or None
        The last day an unconfirmed urgent freeze holds (:func:`urgent_freeze_expiry`); after
        it the freeze has lapsed (:func:`is_lapsed`). Only with ``urgent_unconfirmed``.

    Raises
    ------
    ValueError
        If the stage is unknown or a flag does not belong to the stage.

    Examples
    --------
    >>> AssetState("frozen", urgent_unconfirmed=True).stage
    <Stage.FROZEN: 'frozen'>
    """

    stage: Stage
    urgent_unconfirmed: bool = False
    confiscation_final: bool = False
    last_decided_on: date | None = None
    urgent_expires_on: date | None = None

    def __post_init__(self):
        object.__setattr__(self, "stage", Stage(self.stage))
        if self.urgent_expires_on is not None and not self.urgent_unconfirmed:
            raise ValueError("only an unconfirmed urgent freeze has an expiry date")
        if self.urgent_unconfirmed and self.stage is not Stage.FROZEN:
            raise ValueError(
                f"only a frozen asset can be under an unconfirmed urgent freeze, "
                f"not a {self.stage.value} one"
            )
        if self.confiscation_final and self.stage is not Stage.CONFISCATED:
            raise ValueError(
                f"only a confiscated asset can be under a final confiscation, "
                f"not a {self.stage.value} one"
            )
        if self.last_decided_on is not None and not _is_plain_date(self.last_decided_on):
            raise TypeError("last_decided_on must be a datetime.date or None")


class LifecycleError(Exception):
    """Base of the errors raised by the lifecycle rules."""


class IllegalTransition(LifecycleError):
    """A decision that the asset's stage does not allow; nothing was changed.

    Attributes
    ----------
    stage : Stage
        The stage the asset is in.
    action : Action
        The refused action.
    reason : str
        Why, as one plain English sentence for the user; also ``str(error)``.
    """

    def __init__(self, stage: Stage | str, action: Action | str, reason: str):
        super().__init__(reason)
        self.stage = Stage(stage)
        self.action = Action(action)
        self.reason = reason

    def __reduce__(self):
        return (type(self), (self.stage, self.action, self.reason))


class DecisionInvalid(LifecycleError):
    """The fields of a decision are wrong; every problem found is listed.

    Attributes
    ----------
    errors : dict of str to str
        Message per field name, e.g. ``{"decided_on": "must not be in the future"}``;
        ``str(error)`` joins them as ``"field: message; field: message"``.
    """

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))

    def __reduce__(self):
        return (type(self), (self.errors,))


def next_state(
    state: AssetState,
    action: Action | str,
    *,
    urgent: bool = False,
    final: bool = False,
    lapse_acknowledged: bool = False,
    decided_on: date | None = None,
) -> AssetState:
    """Return the state an asset reaches by one decision, or refuse the decision.

    The allowed moves are DOMAIN.md's table as DECISIONS.md #13 amends it: traced → frozen
    (freeze) or released; an urgent freeze confirmed (confirm) within its term; frozen →
    managed; frozen or managed → confiscated (first instance or final); a first-instance
    confiscation made final; frozen, managed or confiscated → released; finally confiscated →
    disposed. After an urgent freeze lapsed unconfirmed (:func:`is_lapsed` on ``decided_on``)
    the asset is "frozen — lapsed": manage, confiscate and confirm are refused, release is
    allowed, and a new order is a freeze with ``lapse_acknowledged``. A second identical order
    is refused, so two officers recording the same order cannot both succeed.

    Parameters
    ----------
    state : AssetState
        The asset as it stands.
    action : Action or str
        The decision's action.
    urgent : bool, optional
        The freeze is urgent (by an asset recovery office, to be confirmed). Freeze only.
    final : bool, optional
        The confiscation order is final (not first instance). Confiscate only.
    lapse_acknowledged : bool, optional
        The officer acknowledges that the asset's urgent freeze lapsed: this freeze is a new
        freezing order. Freeze only, and only on a lapsed asset.
    decided_on : datetime.date, optional
        Date of the decision; it becomes the new ``last_decided_on`` and may not be earlier
        than the asset's previous decision. The lapse is judged on this day (not judged
        without it).

    Returns
    -------
    AssetState
        The new state; ``state`` itself is never changed.

    Raises
    ------
    DecisionInvalid
        If ``urgent``, ``final`` or ``lapse_acknowledged`` is set for an action they do not
        apply to (checked first), or if ``decided_on`` is before ``state.last_decided_on``
        (checked last).
    IllegalTransition
        If the table does not allow ``action`` from ``state``.
    ValueError
        If ``action`` is not an action.

    Examples
    --------
    >>> frozen = next_state(AssetState(Stage.TRACED), Action.FREEZE, urgent=True,
    ...                     decided_on=date(2026, 4, 23))
    >>> frozen
    AssetState(stage=<Stage.FROZEN: 'frozen'>, urgent_unconfirmed=True, confiscation_final=False, last_decided_on=datetime.date(2026, 4, 23), urgent_expires_on=None)
    >>> next_state(frozen, "confirm").urgent_unconfirmed
    False
    >>> next_state(frozen, Action.FREEZE)
    Traceback (most recent call last):
    ...
    assettrack.domain.lifecycle.IllegalTransition: the asset is under an urgent freeze within its term: record the judicial order as its confirmation (confirm), not as a new freezing order
    """  # noqa: E501
    action = Action(action)
    flag_errors = {}
    if urgent and action is not Action.FREEZE:
        flag_errors["urgent"] = Msg("applies only to a freeze")
    if final and action is not Action.CONFISCATE:
        flag_errors["final"] = Msg("applies only to a confiscation")
    if lapse_acknowledged and action is not Action.FREEZE:
        flag_errors["lapse_acknowledged"] = Msg("applies only to a freeze")
    if flag_errors:
        raise DecisionInvalid(flag_errors)
    if decided_on is not None and not _is_plain_date(decided_on):
        raise TypeError("decided_on must be a datetime.date or None")
    reason = _refusal(
        state,
        action,
        urgent=urgent,
        final=final,
        lapse_acknowledged=lapse_acknowledged,
        on=decided_on,
    )
    if reason is not None:
        raise IllegalTransition(state.stage, action, reason)
    if decided_on is not None:
        if state.last_decided_on is not None and decided_on < state.last_decided_on:
            raise DecisionInvalid(
                {
                    "decided_on": Msg(
                        "must not be before the asset's previous decision ({day})",
                        day=state.last_decided_on.isoformat(),
                    )
                }
            )
    last = decided_on if decided_on is not None else state.last_decided_on
    if action is Action.FREEZE:
        return AssetState(Stage.FROZEN, urgent_unconfirmed=urgent, last_decided_on=last)
    if action is Action.CONFISCATE:
        return AssetState(Stage.CONFISCATED, confiscation_final=final, last_decided_on=last)
    return AssetState(_TARGET[action], last_decided_on=last)


def is_lapsed(state: AssetState, on: date | None) -> bool:
    """Return whether the asset's urgent freeze lapsed unconfirmed before ``on``.

    Parameters
    ----------
    state : AssetState
        The asset as it stands.
    on : datetime.date or None
        The day to judge (a decision's date, or today); None judges nothing (False).

    Returns
    -------
    bool
        True when the asset is under an unconfirmed urgent freeze whose last day
        (``urgent_expires_on``) is before ``on``: the asset is "frozen — lapsed".

    Examples
    --------
    >>> state = AssetState("frozen", urgent_unconfirmed=True, urgent_expires_on=date(2026, 5, 5))
    >>> is_lapsed(state, date(2026, 5, 5)), is_lapsed(state, date(2026, 5, 6))
    (False, True)
    """
    return (
        state.urgent_unconfirmed
        and state.urgent_expires_on is not None
        and on is not None
        and on > state.urgent_expires_on
    )


def allowed_moves(
    state: AssetState, *, on: date | None = None
) -> list[tuple[Action, dict[str, bool]]]:
    """List every legal decision from ``state`` with the flags it must carry.

    Parameters
    ----------
    state : AssetState
        The asset as it stands.
    on : datetime.date, optional
        The day of the decision, on which a lapse is judged (:func:`is_lapsed`).

    Returns
    -------
    list of (Action, dict)
        In :class:`Action` order; the dict holds the keyword flags of :func:`next_state`
        (``urgent``, ``final``, ``lapse_acknowledged``) for that move, empty when it takes
        none.

    Examples
    --------
    >>> allowed_moves(AssetState(Stage.CONFISCATED))
    [(<Action.CONFISCATE: 'confiscate'>, {'final': True}), (<Action.RELEASE: 'release'>, {})]
    """
    moves = []
    for action in Action:
        for flags in _FLAG_CHOICES[action]:
            if _refusal(state, action, on=on, **_all_flags(flags)) is None:
                moves.append((action, dict(flags)))
    return moves


def allowed_actions(state: AssetState, *, on: date | None = None) -> list[Action]:
    """List the actions that some decision can take from ``state`` now, for a user interface.

    Parameters
    ----------
    state : AssetState
        The asset as it stands.
    on : datetime.date, optional
        The day of the decision, on which a lapse is judged (:func:`is_lapsed`).

    Returns
    -------
    list of Action
        In :class:`Action` order, each once; empty for a terminal stage.

    Examples
    --------
    >>> allowed_actions(AssetState(Stage.TRACED))
    [<Action.FREEZE: 'freeze'>, <Action.RELEASE: 'release'>]
    >>> allowed_actions(AssetState(Stage.RELEASED))
    []
    """
    actions = []
    for action, _flags in allowed_moves(state, on=on):
        if action not in actions:
            actions.append(action)
    return actions


def is_terminal(stage: Stage | str) -> bool:
    """Return whether no decision is possible from ``stage`` (disposed or released).

    Examples
    --------
    >>> is_terminal("disposed"), is_terminal(Stage.MANAGED)
    (True, False)
    """
    return Stage(stage) in TERMINAL_STAGES


def validate_decision(action: Action | str, fields: Mapping[str, object], *, today: date) -> dict:
    """Check and clean the fields of one decision, reporting every problem at once.

    Text is stripped and an empty string counts as missing, so HTML form data can be passed
    as it comes; fields that the action does not use (a CSRF token, say) are ignored.

    Parameters
    ----------
    action : Action or str
        The decision's action.
    fields : mapping
        The raw fields. Common to all actions: ``decided_on`` (date or ``YYYY-MM-DD``, not
        after ``today``), ``authority``, ``reference``, ``legal_basis`` (required text).
        freeze: ``urgent``, ``lapse_acknowledged``, ``value_at_freezing``, ``currency``,
        ``owner_notified_on``. confirm: only the common fields.
        manage: ``manager``, ``early_sale``; with an early sale ``ground``, ``price``,
        ``currency``. confiscate: ``confiscation_type``, ``final``,
        ``value_at_confiscation``, ``currency``. dispose: ``disposal``, ``recipient``,
        ``purpose``, ``realised_value``, ``currency``. release: ``reason``, ``returned_on``.
        Money is a :class:`~decimal.Decimal`, an int or a decimal string, never a float;
        flags are booleans or ``"true"``/``"false"``/``"on"``/... strings.
    today : datetime.date
        The date the decision is entered, in the user's time zone.

    Returns
    -------
    dict
        ``action`` and the cleaned fields of that action, typed (``date``, ``Decimal``,
        enums, ``bool``, ``str``), with ``None`` for an optional field not given.
        ``currency`` defaults to ``DEFAULT_CURRENCY`` where the action records money
        (for manage, only with an early sale).

    Raises
    ------
    DecisionInvalid
        With one message per wrong field, including ``action`` when it is unknown.

    Examples
    --------
    >>> cleaned = validate_decision(
    ...     "freeze",
    ...     {"decided_on": "2026-04-23", "authority": "Public Prosecution Service Rotterdam",
    ...      "reference": "OM-2026-0117", "legal_basis": "Art. 94 Sv", "urgent": "on",
    ...      "value_at_freezing": "185000.00", "csrf_token": "ignored"},
    ...     today=date(2026, 4, 24))
    >>> cleaned["decided_on"], cleaned["urgent"], cleaned["value_at_freezing"], cleaned["currency"]
    (datetime.date(2026, 4, 23), True, Decimal('185000.00'), 'EUR')
    >>> validate_decision("release", {"decided_on": "2026-05-01"}, today=date(2026, 4, 24))
    Traceback (most recent call last):
    ...
    assettrack.domain.lifecycle.DecisionInvalid: decided_on: must not be in the future; authority: is required; reference: is required; legal_basis: is required; reason: is required
    """  # noqa: E501
    errors: dict[str, str] = {}
    read = _FieldReader(fields, errors)
    cleaned: dict[str, object] = {}
    try:
        action = Action(action.strip().lower() if isinstance(action, str) else action)
    except ValueError:
        errors["action"] = Msg(
            "must be one of: {choices}", choices=", ".join(a.value for a in Action)
        )
        action = None
    cleaned["action"] = action
    # The fields, their kinds and limits are those of the decision's model (decision_shapes);
    # imported here, as that module takes its enumerations from this one.
    from .decision_shapes import COMMON_READS
    from .decision_shapes import DECISION_READS

    for name, kind, enum, required in COMMON_READS:
        cleaned[name] = read.read(name, kind, enum, required=required, today=today)
    decided_on = cleaned["decided_on"]
    for name, kind, enum, required in DECISION_READS.get(action, ()):
        if action is Action.MANAGE and name in _EARLY_SALE_ONLY and not cleaned["early_sale"]:
            if name != "currency" and read.is_given(name):
                errors[name] = Msg("applies only to an early sale (early_sale)")
            cleaned[name] = None
            continue
        required = required or _required_by_rule(name, cleaned)
        cleaned[name] = read.read(
            name, kind, enum, required=required, today=today, not_before=decided_on
        )

    if errors:
        raise DecisionInvalid(errors)
    return cleaned


def urgent_freeze_expiry(
    decided_on: date,
    country: str,
    *,
    working_days: int = URGENT_FREEZE_WORKING_DAYS,
    subdiv: str | None = None,
) -> date:
    """Return the day an urgent freeze lapses unless confirmed: the 7th working day after it.

    Working days skip Saturdays, Sundays and the public holidays of ``country`` (from the
    ``holidays`` package); the day of the decision itself is not counted.

    Parameters
    ----------
    decided_on : datetime.date
        Date of the urgent freeze.
    country : str
        ISO 3166-1 alpha-2 code of the country whose calendar counts ("NL", "BE", "IT").
    working_days : int, optional
        How many working days the freeze holds; 7 (DOMAIN.md).
    subdiv : str, optional
        A subdivision with its own holidays, as ``holidays`` names it (``"HH"`` for Hamburg).

    Returns
    -------
    datetime.date
        The last day on which the freeze still holds without confirmation.

    Raises
    ------
    ValueError
        If ``working_days`` is below 1 or ``holidays`` has no calendar for the country.

    Examples
    --------
    An urgent freeze in Rotterdam on Thursday 23 April 2026 counts Fri 24 (1), skips the
    weekend and King's Day (Monday 27), then Tue 28 to Fri 1 May (2-5), skips the weekend,
    Mon 4 (6) and Tue 5 May (7):

    >>> urgent_freeze_expiry(date(2026, 4, 23), "NL")
    datetime.date(2026, 5, 5)
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    if not _is_plain_date(decided_on):
        raise TypeError("decided_on must be a datetime.date")
    country = country.strip().upper()
    day = decided_on
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _public_holidays(country, subdiv, day.year):
            counted += 1
    return day


def case_stage(stages: Iterable[Stage | str]) -> str:
    """Derive a case's stage from the stages of its assets.

    Parameters
    ----------
    stages : iterable of Stage or str
        The stage of every asset of the case.

    Returns
    -------
    str
        The earliest stage (traced < frozen < managed < confiscated) among the assets not
        disposed of or released; ``"traced"`` when the case has no assets;
        ``"completed"`` (:data:`CASE_COMPLETED`) when all of them are terminal.

    Raises
    ------
    ValueError
        If a stage is unknown.

    Examples
    --------
    >>> case_stage(["confiscated", "frozen", "released"])
    'frozen'
    >>> case_stage([]), case_stage([Stage.DISPOSED, Stage.RELEASED])
    ('traced', 'completed')
    """
    all_stages = [Stage(stage) for stage in stages]
    if not all_stages:
        return Stage.TRACED.value
    live = [stage for stage in all_stages if stage not in TERMINAL_STAGES]
    if not live:
        return CASE_COMPLETED
    return min(live, key=STAGE_ORDER.index).value


# --- private helpers -------------------------------------------------------------------------

_TARGET = {
    Action.FREEZE: Stage.FROZEN,
    Action.CONFIRM: Stage.FROZEN,
    Action.MANAGE: Stage.MANAGED,
    Action.CONFISCATE: Stage.CONFISCATED,
    Action.DISPOSE: Stage.DISPOSED,
    Action.RELEASE: Stage.RELEASED,
}

# The flag combinations that can make sense for each action, tried by allowed_moves.
_FLAG_CHOICES = {
    Action.FREEZE: (
        {"urgent": False},
        {"urgent": True},
        {"urgent": False, "lapse_acknowledged": True},
        {"urgent": True, "lapse_acknowledged": True},
    ),
    Action.CONFIRM: ({},),
    Action.MANAGE: ({},),
    Action.CONFISCATE: ({"final": False}, {"final": True}),
    Action.DISPOSE: ({},),
    Action.RELEASE: ({},),
}

_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n", "off"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _all_flags(flags):
    return {"urgent": False, "final": False, "lapse_acknowledged": False, **flags}


def _refusal(state, action, *, urgent, final, lapse_acknowledged=False, on=None):
    """Return why the table refuses ``action`` from ``state``, or None when it allows it."""
    stage = state.stage
    if stage in TERMINAL_STAGES:
        return Msg(
            "a {stage} asset is terminal: no further decision is possible", stage=stage.value
        )
    lapsed = is_lapsed(state, on)
    if lapse_acknowledged and not lapsed:
        return Msg(
            "the asset is not under a lapsed urgent freeze: there is no lapse to acknowledge"
        )
    if action is Action.RELEASE:
        return None
    if lapsed and not (action is Action.FREEZE and lapse_acknowledged):
        # DECISIONS.md #13: after the lapse only a new order (or a release) moves the asset.
        return Msg(
            "the urgent freeze lapsed unconfirmed after {day}: record a new freezing order "
            "(freeze, acknowledging the lapse) or a release",
            day=state.urgent_expires_on.isoformat(),
        )
    if action is Action.CONFIRM:
        if stage is Stage.FROZEN and state.urgent_unconfirmed:
            return None
        if stage is Stage.FROZEN:
            return Msg(
                "only an urgent freeze not yet confirmed can be confirmed: this asset's "
                "freezing order is not an unconfirmed urgent freeze"
            )
        return Msg(
            "only an asset under an urgent freeze can be confirmed, not a {stage} one",
            stage=stage.value,
        )
    if action is Action.FREEZE:
        if stage is Stage.TRACED:
            return None
        if lapsed:
            return None  # a new freezing order after the lapse, acknowledged
        if stage is Stage.FROZEN and state.urgent_unconfirmed:
            return Msg(
                "the asset is under an urgent freeze within its term: record the judicial "
                "order as its confirmation (confirm), not as a new freezing order"
            )
        if stage is Stage.FROZEN:
            return Msg(
                "the asset is already frozen by a confirmed order: a second freezing order "
                "is refused"
            )
        if stage is Stage.MANAGED:
            return Msg("a managed asset is already frozen: a freezing order cannot move it")
        return Msg("a confiscated asset cannot be frozen again: the confiscation order applies")
    if action is Action.MANAGE:
        if stage is Stage.FROZEN:
            return None
        if stage is Stage.TRACED:
            return Msg("a traced asset must be frozen before it can be handed to a manager")
        if stage is Stage.MANAGED:
            return Msg(
                "the asset is already managed: changing the manager is an assignment, "
                "not a lifecycle move"
            )
        return Msg(
            "a confiscated asset cannot go back to managed: changing its manager is an "
            "assignment, not a lifecycle move"
        )
    if action is Action.CONFISCATE:
        if stage in (Stage.FROZEN, Stage.MANAGED):
            return None
        if stage is Stage.TRACED:
            return Msg("a traced asset must be frozen before it can be confiscated")
        if state.confiscation_final:
            return Msg(
                "the confiscation is already final: no further confiscation order is possible"
            )
        if not final:
            return Msg(
                "a first-instance confiscation already applies: only the final order can follow it"
            )
        return None  # the final order after the first instance
    # Action.DISPOSE
    if stage is Stage.CONFISCATED and state.confiscation_final:
        return None
    if stage is Stage.CONFISCATED:
        return Msg(
            "a final confiscation is required before disposal: this asset's confiscation is "
            "first instance only"
        )
    return Msg(
        "a {stage} asset cannot be disposed of: a final confiscation is required",
        stage=stage.value,
    )


def _is_plain_date(value):
    # datetime is a subclass of date, but comparing one with a date raises TypeError.
    return isinstance(value, date) and not isinstance(value, datetime)


@functools.lru_cache(maxsize=256)
def _public_holidays(country, subdiv, year):
    try:
        calendar = holidays.country_holidays(country, subdiv=subdiv, years=year)
    except NotImplementedError as error:
        raise ValueError(f"no public holiday calendar for {country!r}: {error}") from None
    return frozenset(calendar)


#: The fields of a management decision that only an early sale has.
_EARLY_SALE_ONLY = frozenset({"ground", "price", "currency"})


def _required_by_rule(name: str, cleaned: Mapping[str, object]) -> bool:
    # Beyond what a decision's model requires: fields the lifecycle's rules ask for.
    if name in ("ground", "price"):
        return bool(cleaned.get("early_sale"))
    if name == "recipient":
        return cleaned.get("disposal") in RECIPIENT_REQUIRED
    if name == "purpose":
        # Italian practice (Law 109/1996): a property given for social re-use names the body
        # that receives it and what it will be used for.
        return cleaned.get("disposal") is DisposalKind.SOCIAL_REUSE
    return False


class _FieldReader:
    """Read typed values out of raw decision fields, recording one message per bad field."""

    def __init__(self, fields, errors):
        self.fields = fields
        self.errors = errors

    def is_given(self, name):
        value = self.fields.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def fail(self, name, message):
        self.errors.setdefault(name, message)

    def read(self, name, kind, enum, *, required, today, not_before=None):
        """Read one field of the kind its model declares (decision_shapes.FieldRead)."""
        if kind == "text":
            return self.text(name, required=required)
        if kind == "date":
            return self.date(name, today=today, required=required, not_before=not_before)
        if kind == "money":
            return self.money(name, required=required)
        if kind == "currency":
            return self.currency(name)
        if kind == "flag":
            return self.flag(name)
        return self.choice(name, enum, required=required)

    def text(self, name, *, required=False):
        if not self.is_given(name):
            if required:
                self.fail(name, Msg("is required"))
            return None
        value = self.fields[name]
        if not isinstance(value, str):
            self.fail(name, Msg("must be text"))
            return None
        value = value.strip()
        limit = MAX_LENGTHS[name]
        if len(value) > limit:
            self.fail(
                name,
                Msg(
                    "must be at most {limit} characters (it has {length})",
                    limit=limit,
                    length=len(value),
                ),
            )
            return None
        return value

    def date(self, name, *, today, required=False, not_before=None):
        if not self.is_given(name):
            if required:
                self.fail(name, Msg("is required"))
            return None
        value = self.fields[name]
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                self.fail(name, Msg("is not a real date"))
                return None
        if not _is_plain_date(value):
            self.fail(name, Msg("must be a date in the form YYYY-MM-DD"))
            return None
        if value > today:
            self.fail(name, Msg("must not be in the future"))
            return None
        if not_before is not None and value < not_before:
            self.fail(
                name,
                Msg(
                    "must not be before the date of the decision ({day})",
                    day=not_before.isoformat(),
                ),
            )
            return None
        return value

    def money(self, name, *, required=False):
        if not self.is_given(name):
            if required:
                self.fail(name, Msg("is required"))
            return None
        try:
            return read_amount(self.fields[name])
        except MoneyRefused as refused:
            self.fail(name, refused.message)
            return None

    def currency(self, name):
        try:
            return read_currency(self.fields.get(name))
        except MoneyRefused as refused:
            self.fail(name, refused.message)
            return None

    def flag(self, name):
        if not self.is_given(name):
            return False
        value = self.fields[name]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS:
            return True
        if isinstance(value, str) and value.strip().lower() in _FALSE_WORDS:
            return False
        self.fail(name, Msg("must be true or false"))
        return False

    def choice(self, name, enum, *, required=False):
        if not self.is_given(name):
            if required:
                self.fail(name, Msg("is required"))
            return None
        value = self.fields[name]
        if isinstance(value, str):
            value = value.strip().lower()
        try:
            return enum(value)
        except ValueError:
            self.fail(
                name,
                Msg(
                    "must be one of: {choices}", choices=", ".join(member.value for member in enum)
                ),
            )
            return None
