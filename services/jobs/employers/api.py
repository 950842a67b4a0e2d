"""HTTP endpoints of employers and the accounts that act for them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.jobs.access import Manager, ManagerOrEmployer, Reader
from services.jobs.employers import service as employers
from services.jobs.employers.access import Employer, Overseer
from services.jobs.employers.schemas import (
    ContactRevealed,
    ContactRevealRequest,
    EmployerAccountPublic,
    EmployerCreate,
    EmployerPage,
    EmployerPublic,
    EmployerUpdate,
)
from services.jobs.schemas import EmployerKind
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery
from shared.pii import PiiCipher
from shared.places import COMMUNITY_PATTERN

router = APIRouter(prefix="/api/v1/employers", tags=["employers"])

EmployerId = Annotated[uuid.UUID, Path(description="the employer's id")]
AccountId = Annotated[uuid.UUID, Path(description="the gateway account's id (an account of role employer)")]


def _pii(request: Request) -> PiiCipher:
    """The cipher of the contacts' phones (the app's, made at start-up)."""
    pii: PiiCipher = request.app.state.pii
    return pii


PiiDep = Annotated[PiiCipher, Depends(_pii)]


@router.get(
    "", response_model=EmployerPage, responses=problem_responses(401, 403, 422), summary="用工单位列表 (List Employers)"
)
async def list_employers(
    principal: Overseer,
    session: SessionDep,
    pii: PiiDep,
    q: Annotated[str | None, Query(min_length=1, max_length=50, description="part of the name")] = None,
    kind: Annotated[EmployerKind | None, Query(description="only employers of this kind")] = None,
    community_code: Annotated[
        str | None, Query(pattern=COMMUNITY_PATTERN, description="only this community's employers, 12 digits")
    ] = None,
    phone: Annotated[str | None, Query(min_length=1, max_length=20, description="the contact's full mobile")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> EmployerPage:
    """Employers the caller keeps (staff: their community, street admins: their street), by name."""
    items, next_cursor = await employers.list_employers(
        session=session,
        pii=pii,
        principal=principal,
        q=q,
        kind=kind,
        community_code=community_code,
        phone=phone,
        limit=limit,
        cursor=cursor,
    )
    return EmployerPage(items=items, next_cursor=next_cursor)


@router.get(
    "/me",
    response_model=EmployerPublic,
    responses=problem_responses(401, 403, 404),
    summary="我的用工单位 (My Employer)",
)
async def my_employer(principal: Employer, session: SessionDep) -> EmployerPublic:
    """The employer the calling employer account acts for."""
    employer = await employers.mine(session=session, principal=principal)
    return await employers.public_of(session, principal, employer)


@router.get(
    "/{employer_id}",
    response_model=EmployerPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="用工单位详情 (Get Employer)",
)
async def get_employer(employer_id: EmployerId, principal: Reader, session: SessionDep) -> EmployerPublic:
    """One employer; its contact in full only for its community's staff and its own accounts."""
    employer = await employers.visible(session, principal, employer_id)
    return await employers.public_of(session, principal, employer)


@router.post(
    "",
    status_code=201,
    response_model=EmployerPublic,
    responses={200: {"model": EmployerPublic, "description": "made before"}, **problem_responses(401, 403, 409, 422)},
    summary="登记用工单位 (Create Employer)",
)
async def create_employer(
    employer_in: EmployerCreate, principal: Manager, session: SessionDep, pii: PiiDep, response: Response
) -> EmployerPublic:
    """Register an employer of the caller's community (201), or answer the one made with this id (200)."""
    employer, created = await employers.create(session=session, pii=pii, principal=principal, employer_in=employer_in)
    if not created:
        response.status_code = 200
    return await employers.public_of(session, principal, employer)


@router.patch(
    "/{employer_id}",
    response_model=EmployerPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="修改用工单位 (Update Employer)",
)
async def update_employer(
    employer_id: EmployerId, changes: EmployerUpdate, principal: ManagerOrEmployer, session: SessionDep, pii: PiiDep
) -> EmployerPublic:
    """Change an employer (its community's staff, or its own accounts)."""
    employer = await employers.update(
        session=session, pii=pii, principal=principal, employer_id=employer_id, changes=changes
    )
    return await employers.public_of(session, principal, employer)


@router.post(
    "/{employer_id}/reveal",
    response_model=ContactRevealed,
    responses=problem_responses(401, 403, 404, 422),
    summary="查看联系人电话 (Reveal Contact)",
)
async def reveal_contact(
    employer_id: EmployerId, body: ContactRevealRequest, principal: Manager, session: SessionDep, pii: PiiDep
) -> ContactRevealed:
    """The contact's clear phone, for the staff who keep the employer, with the purpose audited."""
    revealed = await employers.reveal(
        session=session, pii=pii, principal=principal, employer_id=employer_id, purpose=body.purpose
    )
    return ContactRevealed.model_validate(revealed)


@router.get(
    "/{employer_id}/accounts",
    response_model=list[EmployerAccountPublic],
    responses=problem_responses(401, 403, 404, 422),
    summary="用工单位账号列表 (List Accounts)",
)
async def list_accounts(
    employer_id: EmployerId, principal: Manager, session: SessionDep
) -> list[EmployerAccountPublic]:
    """The accounts acting for an employer."""
    return await employers.accounts(session=session, principal=principal, employer_id=employer_id)


@router.put(
    "/{employer_id}/accounts/{account_id}",
    status_code=201,
    response_class=Response,  # no body: 201 or 204 says it all
    responses={
        201: {"description": "linked"},
        204: {"description": "already linked"},
        **problem_responses(401, 403, 404, 409, 422),
    },
    summary="绑定用工单位账号 (Link Account)",
)
async def link_account(
    employer_id: EmployerId, account_id: AccountId, principal: Manager, session: SessionDep
) -> Response:
    """Let an account (role employer on the roster) act for this employer (201 new, 204 already)."""
    created = await employers.link_account(
        session=session, principal=principal, employer_id=employer_id, account_id=account_id
    )
    return Response(status_code=201 if created else 204)


@router.delete(
    "/{employer_id}/accounts/{account_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
    summary="解绑用工单位账号 (Unlink Account)",
)
async def unlink_account(
    employer_id: EmployerId, account_id: AccountId, principal: Manager, session: SessionDep
) -> Response:
    """Stop an account acting for this employer."""
    await employers.unlink_account(session=session, principal=principal, employer_id=employer_id, account_id=account_id)
    return Response(status_code=204)
