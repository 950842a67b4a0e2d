"""What the indicators and the bulletin answer. The figures' definitions are docs/DOMAIN.md's
("Indicators and the monthly bulletin"); rates are fractions (0.75, not 75), rounded to 3 places, and
null when their denominator is zero."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

# What an indicators row is per: a place, the department a case is dispatched to, or its class.
IndicatorGroup = Literal["grid", "community", "street", "department", "class"]
# Where a case came from (its channel, or who placed it).
CaseSource = Literal["hotline", "open311", "visit", "resident", "grid_worker"]
BulletinFormat = Literal["json", "xlsx"]


class Lights(BaseModel):
    green: int = Field(description="open cases within 80 % of their stage's limit (绿灯)")
    yellow: int = Field(description="open cases past 80 % of their stage's limit, not yet over it (黄灯)")
    red: int = Field(description="open cases past their stage's limit (红灯)")


class HotlineFigures(BaseModel):
    tickets: int = Field(description="12345 hotline tickets of the cases counted")
    signed_on_time: int = Field(description="tickets signed for (签收) by their sign-for deadline")
    followed_up: int = Field(description="tickets the hotline followed up (回访)")
    resolved: int = Field(description="followed-up tickets the caller said were resolved")
    satisfied: int = Field(description="followed-up tickets rated satisfied or basically satisfied (满意、基本满意)")
    response_rate: float | None = Field(description="响应率: signed_on_time ÷ tickets; null without tickets")
    resolution_rate: float | None = Field(description="解决率: resolved ÷ followed_up; null when none followed up")
    satisfaction_rate: float | None = Field(description="满意率: satisfied ÷ followed_up; null when none followed up")


class Rates(BaseModel):
    """The rates street offices judge the case loop by (and the mean handling time)."""

    closure_rate: float | None = Field(description="结案率: closed ÷ filed; null when none was filed")
    on_time_rate: float | None = Field(description="按期结案率: closed_on_time ÷ closed; null when none was closed")
    rework_rate: float | None = Field(description="返工率: reworked ÷ handled; null when none was handled")
    accurate_dispatch_rate: float | None = Field(
        description="准确派遣率: 1 − returns ÷ dispatches; null when none was dispatched"
    )
    mean_handling_hours: float | None = Field(
        description="mean working hours from filing to closing of the closed cases; null when none was closed"
    )


class CaseFigures(Rates):
    reported: int = Field(description="cases reported (上报) in the period")
    filed: int = Field(description="of those, filed (立案)")
    refused: int = Field(description="of those, refused filing (不予立案)")
    voided: int = Field(description="of those, voided (作废)")
    closed: int = Field(description="of those, closed (结案)")
    closed_on_time: int = Field(description="of those, closed by their handling deadline (按期结案)")
    handled: int = Field(description="of those, ever handled (处置)")
    reworked: int = Field(description="of those, sent back at least once by a failed check (返工)")
    dispatches: int = Field(description="dispatches and reassignments of those cases (派遣次数)")
    returns: int = Field(description="times those cases were returned by who they were dispatched to (回退次数)")
    lights: Lights = Field(description="the cases still open now, by the light of their current stage")
    hotline: HotlineFigures = Field(description="the 12345 hotline tickets of those cases")


class GroupKey(BaseModel):
    code: str | None = Field(
        description="the grid, community or street code, the department's code or the class code; null: cases "
        "dispatched to no department, or not yet given a class"
    )
    name: str | None = Field(
        description="the department's name when grouped by department, the class's name when grouped by "
        "class; null otherwise (the orders service knows places by code only)"
    )


class IndicatorRow(CaseFigures, GroupKey):
    by_source: dict[CaseSource, CaseFigures] = Field(
        description="the same figures per source of the cases (hotline 12345热线, open311, visit 走访, resident "
        "居民, grid_worker 网格员); every source present"
    )


class Indicators(BaseModel):
    group_by: IndicatorGroup = Field(description="what the rows are per: grid, community, street, department, class")
    since: datetime = Field(description="the period's start: cases reported at or after, ISO 8601 with time zone")
    until: datetime = Field(description="the period's end: cases reported before, ISO 8601 with time zone")
    generated_at: datetime = Field(description="when the figures were computed: the lights' now")
    items: list[IndicatorRow] = Field(description="one row per group with cases, by code (null last)")


class BulletinRow(Rates):
    rank: int = Field(description="place in the table, 1 the best: by score, high to low, ties by code")
    code: str = Field(description="the community's code or the department's code")
    name: str | None = Field(
        description="the department's name; null for a community (the orders service knows communities by code)"
    )
    reported: int = Field(description="cases reported (上报) in the month")
    filed: int = Field(description="of those, filed (立案)")
    closed: int = Field(description="of those, closed (结案)")
    closed_on_time: int = Field(description="of those, closed on time (按期结案)")
    score: float | None = Field(
        description="综合得分 0-100: the weighted rates (see score_formula); null when no rate is known"
    )


class Bulletin(BaseModel):
    month: str = Field(description="the month, YYYY-MM, China time, by when cases were reported")
    title: str = Field(description="the bulletin's title, e.g. 2026年11月 城市管理案件考核通报")
    since: datetime = Field(description="the month's start, ISO 8601 with time zone")
    until: datetime = Field(description="the next month's start, ISO 8601 with time zone")
    score_formula: str = Field(description="how the score is made from the rates, in words")
    communities: list[BulletinRow] = Field(description="the communities' table, best first (社区排名)")
    departments: list[BulletinRow] = Field(description="the departments' table, best first (职能部门排名)")
