"""What the street's statistics answer: each service's own figures, side by side."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.places import GroupBy


class StreetStats(BaseModel):
    """Each part is the owning service's own answer, or null when it could not be asked."""

    group_by: GroupBy = Field(description="the level the figures are given per: grid, community or street")
    since: datetime | None = Field(description="the start of the period asked for; null: from the beginning")
    until: datetime | None = Field(description="the end of the period asked for, exclusive; null: until now")
    generated_at: datetime = Field(description="when the figures were gathered, ISO 8601 with time zone")
    residents: dict[str, Any] | None = Field(description="residents by residence type and tag, per place")
    visits: dict[str, Any] | None = Field(description="visits, must-visits, follow-ups per place and month")
    coverage: dict[str, Any] | None = Field(description="households visited in the last 30 days, per grid")
    orders: dict[str, Any] | None = Field(
        description="orders by state and kind, SLA medians, ratings, overdue, problems found and solved"
    )
    indicators: dict[str, Any] | None = Field(
        description="the case indicators of the period (结案率, 按期结案率, 返工率, 准确派遣率, lights, 12345's "
        "响应率/解决率/满意率), per place and per source: the orders service's GET /api/v1/orders/indicators"
    )
    points: dict[str, Any] | None = Field(description="party members' points per place and month")
    jobs: dict[str, Any] | None = Field(description="postings, applications, hires, trainees")
    notes: list[str] = Field(description="the parts that could not be had just now, and why (`orders: ...`)")
