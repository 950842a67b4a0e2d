"""Volunteer teams (志愿服务队): a leader and members (people of the roster, residents by id), the
services they offer, the menu items they take on (so dispatch can offer a team for an order), and
their hours and points per month, counted from the activities they organised."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Uuid, bindparam, delete, exists, extract, func, select, true, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life
from services.grids.models import Activity, ActivitySignup, Member, TeamMember, TeamMenuItem, VolunteerTeam
from services.grids.teams import access
from services.grids.teams.schemas import (
    MenuLink,
    TeamCreate,
    TeamMemberCreate,
    TeamMemberPublic,
    TeamMonth,
    TeamPublic,
    TeamReport,
    TeamUpdate,
)
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery, nested_arrays, nested_rows
from shared.pagination import decode_cursor, page_of
from shared.peers import ResidentHome
from shared.security import Principal

T = VolunteerTeam


async def _visible(session: AsyncSession, principal: Principal, team_id: uuid.UUID, *, manage: bool = False) -> T:
    scope = (
        life.manage_scope(principal, street=col(T.street_code), community=col(T.community_code))
        if manage
        else access.scope(principal)
    )
    team = await session.scalar(select(T).where(col(T.id) == team_id, scope))
    if team is None:
        raise NotFound(f"no volunteer team {team_id} in your scope")
    return team


async def _public(session: AsyncSession, team: T) -> TeamPublic:
    links = (
        await session.scalars(
            select(TeamMenuItem).where(col(TeamMenuItem.team_id) == team.id).order_by(col(TeamMenuItem.name))
        )
    ).all()
    members = await session.scalar(select(func.count()).where(col(TeamMember.team_id) == team.id))
    leader = await session.get(Member, team.leader_member_id) if team.leader_member_id else None
    return TeamPublic.model_validate(
        {
            **team.model_dump(),
            "leader_name": leader.name if leader else None,
            "menu_items": [MenuLink(menu_item_id=link.menu_item_id, name=link.name) for link in links],
            "members": members or 0,
        }
    )


async def get(*, session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> TeamPublic:
    return await _public(session, await _visible(session, principal, team_id))


# -- reading (the read fast lane) -----------------------------------------------------------

_MENU = tuple(MenuLink.model_fields)


def _public_columns() -> tuple[Any, ...]:
    """TeamPublic's fields of the team of the enclosing query; its menu items as one array per field
    (``menu_*``, by name), from the ``menu`` lateral of ``_menu_items``."""
    leader = select(col(Member.name)).where(col(Member.id) == col(T.leader_member_id)).scalar_subquery()
    members = select(func.count()).where(col(TeamMember.team_id) == col(T.id)).scalar_subquery()
    own = [col(getattr(T, name)) for name in TeamPublic.model_fields if name in T.model_fields]
    return (*own, leader.label("leader_name"), members.label("members"))


def _menu_items() -> Any:
    order = (col(TeamMenuItem.name), col(TeamMenuItem.menu_item_id))
    return nested_arrays("menu", TeamMenuItem, _MENU, order, col(TeamMenuItem.team_id) == col(T.id))


def _team_public(row: Any) -> dict[str, Any]:
    team = dict(row)
    team["menu_items"] = nested_rows(team, "menu", _MENU)
    return team


def _scope(shape: life.LifeScope) -> Any:
    return life.community_clause(shape, street=col(T.street_code), community=col(T.community_code))


@functools.lru_cache(maxsize=128)
def _list_query(shape: life.LifeScope, by_menu_item: bool, after: bool) -> PreparedQuery:
    """One prepared statement per shape of the teams list: scope parts, filters given."""
    menu = _menu_items()
    statement = select(*_public_columns(), *menu.c).select_from(T).join(menu, true()).where(_scope(shape))
    if by_menu_item:
        statement = statement.where(
            exists().where(
                col(TeamMenuItem.team_id) == col(T.id),
                col(TeamMenuItem.menu_item_id) == bindparam("menu_item_id", type_=Uuid()),
            )
        )
    if after:
        statement = statement.where(
            tuple_(col(T.name), col(T.id))
            > tuple_(bindparam("after_name", type_=String()), bindparam("after_id", type_=Uuid()))
        )
    statement = statement.order_by(col(T.name), col(T.id))
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer)))


async def list_teams(
    *,
    lane: FastLane,
    principal: Principal,
    menu_item_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Teams of the caller's communities by name; with ``menu_item_id``, those that take on that item.
    As rows of ``TeamPublic``'s fields."""
    shape, values = life.community_shape(principal)
    values.update(menu_item_id=menu_item_id, limit=limit + 1)
    if cursor:
        values["after_name"], values["after_id"] = decode_cursor(cursor, (str, uuid.UUID))
    rows = await lane.fetch_prepared(_list_query(shape, menu_item_id is not None, bool(cursor)), values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["name"], row["id"]))
    return [_team_public(row) for row in items], next_cursor


