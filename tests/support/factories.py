"""Plain async factories: rows written straight into a service's tables, for tests that need them there
without going through an API (the grids places: two streets, a community in each, their grids)."""

from __future__ import annotations

from shared.places import community_of, street_of
from tests.support import db
from tests.support.places import COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY, STREET

__all__ = ["COMMUNITY", "OTHER_STREET", "OTHER_STREET_COMMUNITY", "STREET", "make_places"]


async def make_places(url: str, *, grids_per_community: int = 3) -> list[str]:
    """Two streets, a community in each, and grids in both; returns every grid code, sorted."""
    async with db.connected(url) as conn:
        await conn.executemany(
            "INSERT INTO street (code, name, created_at) VALUES ($1, $2, now())",
            [(STREET, "示范街道"), (OTHER_STREET, "另一街道")],
        )
        await conn.executemany(
            "INSERT INTO community (code, street_code, name, created_at) VALUES ($1, $2, $3, now())",
            [(COMMUNITY, STREET, "江南社区"), (OTHER_STREET_COMMUNITY, OTHER_STREET, "晴岚社区")],
        )
        codes = [
            f"{community}{n:03d}"
            for community in (COMMUNITY, OTHER_STREET_COMMUNITY)
            for n in range(1, grids_per_community + 1)
        ]
        await conn.executemany(
            "INSERT INTO grid (code, community_code, street_code, name, created_at) VALUES ($1, $2, $3, $4, now())",
            [(code, community_of(code), street_of(code), f"网格{code[-3:]}") for code in codes],
        )
        return sorted(codes)
