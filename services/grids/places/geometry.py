"""Grid boundaries: GeoJSON polygons in and out, PostgreSQL's built-in ``polygon`` type inside
(the embedded PostgreSQL has no PostGIS), found by point through a GiST index."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func
from sqlalchemy.types import UserDefinedType

Position = tuple[float, float]


class GeoJsonPolygon(BaseModel):
    """A GeoJSON Polygon (RFC 7946) with one ring: ``[[lng, lat], ...]``, closed, WGS 84."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Polygon"] = Field(description='the GeoJSON geometry type, always "Polygon"')
    coordinates: list[list[tuple[float, float]]] = Field(
        min_length=1,
        max_length=1,
        description="one closed ring: 4 to 1000 [longitude, latitude] positions (WGS 84), the last equal to the first",
    )

    @model_validator(mode="after")
    def _valid_ring(self) -> GeoJsonPolygon:
        ring = self.coordinates[0]
        if len(ring) < 4 or len(ring) > 1000:
            raise ValueError("a ring has 4 to 1000 positions")
        if ring[0] != ring[-1]:
            raise ValueError("a ring is closed: its last position repeats the first")
        for lng, lat in ring:
            if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                raise ValueError("positions are [longitude, latitude] within -180..180 and -90..90")
        return self


class PgPolygon(UserDefinedType[list[Position]]):
    """PostgreSQL ``polygon``; asyncpg takes and gives it as a sequence of points."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "POLYGON"

    def bind_processor(self, dialect: Any) -> Any:
        def process(value: list[Position] | None) -> Any:
            return None if value is None else [tuple(p) for p in value]

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: Any) -> list[Position] | None:
            return None if value is None else ring_of(value)

        return process


def ring_of(value: Any) -> list[Position]:
    points = getattr(value, "points", value)
    return [(float(p[0]), float(p[1])) for p in points]


def to_geojson(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring_of(value)]]}


def point_as_polygon(lng: Any, lat: Any) -> Any:
    """A point as a degenerate polygon: ``polygon @> polygon`` uses the GiST index, ``@> point`` does not."""
    return func.polygon(func.box(func.point(lng, lat), func.point(lng, lat)))
