"""Who calls the orders service in its tests: the demo community's people, with real tokens."""

from __future__ import annotations

from typing import Any

import httpx

from shared.testing import TestKeys
from tests.support.answers import ok
from tests.support.people import account, grid_worker, party_member, resident, staff, street

__all__ = [
    "account",
    "add_menu_item",
    "grid_worker",
    "menu_item",
    "party_member",
    "place",
    "resident",
    "staff",
    "street",
]


def menu_item(**fields: Any) -> dict[str, Any]:
    return {
        "name": "义剪",
        "category": "haircut",
        "description": "上门为行动不便的老人理发",
        "takers": ["party_member", "volunteer"],
        "points": 10,
    } | fields


async def add_menu_item(orders: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> dict[str, Any]:
    return ok(await orders.post("/api/v1/menu", json=menu_item(**fields), headers=staff(keys)), 201)


async def place(
    orders: httpx.AsyncClient, headers: dict[str, str], item_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"kind": "service", "menu_item_id": item_id, "description": "家里老人需要理发"} | fields
    return ok(await orders.post("/api/v1/orders", json=body, headers=headers), 201)


def jpeg(seed: int = 0) -> bytes:
    """A small real JPEG; another ``seed`` gives other bytes (another photo)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120 + seed % 100, 40)).save(buffer, "JPEG")
    return buffer.getvalue()
