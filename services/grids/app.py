from __future__ import annotations

from fastapi import FastAPI

from services.grids import api, roster_api, visits_api
from services.grids.config import Settings
from shared.app import create_process_app
from shared.photos import LocalDiskStorage, PhotoStorage
from shared.security import TokenVerifier


def create_app(
    settings: Settings | None = None, *, verifier: TokenVerifier | None = None, photos: PhotoStorage | None = None
) -> FastAPI:
    settings = settings or Settings()
    app = create_process_app(
        settings=settings,
        title="Grids service",
        description="Places (街道 → 社区 → 网格), the roster and party organisation, visits (走访).",
        routers=[
            api.router,
            api.streets,
            roster_api.router,
            roster_api.party_orgs,
            visits_api.router,
            roster_api.internal,
        ],
        verifier=verifier,
    )
    app.state.photos = photos or LocalDiskStorage(settings.photo_dir)
    return app