@functools.lru_cache(maxsize=64)
def _one_query(shape: life.LifeScope) -> PreparedQuery:
    menu = _menu_items()
    statement = (
        select(*_public_columns(), *menu.c)
        .select_from(T)
        .join(menu, true())
        .where(col(T.id) == bindparam("team_id", type_=Uuid()), _scope(shape))
    )
    return PreparedQuery(statement)


async def get_team(*, lane: FastLane, principal: Principal, team_id: uuid.UUID) -> dict[str, Any]:
    """One team in the caller's scope, as ``TeamPublic``'s fields."""
    shape, values = life.community_shape(principal)
    rows = await lane.fetch_found(
        _one_query(shape), {**values, "team_id": team_id}, f"no volunteer team {team_id} in your scope"
    )
    return _team_public(rows[0])


async def _leader(session: AsyncSession, community_code: str, member_id: uuid.UUID) -> Member:
    leader = await session.scalar(
        select(Member).where(col(Member.id) == member_id, col(Member.community_code) == community_code)
    )
    if leader is None:
        raise ValidationFailed.on("leader_member_id", "no such member on the community's roster")
    return leader


async def _link_menu(
    session: AsyncSession, team: T, menu_item_ids: list[uuid.UUID], menu: dict[uuid.UUID, str]
) -> None:
    """Replace the team's menu items; ``menu``: the community's menu as the orders service answered."""
    for index, item_id in enumerate(menu_item_ids):
        if item_id not in menu:
            raise ValidationFailed.on(f"menu_item_ids.{index}", "no such item on the community's menu")
    await session.execute(delete(TeamMenuItem).where(col(TeamMenuItem.team_id) == team.id))
    for item_id in dict.fromkeys(menu_item_ids):
        session.add(TeamMenuItem(team_id=team.id, menu_item_id=item_id, name=menu[item_id][:60]))


async def _add_leader(session: AsyncSession, team: T) -> None:
    if team.leader_member_id is not None and not await session.scalar(
        select(func.count()).where(
            col(TeamMember.team_id) == team.id, col(TeamMember.member_id) == team.leader_member_id
        )
    ):
        session.add(TeamMember(team_id=team.id, member_id=team.leader_member_id))


async def _name_taken(session: AsyncSession, community_code: str, name: str, team_id: uuid.UUID | None) -> None:
    holder = await session.scalar(select(col(T.id)).where(col(T.community_code) == community_code, col(T.name) == name))
    if holder is not None and holder != team_id:
        raise Conflict(f"the community has a team named {name} already")


async def create(
    *, session: AsyncSession, principal: Principal, team_in: TeamCreate, menu: dict[uuid.UUID, str]
) -> TeamPublic:
    community = await life.managed_community(session, principal, team_in.community_code)
    await _name_taken(session, community.code, team_in.name, None)
    if team_in.leader_member_id is not None:
        await _leader(session, community.code, team_in.leader_member_id)
    team = T(
        **team_in.model_dump(exclude={"community_code", "menu_item_ids"}),
        community_code=community.code,
        street_code=community.street_code,
    )
    session.add(team)
    await session.flush()
    await _link_menu(session, team, team_in.menu_item_ids, menu)
    await _add_leader(session, team)
    await session.flush()
    return await _public(session, team)


async def update(
    *, session: AsyncSession, principal: Principal, team_id: uuid.UUID, changes: TeamUpdate, menu: dict[uuid.UUID, str]
) -> TeamPublic:
    team = await _visible(session, principal, team_id, manage=True)
    values = changes.model_dump(exclude_unset=True)
    for field in ("name", "description", "services", "menu_item_ids"):
        if field in values and values[field] is None:
            raise ValidationFailed.on(field, "give a value, or leave the field out")
    if "name" in values:
        await _name_taken(session, team.community_code, values["name"], team.id)
    if values.get("leader_member_id") is not None:
        await _leader(session, team.community_code, values["leader_member_id"])
    if "menu_item_ids" in values:
        await _link_menu(session, team, values.pop("menu_item_ids"), menu)
    for field, value in values.items():
        setattr(team, field, value)
    await session.flush()
    await _add_leader(session, team)
    await session.flush()
    return await _public(session, team)


# -- members ---------------------------------------------------------------------------------


def _member_public(row: Any) -> TeamMemberPublic:
    member, name = row
    return TeamMemberPublic.model_validate({**member.model_dump(), "name": name})


