"""HTTP endpoints of red property (红色物业): companies, compounds' management and handovers,
committees and their terms, joint meetings and the problems they solved."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids.clients import OrderFact, OtherServicesDep
from services.grids.property import meetings
from services.grids.property import service as red
from services.grids.property.access import Manager, Reader
from services.grids.property.schemas import (
    CommitteeCreate,
    CommitteeKind,
    CommitteeMemberIn,
    CommitteePage,
    CommitteePublic,
    CompanyCreate,
    CompanyPage,
    CompanyPublic,
    CompanyUpdate,
    CompoundProperty,
    ManagementCreate,
    ManagementPublic,
    MeetingCreate,
    MeetingPage,
    MeetingPublic,
    ProblemIn,
    ProblemPublic,
    ProblemUpdate,
    PropertyStats,
    ReElection,
)
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery
from shared.peers import ResidentHome
from shared.places import COMMUNITY_PATTERN

router = APIRouter(prefix="/api/v1/property", tags=["red property"])

READ_ERRORS = problem_responses(401, 403, 404, 422)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422, 503)

CompanyId = Annotated[uuid.UUID, Path(description="the property company's id")]
CompoundId = Annotated[uuid.UUID, Path(description="the compound's id (小区), as the residents service knows it")]
CommitteeId = Annotated[uuid.UUID, Path(description="the id of a committee's term")]
MeetingId = Annotated[uuid.UUID, Path(description="the joint meeting's id")]


async def _homes(others: OtherServicesDep, members: list[CommitteeMemberIn]) -> dict[uuid.UUID, ResidentHome]:
    """Where the owners named live, as the residents service answers the caller."""
    homes = {}
    for member in members:
        if member.resident_id is not None and member.resident_id not in homes:
            home = await others.resident_home(member.resident_id)
            if home is not None:
                homes[member.resident_id] = home
    return homes


async def _orders(others: OtherServicesDep, problems: list[ProblemIn]) -> dict[uuid.UUID, OrderFact | None]:
    """The orders named, as the orders service answers the caller."""
    return {problem.order_id: await others.order(problem.order_id) for problem in problems}


# -- companies -------------------------------------------------------------------------------


@router.get(
    "/companies",
    response_model=CompanyPage,
    responses=problem_responses(401, 403, 422),
    summary="物业企业列表 (List Companies)",
)
async def list_companies(
    principal: Reader, session: SessionDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> CompanyPage:
    """Property companies of the caller's communities, with their party branches and compounds."""
    items, next_cursor = await red.list_companies(session=session, principal=principal, limit=limit, cursor=cursor)
    return CompanyPage(items=items, next_cursor=next_cursor)


@router.post(
    "/companies",
    status_code=201,
    response_model=CompanyPublic,
    responses=WRITE_ERRORS,
    summary="登记物业企业 (Create Company)",
)
async def create_company(company_in: CompanyCreate, principal: Manager, session: SessionDep) -> CompanyPublic:
    """Record a property company of the community (with its party branch, 物业党支部, if it has one)."""
    return await red.create_company(session=session, principal=principal, company_in=company_in)


@router.get(
    "/companies/{company_id}", response_model=CompanyPublic, responses=READ_ERRORS, summary="物业企业详情 (Get Company)"
)
async def get_company(company_id: CompanyId, principal: Reader, session: SessionDep) -> CompanyPublic:
    """One property company."""
    return await red.get_company(session=session, principal=principal, company_id=company_id)


@router.patch(
    "/companies/{company_id}",
    response_model=CompanyPublic,
    responses=WRITE_ERRORS,
    summary="修改物业企业 (Update Company)",
)
async def update_company(
    company_id: CompanyId, changes: CompanyUpdate, principal: Manager, session: SessionDep
) -> CompanyPublic:
    """Rename a company, or record that it set up (or lost) its party branch."""
    return await red.update_company(session=session, principal=principal, company_id=company_id, changes=changes)


# -- compounds -------------------------------------------------------------------------------


@router.get(
    "/compounds/{compound_id}",
    response_model=CompoundProperty,
    responses=READ_ERRORS,
    summary="小区物业详情 (Get Compound)",
)
async def get_compound(compound_id: CompoundId, principal: Reader, session: SessionDep) -> CompoundProperty:
    """Who manages a compound now and who did before, and its committees in office."""
    return await red.compound(session=session, principal=principal, compound_id=compound_id)


@router.post(
    "/compounds/{compound_id}/management",
    status_code=201,
    response_model=ManagementPublic,
    responses=WRITE_ERRORS,
    summary="物业交接 (Hand Over)",
)
async def hand_over(
    compound_id: CompoundId,
    management_in: ManagementCreate,
    principal: Manager,
    session: SessionDep,
    others: OtherServicesDep,
) -> ManagementPublic:
    """A compound passes to a company or to its owners (新老物业交接, 业主自治自管)."""
    compound = await others.compound(compound_id)
    return await red.hand_over(session=session, principal=principal, compound=compound, management_in=management_in)


# -- committees ------------------------------------------------------------------------------


