from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.pagination import Page


class GridCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=15, max_length=15, pattern=r"^\d{15}$", description="15-digit grid code")
    name: str = Field(min_length=1, max_length=100, description="网格名称, e.g. 第一网格")


class GridPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    community_code: str
    street_code: str
    created_at: datetime


GridPage = Page[GridPublic]
