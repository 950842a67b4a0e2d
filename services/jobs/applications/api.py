"""HTTP endpoints of applications: the list and one application (on the fast lane), apply, withdraw, and
the steps staff or the employer take."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.jobs.access import ManagerOrEmployer, Resident
from services.jobs.applications import service as applications
from services.jobs.applications.access import Applicant
from services.jobs.applications.access import ApplicationViewer as Viewer
from services.jobs.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationPublic,
    ApplicationState,
    Rejection,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])

ApplicationId = Annotated[uuid.UUID, Path(description="the application's id")]

STEP_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get(
    "",
    response_model=ApplicationPage,
    responses=problem_responses(401, 403, 422),
    summary="岗位报名列表 (List Applications)",
)
async def list_applications(
    principal: Viewer,
    lane: FastLaneDep,
    posting_id: Annotated[uuid.UUID | None, Query(description="only the applications to this posting")] = None,
    state: Annotated[ApplicationState | None, Query(description="only those in this state")] = None,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's (居民) applications")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Applications in the caller's scope, newest first: one's own, a community's, an employer's (masked)."""
    items, next_cursor = await applications.list_applications(
        lane=lane,
        principal=principal,
        posting_id=posting_id,
        state=state,
        resident_id=resident_id,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/{application_id}",
    response_model=ApplicationPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="岗位报名详情 (Get Application)",
)
async def get_application(application_id: ApplicationId, principal: Viewer, lane: FastLaneDep) -> Response:
    """One application in the caller's scope."""
    return json_response(await applications.public_row(lane=lane, principal=principal, application_id=application_id))


@router.post(
    "",
    status_code=201,
    response_model=ApplicationPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="岗位报名 (Apply)",
)
async def apply(body: ApplicationCreate, principal: Applicant, session: SessionDep) -> ApplicationPublic:
    """Apply to an open posting (a resident for themselves, staff for a seeker of theirs); 409 while one is live."""
    application, title, seeker = await applications.create(session=session, principal=principal, body=body)
    return applications.public_of(principal, application, title, seeker)


@router.post(
    "/{application_id}/withdraw",
    response_model=ApplicationPublic,
    responses=STEP_ERRORS,
    summary="撤回岗位报名 (Withdraw)",
)
async def withdraw(application_id: ApplicationId, principal: Resident, session: SessionDep) -> ApplicationPublic:
    """Withdraw one's own application while it is in progress."""
    return applications.public_of(
        principal,
        *await applications.move(
            session=session, principal=principal, application_id=application_id, to_state="withdrawn"
        ),
    )


@router.post(
    "/{application_id}/shortlist",
    response_model=ApplicationPublic,
    responses=STEP_ERRORS,
    summary="标记入围 (Shortlist)",
)
async def shortlist(
    application_id: ApplicationId, principal: ManagerOrEmployer, session: SessionDep
) -> ApplicationPublic:
    """Shortlist an applicant (入围), from applied."""
    return applications.public_of(
        principal,
        *await applications.move(
            session=session, principal=principal, application_id=application_id, to_state="shortlisted"
        ),
    )


@router.post(
    "/{application_id}/interview",
    response_model=ApplicationPublic,
    responses=STEP_ERRORS,
    summary="标记已面试 (Interview)",
)
async def interview(
    application_id: ApplicationId, principal: ManagerOrEmployer, session: SessionDep
) -> ApplicationPublic:
    """Mark a shortlisted applicant interviewed (已面试)."""
    return applications.public_of(
        principal,
        *await applications.move(
            session=session, principal=principal, application_id=application_id, to_state="interviewed"
        ),
    )


@router.post("/{application_id}/hire", response_model=ApplicationPublic, responses=STEP_ERRORS, summary="录用 (Hire)")
async def hire(application_id: ApplicationId, principal: ManagerOrEmployer, session: SessionDep) -> ApplicationPublic:
    """Hire a shortlisted or interviewed applicant (录用); the posting closes when its headcount is filled."""
    return applications.public_of(
        principal,
        *await applications.move(session=session, principal=principal, application_id=application_id, to_state="hired"),
    )


@router.post(
    "/{application_id}/reject", response_model=ApplicationPublic, responses=STEP_ERRORS, summary="不予录用 (Reject)"
)
async def reject(
    application_id: ApplicationId, body: Rejection, principal: ManagerOrEmployer, session: SessionDep
) -> ApplicationPublic:
    """Reject an application in progress, with the reason the seeker is told (未录用)."""
    return applications.public_of(
        principal,
        *await applications.move(
            session=session,
            principal=principal,
            application_id=application_id,
            to_state="rejected",
            reason=body.reason,
        ),
    )
