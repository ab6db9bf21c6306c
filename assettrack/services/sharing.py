"""What may leave the owning organisation, to whom, why, and how it is redacted.

DOMAIN.md, "Sharing, marking and redaction". Partner reports, case briefs read outside the
owning organisation, and the shared reading page all take their decisions here, in one place:

- :func:`withheld_because` — may a case go to a recipient (TLP 2.0, handling code H2 and a
  recorded permission)? ``None`` when it may, else the rule that keeps it back;
- :func:`relevance` — why a case concerns a recipient: an entity registered, flagged, located
  or living in its country or city, a cross-case hit (the same strong identifier in an entity of
  the recipient), or an explicit share;
- :class:`Redaction` — victims, witnesses and ``other`` persons become "Victim 1", "Witness 2",
  "Other 1"; natural persons keep only their name and birth year for partners; every text shown
  is scrubbed of what was removed. It is applied to the data before any template sees it.

The functions above take plain values. The scoped queries at the bottom read only what the rules
need: :func:`candidate_cases` (an organisation's cases active in a period),
:func:`identifier_hits` (hit/no-hit against the recipient's entities), :func:`permitted_case_ids`
(H2 permissions), :func:`share_codes`, and the shared reading scope :func:`shared_cases` /
:func:`get_shared_case` (cases shared with the user's organisations, readable there, read-only,
redacted — kept here rather than in ``access.py`` until the lead wires it there).
"""

import json
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime

from sqlalchemy import exists
from sqlalchemy import or_
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import mentions
from ..domain.schema import EXTENSION_KEY as _EXTENSION
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import TLP
from ..models import Case
from ..models import CaseEntity
from ..models import CaseShare
from ..models import Decision
from ..models import Entity
from ..models import EntityIdentifier
from ..models import HandlingCode
from ..models import Organisation
from ..models import Permission
from ..models import RedactionChoice
from ..models import User
from ..models import UserOrganisation

__all__ = [
    "INTERNAL",
    "PARTNER",
    "TLP_RANK",
    "WITHHELD_REASONS",
    "HANDLING_NOTICES",
    "Recipient",
    "EntityData",
    "Redaction",
    "protected_names",
    "withheld_because",
    "relevance",
    "highest_tlp",
    "handling_notice",
    "is_protected",
    "candidate_cases",
    "identifier_hits",
    "permitted_case_ids",
    "share_codes",
    "shared_cases",
    "get_shared_case",
    "NAMED",
    "LABELLED",
    "WITHHELD",
    "VIEWERS",
    "OUTBOUND_PATHS",
    "outbound",
    "OUTBOUND_ENDPOINTS",
    "OUTBOUND_COMMANDS",
    "ISSUING_ENDPOINTS",
    "KIND_PATHS",
    "INSIDE_ENDPOINTS",
    "screen_level",
    "export_level",
    "grants_with_names",
    "earlier_choices",
    "preview_choices",
    "record_choices",
    "load_entities",
    "redacted_ftm",
]

#: Redaction levels: the owning organisation sees everything; partners see what may go.
INTERNAL = "internal"
PARTNER = "partner"

#: TLP 2.0 labels from the most to the least shareable (AMBER+STRICT ranks below RED only for
#: marking a document; it never leaves the organisation).
TLP_RANK = {
    TLP.CLEAR.value: 0,
    TLP.GREEN.value: 1,
    TLP.AMBER.value: 2,
    TLP.AMBER_STRICT.value: 3,
    TLP.RED.value: 4,
}

#: Why a case was kept out of a report, by rule; the first rule that applies is the reason.
WITHHELD_REASONS = {
    "amber_strict": Msg("TLP:AMBER+STRICT — never shared outside the owning organisation"),
    "red_not_named": Msg("TLP:RED — the recipient is not named on the case"),
    "amber_not_shared": Msg("TLP:AMBER — not shared with the recipient"),
    "h2_without_permission": Msg("H2 — no permission of the provider recorded for this recipient"),
    "not_relevant": Msg("TLP:CLEAR or GREEN — nothing in it relates to the recipient"),
}

#: Europol handling codes as printed on reports.
HANDLING_NOTICES = {
    HandlingCode.H0.value: Msg("H0: use for crime prevention only."),
    HandlingCode.H1.value: Msg("H1: not to be used in court without the provider's permission."),
    HandlingCode.H2.value: Msg("H2: not to be passed on without the provider's permission."),
    HandlingCode.H3.value: Msg("H3: other restrictions: {restriction}"),
}

