"""What the points API answers: leaderboards, one's own ledger, the pioneer index, statistics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.places import GroupBy


class BoardEntry(BaseModel):
    rank: int = Field(description="1 for the most points; ties share a rank and the next skips (1, 2, 2, 4)")
    account_id: str = Field(description="the earner's account id")
    name: str | None = Field(description="the earner's name as credited; null when unknown")
    points: int = Field(description="points earned in the period, in this grid or community")
    orders: int = Field(description="rated orders among the credits")


class Board(BaseModel):
    """A leaderboard (积分榜) of a grid or a community for a month or a year."""

    level: Literal["grid", "community"] = Field(description="a grid's or a community's board")
    code: str = Field(description="the grid's 15-digit or the community's 12-digit code")
    period: str = Field(description="the month (2026-11) or the year (2026), China time")
    items: list[BoardEntry] = Field(description="the earners, most points first")


class LedgerEntry(BaseModel):
    source: str = Field(description="order, activity")
    source_id: uuid.UUID = Field(description="the order or activity credited")
    points: int = Field(description="points credited")
    base: int = Field(description="an order's base points before its stars weigh them; for an activity, its points")
    stars: int | None = Field(description="the rated order's stars; null for an activity")
    grid_code: str = Field(description="the grid (网格) where they were earned, 15-digit grid code")
    earned_at: datetime = Field(description="when they were credited, ISO 8601 with time zone")


class MyPoints(BaseModel):
    account_id: str = Field(description="the caller's account id")
    total: int = Field(description="every point ever credited")
    this_month: int = Field(description="points credited this month, China time")
    this_year: int = Field(description="points credited this year, China time")
    entries: list[LedgerEntry] = Field(description="the latest credits")


class Pioneer(BaseModel):
    """A taker's year: the figures behind the pioneer index (党员先锋系数)."""

    account_id: str = Field(description="the taker's account id")
    name: str | None = Field(description="the taker's name as on their orders; null when unknown")
    year: int = Field(description="the year counted, China time")
    taken: int = Field(description="orders they accepted in the year")
    completed: int = Field(description="of those, completed")
    average_stars: float | None = Field(description="average stars of those rated; null when none was rated")
    on_time_share: float | None = Field(description="completed within the SLA, out of completed")
    points: int = Field(description="points credited to them in the year, orders and activities")
    pioneer_index: float = Field(
        description="100 × (0.4 × average stars / 5 + 0.4 × on-time share + 0.2 × min(1, taken / 12))"
    )


class PioneerPage(BaseModel):
    year: int = Field(description="the year counted, China time")
    items: list[Pioneer] = Field(description="the takers, highest index first (at most 100)")


class PointsStatsRow(BaseModel):
    place_code: str = Field(description="the grid, community or street, as grouped")
    month: str = Field(description="YYYY-MM, China time, by when points were credited")
    points: int = Field(description="points credited")
    earners: int = Field(description="accounts credited")
    credits: int = Field(description="credits (ledger entries)")


class PointsStats(BaseModel):
    group_by: GroupBy = Field(description="what the rows are per: grid, community or street")
    items: list[PointsStatsRow] = Field(description="one row per place and month, by place then month")
