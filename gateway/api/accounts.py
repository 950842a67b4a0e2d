from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from gateway import accounts
from gateway.context import GatewayDep
from gateway.schemas import AccountPublic
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])

Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]


@router.get("/{account_id}", response_model=AccountPublic, responses=problem_responses(401, 403, 404, 422))
async def get_account(
    account_id: uuid.UUID, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """An account bound to a place in the caller's community or street (phone masked)."""
    account = await accounts.get(session=session, principal=principal, account_id=account_id)
    return await accounts.public(session, context, account)


@router.post(
    "/{account_id}/disable", response_model=AccountPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def disable_account(
    account_id: uuid.UUID, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """Disable an account: its live tokens stop working at once at the gateway."""
    account = await accounts.set_enabled(
        session=session, context=context, principal=principal, account_id=account_id, enabled=False
    )
    return await accounts.public(session, context, account)


@router.post("/{account_id}/enable", response_model=AccountPublic, responses=problem_responses(401, 403, 404, 409, 422))
async def enable_account(
    account_id: uuid.UUID, principal: Manager, session: SessionDep, context: GatewayDep
) -> AccountPublic:
    """Enable a disabled account again."""
    account = await accounts.set_enabled(
        session=session, context=context, principal=principal, account_id=account_id, enabled=True
    )
    return await accounts.public(session, context, account)