async def list_members(
    *, session: AsyncSession, principal: Principal, team_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[TeamMemberPublic], str | None]:
    team = await _visible(session, principal, team_id)
    statement = (
        select(TeamMember, col(Member.name))
        .outerjoin(Member, col(Member.id) == col(TeamMember.member_id))
        .where(col(TeamMember.team_id) == team.id)
    )
    if cursor:
        after_at, after_id = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(TeamMember.joined_at), col(TeamMember.id)) > tuple_(after_at, after_id))
    rows = (
        await session.execute(statement.order_by(col(TeamMember.joined_at), col(TeamMember.id)).limit(limit + 1))
    ).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row[0].joined_at.isoformat(), row[0].id))
    return [_member_public(row) for row in items], next_cursor


async def add_member(
    *,
    session: AsyncSession,
    principal: Principal,
    team_id: uuid.UUID,
    member_in: TeamMemberCreate,
    home: ResidentHome | None,
) -> tuple[TeamMemberPublic, bool]:
    """Add someone of the roster or a resident (``home``: where the registry says they live); False
    when they were in the team already."""
    team = await _visible(session, principal, team_id, manage=True)
    if (member_in.member_id is None) == (member_in.resident_id is None):
        raise ValidationFailed.on("member_id", "give a member_id or a resident_id")
    name = None
    if member_in.member_id is not None:
        member = await session.scalar(
            select(Member).where(
                col(Member.id) == member_in.member_id, col(Member.community_code) == team.community_code
            )
        )
        if member is None:
            raise ValidationFailed.on("member_id", "no such member on the community's roster")
        name, same = member.name, col(TeamMember.member_id) == member.id
    else:
        if home is None or home.community_code != team.community_code:
            raise ValidationFailed.on("resident_id", "no such resident in the team's community")
        same = col(TeamMember.resident_id) == home.resident_id
    existing = await session.scalar(select(TeamMember).where(col(TeamMember.team_id) == team.id, same))
    if existing is not None:
        return TeamMemberPublic.model_validate({**existing.model_dump(), "name": name}), False
    row = TeamMember(team_id=team.id, member_id=member_in.member_id, resident_id=member_in.resident_id)
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # the same person added by another request a moment earlier
        raise Conflict("added to the team a moment ago") from exc
    return TeamMemberPublic.model_validate({**row.model_dump(), "name": name}), True


async def remove_member(
    *, session: AsyncSession, principal: Principal, team_id: uuid.UUID, team_member_id: uuid.UUID
) -> None:
    team = await _visible(session, principal, team_id, manage=True)
    row = await session.scalar(
        select(TeamMember).where(col(TeamMember.id) == team_member_id, col(TeamMember.team_id) == team.id)
    )
    if row is None:
        raise NotFound(f"no member {team_member_id} in the team")
    if row.member_id is not None and row.member_id == team.leader_member_id:
        raise Conflict("the leader stays in the team: name another leader first")
    await session.delete(row)
    await session.flush()


# -- hours and points ------------------------------------------------------------------------


async def report(*, session: AsyncSession, principal: Principal, team_id: uuid.UUID, year: int) -> TeamReport:
    """Per month of the year (China time): the activities the team organised, the volunteers checked
    in at them, their hours (each check-in counts the activity's length) and their points."""
    team = await _visible(session, principal, team_id)
    start, _ = life.month_bounds(f"{year:04d}-01")
    _, end = life.month_bounds(f"{year:04d}-12")
    month = extract("month", func.timezone(life.CHINA.key, col(Activity.starts_at)))
    served = (col(ActivitySignup.role) == "volunteer") & col(ActivitySignup.checked_in_at).is_not(None)
    hours = extract("epoch", col(Activity.ends_at) - col(Activity.starts_at)) / 3600
    was_served = col(ActivitySignup.id).is_not(None)
    rows = (
        await session.execute(
            select(
                month,
                func.count(func.distinct(col(Activity.id))),
                func.count(col(ActivitySignup.id)),
                func.coalesce(func.sum(hours).filter(was_served), 0).cast(Float),
                func.coalesce(func.sum(col(Activity.points)).filter(was_served), 0),
            )
            .select_from(Activity)
            .outerjoin(ActivitySignup, (col(ActivitySignup.activity_id) == col(Activity.id)) & served)
            .where(
                col(Activity.organiser_kind) == "volunteer_team",
                col(Activity.organiser_id) == team.id,
                col(Activity.state) == "published",
                col(Activity.starts_at) >= start,
                col(Activity.starts_at) < end,
            )
            .group_by(month)
        )
    ).all()
    figures = {int(number): (held, checked, float(total), int(points)) for number, held, checked, total, points in rows}
    months = []
    for number in range(1, 13):
        held, checked, total, points = figures.get(number, (0, 0, 0.0, 0))
        months.append(
            TeamMonth(
                month=f"{year:04d}-{number:02d}",
                activities=held,
                volunteers_served=checked,
                hours=round(total, 1),
                points=points,
            )
        )
    return TeamReport(team_id=team.id, year=year, months=months)
