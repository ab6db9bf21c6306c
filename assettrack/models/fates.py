"""What becomes of every store: each table's model declares its fate in its docstring.

DECISIONS, "for every issue": a store is "erased with its case", "expires after N days", "kept
(why)" or "installation data". The declaration is the line ``Fate: ...`` of the model's docstring,
next to the columns it speaks of; retention and backups read it here, and tests/test_fates.py
fails on a table without one.
"""

import re

from sqlmodel import SQLModel

__all__ = ["FATE_KINDS", "fate_of", "table_fates"]

#: The kinds of fate, as a declaration starts.
FATE_KINDS = ("erased with its case", "expires after", "kept (", "installation data")

_FATE = re.compile(r"^\s*Fate:\s*(.+?)\s*(?:\n\s*\n|\Z)", re.M | re.S)


def fate_of(model: type) -> str | None:
    """Return the fate a model declares (one line of text), or None when it declares none.

    >>> class Note:
    ...     '''A note.
    ...
    ...     Fate: expires after 7 days (swept nightly).
    ...     '''
    >>> fate_of(Note)
    'expires after 7 days (swept nightly).'
    """
    match = _FATE.search(model.__doc__ or "")
    return " ".join(match.group(1).split()) if match else None


def table_fates() -> dict[str, str | None]:
    """Return every table of the metadata with the fate its model declares."""
    models = {}
    pending = list(SQLModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        table = getattr(model, "__table__", None)
        if table is not None:
            models[table.name] = model
    return {
        name: fate_of(models[name]) if name in models else None
        for name in sorted(SQLModel.metadata.tables)
    }
