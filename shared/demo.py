"""The demo community (API.md "demo accounts", DOMAIN.md sizes), defined once so that every
process's demo loader agrees on the same people, places and ids: the gateway makes their accounts,
the grids service their roster entries and bindings, the residents service their households.

One street, one community of 4 grids, 28 grid workers, 124 party members, 1,296 households in two
compounds, ten residents who sign in by phone, the account of an employer (the jobs service) and the
accounts of the street's two departments (城管, 市场监管).
Everything is deterministic: ids are UUIDv5.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache

DEMO_NAMESPACE = uuid.UUID("6a1f3c2e-8d4b-4f6a-9c1e-2b7d5e8f0a13")
PASSWORD = "demo12345"
COUNTY = "110105"
STREET = "110105001"
STREET_NAME = "示范街道"
COMMUNITY = "110105001001"
COMMUNITY_NAME = "江南社区"
GRIDS = [f"{COMMUNITY}{n:03d}" for n in range(1, 5)]
GRID_WORKERS = 28
PARTY_MEMBERS = 124
RESIDENT_PHONES = [f"139000000{n:02d}" for n in range(1, 11)]
# Grids 1-2 hold 江南小区, grids 3-4 晴岚家园; each grid 6 buildings x 3 units x 6 floors x 3 flats.
COMPOUNDS = ["江南小区", "江南小区", "晴岚家园", "晴岚家园"]
BUILDINGS_PER_GRID, UNITS, FLOORS, FLATS = 6, 3, 6, 3
LINKS_PER_PARTY_MEMBER = 10
EMPLOYER_LOGIN = "employer1"
# The street's departments (职能部门): code, name, kind, office line, and the login of its demo account.
DEPARTMENTS = [
    (f"{STREET}D01", "示范街道城管执法队", "urban_management", "010-65001201", "cg1"),
    (f"{STREET}D02", "示范街道市场监管所", "market_regulation", "010-65001202", "scjg1"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def demo_uuid(kind: str, key: str) -> uuid.UUID:
    """Stable ids shared by every process's demo data."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True, slots=True)
class DemoPerson:
    login: str
    name: str
    role: str  # street_admin, community_staff, grid_worker, party_member, resident, employer, department
    # The place code the role is bound to ("" for residents; the community for the employer; the department's
    # code for a department's account).
    place: str

    @property
    def account_id(self) -> uuid.UUID:
        return demo_uuid("account", self.login)


def grid_worker_grid(n: int) -> str:
    """gw1 ... gw4 hold grids 1 ... 4; the others follow round the grids."""
    return GRIDS[(n - 1) % 4]


def party_member_grid(n: int) -> str:
    """pm1-pm2 grid 1, pm3-pm4 grid 2, ... pm7-pm8 grid 4 (API.md); the others round the grids."""
    return GRIDS[(n - 1) // 2] if n <= 8 else GRIDS[(n - 1) % 4]


def resident_grid(phone: str) -> str:
    return GRIDS[(int(phone[-2:]) - 1) % 4]


@cache
def people() -> list[DemoPerson]:
    result = [
        DemoPerson("street", "街道管理员", "street_admin", STREET),
        DemoPerson("staff", "社区工作人员", "community_staff", COMMUNITY),
    ]
    result += [
        DemoPerson(f"gw{n}", f"网格员{n}", "grid_worker", grid_worker_grid(n)) for n in range(1, GRID_WORKERS + 1)
    ]
    result += [
        DemoPerson(f"pm{n}", f"党员{n}", "party_member", party_member_grid(n)) for n in range(1, PARTY_MEMBERS + 1)
    ]
    result += [DemoPerson(phone, f"居民{int(phone[-2:])}", "resident", "") for phone in RESIDENT_PHONES]
    # The account of the 粽叶 workshop (the jobs service links it to that employer).
    result.append(DemoPerson(EMPLOYER_LOGIN, "粽叶车间负责人", "employer", COMMUNITY))
    # An account of each of the street's departments (吹哨报到).
    result += [DemoPerson(login, f"{name}值班员", "department", code) for code, name, _, _, login in DEPARTMENTS]
    return result


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    id: uuid.UUID
    grid_code: str
    compound: str
    building: int
    unit: int
    room: str
    contact_name: str  # masked
    contact_phone: str  # masked
    resident_phone: str | None  # the demo resident living here, if any

    @property
    def address(self) -> str:
        return f"{self.compound}{self.building}号楼{self.unit}单元{self.room}"


@cache
def households() -> list[DemoHousehold]:
    """Every demo household, grid by grid; a grid's first households are the demo residents' own."""
    result: list[DemoHousehold] = []
    for g, grid in enumerate(GRIDS):
        phones = [p for p in RESIDENT_PHONES if resident_grid(p) == grid]
        k = 0
        for b in range(1, BUILDINGS_PER_GRID + 1):
            building = b + BUILDINGS_PER_GRID * (g % 2)
            for unit in range(1, UNITS + 1):
                for floor in range(1, FLOORS + 1):
                    for flat in range(1, FLATS + 1):
                        room = f"{floor}{flat:02d}"
                        phone = phones[k] if k < len(phones) else None
                        key = phone or f"{grid}/{building}-{unit}-{room}"
                        tail = phone[-4:] if phone else f"{(k * 7919 + g * 104729) % 10000:04d}"
                        result.append(
                            DemoHousehold(
                                id=demo_uuid("household", key),
                                grid_code=grid,
                                compound=COMPOUNDS[g],
                                building=building,
                                unit=unit,
                                room=room,
                                contact_name=SURNAMES[(k + g) % len(SURNAMES)] + "*",
                                contact_phone=f"{(phone or '138')[:3]}****{tail}",
                                resident_phone=phone,
                            )
                        )
                        k += 1
    return result


def households_of_grid(grid: str) -> list[DemoHousehold]:
    return [h for h in households() if h.grid_code == grid]


@cache
def links() -> dict[str, list[DemoHousehold]]:
    """十联户: each party member (by login) linked to ten households of their grid."""
    result: dict[str, list[DemoHousehold]] = {}
    for grid in GRIDS:
        members = [p.login for p in people() if p.role == "party_member" and p.place == grid]
        homes = households_of_grid(grid)
        for j, login in enumerate(members):
            start = (j * LINKS_PER_PARTY_MEMBER) % len(homes)
            result[login] = [homes[(start + i) % len(homes)] for i in range(LINKS_PER_PARTY_MEMBER)]
    return result


# The orders service's demo history: this many orders, ``demo_uuid("order", str(n))``; every tenth is
# an ``issue`` (a problem found: leaks, facades, fumes, noise), which other demos may refer to (the
# red-property joint meetings that dealt with them).
ORDER_HISTORY = 360


def is_issue_order(n: int) -> bool:
    return n % 10 == 9


def issue_order_ids() -> list[uuid.UUID]:
    return [demo_uuid("order", str(n)) for n in range(ORDER_HISTORY) if is_issue_order(n)]
