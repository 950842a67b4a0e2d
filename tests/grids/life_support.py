"""Who calls the community-life endpoints in their tests (the demo community's people, with real
tokens), and plain factories of activities."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.testing import TestKeys

OTHER_COMMUNITY = "110105002001"


def resident(keys: TestKeys, phone: str = "13900000001") -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", phone)),
        roles=["resident"],
        resident_id=str(demo_uuid("resident", phone)),
        household_id=str(demo_uuid("household", phone)),
        grid_code=demo.resident_grid(phone),
    )


def someone_living_in(keys: TestKeys, grid: str = GRIDS[0]) -> dict[str, str]:
    """A resident with an account of their own, not one of the demo's."""
    return keys.headers(
        sub=str(uuid.uuid4()), roles=["resident"], resident_id=str(uuid.uuid4()), household_id=str(uuid.uuid4()),
        grid_code=grid,
    )  # fmt: skip


def staff(keys: TestKeys, community: str = COMMUNITY) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", "staff")) if community == COMMUNITY else str(uuid.uuid4()),
        roles=["community_staff"],
        places={"community_staff": [community]},
        name="社区工作人员",
    )


def street(keys: TestKeys) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", "street")), roles=["street_admin"], places={"street_admin": [STREET]}
    )


def party_member(keys: TestKeys, n: int) -> dict[str, str]:
    return keys.headers(
        sub=str(demo_uuid("account", f"pm{n}")),
        roles=["party_member"],
        places={"party_member": [demo.party_member_grid(n)]},
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


def activity_body(**fields: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=3)
    return {
        "theme": "十一月 敬老月",
        "title": "重阳敬老包饺子",
        "kind": "festival_care",
        "description": "和社区老人一起包饺子",
        "venue": "江南社区党群服务中心",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 20,
        "volunteer_capacity": 4,
        "target_groups": ["elderly"],
    } | fields


async def publish(grids: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> dict[str, Any]:
    answer = await grids.post("/api/v1/activities", json=activity_body(**fields), headers=staff(keys))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def sql(url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


async def events(url: str, type: str) -> list[dict[str, Any]]:
    import orjson

    rows = await sql(url, "SELECT payload FROM outbox_event WHERE type = $1 ORDER BY seq", type)
    return [orjson.loads(row["payload"]) for row in rows]
