"""HTTP endpoints of imports and exports of the register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from services.residents.clients import OtherServicesDep
from services.residents.imports import service
from services.residents.imports.access import Registrar, Staff
from services.residents.imports.schemas import ImportReport
from services.residents.pii import PiiDep
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.middleware import IMPORT_BODY_BYTES, body_limit
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN

router = APIRouter(prefix="/api/v1/residents", tags=["residents"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(
    "/import",
    response_model=ImportReport,
    responses=problem_responses(401, 403, 413, 422, 503),
    summary="导入居民台账 (Import Register)",
    openapi_extra=body_limit(IMPORT_BODY_BYTES),
)
async def import_register(
    principal: Staff,
    session: SessionDep,
    pii: PiiDep,
    others: OtherServicesDep,
    file: Annotated[UploadFile, File(description="a register as xlsx or CSV, with the Chinese headers staff use")],
    dry_run: Annotated[bool, Query(description="check every row and report, writing nothing")] = False,
    community_code: Annotated[
        str | None,
        Query(
            pattern=COMMUNITY_PATTERN,
            description="the community to import into, 12-digit code; needed when the caller staffs several",
        ),
    ] = None,
) -> ImportReport:
    """Import a register into the community: every bad row is reported with its row number, column
    and reason (a new building's grid unknown to the grids service too); with any error, or on a dry run,
    nothing is written (all or nothing)."""
    return await service.import_sheet(
        session=session,
        pii=pii,
        principal=principal,
        others=others,
        community_code=community_code,
        data=await file.read(),
        filename=file.filename,
        dry_run=dry_run,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "an xlsx, PII masked"}, **problem_responses(401, 403, 422)},
    summary="导出居民台账 (Export Register)",
)
async def export_register(
    principal: Registrar,
    session: SessionDep,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only residents of this grid (15-digit grid code)")
    ] = None,
) -> Response:
    """The residents in the caller's scope as an xlsx, ID numbers and phones masked."""
    data = await service.export_sheet(session=session, principal=principal, grid_code=grid_code)
    return Response(data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="residents.xlsx"'})
