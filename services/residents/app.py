from __future__ import annotations

from fastapi import FastAPI

from services.residents.config import Settings
from services.residents.imports import api as imports
from services.residents.places import api as places
from services.residents.registry import api as registry
from services.residents.vault import api as vault
from shared.app import create_process_app
from shared.peers import Peers
from shared.pii import PiiCipher
from shared.security import TokenVerifier


def create_app(
    settings: Settings | None = None, *, verifier: TokenVerifier | None = None, peers: Peers | None = None
) -> FastAPI:
    settings = settings or Settings()
    assert settings.pii_keys and settings.blind_index_key
    app = create_process_app(
        settings=settings,
        title="Residents service",
        description="The resident registry: compounds, buildings, households, residents, tags, and the PII vault.",
        routers=[
            registry.statistics,
            vault.router,
            imports.router,
            registry.router,
            places.households,
            places.compounds,
            places.buildings,
            registry.catalogue,
            registry.internal,
            places.internal,
        ],
        verifier=verifier,
        peers=peers,
    )
    app.state.pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    return app