# Roles whose entities are never named outside their organisation (``other``: persons only).
_PROTECTED_ROLES = ("victim", "witness")
_LABELS = {
    "victim": Msg("Victim {number}").msgid,
    "witness": Msg("Witness {number}").msgid,
    "other": Msg("Other {number}").msgid,
}
# Most protective first, when an entity holds several roles in one document.
_LABEL_ORDER = ("victim", "witness", "other")
_PERSON = "Person"
_REMOVED = "[…]"
# Properties of a natural person removed for partners (identifiers, addresses, contact).
_PERSON_PRIVATE = (
    "idNumber",
    "passportNumber",
    "taxNumber",
    "socialSecurityNumber",
    "innCode",
    "vatCode",
    "address",
    "addressEntity",
    "email",
    "phone",
    "website",
)
# The names of a protected entity (found by domain.mentions), and what else identifies it.
_FULL_NAME_PROPERTIES = ("name", "alias", "weakAlias", "previousName")
_NAME_PART_PROPERTIES = ("firstName", "middleName", "fatherName", "lastName")
_IDENTIFYING = (
    "registrationNumber",
    "leiCode",
    "iban",
    "accountNumber",
    "imoNumber",
    "mmsi",
    "vin",
    "publicKey",
    "full",
)
# What a document shows of each kind of entity, in this order (birthDate: see _details).
_SHOWN = {
    "Person": ("birthDate", "nationality", "idNumber", "passportNumber", "address"),
    "Company": ("jurisdiction", "registrationNumber", "leiCode", "country"),
    "Organization": ("jurisdiction", "registrationNumber", "leiCode", "country"),
    "LegalEntity": ("jurisdiction", "registrationNumber", "leiCode", "country"),
    "Vessel": ("imoNumber", "mmsi", "flag", "registrationPort", "type"),
    "Vehicle": ("registrationNumber", "vin", "model", "type", "country"),
    "Airplane": ("registrationNumber", "serialNumber", "type", "country"),
    "RealEstate": ("address", "cadastralCode", "propertyType", "country"),
    "BankAccount": ("iban", "accountNumber", "bankName", "country"),
    "Security": ("isin", "issuer", "type"),
    "CryptoWallet": ("publicKey", "currency"),
    "Asset": ("description", "country"),
    "Address": ("full", "city", "country"),
}
_PROPERTY_LABELS = {
    "birthDate": Msg("born"),
    "birthYear": Msg("born in"),
    "nationality": Msg("nationality"),
    "idNumber": Msg("ID number"),
    "passportNumber": Msg("passport"),
    "address": Msg("address"),
    "jurisdiction": Msg("registered in"),
    "registrationNumber": Msg("registration"),
    "leiCode": Msg("LEI"),
    "country": Msg("country"),
    "imoNumber": Msg("IMO"),
    "mmsi": Msg("MMSI"),
    "flag": Msg("flag"),
    "registrationPort": Msg("port of registry"),
    "type": Msg("type"),
    "vin": Msg("VIN"),
    "model": Msg("model"),
    "serialNumber": Msg("serial number"),
    "cadastralCode": Msg("cadastral code"),
    "propertyType": Msg("property type"),
    "iban": Msg("IBAN"),
    "accountNumber": Msg("account number"),
    "bankName": Msg("bank"),
    "isin": Msg("ISIN"),
    "issuer": Msg("issuer"),
    "publicKey": Msg("address"),
    "currency": Msg("currency"),
    "description": Msg("description"),
    "full": Msg("address"),
    "city": Msg("city"),
}
# Where an entity is, for relevance: property → message.
_COUNTRY_REASONS = {
    "jurisdiction": Msg("{name} is registered in {country}"),
    "flag": Msg("{name} sails under the flag of {country}"),
    "nationality": Msg("{name} is a national of {country}"),
    "citizenship": Msg("{name} is a national of {country}"),
    "country": Msg("{name} is located in {country}"),
}
_CITY_PROPERTIES = ("address", "full", "city", "registrationPort")
# Local and foreign names of the reference port cities, for addresses written either way.
_CITY_ALIASES = {
    "BEANR": ("Antwerpen", "Anvers", "Anversa"),
    "DEHAM": ("Hambourg", "Amburgo"),
    "FRMRS": ("Marseilles", "Marsiglia"),
    "ITGOA": ("Genova", "Gênes", "Genua"),
    "GRPIR": ("Peiraias", "Pirée", "Pireo", "Πειραιάς", "Πειραιας"),
    "PLGDN": ("Danzig",),
    "ESVLC": ("València",),
    "ITTRS": ("Triest",),
    "ROCND": ("Constanta",),
    "PTLIS": ("Lisboa", "Lisbonne"),
    "SIKOP": ("Capodistria",),
    "NLAMS": (),
    "NLRTM": (),
}


# --- the rules (pure) --------------------------------------------------------------------------


def withheld_because(
    tlp: str, handling_code: str, *, shared: bool, relevant: bool, permitted: bool
) -> str | None:
    """Return why a case may not go to a recipient, or None when it may.

    Parameters
    ----------
    tlp : str
        The case's TLP 2.0 label.
    handling_code : str
        Its Europol handling code (H0 to H3).
    shared : bool
        The owning organisation shared the case with the recipient (named it on the case).
    relevant : bool
        Something in the case relates to the recipient (see :func:`relevance`).
    permitted : bool
        A permission of the provider to pass it on to the recipient is recorded (H2).

    Returns
    -------
    str or None
        A key of :data:`WITHHELD_REASONS`, the first rule that withholds the case.

    Examples
    --------
    >>> withheld_because("GREEN", "H0", shared=False, relevant=True, permitted=False) is None
    True
    >>> withheld_because("AMBER", "H0", shared=False, relevant=True, permitted=False)
    'amber_not_shared'
    >>> withheld_because("RED", "H1", shared=True, relevant=True, permitted=False) is None
    True
    >>> withheld_because("AMBER+STRICT", "H0", shared=True, relevant=True, permitted=True)
    'amber_strict'
    >>> withheld_because("GREEN", "H2", shared=True, relevant=True, permitted=False)
    'h2_without_permission'
    """
    if tlp == TLP.AMBER_STRICT.value:
        return "amber_strict"
    if tlp == TLP.RED.value and not shared:
        return "red_not_named"
    if tlp == TLP.AMBER.value and not shared:
        return "amber_not_shared"
    if tlp in (TLP.CLEAR.value, TLP.GREEN.value) and not (relevant or shared):
        return "not_relevant"
    if handling_code == HandlingCode.H2.value and not permitted:
        return "h2_without_permission"
    return None


def highest_tlp(labels: Iterable[str], *, floor: str = TLP.GREEN.value) -> str:
    """Return the most restrictive TLP label of ``labels`` (``floor`` at least).

    >>> highest_tlp(["GREEN", "RED", "AMBER"]), highest_tlp([])
    ('RED', 'GREEN')
    """
    return max([floor, *labels], key=TLP_RANK.__getitem__)


def handling_notice(code: str, restriction: str | None = None) -> Msg:
    """Return the notice printed for a handling code (H3 with its stated restriction).

    >>> str(handling_notice("H3", "not in administrative proceedings"))
    'H3: other restrictions: not in administrative proceedings'
    """
    if code == HandlingCode.H3.value:
        return Msg(HANDLING_NOTICES[code].msgid, restriction=restriction or "")
    return HANDLING_NOTICES.get(code, Msg(code))


def is_protected(role: str, schema_name: str) -> bool:
    """Return whether an entity in this role is never named outside its organisation.

    >>> is_protected("witness", "Company"), is_protected("other", "Person")
    (True, True)
    >>> is_protected("other", "Vessel"), is_protected("suspect", "Person")
    (False, False)
    """
    return role in _PROTECTED_ROLES or (role == "other" and schema_name == _PERSON)


