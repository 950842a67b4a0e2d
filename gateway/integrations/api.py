"""Integration clients of the caller's streets: create (the secret answered once), list, read, rotate
the secret, disable and enable, delete. Street admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from gateway.context import GatewayDep
from gateway.integrations import service
from gateway.integrations.access import StreetAdmin
from gateway.integrations.schemas import ClientCreate, ClientCreated, ClientPage, ClientPublic
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/clients", tags=["integration clients"])

ClientId = Annotated[str, Path(max_length=64, description="the integration client's id (c_...)")]


@router.post(
    "",
    status_code=201,
    response_model=ClientCreated,
    responses=problem_responses(401, 403, 422),
    summary="新建集成客户端 (Create Client)",
)
async def create_client(body: ClientCreate, principal: StreetAdmin, session: SessionDep) -> ClientCreated:
    """Create a client for one of the caller's streets; the answer holds its secret, once."""
    return await service.create(session=session, principal=principal, client_in=body)


@router.get(
    "", response_model=ClientPage, responses=problem_responses(401, 403, 422), summary="集成客户端列表 (List Clients)"
)
async def list_clients(
    principal: StreetAdmin, session: SessionDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> ClientPage:
    """The clients of the caller's streets, newest first (never a secret)."""
    return await service.list_clients(session=session, principal=principal, limit=limit, cursor=cursor)


@router.get(
    "/{client_id}",
    response_model=ClientPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="集成客户端详情 (Get Client)",
)
async def get_client(client_id: ClientId, principal: StreetAdmin, session: SessionDep) -> ClientPublic:
    """One client of the caller's streets."""
    return service.public(await service.get(session=session, principal=principal, client_id=client_id))


@router.post(
    "/{client_id}/rotate",
    response_model=ClientCreated,
    responses=problem_responses(401, 403, 404, 422),
    summary="轮换客户端密钥 (Rotate Secret)",
)
async def rotate_secret(client_id: ClientId, principal: StreetAdmin, session: SessionDep) -> ClientCreated:
    """A new secret, answered once; the previous one keeps working for 24 hours."""
    return await service.rotate(session=session, principal=principal, client_id=client_id)


@router.post(
    "/{client_id}/disable",
    response_model=ClientPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="停用集成客户端 (Disable Client)",
)
async def disable_client(
    client_id: ClientId, principal: StreetAdmin, session: SessionDep, context: GatewayDep
) -> ClientPublic:
    """The client gets no token any more, and its live tokens stop."""
    client = await service.set_enabled(
        session=session, context=context, principal=principal, client_id=client_id, enabled=False
    )
    return service.public(client)


@router.post(
    "/{client_id}/enable",
    response_model=ClientPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="启用集成客户端 (Enable Client)",
)
async def enable_client(
    client_id: ClientId, principal: StreetAdmin, session: SessionDep, context: GatewayDep
) -> ClientPublic:
    """A disabled client may get tokens again."""
    client = await service.set_enabled(
        session=session, context=context, principal=principal, client_id=client_id, enabled=True
    )
    return service.public(client)


@router.delete(
    "/{client_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
    summary="删除集成客户端 (Delete Client)",
)
async def delete_client(
    client_id: ClientId, principal: StreetAdmin, session: SessionDep, context: GatewayDep
) -> Response:
    """Delete the client for good: it never signs in again, and its webhook endpoints are disabled."""
    await service.delete(session=session, context=context, principal=principal, client_id=client_id)
    return Response(status_code=204)
