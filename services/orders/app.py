"""Orders service: the closed loop 居民点单、社区派单、党员接单、居民评单: menu, orders, dispatch, ratings, points."""

from __future__ import annotations

from fastapi import FastAPI

from services.orders import inbox
from services.orders.cases import api as case_api
from services.orders.catalogue import api as catalogue_api
from services.orders.config import Settings
from services.orders.departments import api as departments_api
from services.orders.hotline import api as hotline_api
from services.orders.indicators import api as indicators_api
from services.orders.menu import api as menu_api
from services.orders.orders import api
from services.orders.orders.sla import Scheduler
from services.orders.points import api as points_api
from services.orders.workdays import api as workdays_api
from shared.app import create_process_app
from shared.peers import Peers
from shared.photos import PhotoStorage, photo_storage
from shared.pii import PiiCipher
from shared.security import TokenVerifier


def create_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    peers: Peers | None = None,
    photos: PhotoStorage | None = None,
) -> FastAPI:
    settings = settings or Settings()

    async def start_scheduler(app: FastAPI) -> None:
        scheduler = Scheduler(
            app.state.db.sessionmaker, steps=settings.escalation_minutes, interval=settings.scheduler_interval_seconds
        )
        app.state.scheduler = scheduler
        if settings.profile != "test":  # under pytest, tests drive the clock themselves
            scheduler.start()

    async def stop_scheduler(app: FastAPI) -> None:
        await app.state.scheduler.stop()

    app = create_process_app(
        settings=settings,
        title="Orders service",
        description="The closed loop 居民点单、社区派单、党员接单、居民评单: menu, orders, dispatch, ratings, points; "
        "the case loop of problems, departments and 12345 hotline tickets.",
        # The indicators, bulletin, case classes, calendar, hotline and the cases' steps before the orders'
        # /api/v1/orders/{order_id}, which would take their paths.
        routers=[
            indicators_api.router,
            departments_api.router,
            departments_api.calls_router,
            catalogue_api.router,
            workdays_api.router,
            hotline_api.router,
            case_api.router,
            api.router,
            menu_api.router,
            points_api.router,
            inbox.router,
        ],
        verifier=verifier,
        peers=peers,
        on_startup=[start_scheduler],
        on_shutdown=[stop_scheduler],
    )
    app.state.photos = photos or photo_storage(settings)
    assert settings.pii_keys and settings.blind_index_key
    app.state.pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    return app
