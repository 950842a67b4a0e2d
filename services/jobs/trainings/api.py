"""HTTP endpoints of skills trainings (技能培训): enrolment with a waiting list, attendance, completion."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.jobs.access import Manager, Reader, ResidentOrHelper
from services.jobs.seekers import service as seekers
from services.jobs.trainings import service as trainings
from services.jobs.trainings.schemas import (
    AttendanceIn,
    AttendanceResult,
    EnrolmentCreate,
    EnrolmentPage,
    EnrolmentPublic,
    EnrolmentState,
    TrainingCreate,
    TrainingPage,
    TrainingPublic,
    TrainingUpdate,
)
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery
from shared.places import COMMUNITY_PATTERN

router = APIRouter(prefix="/api/v1/trainings", tags=["trainings"])

TrainingId = Annotated[uuid.UUID, Path(description="the training's id")]
EnrolmentId = Annotated[uuid.UUID, Path(description="the enrolment's id, on this training")]


@router.get(
    "", response_model=TrainingPage, responses=problem_responses(401, 403, 422), summary="技能培训列表 (List Trainings)"
)
async def list_trainings(
    principal: Reader,
    session: SessionDep,
    upcoming: Annotated[bool, Query(description="only trainings not over yet (default)")] = True,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only those run by this community, 12 digits")
    ] = None,
    skill: Annotated[
        str | None, Query(min_length=1, max_length=50, description="only those teaching this skill (exact text)")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> TrainingPage:
    """Trainings, soonest first, with places taken and waiting, and the calling resident's own enrolment."""
    items, next_cursor = await trainings.list_trainings(
        session=session,
        principal=principal,
        upcoming=upcoming,
        community_code=community_code,
        skill=skill,
        limit=limit,
        cursor=cursor,
    )
    return TrainingPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{training_id}",
    response_model=TrainingPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="技能培训详情 (Get Training)",
)
async def get_training(training_id: TrainingId, principal: Reader, session: SessionDep) -> TrainingPublic:
    """One training, with places taken and waiting, and the calling resident's own enrolment."""
    return await trainings.get(session=session, principal=principal, training_id=training_id)


@router.post(
    "",
    status_code=201,
    response_model=TrainingPublic,
    responses={200: {"model": TrainingPublic, "description": "made before"}, **problem_responses(401, 403, 409, 422)},
    summary="发布技能培训 (Create Training)",
)
async def create_training(
    training_in: TrainingCreate, principal: Manager, session: SessionDep, response: Response
) -> TrainingPublic:
    """Announce a training of the caller's community; 200 with a client id sent before."""
    training, created = await trainings.create(session=session, principal=principal, training_in=training_in)
    if not created:
        response.status_code = 200
    return await trainings.get(session=session, principal=principal, training_id=training.id)


@router.patch(
    "/{training_id}",
    response_model=TrainingPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="修改技能培训 (Update Training)",
)
async def update_training(
    training_id: TrainingId, changes: TrainingUpdate, principal: Manager, session: SessionDep
) -> TrainingPublic:
    """Change a training; added places go to the first waiting."""
    await trainings.update(session=session, principal=principal, training_id=training_id, changes=changes)
    return await trainings.get(session=session, principal=principal, training_id=training_id)


@router.get(
    "/{training_id}/enrolments",
    response_model=EnrolmentPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="培训报名列表 (List Enrolments)",
)
async def list_enrolments(
    training_id: TrainingId,
    principal: ResidentOrHelper,
    session: SessionDep,
    state: Annotated[EnrolmentState | None, Query(description="only enrolments in this state")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> EnrolmentPage:
    """A training's enrolments the caller may see, in the order they came (the waiting list's order)."""
    items, next_cursor = await trainings.list_enrolments(
        session=session, principal=principal, training_id=training_id, state=state, limit=limit, cursor=cursor
    )
    return EnrolmentPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{training_id}/enrolments",
    status_code=201,
    response_model=EnrolmentPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="培训报名 (Enrol)",
)
async def enrol(
    training_id: TrainingId, body: EnrolmentCreate, principal: ResidentOrHelper, session: SessionDep, request: Request
) -> EnrolmentPublic:
    """Enrol (oneself, or staff a resident of theirs): a place while there is one, else the waiting list."""
    home = await seekers.home_of(request, principal, body.resident_id)
    enrolment = await trainings.enrol(session=session, principal=principal, training_id=training_id, home=home)
    return await trainings.enrolment_public(session, enrolment.id)


@router.post(
    "/{training_id}/enrolments/{enrolment_id}/withdraw",
    response_model=EnrolmentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="退出培训 (Withdraw)",
)
async def withdraw(
    training_id: TrainingId, enrolment_id: EnrolmentId, principal: ResidentOrHelper, session: SessionDep
) -> EnrolmentPublic:
    """Leave a training or its waiting list; a place freed goes to the first waiting."""
    enrolment = await trainings.withdraw(
        session=session, principal=principal, training_id=training_id, enrolment_id=enrolment_id
    )
    return await trainings.enrolment_public(session, enrolment.id)


@router.post(
    "/{training_id}/enrolments/{enrolment_id}/complete",
    response_model=EnrolmentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="培训结业 (Complete)",
)
async def complete(
    training_id: TrainingId, enrolment_id: EnrolmentId, principal: Manager, session: SessionDep
) -> EnrolmentPublic:
    """Mark a resident's training complete: its skill goes onto their seeker profile."""
    enrolment = await trainings.complete(
        session=session, principal=principal, training_id=training_id, enrolment_id=enrolment_id
    )
    return await trainings.enrolment_public(session, enrolment.id)


@router.post(
    "/{training_id}/attendance",
    response_model=AttendanceResult,
    responses=problem_responses(401, 403, 404, 422),
    summary="登记培训考勤 (Record Attendance)",
)
async def record_attendance(
    training_id: TrainingId, body: AttendanceIn, principal: Manager, session: SessionDep
) -> AttendanceResult:
    """Record who attended one session (考勤)."""
    recorded = await trainings.attend(
        session=session,
        principal=principal,
        training_id=training_id,
        session_on=body.session_on,
        enrolment_ids=body.enrolment_ids,
    )
    return AttendanceResult(recorded=recorded)
