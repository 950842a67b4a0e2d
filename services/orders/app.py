from __future__ import annotations

from fastapi import FastAPI

from services.orders.config import Settings
from shared.app import create_process_app
from shared.security import TokenVerifier


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_process_app(
        settings=settings or Settings(),
        title="Orders service",
        description="The closed loop 居民点单、社区派单、党员接单、居民评单: menu, orders, dispatch, ratings, points.",
        routers=[],
        verifier=verifier,
    )
