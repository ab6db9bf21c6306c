"""The FollowTheMoney schemata assettrack models, and the checks on their property values.

assettrack stores entities and relations the way FollowTheMoney (FtM, the model of Aleph, OpenAleph
and OpenSanctions) does: a schema name and a mapping of property names to lists of strings. Schema
and property names here are FtM's own, so data moves in and out without a translation table.

The registry
    :func:`get_schema` describes each schema assettrack models natively: its :class:`Kind`
    (``party``, ``asset``, ``place``, ``relation``, or ``other`` for an FtM schema kept as it came),
    its parents as FtM has them (``Company`` extends ``Organization`` and ``Asset``; ``Vessel``
    extends ``Vehicle``, which extends ``Asset``), the properties assettrack shows and edits (FtM
    name, English label, FtM property type), its caption and, for a relation, the edge it draws
    (:func:`relation_endpoints`). Each property records the FtM schema that declares it, so a
    property is only ever offered where FtM has it.

Kinds that differ from FtM
    FtM makes every ``Company`` an ``Asset``. In a case a company is an asset only when it is
    marked so (its shares or its business were seized); otherwise it is a party. Hence
    :data:`ASSET_SCHEMATA` leaves ``Company`` out and :func:`is_asset_schema` takes
    ``marked_as_asset``. Conversely FtM's ``CryptoWallet`` extends ``Thing`` and ``Value``, not
    ``Asset``, and is linked to its holder by ``holder`` rather than by an ``Ownership``; assettrack
    still counts it as an asset. ``CryptoWallet:holder`` and ``Vehicle:owner`` (deprecated in FtM,
    and inherited by ``Vessel`` and ``Airplane``) are ownership with an unknown share:
    :attr:`SchemaInfo.owner_properties` names them.

Strong identifiers
    A *strong* identifier names one real thing on its own, so two entities that share one are the
    same: ``Vessel:imoNumber`` (IMO ship number, permanent for the hull), ``BankAccount:iban``,
    ``LegalEntity:leiCode``, ``Security:isin``, ``Security:figiCode``,
    ``CryptoWallet:publicKey`` and the local ``Vehicle:vin``. ``LegalEntity:registrationNumber``
    is strong only together with ``jurisdiction`` (its *scope*); some registers number per court
    or province (a German ``HRB 12345`` repeats across Amtsgerichte), so the court belongs in the
    number. Not strong:
    ``mmsi`` (reassigned when a ship changes flag), ``idNumber``, ``passportNumber`` and
    ``taxNumber`` (FtM does not record the issuing country with them), vehicle and aircraft
    registration marks (reissued), ``cadastralCode`` (unique only within a municipality in Italy),
    ``accountNumber`` (unique only within its bank). :func:`identity_keys` turns the strong
    identifiers of an entity into comparable keys, e.g. for a hit/no-hit match across cities.

Values
    :func:`validate_property` checks one value and returns it normalised: identifiers with check
    digits through python-stdnum (IBAN, BIC, IMO, ISIN, LEI, FIGI, Bitcoin addresses), partial
    dates (``2020``, ``2020-05``, ``2020-05-17``, kept as strings), countries (ISO 3166-1 alpha-2,
    lower-case as FtM stores them), currencies (ISO 4217), decimals. :func:`validate_properties`
    checks an entity's whole property mapping and reports every problem at once in a
    :class:`Validated`. Whether an ``entity`` value points to an entity of the right schema (FtM's
    *range*, recorded in :attr:`PropertyInfo.range`) needs the database and is left to the caller.

Unknown, not applicable, empty
    Municipal registers are full of "information not retrieved", so unknown is a value. The exact
    words :data:`UNKNOWN` (``"unknown"``) and :data:`NOT_APPLICABLE` (``"n/a"``), in any letter
    case, are markers accepted without further checks by every property except identifiers and
    entity references: ``birthDate: ["unknown"]`` says the birth date was looked for and not
    found, ``["n/a"]`` that there is none to find, and an absent or empty property that nobody
    recorded anything. An identifier or a reference cannot be a marker (every wallet whose key is
    ``"unknown"`` would match every other one): leave it empty. A marker stands alone; next to a
    real value it is dropped with a warning.

Local properties and export
    Some properties users need have no FtM name: ``Vehicle:vin`` is marked
    :attr:`PropertyInfo.local`. :func:`export_properties` splits a property mapping into the FtM
    ``properties`` and an extension object that an export writes under the top-level key
    :data:`EXTENSION_KEY` of each FtM JSON line, beside ``id``, ``schema`` and ``properties``.
    FtM's entity readers build an entity from ``id``, ``schema`` and ``properties``, so the
    extension rides along without touching FtM data; :func:`import_properties` puts it back.
    Markers travel the same way, because ``"unknown"`` is not an FtM date, country or number::

        {"id": "v1", "schema": "Vehicle",
         "properties": {"registrationNumber": ["GE 123 AB"]},
         "assettrack": {"properties": {"vin": ["WVWZZZ1JZXW000001"]}, "unknown": ["buildDate"]}}

The module is pure: it imports the standard library and python-stdnum only.
"""

import calendar
import functools
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import urlsplit

from followthemoney import model as _ftm
from followthemoney import registry as _ftm_registry
from stdnum import bic
from stdnum import bitcoin
from stdnum import figi
from stdnum import iban
from stdnum import imo
from stdnum import isin
from stdnum import lei
from stdnum import numdb
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import InvalidComponent
from stdnum.exceptions import InvalidLength
from stdnum.exceptions import ValidationError

from ..errors import Msg
from .money import ISO_4217_CURRENCIES

__all__ = [
    "Kind",
    "UNKNOWN",
    "NOT_APPLICABLE",
    "MARKERS",
    "EXTENSION_KEY",
    "PARTY_SCHEMATA",
    "ASSET_SCHEMATA",
    "PLACE_SCHEMATA",
    "RELATION_SCHEMATA",
    "OTHER_SCHEMATA",
    "FTM_SCHEMATA",
    "FTM_ABSTRACT_SCHEMATA",
    "COUNTRIES",
    "ISO_4217_CURRENCIES",
    "OVERLAY",
    "SchemaError",
    "UnknownSchema",
    "UnknownProperty",
    "NotARelation",
    "InvalidValue",
    "Label",
    "PropertyInfo",
    "Edge",
    "SchemaInfo",
    "Validated",
    "get_schema",
    "schemata",
    "is_native_schema",
    "is_asset_schema",
    "is_party_schema",
    "is_relation_schema",
    "relation_endpoints",
    "caption",
    "is_marker",
    "validate_property",
    "validate_properties",
    "parse_percentage",
    "identity_keys",
    "export_properties",
    "import_properties",
]


class Kind(StrEnum):
    """What an entity of a schema is in a case."""

    PARTY = "party"
    ASSET = "asset"
    PLACE = "place"
    RELATION = "relation"
    OTHER = "other"


#: Marker: the value was looked for and not found.
UNKNOWN = "unknown"
#: Marker: the property does not apply to this entity.
NOT_APPLICABLE = "n/a"
MARKERS = frozenset({UNKNOWN, NOT_APPLICABLE})

#: Top-level key of an exported FtM JSON line that carries local properties and markers.
EXTENSION_KEY = "assettrack"

PARTY_SCHEMATA = frozenset({"Person", "Company", "Organization", "LegalEntity"})
#: Asset schemata. ``Company`` is missing on purpose: it is an asset only when marked so.
ASSET_SCHEMATA = frozenset(
    {
        "RealEstate",
        "Vessel",
        "Vehicle",
        "Airplane",
        "BankAccount",
        "Security",
        "CryptoWallet",
        "Asset",
    }
)
PLACE_SCHEMATA = frozenset({"Address"})
RELATION_SCHEMATA = frozenset(
    {
        "Ownership",
        "Directorship",
        "Representation",
        "Family",
        "Associate",
        "Employment",
        "Membership",
        "Payment",
        "UnknownLink",
    }
)
#: Every schema an FtM entity can have (FtM's abstract schemata excluded), from the library.
FTM_SCHEMATA = frozenset(name for name, item in _ftm.schemata.items() if not item.abstract)
#: FtM's abstract schemata (``Thing``, ``Interval``...): parents only, never an entity's schema.
FTM_ABSTRACT_SCHEMATA = frozenset(name for name, item in _ftm.schemata.items() if item.abstract)
#: FtM schemata assettrack keeps as they came, its values checked by FtM's types only.
OTHER_SCHEMATA = FTM_SCHEMATA - PARTY_SCHEMATA - ASSET_SCHEMATA - PLACE_SCHEMATA - RELATION_SCHEMATA

