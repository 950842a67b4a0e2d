"""What the points API answers: leaderboards, one's own ledger, the pioneer index, statistics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.places import GroupBy


class BoardEntry(BaseModel):
    rank: int
    account_id: str
    name: str | None
    points: int
    orders: int = Field(description="rated orders among the credits")


class Board(BaseModel):
    """A leaderboard (积分榜) of a grid or a community for a month or a year."""

    level: Literal["grid", "community"]
    code: str
    period: str
    items: list[BoardEntry]


class LedgerEntry(BaseModel):
    source: str = Field(description="order, activity")
    source_id: uuid.UUID
    points: int
    base: int
    stars: int | None
    grid_code: str
    earned_at: datetime


class MyPoints(BaseModel):
    account_id: str
    total: int
    this_month: int
    this_year: int
    entries: list[LedgerEntry] = Field(description="the latest credits")


class Pioneer(BaseModel):
    """A taker's year: the figures behind the pioneer index (党员先锋系数)."""

    account_id: str
    name: str | None
    year: int
    taken: int
    completed: int
    average_stars: float | None
    on_time_share: float | None = Field(description="completed within the SLA, out of completed")
    points: int
    pioneer_index: float = Field(
        description="100 × (0.4 × average stars / 5 + 0.4 × on-time share + 0.2 × min(1, taken / 12))"
    )


class PioneerPage(BaseModel):
    year: int
    items: list[Pioneer]


class PointsStatsRow(BaseModel):
    place_code: str
    month: str
    points: int
    earners: int = Field(description="accounts credited")
    credits: int


class PointsStats(BaseModel):
    group_by: GroupBy
    items: list[PointsStatsRow]
