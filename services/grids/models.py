"""The grids service's tables: its own SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.grids.geometry import PgPolygon, Position
from shared.db import naming_convention_metadata
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class GridsModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


metadata = GridsModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


class Street(GridsModel, table=True):
    """街道 / 镇: county code + 3 digits."""

    code: str = Field(primary_key=True, max_length=9)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Community(GridsModel, table=True):
    """社区 (居委会) or 村委会: street code + 3 digits."""

    code: str = Field(primary_key=True, max_length=12)
    street_code: str = Field(foreign_key="street.code", index=True, max_length=9)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Grid(GridsModel, table=True):
    """网格: community code + 3-digit sequence, with an optional boundary (GiST-indexed)."""

    __table_args__ = (Index("ix_grid_boundary", "boundary", postgresql_using="gist"),)

    code: str = Field(primary_key=True, max_length=15)
    community_code: str = Field(foreign_key="community.code", index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    name: str = Field(max_length=100)
    boundary: list[Position] | None = Field(default=None, sa_type=PgPolygon)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
