"""Who calls the jobs service in its tests, and plain async factories that go through its API."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from shared.demo import demo_uuid, resident_grid
from shared.testing import TestKeys
from tests.support.places import COMMUNITY, GRIDS, NEIGHBOUR_COMMUNITY, OTHER_STREET_COMMUNITY, STREET
from tests.support.problems import assert_problem


class People:
    """Tokens of the people of the jobs tests: the demo community's staff and residents, others."""

    def __init__(self, keys: TestKeys) -> None:
        self.keys = keys

    def staff(self, community: str = COMMUNITY, sub: str | None = None) -> dict[str, str]:
        return self.keys.headers(
            sub=sub or str(uuid.uuid4()), roles=["community_staff"], places={"community_staff": [community]}
        )

    def street_admin(self, street: str = STREET) -> dict[str, str]:
        return self.keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [street]})

    def worker(self, grid: str) -> dict[str, str]:
        return self.keys.headers(sub=str(uuid.uuid4()), roles=["grid_worker"], places={"grid_worker": [grid]})

    def resident(self, phone: str = "13900000002") -> dict[str, str]:
        """A demo resident (``shared.demo``), as the gateway signs them."""
        return self.keys.headers(
            sub=str(demo_uuid("account", phone)),
            roles=["resident"],
            resident_id=str(demo_uuid("resident", phone)),
            household_id=str(demo_uuid("household", phone)),
            grid_code=resident_grid(phone),
        )

    def stranger(self, grid: str = f"{NEIGHBOUR_COMMUNITY}001") -> dict[str, str]:
        """A resident of another community, not on the registry."""
        return self.keys.headers(
            sub=str(uuid.uuid4()),
            roles=["resident"],
            resident_id=str(uuid.uuid4()),
            household_id=str(uuid.uuid4()),
            grid_code=grid,
        )

    def employer(self, account: uuid.UUID, community: str = COMMUNITY) -> dict[str, str]:
        return self.keys.headers(sub=str(account), roles=["employer"], places={"employer": [community]})

    def machine(self, street: str = STREET, scopes: tuple[str, ...] = ("jobs:read",)) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.machine_token(street_code=street, scopes=scopes)}"}


def resident_id(phone: str) -> str:
    return str(demo_uuid("resident", phone))


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def make_employer(
    jobs: httpx.AsyncClient, headers: dict[str, str], *, community: str = COMMUNITY, **fields: Any
) -> dict[str, Any]:
    body = {
        "name": f"粽叶扶贫车间{uuid.uuid4().hex[:4]}",
        "kind": "workshop",
        "community_code": community,
        "contact_name": "王经理",
        "contact_phone": "13812345678",
    } | fields
    return ok(await jobs.post("/api/v1/employers", json=body, headers=headers), 201)


async def make_posting(
    jobs: httpx.AsyncClient, headers: dict[str, str], employer_id: str, *, publish: bool = True, **fields: Any
) -> dict[str, Any]:
    body = {
        "employer_id": employer_id,
        "title": "包粽子工",
        "category": "handicraft",
        "wage_min": 300000,
        "wage_max": 400000,
        "wage_unit": "month",
        "hours_per_day": 6,
        "headcount": 2,
        "skills": ["包粽子"],
        "suits_weak_labour": True,
    } | fields
    posting = ok(await jobs.post("/api/v1/postings", json=body, headers=headers), 201)
    if publish:
        posting = ok(await jobs.post(f"/api/v1/postings/{posting['id']}/publish", headers=headers))
    return posting


PROFILE = {
    "skills": ["包粽子", "缝纫"],
    "desired_categories": ["handicraft"],
    "hours_per_day": 6,
    "shifts": ["day"],
    "labour_capacity": "half",
    "preferred_places": [],
}


async def make_profile(jobs: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await jobs.put("/api/v1/seekers/me", json=PROFILE | fields, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


__all__ = [
    "COMMUNITY", "GRIDS", "NEIGHBOUR_COMMUNITY", "OTHER_STREET_COMMUNITY", "STREET", "assert_problem",
]  # fmt: skip
