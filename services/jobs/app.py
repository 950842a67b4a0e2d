from __future__ import annotations

from fastapi import FastAPI

from services.jobs.applications import api as applications_api
from services.jobs.config import Settings
from services.jobs.employers import api as employers_api
from services.jobs.fairs import api as fairs_api
from services.jobs.matching import api as matching_api
from services.jobs.postings import api as postings_api
from services.jobs.seekers import api as seekers_api
from services.jobs.trainings import api as trainings_api
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
        title="Jobs service",
        description=(
            "Employment (就业): employers, postings, seeker profiles, applications, matching (人岗对接),"
            " job fairs (招聘会) and skills trainings (技能培训)."
        ),
        routers=[
            postings_api.router,
            employers_api.router,
            seekers_api.router,
            applications_api.router,
            fairs_api.router,
            trainings_api.router,
            matching_api.postings_router,
            matching_api.seekers_router,
        ],
        verifier=verifier,
        peers=peers,
    )
    app.state.pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    return app
