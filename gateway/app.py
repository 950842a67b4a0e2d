from __future__ import annotations

from fastapi import FastAPI

from gateway.config import Settings
from shared.app import create_process_app
from shared.security import TokenVerifier


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_process_app(
        settings=settings or Settings(),
        title="Gateway",
        description="The only door: accounts, login, tokens and JWKS, routing to the services.",
        routers=[],
        verifier=verifier,
    )
