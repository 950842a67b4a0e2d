"""The demo community's places: one street, one community, four grids. Loading twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.grids.models import Community, Grid, Street

DEMO_STREET = ("110105001", "示范街道")
DEMO_COMMUNITY = ("110105001001", "江南社区")
DEMO_GRIDS = [(f"110105001001{n:03d}", f"第{name}网格") for n, name in zip(range(1, 5), "一二三四", strict=True)]


def demo_boundary(n: int) -> list[tuple[float, float]]:
    """Grid n of a 2 x 2 block of squares, about 850 m by 1.1 km each, east of the 东三环."""
    west = 116.47 + 0.01 * ((n - 1) % 2)
    south = 39.92 - 0.01 * ((n - 1) // 2)
    east, north = round(west + 0.01, 6), round(south + 0.01, 6)
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


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
    statement = insert(Grid).values(
        [
            {
                "code": code,
                "name": name,
                "community_code": community_code,
                "street_code": street_code,
                "boundary": demo_boundary(n),
            }
            for n, (code, name) in enumerate(DEMO_GRIDS, start=1)
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["code"], set_={"boundary": func.coalesce(Grid.boundary, statement.excluded.boundary)}
        )
    )
