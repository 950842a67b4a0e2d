from __future__ import annotations

from fastapi import FastAPI

from services.grids import activities_api, api, notices_api, property_api, roster_api, teams_api, visits_api
from services.grids.config import Settings
from shared.app import create_process_app
from shared.peers import Peers
from shared.photos import LocalDiskStorage, PhotoStorage
from shared.security import TokenVerifier


def create_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    peers: Peers | None = None,
    photos: PhotoStorage | None = None,
) -> FastAPI:
    settings = settings or Settings()
    app = create_process_app(
        settings=settings,
        title="Grids service",
        description=(
            "Places (街道 → 社区 → 网格), the roster and party organisation, visits (走访), and community life:"
            " activities, notices, volunteer teams, red property (红色物业)."
        ),
        routers=[
            api.router,
            api.streets,
            roster_api.router,
            roster_api.party_orgs,
            visits_api.router,
            activities_api.router,
            notices_api.router,
            teams_api.router,
            property_api.router,
            roster_api.internal,
        ],
        verifier=verifier,
        peers=peers,
    )
    app.state.photos = photos or LocalDiskStorage(settings.photo_dir)
    return app
