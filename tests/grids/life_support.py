"""Who calls the community-life endpoints in their tests (the demo community's people, with real
tokens), and plain factories of activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.testing import TestKeys
from tests.support.answers import ok
from tests.support.people import account, grid_worker, party_member, resident, someone_living_in, staff, street
from tests.support.places import OTHER_STREET_COMMUNITY

__all__ = [
    "OTHER_STREET_COMMUNITY", "account", "grid_worker", "party_member", "resident", "someone_living_in", "staff",
    "street",
]  # fmt: skip


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
    return ok(await grids.post("/api/v1/activities", json=activity_body(**fields), headers=staff(keys)), 201)