#: The country codes FtM accepts, lower-case as it stores them, with their English names: ISO
#: 3166-1 and the territories FtM adds (``ic`` Canary Islands, ``xk`` Kosovo, ``eu``...).
COUNTRIES = MappingProxyType(dict(_ftm_registry.country.names))


class SchemaError(Exception):
    """Base of the errors raised by the schema registry and the value checks."""


class UnknownSchema(SchemaError, KeyError):
    """A schema name that is neither native to assettrack nor a kept FtM schema.

    Attributes
    ----------
    name : str
        The name asked for.
    """

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown schema {self.name!r}"

    def __reduce__(self):
        return (type(self), (self.name,))


class UnknownProperty(SchemaError, KeyError):
    """A property name that the schema does not have in assettrack.

    Attributes
    ----------
    schema, prop : str
        The schema and the property asked for.
    """

    def __init__(self, schema: str, prop: str):
        super().__init__(schema, prop)
        self.schema = schema
        self.prop = prop

    def __str__(self) -> str:
        return f"{self.schema} has no property {self.prop!r} in assettrack"

    def __reduce__(self):
        return (type(self), (self.schema, self.prop))


class NotARelation(SchemaError, ValueError):
    """An edge was asked of a schema that is not a relation.

    Attributes
    ----------
    schema : str
        The schema asked for.
    """

    def __init__(self, schema: str):
        super().__init__(f"{schema} is not a relation")
        self.schema = schema

    def __reduce__(self):
        return (type(self), (self.schema,))


class Label(str):
    """An FtM label (a property's or a format's name) inside a :class:`Msg`.

    The English label as text; the web layer shows it through the ``ftm`` catalogue
    (:func:`assettrack.i18n.ftm_label`), in lower case when it stands inside a sentence.

    >>> Label("Start date", lower=True), Label("Start date", lower=True).label
    ('start date', 'Start date')
    """

    label: str
    lower: bool

    def __new__(cls, label: str, *, lower: bool = False):
        obj = super().__new__(cls, label.lower() if lower else label)
        obj.label = label
        obj.lower = lower
        return obj

    def __reduce__(self):
        return (_label, (self.label, self.lower))

    def shown(self, translate_label) -> str:
        """The label in a language, given a translation of FtM labels."""
        text = translate_label(self.label)
        return text.lower() if self.lower else text


def _label(label: str, lower: bool) -> Label:
    return Label(label, lower=lower)


class InvalidValue(SchemaError, ValueError):
    """A property value that fails its check.

    Attributes
    ----------
    prop : str
        The property name, e.g. ``"iban"``.
    message : Msg
        One sentence naming the value and the problem, e.g.
        ``"IBAN NL91ABNA0417164301: the check digits are wrong"`` (also ``str(error)``),
        translatable: a :class:`~assettrack.errors.Msg` whose labels are :class:`Label`.
    """

    def __init__(self, prop: str, message: str):
        super().__init__(message)
        self.prop = prop
        self.message = message

    def __reduce__(self):
        return (type(self), (self.prop, self.message))


@dataclass(frozen=True)
class PropertyInfo:
    """One property of a schema as assettrack shows and checks it.

    Attributes
    ----------
    name : str
        FtM property name (``"imoNumber"``).
    label : str
        English label.
    type : str
        FtM property type: ``name``, ``string``, ``text``, ``date``, ``country``,
        ``identifier``, ``entity``, ``number``, ``email``, ``url``, ``phone``, ``iban`` or
        ``address``. FtM has no amount, percentage or currency type: ``amount`` is a ``number``,
        ``percentage`` and ``currency`` are plain ``string`` in FtM; ``format`` says how
        assettrack checks them.
    schema : str
        The FtM schema that declares the property (``Vessel`` for ``imoNumber``, ``Thing`` for
        ``name``); for a local property, the schema assettrack adds it to.
    format : str or None
        The check beyond the type: ``iban``, ``bic``, ``imo``, ``mmsi``, ``isin``, ``lei``,
        ``figi``, ``vin``, ``crypto_address``, ``currency``, ``crypto_currency``, ``percentage``
        or ``decimal``.
    range : str or None
        For an ``entity`` property, the schema its value must be (or extend).
    strong : bool
        The value identifies the entity on its own (or with ``scope``).
    scope : str or None
        The property that must match too for ``strong`` to hold (``jurisdiction``).
    local : bool
        assettrack's own property, not in FtM; exported under :data:`EXTENSION_KEY`.
    deprecated : bool
        FtM marks the property deprecated (still read and written).
    minimum, maximum : Decimal or None
        Bounds of a number.
    """

    name: str
    label: str
    type: str
    schema: str
    format: str | None = None
    range: str | None = None
    strong: bool = False
    scope: str | None = None
    local: bool = False
    deprecated: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def qname(self) -> str:
        """The qualified name, ``Schema:property``, as FtM writes it."""
        return f"{self.schema}:{self.name}"

    @property
    def accepts_markers(self) -> bool:
        """Whether :data:`UNKNOWN` and :data:`NOT_APPLICABLE` are values of this property."""
        return self.type not in _NO_MARKER_TYPES


@dataclass(frozen=True)
class Edge:
    """The edge a relation draws: from the entity in ``source`` to the one in ``target``."""

    source: str
    target: str
    label: str
    directed: bool = True


@dataclass(frozen=True)
class SchemaInfo:
    """One schema as assettrack models it.

    Attributes
    ----------
    name, label, plural : str
        FtM schema name and English labels.
    kind : Kind
        What an entity of the schema is in a case.
    extends : tuple of str
        The direct parents, as FtM declares them.
    ancestors : tuple of str
        Every schema it extends, nearest first, including FtM's abstract ``Thing``, ``Value``,
        ``Interval`` and ``Interest``.
    properties : Mapping of str to PropertyInfo
        The properties assettrack shows and edits, in display order.
    caption : tuple of str
        Properties whose first value names an entity, tried in order.
    required : tuple of str
        Properties a complete entity must have (a marker counts).
    edge : Edge or None
        For a relation, the edge it draws.
    owner_properties : tuple of str
        ``entity`` properties that name an owner with an unknown share.
    """

    name: str
    label: str
    plural: str
    kind: Kind
    extends: tuple[str, ...]
    ancestors: tuple[str, ...]
    properties: Mapping[str, PropertyInfo] = field(repr=False)
    caption: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    edge: Edge | None = None
    owner_properties: tuple[str, ...] = ()

    def is_a(self, name: str) -> bool:
        """Tell whether the schema is ``name`` or extends it, as FtM has it.

        >>> company = get_schema("Company")
        >>> company.is_a("Asset"), company.is_a("LegalEntity"), company.is_a("Person")
        (True, True, False)
        """
        return name == self.name or name in self.ancestors

    def prop(self, name: str) -> PropertyInfo:
        """Return the property ``name``; raise :class:`UnknownProperty` when it has none.

        >>> get_schema("Vessel").prop("imoNumber").qname
        'Vessel:imoNumber'
        """
        try:
            return self.properties[name]
        except KeyError:
            raise UnknownProperty(self.name, name) from None

    @property
    def strong_identifiers(self) -> tuple[str, ...]:
        """The names of the properties that identify an entity of this schema."""
        return tuple(name for name, info in self.properties.items() if info.strong)

    @property
    def local_properties(self) -> tuple[str, ...]:
        """The names of the properties that FtM lacks."""
        return tuple(name for name, info in self.properties.items() if info.local)