@router.get(
    "/committees",
    response_model=CommitteePage,
    responses=problem_responses(401, 403, 422),
    summary="业委会物管会列表 (List Committees)",
)
async def list_committees(
    principal: Reader,
    session: SessionDep,
    compound_id: Annotated[uuid.UUID | None, Query(description="only the committees of this compound (小区)")] = None,
    kind: Annotated[
        CommitteeKind | None,
        Query(description="only this kind: owners_committee 业主委员会, management_committee 物业管理委员会"),
    ] = None,
    in_office: Annotated[bool, Query(description="only the terms running now")] = False,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> CommitteePage:
    """Owners' committees and property management committees, the latest terms first."""
    items, next_cursor = await red.list_committees(
        session=session,
        principal=principal,
        compound_id=compound_id,
        kind=kind,
        in_office=in_office,
        limit=limit,
        cursor=cursor,
    )
    return CommitteePage(items=items, next_cursor=next_cursor)


@router.post(
    "/committees",
    status_code=201,
    response_model=CommitteePublic,
    responses=WRITE_ERRORS,
    summary="登记业委会物管会 (Create Committee)",
)
async def create_committee(
    committee_in: CommitteeCreate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> CommitteePublic:
    """Record a compound's owners' committee (业主委员会) or property management committee, for a term."""
    compound = await others.compound(committee_in.compound_id)
    return await red.create_committee(
        session=session,
        principal=principal,
        committee_in=committee_in,
        compound=compound,
        homes=await _homes(others, committee_in.members),
    )


@router.get(
    "/committees/{committee_id}",
    response_model=CommitteePublic,
    responses=READ_ERRORS,
    summary="业委会物管会详情 (Get Committee)",
)
async def get_committee(committee_id: CommitteeId, principal: Reader, session: SessionDep) -> CommitteePublic:
    """One committee's term and its members."""
    return await red.get_committee(session=session, principal=principal, committee_id=committee_id)


@router.post(
    "/committees/{committee_id}/re-elect",
    status_code=201,
    response_model=CommitteePublic,
    responses=WRITE_ERRORS,
    summary="业委会物管会换届 (Re Elect)",
)
async def re_elect(
    committee_id: CommitteeId, election: ReElection, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> CommitteePublic:
    """换届: the committee's next term, with its members; the current term ends as it starts."""
    return await red.re_elect(
        session=session,
        principal=principal,
        committee_id=committee_id,
        election=election,
        homes=await _homes(others, election.members),
    )


# -- joint meetings --------------------------------------------------------------------------


@router.get(
    "/meetings",
    response_model=MeetingPage,
    responses=problem_responses(401, 403, 422),
    summary="联席会议列表 (List Meetings)",
)
async def list_meetings(
    principal: Reader,
    session: SessionDep,
    compound_id: Annotated[uuid.UUID | None, Query(description="only the meetings about this compound (小区)")] = None,
    order_id: Annotated[uuid.UUID | None, Query(description="meetings that dealt with this order")] = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="only those held in this year (China time)")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> MeetingPage:
    """Joint meetings (联席会议), the newest first, with the problems they dealt with."""
    items, next_cursor = await meetings.list_meetings(
        session=session,
        principal=principal,
        compound_id=compound_id,
        order_id=order_id,
        year=year,
        limit=limit,
        cursor=cursor,
    )
    return MeetingPage(items=items, next_cursor=next_cursor)


@router.post(
    "/meetings",
    status_code=201,
    response_model=MeetingPublic,
    responses=WRITE_ERRORS,
    summary="登记联席会议 (Create Meeting)",
)
async def create_meeting(
    meeting_in: MeetingCreate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> MeetingPublic:
    """Record a joint meeting: who sat at the table, the issue orders it dealt with, what it decided."""
    compound = await others.compound(meeting_in.compound_id) if meeting_in.compound_id else None
    return await meetings.create(
        session=session,
        principal=principal,
        meeting_in=meeting_in,
        compound=compound,
        orders=await _orders(others, meeting_in.problems),
    )


@router.get(
    "/meetings/{meeting_id}", response_model=MeetingPublic, responses=READ_ERRORS, summary="联席会议详情 (Get Meeting)"
)
async def get_meeting(meeting_id: MeetingId, principal: Reader, session: SessionDep) -> MeetingPublic:
    """One joint meeting and the issue orders it dealt with."""
    return await meetings.get(session=session, principal=principal, meeting_id=meeting_id)


@router.post(
    "/meetings/{meeting_id}/problems",
    status_code=201,
    response_model=ProblemPublic,
    responses={200: {"model": ProblemPublic, "description": "linked already"}, **WRITE_ERRORS},
    summary="会议关联问题 (Add Problem)",
)
async def add_problem(
    meeting_id: MeetingId,
    problem: ProblemIn,
    principal: Manager,
    session: SessionDep,
    others: OtherServicesDep,
    response: Response,
) -> ProblemPublic:
    """Link one more issue order to a meeting."""
    linked, created = await meetings.add_problem(
        session=session,
        principal=principal,
        meeting_id=meeting_id,
        problem=problem,
        orders=await _orders(others, [problem]),
    )
    if not created:
        response.status_code = 200
    return linked


@router.patch(
    "/meetings/{meeting_id}/problems/{order_id}",
    response_model=ProblemPublic,
    responses=WRITE_ERRORS,
    summary="更新问题解决情况 (Update Problem)",
)
async def update_problem(
    meeting_id: MeetingId,
    order_id: Annotated[uuid.UUID, Path(description="the issue order (问题) among the meeting's problems")],
    changes: ProblemUpdate,
    principal: Manager,
    session: SessionDep,
) -> ProblemPublic:
    """Record that a problem was solved (or was not after all)."""
    return await meetings.set_solved(
        session=session, principal=principal, meeting_id=meeting_id, order_id=order_id, solved_on=changes.solved_on
    )


@router.get(
    "/stats",
    response_model=PropertyStats,
    responses=problem_responses(401, 403, 422),
    summary="红色物业统计 (Property Stats)",
)
async def property_stats(
    principal: Reader,
    session: SessionDep,
    community_code: Annotated[
        str | None,
        Query(pattern=COMMUNITY_PATTERN, description="only this community (社区), 12-digit community code"),
    ] = None,
) -> PropertyStats:
    """Per year: joint meetings held, problems they dealt with, problems solved."""
    return await meetings.stats(session=session, principal=principal, community_code=community_code)
