from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.schemas import MePublic
from shared.errors import problem_responses
from shared.security import ROLES, Principal, allow

router = APIRouter(prefix="/api/v1/me", tags=["me"])

Anyone = Annotated[Principal, Depends(allow(*ROLES, machine_scopes=("*",)))]


@router.get("", response_model=MePublic, responses=problem_responses(401, 403))
async def me(principal: Anyone) -> MePublic:
    """The caller: account, roles, the places each role is bound to, and for a resident their household."""
    return MePublic(
        account_id=principal.sub,
        kind="integration_client" if principal.machine else "user",
        name=principal.name,
        roles=sorted(principal.roles),
        places={role: list(codes) for role, codes in principal.places.items()},
        resident_id=principal.resident_id,
        household_id=principal.household_id,
        grid_code=principal.grid_code,
        street_code=principal.street_code,
        scopes=sorted(principal.scopes),
    )