@dataclass
class Validated:
    """The outcome of :func:`validate_properties`.

    Attributes
    ----------
    properties : dict of str to list of str
        The clean values: normalised, de-duplicated, empty values dropped; the schema's
        properties first in display order, then any other property as it came.
    errors : dict of str to str
        Per property, the problems of the values left out of ``properties``, joined by ``"; "``.
    warnings : list of str
        Things kept or dropped that the user may want to know about.
    """

    properties: dict[str, list[str]]
    errors: dict[str, str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        """Whether no value was refused."""
        return not self.errors


def get_schema(name: str) -> SchemaInfo:
    """Return the description of schema ``name``.

    Parameters
    ----------
    name : str
        An FtM schema name, case-sensitive as in FtM (``"RealEstate"``).

    Returns
    -------
    SchemaInfo
        A native schema, or a kept one of kind ``other`` with no properties.

    Raises
    ------
    UnknownSchema
        When assettrack neither models nor keeps the schema (a ``KeyError``).

    Examples
    --------
    >>> vessel = get_schema("Vessel")
    >>> vessel.kind, vessel.extends, vessel.ancestors
    (<Kind.ASSET: 'asset'>, ('Vehicle',), ('Vehicle', 'Asset', 'Thing', 'Value'))
    >>> vessel.strong_identifiers
    ('imoNumber',)
    >>> get_schema("Sanction").kind
    <Kind.OTHER: 'other'>
    >>> get_schema("Ship")
    Traceback (most recent call last):
    ...
    assettrack.domain.schema.UnknownSchema: unknown schema 'Ship'
    """
    try:
        return _registry()[name]
    except (KeyError, TypeError):
        raise UnknownSchema(name) from None


def schemata(kind: Kind | str | None = None) -> tuple[SchemaInfo, ...]:
    """Return the schemata assettrack knows, of one ``kind`` or all, in registry order.

    >>> [info.name for info in schemata("place")]
    ['Address']
    """
    kind = None if kind is None else Kind(kind)
    return tuple(info for info in _registry().values() if kind is None or info.kind is kind)


def is_native_schema(name: str) -> bool:
    """Tell whether assettrack models schema ``name`` (checks its properties).

    >>> is_native_schema("Vessel"), is_native_schema("Sanction"), is_native_schema("Ship")
    (True, False, False)
    """
    info = _registry().get(name) if isinstance(name, str) else None
    return info is not None and info.kind is not Kind.OTHER


def is_asset_schema(name: str, *, marked_as_asset: bool = False) -> bool:
    """Tell whether an entity of schema ``name`` is an asset in a case.

    Parameters
    ----------
    name : str
        A schema name; an unknown one is not an asset.
    marked_as_asset : bool
        The entity is marked as seized property. Only a schema that FtM makes an ``Asset`` can be
        marked: in practice ``Company``, whose shares or business are seized.

    Examples
    --------
    >>> is_asset_schema("Vessel"), is_asset_schema("CryptoWallet")
    (True, True)
    >>> is_asset_schema("Company"), is_asset_schema("Company", marked_as_asset=True)
    (False, True)
    >>> is_asset_schema("Person", marked_as_asset=True)
    False
    """
    if name in ASSET_SCHEMATA:
        return True
    return marked_as_asset and is_native_schema(name) and get_schema(name).is_a("Asset")


def is_party_schema(name: str) -> bool:
    """Tell whether an entity of schema ``name`` is a party (a person or a legal entity).

    >>> is_party_schema("Company"), is_party_schema("Vessel"), is_party_schema("Ship")
    (True, False, False)
    """
    return name in PARTY_SCHEMATA


def is_relation_schema(name: str) -> bool:
    """Tell whether schema ``name`` is a relation (an edge between two entities).

    >>> is_relation_schema("Ownership"), is_relation_schema("Address")
    (True, False)
    """
    return name in RELATION_SCHEMATA


def relation_endpoints(schema: str) -> tuple[str, str]:
    """Return the source and target properties of relation ``schema``.

    The edge points as FtM draws it: ``Ownership`` owner → asset, ``Payment`` payer →
    beneficiary, ``Employment`` employee → employer ("works for"). ``Family`` and ``Associate``
    are undirected (:attr:`Edge.directed` is False); the pair still names which side is which.

    Raises
    ------
    UnknownSchema
        When the schema is unknown.
    NotARelation
        When the schema is known but is not a relation.

    Examples
    --------
    >>> relation_endpoints("Ownership")
    ('owner', 'asset')
    >>> relation_endpoints("Payment")
    ('payer', 'beneficiary')
    >>> relation_endpoints("Vessel")
    Traceback (most recent call last):
    ...
    assettrack.domain.schema.NotARelation: Vessel is not a relation
    """
    info = get_schema(schema)
    if info.edge is None:
        raise NotARelation(schema)
    return (info.edge.source, info.edge.target)


def caption(schema: str, properties: Mapping[str, object]) -> str:
    """Return the text that names an entity in lists and graphs.

    The first value of the first caption property that has a real value (not a marker) wins;
    a percentage reads ``"50 %"``, a payment amount carries its currency. With nothing to show,
    the schema's label.

    Parameters
    ----------
    schema : str
        The entity's schema; for a kept schema, ``name`` is tried.
    properties : Mapping of str to list of str
        The entity's properties (a single string is taken as a one-value list).

    Examples
    --------
    >>> caption("Person", {"name": ["Jan de Vries"], "birthDate": ["1970"]})
    'Jan de Vries'
    >>> caption("BankAccount", {"iban": ["NL91ABNA0417164300"], "bankName": ["ABN AMRO"]})
    'NL91ABNA0417164300'
    >>> caption("Address", {"full": "Wilhelminakade 909, 3072 AP Rotterdam"})
    'Wilhelminakade 909, 3072 AP Rotterdam'
    >>> caption("Ownership", {"owner": ["p1"], "asset": ["c1"], "percentage": ["25.5"]})
    '25.5 %'
    >>> caption("Payment", {"amount": ["1500.00"], "currency": ["EUR"]})
    '1500.00 EUR'
    >>> caption("Person", {"name": ["unknown"]})
    'Person'
    """
    info = get_schema(schema)
    names = info.caption or ("name",)
    for prop in names:
        for value in _as_list(properties.get(prop)):
            text = value.strip() if isinstance(value, str) else ""
            if text and not is_marker(text):
                return _caption_text(prop, text, properties)
    return info.label


def is_marker(value: object) -> bool:
    """Tell whether ``value`` is :data:`UNKNOWN` or :data:`NOT_APPLICABLE` in any letter case.

    >>> is_marker("Unknown"), is_marker(" N/A "), is_marker(""), is_marker("unknown person")
    (True, True, False, False)
    """
    return isinstance(value, str) and value.strip().lower() in MARKERS


def validate_property(schema: str, prop: str, value: object) -> str:
    """Check one value of property ``prop`` of ``schema`` and return it normalised.

    Identifiers are returned compact: an IBAN upper-case without spaces, a BIC, ISIN, LEI or
    FIGI upper-case, an IMO number as its seven digits (``"IMO 9074729"`` is accepted). Countries
    come back lower-case as FtM stores them (``"NL"`` → ``"nl"``; ``"UK"`` → ``"gb"``,
    ``"EL"`` → ``"gr"``), currencies upper-case, dates as written (partial dates stay partial),
    text trimmed with inner runs of spaces collapsed (``text`` keeps its line breaks).

    Parameters
    ----------
    schema : str
        A native schema name.
    prop : str
        One of its properties.
    value : str, int or Decimal
        The value. A marker (:data:`UNKNOWN`, :data:`NOT_APPLICABLE`) is returned as the
        constant when the property accepts markers.

    Returns
    -------
    str

    Raises
    ------
    InvalidValue
        When the value fails its check; the message names the value and the problem.
    UnknownSchema, UnknownProperty
        When the schema or the property is not one assettrack checks.

    Examples
    --------
    >>> validate_property("BankAccount", "iban", "nl91 abna 0417 1643 00")
    'NL91ABNA0417164300'
    >>> validate_property("BankAccount", "iban", "NL91ABNA0417164301")
    Traceback (most recent call last):
    ...
    assettrack.domain.schema.InvalidValue: IBAN NL91ABNA0417164301: the check digits are wrong
    >>> validate_property("Vessel", "imoNumber", "IMO 9074729")
    '9074729'
    >>> validate_property("Vessel", "imoNumber", "9074728")
    Traceback (most recent call last):
    ...
    assettrack.domain.schema.InvalidValue: IMO 9074728: the check digit is wrong
    >>> validate_property("Person", "nationality", "IT")
    'it'
    >>> validate_property("Person", "birthDate", "1970-05")
    '1970-05'
    >>> validate_property("Person", "birthDate", "Unknown")
    'unknown'
    >>> validate_property("Ownership", "percentage", "25 %")
    '25'
    """
    info = get_schema(schema)
    if info.kind is Kind.OTHER:
        raise UnknownProperty(schema, prop)
    return _check(info.prop(prop), value)


def validate_properties(
    schema: str,
    properties: Mapping[str, object],
    *,
    partial: bool = False,
    imported: bool = False,
) -> Validated:
    """Check every value of an entity's properties and report all the problems at once.

    FtM keeps every value as a list of strings; a single value is taken as a one-value list.
    ``None`` and empty strings are no value (nothing recorded) and are dropped silently, unlike the
    markers :data:`UNKNOWN` and :data:`NOT_APPLICABLE`. Values are normalised as by
    :func:`validate_property` and de-duplicated. A property the schema does not have in
    assettrack is kept as it came, so nothing imported is lost, with a warning. An entity of a
    kept schema (kind ``other``) keeps all its properties unchecked.

    Parameters
    ----------
    schema : str
        The entity's schema.
    properties : Mapping of str to str or list of str
        The values to check.
    partial : bool
        Only some properties are given (an update): do not ask for the required ones.
    imported : bool
        The values come from an FtM file: anything the followthemoney library accepts is kept
        (DECISIONS #11). A value FtM accepts but assettrack's stricter check refuses (a share
        of 120 %, an end before the start) is kept as FtM cleans it, with a warning, instead of
        an error; a value FtM refuses is still an error. Forms and the API pass ``False``.

    Returns
    -------
    Validated
        The clean properties, the errors per property and the warnings.

    Raises
    ------
    UnknownSchema
        When assettrack neither models nor keeps the schema.

    Examples
    --------
    >>> result = validate_properties("Vessel", {
    ...     "name": "Ocean Star", "imoNumber": "IMO 9074729", "flag": ["PA", "pa"],
    ...     "mmsi": "123", "buildDate": "unknown", "iceClass": "1A"})
    >>> for prop, values in result.properties.items():
    ...     print(prop, values)
    name ['Ocean Star']
    imoNumber ['9074729']
    flag ['pa']
    buildDate ['unknown']
    iceClass ['1A']
    >>> result.errors
    {'mmsi': 'MMSI 123: must be 9 digits, this one has 3'}
    >>> result.warnings
    ['iceClass: not a Vessel property assettrack checks; kept as it came']
    >>> validate_properties("Ownership", {"owner": "p1", "percentage": "120"}).errors
    {'percentage': 'Percentage held 120: must be at most 100', 'asset': 'Asset: is required'}
    """
    info = get_schema(schema)
    clean: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    warnings: list[str] = []
    if info.kind is Kind.OTHER:
        warnings.append(f"{schema} is kept as it came; assettrack does not check its properties")
    for prop, raw in properties.items():
        if not isinstance(prop, str) or not prop:
            errors.setdefault(str(prop), []).append(
                Msg("{property}: not a property name", property=repr(prop))
            )
            continue
        values = _as_list(raw)
        spec = info.properties.get(prop)
        if spec is None:
            kept, problems = _keep_as_is(prop, values)
            if info.kind is not Kind.OTHER and (kept or problems):
                warnings.append(
                    f"{prop}: not a {schema} property assettrack checks; kept as it came"
                )
        else:
            kept, problems = _check_all(spec, values, warnings, imported=imported)
        if kept:
            clean[prop] = kept
        if problems:
            errors.setdefault(prop, []).extend(problems)
    _check_date_order(info, clean, warnings if imported else errors)
    if not partial:
        for prop in info.required:
            if prop not in clean and prop not in errors:
                errors[prop] = [Msg("{label}: is required", label=Label(info.prop(prop).label))]
    order = {name: position for position, name in enumerate(info.properties)}
    ordered = dict(sorted(clean.items(), key=lambda item: order.get(item[0], len(order))))
    return Validated(
        properties=ordered,
        errors={prop: _joined(messages) for prop, messages in errors.items()},
        warnings=warnings,
    )


def _joined(messages: list[Msg]) -> Msg:
    # Several problems with one property, in one translatable message.
    joined = messages[0]
    for message in messages[1:]:
        joined = Msg("{first}; {second}", first=joined, second=message)
    return joined


def parse_percentage(value: str) -> tuple[Decimal, Decimal] | None:
    """Read a percentage held as its lower and upper bounds, or None when unknown.

    An exact share gives equal bounds; a band (``"25-50"``, as beneficial-ownership registers
    publish them) gives its two ends; a marker gives None.

    Raises
    ------
    InvalidValue
        When the text is not a percentage between 0 and 100 or a band of two.

    Examples
    --------
    >>> parse_percentage("25.5")
    (Decimal('25.5'), Decimal('25.5'))
    >>> parse_percentage("25 - 50 %")
    (Decimal('25'), Decimal('50'))
    >>> parse_percentage("unknown") is None
    True
    """
    text = _check(_PERCENTAGE, value)
    if text in MARKERS:
        return None
    low, _, high = text.partition("-")
    return (Decimal(low), Decimal(high or low))


def identity_keys(schema: str, properties: Mapping[str, object]) -> frozenset[tuple[str, ...]]:
    """Return the keys under which an entity's strong identifiers match other entities.

    Each key is ``(property, value)``, or ``(property, scope value, value)`` for an identifier
    with a scope: ``("registrationNumber", "nl", "24123456")``. Values are normalised so that
    spellings of the same identifier meet (spaces, dots, dashes and slashes are removed and
    letters upper-cased in a registration number; an Ethereum-style address is lower-cased).
    Invalid values, markers and scoped identifiers without their scope give no key. Entities of
    different schemata meet on the same key: a ``Company`` and a ``LegalEntity`` with the same
    LEI are one entity.

    Examples
    --------
    >>> sorted(identity_keys("Company", {
    ...     "name": "Havenbedrijf BV", "leiCode": "529900t8bm49aursdo55",
    ...     "registrationNumber": "2412 3456", "jurisdiction": "NL"}))
    [('leiCode', '529900T8BM49AURSDO55'), ('registrationNumber', 'nl', '24123456')]
    >>> identity_keys("Company", {"registrationNumber": "24123456"})
    frozenset()
    """
    info = get_schema(schema)
    keys = set()
    for prop in info.strong_identifiers:
        spec = info.properties[prop]
        values = _valid_values(spec, properties.get(prop))
        if spec.scope is None:
            keys.update((prop, _identity_form(spec, value)) for value in values)
            continue
        scopes = _valid_values(info.prop(spec.scope), properties.get(spec.scope))
        keys.update(
            (prop, scope, _identity_form(spec, value)) for scope in scopes for value in values
        )
    return frozenset(keys)


def export_properties(
    schema: str, properties: Mapping[str, Iterable[str]]
) -> tuple[dict[str, list[str]], dict[str, object]]:
    """Split clean properties into FtM ``properties`` and the assettrack extension.

    Local properties and markers go to the extension, which an export writes under
    :data:`EXTENSION_KEY`: ``{"properties": {local: values}, "unknown": [names],
    "not_applicable": [names]}``, each part only when not empty. Every other property, FtM's
    own or one kept as it came, goes to the FtM side unchanged.

    Examples
    --------
    >>> ftm, extension = export_properties("Vehicle", {
    ...     "registrationNumber": ["GE 123 AB"], "vin": ["WVWZZZ1JZXW000001"],
    ...     "buildDate": ["unknown"]})
    >>> ftm
    {'registrationNumber': ['GE 123 AB']}
    >>> extension
    {'properties': {'vin': ['WVWZZZ1JZXW000001']}, 'unknown': ['buildDate']}
    """
    info = get_schema(schema)
    ftm: dict[str, list[str]] = {}
    local: dict[str, list[str]] = {}
    marked: dict[str, list[str]] = {UNKNOWN: [], NOT_APPLICABLE: []}
    for prop, raw in properties.items():
        values = list(_as_list(raw))
        spec = info.properties.get(prop)
        if spec is not None and spec.local:
            local[prop] = values
        elif len(values) == 1 and values[0] in MARKERS:
            marked[values[0]].append(prop)
        elif values:
            ftm[prop] = values
    extension: dict[str, object] = {}
    if local:
        extension["properties"] = local
    if marked[UNKNOWN]:
        extension["unknown"] = marked[UNKNOWN]
    if marked[NOT_APPLICABLE]:
        extension["not_applicable"] = marked[NOT_APPLICABLE]
    return ftm, extension


def import_properties(
    schema: str,
    properties: Mapping[str, object],
    extension: Mapping[str, object] | None = None,
) -> dict[str, list[str]]:
    """Merge FtM ``properties`` with the assettrack extension of an exported line.

    The reverse of :func:`export_properties`. A marker fills only a property without values.
    Nothing is checked here: pass the result to :func:`validate_properties`.

    Examples
    --------
    >>> import_properties("Vehicle", {"registrationNumber": ["GE 123 AB"]},
    ...                   {"properties": {"vin": ["WVWZZZ1JZXW000001"]}, "unknown": ["buildDate"]})
    {'registrationNumber': ['GE 123 AB'], 'vin': ['WVWZZZ1JZXW000001'], 'buildDate': ['unknown']}
    """
    get_schema(schema)
    merged = {prop: list(_as_list(raw)) for prop, raw in properties.items()}
    extension = extension or {}
    local = extension.get("properties") or {}
    if isinstance(local, Mapping):
        for prop, raw in local.items():
            merged[prop] = list(_as_list(raw))
    for key, marker in (("unknown", UNKNOWN), ("not_applicable", NOT_APPLICABLE)):
        for prop in _as_list(extension.get(key)):
            if isinstance(prop, str) and not merged.get(prop):
                merged[prop] = [marker]
    return merged


# --- the registry -------------------------------------------------------------------------------
# Schemata, their parents, properties, types, ranges, English labels and edges are FtM's own
# (followthemoney.model). What assettrack adds is declared here, keyed by FtM's qualified name of
# the declaring property: which identifiers are strong (and their scope), the checks beyond FtM's
# type (``format``), numeric bounds, and a clearer label where FtM's would be ambiguous on a page
# that shows both properties. tests/test_schema.py asserts every key exists in FtM.
_D = Decimal
_ZERO = Decimal(0)
_LATITUDE = {"minimum": _D(-90), "maximum": _D(90)}
_LONGITUDE = {"minimum": _D(-180), "maximum": _D(180)}

OVERLAY = MappingProxyType(
    {
        "Thing:addressEntity": {"label": "Address record"},  # FtM: "Address", as Thing:address
        "Value:amount": {"minimum": _ZERO},
        "Value:currency": {"format": "currency"},
        "Value:amountEur": {"minimum": _ZERO},
        "LegalEntity:registrationNumber": {"strong": True, "scope": "jurisdiction"},
        "LegalEntity:leiCode": {"strong": True},
        "Vessel:imoNumber": {"strong": True},
        "Vessel:mmsi": {"format": "mmsi"},
        "Vessel:grossRegisteredTonnage": {"minimum": _ZERO},
        "Vessel:deadweightTonnage": {"minimum": _ZERO},
        "RealEstate:area": {"label": "Area (m²)", "minimum": _ZERO},
        "RealEstate:latitude": _LATITUDE,
        "RealEstate:longitude": _LONGITUDE,
        "Address:latitude": _LATITUDE,
        "Address:longitude": _LONGITUDE,
        "BankAccount:iban": {"strong": True},
        "Security:isin": {"strong": True},
        "Security:figiCode": {"strong": True},
        "CryptoWallet:publicKey": {
            "label": "Address (public key)",  # FtM: "Address"
            "format": "crypto_address",
            "strong": True,
        },
        "Ownership:percentage": {"format": "percentage"},
        "Ownership:sharesCount": {"format": "decimal", "minimum": _ZERO},
        "Ownership:sharesValue": {"format": "decimal", "minimum": _ZERO},
        "Ownership:sharesCurrency": {"format": "currency"},
    }
)
#: FtM's identifier formats that assettrack checks with its own, more telling messages.
_FTM_FORMATS = frozenset({"iban", "bic", "imo", "isin", "lei", "figi"})

# Properties FtM lacks. The VIN (ISO 3779) is the one strong identifier of a road vehicle; FtM
# has only the reissued registration mark.
_LOCAL_PROPERTIES = {
    "Vehicle": {
        "vin": ("VIN", "identifier", {"format": "vin", "strong": True}),
    },
}

# Per native schema: what assettrack shows (a word list, in display order), its caption, the
# properties a complete entity needs, and for a relation its edge.
_PARTY_SHOWN = """
    name alias previousName legalForm jurisdiction registrationNumber leiCode taxNumber vatCode
    swiftBic incorporationDate dissolutionDate status country address addressEntity email phone
    website notes
"""
_PARTY_CAPTION = ("name", "alias", "registrationNumber", "leiCode")
_INTEREST_SHOWN = "role status startDate endDate summary description"
_ASSET_TAIL = "country description notes"

_NATIVE = {
    "Person": {
        "kind": Kind.PARTY,
        "shown": """
            name alias firstName lastName birthDate birthPlace deathDate nationality citizenship
            idNumber passportNumber taxNumber country address addressEntity email phone notes
        """,
        "caption": ("name", "alias", "lastName"),
        "required": ("name",),
    },
    "LegalEntity": {
        "kind": Kind.PARTY,
        "shown": _PARTY_SHOWN,
        "caption": _PARTY_CAPTION,
        "required": ("name",),
    },
    "Organization": {
        "kind": Kind.PARTY,
        "shown": _PARTY_SHOWN,
        "caption": _PARTY_CAPTION,
        "required": ("name",),
    },
    "Company": {
        "kind": Kind.PARTY,
        "shown": _PARTY_SHOWN,
        "caption": _PARTY_CAPTION,
        "required": ("name",),
    },
    "Asset": {
        "kind": Kind.ASSET,
        "shown": "name description amount currency country notes",
        "caption": ("name", "description"),
    },
    "Vehicle": {
        "kind": Kind.ASSET,
        "shown": f"""
            name registrationNumber vin type model buildDate registrationDate owner operator
            {_ASSET_TAIL}
        """,
        "caption": ("name", "registrationNumber", "vin"),
        "owners": ("owner",),
    },
    "Vessel": {
        "kind": Kind.ASSET,
        "shown": f"""
            name imoNumber mmsi callSign flag registrationPort type model buildDate
            grossRegisteredTonnage deadweightTonnage owner operator {_ASSET_TAIL}
        """,
        "caption": ("name", "imoNumber", "mmsi"),
        "required": ("name",),
        "owners": ("owner",),
    },
    "Airplane": {
        "kind": Kind.ASSET,
        "shown": f"""
            name registrationNumber serialNumber type manufacturer model icaoCode buildDate
            registrationDate owner operator {_ASSET_TAIL}
        """,
        "caption": ("name", "registrationNumber", "serialNumber"),
        "owners": ("owner",),
    },
    "RealEstate": {
        "kind": Kind.ASSET,
        "shown": f"""
            name address addressEntity cadastralCode titleNumber registrationNumber area
            propertyType tenure encumbrance latitude longitude {_ASSET_TAIL}
        """,
        "caption": ("name", "address", "cadastralCode"),
    },
    "BankAccount": {
        "kind": Kind.ASSET,
        "shown": f"""
            iban accountNumber bic bankName bank name accountType currency openingDate
            closingDate balance balanceDate {_ASSET_TAIL}
        """,
        # FtM puts name first; an account is known by its IBAN, rarely by a name.
        "caption": ("iban", "accountNumber", "name"),
    },
    "Security": {
        "kind": Kind.ASSET,
        "shown": f"""
            name isin figiCode ticker registrationNumber type issuer issueDate maturityDate
            {_ASSET_TAIL}
        """,
        "caption": ("name", "isin", "ticker"),
    },
    "CryptoWallet": {
        "kind": Kind.ASSET,
        "shown": f"""
            publicKey name currency currencySymbol holder creationDate balance balanceDate
            {_ASSET_TAIL}
        """,
        "caption": ("publicKey", "name"),
        "owners": ("holder",),
        # A wallet's currency is a cryptocurrency (BTC, ETH, USDT), which ISO 4217 does not list.
        "overrides": {"currency": {"label": "Cryptocurrency", "format": "crypto_currency"}},
    },
    "Address": {
        "kind": Kind.PLACE,
        "shown": """
            full street street2 postalCode city region state country remarks latitude longitude
        """,
        "caption": ("full", "street", "city"),
    },
    "Ownership": {
        "kind": Kind.RELATION,
        "shown": f"""
            owner asset percentage sharesCount sharesValue sharesCurrency sharesType
            ownershipType legalBasis {_INTEREST_SHOWN}
        """,
        "caption": ("percentage", "role", "ownershipType"),
    },
    "Directorship": {
        "kind": Kind.RELATION,
        "shown": f"director organization {_INTEREST_SHOWN}",
        "caption": ("role",),
    },
    "Representation": {
        "kind": Kind.RELATION,
        "shown": f"agent client {_INTEREST_SHOWN}",
        "caption": ("role",),
    },
    "Family": {
        "kind": Kind.RELATION,
        "shown": "person relative relationship startDate endDate summary description",
        "caption": ("relationship",),
    },
    "Associate": {
        "kind": Kind.RELATION,
        "shown": "person associate relationship startDate endDate summary description",
        "caption": ("relationship",),
    },
    "Employment": {
        "kind": Kind.RELATION,
        "shown": f"employer employee {_INTEREST_SHOWN}",
        "caption": ("role",),
    },
    "Membership": {
        "kind": Kind.RELATION,
        "shown": f"member organization {_INTEREST_SHOWN}",
        "caption": ("role",),
    },
    "Payment": {
        "kind": Kind.RELATION,
        "shown": """
            payer beneficiary payerAccount beneficiaryAccount amount currency amountEur date
            purpose transactionNumber startDate endDate summary description
        """,
        "caption": ("amount", "amountEur", "purpose"),
    },
    "UnknownLink": {
        "kind": Kind.RELATION,
        "shown": f"subject object {_INTEREST_SHOWN}",
        "caption": ("role",),
    },
}

_NO_MARKER_TYPES = frozenset({"identifier", "iban", "entity"})
_MAX_LENGTH = {
    "name": 500,
    "string": 1000,
    "address": 1000,
    "text": 20000,
    "identifier": 128,
    "iban": 64,
    "entity": 128,
    "url": 2048,
    "email": 254,
    "phone": 32,
}
# The conventional name written before a code, so a message reads "IMO 9074728: ...".
_FORMAT_NAMES = {
    "iban": "IBAN",
    "bic": "BIC",
    "imo": "IMO",
    "mmsi": "MMSI",
    "isin": "ISIN",
    "lei": "LEI",
    "figi": "FIGI",
    "vin": "VIN",
}
_DATE_PRECEDENCE = (
    ("startDate", "endDate"),
    ("birthDate", "deathDate"),
    ("incorporationDate", "dissolutionDate"),
    ("openingDate", "closingDate"),
    ("issueDate", "maturityDate"),
)
_PERCENTAGE = PropertyInfo(
    "percentage", "Percentage held", "string", "Ownership", format="percentage"
)

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?)?")
_DECIMAL_RE = re.compile(r"-?\d+(?:\.\d+)?")
_COMMA_DECIMAL_RE = re.compile(r"-?[\d.]*\d,\d+")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_RE = re.compile(r"\+?[\d ()./-]+")
_ENTITY_ID_RE = re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?")  # FtM's EntityType
_BBAN_PART_RE = re.compile(r"(\d+)(!?)([nace])")
_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_CRYPTO_RE = re.compile(r"[A-Za-z0-9:._-]{8,128}")
_HEX_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_CRYPTO_CURRENCY_RE = re.compile(r"[A-Z0-9]{2,10}")
_IDENTITY_STRIP_RE = re.compile(r"[\s./-]+")


