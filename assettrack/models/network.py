"""Stored results of whole-graph analytics (brokers, communities), per organisation."""

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlmodel import Field
from sqlmodel import SQLModel

from .base import UTCDateTime
from .base import utcnow

__all__ = ["NetworkAnalysis", "EntityMetric"]


class NetworkAnalysis(SQLModel, table=True):
    """One run of ``assettrack network analyse`` over an organisation's graph.

    Fate: installation data (when the last whole-graph analysis ran and what it found).
    """

    __tablename__ = "network_analysis"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    )
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", sa_type=String(12))
    method: str = Field(default="", sa_type=String(200))
    node_count: int = Field(default=0)
    edge_count: int = Field(default=0)
    community_count: int = Field(default=0)
    seconds: float | None = Field(default=None, sa_type=Float)
    params: str = Field(default="{}", sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)


class EntityMetric(SQLModel, table=True):
    """An entity's degree, betweenness and community in one analysis.

    Fate: kept (until the next network analysis replaces it; rows of erased entities go with
    them).
    """

    __tablename__ = "entity_metric"
    __table_args__ = (Index("ix_entity_metric_entity", "entity_id", "analysis_id"),)

    analysis_id: int = Field(
        sa_column=Column(Integer, ForeignKey("network_analysis.id"), primary_key=True)
    )
    entity_id: int = Field(sa_column=Column(Integer, ForeignKey("entity.id"), primary_key=True))
    degree: float = Field(default=0.0, sa_type=Float)
    betweenness: float = Field(default=0.0, sa_type=Float)
    community: int | None = None
