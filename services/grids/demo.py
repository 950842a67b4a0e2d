"""The demo community (``shared.demo``): places, the party tree, the roster with its bindings, the
households with their 十联户 links, three months of visits, and its community life (``life_demo``:
activities, notices, volunteer teams, red property). Loading twice adds nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life_demo
from services.grids.models import (
    Binding,
    Community,
    Grid,
    Household,
    HouseholdLink,
    Member,
    PartyOrg,
    Street,
    Visit,
)
from services.grids.roster.service import STREET_ROLES
from services.grids.visits import service as visits
from shared import demo
from shared.demo import COMMUNITY, COMMUNITY_NAME, COUNTY, GRIDS, STREET, STREET_NAME, demo_uuid
from shared.places import community_of, level_of

DEMO_GRIDS = [(code, f"第{name}网格") for code, name in zip(GRIDS, "一二三四", strict=True)]
VISIT_DAYS = 90
MUST_VISITS = ("wedding_funeral", "illness", "family_change", "dispute", "accident")


def demo_boundary(n: int) -> list[tuple[float, float]]:
    """Grid n of a 2 x 2 block of squares, about 850 m by 1.1 km each, east of the 东三环."""
    west = 116.47 + 0.01 * ((n - 1) % 2)
    south = 39.92 - 0.01 * ((n - 1) // 2)
    east, north = round(west + 0.01, 6), round(south + 0.01, 6)
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


async def load(session: AsyncSession) -> None:
    await load_roster(session)
    if await session.scalar(select(func.count()).select_from(Visit)) == 0:
        await _visits(session)
    await life_demo.load(session)


async def load_roster(session: AsyncSession) -> None:
    """Everything but the visits: what signing in and the roster need."""
    await _places(session)
    await _party_tree(session)
    await _roster(session)
    await _households(session)


async def _places(session: AsyncSession) -> None:
    await session.execute(
        insert(Street).values(code=STREET, name=STREET_NAME).on_conflict_do_nothing(index_elements=["code"])
    )
    await session.execute(
        insert(Community)
        .values(code=COMMUNITY, street_code=STREET, name=COMMUNITY_NAME)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    statement = insert(Grid).values(
        [
            {
                "code": code,
                "name": name,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "boundary": demo_boundary(n),
            }
            for n, (code, name) in enumerate(DEMO_GRIDS, start=1)
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["code"], set_={"boundary": func.coalesce(Grid.boundary, statement.excluded.boundary)}
        )
    )


def _building_group_key(compound: str, building: int) -> str:
    return f"{compound}{building}号楼党小组"


async def _party_tree(session: AsyncSession) -> None:
    """县委 → 街道党工委 → 社区党委 → a branch per compound → a group per building."""
    rows: list[dict[str, Any]] = [
        {"key": "朝阳区委", "parent": None, "level": "county_committee", "place_code": COUNTY},
        {"key": f"{STREET_NAME}党工委", "parent": "朝阳区委", "level": "street_committee", "place_code": STREET},
        {
            "key": f"{COMMUNITY_NAME}党委",
            "parent": f"{STREET_NAME}党工委",
            "level": "community_org",
            "place_code": COMMUNITY,
        },
    ]
    buildings = sorted({(h.compound, h.building) for h in demo.households()})
    for compound in dict.fromkeys(c for c, _ in buildings):
        rows.append(
            {
                "key": f"{compound}党支部",
                "parent": f"{COMMUNITY_NAME}党委",
                "level": "compound_branch",
                "place_code": COMMUNITY,
                "compound": compound,
            }
        )
    for compound, building in buildings:
        rows.append(
            {
                "key": _building_group_key(compound, building),
                "parent": f"{compound}党支部",
                "level": "building_group",
                "place_code": COMMUNITY,
                "compound": compound,
                "building": f"{building}号楼",
            }
        )
    values = [
        {
            "id": demo_uuid("party_org", row["key"]),
            "parent_id": demo_uuid("party_org", row["parent"]) if row["parent"] else None,
            "level": row["level"],
            "name": row["key"],
            "place_code": row["place_code"],
            "street_code": None if row["level"] == "county_committee" else STREET,
            "community_code": COMMUNITY if len(row["place_code"]) == 12 else None,
            "compound": row.get("compound"),
            "building": row.get("building"),
        }
        for row in rows
    ]
    await session.execute(insert(PartyOrg).values(values).on_conflict_do_nothing(index_elements=["id"]))


async def _roster(session: AsyncSession) -> None:
    links = demo.links()
    members: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    for n, person in enumerate(p for p in demo.people() if p.role != "resident"):
        member_id = demo_uuid("member", person.login)
        party_kind = org = work_unit = full_time = None
        if person.role == "party_member":
            party_kind = ("work_unit", "resident", "resident", "co_building")[n % 4]
            home = links[person.login][0]
            org = demo_uuid("party_org", _building_group_key(home.compound, home.building))
            work_unit = {"work_unit": "朝阳区人民医院", "co_building": "江南物业公司"}.get(party_kind)
        if person.role == "grid_worker":
            full_time = person.login in {"gw1", "gw2", "gw3", "gw4"}
        members.append(
            {
                "id": member_id,
                "account_id": person.account_id,
                "name": person.name,
                "street_code": STREET,
                "community_code": None if person.role in STREET_ROLES else COMMUNITY,
                "party_kind": party_kind,
                "party_org_id": org,
                "work_unit": work_unit,
                "full_time": full_time,
            }
        )
        bindings.append(
            {
                "id": demo_uuid("binding", person.login),
                "member_id": member_id,
                "role": person.role,
                "place_code": person.place,
                "street_code": STREET,
                "community_code": None if person.role in STREET_ROLES else community_of(person.place),
                "grid_code": None if person.role in STREET_ROLES or level_of(person.place) != "grid" else person.place,
            }
        )
    await session.execute(insert(Member).values(members).on_conflict_do_nothing(index_elements=["id"]))
    await session.execute(insert(Binding).values(bindings).on_conflict_do_nothing())


async def _households(session: AsyncSession) -> None:
    """The copy of the demo households, with the building and compound ids the residents service's demo
    gives them (``services/residents/demo.py``), so that compound notices reach their residents. Rows
    loaded before the copy knew compounds get them now."""
    rows = [
        {
            "id": h.id,
            "grid_code": h.grid_code,
            "community_code": COMMUNITY,
            "street_code": STREET,
            "building_id": demo_uuid("building", f"{h.compound}{h.building}"),
            "compound_id": demo_uuid("compound", h.compound),
            "compound_name": h.compound,
            "address": h.address,
            "contact_name": h.contact_name,
            "contact_phone": h.contact_phone,
        }
        for h in demo.households()
    ]
    statement = insert(Household).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "building_id": statement.excluded.building_id,
                "compound_id": statement.excluded.compound_id,
                "compound_name": statement.excluded.compound_name,
            },
            where=col(Household.compound_id).is_(None),
        )
    )
    link_rows = [
        {"member_id": demo_uuid("member", login), "household_id": h.id}
        for login, homes in demo.links().items()
        for h in homes
    ]
    await session.execute(insert(HouseholdLink).values(link_rows).on_conflict_do_nothing())


def _point_in(grid: str, rng: random.Random, outside: bool) -> tuple[float, float]:
    (west, south), _, (east, north), *_ = demo_boundary(GRIDS.index(grid) + 1)
    if outside:
        return round(south - 0.003, 6), round(west + rng.random() * (east - west), 6)
    return round(south + rng.random() * (north - south), 6), round(west + rng.random() * (east - west), 6)


async def _visits(session: AsyncSession) -> None:
    """Some months of visits: each grid worker about two a working day in their grid, each party
    member now and then to their linked households; a few must-visits and follow-ups."""
    rng = random.Random(20261123)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows: list[dict[str, Any]] = []
    visitors = [(p, demo.households_of_grid(p.place)) for p in demo.people() if p.role == "grid_worker"]
    visitors += [(p, demo.links()[p.login]) for p in demo.people() if p.role == "party_member"]
    for person, homes in visitors:
        per_day = 2 if person.role == "grid_worker" else 0.08
        for day in range(VISIT_DAYS, 0, -1):
            when = now - timedelta(days=day)
            if when.weekday() >= 5:
                continue
            count = int(per_day) + (1 if rng.random() < per_day % 1 else 0)
            for i in range(count):
                home = rng.choice(homes)
                must = rng.random() < 0.06
                lat, lng = _point_in(home.grid_code, rng, outside=rng.random() < 0.02)
                rows.append(
                    {
                        "id": demo_uuid("visit", f"{person.login}/{day}/{i}"),
                        "member_id": demo_uuid("member", person.login),
                        "household_id": home.id,
                        "grid_code": home.grid_code,
                        "community_code": COMMUNITY,
                        "street_code": STREET,
                        "kind": rng.choice(MUST_VISITS) if must else "routine",
                        "visited_at": when.replace(hour=9 + rng.randrange(8), minute=rng.randrange(60)),
                        "lat": lat,
                        "lng": lng,
                        "notes": "五必访,了解情况并慰问" if must else "日常走访,家中一切正常",
                        "follow_up": must and rng.random() < 0.5,
                    }
                )
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        created = set(
            (
                await session.scalars(
                    insert(Visit).values(chunk).on_conflict_do_nothing(index_elements=["id"]).returning(col(Visit.id))
                )
            ).all()
        )
        for row in chunk:
            if row["follow_up"] and row["id"] in created:
                await visits.emit_follow_up(session, row)
    await _flag_outside(session)
    # Those follow-ups are history, dealt with before the platform ran: no issue orders are made of them.
    await session.execute(
        text("UPDATE outbox_event SET delivered_at = occurred_at WHERE type = 'visit.follow_up_needed'")
    )


async def _flag_outside(session: AsyncSession) -> None:
    """outside_grid as the service computes it: the database's polygon test against the boundary."""
    await session.execute(
        text(
            "UPDATE visit v SET outside_grid = NOT (g.boundary @> point(v.lng, v.lat))"
            " FROM grid g WHERE g.code = v.grid_code AND g.boundary IS NOT NULL AND v.lat IS NOT NULL"
            " AND v.outside_grid IS NULL"
        )
    )