class _Problem(Exception):
    """What is wrong with a value, and the form of the value to show in the message."""

    def __init__(self, problem: Msg, shown: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.shown = shown


@functools.cache
def _registry() -> dict[str, SchemaInfo]:
    registry = {}
    for name, spec in _NATIVE.items():
        ftm = _ftm.get(name)
        overrides = spec.get("overrides", {})
        properties = {
            prop: _property_info(ftm, prop, overrides.get(prop, {}))
            for prop in spec["shown"].split()
        }
        edge = None
        if ftm.edge_source and ftm.edge_target:
            edge = Edge(ftm.edge_source, ftm.edge_target, ftm._edge_label, ftm.edge_directed)
        required = spec.get("required", ())
        if edge is not None:
            required = (*required, edge.source, edge.target)
        registry[name] = SchemaInfo(
            name=name,
            label=_english(ftm, "_label"),
            plural=_english(ftm, "_plural"),
            kind=spec["kind"],
            extends=_parents(ftm),
            ancestors=_ancestors(ftm),
            properties=MappingProxyType(properties),
            caption=spec["caption"],
            required=required,
            edge=edge,
            owner_properties=spec.get("owners", ()),
        )
    for name in sorted(OTHER_SCHEMATA):
        ftm = _ftm.get(name)
        registry[name] = SchemaInfo(
            name=name,
            label=_english(ftm, "_label"),
            plural=_english(ftm, "_plural"),
            kind=Kind.OTHER,
            extends=_parents(ftm),
            ancestors=_ancestors(ftm),
            properties=MappingProxyType({}),
            caption=tuple(dict.fromkeys((*ftm.caption, "name"))),
        )
    return registry


def _english(item, attribute: str) -> str:
    # FtM translates labels through its own catalogue when read; the registry keeps the English
    # source, which the interface translates (assettrack.i18n.schema_label).
    return getattr(item, attribute, None) or str(getattr(item, attribute.lstrip("_")))


def _parents(ftm) -> tuple[str, ...]:
    # In the order FtM's YAML declares them (Company: Organization before Asset); the public
    # ``extends`` is a set.
    declared = getattr(ftm, "_extends", None)
    return tuple(declared) if declared is not None else tuple(sorted(p.name for p in ftm.extends))


def _ancestors(ftm) -> tuple[str, ...]:
    # Every schema ``ftm`` extends, nearest first, as FtM's inheritance chain orders them.
    seen: list[str] = []
    for parent in _parents(ftm):
        for ancestor in (parent, *_ancestors(_ftm.get(parent))):
            if ancestor not in seen:
                seen.append(ancestor)
    return tuple(seen)


def _property_info(ftm, prop: str, override: Mapping) -> PropertyInfo:
    local = _LOCAL_PROPERTIES.get(ftm.name, {}).get(prop)
    if local is None:
        for ancestor in _ancestors(ftm):
            local = _LOCAL_PROPERTIES.get(ancestor, {}).get(prop)
            if local is not None:
                break
    if local is not None:
        label, type_, extras = local
        return PropertyInfo(prop, label, type_, ftm.name, local=True, **extras)
    declared = ftm.get(prop)
    if declared is None:
        raise LookupError(f"FtM's {ftm.name} has no property {prop!r}")
    if declared.deprecated:
        # FtM re-declares some inherited properties as deprecated duplicates (Company
        # jurisdiction); the live declaration up the chain is the one to use.
        for ancestor in _parents(ftm):
            live = _ftm.get(ancestor).get(prop)
            if live is not None and not live.deprecated:
                declared = live
                break
    extras = {**OVERLAY.get(declared.qname, {}), **override}
    label = extras.pop("label", None) or _english(declared, "_label")
    own_format = declared.format if declared.format in _FTM_FORMATS else None
    fmt = extras.pop("format", None) or own_format
    return PropertyInfo(
        prop,
        label,
        declared.type.name,
        declared.schema.name,
        format=fmt,
        range=declared.range.name if declared.range is not None else None,
        deprecated=declared.deprecated,
        **extras,
    )


def _as_list(raw: object) -> list:
    if raw is None:
        return []
    if isinstance(raw, str | bytes | int | Decimal | float) or not isinstance(raw, Iterable):
        return [raw]
    return list(raw)


def _keep_as_is(prop: str, values: list) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    problems: list[str] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            problems.append(
                Msg("{property}: {value} is not text", property=prop, value=repr(value))
            )
            continue
        text = str(value).strip()
        if text and text not in kept:
            kept.append(text)
    return kept, problems


def _check_all(
    spec: PropertyInfo, values: list, warnings: list[str], *, imported: bool = False
) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    problems: list[str] = []
    for value in values:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            clean = _check(spec, value)
        except InvalidValue as error:
            accepted = _ftm_clean(spec, value) if imported else None
            if accepted is None:
                problems.append(error.message)
                continue
            warnings.append(f"{error.message}; kept as FollowTheMoney accepts it")
            clean = accepted
        if clean not in kept:
            kept.append(clean)
    markers = [value for value in kept if value in MARKERS]
    if markers and len(markers) == len(kept) > 1:
        problems.append(
            Msg("{label}: cannot be both unknown and not applicable", label=Label(spec.label))
        )
        kept = []
    elif markers and len(markers) < len(kept):
        kept = [value for value in kept if value not in MARKERS]
        warnings.append(f"{spec.name}: {', '.join(markers)} dropped beside a value")
    return kept, problems


def _valid_values(spec: PropertyInfo, raw: object) -> list[str]:
    values = []
    for value in _as_list(raw):
        try:
            clean = _check(spec, value)
        except InvalidValue:
            continue
        if clean not in MARKERS:
            values.append(clean)
    return values


def _ftm_clean(spec: PropertyInfo, value: object) -> str | None:
    # What the followthemoney library makes of the value (None: it refuses it). A local
    # property has no FtM type to ask, and a marker is assettrack's own word.
    if spec.local or not isinstance(value, str | int | Decimal) or isinstance(value, bool):
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    if text.lower() in MARKERS:
        return None
    ftm_type = _ftm_registry.get(spec.type)
    if ftm_type is None:
        return None
    fmt = _ftm.get(spec.schema).get(spec.name).format if not spec.local else None
    return ftm_type.clean(text, format=fmt)


def _identity_form(spec: PropertyInfo, value: str) -> str:
    if spec.format is None:
        return _IDENTITY_STRIP_RE.sub("", value).upper()
    if spec.format == "crypto_address" and value[:2].lower() == "0x":
        return value.lower()
    return value


def _check_date_order(
    info: SchemaInfo, clean: dict[str, list[str]], problems: dict[str, list[str]] | list[str]
) -> None:
    # ``problems``: the errors of a form (the end is refused) or the warnings of an import (the
    # end is kept; the relation then counts as undated, see assettrack.domain.ftm.relation_columns).
    # Partial dates compare on their common precision: "2020" is not after "2020-05-17".
    for first, second in _DATE_PRECEDENCE:
        if first not in info.properties or second not in info.properties:
            continue
        starts = [value for value in clean.get(first, ()) if value not in MARKERS]
        ends = [value for value in clean.get(second, ()) if value not in MARKERS]
        if len(starts) != 1 or len(ends) != 1:
            continue
        start, end = starts[0], ends[0]
        size = min(len(start), len(end))
        if end[:size] < start[:size]:
            message = Msg(
                "{label} {end}: is before the {start_label} {start}",
                label=Label(info.properties[second].label),
                end=end,
                start_label=Label(info.properties[first].label, lower=True),
                start=start,
            )
            if isinstance(problems, list):
                problems.append(f"{message}; kept as it came")
                continue
            problems.setdefault(second, []).append(message)
            del clean[second]


def _caption_text(prop: str, text: str, properties: Mapping[str, object]) -> str:
    if prop == "percentage":
        return f"{text} %"
    if prop in ("amount", "amountEur"):
        currencies = _as_list(properties.get("currency")) if prop == "amount" else ["EUR"]
        currency = next((c for c in currencies if isinstance(c, str) and c.strip()), "")
        return f"{text} {currency.strip().upper()}".rstrip()
    return text


def _check(spec: PropertyInfo, value: object) -> str:
    """Check one value against ``spec``; return it normalised or raise :class:`InvalidValue`."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidValue(
            spec.name,
            Msg(
                "{label}: {value} is not text; give a string",
                label=Label(spec.label),
                value=repr(value),
            ),
        )
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidValue(
            spec.name,
            Msg("{label}: {value} is not text", label=Label(spec.label), value=repr(value)),
        )
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise InvalidValue(spec.name, Msg("{label}: is empty", label=Label(spec.label)))
    if text.lower() in MARKERS:
        if spec.accepts_markers:
            return text.lower()
        raise InvalidValue(
            spec.name,
            Msg(
                '{label}: "{marker}" is a marker, not a value this field can hold; leave it '
                "empty instead",
                label=Label(spec.label),
                marker=text.lower(),
            ),
        )
    kind = spec.format or spec.type
    try:
        _check_characters(spec, text)
        check = _CHECKS.get(kind, _check_plain)
        return check(spec, text)
    except _Problem as problem:
        name = _FORMAT_NAMES.get(spec.format or "", spec.label)
        shown = problem.shown if problem.shown is not None else text
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise InvalidValue(
            spec.name,
            Msg(
                "{name} {value}: {problem}", name=Label(name), value=shown, problem=problem.problem
            ),
        ) from None


def _check_characters(spec: PropertyInfo, text: str) -> None:
    # Line breaks and tabs are whitespace: text keeps them, one-line types collapse them.
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in text):
        raise _Problem(Msg("contains control characters"), shown=repr(text))
    limit = _MAX_LENGTH.get(spec.type, 1000)
    if len(text) > limit:
        raise _Problem(
            Msg("is {length} characters long; the limit is {limit}", length=len(text), limit=limit)
        )


def _check_plain(spec: PropertyInfo, text: str) -> str:
    # name, string, identifier, address: one line, single spaces. text keeps its line breaks.
    if spec.type == "text":
        return text
    return " ".join(text.split())


def _check_iban(spec: PropertyInfo, text: str) -> str:
    number = iban.compact(text)
    if not number.isalnum() or not number.isascii():
        raise _Problem(Msg("may contain only letters and digits"), shown=number)
    if len(number) < 5 or not number[:2].isalpha() or not number[2:4].isdigit():
        raise _Problem(Msg("must start with a country code and two check digits"), shown=number)
    country = number[:2]
    bban = numdb.get("iban").info(number)[0][1].get("bban")
    if not bban:
        raise _Problem(
            Msg("{country} is not a country that issues IBANs", country=country), shown=number
        )
    expected = 4 + sum(int(size) for size, _, _ in _BBAN_PART_RE.findall(bban))
    if len(number) != expected:
        raise _Problem(
            Msg(
                "an IBAN from {country} has {expected} characters, this one has {count}",
                country=country,
                expected=expected,
                count=len(number),
            ),
            shown=number,
        )
    try:
        iban.validate(number, check_country=False)
    except InvalidChecksum:
        raise _Problem(Msg("the check digits are wrong"), shown=number) from None
    except ValidationError:
        raise _Problem(
            Msg("the account part does not fit the {country} format", country=country), shown=number
        ) from None
    try:
        iban.validate(number)
    except InvalidChecksum:
        raise _Problem(
            Msg("the national check digits of the account number are wrong"), shown=number
        ) from None
    except ValidationError:
        # A national module also looks the bank code up in a registry that ages; a bank code
        # missing there is not proof of a wrong IBAN.
        pass
    return number


def _check_bic(spec: PropertyInfo, text: str) -> str:
    number = bic.compact(text)
    try:
        return bic.validate(number)
    except InvalidLength:
        problem = Msg("a BIC has 8 or 11 characters, this one has {count}", count=len(number))
    except InvalidComponent:
        problem = Msg("{code} is not a country code", code=number[4:6])
    except ValidationError:
        problem = Msg(
            "must be 4 letters (bank), 2 letters (country), 2 letters or digits (location) "
            "and optionally 3 letters or digits (branch)"
        )
    raise _Problem(problem, shown=number)


def _check_imo(spec: PropertyInfo, text: str) -> str:
    number = imo.compact(text)
    try:
        return imo.validate(number)
    except InvalidChecksum:
        problem = Msg("the check digit is wrong")
    except InvalidLength:
        problem = Msg("must be 7 digits, this one has {count}", count=len(number))
    except ValidationError:
        problem = Msg("must be 7 digits, optionally after IMO")
    raise _Problem(problem, shown=number)


def _check_mmsi(spec: PropertyInfo, text: str) -> str:
    # ITU-R M.585: a ship station's MMSI is its flag's 3-digit maritime identification digits
    # (starting 2 to 7) and 6 more digits. Coast stations, aids to navigation and handhelds differ.
    number = "".join(text.split())
    if not number.isdigit():
        raise _Problem(Msg("must be 9 digits"), shown=number)
    if len(number) != 9:
        raise _Problem(
            Msg("must be 9 digits, this one has {count}", count=len(number)), shown=number
        )
    if number[0] not in "234567":
        raise _Problem(Msg("a ship's MMSI starts with its flag's identification digits, 2 to 7"))
    return number


def _check_isin(spec: PropertyInfo, text: str) -> str:
    number = isin.compact(text)
    try:
        return isin.validate(number)
    except InvalidChecksum:
        problem = Msg("the check digit is wrong")
    except InvalidLength:
        problem = Msg("an ISIN has 12 characters, this one has {count}", count=len(number))
    except InvalidComponent:
        problem = Msg("{code} is not a country code that ISINs use", code=number[:2])
    except ValidationError:
        problem = Msg("must be 2 letters, 9 letters or digits and a check digit")
    raise _Problem(problem, shown=number)


def _check_lei(spec: PropertyInfo, text: str) -> str:
    # stdnum checks the ISO 7064 check digits only; ISO 17442 also fixes the length and form.
    number = lei.compact(text)
    if len(number) != 20:
        raise _Problem(
            Msg("an LEI has 20 characters, this one has {count}", count=len(number)), shown=number
        )
    if not (number.isascii() and number.isalnum() and number[18:].isdigit()):
        raise _Problem(Msg("must be 18 letters or digits and 2 check digits"), shown=number)
    try:
        return lei.validate(number)
    except ValidationError:
        raise _Problem(Msg("the check digits are wrong"), shown=number) from None


def _check_figi(spec: PropertyInfo, text: str) -> str:
    number = figi.compact(text)
    try:
        return figi.validate(number)
    except InvalidChecksum:
        problem = Msg("the check digit is wrong")
    except InvalidLength:
        problem = Msg("a FIGI has 12 characters, this one has {count}", count=len(number))
    except ValidationError:
        problem = Msg("must be 2 letters, G, 8 letters or digits (no vowels) and a check digit")
    raise _Problem(problem, shown=number)


def _check_vin(spec: PropertyInfo, text: str) -> str:
    # ISO 3779 makes the check digit (position 9) mandatory only for North America, so a
    # European VIN without one is valid: only length and alphabet are checked.
    number = re.sub(r"[\s-]", "", text).upper()
    if len(number) != 17:
        raise _Problem(
            Msg("a VIN has 17 characters, this one has {count}", count=len(number)), shown=number
        )
    if not number.isascii() or not number.isalnum():
        raise _Problem(Msg("may contain only letters and digits"), shown=number)
    if not _VIN_RE.fullmatch(number):
        raise _Problem(Msg("contains I, O or Q, which a VIN never uses"), shown=number)
    return number


def _check_crypto_address(spec: PropertyInfo, text: str) -> str:
    if not _CRYPTO_RE.fullmatch(text):
        raise _Problem(Msg("is not a wallet address (8 to 128 letters or digits, no spaces)"))
    if text[:2] in ("0x", "0X"):
        if not _HEX_ADDRESS_RE.fullmatch("0x" + text[2:]):
            raise _Problem(Msg("an Ethereum-style address is 0x and 40 hexadecimal digits"))
        return "0x" + text[2:]
    is_legacy = text[0] in "13" and 25 <= len(text) <= 34
    if is_legacy or text.lower().startswith("bc1"):
        try:
            return bitcoin.validate(text)
        except InvalidChecksum:
            raise _Problem(Msg("the checksum of the Bitcoin address is wrong")) from None
        except ValidationError:
            raise _Problem(Msg("is not a valid Bitcoin address")) from None
    return text


def _check_currency(spec: PropertyInfo, text: str) -> str:
    code = text.upper()
    if code not in ISO_4217_CURRENCIES:
        raise _Problem(Msg("is not an ISO 4217 currency code (three letters, e.g. EUR)"))
    return code


def _check_crypto_currency(spec: PropertyInfo, text: str) -> str:
    code = text.upper()
    if not _CRYPTO_CURRENCY_RE.fullmatch(code):
        raise _Problem(Msg("is not a currency code (2 to 10 letters or digits, e.g. BTC)"))
    return code


def _check_country(spec: PropertyInfo, text: str) -> str:
    # FtM's country type reads ISO codes in any case, the EU's UK and EL, and country names.
    code = _ftm_registry.country.clean(text)
    if code is None:
        raise _Problem(Msg("is not a country code (two letters, e.g. nl)"))
    return code


def _check_date(spec: PropertyInfo, text: str) -> str:
    match = _DATE_RE.fullmatch(text)
    if not match:
        raise _Problem(Msg("is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"))
    year, month, day, hour, minute, second = (
        None if part is None else int(part) for part in match.groups()
    )
    if year == 0:
        raise _Problem(Msg("there is no year 0"))
    if month is not None and not 1 <= month <= 12:
        raise _Problem(Msg("there is no month {month}", month=month))
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        shown_month = "%04d-%02d" % (year, month)  # noqa: UP031 - read by pybabel extract
        raise _Problem(Msg("there is no day {day} in {month}", day=day, month=shown_month))
    if (hour or 0) > 23 or (minute or 0) > 59 or (second or 0) > 59:
        raise _Problem(Msg("the time of day is not valid"))
    return text


def _check_number(spec: PropertyInfo, text: str) -> str:
    number = _parse_decimal(text)
    _check_bounds(spec, number)
    return text


def _check_percentage(spec: PropertyInfo, text: str) -> str:
    text = text.removesuffix("%").strip()
    parts = [part.strip() for part in re.split(r"(?<=\d)\s*[-–]\s*(?=\d)", text, maxsplit=1)]
    bounds = [_parse_decimal(part) for part in parts]
    for bound in bounds:
        if not 0 <= bound <= 100:
            raise _Problem(
                Msg("must be at least {minimum}", minimum=0)
                if bound < 0
                else Msg("must be at most {maximum}", maximum=100)
            )
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        raise _Problem(Msg("the lower end of the range is above the upper end"))
    return "-".join(parts)


def _parse_decimal(text: str) -> Decimal:
    if _COMMA_DECIMAL_RE.fullmatch(text):
        raise _Problem(Msg("use a point, not a comma, for decimals (e.g. 25.5)"))
    if not _DECIMAL_RE.fullmatch(text):
        raise _Problem(Msg("is not a number; write digits with a point for decimals, e.g. 1234.50"))
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise _Problem(Msg("is not a number")) from None


def _check_bounds(spec: PropertyInfo, number: Decimal) -> None:
    if spec.minimum is not None and number < spec.minimum:
        raise _Problem(Msg("must be at least {minimum}", minimum=spec.minimum))
    if spec.maximum is not None and number > spec.maximum:
        raise _Problem(Msg("must be at most {maximum}", maximum=spec.maximum))


def _check_email(spec: PropertyInfo, text: str) -> str:
    if not _EMAIL_RE.fullmatch(text):
        raise _Problem(Msg("is not an e-mail address"))
    return text


def _check_url(spec: PropertyInfo, text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise _Problem(Msg("is not a web address; it must start with http:// or https://"))
    return text


def _check_phone(spec: PropertyInfo, text: str) -> str:
    if not _PHONE_RE.fullmatch(text) or sum(c.isdigit() for c in text) < 5:
        raise _Problem(Msg("is not a phone number"))
    return " ".join(text.split())


def _check_entity(spec: PropertyInfo, text: str) -> str:
    if not _ENTITY_ID_RE.fullmatch(text):
        raise _Problem(Msg("is not an entity id (letters, digits, dots and dashes)"))
    return text


_CHECKS = {
    "iban": _check_iban,
    "bic": _check_bic,
    "imo": _check_imo,
    "mmsi": _check_mmsi,
    "isin": _check_isin,
    "lei": _check_lei,
    "figi": _check_figi,
    "vin": _check_vin,
    "crypto_address": _check_crypto_address,
    "currency": _check_currency,
    "crypto_currency": _check_crypto_currency,
    "percentage": _check_percentage,
    "decimal": _check_number,
    "number": _check_number,
    "country": _check_country,
    "date": _check_date,
    "email": _check_email,
    "url": _check_url,
    "phone": _check_phone,
    "entity": _check_entity,
}