@dataclass(frozen=True)
class Recipient:
    """The organisation a report goes to, as the relevance rules need it."""

    code: str
    name: str
    country: str

    def city_names(self) -> tuple[str, ...]:
        """The city's names: its organisation name, known local names and its UN/LOCODE."""
        return (self.name, *_CITY_ALIASES.get(self.code, ()), self.code)


@dataclass
class EntityData:
    """An entity of a document as plain values: what redaction and relevance look at.

    ``properties`` is the FtM property map; ``roles`` every role it holds in the document's
    cases; ``identifiers`` the ``(kind, value)`` rows of ``entity_identifier``.
    """

    id: int
    schema: str
    caption: str
    properties: dict
    roles: set = field(default_factory=set)
    identifiers: list = field(default_factory=list)

    @property
    def protected_role(self) -> str | None:
        """The role that hides this entity (victim before witness before other), if any."""
        for role in _LABEL_ORDER:
            if role in self.roles and is_protected(role, self.schema):
                return role
        return None


def relevance(
    entities: Iterable[EntityData],
    recipient: Recipient,
    *,
    shared: bool,
    hits: dict[int, list[str]],
    name: Callable[[int, str], str],
) -> list[Msg]:
    """Return why a case concerns ``recipient``, one message per reason (none: it does not).

    ``hits`` maps an entity id to the identifier kinds it shares with an entity of the
    recipient; ``name`` gives the name a document may show (``Redaction.name``).

    >>> ship = EntityData(1, "Vessel", "Nordzee Trader", {"flag": ["be"]})
    >>> antwerp = Recipient("BEANR", "Antwerp", "BE")
    >>> [str(m) for m in relevance([ship], antwerp, shared=False, hits={}, name=lambda i, c: c)]
    ['Nordzee Trader sails under the flag of BE']
    """
    reasons: list[Msg] = []
    seen: set[str] = set()

    def add(message: Msg) -> None:
        if str(message) not in seen:
            seen.add(str(message))
            reasons.append(message)

    if shared:
        add(Msg("the owning organisation shared the case with {code}", code=recipient.code))
    country = recipient.country.lower()
    cities = [_fold(c) for c in recipient.city_names() if c]
    for entity in entities:
        shown = name(entity.id, entity.caption)
        for prop, message in _COUNTRY_REASONS.items():
            if any(_fold(v) == country for v in _values(entity.properties, prop)):
                add(Msg(message.msgid, name=shown, country=recipient.country))
        for iban in _values(entity.properties, "iban"):
            if _fold(iban[:2]) == country:
                add(
                    Msg(
                        "{name} is an account held in {country}",
                        name=shown,
                        country=recipient.country,
                    )
                )
        for prop in _CITY_PROPERTIES:
            if any(_mentions(_fold(v), cities) for v in _values(entity.properties, prop)):
                add(Msg("{name} has an address in {city}", name=shown, city=recipient.name))
                break
        for kind in sorted(set(hits.get(entity.id, ()))):
            add(
                Msg(
                    "{name} also appears in a case of {code} (same {identifier})",
                    name=shown,
                    code=recipient.code,
                    identifier=kind,
                )
            )
    return reasons


