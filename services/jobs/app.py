from __future__ import annotations

from fastapi import FastAPI

from services.jobs.config import Settings
from shared.app import create_process_app
from shared.security import TokenVerifier


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_process_app(
        settings=settings or Settings(),
        title="Jobs service",
        description="Employment (就业): employers, postings, seekers, applications, fairs and trainings.",
        routers=[],
        verifier=verifier,
    )
