from __future__ import annotations

from fastapi import FastAPI

from services.grids import inbox
from services.grids.activities import api as activities
from services.grids.config import Settings
from services.grids.notices import api as notices
from services.grids.places import api as places
from services.grids.property import api as property_
from services.grids.roster import api as roster
from services.grids.teams import api as teams
from services.grids.visits import api as visits
from shared.app import create_process_app
from shared.peers import Peers
from shared.photos import PhotoStorage, photo_storage
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
            places.router,
            places.streets,
            places.communities,
            roster.router,
            roster.party_orgs,
            visits.router,
            activities.router,
            notices.router,
            teams.router,
            property_.router,
            roster.internal,
            inbox.router,
        ],
        verifier=verifier,
        peers=peers,
    )
    app.state.photos = photos or photo_storage(settings)
    return app
