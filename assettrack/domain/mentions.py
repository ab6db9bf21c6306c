"""Protected names found in other text, and the issuing officer's choices about them.

DOMAIN.md "Sharing, marking and redaction" and DECISIONS.md "#10 Disclosure": a victim, witness
or ``other`` person is replaced by its label wherever *it* appears; another entity's name is never
rewritten into a label. When another entity's name or a free text contains a protected name, the
text is compared normalised (case, accents, transliteration, word order: "Müller" is "Mueller",
"Šimić" is "Simic", "Smit, Marieke" is "Marieke Smit") and the match becomes a *mention*:

========================  ================  ==========================  =====================
where                     match             default                     the officer may
========================  ================  ==========================  =====================
another entity's name     full name         mask the part (``█████``)   mask, withhold
another entity's name     partial           keep                        keep, mask, withhold
free text (notes, ...)    full name         mask the part               mask, withhold
free text (notes, ...)    partial           mask the part               mask, keep, withhold
========================  ================  ==========================  =====================

A partial match is a part of a person's name (a surname, a given name, "M. Smit"). A full name
is never kept: the protected person's name must appear nowhere in what leaves. *Withhold* drops
the entity whose name it is (for a free text: the whole text). Masking never writes a label — a
label would state that the text speaks of that person, which a namesake makes false.

Everything here is pure: :func:`protected_mentions` lists the mentions of some texts, each with a
stable key made of where it is, which protected entity, and a hash of the text, so a choice made
for an earlier report is offered again (:func:`prefill`) until the text changes;
:func:`apply_choices` produces the redacted texts and the entities withheld.
"""

import hashlib
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import lru_cache

from normality import ascii_text
from rigour.names import remove_org_types

__all__ = [
    "MASK",
    "KEEP",
    "WITHHOLD",
    "FULL",
    "PARTIAL",
    "NAME",
    "TEXT",
    "MASK_MARK",
    "Protected",
    "TextField",
    "Mention",
    "Applied",
    "find_spans",
    "protected_mentions",
    "prefill",
    "invalid_choices",
    "apply_choices",
    "redact_text",
    "mention_key",
]

KEEP = "keep"
MASK = "mask"
WITHHOLD = "withhold"
FULL = "full"
PARTIAL = "partial"
#: Kinds of text: another entity's name, or a free text (note, summary, decision text...).
NAME = "name"
TEXT = "text"
#: The visible redaction mark.
MASK_MARK = "█████"

# (kind, match) -> (default, options allowed)
_RULES = {
    (NAME, FULL): (MASK, (MASK, WITHHOLD)),
    (NAME, PARTIAL): (KEEP, (KEEP, MASK, WITHHOLD)),
    (TEXT, FULL): (MASK, (MASK, WITHHOLD)),
    (TEXT, PARTIAL): (MASK, (MASK, KEEP, WITHHOLD)),
}
# Parts of names too common to match on their own (particles, titles).
_PARTICLES = frozenset(
    {
        "van",
        "von",
        "der",
        "den",
        "del",
        "della",
        "des",
        "les",
        "het",
        "ter",
        "ten",
        "de",
        "da",
        "di",
        "du",
        "la",
        "le",
        "el",
        "al",
        "bin",
        "ben",
        "mr",
        "mrs",
        "dr",
        "the",
    }
)
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Protected:
    """A protected entity as the detection needs it: its names and whether it is a person.

    ``names`` are its full names (name, aliases, previous names); ``given`` its given names
    (their initials make "M. Smit" a mention of Marieke Smit).
    """

    id: int
    label: str
    names: tuple[str, ...]
    is_person: bool = True
    given: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextField:
    """A text of a document: ``where`` it is ("case:3:summary", "entity:12:name"), its kind
    (:data:`NAME` of entity ``entity_id``, or :data:`TEXT`) and the text itself."""

    where: str
    text: str
    kind: str = TEXT
    entity_id: int | None = None


