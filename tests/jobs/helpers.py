"""Who calls the jobs service in its tests, and plain async factories that go through its API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shared.testing import TestKeys
from tests.support import people
from tests.support.answers import ok
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY, STREET


class People:
    """Tokens of the people of the jobs tests: staff, street admins and grid workers of any place with
    accounts of their own (a fresh id each), the demo's residents (``tests.support.people``), others."""

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
        return people.resident(self.keys, phone)

    def stranger(self, grid: str = f"{NEIGHBOUR_COMMUNITY}001") -> dict[str, str]:
        """A resident of another community, not on the registry."""
        return people.someone_living_in(self.keys, grid)

    def employer(self, account: uuid.UUID, community: str = COMMUNITY) -> dict[str, str]:
        return self.keys.headers(sub=str(account), roles=["employer"], places={"employer": [community]})

    def machine(self, street: str = STREET, scopes: tuple[str, ...] = ("jobs:read",)) -> dict[str, str]:
        return people.machine(self.keys, scopes, street)


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
