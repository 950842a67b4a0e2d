"""Webhook endpoints of integration clients (Standard Webhooks): register, list, change, rotate the
secret, send a test, read the delivery log, redeliver."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from gateway.webhooks import service
from gateway.webhooks.access import Client
from gateway.webhooks.schemas import (
    DeliveryPage,
    DeliveryPublic,
    TestSend,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.pagination import CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
EndpointId = Annotated[uuid.UUID, Path(description="the webhook endpoint's id")]
DeliveryId = Annotated[int, Path(description="the delivery's id, from the endpoint's delivery log")]


def _hooks(request: Request) -> service.Dispatcher:
    dispatcher: service.Dispatcher = request.app.state.webhooks
    return dispatcher


Hooks = Annotated[service.Dispatcher, Depends(_hooks)]


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    responses=problem_responses(401, 403, 409, 422),
    summary="登记回调地址 (Register)",
)
async def register(body: WebhookCreate, principal: Client, session: SessionDep, hooks: Hooks) -> WebhookCreated:
    """Register an endpoint for event types of the client's street; the answer holds its secret, once."""
    return await service.register(
        session=session, principal=principal, body=body, keys=hooks.keys, allow_private=hooks.allow_private,
        resolver=hooks.resolver,
    )  # fmt: skip


@router.get(
    "", response_model=WebhookList, responses=problem_responses(401, 403), summary="回调地址列表 (List Endpoints)"
)
async def list_endpoints(principal: Client, session: SessionDep) -> WebhookList:
    """The client's endpoints."""
    return WebhookList(items=await service.list_endpoints(session=session, principal=principal))


@router.get(
    "/{endpoint_id}",
    response_model=WebhookPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="回调地址详情 (Get Endpoint)",
)
async def get_endpoint(endpoint_id: EndpointId, principal: Client, session: SessionDep) -> WebhookPublic:
    """One endpoint: its types, whether it is enabled, and why not."""
    return service.public(await service.get(session=session, principal=principal, endpoint_id=endpoint_id))


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="修改回调地址 (Update Endpoint)",
)
async def update_endpoint(
    endpoint_id: EndpointId, body: WebhookUpdate, principal: Client, session: SessionDep, hooks: Hooks
) -> WebhookPublic:
    """Change the URL, the types or the description, or enable a disabled endpoint again."""
    endpoint = await service.update(
        session=session, principal=principal, endpoint_id=endpoint_id, body=body, allow_private=hooks.allow_private,
        resolver=hooks.resolver,
    )  # fmt: skip
    return service.public(endpoint)


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
    summary="删除回调地址 (Delete Endpoint)",
)
async def delete_endpoint(endpoint_id: EndpointId, principal: Client, session: SessionDep) -> Response:
    """Delete an endpoint: no delivery reaches it again, and it is no longer listed, read or changed
    (404), nor counted among the client's 20."""
    await service.delete(session=session, principal=principal, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookCreated,
    responses=problem_responses(401, 403, 404, 422),
    summary="轮换回调密钥 (Rotate Secret)",
)
async def rotate_secret(
    endpoint_id: EndpointId, principal: Client, session: SessionDep, hooks: Hooks
) -> WebhookCreated:
    """A new secret; for a day deliveries carry signatures by both the old and the new one."""
    return await service.rotate(session=session, principal=principal, endpoint_id=endpoint_id, keys=hooks.keys)


@router.post(
    "/{endpoint_id}/test",
    response_model=TestSend,
    responses=problem_responses(401, 403, 404, 422),
    summary="发送测试回调 (Send Test)",
)
async def send_test(endpoint_id: EndpointId, principal: Client, session: SessionDep, hooks: Hooks) -> TestSend:
    """Send a signed `webhook.test` message now and say what the endpoint answered."""
    endpoint = await service.get(session=session, principal=principal, endpoint_id=endpoint_id)
    status, error, took = await hooks.send_test(endpoint)
    return TestSend(ok=status is not None and 200 <= status < 300, status_code=status, error=error, duration_ms=took)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=DeliveryPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="回调投递记录 (Delivery Log)",
)
async def delivery_log(
    endpoint_id: EndpointId, principal: Client, session: SessionDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> DeliveryPage:
    """The delivery log, newest first: every event sent, its attempts and what the endpoint answered."""
    return await service.deliveries(
        session=session, principal=principal, endpoint_id=endpoint_id, limit=limit, cursor=cursor
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="重新投递回调 (Redeliver)",
)
async def redeliver(
    endpoint_id: EndpointId, delivery_id: DeliveryId, principal: Client, session: SessionDep
) -> DeliveryPublic:
    """Put a failed or set-aside delivery back in line."""
    return await service.redeliver(
        session=session, principal=principal, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
