"""Figures of the registry for staff and street offices: residents per place by tag and residence
type. Aggregates only; sensitive tags are counted, never listed by person."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents.models import Resident
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.scope import place_column, place_scope
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/residents/stats", tags=["residents"])
Analyst = Annotated[Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("stats:read",)))]
GroupBy = Literal["grid", "community", "street"]


class PlaceResidents(BaseModel):
    place_code: str
    residents: int
    by_residence_type: dict[str, int] = Field(
        description="registered 户籍, permanent 常住, floating 流动, relocated 易地搬迁"
    )
    by_tag: dict[str, int] = Field(description="residents with each tag (a resident may have several)")


class ResidentStats(BaseModel):
    group_by: GroupBy
    items: list[PlaceResidents]


async def resident_stats(*, session: AsyncSession, principal: Principal, group_by: GroupBy) -> ResidentStats:
    place = place_column(
        group_by, street=col(Resident.street_code), community=col(Resident.community_code), grid=col(Resident.grid_code)
    )
    scope = place_scope(
        principal,
        street=col(Resident.street_code),
        community=col(Resident.community_code),
        grid=col(Resident.grid_code),
    )
    by_type = (
        await session.execute(
            select(place, col(Resident.residence_type), func.count())
            .where(scope)
            .group_by(place, col(Resident.residence_type))
        )
    ).all()
    tag = func.unnest(col(Resident.tags)).table_valued("tag").render_derived()
    by_tag = (
        await session.execute(
            select(place, tag.c.tag, func.count())
            .select_from(Resident)
            .join(tag, true())
            .where(scope)
            .group_by(place, tag.c.tag)
        )
    ).all()
    found: dict[str, PlaceResidents] = {}
    for code, residence_type, count in by_type:
        row = found.setdefault(code, PlaceResidents(place_code=code, residents=0, by_residence_type={}, by_tag={}))
        row.residents += count
        row.by_residence_type[residence_type] = count
    for code, name, count in by_tag:
        if code in found:
            found[code].by_tag[name] = count
    return ResidentStats(group_by=group_by, items=[found[code] for code in sorted(found)])


@router.get("", response_model=ResidentStats, responses=problem_responses(401, 403, 422))
async def stats(principal: Analyst, session: SessionDep, group_by: GroupBy = "community") -> ResidentStats:
    """Residents per grid, community or street, by residence type and by tag."""
    return await resident_stats(session=session, principal=principal, group_by=group_by)