@dataclass(frozen=True)
class Mention:
    """A protected entity's name found in a text, with what may be done about it."""

    key: str
    kind: str
    match: str
    protected_id: int
    label: str
    text: str
    spans: tuple[tuple[int, int], ...]
    entity_id: int | None
    places: tuple[str, ...]
    default: str
    options: tuple[str, ...]

    def as_dict(self) -> dict:
        """The mention as plain JSON values (for a preview or an API answer)."""
        return {
            "key": self.key,
            "kind": self.kind,
            "match": self.match,
            "protected_id": self.protected_id,
            "label": self.label,
            "text": self.text,
            "found": [self.text[a:b] for a, b in self.spans],
            "entity_id": self.entity_id,
            "places": list(self.places),
            "default": self.default,
            "options": list(self.options),
        }


@dataclass
class Applied:
    """The result of :func:`apply_choices`: every text as it leaves, and what is withheld."""

    texts: dict[str, str] = field(default_factory=dict)
    withheld_entities: set[int] = field(default_factory=set)
    withheld_places: set[str] = field(default_factory=set)


def find_spans(text: str, protected: Protected) -> list[tuple[int, int, str]]:
    """Return where ``protected``'s names appear in ``text``: ``(start, end, FULL|PARTIAL)``.

    Compared normalised: case, accents, transliteration and word order do not matter.

    Examples
    --------
    >>> smit = Protected(1, "Other 1", ("Marieke Smit",), given=("Marieke",))
    >>> find_spans("Smit Havenservice BV", smit)
    [(0, 4, 'partial')]
    >>> text = "Seen with SMIT, Marieke and M. Smit"
    >>> [text[a:b] + ":" + m for a, b, m in find_spans(text, smit)]
    ['SMIT, Marieke:full', 'M. Smit:partial']
    >>> muller = Protected(2, "Victim 1", ("Jürgen Müller",), given=("Jürgen",))
    >>> [m for _a, _b, m in find_spans("paid to Juergen Mueller", muller)]
    ['full']
    """
    if not text:
        return []
    tokens = [(m.start(), m.end(), _canon(m.group(0))) for m in _TOKEN.finditer(text)]
    used = [False] * len(tokens)
    spans: list[tuple[int, int, str]] = []
    for name in _full_forms(protected):
        size = len(name)
        for i in range(len(tokens) - size + 1):
            if any(used[i : i + size]):
                continue
            if sorted(t[2] for t in tokens[i : i + size]) == name:
                spans.append((tokens[i][0], tokens[i + size - 1][1], FULL))
                for j in range(i, i + size):
                    used[j] = True
    if protected.is_person:
        parts = _parts(protected)
        initials = {g[0] for g in (_canon(n) for n in protected.given) if g}
        for i, (start, end, canon) in enumerate(tokens):
            if used[i] or canon not in parts:
                continue
            used[i] = True
            # An initial of a given name next to the surname belongs to the mention: "M. Smit".
            if i > 0 and not used[i - 1] and _is_initial(tokens[i - 1], initials):
                start = tokens[i - 1][0]
                used[i - 1] = True
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            if after and not used[i + 1] and _is_initial(after, initials):
                end = after[1] + (1 if text[after[1] : after[1] + 1] == "." else 0)
                used[i + 1] = True
            spans.append((start, end, PARTIAL))
    return sorted(spans)


