"""Beneficial Ownership Data Standard (BODS 0.4) statements as FollowTheMoney entities.

BODS publishes *statements* about *records*: every statement carries a ``recordId``, a
``recordType`` (``entity``, ``person`` or ``relationship``), a ``recordStatus`` (``new``,
``updated``, ``closed``), a ``statementDate`` and the record's ``recordDetails``. Later
statements about the same record (a newer ``statementDate``) replace earlier ones; a ``closed``
statement ends the record.

:class:`BodsReader` turns a file of statements into the FtM entities that
:class:`assettrack.domain.ftm.Scan` checks and the import writes:

- an **entity** record becomes a ``Company`` (``registeredEntity``), an ``Organization``
  (``state``, ``stateBody``) or a ``LegalEntity`` (``legalEntity``, ``arrangement``,
  ``anonymousEntity``, ``unknownEntity``); a **person** record a ``Person``. The latest
  statement of the record gives the properties; the FtM id is ``bods-<recordId>``.
- a **relationship** record becomes one relation per interest and per *period* in which that
  interest stayed the same: ``shareholding`` is an ``Ownership`` (owner = the interested party,
  asset = the subject; ``share.exact`` a percentage, ``minimum``/``maximum`` and their exclusive
  forms a band such as ``25-50`` that stays a range); an interest of unknown kind is an
  ``Ownership`` of unknown share; ``votingRights`` is an ``Ownership`` only when the statement
  declares no shareholding (else it would count the same holding twice); board roles
  (``boardMember``, ``boardChair``, ``seniorManagingOfficial``, ``appointmentOfBoard``) are a
  ``Directorship``; every other interest (``otherInfluenceOrControl``, ``trustee``, ``settlor``,
  ``nominee``...) an ``UnknownLink`` with the interest type as its role. ``directOrIndirect``
  becomes the relation's ``role`` (``indirect`` marks a holding declared through others, which
  the ownership analysis shows but never multiplies).

History: when a later statement changes an interest's share, the running period ends on the
day the change took effect (the interest's new ``startDate`` when it moved forward, else the
statement's date) and a new period starts that day; a ``closed`` statement ends the running
periods on the interest's ``endDate``, else on the statement's date. The relation ids are
``bods-<recordId>-<interest>-<n>``, so reading a longer history of the same records again
extends it without duplicating what was read before.

The module is pure: it reads the file, and touches no database.
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal

from ..errors import Msg
from .ftm import Item
from .ftm import ReadLimits
from .ftm import iter_items

__all__ = ["BodsReader", "bods_id", "ENTITY_SCHEMATA", "share_text"]

#: FtM schema of each BODS ``entityType.type``.
ENTITY_SCHEMATA = {
    "registeredEntity": "Company",
    "legalEntity": "LegalEntity",
    "arrangement": "LegalEntity",
    "state": "Organization",
    "stateBody": "Organization",
    "anonymousEntity": "LegalEntity",
    "unknownEntity": "LegalEntity",
}
_RECORD_TYPES = ("entity", "person", "relationship")
_STATUSES = ("new", "updated", "closed")
_DIRECTORSHIPS = frozenset(
    {"boardMember", "boardChair", "seniorManagingOfficial", "appointmentOfBoard"}
)
_UNKNOWN_INTEREST = "unknownInterest"
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID_KEEP = re.compile(r"[^0-9a-zA-Z.\-]+")
_LEI_SCHEMES = frozenset({"XI-LEI", "XI-LEIC"})


def bods_id(record_id: str, *suffix: str) -> str:
    """Return the FtM id of a BODS record (and of a part of it).

    Characters FtM ids do not allow are replaced, and a short digest of the original keeps two
    such ids apart.

    >>> bods_id("19f1c5afe9d7"), bods_id("87ed6d1daf8f", "shareholding", "0")
    ('bods-19f1c5afe9d7', 'bods-87ed6d1daf8f-shareholding-0')
    >>> bods_id("openownership-register/123")
    'bods-openownership-register-123-c5be2355'
    """
    text = "-".join(("bods", record_id, *suffix))
    clean = _ID_KEEP.sub("-", text).strip("-.")
    if clean != text:
        clean = f"{clean}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"  # noqa: S324 - an id
    return clean


def share_text(share: object) -> str | None:
    """Return a BODS ``share`` as an FtM percentage: exact (``"76.5"``) or a band (``"25-50"``).

    Exclusive bounds become the band's ends, as registers publish them ("more than 25 % up to
    50 %" reads 25-50).

    >>> share_text({"exact": Decimal("76.5")}), share_text({"minimum": 75, "exclusiveMaximum": 100})
    ('76.5', '75-100')
    >>> share_text({"exclusiveMinimum": 25, "exclusiveMaximum": 50}), share_text({}) is None
    ('25-50', True)
    """
    if not isinstance(share, dict):
        return None
    exact = share.get("exact")
    if _is_number(exact):
        return _number(exact)
    low = share.get("minimum", share.get("exclusiveMinimum"))
    high = share.get("maximum", share.get("exclusiveMaximum"))
    if not _is_number(low) and not _is_number(high):
        return None
    low_text = _number(low) if _is_number(low) else "0"
    high_text = _number(high) if _is_number(high) else "100"
    return low_text if low_text == high_text else f"{low_text}-{high_text}"


@dataclass
class _Version:
    day: str  # the statement date, YYYY-MM-DD
    stamp: str  # the full statement date, for ordering
    line: int
    status: str
    subject: str | None = None
    party: str | None = None
    slots: dict = field(default_factory=dict)


@dataclass
class _Period:
    slot: tuple
    interest: dict
    share: str | None
    start: str | None
    end: str | None
    line: int


class BodsReader:
    """Read a BODS 0.4 file (JSON array or JSON lines, plain or gzip) as FtM entities.

    Two passes over the file: the first checks every statement and keeps, per record, the
    line of its latest statement and, for relationships, the short summary of each version;
    the second maps the latest statement of each entity and person. Relationship periods are
    built from the summaries. ``warnings`` lists ``(line, message)`` for statements read but
    left out (a relationship whose interested party is not disclosed).

    Parameters
    ----------
    path : path-like
        The file.
    on_progress : callable, optional
        Called with the fraction done (0.0 to 1.0).
    limits : ReadLimits, optional
        What a line may cost (:class:`assettrack.domain.ftm.ReadLimits`; default: config.py's).
    """

    def __init__(self, path, *, on_progress=None, limits: ReadLimits | None = None):
        self.path = path
        self.on_progress = on_progress
        self.limits = limits
        self.warnings: list[tuple[int, str]] = []

    def items(self) -> Iterator[Item]:
        """Yield one :class:`~assettrack.domain.ftm.Item` per FtM entity, or per bad statement."""
        latest: dict[str, tuple[str, int]] = {}
        types: dict[str, str] = {}
        versions: dict[str, list[_Version]] = {}
        for item in iter_items(
            self.path, on_progress=self._scaled(0.0, 0.5), limits=self.limits
        ):
            if item.error is not None:
                yield item
                if item.fatal:
                    return  # the file cannot be read on: no second pass
                continue
            statement = item.value
            reason = _statement_problem(statement)
            record_id = statement.get("recordId") if isinstance(statement, dict) else None
            if (
                reason is None
                and types.setdefault(record_id, statement["recordType"])
                != (statement["recordType"])
            ):
                reason = Msg(
                    "record {id} is a {first} elsewhere in the file, not a {second}",
                    id=record_id,
                    first=types[record_id],
                    second=statement["recordType"],
                )
            if reason is not None:
                yield Item(item.line, error=reason)
                continue
            stamp = statement["statementDate"]
            if statement["recordType"] == "relationship":
                versions.setdefault(record_id, []).append(
                    _relationship_version(item.line, statement)
                )
            elif record_id not in latest or (stamp, item.line) >= latest[record_id]:
                latest[record_id] = (stamp, item.line)
        wanted = {line: record_id for record_id, (_stamp, line) in latest.items()}
        for item in iter_items(
            self.path, on_progress=self._scaled(0.5, 1.0), limits=self.limits
        ):
            record_id = wanted.get(item.line)
            if record_id is None or item.error is not None:
                continue
            statement = item.value
            if statement["recordType"] == "person":
                yield Item(item.line, _person(statement))
            else:
                yield Item(item.line, _entity(statement))
        for record_id, record_versions in versions.items():
            yield from self._relationship(record_id, record_versions)

    def _relationship(self, record_id: str, record_versions: list[_Version]) -> Iterator[Item]:
        record_versions.sort(key=lambda v: (v.stamp, v.line))
        last = record_versions[-1]
        if last.party is None or last.subject is None:
            self.warnings.append(
                (last.line, "relationship without a disclosed interested party; not imported")
            )
            return
        periods: dict[tuple, list[_Period]] = {}
        running: dict[tuple, _Period] = {}
        for version in record_versions:
            if version.status == "closed":
                for slot, period in running.items():
                    closing = version.slots.get(slot, {})
                    period.end = closing.get("endDate") or period.end or version.day
                running.clear()
                continue
            for slot in [s for s in running if s not in version.slots]:
                period = running.pop(slot)
                period.end = period.end or version.day
            for slot, interest in version.slots.items():
                share = share_text(interest.get("share"))
                start = interest.get("startDate")
                current = running.get(slot)
                if current is not None and current.share == share:
                    current.end = interest.get("endDate") or current.end
                    current.interest = interest
                    continue
                if current is not None:
                    moved = start and (current.start is None or start > current.start)
                    effective = start if moved else version.day
                    current.end = effective
                    start = effective
                period = _Period(
                    slot, interest, share, start, interest.get("endDate"), version.line
                )
                periods.setdefault(slot, []).append(period)
                running[slot] = period
        for slot, slot_periods in periods.items():
            for number, period in enumerate(slot_periods):
                if period.start and period.end and period.end < period.start:
                    period.end = period.start
                yield Item(period.line, _relation(record_id, last, slot, number, period))

    def _scaled(self, low, high):
        if self.on_progress is None:
            return None
        return lambda fraction: self.on_progress(low + (high - low) * fraction)


# --- helpers ---------------------------------------------------------------------------------


def _statement_problem(statement) -> str | None:
    if not isinstance(statement, dict):
        return Msg("not a JSON object")
    if "statementType" in statement and "recordType" not in statement:
        return Msg("a BODS 0.2/0.3 statement (statementType); only BODS 0.4 is read")
    for key in ("statementId", "recordId"):
        value = statement.get(key)
        if not isinstance(value, str) or not value.strip():
            return Msg("no {key}", key=key)
    if statement.get("recordType") not in _RECORD_TYPES:
        return Msg(
            "recordType {value} is not entity, person or relationship",
            value=repr(statement.get("recordType")),
        )
    if statement.setdefault("recordStatus", "new") not in _STATUSES:
        return Msg(
            "recordStatus {value} is not new, updated or closed",
            value=repr(statement.get("recordStatus")),
        )
    stamp = statement.get("statementDate")
    if not isinstance(stamp, str) or not _is_date(stamp[:10]):
        return Msg("statementDate {value} is not a date (YYYY-MM-DD)", value=repr(stamp))
    details = statement.get("recordDetails")
    if not isinstance(details, dict):
        return Msg("no recordDetails object")
    if statement["recordType"] == "relationship":
        if not isinstance(details.get("subject"), str):
            return Msg("the relationship has no subject record id")
        party = details.get("interestedParty")
        if not isinstance(party, str | dict):
            return Msg("the relationship has no interestedParty")
        interests = details.get("interests", [])
        if not isinstance(interests, list) or not all(isinstance(i, dict) for i in interests):
            return Msg("interests must be a list of objects")
    return None


def _relationship_version(line: int, statement: dict) -> _Version:
    details = statement["recordDetails"]
    party = details.get("interestedParty")
    version = _Version(
        day=statement["statementDate"][:10],
        stamp=statement["statementDate"],
        line=line,
        status=statement["recordStatus"],
        subject=details.get("subject"),
        party=party if isinstance(party, str) else None,
    )
    interests = details.get("interests") or [{}]
    has_shares = any(i.get("type") == "shareholding" for i in interests)
    for interest in interests:
        kind = interest.get("type") or _UNKNOWN_INTEREST
        schema_name = _relation_schema(kind, has_shares)
        indirect = interest.get("directOrIndirect") or ""
        slot = (schema_name, kind, indirect)
        # Only what decides the period is kept per version: memory stays small.
        version.slots[slot] = {
            k: interest[k]
            for k in ("share", "startDate", "endDate", "details")
            if interest.get(k) is not None
        }
    return version


def _relation_schema(kind: str, has_shares: bool) -> str:
    if kind in ("shareholding", _UNKNOWN_INTEREST):
        return "Ownership"
    if kind == "votingRights":
        return "UnknownLink" if has_shares else "Ownership"
    if kind in _DIRECTORSHIPS:
        return "Directorship"
    return "UnknownLink"


def _relation(record_id, version, slot, number, period) -> dict:
    schema_name, kind, indirect = slot
    party = bods_id(version.party)
    subject = bods_id(version.subject)
    interest = period.interest
    properties: dict[str, list[str]] = {}
    role = indirect if indirect in ("direct", "indirect") else None
    if schema_name == "Ownership":
        properties.update(owner=[party], asset=[subject])
        if period.share:
            properties["percentage"] = [period.share]
        if kind != _UNKNOWN_INTEREST:
            properties["ownershipType"] = [kind]
        if role:
            properties["role"] = [role]
    elif schema_name == "Directorship":
        properties.update(director=[party], organization=[subject], role=[kind])
    else:
        properties.update(subject=[party], object=[subject], role=[kind])
    if period.start:
        properties["startDate"] = [period.start]
    if period.end:
        properties["endDate"] = [period.end]
    description = [str(interest["details"])] if interest.get("details") else []
    if schema_name != "Ownership" and period.share:
        description.append(f"share: {period.share} %")
    if schema_name != "Ownership" and role:
        description.append(role)
    if description:
        properties["description"] = ["; ".join(description)]
    slug = kind + ("-" + indirect if indirect in ("direct", "indirect") else "")
    return {
        "id": bods_id(record_id, slug, str(number)),
        "schema": schema_name,
        "properties": properties,
    }


def _person(statement: dict) -> dict:
    details = statement["recordDetails"]
    names = [n for n in details.get("names") or [] if isinstance(n, dict)]
    legal = next((n for n in names if n.get("type") == "legal"), names[0] if names else None)
    properties: dict[str, list[str]] = {}
    full = _full_name(legal) if legal else None
    properties["name"] = [full] if full else ["unknown"]
    aliases = [_full_name(n) for n in names if n is not legal]
    if aliases := [a for a in aliases if a and a != full]:
        properties["alias"] = aliases
    if legal and legal.get("givenName"):
        properties["firstName"] = [str(legal["givenName"])]
    if legal and legal.get("familyName"):
        properties["lastName"] = [str(legal["familyName"])]
    if isinstance(details.get("birthDate"), str):
        properties["birthDate"] = [details["birthDate"]]
    if isinstance(details.get("deathDate"), str):
        properties["deathDate"] = [details["deathDate"]]
    nationalities = [
        _country(n.get("code")) for n in details.get("nationalities") or [] if isinstance(n, dict)
    ]
    if nationalities := [n for n in nationalities if n]:
        properties["nationality"] = nationalities
    _addresses(details, properties)
    ids = [
        str(i["id"])
        for i in details.get("identifiers") or []
        if isinstance(i, dict) and i.get("id")
    ]
    if ids:
        properties["idNumber"] = ids
    exposure = details.get("politicalExposure")
    if isinstance(exposure, dict) and exposure.get("status") == "isPep":
        properties["topics"] = ["role.pep"]
    unspecified = details.get("unspecifiedPersonDetails")
    if isinstance(unspecified, dict) and unspecified.get("description"):
        properties["description"] = [str(unspecified["description"])]
    return {"id": bods_id(statement["recordId"]), "schema": "Person", "properties": properties}


def _entity(statement: dict) -> dict:
    details = statement["recordDetails"]
    entity_type = details.get("entityType") if isinstance(details.get("entityType"), dict) else {}
    kind = entity_type.get("type")
    schema_name = ENTITY_SCHEMATA.get(kind, "LegalEntity")
    properties: dict[str, list[str]] = {}
    name = details.get("name")
    properties["name"] = [str(name)] if name else ["unknown"]
    aliases = [str(a) for a in details.get("alternateNames") or [] if a]
    if aliases:
        properties["alias"] = aliases
    jurisdiction = details.get("jurisdiction")
    if isinstance(jurisdiction, dict) and _country(jurisdiction.get("code")):
        properties["jurisdiction"] = [_country(jurisdiction["code"])]
    if isinstance(details.get("foundingDate"), str):
        properties["incorporationDate"] = [details["foundingDate"]]
    if isinstance(details.get("dissolutionDate"), str):
        properties["dissolutionDate"] = [details["dissolutionDate"]]
    for identifier in details.get("identifiers") or []:
        if not isinstance(identifier, dict) or not identifier.get("id"):
            continue
        prop = "leiCode" if identifier.get("scheme") in _LEI_SCHEMES else "registrationNumber"
        properties.setdefault(prop, []).append(str(identifier["id"]))
    if kind in ("arrangement", "state", "stateBody"):
        properties["legalForm"] = [str(entity_type.get("subtype") or kind)]
    if entity_type.get("details"):
        properties["description"] = [str(entity_type["details"])]
    _addresses(details, properties)
    return {"id": bods_id(statement["recordId"]), "schema": schema_name, "properties": properties}


def _addresses(details: dict, properties: dict) -> None:
    found = []
    for address in details.get("addresses") or []:
        if not isinstance(address, dict):
            continue
        country = address.get("country")
        parts = [
            address.get("address"),
            address.get("postCode"),
            country.get("name") if isinstance(country, dict) else None,
        ]
        text = ", ".join(str(p) for p in parts if p)
        if text and text not in found:
            found.append(text)
    if found:
        properties["address"] = found


def _full_name(name: dict) -> str | None:
    full = name.get("fullName")
    if full:
        return str(full).strip()
    parts = [name.get("givenName"), name.get("patronymicName"), name.get("familyName")]
    text = " ".join(str(p).strip() for p in parts if p)
    return text or None


def _country(code) -> str | None:
    if not isinstance(code, str) or len(code) < 2:
        return None
    return code.split("-")[0].lower()


def _is_number(value) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def _number(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def _is_date(text: str) -> bool:
    if not _DATE_RE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
