"""Who calls the orders service in its tests: the demo community's people, with real tokens."""

from __future__ import annotations

from typing import Any

import httpx

from shared import demo
from shared.demo import COMMUNITY, STREET, demo_uuid
from shared.testing import TestKeys


def resident(keys: TestKeys, phone: str = "13900000001") -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", phone)),
        roles=["resident"],
        resident_id=str(demo_uuid("resident", phone)),
        household_id=str(demo_uuid("household", phone)),
        grid_code=demo.resident_grid(phone),
        name=f"居民{int(phone[-2:])}",
    )


def staff(keys: TestKeys, community: str = COMMUNITY) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", "staff")),
        roles=["community_staff"],
        places={"community_staff": [community]},
        name="社区工作人员",
    )


def street(keys: TestKeys) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", "street")), roles=["street_admin"], places={"street_admin": [STREET]}
    )


def party_member(keys: TestKeys, n: int, grid: str | None = None) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", f"pm{n}")),
        roles=["party_member"],
        places={"party_member": [grid or demo.party_member_grid(n)]},
        name=f"党员{n}",
    )


def grid_worker(keys: TestKeys, n: int) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", f"gw{n}")),
        roles=["grid_worker"],
        places={"grid_worker": [demo.grid_worker_grid(n)]},
        name=f"网格员{n}",
    )


def account(login: str) -> str:
    return str(demo_uuid("account", login))


def menu_item(**fields: Any) -> dict[str, Any]:
    return {
        "name": "义剪",
        "category": "haircut",
        "description": "上门为行动不便的老人理发",
        "takers": ["party_member", "volunteer"],
        "points": 10,
    } | fields


async def add_menu_item(orders: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> dict[str, Any]:
    answer = await orders.post("/api/v1/menu", json=menu_item(**fields), headers=staff(keys))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def place(
    orders: httpx.AsyncClient, headers: dict[str, str], item_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"kind": "service", "menu_item_id": item_id, "description": "家里老人需要理发"} | fields
    answer = await orders.post("/api/v1/orders", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order