class Redaction:
    """The one place that decides what a document shows of each entity, and scrubs its text.

    Register every entity of the document first (:meth:`register`), so labels are numbered
    once for the whole document and every text is checked against every protected entity;
    then ask :meth:`name`, :meth:`details` and :meth:`text` while building the document's data.

    At ``INTERNAL`` level (the owning organisation) nothing changes. At ``PARTNER`` level,
    redaction is by identity: victims, witnesses and ``other`` persons become "Victim 1",
    "Witness 2", "Other 1" wherever *they* appear (their details are not shown, their
    identifiers, birth dates and addresses are masked in every text). Their names found in
    another entity's name or in a free text are mentions (:mod:`assettrack.domain.mentions`): masked
    with ``█████`` or kept as the issuing officer chose (``choices``, by mention key; the
    defaults without). Another entity's name is never rewritten into a label. Other natural
    persons keep their name and birth year; their identifiers and addresses are removed.

    >>> r = Redaction(PARTNER)
    >>> r.register(EntityData(7, "Person", "Kees Jansen", {"name": ["Kees Jansen"]}, {"victim"}))
    >>> r.register(EntityData(8, "Company", "Jansen Bouw BV", {}, {"suspect"}))
    >>> r.name(7, "Kees Jansen"), r.name(8, "Jansen Bouw BV")
    ('Victim 1', 'Jansen Bouw BV')
    >>> r.text("Statement of Kees Jansen; Jansen was paid.")
    'Statement of █████; █████ was paid.'
    """

    def __init__(
        self,
        level: str,
        *,
        translate: Callable[[str], str] | None = None,
        choices: Mapping[str, str] | None = None,
    ):
        if level not in (INTERNAL, PARTNER):
            raise ValueError(f"unknown redaction level {level!r}")
        self.level = level
        # Labels are written in the document's language: they also go into diagrams.
        self._translate = translate or (lambda msgid: msgid)
        self.choices: dict[str, str] = dict(choices or {})
        self.labels: dict[int, str] = {}
        self._entities: dict[int, EntityData] = {}
        self._counters: dict[str, int] = defaultdict(int)
        self._terms: dict[str, str] = {}
        self._pattern: re.Pattern | None = None
        self._protected: dict[int, mentions.Protected] = {}
        # Every mention met while building the document (the preview lists them), and the
        # result for each text already redacted (names recur in rows, tables and diagrams).
        self._seen: dict[str, mentions.Mention] = {}
        self._done: dict[tuple, tuple[str, bool]] = {}

    @property
    def is_partner(self) -> bool:
        """Whether this document leaves the owning organisation."""
        return self.level == PARTNER

    def register(self, entity: EntityData) -> None:
        """Take note of an entity of the document (again: its roles are merged)."""
        known = self._entities.get(entity.id)
        if known is not None:
            known.roles |= entity.roles
            entity = known
        else:
            self._entities[entity.id] = entity
        if not self.is_partner:
            return
        role = entity.protected_role
        if role and entity.id not in self.labels:
            self._counters[role] += 1
            text = self._translate(_LABELS[role])
            self.labels[entity.id] = text.format(number=self._counters[role])
        if entity.id in self.labels:
            self._protected[entity.id] = protected_names(entity, self.labels[entity.id])
            self._done.clear()
            for term in _personal_terms(entity, identifying=True):
                self._add_term(term, mentions.MASK_MARK)
        elif entity.schema == _PERSON:
            for term in _personal_terms(entity, identifying=False):
                self._add_term(term, _REMOVED)

    def is_redacted(self, entity_id: int) -> bool:
        """Whether the entity is shown by a neutral label."""
        return entity_id in self.labels

    def is_withheld(self, entity_id: int) -> bool:
        """Whether the issuing officer withheld the entity (its name holds a protected name)."""
        entity = self._entities.get(entity_id)
        if not self.is_partner or entity is None or entity_id in self.labels:
            return False
        return self._name(entity_id, entity.caption)[1]

    def protected(self) -> list[mentions.Protected]:
        """The protected entities of the document, as :func:`domain.mentions.protected_mentions`
        takes them."""
        return list(self._protected.values())

    def name(self, entity_id: int, caption: str) -> str:
        """Return the name the document shows for an entity (its label when protected)."""
        if entity_id in self.labels:
            return self.labels[entity_id]
        if not self.is_partner:
            return caption
        return self._name(entity_id, caption)[0]

    def details(self, entity_id: int) -> list[tuple[Msg, str]]:
        """Return the (label, value) pairs the document shows about an entity."""
        entity = self._entities.get(entity_id)
        if entity is None or entity_id in self.labels or self.is_withheld(entity_id):
            return []
        shown = []
        for prop in _SHOWN.get(entity.schema, ()):
            values = _values(entity.properties, prop)
            if not values:
                continue
            if self.is_partner and entity.schema == _PERSON and prop in _PERSON_PRIVATE:
                continue
            if prop == "birthDate" and self.is_partner:
                shown.append((_PROPERTY_LABELS["birthYear"], values[0][:4]))
                continue
            text = ", ".join(v for v in values if v != entity.caption)
            if text:
                shown.append((_PROPERTY_LABELS.get(prop, Msg(prop)), self.text(text)))
        return shown

    def text(self, value: str | None) -> str | None:
        """Return a free text as it leaves: protected names masked (or as chosen), removed
        identifiers, dates and addresses replaced."""
        if not value or not self.is_partner:
            return value
        value = unicodedata.normalize("NFC", value)
        if self._protected:
            value = self._redact(value, mentions.TEXT, None)[0]
        if not self._terms:
            return value
        if self._pattern is None:
            ordered = sorted(self._terms, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<!\w)(" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)",
                re.IGNORECASE,
            )
        return self._pattern.sub(lambda m: self._terms[m.group(0).casefold()], value)

    def removed_values(self) -> list[str]:
        """Every value this redaction keeps out of the document (for tests and checks)."""
        names = {n for p in self._protected.values() for n in p.names}
        return sorted(set(self._terms) | names)

    def mentions(self) -> list[mentions.Mention]:
        """The protected names met in the document's texts so far, for the issuing officer
        to confirm (build the document first, then ask): see :mod:`assettrack.domain.mentions`."""
        return sorted(self._seen.values(), key=lambda m: (m.kind, m.label, m.text, m.key))

    def _name(self, entity_id: int, caption: str) -> tuple[str, bool]:
        if not self._protected:
            return caption, False
        return self._redact(caption, mentions.NAME, entity_id)

    def _redact(self, value: str, kind: str, entity_id: int | None) -> tuple[str, bool]:
        done = self._done.get((kind, entity_id, value))
        if done is not None:
            return done
        place = f"entity:{entity_id}:name" if kind == mentions.NAME else "text"
        one = mentions.TextField(place, value, kind, entity_id)
        found = mentions.protected_mentions([one], self._protected.values())
        for mention in found:
            self._seen.setdefault(mention.key, mention)
        applied = mentions.apply_choices([one], found, self.choices)
        done = self._done[(kind, entity_id, value)] = (
            applied.texts[place],
            bool(applied.withheld_places),
        )
        return done

    def _add_term(self, term: str, replacement: str) -> None:
        term = unicodedata.normalize("NFC", term.strip())
        if len(term) < 3:
            return
        for variant in {term, _strip_accents(term)}:
            key = variant.casefold()
            # The mask wins over "[…]" when a value belongs to both kinds of entity.
            if key not in self._terms or replacement != _REMOVED:
                self._terms[key] = replacement
        self._pattern = None


def protected_names(entity: EntityData, label: str) -> mentions.Protected:
    """Return what detection needs of a protected entity: its label, names and given names.

    >>> smit = EntityData(
    ...     4, "Person", "M. Smit", {"firstName": ["Marieke"], "lastName": ["Smit"]}, {"other"}
    ... )
    >>> found = protected_names(smit, "Other 1")
    >>> found.label, found.names, found.given
    ('Other 1', ('M. Smit', 'Marieke Smit'), ('Marieke',))
    """
    props = entity.properties
    names = [entity.caption]
    for prop in _FULL_NAME_PROPERTIES:
        names.extend(_values(props, prop))
    # The parts of a name written apart (FtM firstName, lastName...) make one full name.
    parts = [" ".join(_values(props, prop)) for prop in _NAME_PART_PROPERTIES]
    if sum(1 for p in parts if p) >= 2:
        names.append(" ".join(p for p in parts if p))
    is_person = entity.schema == _PERSON
    given = list(_values(props, "firstName"))
    if is_person and not given:  # "Marieke Smit": every word but the last is a given name
        for name in (entity.caption, *_values(entity.properties, "name")):
            given.extend(name.replace(",", " ").split()[:-1])
    return mentions.Protected(
        entity.id,
        label,
        tuple(dict.fromkeys(n.strip() for n in names if n and n.strip())),
        is_person=is_person,
        given=tuple(dict.fromkeys(given)),
    )


# --- scoped queries ----------------------------------------------------------------------------


def candidate_cases(session: Session, organisation_id: int, start: date, end: date) -> list[Case]:
    """Return the organisation's cases active in the period, by reference.

    Active: opened by the end of the period, and open, or decided on or changed within it.
    """
    decided = exists().where(
        Decision.case_id == Case.id, Decision.decided_on >= start, Decision.decided_on <= end
    )
    changed = Case.updated_at >= datetime(start.year, start.month, start.day, tzinfo=UTC)
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.organisation_id == organisation_id,
                Case.opened_on <= end,
                or_(Case.status == "open", decided, changed),
            )
            .order_by(Case.reference)
        )
    )


