from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from gateway.context import GatewayDep
from shared.security import allow_public

router = APIRouter(tags=["keys"], dependencies=[Depends(allow_public())])


@router.get("/.well-known/jwks.json", response_model=dict[str, Any])
async def jwks(context: GatewayDep) -> Response:
    """The public keys that verify the gateway's tokens (JWKS; more than one while rotating)."""
    return Response(
        context.keyring.document_bytes, media_type="application/json", headers={"Cache-Control": "max-age=60"}
    )


@router.get("/.well-known/revocations.json", response_model=dict[str, Any])
async def revocations(context: GatewayDep) -> dict[str, Any]:
    """Accounts disabled within the last token lifetime, for the services to refuse their tokens."""
    return context.disabled.document()
