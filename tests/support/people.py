"""The demo community's people as the services' tests meet them: real tokens signed by the test keys,
with the ids, roles and places the gateway would give them (``shared.demo``)."""

from __future__ import annotations

import uuid

from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.testing import TestKeys


def account(login: str) -> str:
    return str(demo_uuid("account", login))


def resident_id(phone: str) -> str:
    return str(demo_uuid("resident", phone))


def resident(keys: TestKeys, phone: str = "13900000001") -> dict[str, str]:
    return keys.headers(
        sub=account(phone),
        roles=["resident"],
        resident_id=resident_id(phone),
        household_id=str(demo_uuid("household", phone)),
        grid_code=demo.resident_grid(phone),
        name=f"居民{int(phone[-2:])}",
    )


def someone_living_in(keys: TestKeys, grid: str = GRIDS[0]) -> dict[str, str]:
    """A resident with an account of their own, not one of the demo's (not on the registry)."""
    return keys.headers(
        sub=str(uuid.uuid4()), roles=["resident"], resident_id=str(uuid.uuid4()), household_id=str(uuid.uuid4()),
        grid_code=grid,
    )  # fmt: skip


def staff(keys: TestKeys, community: str = COMMUNITY) -> dict[str, str]:
    """The demo community's staff, or someone on the staff of another community."""
    return keys.headers(
        sub=account("staff") if community == COMMUNITY else str(uuid.uuid4()),
        roles=["community_staff"],
        places={"community_staff": [community]},
        name="社区工作人员",
    )


def street(keys: TestKeys) -> dict[str, str]:
    return keys.headers(sub=account("street"), roles=["street_admin"], places={"street_admin": [STREET]})


def party_member(keys: TestKeys, n: int, grid: str | None = None) -> dict[str, str]:
    return keys.headers(
        sub=account(f"pm{n}"),
        roles=["party_member"],
        places={"party_member": [grid or demo.party_member_grid(n)]},
        name=f"党员{n}",
    )


def grid_worker(keys: TestKeys, n: int) -> dict[str, str]:
    return keys.headers(
        sub=account(f"gw{n}"),
        roles=["grid_worker"],
        places={"grid_worker": [demo.grid_worker_grid(n)]},
        name=f"网格员{n}",
    )


def department(keys: TestKeys, code: str = demo.DEPARTMENTS[0][0], login: str | None = None) -> dict[str, str]:
    """An account of a street's department (职能部门): the demo's (cg1 of 城管 D01, scjg1 of 市场监管 D02), or
    one of another department."""
    known = {c: who for c, _, _, _, who in demo.DEPARTMENTS}
    who = login or known.get(code)
    return keys.headers(
        sub=account(who) if who else str(uuid.uuid4()),
        roles=["department"],
        places={"department": [code]},
        name=f"{code}值班员",
    )


def machine(keys: TestKeys, scopes: tuple[str, ...], street: str = STREET) -> dict[str, str]:
    """A street's client (client credentials), as the gateway signs its machine tokens."""
    return {"Authorization": f"Bearer {keys.machine_token(street_code=street, scopes=scopes)}"}
