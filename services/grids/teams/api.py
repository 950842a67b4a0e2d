"""HTTP endpoints of volunteer teams (志愿服务队): teams, their members, menu items, hours and points."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids import life
from services.grids.clients import OtherServicesDep
from services.grids.teams import service as teams
from services.grids.teams.access import Manager, Reader, RosterReader
from services.grids.teams.schemas import (
    TeamCreate,
    TeamMemberCreate,
    TeamMemberPage,
    TeamMemberPublic,
    TeamPage,
    TeamPublic,
    TeamReport,
    TeamUpdate,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import ValidationFailed, problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.security import Principal

router = APIRouter(prefix="/api/v1/teams", tags=["volunteer teams"])

TeamId = Annotated[uuid.UUID, Path(description="the volunteer team's id")]


async def _menu(
    others: OtherServicesDep, community_code: str | None, principal: Principal, wanted: list[uuid.UUID] | None
) -> dict[uuid.UUID, str]:
    """The community's menu, asked of the orders service only when menu items are named."""
    if not wanted:
        return {}
    community = community_code or next(iter(principal.places_of("community_staff")), None)
    return await others.menu(community) if community else {}


@router.get(
    "", response_model=TeamPage, responses=problem_responses(401, 403, 422), summary="志愿服务队列表 (List Teams)"
)
async def list_teams(
    principal: Reader,
    lane: FastLaneDep,
    menu_item_id: Annotated[uuid.UUID | None, Query(description="teams that take on this menu item")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Volunteer teams of the caller's communities, by name (dispatch: those offering a menu item)."""
    items, next_cursor = await teams.list_teams(
        lane=lane, principal=principal, menu_item_id=menu_item_id, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "",
    status_code=201,
    response_model=TeamPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="新建志愿服务队 (Create Team)",
)
async def create_team(
    team_in: TeamCreate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> TeamPublic:
    """Set up a volunteer team of the community, with its leader, services and menu items."""
    menu = await _menu(others, team_in.community_code, principal, team_in.menu_item_ids)
    return await teams.create(session=session, principal=principal, team_in=team_in, menu=menu)


@router.get(
    "/{team_id}",
    response_model=TeamPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="志愿服务队详情 (Get Team)",
)
async def get_team(team_id: TeamId, principal: Reader, lane: FastLaneDep) -> Response:
    """One volunteer team."""
    return json_response(await teams.get_team(lane=lane, principal=principal, team_id=team_id))


@router.patch(
    "/{team_id}",
    response_model=TeamPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="修改志愿服务队 (Update Team)",
)
async def update_team(
    team_id: TeamId, changes: TeamUpdate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> TeamPublic:
    """Change a team: name, description, services, leader, menu items (the whole set)."""
    team = await teams.get(session=session, principal=principal, team_id=team_id)
    menu = await _menu(others, team.community_code, principal, changes.menu_item_ids)
    return await teams.update(session=session, principal=principal, team_id=team_id, changes=changes, menu=menu)


@router.get(
    "/{team_id}/members",
    response_model=TeamMemberPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="队员列表 (List Members)",
)
async def list_members(
    team_id: TeamId, principal: RosterReader, session: SessionDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> TeamMemberPage:
    """The team's members, in the order they joined."""
    items, next_cursor = await teams.list_members(
        session=session, principal=principal, team_id=team_id, limit=limit, cursor=cursor
    )
    return TeamMemberPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{team_id}/members",
    status_code=201,
    response_model=TeamMemberPublic,
    responses={
        200: {"model": TeamMemberPublic, "description": "in the team already"},
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
    summary="添加队员 (Add Member)",
)
async def add_member(
    team_id: TeamId,
    member_in: TeamMemberCreate,
    principal: Manager,
    session: SessionDep,
    others: OtherServicesDep,
    response: Response,
) -> TeamMemberPublic:
    """Add someone of the roster or a resident of the community to the team."""
    home = None
    if member_in.resident_id is not None and member_in.member_id is None:
        home = await others.resident_home(member_in.resident_id)
        if home is None:
            raise ValidationFailed.on("resident_id", "no such resident in your scope")
    member, created = await teams.add_member(
        session=session, principal=principal, team_id=team_id, member_in=member_in, home=home
    )
    if not created:
        response.status_code = 200
    return member


@router.delete(
    "/{team_id}/members/{team_member_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="移除队员 (Remove Member)",
)
async def remove_member(
    team_id: TeamId,
    team_member_id: Annotated[uuid.UUID, Path(description="the team membership's id (TeamMemberPublic.id)")],
    principal: Manager,
    session: SessionDep,
) -> Response:
    """Take someone out of the team."""
    await teams.remove_member(session=session, principal=principal, team_id=team_id, team_member_id=team_member_id)
    return Response(status_code=204)


@router.get(
    "/{team_id}/report",
    response_model=TeamReport,
    responses=problem_responses(401, 403, 404, 422),
    summary="服务队月度统计 (Team Report)",
)
async def team_report(
    team_id: TeamId,
    principal: Reader,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")] = None,
) -> TeamReport:
    """The team's activities, volunteer hours and points per month of a year."""
    return await teams.report(session=session, principal=principal, team_id=team_id, year=year or life.today().year)
