"""The registry's reads as each kind of caller meets them, beside the demo community: a household in the
neighbouring community of the same street and one in another street. The scope is in the SQL of every list
and single read (one place and several), phones and ID numbers only masked, sensitive tags only for the
community's staff and the grid's worker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.demo import COMMUNITY, GRIDS, STREET
from shared.pagination import encode_cursor
from shared.places import street_of
from shared.testing import TestKeys
from tests.residents.ids import id_number
from tests.support import db
from tests.support.answers import ok
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY

NEIGHBOUR_GRID = f"{NEIGHBOUR_COMMUNITY}001"
OTHER_STREET_GRID = f"{OTHER_STREET_COMMUNITY}001"


@dataclass
class Home:
    compound: str
    building: str
    household: str
    resident: str
    number: str


async def _home(
    client: httpx.AsyncClient, keys: TestKeys, url: str, grid: str, community: str, name: str, birth: str
) -> Home:
    """A compound, building and household of ``community`` (written as an import would), and its head,
    registered by the community's staff with a sensitive and a plain tag."""
    compound, building, household = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    street = street_of(community)
    await db.execute(
        url,
        "INSERT INTO compound (id, name, community_code, street_code) VALUES ($1, $2, $3, $4)",
        compound,
        f"{name}小区",
        community,
        street,
    )
    await db.execute(
        url,
        "INSERT INTO building (id, compound_id, name, grid_code, community_code, street_code)"
        " VALUES ($1, $2, '1号楼', $3, $4, $5)",
        building, compound, grid, community, street,
    )  # fmt: skip
    await db.execute(
        url,
        "INSERT INTO household (id, building_id, unit, room, address, grid_code, community_code, street_code,"
        " created_at) VALUES ($1, $2, '1单元', '101', $3, $4, $5, $6, now())",
        household, building, f"{name}小区1号楼1单元101", grid, community, street,
    )  # fmt: skip
    number = id_number(birth)
    staff = keys.headers(sub=str(uuid.uuid4()), roles=["community_staff"], places={"community_staff": [community]})
    body = {
        "household_id": str(household),
        "name": name,
        "id_number": number,
        "phone": "13911110000",
        "relation": "head",
        "residence_type": "registered",
        "tags": ["disabled", "elderly"],
    }
    resident = ok(await client.post("/api/v1/residents", json=body, headers=staff), 201)
    return Home(str(compound), str(building), str(household), resident["id"], number)


@pytest.fixture
async def homes(residents: httpx.AsyncClient, keys: TestKeys, registry: None, database_urls: dict[str, str]) -> Any:
    """Amy in the neighbouring community, Ann in another street (latin names: first in a list by name)."""
    url = database_urls["residents"]
    amy = await _home(residents, keys, url, NEIGHBOUR_GRID, NEIGHBOUR_COMMUNITY, "Amy Li", "19500101")
    ann = await _home(residents, keys, url, OTHER_STREET_GRID, OTHER_STREET_COMMUNITY, "Ann Wu", "19510202")
    return amy, ann


def _callers(keys: TestKeys, amy: Home) -> dict[str, dict[str, str]]:
    def user(**claims: Any) -> dict[str, str]:
        return keys.headers(sub=str(uuid.uuid4()), **claims)

    def machine(street: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys.machine_token(street_code=street, scopes=['stats:read'])}"}

    return {
        "staff": user(roles=["community_staff"], places={"community_staff": [COMMUNITY]}),
        "staff of both": user(roles=["community_staff"], places={"community_staff": [COMMUNITY, NEIGHBOUR_COMMUNITY]}),
        "street": user(roles=["street_admin"], places={"street_admin": [STREET]}),
        "other street": user(roles=["street_admin"], places={"street_admin": [OTHER_STREET]}),
        "machine": machine(STREET),
        "other machine": machine(OTHER_STREET),
        "worker of two grids": user(roles=["grid_worker"], places={"grid_worker": [GRIDS[0], NEIGHBOUR_GRID]}),
        "amy": user(roles=["resident"], resident_id=amy.resident, household_id=amy.household, grid_code=NEIGHBOUR_GRID),
    }


# Who sees Amy and Ann, and Amy's tags as they see them (disabled is sensitive).
SEES = {
    "staff": (None, False),
    "staff of both": (["disabled", "elderly"], False),
    "street": (["elderly"], False),
    "other street": (None, True),
    "machine": (["elderly"], False),
    "other machine": (None, True),
    "worker of two grids": (["disabled", "elderly"], False),
    "amy": (["elderly"], False),
}


