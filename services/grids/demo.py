"""The demo community's places: one street, one community, four grids. Loading twice adds nothing."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.grids.models import Community, Grid, Street

DEMO_STREET = ("110105001", "示范街道")
DEMO_COMMUNITY = ("110105001001", "江南社区")
DEMO_GRIDS = [(f"110105001001{n:03d}", f"第{name}网格") for n, name in zip(range(1, 5), "一二三四", strict=True)]


async def load(session: AsyncSession) -> None:
    street_code, street_name = DEMO_STREET
    community_code, community_name = DEMO_COMMUNITY
    await session.execute(
        insert(Street).values(code=street_code, name=street_name).on_conflict_do_nothing(index_elements=["code"])
    )
    await session.execute(
        insert(Community)
        .values(code=community_code, street_code=street_code, name=community_name)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    await session.execute(
        insert(Grid)
        .values(
            [
                {"code": code, "name": name, "community_code": community_code, "street_code": street_code}
                for code, name in DEMO_GRIDS
            ]
        )
        .on_conflict_do_nothing(index_elements=["code"])
    )
