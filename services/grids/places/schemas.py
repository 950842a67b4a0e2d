"""Streets, communities and grids as the API takes and answers them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.grids.places.geometry import GeoJsonPolygon
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN


class CommunityCreate(BaseModel):
    """A new community (社区 or 村委会) in one of the calling street admin's streets."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=12, max_length=12, pattern=COMMUNITY_PATTERN, description="12-digit community code: street + 3"
    )
    name: str = Field(min_length=1, max_length=100, description="社区名称, e.g. 江南社区")


class CommunityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="the new name")


class CommunityPublic(BaseModel):
    """A community as answered: its code, name and street, when it was made, and ``grids``, the number
    of grids it has (all of them, whoever asks)."""

    code: str = Field(description="12-digit community code (社区代码): street code + 3 digits")
    name: str = Field(description="the community's name (社区名称), e.g. 江南社区")
    street_code: str = Field(description="the street (街道) it belongs to, 9-digit street code")
    created_at: datetime = Field(description="when the community was added, ISO 8601 with time zone")
    grids: int = Field(ge=0, description="how many grids the community has")


CommunityPage = Page[CommunityPublic]


class GridCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "110105001001005",
                    "name": "第五网格",
                    "boundary": {
                        "type": "Polygon",
                        "coordinates": [
                            [[116.47, 39.90], [116.48, 39.90], [116.48, 39.91], [116.47, 39.91], [116.47, 39.90]]
                        ],
                    },
                }
            ]
        },
    )

    code: str = Field(min_length=15, max_length=15, pattern=GRID_PATTERN, description="15-digit grid code")
    name: str = Field(min_length=1, max_length=100, description="网格名称, e.g. 第一网格")
    boundary: GeoJsonPolygon | None = Field(default=None, description="边界 as a GeoJSON Polygon")


class BoundaryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    boundary: GeoJsonPolygon | None = Field(description="the new boundary, or null to clear it")


class GridSummary(BaseModel):
    """A grid in a list (without its boundary)."""

    code: str = Field(description="15-digit grid code (网格代码): community code + 3 digits")
    name: str = Field(description="the grid's name (网格名称), e.g. 第一网格")
    community_code: str = Field(description="the community (社区) the grid lies in, 12-digit community code")
    street_code: str = Field(description="the street (街道) the grid lies in, 9-digit street code")
    created_at: datetime = Field(description="when the grid was created, ISO 8601 with time zone")


class GridPublic(GridSummary):
    boundary: GeoJsonPolygon | None = Field(default=None, description="GeoJSON Polygon, when known")


GridPage = Page[GridSummary]


class TreeGrid(BaseModel):
    code: str = Field(description="15-digit grid code (网格代码)")
    name: str = Field(description="the grid's name (网格名称)")


class TreeCommunity(BaseModel):
    code: str = Field(description="12-digit community code (社区代码)")
    name: str = Field(description="the community's name (社区名称)")
    grids: list[TreeGrid] = Field(description="the community's grids the caller may see, by code")


class StreetTree(BaseModel):
    """街道 → 社区 → 网格, limited to what the caller may see."""

    code: str = Field(description="9-digit street code (街道代码)")
    name: str = Field(description="the street's name (街道名称)")
    communities: list[TreeCommunity] = Field(
        description="the communities with at least one grid the caller may see, by code"
    )