def identifier_hits(session: Session, case_ids: list[int], recipient_id: int) -> dict[int, list]:
    """Return, for the entities of ``case_ids``, the identifier kinds shared with an entity of
    the recipient organisation: hit/no-hit, nothing of the recipient's records comes back."""
    if not case_ids:
        return {}
    theirs = EntityIdentifier.__table__.alias("theirs")
    their_entity = Entity.__table__.alias("their_entity")
    in_cases = select(CaseEntity.entity_id).where(CaseEntity.case_id.in_(case_ids))
    rows = session.execute(
        select(EntityIdentifier.entity_id, EntityIdentifier.kind)
        .where(EntityIdentifier.entity_id.in_(in_cases))
        .where(
            exists().where(
                theirs.c.kind == EntityIdentifier.kind,
                theirs.c.value == EntityIdentifier.value,
                their_entity.c.id == theirs.c.entity_id,
                their_entity.c.organisation_id == recipient_id,
            )
        )
        .distinct()
    )
    hits: dict[int, list] = defaultdict(list)
    for entity_id, kind in rows:
        hits[entity_id].append(kind)
    return dict(hits)


def permitted_case_ids(session: Session, case_ids: list[int], recipient_id: int) -> set[int]:
    """Return the cases among ``case_ids`` whose provider permitted passing them on (H2)."""
    if not case_ids:
        return set()
    return set(
        session.scalars(
            select(Permission.case_id).where(
                Permission.case_id.in_(case_ids),
                Permission.recipient_organisation_id == recipient_id,
            )
        )
    )


def share_codes(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """Return the codes of the organisations each case is shared with."""
    codes: dict[int, list[str]] = {i: [] for i in case_ids}
    if not case_ids:
        return codes
    for case_id, code in session.execute(
        select(CaseShare.case_id, Organisation.code)
        .join(Organisation, Organisation.id == CaseShare.organisation_id)
        .where(CaseShare.case_id.in_(case_ids))
        .order_by(Organisation.code)
    ):
        codes[case_id].append(code)
    return codes


def shared_cases(session: Session, user: User) -> list[tuple[Case, Organisation]]:
    """Return the cases shared with the user's organisations that may be read there.

    A case shared with an organisation is read there read-only, redacted as in a partner
    report, under the same rules (never AMBER+STRICT; H2 only with a recorded permission).
    Returns ``(case, organisation it was shared with)``, by reference.
    """
    if not access.can_read_cases(user):
        return []
    mine = access.organisation_ids(session, user)
    rows = session.execute(
        select(Case, Organisation)
        .join(CaseShare, CaseShare.case_id == Case.id)
        .join(Organisation, Organisation.id == CaseShare.organisation_id)
        .where(
            CaseShare.organisation_id.in_(mine),
            Case.organisation_id.not_in(mine),
            Case.tlp != TLP.AMBER_STRICT.value,
        )
        .order_by(Case.reference, Organisation.code)
    ).all()
    result, seen = [], set()
    for case, org in rows:
        if case.id in seen:
            continue
        permitted = case.handling_code != HandlingCode.H2.value or bool(
            permitted_case_ids(session, [case.id], org.id)
        )
        if (
            withheld_because(
                case.tlp, case.handling_code, shared=True, relevant=True, permitted=permitted
            )
            is None
        ):
            seen.add(case.id)
            result.append((case, org))
    return result


def get_shared_case(session: Session, user: User, case_id: int) -> tuple[Case, Organisation]:
    """Return a case shared with the user's organisation (and that organisation), else
    NotFound, as for any case outside the user's scope."""
    if access.can_read_cases(user):
        mine = access.organisation_ids(session, user)
        case = session.get(Case, case_id)
        if case is not None and case.organisation_id not in mine:
            for shared_case, org in _shared_rows(session, case, mine):
                return shared_case, org
    raise NotFound(f"case {case_id} not found")


# --- helpers -----------------------------------------------------------------------------------


def _shared_rows(session, case, mine):
    orgs = session.scalars(
        select(Organisation)
        .join(CaseShare, CaseShare.organisation_id == Organisation.id)
        .where(CaseShare.case_id == case.id, CaseShare.organisation_id.in_(mine))
        .order_by(Organisation.code)
    )
    for org in orgs:
        permitted = case.handling_code != HandlingCode.H2.value or bool(
            permitted_case_ids(session, [case.id], org.id)
        )
        if (
            withheld_because(
                case.tlp, case.handling_code, shared=True, relevant=True, permitted=permitted
            )
            is None
        ):
            yield case, org


def _values(properties: dict, prop: str) -> list[str]:
    raw = properties.get(prop) or []
    if isinstance(raw, str):
        raw = [raw]
    return [str(v) for v in raw if v not in (None, "")]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _fold(text: str) -> str:
    return _strip_accents(text).casefold().strip()


def _mentions(text: str, names: list[str]) -> bool:
    return any(re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text) for n in names if n)


def _personal_terms(entity: EntityData, *, identifying: bool) -> set[str]:
    """The values of a person (or protected entity) that must not appear in a document.

    Names are not among them: they are found by :mod:`assettrack.domain.mentions`. ``identifying``:
    also what identifies a protected entity (registration numbers, IBAN, IMO, addresses...);
    else only the private values of a named natural person (identifiers, addresses, contact,
    birth date). A birthplace or a nationality alone names nobody, and scrubbing "Rotterdam"
    from every text would blind the document.
    """
    props = entity.properties
    terms: set[str] = set()
    for prop in _PERSON_PRIVATE:
        terms.update(_values(props, prop))
    terms.update(value for _kind, value in entity.identifiers)
    if identifying:
        for prop in _IDENTIFYING:
            terms.update(_values(props, prop))
    for value in list(terms):
        if ":" in value:  # scoped identifiers: "nl:24123456"
            terms.add(value.split(":", 1)[1])
    for birth in _values(props, "birthDate"):
        terms.update(_date_forms(birth))
    return {t for t in terms if t and len(t.strip()) >= 3}


