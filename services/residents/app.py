from __future__ import annotations

from fastapi import FastAPI

from services.residents.config import Settings
from shared.app import create_process_app
from shared.security import TokenVerifier


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_process_app(
        settings=settings or Settings(),
        title="Residents service",
        description="The resident registry: compounds, buildings, households, residents, tags, and the PII vault.",
        routers=[],
        verifier=verifier,
    )
