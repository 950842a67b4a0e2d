"""HTTP endpoints of the registry: thin, one call into ``service`` each."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from services.residents import importer, service
from services.residents.models import Building, Household
from services.residents.schemas import (
    BuildingCreate,
    BuildingPublic,
    CompoundCreate,
    CompoundPublic,
    HouseholdCreate,
    HouseholdPublic,
    ImportReport,
    ResidentCreate,
    ResidentLookup,
    ResidentPage,
    ResidentPlace,
    ResidentPublic,
    ResidentUpdate,
    Revealed,
    RevealPage,
    RevealRequest,
    TagPublic,
)
from services.residents.vocab import ResidenceType
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery
from shared.pii import PiiCipher
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/residents", tags=["residents"])
households = APIRouter(prefix="/api/v1/households", tags=["residents"])
compounds = APIRouter(prefix="/api/v1/compounds", tags=["residents"])
buildings = APIRouter(prefix="/api/v1/buildings", tags=["residents"])
catalogue = APIRouter(prefix="/api/v1/tags", tags=["residents"])
internal = APIRouter(prefix="/internal", tags=["internal"])

Registrar = Annotated[Principal, Depends(allow("community_staff", "grid_worker"))]
Reader = Annotated[
    Principal,
    Depends(
        allow("street_admin", "community_staff", "grid_worker", "resident", machine_scopes=("stats:read", "open311"))
    ),
]
Staff = Annotated[Principal, Depends(allow("community_staff"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Auditor = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
Gateway = Annotated[Principal, Depends(allow(machine_scopes=("internal",)))]


def _pii(request: Request) -> PiiCipher:
    pii: PiiCipher = request.app.state.pii
    return pii


PiiDep = Annotated[PiiCipher, Depends(_pii)]


@router.get("", response_model=ResidentPage, responses=problem_responses(401, 403, 422))
async def list_residents(
    principal: Reader,
    session: SessionDep,
    pii: PiiDep,
    grid_code: Annotated[str | None, Query(pattern=r"^\d{15}$")] = None,
    compound_id: uuid.UUID | None = None,
    building_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
    tag: Annotated[list[str] | None, Query(max_length=10, description="tag codes; all must match")] = None,
    min_age: Annotated[int | None, Query(ge=0, le=150, description="e.g. 80 for 高龄 visits")] = None,
    max_age: Annotated[int | None, Query(ge=0, le=150)] = None,
    residence_type: ResidenceType | None = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=40, description="a name or its start, full pinyin or initials, a full phone or ID"
        ),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> ResidentPage:
    """Residents in the caller's scope, by name; ID numbers and phones masked."""
    filters = service.Filters(
        grid_code=grid_code,
        compound_id=compound_id,
        building_id=building_id,
        household_id=household_id,
        tags=tuple(tag or ()),
        min_age=min_age,
        max_age=max_age,
        residence_type=residence_type,
        q=q,
    )
    items, next_cursor = await service.search(
        session=session, pii=pii, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return ResidentPage(items=items, next_cursor=next_cursor)


@router.get("/reveals", response_model=RevealPage, responses=problem_responses(401, 403, 422))
async def list_reveals(
    principal: Auditor,
    session: SessionDep,
    resident_id: uuid.UUID | None = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> RevealPage:
    """The access audit: who revealed whose personal data, when, why (newest first)."""
    items, next_cursor = await service.reveal_audit(
        session=session, principal=principal, resident_id=resident_id, limit=limit, cursor=cursor
    )
    return RevealPage(items=items, next_cursor=next_cursor)


@router.post("/import", response_model=ImportReport, responses=problem_responses(401, 403, 413, 422))
async def import_register(
    principal: Staff,
    session: SessionDep,
    pii: PiiDep,
    file: Annotated[UploadFile, File(description="a register as xlsx or CSV, with the Chinese headers staff use")],
    dry_run: Annotated[bool, Query(description="check every row and report, writing nothing")] = False,
    community_code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
) -> ImportReport:
    """Import a register into the community: every bad row is reported with its row number, column
    and reason; with any error, or on a dry run, nothing is written (all or nothing)."""
    return await importer.import_sheet(
        session=session,
        pii=pii,
        principal=principal,
        community_code=community_code,
        data=await file.read(),
        filename=file.filename,
        dry_run=dry_run,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "an xlsx, PII masked"}, **problem_responses(401, 403, 422)},
)
async def export_register(
    principal: Registrar,
    session: SessionDep,
    grid_code: Annotated[str | None, Query(pattern=r"^\d{15}$")] = None,
) -> Response:
    """The residents in the caller's scope as an xlsx, ID numbers and phones masked."""
    data = await importer.export_sheet(session=session, principal=principal, grid_code=grid_code)
    return Response(data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="residents.xlsx"'})


@router.get("/{resident_id}", response_model=ResidentPublic, responses=problem_responses(401, 403, 404, 422))
async def get_resident(resident_id: uuid.UUID, principal: Reader, session: SessionDep) -> ResidentPublic:
    resident = await service.get(session=session, principal=principal, resident_id=resident_id)
    return service.public_of(resident, principal)


@router.post("", status_code=201, response_model=ResidentPublic, responses=problem_responses(401, 403, 404, 409, 422))
async def create_resident(
    body: ResidentCreate, principal: Registrar, session: SessionDep, pii: PiiDep
) -> ResidentPublic:
    """Register a resident in a household the caller keeps."""
    resident = await service.create(session=session, pii=pii, principal=principal, body=body)
    return service.public_of(resident, principal)


@router.patch("/{resident_id}", response_model=ResidentPublic, responses=problem_responses(401, 403, 404, 409, 422))
async def update_resident(
    resident_id: uuid.UUID, changes: ResidentUpdate, principal: Registrar, session: SessionDep, pii: PiiDep
) -> ResidentPublic:
    resident = await service.update(
        session=session, pii=pii, principal=principal, resident_id=resident_id, changes=changes
    )
    return service.public_of(resident, principal)


@router.post("/{resident_id}/reveal", response_model=Revealed, responses=problem_responses(401, 403, 404, 422))
async def reveal(
    resident_id: uuid.UUID, body: RevealRequest, principal: Registrar, session: SessionDep, pii: PiiDep
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


@households.post(
    "", status_code=201, response_model=HouseholdPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def create_household(body: HouseholdCreate, principal: Registrar, session: SessionDep) -> HouseholdPublic:
    """A flat of a building the caller keeps becomes a household (its residents are added next)."""
    household = await service.create_household(session=session, principal=principal, body=body)
    return await service.household_public(session, household, [])


@compounds.post(
    "", status_code=201, response_model=CompoundPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def create_compound(body: CompoundCreate, principal: Staff, session: SessionDep) -> CompoundPublic:
    compound = await service.create_compound(session=session, principal=principal, body=body)
    return CompoundPublic.model_validate(compound, from_attributes=True)


@compounds.get("/{compound_id}", response_model=CompoundPublic, responses=problem_responses(401, 403, 404, 422))
async def get_compound(compound_id: uuid.UUID, principal: Reader, session: SessionDep) -> CompoundPublic:
    """A compound (小区) of the caller's places: its name, community and street."""
    compound = await service.get_compound(session=session, principal=principal, compound_id=compound_id)
    return CompoundPublic.model_validate(compound, from_attributes=True)


@buildings.post(
    "", status_code=201, response_model=BuildingPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def create_building(body: BuildingCreate, principal: Staff, session: SessionDep) -> BuildingPublic:
    """A building of a compound, in one grid of the community."""
    building = await service.create_building(session=session, principal=principal, body=body)
    return BuildingPublic.model_validate(building, from_attributes=True)


@households.get("/{household_id}", response_model=HouseholdPublic, responses=problem_responses(401, 403, 404, 422))
async def get_household(household_id: uuid.UUID, principal: Reader, session: SessionDep) -> HouseholdPublic:
    """A household and its residents (a resident sees their own)."""
    return await service.household_with_residents(session=session, principal=principal, household_id=household_id)


@catalogue.get("", response_model=list[TagPublic], responses=problem_responses(401, 403))
async def list_tags(principal: Registrar, session: SessionDep) -> list[TagPublic]:
    """The tag catalogue: the nine standard groups (GB/T 31000 "9+X") and the community's own."""
    return await service.tags(session=session, principal=principal)


@internal.post("/residents/lookup", response_model=ResidentPlace, responses=problem_responses(401, 403, 404, 422))
async def lookup(body: ResidentLookup, principal: Gateway, session: SessionDep, pii: PiiDep) -> ResidentPlace:
    """For the gateway: a resident by full phone (blind index) or id, to their household and grid."""
    return await service.lookup(session=session, pii=pii, phone=body.phone, resident_id=body.resident_id)


class CompoundHouseholds(BaseModel):
    compound_id: uuid.UUID
    household_ids: list[uuid.UUID]


@internal.get(
    "/compounds/{compound_id}/households",
    response_model=CompoundHouseholds,
    responses=problem_responses(401, 403, 422),
)
async def compound_households(compound_id: uuid.UUID, principal: Gateway, session: SessionDep) -> CompoundHouseholds:
    """For the gateway: the households of a compound (whose residents a compound's notice concerns)."""
    rows = await session.scalars(
        select(col(Household.id))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Building.compound_id) == compound_id)
    )
    return CompoundHouseholds(compound_id=compound_id, household_ids=list(rows.all()))
