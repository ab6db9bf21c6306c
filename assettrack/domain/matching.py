"""Candidate duplicates and screening matches: blocking, scoring with reasons, merge plans.

The pure core of entity resolution in assettrack. It knows nothing of Flask or the database:
callers hand it :class:`Record` values (built with :func:`record_from_ftm` from an entity's FtM
properties) and plain row dictionaries, and get back scored pairs and merge plans.

Names
    Names are analysed with `rigour <https://github.com/opensanctions/rigour>`_, the library
    under OpenSanctions' matchers (nomenklatura, yente): person prefixes ("Herr Dr.") are
    removed, legal forms are recognised ("Gesellschaft mit beschränkter Haftung" and "GmbH"
    are one org class, kept apart from the name), other scripts are transliterated
    ("Иванов" → "ivanov"), and each token gets its metaphone code and its name symbols
    (Wikidata given-name clusters, so "Mohammed" meets "Muhammad"). Two names are compared
    token by token, in any order: equal tokens, a shared name symbol, an equal metaphone code or
    a small edit distance (rigour's Levenshtein) align them; the similarity is the share of
    characters that aligned, weighted by how well. When one name is contained in the other
    ("Hermann Schnabel" / "Schnabel"), the surplus counts half.

Blocking
    Comparing every pair of n entities costs n²/2 comparisons. Instead each entity is filed
    under keys: its name tokens, their metaphone codes, pairs of metaphone codes (word order
    does not matter), a token with the initial of another, its strong identifiers (IMO, IBAN,
    LEI, registration number with its jurisdiction...) and its birth year with each country.
    Only entities that share keys are compared: a key held by more than ``max_block`` entities
    (a common first name) is skipped, and each entity is compared with at most
    ``max_candidates`` others, those with the most shared evidence (an identifier weighs most,
    then two name sounds together, a name token, a sound alone, a birth year in a country).
    Work grows about linearly with n.

Scores
    :func:`compare` returns a score from 0 to 1 and the factors that made it, each with a plain
    sentence and its weight: the name similarity (up to 0.75), a shared strong identifier
    (near-certain: at least 0.98), different identifiers of one kind (−0.5), birth dates (same
    date +0.2, same year +0.1, different years −0.4), countries (+0.05 shared, −0.1 disjoint).
    A Person is never the same as a Company, nor a party as an asset: such pairs score 0.

Merge plans
    :func:`merge_plan` lists every row a merge changes, as reversible operations (``update``
    with the values before and after, ``insert`` and ``delete`` with the whole row), so that an
    undo restores exactly what was there. See its docstring for the rules: roles in a case
    where both entities appear, assets with legal states, identifiers.

Examples
--------
>>> a = record_from_ftm(1, "Company", {"name": ["Müller GmbH"], "country": ["de"]})
>>> b = record_from_ftm(2, "Company", {"name": ["Mueller GmbH"], "country": ["de"]})
>>> match = compare(a, b)
>>> round(match.score, 2)
0.78
>>> for factor in match.factors:
...     print(factor.text)
names 'Müller GmbH' and 'Mueller GmbH' are 97 % similar (+0.73)
both registered in DE (+0.05)
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from functools import lru_cache
from itertools import combinations

from rigour.names import NameTypeTag
from rigour.names import analyze_names
from rigour.text import ascii_text
from rigour.text import levenshtein

from ..errors import Msg
from . import schema as ftm_schema

__all__ = [
    "DEFAULT_THRESHOLD",
    "SCREENING_THRESHOLD",
    "CASE_ROLE_PRECEDENCE",
    "Record",
    "Factor",
    "Match",
    "Stats",
    "Index",
    "MergeRefused",
    "MergePlan",
    "record_from_ftm",
    "is_compatible",
    "blocking_keys",
    "compare",
    "find_candidates",
    "screen",
    "stronger_role",
    "merge_plan",
]

#: Pairs scoring at least this are proposed as candidate duplicates.
DEFAULT_THRESHOLD = 0.6
#: Screening hits need a little more: a hit is a serious claim about a person.
SCREENING_THRESHOLD = 0.7

#: When both records of a merge are in one case, the kept role is the first of these that
#: either record has. Victims and witnesses come first: they are never named outside their
#: organisation (DOMAIN.md), and a merge must never lift that protection. Then the role with
#: the most legal weight. The role that gives way is written in the kept link's note.
CASE_ROLE_PRECEDENCE = (
    "victim",
    "witness",
    "convicted",
    "suspect",
    "enabler",
    "associate",
    "other",
)

_NAME_PROPERTIES = ("name", "alias", "previousName")
_COUNTRY_PROPERTIES = ("country", "jurisdiction", "nationality", "citizenship", "flag")
# FtM schemata that assettrack does not model, matched as their nearest modelled parent
# (sanctions lists bring PublicBody and the like).
_PARENT_SCHEMA = {"PublicBody": "Organization"}

# Weights of the score (see the module docstring).
_W_NAME = 0.75
_W_SAME_BIRTH_DATE = 0.2
_W_SAME_BIRTH_YEAR = 0.1
_W_SAME_YEAR_OTHER_DAY = -0.15
_W_OTHER_BIRTH_YEAR = -0.4
_W_SHARED_COUNTRY = 0.05
_W_OTHER_COUNTRY = -0.1
_W_OTHER_IDENTIFIER = -0.5
_IDENTIFIER_FLOOR = 0.98

# Blocking: weight of the evidence each kind of key carries, and the largest block used.
_KEY_WEIGHTS = {"id": 10.0, "mm": 2.0, "ti": 1.0, "t": 1.0, "m1": 1.0, "m": 0.5, "yc": 0.5}
_MIN_EVIDENCE = 1.0


@dataclass(frozen=True)
class Record:
    """What the matcher knows of one entity.

    Attributes
    ----------
    id : hashable
        The caller's id (an entity id, a list entry id).
    schema : str
        FtM schema name.
    names : tuple of str
        Names and aliases as written.
    identifiers : frozenset of (str, str)
        Strong identifiers as ``(property, value)``, a scope kept in the value
        (``("registrationNumber", "nl:24123456")``), like ``entity_identifier`` rows.
    birth_dates : tuple of str
        Dates of birth, whole or partial (``1965``, ``1965-03``, ``1965-03-02``).
    countries : frozenset of str
        ISO 3166-1 alpha-2 codes, lower-case (country, jurisdiction, nationality, flag).
    """

    id: object
    schema: str
    names: tuple[str, ...]
    identifiers: frozenset[tuple[str, str]] = frozenset()
    birth_dates: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Factor:
    """One reason in a score: what was found, in a sentence, and what it weighed.

    ``message`` is a :class:`~assettrack.errors.Msg` (English text, message id and parameters)
    so the pages can show it translated.
    """

    code: str
    message: Msg
    weight: float

    @property
    def text(self) -> str:
        """The sentence in English with its signed weight: ``... (+0.05)``."""
        return f"{self.message} ({_signed(self.weight)})"

    def as_dict(self) -> dict:
        """Return the JSON shape stored and served by the API."""
        return {
            "code": self.code,
            "text": self.text,
            "msgid": self.message.msgid,
            "params": dict(self.message.params),
            "weight": round(self.weight, 4),
        }


@dataclass(frozen=True)
class Match:
    """A scored pair of records and the factors of its score."""

    a: object
    b: object
    score: float
    factors: tuple[Factor, ...]

    def explanation(self) -> list[dict]:
        """Return the factors as JSON-ready dictionaries."""
        return [f.as_dict() for f in self.factors]


@dataclass
class Stats:
    """What a candidate search did: to compare with the n²/2 of comparing every pair."""

    records: int = 0
    keys: int = 0
    skipped_blocks: int = 0
    comparisons: int = 0
    candidates: int = 0

    @property
    def all_pairs(self) -> int:
        """The comparisons that comparing every pair would have made."""
        return self.records * (self.records - 1) // 2


class MergeRefused(Exception):
    """A merge that must not happen; ``message`` says why (a Msg)."""

    def __init__(self, message: Msg):
        super().__init__(str(message))
        self.message = message


@dataclass
class MergePlan:
    """The reversible operations of a merge, and a summary for people.

    ``operations`` are applied in order and undone in reverse order. Each is one of
    ``{"op": "update", "table", "key": {pk: value}, "set": {column: [before, after]}}``,
    ``{"op": "insert", "table", "row": {...}}`` and ``{"op": "delete", "table", "row": {...}}``.
    """

    keep: int
    merge: int
    operations: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


# --- records ---------------------------------------------------------------------------------


def record_from_ftm(
    id: object,
    schema: str,
    properties: Mapping[str, object],
    identifiers: Iterable[tuple[str, str]] | None = None,
) -> Record:
    """Build a :class:`Record` from an FtM schema and property mapping.

    ``identifiers`` defaults to the strong identifiers found in ``properties``
    (:func:`assettrack.domain.schema.identity_keys`); pass the ``entity_identifier`` rows instead
    when they are at hand.

    Examples
    --------
    >>> r = record_from_ftm(7, "Vessel", {"name": "Ocean Star", "imoNumber": "IMO 9074729",
    ...                                   "flag": ["PA"]})
    >>> r.names, sorted(r.identifiers), sorted(r.countries)
    (('Ocean Star',), [('imoNumber', '9074729')], ['pa'])
    """
    names: list[str] = []
    for prop in _NAME_PROPERTIES:
        for value in _values(properties.get(prop)):
            if value not in names:
                names.append(value)
    if not names and schema == "Person":
        full = " ".join(
            v for prop in ("firstName", "lastName") for v in _values(properties.get(prop))[:1]
        )
        if full:
            names.append(full)
    countries = frozenset(
        value.lower()
        for prop in _COUNTRY_PROPERTIES
        for value in _values(properties.get(prop))
        if len(value) == 2 and value.isalpha()
    )
    births = tuple(value for value in _values(properties.get("birthDate")) if value[:4].isdigit())
    if identifiers is None:
        identifiers = _identifiers(schema, properties)
    return Record(
        id=id,
        schema=schema,
        names=tuple(names),
        identifiers=frozenset((str(k), str(v)) for k, v in identifiers),
        birth_dates=births,
        countries=countries,
    )


@lru_cache(maxsize=1024)
def is_compatible(a: str, b: str) -> bool:
    """Tell whether entities of schemata ``a`` and ``b`` can be the same thing.

    One schema must extend the other (a LegalEntity can be a Person or a Company), and both
    must be parties or both assets: a Person is never a Company, a Company never a Vessel.

    >>> is_compatible("Person", "LegalEntity"), is_compatible("Company", "Organization")
    (True, True)
    >>> is_compatible("Person", "Company"), is_compatible("Company", "Asset")
    (False, False)
    """
    if a == b:
        return True
    info_a, info_b = _schema_info(a), _schema_info(b)
    if info_a is None or info_b is None:
        return False
    if info_a.kind != info_b.kind:
        return False
    return info_a.is_a(info_b.name) or info_b.is_a(info_a.name)


def blocking_keys(record: Record) -> set[str]:
    """Return the keys under which ``record`` is filed for candidate generation.

    ``t:`` a name token (and its spelling without umlauts), ``m:`` its metaphone code (``m1:``
    for a one-word name), ``mm:`` two metaphone codes of one name,
    ``ti:`` a token with the initial of another, ``id:`` a strong identifier, ``yc:`` a birth
    year with a country.

    >>> sorted(blocking_keys(record_from_ftm(1, "Person", {
    ...     "name": "Jan Vries", "birthDate": "1971-02-03", "country": "nl"})))
    ['m:FRS', 'm:JN', 'mm:FRS|JN', 't:jan', 't:vries', 'ti:jan|v', 'ti:vries|j', 'yc:1971:nl']
    """
    return set(_prepare(record).keys)


def compare(a: Record, b: Record) -> Match:
    """Score how likely ``a`` and ``b`` are the same entity, with the reasons.

    Parameters
    ----------
    a, b : Record
        The two records.

    Returns
    -------
    Match
        ``score`` from 0 to 1 and ``factors`` that explain it, strongest first.

    Examples
    --------
    >>> a = record_from_ftm(1, "Person", {"name": "Hans Müller", "birthDate": "1965-04-01"})
    >>> b = record_from_ftm(2, "Person", {"name": "Hans Mueller", "birthDate": "1971"})
    >>> m = compare(a, b)
    >>> [f.text for f in m.factors][1]
    'different birth years 1965 / 1971 (−0.40)'
    >>> compare(a, record_from_ftm(3, "Company", {"name": "Hans Müller"})).score
    0.0
    """
    return _compare(_prepare(a), _prepare(b))


def find_candidates(
    records: Sequence[Record],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Iterable[tuple[object, object]] = (),
    max_block: int = 100,
    max_candidates: int = 12,
) -> tuple[list[Match], Stats]:
    """Find the pairs of ``records`` likely to be the same entity.

    Parameters
    ----------
    records : sequence of Record
        The records of one organisation (callers never mix organisations).
    threshold : float
        The lowest score proposed.
    exclude : iterable of (id, id)
        Pairs already reviewed, never proposed again (either order).
    max_block : int
        A blocking key held by more records than this is too common to use.
    max_candidates : int
        Each record is compared with at most this many others.

    Returns
    -------
    (list of Match, Stats)
        Matches with ``a`` < ``b`` in the records' order, best first; what the search did.

    Examples
    --------
    >>> people = [record_from_ftm(i, "Person", {"name": n}) for i, n in
    ...           enumerate(["Johanna Quandt", "Frau Johanna Quandt", "Stefan Quandt"])]
    >>> matches, stats = find_candidates(people)
    >>> [(m.a, m.b) for m in matches], stats.comparisons <= stats.all_pairs
    ([(0, 1)], True)
    """
    prepared = [_prepare(r) for r in records]
    index = Index(prepared, max_block=max_block)
    stats = Stats(records=len(records), keys=len(index.postings))
    excluded = {frozenset(p) for p in exclude}
    seen: set[tuple[int, int]] = set()
    matches: list[Match] = []
    for pos, item in enumerate(prepared):
        for other in index.candidates(item, limit=max_candidates, skip=pos, stats=stats):
            pair = (pos, other) if pos < other else (other, pos)
            if pair in seen:
                continue
            seen.add(pair)
            left, right = prepared[pair[0]], prepared[pair[1]]
            if excluded and frozenset((left.record.id, right.record.id)) in excluded:
                continue
            stats.comparisons += 1
            score, parts = _evaluate(left, right)
            if score >= threshold:
                matches.append(_match(left, right, score, parts))
    matches.sort(key=lambda m: (-m.score, str(m.a), str(m.b)))
    stats.candidates = len(matches)
    return matches, stats


def screen(
    records: Sequence[Record],
    references: Sequence[Record],
    *,
    threshold: float = SCREENING_THRESHOLD,
    max_block: int = 500,
    max_candidates: int = 20,
) -> tuple[list[Match], Stats]:
    """Match ``records`` (entities of cases) against ``references`` (a screening list).

    Returns matches with ``a`` a record's id and ``b`` a reference's id.

    >>> listed = [record_from_ftm("s1", "Vessel", {"name": "Sea Queen", "imoNumber": "9074729"})]
    >>> ours = [record_from_ftm(5, "Vessel", {"name": "Ocean Star", "imoNumber": "9074729"})]
    >>> [(m.a, m.b, m.score >= 0.98) for m in screen(ours, listed)[0]]
    [(5, 's1', True)]
    """
    listed = [_prepare(r) for r in references]
    index = Index(listed, max_block=max_block)
    stats = Stats(records=len(records), keys=len(index.postings))
    matches = []
    for record in records:
        item = _prepare(record)
        for pos in index.candidates(item, limit=max_candidates, stats=stats):
            stats.comparisons += 1
            score, parts = _evaluate(item, listed[pos])
            if score >= threshold:
                matches.append(_match(item, listed[pos], score, parts))
    matches.sort(key=lambda m: (-m.score, str(m.a), str(m.b)))
    stats.candidates = len(matches)
    return matches, stats


class Index:
    """An inverted index of blocking keys over prepared records."""

    def __init__(self, prepared: Sequence[_Prepared], *, max_block: int = 100):
        self.prepared = prepared
        self.max_block = max_block
        self.postings: dict[str, list[int]] = defaultdict(list)
        for pos, item in enumerate(prepared):
            for key in item.keys:
                self.postings[key].append(pos)

    def candidates(
        self, item: _Prepared, *, limit: int, skip: int | None = None, stats: Stats | None = None
    ) -> list[int]:
        """Return the positions of the records sharing the most evidence with ``item``."""
        evidence: dict[int, float] = defaultdict(float)
        for key in item.keys:
            posting = self.postings.get(key)
            if not posting:
                continue
            kind = key.split(":", 1)[0]
            # Identifiers are never too common; a shared one is what matters most.
            if kind != "id" and len(posting) > self.max_block:
                if stats is not None:
                    stats.skipped_blocks += 1
                continue
            weight = _KEY_WEIGHTS[kind]
            for pos in posting:
                evidence[pos] += weight
        evidence.pop(skip, None)
        strong = [(w, pos) for pos, w in evidence.items() if w >= _MIN_EVIDENCE]
        if len(strong) > limit:
            strong = heapq.nlargest(limit, strong)
        return [pos for _w, pos in strong]


# --- merge plans -----------------------------------------------------------------------------


def stronger_role(a: str, b: str) -> str:
    """Return the role kept when an entity holds roles ``a`` and ``b`` in one case.

    >>> stronger_role("suspect", "associate"), stronger_role("suspect", "victim")
    ('suspect', 'victim')
    """
    order = {role: rank for rank, role in enumerate(CASE_ROLE_PRECEDENCE)}
    return min((a, b), key=lambda role: order.get(role, len(order)))


def merge_plan(
    keep: Mapping,
    merge: Mapping,
    *,
    relations: Sequence[Mapping] = (),
    case_links: Sequence[Mapping] = (),
    identifiers: Sequence[tuple[int, str, str]] = (),
    assets: Mapping[int, Mapping] | None = None,
    asset_rows: Mapping[str, Sequence[Mapping]] | None = None,
    now: datetime | None = None,
) -> MergePlan:
    """Plan the merge of entity ``merge`` into entity ``keep`` (the survivor).

    Rules
        - Both must belong to the same organisation, be distinct, not merged already, and of
          compatible schemata (:func:`is_compatible`).
        - Relations of ``merge`` move to ``keep``; one between the two stays on the merged
          record (moved, it would link the survivor to itself).
        - Case roles: where only ``merge`` is in a case, its link moves. Where both are, one
          link stays (the survivor's) with the role of :func:`stronger_role`, the better-known
          grade, ``as_asset`` if either was, and a note naming the role that gave way; the
          other link is removed (and restored by an undo).
        - Identifiers move; one the survivor already has is removed from the merged record.
        - Properties: the survivor gains the values it lacks; the merged record's names become
          aliases.
        - Assets: an asset's legal history (decisions, valuations, ledger, managers) moves with
          it. When both are assets with a legal state beyond ``traced``, the merge is refused:
          two histories of two things cannot become one (annul the mistaken decisions first,
          or keep them apart). When one is still traced, the survivor takes the other's state.
        - The merged record stays, with ``merged_into_id`` pointing to the survivor.

    Parameters
    ----------
    keep, merge : mapping
        ``entity`` rows (``id``, ``organisation_id``, ``schema``, ``properties`` as JSON text,
        ``merged_into_id``, ``updated_at``).
    relations : sequence of mapping
        ``relation`` rows touching ``merge`` (``id``, ``source_id``, ``target_id``, ``schema``).
    case_links : sequence of mapping
        Whole ``case_entity`` rows of both entities.
    identifiers : sequence of (entity_id, kind, value)
        ``entity_identifier`` rows of both entities.
    assets : mapping of entity id to mapping
        Whole ``asset`` rows of either entity, when it is an asset.
    asset_rows : mapping of table name to rows
        Rows pointing at the merged entity's asset: ``decision_asset`` (whole rows),
        ``valuation``, ``ledger_entry``, ``manager_assignment`` (``id`` and ``asset_id``), and
        under ``"keep_decision_asset"`` the survivor's ``decision_asset`` rows.
    now : datetime
        The time written to ``updated_at``.

    Raises
    ------
    MergeRefused
        With the reason, when the merge must not happen.

    Examples
    --------
    >>> keep = {"id": 1, "organisation_id": 9, "schema": "Person", "merged_into_id": None,
    ...         "properties": '{"name": ["Jan de Vries"]}', "updated_at": None}
    >>> merge = dict(keep, id=2, properties='{"name": ["J. de Vries"], "country": ["nl"]}')
    >>> plan = merge_plan(keep, merge, case_links=[
    ...     {"id": 10, "case_id": 4, "entity_id": 1, "role": "associate", "source_grade": None,
    ...      "info_grade": None, "as_asset": False, "note": None},
    ...     {"id": 11, "case_id": 4, "entity_id": 2, "role": "suspect", "source_grade": "B",
    ...      "info_grade": "2", "as_asset": False, "note": None}])
    >>> plan.summary["case_roles"]
    [{'case_id': 4, 'action': 'combined', 'role': 'suspect', 'roles': ['associate', 'suspect']}]
    >>> [op["op"] + " " + op["table"] for op in plan.operations]
    ['update case_entity', 'delete case_entity', 'update entity', 'update entity']
    """
    _check_mergeable(keep, merge)
    keep_id, merge_id = keep["id"], merge["id"]
    plan = MergePlan(keep=keep_id, merge=merge_id)
    ops = plan.operations
    summary = plan.summary
    summary.update(
        keep=keep_id,
        merge=merge_id,
        relations=[],
        relations_left=[],
        case_roles=[],
        identifiers=[],
        asset=None,
        decisions=[],
        valuations=[],
        ledger_entries=[],
        manager_assignments=[],
        properties_added={},
    )

    for rel in sorted(relations, key=lambda r: r["id"]):
        ends = {rel["source_id"], rel["target_id"]}
        if keep_id in ends and merge_id in ends:
            summary["relations_left"].append(rel["id"])
            continue
        changes = {}
        for column in ("source_id", "target_id"):
            if rel[column] == merge_id:
                changes[column] = [merge_id, keep_id]
        if changes:
            ops.append(_update("relation", {"id": rel["id"]}, changes))
            summary["relations"].append(rel["id"])

    _plan_case_links(ops, summary, keep_id, merge_id, case_links)
    _plan_identifiers(ops, summary, keep_id, merge_id, identifiers)
    _plan_assets(ops, summary, keep_id, merge_id, assets or {}, asset_rows or {}, now)

    keep_props = json.loads(keep.get("properties") or "{}")
    merge_props = json.loads(merge.get("properties") or "{}")
    combined, added = _combine_properties(keep["schema"], keep_props, merge_props)
    summary["properties_added"] = added
    keep_changes = {"updated_at": [keep.get("updated_at"), now]}
    if added:
        keep_changes["properties"] = [
            keep.get("properties"),
            json.dumps(combined, ensure_ascii=False, sort_keys=True),
        ]
    ops.append(_update("entity", {"id": keep_id}, keep_changes))
    ops.append(
        _update(
            "entity",
            {"id": merge_id},
            {"merged_into_id": [None, keep_id], "updated_at": [merge.get("updated_at"), now]},
        )
    )
    return plan


def N_(msgid: str) -> str:
    """Mark ``msgid`` for translation without translating it (gettext_noop)."""
    return msgid


# --- helpers: records and names --------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str
    phon: str | None
    symbols: frozenset[str]
    # The German spelling without umlauts ("mueller" for "müller"), when it differs.
    alt: str | None = None


@dataclass(frozen=True)
class _Name:
    original: str
    tokens: tuple[_Token, ...]
    legal: tuple[str, ...]
    joined: str = ""


@dataclass(frozen=True)
class _Prepared:
    record: Record
    names: tuple[_Name, ...]
    keys: tuple[str, ...]
    years: frozenset[str]


def _values(raw) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    out = []
    for item in items:
        text = str(item).strip()
        if text and not ftm_schema.is_marker(text):
            out.append(text)
    return out


@lru_cache(maxsize=256)
def _schema_info(name: str):
    name = _PARENT_SCHEMA.get(name, name)
    if not ftm_schema.is_native_schema(name):
        return None
    return ftm_schema.get_schema(name)


def _identifiers(schema: str, properties: Mapping) -> set[tuple[str, str]]:
    info = _schema_info(schema)
    if info is None:
        return set()
    clean = {k: _values(v) for k, v in properties.items()}
    try:
        keys = ftm_schema.identity_keys(info.name, clean)
    except ftm_schema.SchemaError:
        return set()
    return {(key[0], ":".join(key[1:])) for key in keys}


def _kind(schema: str):
    info = _schema_info(schema)
    return info.kind if info is not None else None


@lru_cache(maxsize=256)
def _type_tag(schema: str) -> NameTypeTag:
    info = _schema_info(schema)
    if info is None:
        return NameTypeTag.ENT
    if info.is_a("Person"):
        return NameTypeTag.PER
    if info.is_a("Organization"):
        return NameTypeTag.ORG
    if info.kind == ftm_schema.Kind.PARTY:
        return NameTypeTag.ENT
    return NameTypeTag.OBJ


_SYMBOL_CATEGORIES = frozenset({"NAME", "NICK"})


@lru_cache(maxsize=200_000)
def _analyse(tag: NameTypeTag, text: str) -> tuple[_Name, ...]:
    out = []
    for name in analyze_names(tag, [text], consolidate=False, numerics=False):
        symbols: dict[int, set[str]] = defaultdict(set)
        for span in name.spans:
            if len(span.parts) == 1 and span.symbol.category.value in _SYMBOL_CATEGORIES:
                symbols[span.parts[0].index].add(span.symbol.id)
        tokens, legal = [], []
        for part in name.parts:
            if part.tag.value == "LEGAL":
                legal.append(part.comparable)
            elif part.comparable:
                alt = _umlauts(part.form)
                tokens.append(
                    _Token(
                        part.comparable,
                        part.metaphone,
                        frozenset(symbols.get(part.index, ())),
                        alt if alt != part.comparable else None,
                    )
                )
        if tokens:
            out.append(_Name(text, tuple(tokens), tuple(legal), "".join(t.text for t in tokens)))
    return tuple(out)


def _prepare(record: Record) -> _Prepared:
    tag = _type_tag(record.schema)
    names: list[_Name] = []
    for text in record.names:
        names.extend(_analyse(tag, text[:300]))
    keys: set[str] = set()
    for name in names:
        phons = set()
        for token in name.tokens:
            if len(token.text) < 2:
                continue
            keys.add("t:" + token.text)
            if token.alt:
                keys.add("t:" + token.alt)  # "Müller" is also filed as "mueller"
            if token.phon and len(token.phon) >= 2:
                keys.add("m:" + token.phon)
                phons.add(token.phon)
                if len(name.tokens) == 1:
                    keys.add("m1:" + token.phon)  # the sound of a one-word name ("Atlas BV")
        if 1 < len(phons) <= 6:
            keys.update("mm:" + "|".join(pair) for pair in combinations(sorted(phons), 2))
        # A token with the initial of another: "jan|v" still meets "Jan Vriess" when "jan" is
        # too common to use alone and the typo broke the other keys.
        texts = [t.text for t in name.tokens if len(t.text) >= 3]
        if 1 < len(texts) <= 6:
            keys.update(f"ti:{x}|{y[0]}" for x in texts for y in texts if x != y)
    for kind, value in record.identifiers:
        keys.add(f"id:{kind}:{value}")
    years = frozenset(d[:4] for d in record.birth_dates)
    for year in years:
        for country in record.countries:
            keys.add(f"yc:{year}:{country}")
    return _Prepared(record, tuple(names), tuple(sorted(keys)), years)


def _token_similarity(a: _Token, b: _Token) -> float:
    if a.text == b.text:
        return 1.0
    if (a.alt or a.text) == (b.alt or b.text):
        return 0.97  # "Müller" written "Mueller": the same name, spelled for a keyboard
    if a.symbols & b.symbols:
        return 0.9
    short, long = (a.text, b.text) if len(a.text) <= len(b.text) else (b.text, a.text)
    if len(short) == 1:
        # An initial: "J" for "Jan".
        return 0.8 if long.startswith(short) else 0.0
    if len(short) <= 2:
        return 0.0
    similarity = 1.0 - levenshtein(a.text, b.text) / len(long)
    if a.phon and a.phon == b.phon and len(a.phon) >= 2:
        similarity = max(similarity, 0.85)
    return similarity if similarity >= 0.6 else 0.0


# Token pairs recur across an organisation's names: their similarity is computed once.
_TOKEN_CACHE: dict[tuple, float] = {}

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _umlauts(form: str) -> str | None:
    if not any(c in form for c in "äöüß"):
        return None
    return ascii_text(form.translate(_UMLAUTS)).lower()


def _name_similarity(a: _Name, b: _Name) -> float:
    if a.joined == b.joined:
        return 1.0
    pairs = []
    cache = _TOKEN_CACHE
    for i, ta in enumerate(a.tokens):
        for j, tb in enumerate(b.tokens):
            key = (ta.text, ta.alt, tb.text, tb.alt)
            sim = cache.get(key)
            if sim is None:
                if len(cache) > 500_000:
                    cache.clear()
                sim = cache[key] = _token_similarity(ta, tb)
            if sim > 0:
                pairs.append((sim, i, j))
    pairs.sort(reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    matched = 0.0
    weight = 0.0
    for sim, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        size = len(a.tokens[i].text) + len(b.tokens[j].text)
        matched += sim * size
        weight += size
    extra_a = sum(len(t.text) for k, t in enumerate(a.tokens) if k not in used_a)
    extra_b = sum(len(t.text) for k, t in enumerate(b.tokens) if k not in used_b)
    # A name contained in the other ("Schnabel" in "Hermann Schnabel"): the surplus counts half.
    contained = (len(used_a) == len(a.tokens) or len(used_b) == len(b.tokens)) and matched
    extras = (extra_a + extra_b) * (0.5 if contained else 1.0)
    by_tokens = matched / (weight + extras) if weight + extras else 0.0
    if by_tokens >= 0.95:
        return by_tokens
    # Tokens split or joined differently ("Al Rashid" / "Alrashid").
    joined_a, joined_b = a.joined, b.joined
    longest = max(len(joined_a), len(joined_b))
    by_letters = 1.0 - levenshtein(joined_a, joined_b) / longest if longest else 0.0
    return max(by_tokens, by_letters if by_letters >= 0.8 else 0.0)


def _compare(a: _Prepared, b: _Prepared) -> Match:
    score, parts = _evaluate(a, b)
    return _match(a, b, score, parts)


def _match(a: _Prepared, b: _Prepared, score: float, parts: list) -> Match:
    factors = tuple(
        Factor(code, Msg(msgid, **params), weight) for code, msgid, params, weight in parts
    )
    return Match(a.record.id, b.record.id, score, factors)


def _evaluate(a: _Prepared, b: _Prepared) -> tuple[float, list]:
    """Return the score and its parts as (code, msgid, params, weight), messages unbuilt.

    Most compared pairs are not proposed: their messages are never formatted.
    """
    ra, rb = a.record, b.record
    if not is_compatible(ra.schema, rb.schema):
        return 0.0, [
            (
                "schema",
                N_("a {a} is never the same as a {b}"),
                {"a": ra.schema, "b": rb.schema},
                0.0,
            )
        ]
    parts: list = []
    best, best_pair = 0.0, None
    for na in a.names:
        for nb in b.names:
            sim = _name_similarity(na, nb)
            if sim > best:
                best, best_pair = sim, (na.original, nb.original)
    if best_pair is not None:
        if best_pair[0] == best_pair[1]:
            parts.append(("name", N_("same name '{name}'"), {"name": best_pair[0]}, _W_NAME * best))
        else:
            parts.append(
                (
                    "name",
                    N_("names '{a}' and '{b}' are {percent} % similar"),
                    {"a": best_pair[0], "b": best_pair[1], "percent": int(best * 100)},
                    _W_NAME * best,
                )
            )
    elif a.names and b.names:
        parts.append(("name", N_("the names have nothing in common"), {}, 0.0))

    shared_ids = ra.identifiers & rb.identifiers if ra.identifiers and rb.identifiers else ()
    if not shared_ids and ra.identifiers and rb.identifiers:
        kinds_b = {kind for kind, _ in rb.identifiers}
        for kind in sorted({kind for kind, _ in ra.identifiers} & kinds_b):
            parts.append(
                (
                    "identifier",
                    N_("different {kind}: {a} / {b}"),
                    {
                        "kind": _IDENTIFIER_LABELS.get(kind, kind),
                        "a": ", ".join(sorted(v for k, v in ra.identifiers if k == kind)),
                        "b": ", ".join(sorted(v for k, v in rb.identifiers if k == kind)),
                    },
                    _W_OTHER_IDENTIFIER,
                )
            )
            break
    if ra.birth_dates and rb.birth_dates:
        parts.append(_birth_part(a, b))
    if ra.countries and rb.countries:
        parts.append(_country_part(ra, rb))

    score = sum(part[3] for part in parts)
    if shared_ids:
        kind, value = sorted(shared_ids)[0]
        lift = max(_IDENTIFIER_FLOOR - score, 0.25)
        parts.insert(
            0,
            (
                "identifier",
                N_("both have {kind} {value} (near-certain)"),
                {"kind": _IDENTIFIER_LABELS.get(kind, kind), "value": value},
                lift,
            ),
        )
        score += lift
    if ra.schema != rb.schema and _kind(ra.schema) == ftm_schema.Kind.PARTY:
        parts.append(
            (
                "schema",
                N_("kinds {a} and {b} can describe one party"),
                {"a": ra.schema, "b": rb.schema},
                0.0,
            )
        )
    return round(min(1.0, max(0.0, score)), 4), parts


_IDENTIFIER_LABELS = {
    "imoNumber": "IMO",
    "iban": "IBAN",
    "leiCode": "LEI",
    "isin": "ISIN",
    "figiCode": "FIGI",
    "registrationNumber": "registration number",
    "publicKey": "wallet address",
    "vin": "VIN",
}


def _birth_part(a: _Prepared, b: _Prepared) -> tuple:
    dates_a, dates_b = set(a.record.birth_dates), set(b.record.birth_dates)
    same = sorted(d for d in dates_a & dates_b if len(d) >= 10)
    if same:
        return ("birth", N_("same birth date {date}"), {"date": same[0]}, _W_SAME_BIRTH_DATE)
    years = sorted(a.years & b.years)
    if years:
        full_a = sorted(d for d in dates_a if len(d) >= 10 and d[:4] in years)
        full_b = sorted(d for d in dates_b if len(d) >= 10 and d[:4] in years)
        if full_a and full_b:
            return (
                "birth",
                N_("same birth year, different dates {a} / {b}"),
                {"a": full_a[0], "b": full_b[0]},
                _W_SAME_YEAR_OTHER_DAY,
            )
        return ("birth", N_("same birth year {year}"), {"year": years[0]}, _W_SAME_BIRTH_YEAR)
    return (
        "birth",
        N_("different birth years {a} / {b}"),
        {"a": ", ".join(sorted(a.years)), "b": ", ".join(sorted(b.years))},
        _W_OTHER_BIRTH_YEAR,
    )


def _country_part(a: Record, b: Record) -> tuple:
    shared = sorted(a.countries & b.countries)
    if shared:
        codes = ", ".join(c.upper() for c in shared)
        if _type_tag(a.schema) == NameTypeTag.PER:
            return (
                "country",
                N_("both linked to {country}"),
                {"country": codes},
                _W_SHARED_COUNTRY,
            )
        return (
            "country",
            N_("both registered in {country}"),
            {"country": codes},
            _W_SHARED_COUNTRY,
        )
    return (
        "country",
        N_("different countries {a} / {b}"),
        {
            "a": ", ".join(sorted(c.upper() for c in a.countries)),
            "b": ", ".join(sorted(c.upper() for c in b.countries)),
        },
        _W_OTHER_COUNTRY,
    )


def _signed(weight: float) -> str:
    # A true minus sign: "−0.40", as a person writes it.
    return f"+{weight:.2f}" if weight >= 0 else f"\u2212{abs(weight):.2f}"


# --- helpers: merge plans --------------------------------------------------------------------


def _update(table: str, key: dict, changes: dict) -> dict:
    return {"op": "update", "table": table, "key": dict(key), "set": changes}


def _check_mergeable(keep: Mapping, merge: Mapping) -> None:
    if keep["id"] == merge["id"]:
        raise MergeRefused(Msg("an entity cannot be merged into itself"))
    if keep["organisation_id"] != merge["organisation_id"]:
        raise MergeRefused(Msg("entities of two organisations are never merged"))
    for row in (keep, merge):
        if row.get("merged_into_id") is not None:
            raise MergeRefused(
                Msg(
                    "entity {id} was already merged into entity {into}",
                    id=row["id"],
                    into=row["merged_into_id"],
                )
            )
    if not is_compatible(keep["schema"], merge["schema"]):
        raise MergeRefused(
            Msg("a {a} is never the same as a {b}", a=keep["schema"], b=merge["schema"])
        )


def _plan_case_links(ops, summary, keep_id, merge_id, case_links) -> None:
    kept = {link["case_id"]: link for link in case_links if link["entity_id"] == keep_id}
    for link in sorted(case_links, key=lambda row: row["id"]):
        if link["entity_id"] != merge_id:
            continue
        survivor = kept.get(link["case_id"])
        if survivor is None:
            ops.append(
                _update("case_entity", {"id": link["id"]}, {"entity_id": [merge_id, keep_id]})
            )
            summary["case_roles"].append(
                {"case_id": link["case_id"], "action": "moved", "role": link["role"]}
            )
            continue
        role = stronger_role(survivor["role"], link["role"])
        changes: dict = {}
        if role != survivor["role"]:
            changes["role"] = [survivor["role"], role]
        for grade in ("source_grade", "info_grade"):
            if survivor.get(grade) is None and link.get(grade) is not None:
                changes[grade] = [None, link[grade]]
        if link.get("as_asset") and not survivor.get("as_asset"):
            changes["as_asset"] = [survivor.get("as_asset"), True]
        gave_way = survivor["role"] if role != survivor["role"] else link["role"]
        if gave_way != role or link.get("note"):
            lines = [survivor.get("note")] if survivor.get("note") else []
            lines.append(f"Merged from entity {merge_id}: also recorded as {gave_way}.")
            if link.get("note"):
                lines.append(link["note"])
            changes["note"] = [survivor.get("note"), "\n".join(lines)]
        if changes:
            ops.append(_update("case_entity", {"id": survivor["id"]}, changes))
        ops.append({"op": "delete", "table": "case_entity", "row": dict(link)})
        summary["case_roles"].append(
            {
                "case_id": link["case_id"],
                "action": "combined",
                "role": role,
                "roles": [survivor["role"], link["role"]],
            }
        )


def _plan_identifiers(ops, summary, keep_id, merge_id, identifiers) -> None:
    held = {(kind, value) for entity, kind, value in identifiers if entity == keep_id}
    for entity, kind, value in sorted(identifiers):
        if entity != merge_id:
            continue
        row = {"entity_id": merge_id, "kind": kind, "value": value}
        if (kind, value) in held:
            ops.append({"op": "delete", "table": "entity_identifier", "row": row})
        else:
            ops.append(
                _update(
                    "entity_identifier",
                    row,
                    {"entity_id": [merge_id, keep_id]},
                )
            )
            summary["identifiers"].append([kind, value])


_ASSET_STATE = (
    "stage",
    "urgent_unconfirmed",
    "urgent_expires_on",
    "confiscation_final",
    "last_decided_on",
    "manager",
)


def _plan_assets(ops, summary, keep_id, merge_id, assets, asset_rows, now) -> None:
    kept, merged = assets.get(keep_id), assets.get(merge_id)
    if merged is None:
        return
    if kept is not None and kept["stage"] != "traced" and merged["stage"] != "traced":
        raise MergeRefused(
            Msg(
                "both are assets with a legal state ({a} / {b}): merging would mix the "
                "histories of two things. Merge only when one of them is still traced, "
                "or annul the mistaken decisions first.",
                a=kept["stage"],
                b=merged["stage"],
            )
        )
    keep_decisions = {row["decision_id"] for row in asset_rows.get("keep_decision_asset", ())}
    clash = sorted(
        row["decision_id"]
        for row in asset_rows.get("decision_asset", ())
        if row["decision_id"] in keep_decisions
    )
    if clash:
        raise MergeRefused(
            Msg("decision {id} covers both assets: annul it before merging", id=clash[0])
        )
    if kept is None:
        row = dict(merged, entity_id=keep_id, updated_at=now)
        ops.append({"op": "insert", "table": "asset", "row": row})
        summary["asset"] = {"action": "moved", "stage": merged["stage"], "state_from": merge_id}
    else:
        changes = {}
        state_from = keep_id
        if kept["stage"] == "traced" and merged["stage"] != "traced":
            state_from = merge_id
            for column in (*_ASSET_STATE, "currency"):
                if kept.get(column) != merged.get(column):
                    changes[column] = [kept.get(column), merged.get(column)]
            if merged.get("estimated_value") is not None:
                if kept.get("estimated_value") != merged["estimated_value"]:
                    changes["estimated_value"] = [
                        kept.get("estimated_value"),
                        merged["estimated_value"],
                    ]
        elif kept.get("estimated_value") is None and merged.get("estimated_value") is not None:
            changes["estimated_value"] = [None, merged["estimated_value"]]
            changes["currency"] = [kept.get("currency"), merged.get("currency")]
        # A new version: a decision prepared against the old state must be made again.
        version = max(kept.get("version") or 1, merged.get("version") or 1) + 1
        changes["version"] = [kept.get("version"), version]
        changes["updated_at"] = [kept.get("updated_at"), now]
        ops.append(_update("asset", {"entity_id": keep_id}, changes))
        summary["asset"] = {
            "action": "combined",
            "stage": merged["stage"] if state_from == merge_id else kept["stage"],
            "state_from": state_from,
        }
    for row in sorted(asset_rows.get("decision_asset", ()), key=lambda r: r["decision_id"]):
        ops.append(
            _update(
                "decision_asset",
                {"decision_id": row["decision_id"], "asset_id": merge_id},
                {"asset_id": [merge_id, keep_id]},
            )
        )
        summary["decisions"].append(row["decision_id"])
    for table, label in (
        ("valuation", "valuations"),
        ("ledger_entry", "ledger_entries"),
        ("manager_assignment", "manager_assignments"),
    ):
        for row in sorted(asset_rows.get(table, ()), key=lambda r: r["id"]):
            ops.append(_update(table, {"id": row["id"]}, {"asset_id": [merge_id, keep_id]}))
            summary[label].append(row["id"])
    ops.append({"op": "delete", "table": "asset", "row": dict(merged)})


def _combine_properties(schema: str, keep: dict, merge: dict) -> tuple[dict, dict]:
    combined = {prop: list(_as_list(values)) for prop, values in keep.items()}
    added: dict[str, list[str]] = {}
    info = _schema_info(schema)
    has_alias = info is not None and "alias" in info.properties
    for prop, values in merge.items():
        target = "alias" if prop == "name" and has_alias else prop
        current = combined.setdefault(target, [])
        known = set(current) | (set(combined.get("name", [])) if target == "alias" else set())
        for value in _as_list(values):
            if value in known or ftm_schema.is_marker(value):
                continue
            if current and all(ftm_schema.is_marker(v) for v in current):
                current.clear()  # a real value replaces "unknown"
            current.append(value)
            known.add(value)
            added.setdefault(target, []).append(value)
        if not current:
            del combined[target]
    return combined, added


def _as_list(values) -> list[str]:
    if values is None:
        return []
    return [values] if isinstance(values, str) else [str(v) for v in values]