def protected_mentions(
    fields: Iterable[TextField], protected: Iterable[Protected]
) -> list[Mention]:
    """Return the mentions of protected names in ``fields``, one per text and protected entity.

    A protected entity's own name is not a mention of anything (it is shown by its label).
    The same text in several places is one mention (its ``places`` lists them), so one choice
    covers it everywhere.

    Examples
    --------
    >>> smit = Protected(1, "Other 1", ("Marieke Smit",), given=("Marieke",))
    >>> fields = [
    ...     TextField("entity:2:name", "Smit Havenservice BV", NAME, 2),
    ...     TextField("entity:3:name", "Smit Trader", NAME, 3),
    ...     TextField("case:9:summary", "M. Smit signed for Smit Havenservice BV."),
    ... ]
    >>> [(m.kind, m.match, m.default) for m in protected_mentions(fields, [smit])]
    [('name', 'partial', 'keep'), ('name', 'partial', 'keep'), ('text', 'partial', 'mask')]
    """
    protected = list(protected)
    found: dict[str, Mention] = {}
    for text_field in fields:
        for person in protected:
            if text_field.kind == NAME and text_field.entity_id == person.id:
                continue
            spans = find_spans(text_field.text, person)
            if not spans:
                continue
            match = FULL if any(m == FULL for _a, _b, m in spans) else PARTIAL
            key = _key(text_field, person.id)
            known = found.get(key)
            if known is not None:
                found[key] = replace(known, places=(*known.places, text_field.where))
                continue
            default, options = _RULES[(text_field.kind, match)]
            found[key] = Mention(
                key=key,
                kind=text_field.kind,
                match=match,
                protected_id=person.id,
                label=person.label,
                text=text_field.text,
                spans=tuple((a, b) for a, b, _m in spans),
                entity_id=text_field.entity_id,
                places=(text_field.where,),
                default=default,
                options=options,
            )
    return list(found.values())


def prefill(mentions: Iterable[Mention], earlier: Mapping[str, str] | None) -> dict[str, str]:
    """Return a choice for every mention: the earlier one when its text is unchanged and the
    choice is still allowed, else the default. Choices for texts that changed are dropped.

    >>> smit = Protected(1, "Other 1", ("Marieke Smit",))
    >>> [m] = protected_mentions([TextField("e:2", "Smit Trader", NAME, 2)], [smit])
    >>> prefill([m], {m.key: "withhold", "gone": "keep"}) == {m.key: "withhold"}
    True
    """
    earlier = earlier or {}
    return {
        m.key: earlier[m.key] if earlier.get(m.key) in m.options else m.default for m in mentions
    }


def invalid_choices(mentions: Iterable[Mention], choices: Mapping[str, str]) -> dict[str, str]:
    """Return ``{key: reason}`` for the choices that do not fit a mention (empty: all fit).

    >>> smit = Protected(1, "Other 1", ("Marieke Smit",))
    >>> [m] = protected_mentions([TextField("e:2", "Marieke Smit BV", NAME, 2)], [smit])
    >>> invalid_choices([m], {m.key: "keep", "x": "mask"}) == {
    ...     m.key: "not allowed for this mention", "x": "unknown mention"}
    True
    """
    by_key = {m.key: m for m in mentions}
    errors = {}
    for key, choice in choices.items():
        mention = by_key.get(key)
        if mention is None:
            errors[key] = "unknown mention"
        elif choice not in mention.options:
            errors[key] = "not allowed for this mention"
    return errors


def apply_choices(
    fields: Iterable[TextField],
    mentions: Iterable[Mention],
    choices: Mapping[str, str] | None = None,
) -> Applied:
    """Return the texts of ``fields`` as they leave, and what is withheld, under ``choices``.

    A mention without a choice takes its default. *Mask* replaces the found parts by
    :data:`MASK_MARK`; *withhold* drops the entity whose name it is (``withheld_entities``), or
    for a free text the whole text (its places in ``withheld_places``, its text the mark).

    >>> smit = Protected(1, "Other 1", ("Marieke Smit",), given=("Marieke",))
    >>> fields = [TextField("e:2", "Smit Havenservice BV", NAME, 2),
    ...           TextField("note", "Call M. Smit tomorrow")]
    >>> mentions = protected_mentions(fields, [smit])
    >>> applied = apply_choices(fields, mentions)
    >>> applied.texts
    {'e:2': 'Smit Havenservice BV', 'note': 'Call █████ tomorrow'}
    >>> applied = apply_choices(fields, mentions, {mentions[0].key: "mask"})
    >>> applied.texts["e:2"]
    '█████ Havenservice BV'
    """
    fields = list(fields)
    chosen = prefill(mentions := list(mentions), choices)
    by_place: dict[str, list[Mention]] = {}
    for mention in mentions:
        for place in mention.places:
            by_place.setdefault(place, []).append(mention)
    applied = Applied()
    for text_field in fields:
        masked: list[tuple[int, int]] = []
        withheld = False
        for mention in by_place.get(text_field.where, []):
            choice = chosen[mention.key]
            if choice == WITHHOLD:
                withheld = True
                if mention.kind == NAME and mention.entity_id is not None:
                    applied.withheld_entities.add(mention.entity_id)
            elif choice == MASK:
                masked.extend(mention.spans)
        if withheld:
            applied.withheld_places.add(text_field.where)
            applied.texts[text_field.where] = MASK_MARK
        else:
            applied.texts[text_field.where] = _mask(text_field.text, masked)
    return applied


