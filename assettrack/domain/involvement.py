"""How an entity takes part in a case: its role, the Europol 4x4 grades, the relation schemata.

Declared once here; the columns (``models.entities``) store their values under a generated CHECK,
and the forms, the API shapes and the FtM extension read them from here.
"""

from enum import StrEnum

__all__ = [
    "CASE_ROLES",
    "SOURCE_GRADES",
    "INFO_GRADES",
    "RELATION_SCHEMATA",
    "CaseRole",
    "SourceGrade",
    "InfoGrade",
    "RelationSchema",
]


class CaseRole(StrEnum):
    """A person's or company's role in a case (Law Enforcement Directive 2016/680, Art. 6)."""

    SUSPECT = "suspect"
    CONVICTED = "convicted"
    VICTIM = "victim"
    WITNESS = "witness"
    ASSOCIATE = "associate"
    ENABLER = "enabler"
    OTHER = "other"


class SourceGrade(StrEnum):
    """Europol 4x4: how reliable the source is."""

    A = "A"
    B = "B"
    C = "C"
    X = "X"


class InfoGrade(StrEnum):
    """Europol 4x4: how far the information itself is confirmed."""

    CONFIRMED = "1"
    KNOWN_TO_SOURCE = "2"
    NOT_KNOWN_TO_SOURCE = "3"
    UNCONFIRMED = "4"


class RelationSchema(StrEnum):
    """The FtM interval schemata a relation can be."""

    OWNERSHIP = "Ownership"
    DIRECTORSHIP = "Directorship"
    REPRESENTATION = "Representation"
    FAMILY = "Family"
    ASSOCIATE = "Associate"
    EMPLOYMENT = "Employment"
    MEMBERSHIP = "Membership"
    PAYMENT = "Payment"
    UNKNOWN_LINK = "UnknownLink"


#: The stored values of the enums above, in their order.
CASE_ROLES = tuple(role.value for role in CaseRole)
SOURCE_GRADES = tuple(grade.value for grade in SourceGrade)
INFO_GRADES = tuple(grade.value for grade in InfoGrade)
RELATION_SCHEMATA = tuple(schema.value for schema in RelationSchema)
