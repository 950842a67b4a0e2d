"""HTTP endpoints of the vault: a reveal, and the audit of reveals."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.residents.pii import PiiDep
from services.residents.vault import service
from services.residents.vault.access import Auditor, Revealer
from services.residents.vault.schemas import Revealed, RevealPage, RevealRequest
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/residents", tags=["residents"])


@router.get(
    "/reveals",
    response_model=RevealPage,
    responses=problem_responses(401, 403, 422),
    summary="敏感信息查看记录 (List Reveals)",
)
async def list_reveals(
    principal: Auditor,
    session: SessionDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only reveals of this resident's data")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> RevealPage:
    """The access audit: who revealed whose personal data, when, why (newest first)."""
    items, next_cursor = await service.reveal_audit(
        session=session, principal=principal, resident_id=resident_id, limit=limit, cursor=cursor
    )
    return RevealPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{resident_id}/reveal",
    response_model=Revealed,
    responses=problem_responses(401, 403, 404, 422),
    summary="查看敏感信息 (Reveal)",
)
async def reveal(
    resident_id: Annotated[uuid.UUID, Path(description="the resident whose data to reveal")],
    body: RevealRequest,
    principal: Revealer,
    session: SessionDep,
    pii: PiiDep,
) -> Revealed:
    """The clear ID number and/or phone, for a stated purpose; every reveal is audited."""
    values = await service.reveal(
        session=session,
        pii=pii,
        principal=principal,
        resident_id=resident_id,
        fields=list(body.fields),
        purpose=body.purpose,
    )
    return Revealed.model_validate(values)
