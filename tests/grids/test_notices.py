"""Notices (公告) as residents and staff meet them: to a community, a grid or a compound; newest first
with pinned ones above; read state per account; expiry and withdrawal; the event for the inbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.peers import Peers
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.grids.life_support import (
    OTHER_STREET_COMMUNITY,
    grid_worker,
    party_member,
    resident,
    someone_living_in,
    staff,
    street,
)
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import payloads
from tests.support.places import OTHER_STREET

QINGLAN = demo_uuid("compound", "晴岚家园")


pytestmark = pytest.mark.usefixtures("roster", "registry")  # the demo places and who lives there


async def post(grids: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> dict[str, Any]:
    body = {"category": "outage", "title": "停水通知", "body": "周三上午9点至12点停水"} | fields
    return ok(await grids.post("/api/v1/notices", json=body, headers=staff(keys)), 201)


async def titles(grids: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    answer = await grids.get("/api/v1/notices", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [n["title"] for n in answer.json()["items"]]


async def test_each_resident_sees_the_notices_of_their_own_places(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    everyone = await post(grids, keys, title="反诈提醒", category="anti_fraud")
    grid1 = await post(grids, keys, title="一网格停水", grid_code=GRIDS[0])
    qinglan = await post(grids, keys, title="晴岚家园电梯检修", compound_id=str(QINGLAN), category="safety")
    assert (grid1["level"], grid1["community_code"]) == ("grid", COMMUNITY)
    assert (qinglan["level"], qinglan["compound_name"]) == ("compound", "晴岚家园")

    grid1_resident, grid2_resident = resident(keys, "13900000001"), resident(keys, "13900000002")
    grid3_resident = resident(keys, "13900000003")  # lives in 晴岚家园
    assert await titles(grids, grid1_resident) == ["一网格停水", "反诈提醒"]
    assert await titles(grids, grid2_resident) == ["反诈提醒"]
    assert await titles(grids, grid3_resident) == ["晴岚家园电梯检修", "反诈提醒"]
    assert (await grids.get(f"/api/v1/notices/{grid1['id']}", headers=grid2_resident)).status_code == 404
    assert (await grids.get(f"/api/v1/notices/{qinglan['id']}", headers=grid1_resident)).status_code == 404
    assert (await grids.post(f"/api/v1/notices/{grid1['id']}/read", headers=grid2_resident)).status_code == 404

    # Those who serve: their grids' and their communities' compounds; staff and the street all.
    assert await titles(grids, grid_worker(keys, 1)) == ["晴岚家园电梯检修", "一网格停水", "反诈提醒"]
    assert await titles(grids, party_member(keys, 3)) == ["晴岚家园电梯检修", "反诈提醒"]
    assert len(await titles(grids, street(keys))) == len(await titles(grids, staff(keys))) == 3
    assert await titles(grids, someone_living_in(keys, f"{OTHER_STREET_COMMUNITY}001")) == []
    assert await titles(grids, staff(keys, OTHER_STREET_COMMUNITY)) == []

    published = await payloads(database_urls["grids"], "notice.published")
    assert [(e["notice_id"], e["level"], e["grid_code"], e["urgent"]) for e in published] == [
        (everyone["id"], "community", None, False),
        (grid1["id"], "grid", GRIDS[0], False),
        (qinglan["id"], "compound", None, False),
    ]
    assert published[2]["compound_id"] == str(QINGLAN) and published[0]["street_code"] == STREET
    assert "停水" not in str(published)


async def test_newest_first_pinned_above_and_read_state_per_account(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    pinned = await post(grids, keys, title="置顶: 社区服务时间", category="policy", pinned=True)
    for n in range(3):
        await post(grids, keys, title=f"通知{n}")
    urgent = await post(grids, keys, title="紧急: 台风预警", category="safety", urgent=True)
    me, neighbour = resident(keys), resident(keys, "13900000005")
    assert await titles(grids, me) == ["置顶: 社区服务时间", "紧急: 台风预警", "通知2", "通知1", "通知0"]
    first = await grids.get("/api/v1/notices", params={"limit": 2}, headers=me)
    rest = await grids.get("/api/v1/notices", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=me)
    assert [n["title"] for n in first.json()["items"] + rest.json()["items"]] == await titles(grids, me, limit=4)
    assert [n["title"] for n in rest.json()["items"]] == ["通知2", "通知1"]

    read = await grids.post(f"/api/v1/notices/{urgent['id']}/read", headers=me)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await grids.post(f"/api/v1/notices/{urgent['id']}/read", headers=me)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert "紧急: 台风预警" not in await titles(grids, me, unread="true")
    assert "紧急: 台风预警" in await titles(grids, neighbour, unread="true")
    assert (await grids.get(f"/api/v1/notices/{urgent['id']}", headers=neighbour)).json()["read_at"] is None
    detail = (await grids.get(f"/api/v1/notices/{urgent['id']}", headers=staff(keys))).json()
    assert detail["reads"] == 1 and detail["urgent"] is True
    assert (await grids.get(f"/api/v1/notices/{urgent['id']}", headers=me)).json()["reads"] is None

    published = await payloads(database_urls["grids"], "notice.published")
    assert [e["urgent"] for e in published] == [False, False, False, False, True]

    # Unpinned by staff, it takes its place by date.
    await grids.patch(f"/api/v1/notices/{pinned['id']}", json={"pinned": False}, headers=staff(keys))
    assert (await titles(grids, me))[-1] == "置顶: 社区服务时间"


async def test_expired_and_withdrawn_notices_are_gone_but_for_staff(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    old = await post(grids, keys, title="上周停电", expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    await db.rows(database_urls["grids"], "UPDATE notice SET expires_at = now() - interval '1 hour' WHERE id = $1",
              uuid.UUID(old["id"]))  # fmt: skip
    wrong = await post(grids, keys, title="发错的通知")
    withdrawn = await grids.post(f"/api/v1/notices/{wrong['id']}/withdraw", headers=staff(keys))
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    assert (await grids.post(f"/api/v1/notices/{wrong['id']}/withdraw", headers=resident(keys))).status_code == 403
    assert await titles(grids, resident(keys)) == []
    assert (await grids.get(f"/api/v1/notices/{old['id']}", headers=resident(keys))).status_code == 404
    assert await titles(grids, resident(keys), include_expired="true") == []
    assert await titles(grids, staff(keys)) == []
    assert await titles(grids, staff(keys), include_expired="true") == ["发错的通知", "上周停电"]
    assert [e["notice_id"] for e in await payloads(database_urls["grids"], "notice.withdrawn")] == [wrong["id"]]


async def test_bad_notices_name_the_field_and_write_nothing(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    base = {"category": "policy", "title": "医保政策解读", "body": "..."}
    cases = [
        ({"grid_code": f"{COMMUNITY}099"}, "grid_code", 422),
        ({"grid_code": GRIDS[0], "compound_id": str(QINGLAN)}, "compound_id", 422),
        ({"compound_id": str(uuid.uuid4())}, "compound_id", 422),
        ({"expires_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}, "expires_at", 422),
        ({"category": "gossip"}, "category", 422),
        ({"title": ""}, "title", 422),
        ({"phone": "13912345678"}, "phone", 422),
    ]
    for fields, field, status in cases:
        answer = await grids.post("/api/v1/notices", json=base | fields, headers=staff(keys))
        assert answer.status_code == status, (field, answer.text)
        assert [e["field"] for e in answer.json()["errors"]] == [field]
        assert "13912345678" not in answer.text and "gossip" not in answer.text
    elsewhere = await grids.post("/api/v1/notices", json=base | {"grid_code": f"{OTHER_STREET_COMMUNITY}001"},
                                 headers=staff(keys))  # fmt: skip
    assert elsewhere.status_code == 404
    assert (await grids.post("/api/v1/notices", json=base, headers=resident(keys))).status_code == 403
    assert (await grids.post("/api/v1/notices", json=base, headers=grid_worker(keys, 1))).status_code == 403
    assert (await db.rows(database_urls["grids"], "SELECT count(*) AS n FROM notice"))[0]["n"] == 0
    notice = await post(grids, keys)
    for changes, field in (({"title": None}, "title"), ({"expires_at": "2001-01-01T00:00:00+08:00"}, "expires_at")):
        answer = await grids.patch(f"/api/v1/notices/{notice['id']}", json=changes, headers=staff(keys))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field
    other_staff = staff(keys, OTHER_STREET_COMMUNITY)
    assert (
        await grids.patch(f"/api/v1/notices/{notice['id']}", json={"pinned": True}, headers=other_staff)
    ).status_code == 404


async def test_while_the_residents_service_is_down_residents_still_get_all_their_notices(
    grids: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory
) -> None:
    """A resident's compound comes from the grids service's copy of the households: reading needs no
    call. Publishing to a compound still asks the residents service about it, and waits for it."""
    await post(grids, keys, title="反诈提醒", category="anti_fraud")
    await post(grids, keys, title="晴岚家园电梯检修", compound_id=str(QINGLAN), category="safety")
    app = await start_app("grids")
    kept = app.state.peers

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to the residents service", request=request)

    app.state.peers = Peers(
        {"residents": "http://residents.test"}, transports={"residents": httpx.MockTransport(unreachable)}
    )
    try:
        assert await titles(grids, resident(keys, "13900000003")) == ["晴岚家园电梯检修", "反诈提醒"]
        refused = await grids.post(
            "/api/v1/notices",
            json={"category": "safety", "title": "电梯", "body": "...", "compound_id": str(QINGLAN)},
            headers=staff(keys),
        )
        assert refused.status_code == 503 and refused.headers["content-type"] == "application/problem+json"
    finally:
        await app.state.peers.close()
        app.state.peers = kept
    assert await titles(grids, resident(keys, "13900000003")) == ["晴岚家园电梯检修", "反诈提醒"]


async def test_an_integration_client_reads_its_streets_notices_and_no_read_state(
    grids: httpx.AsyncClient, keys: TestKeys
) -> None:
    """A machine client with ``grids:read`` sees every notice of its street (it reads nothing itself:
    no read state, never a count of readers), none of another street's; ``include_expired`` is for
    the staff who keep notices, not for it."""
    notice = await post(grids, keys, title="反诈提醒", category="anti_fraud")
    grid1 = await post(grids, keys, title="一网格停水", grid_code=GRIDS[0])
    gone = await post(grids, keys, title="发错的通知")
    assert (await grids.post(f"/api/v1/notices/{gone['id']}/withdraw", headers=staff(keys))).status_code == 200
    await grids.post(f"/api/v1/notices/{notice['id']}/read", headers=resident(keys))

    client = {"Authorization": f"Bearer {keys.machine_token(street_code=STREET, scopes=['grids:read'])}"}
    listed = (await grids.get("/api/v1/notices", headers=client)).json()["items"]
    assert [n["title"] for n in listed] == ["一网格停水", "反诈提醒"]
    assert {n["read_at"] for n in listed} == {None}
    assert await titles(grids, client, unread="true") == ["一网格停水", "反诈提醒"]
    assert await titles(grids, client, include_expired="true") == ["一网格停水", "反诈提醒"]
    detail = (await grids.get(f"/api/v1/notices/{grid1['id']}", headers=client)).json()
    assert (detail["read_at"], detail["reads"]) == (None, None)
    assert (await grids.get(f"/api/v1/notices/{gone['id']}", headers=client)).status_code == 404
    assert (await grids.get(f"/api/v1/notices/{notice['id']}", headers=street(keys))).json()["reads"] == 1

    elsewhere = {"Authorization": f"Bearer {keys.machine_token(street_code=OTHER_STREET, scopes=['grids:read'])}"}
    assert await titles(grids, elsewhere) == []
    assert (await grids.get(f"/api/v1/notices/{notice['id']}", headers=elsewhere)).status_code == 404
    no_scope = {"Authorization": f"Bearer {keys.machine_token(street_code=STREET, scopes=['webhooks:write'])}"}
    assert (await grids.get("/api/v1/notices", headers=no_scope)).status_code == 403