def _date_forms(value: str) -> set[str]:
    """A birth date as ISO and as Europeans write it (14/03/1979, 14.03.1979, 14-03-1979)."""
    forms = {value}
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return forms
    for sep in ("/", ".", "-"):
        forms.add(f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}")
        forms.add(f"{day.day}{sep}{day.month}{sep}{day.year}")
    return forms


# --- the outbound paths: who gets protected persons named, labelled or not at all -------------

#: What a path gives of a victim, witness or ``other`` person (docs/sharing.md holds the matrix).
NAMED = "named"
LABELLED = "labelled"
WITHHELD = "withheld"

#: Who takes the data out, relative to the case's owning organisation.
VIEWERS = {
    "owner": Msg("an officer of the owning organisation"),
    "liaison_named": Msg("a liaison granted the organisation with the names flag"),
    "liaison": Msg("a liaison granted the organisation without the names flag"),
    "shared_reader": Msg("an officer of an organisation the case is shared with"),
    "partner": Msg("a partner of the recipient organisation"),
    "auditor": Msg("an auditor of the owning organisation"),
}

#: Every way data leaves the installation. A ``*`` cell of the matrix also passes the case
#: through :func:`withheld_because` for the receiving organisation (TLP, H2 permission).
OUTBOUND_PATHS = {
    "partner_report": Msg("partner report (PDF)"),
    "case_brief": Msg("case brief (PDF)"),
    "case_page": Msg("case page, on screen"),
    "shared_view": Msg("shared read-only case view"),
    "ftm_export": Msg("FollowTheMoney export"),
    "graph_export": Msg("GEXF / GraphML export"),
    "diagram": Msg("network diagram (SVG / PNG)"),
    "open_data_csv": Msg("open-data CSV"),
    "audit_csv": Msg("audit log CSV"),
    "api_partner_read": Msg("API reads of issued reports (partners)"),
    "hit_no_hit": Msg("hit/no-hit answer"),
}

# path -> viewer -> outcome; "*" after an outcome: gated by the sharing rules for the receiver.
# Exports made by anyone but the owning organisation label; only the owner's own files name.
_POLICY = {
    "partner_report": ("labelled*", "labelled*", "labelled*", WITHHELD, "labelled*", WITHHELD),
    "case_brief": (NAMED, LABELLED, LABELLED, "labelled*", WITHHELD, WITHHELD),
    "case_page": (NAMED, NAMED, LABELLED, WITHHELD, WITHHELD, WITHHELD),
    "shared_view": (WITHHELD, WITHHELD, WITHHELD, "labelled*", WITHHELD, WITHHELD),
    # A liaison's file goes to the liaison's organisation: the case passes the rules for it.
    "ftm_export": (NAMED, "labelled*", "labelled*", WITHHELD, WITHHELD, WITHHELD),
    "graph_export": (NAMED, "labelled*", "labelled*", WITHHELD, WITHHELD, WITHHELD),
    "diagram": (NAMED, "labelled*", "labelled*", "labelled*", "labelled*", WITHHELD),
    # No person, no name, no identifier: one row per asset.
    "open_data_csv": (WITHHELD,) * 6,
    # The log names objects by id; its details are read by the auditor of the organisation.
    "audit_csv": (WITHHELD, WITHHELD, WITHHELD, WITHHELD, WITHHELD, NAMED),
    "api_partner_read": (LABELLED, LABELLED, LABELLED, "labelled*", "labelled*", WITHHELD),
    # A protected entity is never revealed across organisations, not even as a hit.
    "hit_no_hit": (WITHHELD,) * 6,
}


#: Every route through which data leaves, by endpoint, and the path of the matrix it follows.
#: tests/test_sharing_matrix.py fails on an outbound-looking route declared in neither table.
OUTBOUND_ENDPOINTS = {
    "api.partner_preview": "partner_report",
    "api.brief_preview": "case_brief",
    "reports.partner": "partner_report",
    "reports.shared_index": "shared_view",
    "reports.shared_case": "shared_view",
    "api.case_network_svg": "diagram",
    "api.statistics": "open_data_csv",
    "audit_log.export": "audit_csv",
    "api.list_reports": "api_partner_read",
    "api.get_report": "api_partner_read",
    "api.report_file": "api_partner_read",
    "reports.index": "api_partner_read",
    "reports.received": "api_partner_read",
    "reports.detail": "api_partner_read",
    "reports.download": "api_partner_read",
    "api.entity_links": "hit_no_hit",
}
#: The routes that issue a report or an export (POST, made by a job): the path each follows is
#: the one of the kind asked for, in :data:`KIND_PATHS`.
ISSUING_ENDPOINTS = ("api.issue_report", "reports.issue")
#: Every kind of report or export ``services.issuing`` makes, and the path of the matrix it takes.
KIND_PATHS = {
    "case_brief": "case_brief",
    "partner": "partner_report",
    "ftm": "ftm_export",
    "gexf": "graph_export",
    "graphml": "graph_export",
    "diagram": "diagram",
    "open_data": "open_data_csv",
}
#: The same for the CLI commands.
OUTBOUND_COMMANDS = {
    "export-ftm": "ftm_export",
    "report case": "case_brief",
    "report partner": "partner_report",
}
#: Routes that look outbound but give nothing of a case away, and why.
_VERIFY = "tells whether an uploaded file is an issued report, nothing of its content"
INSIDE_ENDPOINTS = {
    "reports.verify": _VERIFY,
    "api.verify_report": _VERIFY,
    "jobs.download": "hands the user who started a job the file it made, which the job's own "
    "path (brief, partner report, export) already redacted",
    "api.openapi": "the description of the API, no data",
    "api.withdraw_report": "withdraws an issued report; gives nothing of its content",
    "reports.withdraw": "withdraws an issued report; gives nothing of its content",
    "api.case_screening": "screens a case against lists held in the installation",
    "api.entity_screening": "screens an entity against lists held in the installation",
    "static": "the application's own files",
}


