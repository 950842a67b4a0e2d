"""The roster as its users meet it: the bindings the gateway puts into tokens, moving and binding
members, the scope of the members list, 十联户 links and the party tree, on the demo community."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.security import MACHINE_AUDIENCE
from shared.testing import TestKeys
from tests.support import db
from tests.support.answers import ok
from tests.support.fakes import FakeGateway
from tests.support.outbox import outbox
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET_COMMUNITY
from tests.support.problems import assert_problem


def person(login: str) -> demo.DemoPerson:
    return next(p for p in demo.people() if p.login == login)


def as_person(keys: TestKeys, login: str) -> dict[str, str]:
    who = person(login)
    return keys.headers(sub=str(who.account_id), roles=[who.role], places={who.role: [who.place]})


def member_id(login: str) -> uuid.UUID:
    return demo_uuid("member", login)


def gateway(keys: TestKeys) -> dict[str, str]:
    """The gateway's own machine token, as it asks for an account's bindings."""
    token = keys.token(aud=MACHINE_AUDIENCE, sub="client:gateway", client_id="gateway", scope="internal")
    return {"Authorization": f"Bearer {token}"}


async def bindings_of(grids: httpx.AsyncClient, keys: TestKeys, account_id: uuid.UUID) -> dict[str, Any]:
    return ok(await grids.get(f"/internal/accounts/{account_id}/bindings", headers=gateway(keys)))


async def all_members(grids: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /api/v1/members, 100 at a time."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 100, **params, **({"cursor": cursor} if cursor else {})}
        response = await grids.get("/api/v1/members", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 100
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


# -- the internal bindings endpoint ------------------------------------------------------------


async def test_gateway_reads_an_accounts_bindings_and_no_one_else_may(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    pm1 = person("pm1")
    body = await bindings_of(grids, keys, pm1.account_id)
    assert body["roles"] == ["party_member"]
    assert body["places"] == {"party_member": [GRIDS[0]]}
    assert body["member_id"] == str(member_id("pm1"))

    stranger = await bindings_of(grids, keys, uuid.uuid4())
    assert stranger["roles"] == [] and stranger["places"] == {} and stranger["member_id"] is None

    url = f"/internal/accounts/{pm1.account_id}/bindings"
    assert_problem(await grids.get(url, headers=as_person(keys, "staff")), 403)
    reader = keys.machine_token(street_code=STREET, scopes=["grids:read"])
    assert_problem(await grids.get(url, headers={"Authorization": f"Bearer {reader}"}), 403)
    assert_problem(await grids.get(url), 401)


# -- bindings ------------------------------------------------------------------------------------


async def test_staff_move_a_party_member_to_another_grid_and_the_gateway_sees_it(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, database_urls: dict[str, str]
) -> None:
    pm1 = member_id("pm1")
    moved = await grids.put(
        f"/api/v1/members/{pm1}/bindings",
        json={"bindings": [{"role": "party_member", "place_code": GRIDS[1]}]},
        headers=as_person(keys, "staff"),
    )
    assert moved.status_code == 200, moved.text
    assert [(b["role"], b["place_code"]) for b in moved.json()["bindings"]] == [("party_member", GRIDS[1])]

    body = await bindings_of(grids, keys, person("pm1").account_id)
    assert body["places"] == {"party_member": [GRIDS[1]]}

    events = await outbox(database_urls["grids"])
    assert [(kind, aggregate) for kind, aggregate, _ in events] == [("member.bindings_changed", str(pm1))]
    assert events[0][2] == {"member_id": str(pm1), "account_id": str(person("pm1").account_id)}


@pytest.mark.parametrize(
    ("login", "bindings", "status", "field"),
    [
        pytest.param(
            "staff",
            [{"role": "party_member", "place_code": f"{NEIGHBOUR_COMMUNITY}001"}],
            422,
            "bindings.0.place_code",
            id="grid-of-another-community",
        ),
        pytest.param(
            "staff", [{"role": "street_admin", "place_code": STREET}], 403, None, id="staff-grant-street-admin"
        ),
        pytest.param(
            "staff",
            [{"role": "party_member", "place_code": GRIDS[0]}, {"role": "grid_worker", "place_code": COMMUNITY}],
            422,
            "bindings.1.place_code",
            id="grid-worker-on-a-community-code",
        ),
        pytest.param(
            "staff",
            [{"role": "party_member", "place_code": GRIDS[2]}, {"role": "party_member", "place_code": GRIDS[2]}],
            422,
            "bindings.1.place_code",
            id="same-binding-twice",
        ),
        pytest.param("gw1", [{"role": "party_member", "place_code": GRIDS[1]}], 403, None, id="grid-worker"),
    ],
)
async def test_a_refused_binding_change_leaves_the_old_bindings(
    grids: httpx.AsyncClient,
    keys: TestKeys,
    roster: None,
    database_urls: dict[str, str],
    login: str,
    bindings: list[dict[str, str]],
    status: int,
    field: str | None,
) -> None:
    pm1 = member_id("pm1")
    refused = await grids.put(
        f"/api/v1/members/{pm1}/bindings", json={"bindings": bindings}, headers=as_person(keys, login)
    )
    assert_problem(refused, status, field)

    shown = await grids.get(f"/api/v1/members/{pm1}", headers=as_person(keys, "staff"))
    assert [(b["role"], b["place_code"]) for b in shown.json()["bindings"]] == [("party_member", GRIDS[0])]
    assert (await bindings_of(grids, keys, person("pm1").account_id))["places"] == {"party_member": [GRIDS[0]]}
    assert await outbox(database_urls["grids"]) == []


# -- who sees whom ------------------------------------------------------------------------------


def roster_logins(*, grid: str | None = None, role: str | None = None) -> set[str]:
    return {
        p.login
        for p in demo.people()
        if p.role not in ("resident", "street_admin", "department")
        and (grid is None or p.place == grid)
        and (role is None or p.role == role)
    }


async def test_staff_page_through_exactly_their_communitys_roster(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    items = await all_members(grids, as_person(keys, "staff"))
    ids = [item["id"] for item in items]
    # the staff member, 28 grid workers, 124 party members, the demo employer's account
    assert len(ids) == len(set(ids)) == 154
    assert set(ids) == {str(member_id(login)) for login in roster_logins()}
    assert str(member_id("street")) not in ids  # the street's admin belongs to no community
    assert [item["name"] for item in items] == sorted(item["name"] for item in items)


async def test_a_grid_worker_sees_the_members_of_their_grid_only(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    gw1 = as_person(keys, "gw1")
    items = await all_members(grids, gw1)
    expected = roster_logins(grid=GRIDS[0])
    assert len(expected) == 38  # 7 grid workers, 31 party members
    assert {item["id"] for item in items} == {str(member_id(login)) for login in expected}
    assert str(member_id("gw1")) in {item["id"] for item in items}

    pm2 = await grids.get(f"/api/v1/members/{member_id('pm2')}", headers=gw1)
    assert pm2.status_code == 200
    assert [b["place_code"] for b in pm2.json()["bindings"]] == [GRIDS[0]]
    assert_problem(await grids.get(f"/api/v1/members/{member_id('pm3')}", headers=gw1), 404)
    assert_problem(await grids.get(f"/api/v1/members/{member_id('staff')}", headers=gw1), 404)


async def test_members_filtered_by_role_grid_and_name(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    staff = as_person(keys, "staff")
    party_of_grid1 = await all_members(grids, staff, role="party_member", grid_code=GRIDS[0])
    expected = roster_logins(grid=GRIDS[0], role="party_member")
    assert len(expected) == 31
    assert {item["id"] for item in party_of_grid1} == {str(member_id(login)) for login in expected}

    named = await all_members(grids, staff, q="党员12")
    assert sorted(item["name"] for item in named) == sorted(["党员12", *(f"党员{n}" for n in range(120, 125))])
    assert await all_members(grids, staff, q="%") == []  # a LIKE wildcard is a plain character
    assert_problem(await grids.get("/api/v1/members", params={"grid_code": COMMUNITY}, headers=staff), 422, "grid_code")


async def test_a_member_reads_their_own_entry(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    me = await grids.get("/api/v1/members/me", headers=as_person(keys, "pm1"))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["id"] == str(member_id("pm1")) and body["name"] == "党员1"
    assert body["account_id"] == str(person("pm1").account_id)
    assert [(b["role"], b["place_code"]) for b in body["bindings"]] == [("party_member", GRIDS[0])]

    stranger = keys.headers(sub=str(uuid.uuid4()), roles=["party_member"], places={"party_member": [GRIDS[0]]})
    assert_problem(await grids.get("/api/v1/members/me", headers=stranger), 403)


# -- 十联户 ---------------------------------------------------------------------------------------


async def my_households(grids: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await grids.get("/api/v1/members/me/households", params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_party_member_sees_their_ten_households_masked(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    items = await my_households(grids, as_person(keys, "pm1"))
    assert {item["id"] for item in items} == {str(h.id) for h in demo.links()["pm1"]}
    assert len(items) == 10
    for item in items:
        assert "****" in item["contact_phone"]
        assert not re.search(r"\d{11}", item["contact_phone"])
        assert item["contact_name"].endswith("*")
        assert item["grid_code"] == GRIDS[0]
    assert [item["address"] for item in items] == sorted(item["address"] for item in items)


async def test_whose_households_a_caller_may_list(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    """A party member's own (by page, in the same order), a member's in the caller's scope (a grid worker:
    those bound to their grid), nobody's outside it; a party member not on the roster has none."""
    own = await my_households(grids, as_person(keys, "pm1"))
    pm1 = as_person(keys, "pm1")
    url = "/api/v1/members/me/households"
    first = (await grids.get(url, params={"limit": 4}, headers=pm1)).json()
    rest = (await grids.get(url, params={"limit": 10, "cursor": first["next_cursor"]}, headers=pm1)).json()
    assert [h["id"] for h in first["items"] + rest["items"]] == [h["id"] for h in own]
    assert rest["next_cursor"] is None

    gw1 = as_person(keys, "gw1")
    of_pm1 = await grids.get(f"/api/v1/members/{member_id('pm1')}/households", params={"limit": 100}, headers=gw1)
    assert of_pm1.status_code == 200 and of_pm1.json()["items"] == own
    assert_problem(await grids.get(f"/api/v1/members/{member_id('pm3')}/households", headers=gw1), 404)
    assert_problem(await grids.get(f"/api/v1/members/{uuid.uuid4()}/households", headers=gw1), 404)
    unlinked = await grids.get(f"/api/v1/members/{member_id('gw1')}/households", headers=gw1)
    assert unlinked.status_code == 200 and unlinked.json() == {"items": [], "next_cursor": None}
    assert_problem(await grids.get(f"/api/v1/members/{member_id('pm1')}/households", headers=pm1), 403)

    stranger = keys.headers(sub=str(uuid.uuid4()), roles=["party_member"], places={"party_member": [GRIDS[0]]})
    assert_problem(await grids.get(url, headers=stranger), 403)


