"""HTTP endpoints of activities (一月一主题): publish, list, sign up and cancel, check in, attendance."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids.activities import checkins
from services.grids.activities import service as activities
from services.grids.activities.access import PROXIES, Attendee, Manager, Reader, Signer
from services.grids.activities.schemas import (
    ActivityCreate,
    ActivityDetail,
    ActivityKind,
    ActivityPage,
    ActivityPublic,
    ActivityState,
    ActivityUpdate,
    CheckInCode,
    SelfCheckIn,
    SignupCreate,
    SignupPage,
    SignupPublic,
    SignupRole,
    SignupState,
)
from services.grids.clients import OtherServicesDep
from services.grids.life import MONTH_PATTERN
from shared.db import FastLaneDep, SessionDep
from shared.errors import Forbidden, ValidationFailed, problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.places import COMMUNITY_PATTERN

router = APIRouter(prefix="/api/v1/activities", tags=["activities"])

STEP_ERRORS = problem_responses(401, 403, 404, 409, 422)

ActivityId = Annotated[uuid.UUID, Path(description="the activity's id")]
SignupId = Annotated[uuid.UUID, Path(description="the sign-up's id, of that activity")]


@router.get(
    "", response_model=ActivityPage, responses=problem_responses(401, 403, 422), summary="活动列表 (List Activities)"
)
async def list_activities(
    principal: Reader,
    lane: FastLaneDep,
    month: Annotated[
        str | None, Query(pattern=MONTH_PATTERN, description="starting in this month, e.g. 2026-11")
    ] = None,
    kind: Annotated[ActivityKind | None, Query(description="only this kind of activity")] = None,
    state: Annotated[ActivityState | None, Query(description="only published or only cancelled ones")] = None,
    open: Annotated[bool, Query(description="only those not cancelled and not over yet")] = False,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only this community (社区), 12-digit community code")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Activities of the caller's communities (residents: their own), by start time."""
    items, next_cursor = await activities.list_activities(
        lane=lane,
        principal=principal,
        month=month,
        kind=kind,
        state=state,
        open_only=open,
        community_code=community_code,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "",
    status_code=201,
    response_model=ActivityPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="发布活动 (Create Activity)",
)
async def create_activity(activity_in: ActivityCreate, principal: Manager, session: SessionDep) -> ActivityPublic:
    """Publish an activity of the caller's community, with its capacity and organiser."""
    return await activities.create(session=session, principal=principal, activity_in=activity_in)


@router.get(
    "/{activity_id}",
    response_model=ActivityDetail,
    responses=problem_responses(401, 403, 404, 422),
    summary="活动详情 (Get Activity)",
)
async def get_activity(activity_id: ActivityId, principal: Reader, lane: FastLaneDep) -> Response:
    """One activity, its places taken and waiting, and the caller's own sign-up."""
    return json_response(await activities.get(lane=lane, principal=principal, activity_id=activity_id))


@router.patch(
    "/{activity_id}", response_model=ActivityPublic, responses=STEP_ERRORS, summary="修改活动 (Update Activity)"
)
async def update_activity(
    activity_id: ActivityId, changes: ActivityUpdate, principal: Manager, session: SessionDep
) -> ActivityPublic:
    """Change an activity; more places let the first people waiting in."""
    return await activities.update(session=session, principal=principal, activity_id=activity_id, changes=changes)


@router.post(
    "/{activity_id}/cancel", response_model=ActivityPublic, responses=STEP_ERRORS, summary="取消活动 (Cancel Activity)"
)
async def cancel_activity(activity_id: ActivityId, principal: Manager, session: SessionDep) -> ActivityPublic:
    """Call an activity off (before anyone was checked in)."""
    return await activities.cancel(session=session, principal=principal, activity_id=activity_id)


@router.get(
    "/{activity_id}/check-in-code",
    response_model=CheckInCode,
    responses=problem_responses(401, 403, 404, 422),
    summary="活动签到码 (Check In Code)",
)
async def check_in_code(activity_id: ActivityId, principal: Manager, session: SessionDep) -> CheckInCode:
    """The code to show at the venue, for the staff who run the activity."""
    return CheckInCode(
        code=await activities.check_in_code(session=session, principal=principal, activity_id=activity_id)
    )


@router.post(
    "/{activity_id}/signups",
    status_code=201,
    response_model=SignupPublic,
    responses={200: {"model": SignupPublic, "description": "signed up already"}, **STEP_ERRORS},
    summary="活动报名 (Sign Up)",
)
async def sign_up(
    activity_id: ActivityId,
    signup_in: SignupCreate,
    principal: Signer,
    session: SessionDep,
    others: OtherServicesDep,
    response: Response,
) -> SignupPublic:
    """Sign up: a place (201, ``confirmed``) or a place on the waiting list (201, ``waiting``, with its
    position); 200 with the sign-up when already signed up."""
    home = None
    if signup_in.resident_id is not None and str(signup_in.resident_id) != principal.resident_id:
        if not principal.has_role(*PROXIES):
            raise Forbidden("only staff and grid workers sign up residents in their name")
        home = await others.resident_home(signup_in.resident_id)
        if home is None:
            raise ValidationFailed.on("resident_id", "no such resident in your scope")
    signup, created = await activities.sign_up(
        session=session, principal=principal, activity_id=activity_id, signup_in=signup_in, home=home
    )
    if not created:
        response.status_code = 200
    return signup


@router.get(
    "/{activity_id}/signups",
    response_model=SignupPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="报名签到名单 (List Signups)",
)
async def list_signups(
    activity_id: ActivityId,
    principal: Manager,
    lane: FastLaneDep,
    role: Annotated[SignupRole | None, Query(description="only participants or only volunteers")] = None,
    state: Annotated[SignupState | None, Query(description="only sign-ups in this state")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Attendance: every sign-up in the order it came, with waiting-list places and check-ins."""
    items, next_cursor = await activities.list_signups(
        lane=lane,
        principal=principal,
        activity_id=activity_id,
        role=role,
        state=state,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "/{activity_id}/signups/{signup_id}/cancel",
    response_model=SignupPublic,
    responses=STEP_ERRORS,
    summary="取消报名 (Cancel Signup)",
)
async def cancel_signup(
    activity_id: ActivityId, signup_id: SignupId, principal: Signer, session: SessionDep
) -> SignupPublic:
    """Cancel a sign-up (one's own, or as staff); a freed place goes to the first person waiting."""
    return await activities.cancel_signup(
        session=session, principal=principal, activity_id=activity_id, signup_id=signup_id
    )


@router.post(
    "/{activity_id}/signups/{signup_id}/check-in",
    response_model=SignupPublic,
    responses=STEP_ERRORS,
    summary="签到登记 (Check In)",
)
async def check_in(
    activity_id: ActivityId, signup_id: SignupId, principal: Manager, session: SessionDep
) -> SignupPublic:
    """Staff check a participant or a volunteer in; a volunteer's points follow."""
    return await checkins.check_in(session=session, principal=principal, activity_id=activity_id, signup_id=signup_id)


@router.post(
    "/{activity_id}/check-in",
    response_model=SignupPublic,
    responses=STEP_ERRORS,
    summary="凭签到码签到 (Check In With Code)",
)
async def check_in_with_code(
    activity_id: ActivityId, body: SelfCheckIn, principal: Attendee, session: SessionDep
) -> SignupPublic:
    """Check oneself in with the code shown at the venue."""
    return await checkins.check_in_with_code(
        session=session, principal=principal, activity_id=activity_id, code=body.code
    )