def outbound(
    path: str,
    viewer: str,
    *,
    tlp: str = TLP.GREEN.value,
    handling_code: str = HandlingCode.H0.value,
    shared: bool = True,
    permitted: bool = False,
) -> str:
    """Return what ``path`` gives ``viewer`` of a case's victims, witnesses and ``other``
    persons: :data:`NAMED`, :data:`LABELLED` or :data:`WITHHELD` (the case does not go, or
    no person does).

    ``shared``: the receiving organisation is named on the case; ``permitted``: the provider's
    permission to pass an H2 case on to it is recorded.

    >>> outbound("case_page", "liaison"), outbound("case_page", "liaison_named")
    ('labelled', 'named')
    >>> outbound("shared_view", "shared_reader", tlp="RED", shared=False)
    'withheld'
    >>> outbound("partner_report", "partner", handling_code="H2", permitted=True)
    'labelled'
    """
    cell = _POLICY[path][list(VIEWERS).index(viewer)]
    if not cell.endswith("*"):
        return cell
    why = withheld_because(tlp, handling_code, shared=shared, relevant=True, permitted=permitted)
    return WITHHELD if why else cell.rstrip("*")


def screen_level(session: Session, user: User, case: Case) -> str:
    """Return how ``user`` sees ``case``'s protected persons on screen: named (``INTERNAL``)
    at home and for a liaison whose grant carries the names flag, else labelled (``PARTNER``)."""
    named = case.organisation_id in access.named_organisation_ids(session, user)
    return INTERNAL if named else PARTNER


def export_level(user: User, case: Case) -> str:
    """Return the redaction of a file ``user`` exports from ``case``: only the owning
    organisation's own users get names; every export by a liaison (or anyone else) labels."""
    return INTERNAL if user.organisation_id == case.organisation_id else PARTNER


def grants_with_names(session: Session, admin: User, organisation_id: int) -> list[dict]:
    """Return the liaison grants to an organisation that show its protected persons' names,
    for its organisation admin to review (the migration kept every existing grant named).

    AccessDenied for anyone but an admin of that organisation.
    """
    if not (access.can_administer(admin) and admin.organisation_id == organisation_id):
        raise AccessDenied("only the organisation's admin reviews its grants")
    rows = session.execute(
        select(User.id, User.name, User.email, Organisation.code)
        .join(UserOrganisation, UserOrganisation.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(
            UserOrganisation.organisation_id == organisation_id,
            UserOrganisation.names.is_(True),
        )
        .order_by(User.name, User.id)
    )
    return [
        {"user_id": uid, "name": name, "email": email, "home": home}
        for uid, name, email, home in rows
    ]


# --- choices recorded with a disclosure ---------------------------------------------------------


def earlier_choices(session: Session, organisation_id: int, keys: Iterable[str]) -> dict[str, str]:
    """Return the organisation's latest choice for each mention key (for :func:`prefill`)."""
    keys = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        for key, choice in session.execute(
            select(RedactionChoice.mention_key, RedactionChoice.choice)
            .where(
                RedactionChoice.organisation_id == organisation_id,
                RedactionChoice.mention_key.in_(keys[start : start + 500]),
            )
            .order_by(RedactionChoice.chosen_at, RedactionChoice.id)
        ):
            found[key] = choice  # the latest wins
    return found


def preview_choices(
    session: Session, organisation_id: int, found: Iterable[mentions.Mention]
) -> list[dict]:
    """Return the mentions of a document to confirm, each with its pre-filled choice."""
    found = list(found)
    chosen = mentions.prefill(
        found, earlier_choices(session, organisation_id, [m.key for m in found])
    )
    return [{**m.as_dict(), "choice": chosen[m.key]} for m in found]


def record_choices(
    session: Session,
    user: User,
    report_id: int,
    case_ids: Iterable[int],
    found: Iterable[mentions.Mention],
    choices: Mapping[str, str] | None,
) -> list[RedactionChoice]:
    """Record, with the disclosure ``report_id``, the choice confirmed for every mention
    (its default where none was given); audited. Invalid when a choice does not fit."""
    found = list(found)
    choices = dict(choices or {})
    errors = mentions.invalid_choices(found, choices)
    if errors:
        raise Invalid(
            {
                f"choices/{key}": Msg("unknown mention")
                if reason == "unknown mention"
                else Msg("this choice is not allowed for this mention")
                for key, reason in errors.items()
            }
        )
    confirmed = mentions.prefill(found, choices)
    protected_ids = {m.protected_id for m in found}
    case_of: dict[int, int] = {}
    if protected_ids:
        for case_id, entity_id in session.execute(
            select(CaseEntity.case_id, CaseEntity.entity_id)
            .where(
                CaseEntity.case_id.in_(list(case_ids) or [-1]),
                CaseEntity.entity_id.in_(protected_ids),
            )
            .order_by(CaseEntity.case_id)
        ):
            case_of.setdefault(entity_id, case_id)
    rows = [
        RedactionChoice(
            report_id=report_id,
            organisation_id=user.organisation_id,
            case_id=case_of.get(m.protected_id),
            mention_key=m.key,
            kind=m.kind,
            match=m.match,
            protected_entity_id=m.protected_id,
            entity_id=m.entity_id,
            choice=confirmed[m.key],
            chosen_by_id=user.id,
        )
        for m in found
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "report",
        report_id,
        details={"redaction_choices": {r.mention_key: r.choice for r in rows}},
        organisation_id=user.organisation_id,
    )
    return rows


# --- a redacted FollowTheMoney export -----------------------------------------------------------


def load_entities(session: Session, case_ids: list[int]) -> dict[int, EntityData]:
    """Return the entities of the cases as :class:`EntityData` (roles and identifiers)."""
    entities: dict[int, EntityData] = {}
    if not case_ids:
        return entities
    for role, entity in session.execute(
        select(CaseEntity.role, Entity)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(CaseEntity.case_id.in_(case_ids))
        .order_by(Entity.id)
    ):
        data = entities.get(entity.id)
        if data is None:
            data = entities[entity.id] = EntityData(
                entity.id, entity.schema_name, entity.caption, json.loads(entity.properties)
            )
        data.roles.add(role)
    for entity_id, kind, value in session.execute(
        select(EntityIdentifier.entity_id, EntityIdentifier.kind, EntityIdentifier.value)
        .where(EntityIdentifier.entity_id.in_(list(entities)))
        .order_by(EntityIdentifier.entity_id, EntityIdentifier.kind)
    ):
        entities[entity_id].identifiers.append((kind, value))
    return entities


def redacted_ftm(
    lines: Iterable[dict],
    redaction: Redaction,
    ftm_ids: Mapping[str, int],
    *,
    new_id: Callable[[], str] | None = None,
) -> Iterator[dict]:
    """Return FtM lines as they may leave under ``redaction`` (a partner-level one).

    ``ftm_ids`` maps the FtM id of each exported entity to its entity id. A protected entity
    leaves under a new id, random for each call (not derivable from anything it holds), named
    by its label and marked ``redacted``: none of its ids, identifiers or properties leave.
    References to it (a relation's owner, director...) point to the new id. An entity the
    issuing officer withheld leaves not at all, nor does any line that refers to it. The names
    and texts of the others are redacted as in a report; a partner does not get the case note.
    """
    new_id = new_id or (lambda: f"redacted-{secrets.token_hex(16)}")
    pseudonyms = {ftm_id: new_id() for ftm_id, eid in ftm_ids.items() if redaction.is_redacted(eid)}
    withheld = {ftm_id for ftm_id, eid in ftm_ids.items() if redaction.is_withheld(eid)}
    for line in lines:
        entity_id = ftm_ids.get(line["id"])
        if line["id"] in withheld:
            continue
        if line["id"] in pseudonyms:
            yield _pseudonymous_line(line, pseudonyms[line["id"]], redaction.name(entity_id, ""))
            continue
        references = {
            v for values in line.get("properties", {}).values() for v in values if v in ftm_ids
        }
        if references & withheld:
            continue
        yield _redacted_line(line, entity_id, redaction, pseudonyms, set(ftm_ids))


def _pseudonymous_line(line: dict, pseudonym: str, label: str) -> dict:
    extension = line.get(_EXTENSION) or {}
    role = (extension.get("case") or {}).get("role")
    return {
        "id": pseudonym,
        "schema": line["schema"],
        "properties": {"name": [label]},
        _EXTENSION: {"redacted": True, **({"case": {"role": role}} if role else {})},
    }


def _redacted_line(line, entity_id, redaction, pseudonyms, references) -> dict:
    out = {"id": line["id"], "schema": line["schema"], "properties": {}}
    is_person = line["schema"] == _PERSON
    for prop, values in line.get("properties", {}).items():
        if is_person and prop in _PERSON_PRIVATE:
            continue
        if prop == "birthDate":
            out["properties"][prop] = [v[:4] for v in values]
            continue
        kept = []
        for value in values:
            if value in pseudonyms:
                kept.append(pseudonyms[value])
            elif value in references:
                kept.append(value)
            elif prop in _FULL_NAME_PROPERTIES and entity_id is not None:
                kept.append(redaction.name(entity_id, value))
            else:
                kept.append(redaction.text(value))
        out["properties"][prop] = kept
    extension = line.get(_EXTENSION)
    if extension:
        extension = dict(extension)
        if "case" in extension:
            extension["case"] = {k: v for k, v in extension["case"].items() if k != "note"}
        out[_EXTENSION] = _scrub(extension, redaction)
    return out


def _scrub(value, redaction):
    if isinstance(value, str):
        return redaction.text(value)
    if isinstance(value, list):
        return [_scrub(v, redaction) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, redaction) for k, v in value.items()}
    return value