async def test_members_by_account_and_party_organisation(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    staff = as_person(keys, "staff")
    pm1 = (await grids.get(f"/api/v1/members/{member_id('pm1')}", headers=staff)).json()
    by_account = await all_members(grids, staff, account_id=str(person("pm1").account_id))
    assert [item["id"] for item in by_account] == [pm1["id"]]
    assert await all_members(grids, staff, account_id=str(uuid.uuid4())) == []
    if pm1["party_org_id"] is not None:
        same_org = await all_members(grids, staff, party_org_id=pm1["party_org_id"])
        assert pm1["id"] in {item["id"] for item in same_org}
        assert {item["party_org_id"] for item in same_org} == {pm1["party_org_id"]}
    # A grid worker finds only members bound to their grid, whatever the filter says.
    assert await all_members(grids, as_person(keys, "gw1"), account_id=str(person("pm3").account_id)) == []


async def test_staff_link_and_unlink_a_household(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    staff, pm1 = as_person(keys, "staff"), as_person(keys, "pm1")
    linked = {h.id for h in demo.links()["pm1"]}
    other = next(h for h in demo.households_of_grid(GRIDS[3]) if h.id not in linked)
    url = f"/api/v1/members/{member_id('pm1')}/households/{other.id}"

    assert (await grids.put(url, headers=staff)).status_code == 201
    assert (await grids.put(url, headers=staff)).status_code == 204
    after = await my_households(grids, pm1)
    assert len(after) == 11 and str(other.id) in {item["id"] for item in after}

    assert (await grids.delete(url, headers=staff)).status_code == 204
    assert {item["id"] for item in await my_households(grids, pm1)} == {str(h) for h in linked}
    assert_problem(await grids.delete(url, headers=staff), 404)


async def test_links_refused(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    staff = as_person(keys, "staff")
    household = demo.households_of_grid(GRIDS[0])[-1].id
    by_worker = await grids.put(
        f"/api/v1/members/{member_id('pm1')}/households/{household}", headers=as_person(keys, "gw1")
    )
    assert_problem(by_worker, 403)
    missing = await grids.put(f"/api/v1/members/{member_id('pm1')}/households/{uuid.uuid4()}", headers=staff)
    assert_problem(missing, 404)
    not_party = await grids.put(f"/api/v1/members/{member_id('gw1')}/households/{household}", headers=staff)
    assert_problem(not_party, 422, "member_id")
    assert len(await my_households(grids, as_person(keys, "pm1"))) == 10


# -- creating members --------------------------------------------------------------------------


async def test_staff_add_a_member_with_a_binding(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, gateway_knows_any_account: FakeGateway
) -> None:
    staff = as_person(keys, "staff")
    account = uuid.uuid4()
    body = {
        "name": "新党员",
        "community_code": COMMUNITY,
        "account_id": str(account),
        "party_kind": "resident",
        "bindings": [{"role": "party_member", "place_code": GRIDS[2]}],
    }
    created = await grids.post("/api/v1/members", json=body, headers=staff)
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["street_code"] == STREET and new["party_kind"] == "resident"

    shown = await grids.get(f"/api/v1/members/{new['id']}", headers=staff)
    assert shown.status_code == 200
    assert shown.json()["name"] == "新党员"
    assert [(b["role"], b["place_code"]) for b in shown.json()["bindings"]] == [("party_member", GRIDS[2])]
    assert (await bindings_of(grids, keys, account))["places"] == {"party_member": [GRIDS[2]]}

    taken = await grids.post(
        "/api/v1/members", json=body | {"name": "重复", "account_id": str(person("pm1").account_id)}, headers=staff
    )
    assert_problem(taken, 409)
    elsewhere = await grids.post(
        "/api/v1/members", json=body | {"community_code": OTHER_STREET_COMMUNITY, "account_id": None}, headers=staff
    )
    assert_problem(elsewhere, 404)
    nameless = {key: value for key, value in body.items() if key != "name"} | {"account_id": None}
    assert_problem(await grids.post("/api/v1/members", json=nameless, headers=staff), 422, "name")
    assert len(await all_members(grids, staff, q="重复")) == 0


async def test_staff_bind_an_employer_account_to_their_community_only(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, gateway_knows_any_account: FakeGateway
) -> None:
    """An employer account (the jobs service's employers) is bound to the community code where the
    employer operates; its token then carries the role."""
    staff = as_person(keys, "staff")
    account = uuid.uuid4()
    body = {"name": "粽叶车间负责人", "community_code": COMMUNITY, "account_id": str(account)}
    on_a_grid = body | {"bindings": [{"role": "employer", "place_code": GRIDS[0]}]}
    assert_problem(await grids.post("/api/v1/members", json=on_a_grid, headers=staff), 422, "bindings.0.place_code")
    elsewhere = body | {"bindings": [{"role": "employer", "place_code": NEIGHBOUR_COMMUNITY}]}
    assert_problem(await grids.post("/api/v1/members", json=elsewhere, headers=staff), 422, "bindings.0.place_code")
    assert (await bindings_of(grids, keys, account))["roles"] == []

    created = await grids.post(
        "/api/v1/members", json=body | {"bindings": [{"role": "employer", "place_code": COMMUNITY}]}, headers=staff
    )
    assert created.status_code == 201, created.text
    assert await bindings_of(grids, keys, account) == {
        "account_id": str(account),
        "member_id": created.json()["id"],
        "roles": ["employer"],
        "places": {"employer": [COMMUNITY]},
    }


async def test_a_street_admin_binds_a_departments_account_at_its_code(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, gateway_knows_any_account: FakeGateway
) -> None:
    """A department's people (职能部门) belong to the street, not to a community: its admins put them on the
    roster at the department's code (the street's code, D, two digits), and the token carries it."""
    street, staff = as_person(keys, "street"), as_person(keys, "staff")
    account = uuid.uuid4()
    code = f"{STREET}D05"
    body: dict[str, Any] = {
        "name": "城管执法队员",
        "account_id": str(account),
        "bindings": [{"role": "department", "place_code": code}],
    }
    assert_problem(await grids.post("/api/v1/members", json=body, headers=staff), 403)
    other_street = body | {"bindings": [{"role": "department", "place_code": "110105002D01"}]}
    assert_problem(await grids.post("/api/v1/members", json=other_street, headers=street), 403)
    for wrong in (
        [{"role": "department", "place_code": GRIDS[0]}],
        [{"role": "department", "place_code": STREET}],
        [{"role": "community_staff", "place_code": code}],
        [{"role": "grid_worker", "place_code": f"{STREET}D05001"}],
    ):
        in_community = body | {"community_code": COMMUNITY, "bindings": wrong}
        assert_problem(await grids.post("/api/v1/members", json=in_community, headers=street), 422)
    grid_too = [{"role": "department", "place_code": code}, {"role": "grid_worker", "place_code": GRIDS[0]}]
    mixed = body | {"bindings": grid_too}
    assert_problem(await grids.post("/api/v1/members", json=mixed, headers=street), 422, "community_code")
    assert (await bindings_of(grids, keys, account))["roles"] == []

    created = ok(await grids.post("/api/v1/members", json=body, headers=street), 201)
    assert created["community_code"] is None and created["street_code"] == STREET
    assert [(b["role"], b["place_code"]) for b in created["bindings"]] == [("department", code)]
    assert await bindings_of(grids, keys, account) == {
        "account_id": str(account),
        "member_id": created["id"],
        "roles": ["department"],
        "places": {"department": [code]},
    }
    # The street's admins see and keep them; community staff see them not.
    assert created["id"] in {m["id"] for m in await all_members(grids, street)}
    assert created["id"] not in {m["id"] for m in await all_members(grids, staff)}
    moved = [{"role": "department", "place_code": f"{STREET}D06"}]
    refused = await grids.put(f"/api/v1/members/{created['id']}/bindings", json={"bindings": moved}, headers=staff)
    assert_problem(refused, 404)
    ok(await grids.put(f"/api/v1/members/{created['id']}/bindings", json={"bindings": moved}, headers=street))
    assert (await bindings_of(grids, keys, account))["places"] == {"department": [f"{STREET}D06"]}


# -- the account, checked with the gateway -------------------------------------------------------


def new_member(account: uuid.UUID) -> dict[str, Any]:
    return {
        "name": "新网格员",
        "community_code": COMMUNITY,
        "account_id": str(account),
        "bindings": [{"role": "grid_worker", "place_code": GRIDS[1]}],
    }


async def members_with(database_urls: dict[str, str], account: uuid.UUID) -> int:
    count: int = await db.value(database_urls["grids"], "SELECT count(*) FROM member WHERE account_id = $1", account)
    return count


async def test_an_account_the_gateway_knows_in_the_callers_places_is_taken(
    grids: httpx.AsyncClient,
    keys: TestKeys,
    roster: None,
    gateway_accounts: FakeGateway,
    database_urls: dict[str, str],
) -> None:
    staff = as_person(keys, "staff")
    account, later = uuid.uuid4(), uuid.uuid4()
    gateway_accounts.accounts |= {str(account), str(later)}
    created = ok(await grids.post("/api/v1/members", json=new_member(account), headers=staff), 201)
    assert created["account_id"] == str(account)
    # The gateway was asked with the caller's own token, so it answered within the caller's places.
    assert gateway_accounts.asked == [(str(account), staff["Authorization"])]
    assert (await bindings_of(grids, keys, account))["places"] == {"grid_worker": [GRIDS[1]]}

    url = f"/api/v1/members/{created['id']}"
    assert ok(await grids.patch(url, json={"account_id": str(later)}, headers=staff))["account_id"] == str(later)
    assert ok(await grids.patch(url, json={"account_id": None}, headers=staff))["account_id"] is None
    assert [asked for asked, _ in gateway_accounts.asked] == [str(account), str(later)]


async def test_an_account_unknown_to_the_gateway_names_the_field_and_writes_nothing(
    grids: httpx.AsyncClient,
    keys: TestKeys,
    roster: None,
    gateway_accounts: FakeGateway,
    database_urls: dict[str, str],
) -> None:
    staff = as_person(keys, "staff")
    stranger = uuid.uuid4()
    refused = await grids.post("/api/v1/members", json=new_member(stranger), headers=staff)
    body = assert_problem(refused, 422, "account_id")
    assert body["errors"][0]["field"] == "account_id"
    assert gateway_accounts.asked == [(str(stranger), staff["Authorization"])]
    assert await members_with(database_urls, stranger) == 0
    assert await all_members(grids, staff, q="新网格员") == []
    assert await outbox(database_urls["grids"], "member.created") == []

    moved = await grids.patch(f"/api/v1/members/{member_id('pm1')}", json={"account_id": str(stranger)}, headers=staff)
    assert_problem(moved, 422, "account_id")
    assert await members_with(database_urls, person("pm1").account_id) == 1
    assert await outbox(database_urls["grids"], "member.bindings_changed") == []


async def test_while_the_gateway_cannot_answer_members_with_accounts_wait(
    grids: httpx.AsyncClient,
    grids_with_gateway_down: httpx.AsyncClient,
    keys: TestKeys,
    roster: None,
    gateway_accounts: FakeGateway,
    database_urls: dict[str, str],
) -> None:
    staff = as_person(keys, "staff")
    account = uuid.uuid4()
    unreachable = await grids_with_gateway_down.post("/api/v1/members", json=new_member(account), headers=staff)
    assert_problem(unreachable, 503)

    gateway_accounts.accounts.add(str(account))
    gateway_accounts.failing = True
    failing = await grids.post("/api/v1/members", json=new_member(account), headers=staff)
    assert_problem(failing, 503)
    assert await members_with(database_urls, account) == 0
    assert await outbox(database_urls["grids"], "member.created") == []

    # A member without an account does not need the gateway.
    without = new_member(account) | {"account_id": None}
    assert ok(await grids_with_gateway_down.post("/api/v1/members", json=without, headers=staff), 201)["name"]


# -- the party tree -------------------------------------------------------------------------------


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in walk(child))]


async def test_staff_see_the_five_level_party_tree(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    response = await grids.get("/api/v1/party-orgs", headers=as_person(keys, "staff"))
    assert response.status_code == 200, response.text
    roots = response.json()
    assert [(root["name"], root["level"]) for root in roots] == [("朝阳区委", "county_committee")]

    street = roots[0]["children"]
    assert [node["level"] for node in street] == ["street_committee"]
    community = street[0]["children"]
    assert [node["level"] for node in community] == ["community_org"]
    branches = community[0]["children"]
    assert sorted(node["compound"] for node in branches) == ["晴岚家园", "江南小区"]
    assert {node["level"] for node in branches} == {"compound_branch"}
    groups = [group for branch in branches for group in branch["children"]]
    assert len(groups) == 24 and {group["level"] for group in groups} == {"building_group"}
    assert all(group["building"] for group in groups)

    nodes = walk(roots[0])
    assert sum(node["members"] for node in nodes) == 124
    assert sum(group["members"] for group in groups) == 124


async def test_staff_add_a_building_group_under_a_compound_branch(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    staff = as_person(keys, "staff")
    branch = demo_uuid("party_org", "江南小区党支部")
    body = {"parent_id": str(branch), "name": "江南小区13号楼党小组", "building": "13号楼"}
    created = await grids.post("/api/v1/party-orgs", json=body, headers=staff)
    assert created.status_code == 201, created.text
    new = created.json()
    assert (new["level"], new["compound"], new["building"], new["members"]) == (
        "building_group",
        "江南小区",
        "13号楼",
        0,
    )
    tree = (await grids.get("/api/v1/party-orgs", headers=staff)).json()
    parent = next(node for node in walk(tree[0]) if node["id"] == str(branch))
    assert new["id"] in {child["id"] for child in parent["children"]}

    no_building = {key: value for key, value in body.items() if key != "building"}
    assert_problem(await grids.post("/api/v1/party-orgs", json=no_building, headers=staff), 422, "building")
    group = demo_uuid("party_org", "江南小区1号楼党小组")
    too_deep = await grids.post("/api/v1/party-orgs", json=body | {"parent_id": str(group)}, headers=staff)
    assert_problem(too_deep, 422, "parent_id")
    assert_problem(await grids.post("/api/v1/party-orgs", json=body, headers=as_person(keys, "gw1")), 403)


# -- street admins, and the edges of the party tree -------------------------------------------


async def test_a_street_admin_reads_their_own_entry_and_their_streets_roster(
    grids_500: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    street = as_person(keys, "street")
    me = await grids_500.get("/api/v1/members/me", headers=street)
    assert me.status_code == 200, me.text
    assert me.json()["community_code"] is None
    assert [(b["role"], b["place_code"]) for b in me.json()["bindings"]] == [("street_admin", STREET)]
    assert (await grids_500.get(f"/api/v1/members/{member_id('street')}", headers=street)).status_code == 200
    items = await all_members(grids_500, street)
    # The community's roster, the admin, and the street's own departments' people (cg1, scjg1).
    street_people = roster_logins() | {"street", "cg1", "scjg1"}
    assert {item["id"] for item in items} == {str(member_id(login)) for login in street_people}


async def test_a_community_party_org_needs_an_existing_community(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    committee = demo_uuid("party_org", "示范街道党工委")
    body = {"parent_id": str(committee), "name": "幽灵社区党委", "community_code": f"{STREET}009"}
    created = await grids.post("/api/v1/party-orgs", json=body, headers=as_person(keys, "street"))
    assert_problem(created, 422, "community_code")


async def test_a_building_group_lies_in_its_branchs_compound(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    branch = demo_uuid("party_org", "江南小区党支部")
    body: dict[str, str | None] = {
        "parent_id": str(branch), "name": "江南小区13号楼党小组", "building": "13号楼", "compound": "晴岚家园",
    }  # fmt: skip
    staff = as_person(keys, "staff")
    elsewhere = await grids.post("/api/v1/party-orgs", json=body, headers=staff)
    assert_problem(elsewhere, 422, "compound")  # another compound than the branch's: refused
    for compound in (None, "江南小区"):  # none given, or the branch's own: the group lies in the branch's
        body = {**body, "compound": compound, "name": f"江南小区13号楼党小组{compound or ''}"}
        created = await grids.post("/api/v1/party-orgs", json=body, headers=staff)
        assert created.status_code == 201, created.text
        assert (created.json()["level"], created.json()["compound"]) == ("building_group", "江南小区")
