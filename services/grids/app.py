from __future__ import annotations

from fastapi import FastAPI

from services.grids import api
from services.grids.config import Settings
from shared.app import create_process_app
from shared.security import TokenVerifier


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_process_app(
        settings=settings or Settings(),
        title="Grids service",
        description="Places (街道 → 社区 → 网格), the roster and party organisation, visits (走访).",
        routers=[api.router, api.streets],
        verifier=verifier,
    )