def redact_text(
    text: str,
    protected: Iterable[Protected],
    *,
    kind: str = TEXT,
    entity_id: int | None = None,
    choices: Mapping[str, str] | None = None,
) -> tuple[str, bool]:
    """Return one text as it leaves and whether it was withheld (the one-field shortcut of
    :func:`protected_mentions` and :func:`apply_choices`).

    >>> smit = Protected(1, "Other 1", ("Marieke Smit",), given=("Marieke",))
    >>> redact_text("Smit Trader", [smit], kind=NAME, entity_id=3)
    ('Smit Trader', False)
    >>> redact_text("Statement of Marieke Smit", [smit])
    ('Statement of █████', False)
    """
    one = TextField("text", text, kind, entity_id)
    applied = apply_choices([one], protected_mentions([one], protected), choices)
    return applied.texts["text"], bool(applied.withheld_places)


def mention_key(where_kind: str, entity_id: int | None, protected_id: int, text: str) -> str:
    """The stable key of a mention: kind, entity, protected entity and a hash of the text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    owner = "" if entity_id is None else str(entity_id)
    return f"{where_kind}:{owner}:{protected_id}:{digest}"


# --- helpers -----------------------------------------------------------------------------------


def _key(text_field: TextField, protected_id: int) -> str:
    # A free text is keyed by its content only: the same words get the same choice anywhere.
    owner = text_field.entity_id if text_field.kind == NAME else None
    return mention_key(text_field.kind, owner, protected_id, text_field.text)


def _canon(token: str) -> str:
    """A token compared across scripts and spellings: ASCII, lower case, ä/ae as a."""
    folded = "".join(c for c in ascii_text(token).casefold() if c.isalnum())
    # German umlauts written out (Mueller) and folded (Muller) compare equal.
    return re.sub(r"([aou])e", r"\1", folded)


def _tokens(name: str) -> list[str]:
    return [t for t in (_canon(m.group(0)) for m in _TOKEN.finditer(name)) if t]


@lru_cache(maxsize=4096)
def _full_forms(protected: Protected) -> list[list[str]]:
    """Every full name as a sorted token list, longest first (so a longer name wins)."""
    forms = set()
    for name in protected.names:
        tokens = _tokens(name)
        if tokens:
            forms.add(tuple(sorted(tokens)))
        if not protected.is_person:  # "Rotterdam Shipping" names "Rotterdam Shipping BV" too
            bare = _tokens(remove_org_types(name))
            if bare and any(len(t) >= 3 for t in bare):
                forms.add(tuple(sorted(bare)))
    return [list(f) for f in sorted(forms, key=len, reverse=True)]


@lru_cache(maxsize=4096)
def _parts(protected: Protected) -> frozenset[str]:
    """The parts of a person's names that are a mention on their own."""
    return {
        t for name in protected.names for t in _tokens(name) if len(t) >= 3 and t not in _PARTICLES
    }


def _is_initial(token: tuple[int, int, str], initials: set[str]) -> bool:
    start, end, canon = token
    return end - start == 1 and canon in initials


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1 and not text[merged[-1][1] : start].strip():
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(text[last:start])
        out.append(MASK_MARK)
        last = end
    out.append(text[last:])
    return "".join(out)
