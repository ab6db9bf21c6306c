"""The batched read model of assets: latest values per action and ledger totals.

The API's asset reads, the case page and the reports all show, for each asset, the value of the
latest standing freeze, confiscation and disposal that carries one, and the management ledger
summed per currency. They read it here, a constant number of queries for any number of assets
(chunked under the databases' parameter limits), so a list never asks once per row.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select
from sqlmodel import Session

from ..domain.lifecycle import Action
from ..models import Decision
from ..models import DecisionAsset
from ..models import LedgerEntry
from ..models.assets import LedgerKind

__all__ = ["VALUE_ACTIONS", "AssetValues", "read_asset_values"]

#: The actions whose decisions carry a value, and the name of that value on an asset.
VALUE_ACTIONS = {
    Action.FREEZE: "frozen",
    Action.CONFISCATE: "confiscated",
    Action.DISPOSE: "realised",
}

#: Asset ids per query: below SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 5000


class AssetValues:
    """What :func:`read_asset_values` found: ``values`` and ``ledger`` keyed by asset id.

    ``values[asset_id]`` maps ``frozen`` / ``confiscated`` / ``realised`` to ``(amount,
    currency)`` of the latest standing decision of that action with a value for the asset;
    ``ledger[asset_id]`` maps each currency to ``{"cost", "income", "net"}`` as Decimals,
    currencies sorted. An asset without either has an empty dict.
    """

    def __init__(self, values: dict, ledger: dict):
        self.values = values
        self.ledger = ledger

    def values_of(self, asset_id: int) -> dict:
        """Return the latest values of one asset (possibly empty)."""
        return self.values.get(asset_id, {})

    def ledger_of(self, asset_id: int) -> dict:
        """Return the ledger totals of one asset per currency (possibly empty)."""
        return self.ledger.get(asset_id, {})


def read_asset_values(session: Session, asset_ids: Iterable[int]) -> AssetValues:
    """Return the latest values and ledger totals of ``asset_ids``, two queries per chunk."""
    ids = sorted(set(asset_ids))
    values: dict[int, dict] = defaultdict(dict)
    books: dict[int, dict] = defaultdict(dict)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for asset_id, action, amount, currency in session.execute(
            select(DecisionAsset.asset_id, Decision.action, DecisionAsset.amount, Decision.currency)
            .join(Decision, Decision.id == DecisionAsset.decision_id)
            .where(
                DecisionAsset.asset_id.in_(chunk),
                Decision.annulled_at.is_(None),
                Decision.action.in_([action.value for action in VALUE_ACTIONS]),
                DecisionAsset.amount.is_not(None),
            )
            .order_by(Decision.decided_on, Decision.id)
        ):
            values[asset_id][VALUE_ACTIONS[Action(action)]] = (amount, currency)  # latest wins
        for asset_id, currency, kind, total in session.execute(
            select(
                LedgerEntry.asset_id,
                LedgerEntry.currency,
                LedgerEntry.kind,
                func.sum(LedgerEntry.amount),
            )
            .where(LedgerEntry.asset_id.in_(chunk))
            .group_by(LedgerEntry.asset_id, LedgerEntry.currency, LedgerEntry.kind)
        ):
            entry = books[asset_id].setdefault(
                currency, {LedgerKind.COST.value: Decimal(0), LedgerKind.INCOME.value: Decimal(0)}
            )
            entry[LedgerKind(kind).value] = Decimal(total)
    ledger = {}
    for asset_id, currencies in books.items():
        for entry in currencies.values():
            entry["net"] = entry["income"] - entry["cost"]
        ledger[asset_id] = dict(sorted(currencies.items()))
    return AssetValues(dict(values), ledger)