# --- files exported from a case (FtM, GEXF, GraphML, diagram) -----------------------------------


def export_withheld(session: Session, user: User, case: Case) -> str | None:
    """Return why a file ``user`` exports from ``case`` may not leave (a key of
    :data:`WITHHELD_REASONS`), or None when it may.

    The owning organisation's own files stay at home. Anyone else's (a liaison's) go to the
    user's organisation, so the case passes the sharing rules for it, as a report would.
    """
    if user.organisation_id == case.organisation_id:
        return None
    shared = session.scalar(
        select(
            exists().where(
                CaseShare.case_id == case.id, CaseShare.organisation_id == user.organisation_id
            )
        )
    )
    permitted = case.id in permitted_case_ids(session, [case.id], user.organisation_id)
    return withheld_because(
        case.tlp, case.handling_code, shared=bool(shared), relevant=True, permitted=permitted
    )


def file_marking(case: Case) -> dict:
    """The marking a file exported from ``case`` carries inside it: its TLP and handling code.

    >>> file_marking(Case(tlp="AMBER", handling_code="H1"))
    {'tlp': 'AMBER', 'handling_code': 'H1', 'marking': 'TLP:AMBER H1'}
    """
    return {
        "tlp": case.tlp,
        "handling_code": case.handling_code,
        "marking": f"TLP:{case.tlp} {case.handling_code}",
    }


def screen_labels(
    session: Session, user: User, entity_ids: Iterable[int], *, translate=None
) -> dict[int, str]:
    """Return entity id -> label for the entities ``user`` sees labelled on screen.

    An entity is labelled when it is protected (victim, witness, ``other`` person) in a case of
    an organisation whose names the user does not see (:func:`access.named_organisation_ids`:
    a liaison's grant without the ``names`` flag). For pages and reads that are not one case's
    (an entity, its neighbourhood, paths, search); labels are numbered once per answer.
    """
    ids = sorted({i for i in entity_ids if isinstance(i, int)})
    named = access.named_organisation_ids(session, user)
    if not ids:
        return {}
    entities: dict[int, EntityData] = {}
    for entity_id, schema_name, role in session.execute(
        select(CaseEntity.entity_id, Entity.schema_name, CaseEntity.role)
        .join(Case, Case.id == CaseEntity.case_id)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(
            CaseEntity.entity_id.in_(ids),
            CaseEntity.role.in_((*_PROTECTED_ROLES, "other")),
            Case.organisation_id.not_in(named),
            Entity.organisation_id.not_in(named),
        )
        .order_by(CaseEntity.entity_id)
    ):
        data = entities.setdefault(entity_id, EntityData(entity_id, schema_name, "", {}))
        data.roles.add(role)
    if not entities:
        return {}
    if translate is None:
        from flask import has_request_context
        from flask_babel import gettext

        translate = gettext if has_request_context() else None
    redaction = Redaction(PARTNER, translate=translate)
    for entity_id in ids:
        if entity_id in entities:
            redaction.register(entities[entity_id])
    return dict(redaction.labels)