async def test_residents_and_their_households_are_read_within_the_callers_scope(
    residents: httpx.AsyncClient, keys: TestKeys, homes: tuple[Home, Home]
) -> None:
    amy, ann = homes
    for who, headers in _callers(keys, amy).items():
        amy_tags, sees_ann = SEES[who]
        first = ok(await residents.get("/api/v1/residents", params={"limit": 5}, headers=headers), 200)["items"]
        by_name = {r["name"]: r for r in first}
        found = ok(await residents.get("/api/v1/residents", params={"q": "amy"}, headers=headers))["items"]
        one = await residents.get(f"/api/v1/residents/{amy.resident}", headers=headers)
        home = await residents.get(f"/api/v1/households/{amy.household}", headers=headers)
        if amy_tags is None:
            assert "Amy Li" not in by_name and "Amy Li" not in {r["name"] for r in found}, who
            assert one.status_code == 404 and home.status_code == 404, who
        else:
            for seen in (by_name["Amy Li"], one.json(), ok(home)["residents"][0]):
                assert seen["tags"] == amy_tags, who
                assert (seen["phone"], seen["id_number"]) == (
                    "139****0000",
                    amy.number[:6] + "********" + amy.number[-4:],
                )
            assert [r["name"] for r in found] == ["Amy Li"], who
        assert ("Ann Wu" in by_name) == sees_ann, who
        assert (await residents.get(f"/api/v1/residents/{ann.resident}", headers=headers)).status_code == (
            200 if sees_ann else 404
        ), who
    worker = _callers(keys, amy)["worker of two grids"]
    page = ok(await residents.get("/api/v1/residents", params={"limit": 100}, headers=worker))["items"]
    assert {r["grid_code"] for r in page} == {GRIDS[0], NEIGHBOUR_GRID}
    own = ok(await residents.get("/api/v1/residents", headers=_callers(keys, amy)["amy"]))["items"]
    assert [r["id"] for r in own] == [amy.resident]


async def test_places_are_read_within_the_callers_scope(
    residents: httpx.AsyncClient, keys: TestKeys, homes: tuple[Home, Home]
) -> None:
    amy, ann = homes
    # Who sees Amy's compound, building and household, and Ann's.
    sees = {
        "staff": (False, False, False, False),
        "staff of both": (True, True, True, False),
        "street": (True, True, True, False),
        "other street": (False, False, False, True),
        "machine": (True, True, True, False),
        "other machine": (False, False, False, True),
        "worker of two grids": (True, True, True, False),
        "amy": (True, True, True, False),
    }
    for who, headers in _callers(keys, amy).items():
        compound, building, household, anns = sees[who]
        compounds = {c["id"] for c in ok(await residents.get("/api/v1/compounds", headers=headers))["items"]}
        assert (amy.compound in compounds, ann.compound in compounds) == (compound, anns), who
        assert (await residents.get(f"/api/v1/compounds/{amy.compound}", headers=headers)).status_code == (
            200 if compound else 404
        ), who
        buildings = ok(await residents.get("/api/v1/buildings", params={"compound_id": amy.compound}, headers=headers))
        assert [b["id"] for b in buildings["items"]] == ([amy.building] if building else []), who
        households = ok(
            await residents.get("/api/v1/households", params={"building_id": amy.building}, headers=headers)
        )["items"]
        assert [h["id"] for h in households] == ([amy.household] if household else []), who
        if household:
            assert (households[0]["contact_name"], households[0]["contact_phone"]) == ("A*****", "139****0000")
            assert households[0]["compound_id"] == amy.compound
        others = ok(await residents.get("/api/v1/households", params={"building_id": ann.building}, headers=headers))
        assert bool(others["items"]) == anns, who


async def test_text_the_database_cannot_hold_is_the_callers_mistake(
    residents: httpx.AsyncClient, keys: TestKeys
) -> None:
    """A NUL in a search or in a cursor's name answers 422, as on every other route, not 500."""
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    cursor = encode_cursor(["a\x00", uuid.uuid4()])
    asked = [("/api/v1/residents", {"q": "张\x00"}), ("/api/v1/residents", {"tag": "\x00"})] + [
        (path, {"cursor": cursor})
        for path in ("/api/v1/residents", "/api/v1/households", "/api/v1/compounds", "/api/v1/buildings")
    ]
    for path, params in asked:
        answer = await residents.get(path, params=params, headers=headers)
        assert answer.status_code == 422, (path, params, answer.text)
        assert answer.json()["errors"] == [
            {"field": "request", "message": "text may not contain NUL or other control characters"}
        ]
