"""The one way a process of the platform builds its FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared import apidocs, deadletters, leanroutes, speedups
from shared.db import Database
from shared.errors import PROBLEM_MEDIA_TYPE, Problem, install_error_handlers
from shared.events import signer
from shared.health import livez, readyz
from shared.idempotency import IdempotencyMiddleware
from shared.logging import configure_logging
from shared.metrics import Metrics
from shared.middleware import BodyLimits, RequestContextMiddleware
from shared.peers import Peers
from shared.relay import Relay
from shared.routing import RouteIndex
from shared.security import JwksCache, RevocationList, TokenVerifier, jwks_from_url
from shared.settings import ProcessSettings
from shared.vocabularies import label_enums

log = logging.getLogger(__name__)

# Routes outside the API that need no token; every other route declares an AccessPolicy.
PUBLIC_PLATFORM_PATHS = frozenset(
    {"/livez", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/docs/assets"}
)

Hook = Callable[[FastAPI], Awaitable[None]]


def create_process_app(
    *,
    settings: ProcessSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    verifier: TokenVerifier | None = None,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    middleware: Sequence[tuple[Any, dict[str, Any]]] = (),
    peers: Peers | None = None,
    dead_letters: bool = True,
    large_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """Build a process: its routers, problem+json errors, health, metrics, request ids, body limit,
    idempotency, and a lifespan that opens and closes its database. ``large_bodies``: "METHOD path"
    of routes served by middleware (the gateway's proxy) that take more than ``max_body_bytes``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.profile != "test":  # under pytest, its own capture owns the log handlers
            configure_logging(settings.service_name, settings.log_level)
        db = Database(settings)
        await db.start()
        app.state.db = db
        # The gateway is a peer too: a service may ask it about accounts with the caller's token.
        app.state.peers = peers or Peers(
            {**settings.service_urls, "gateway": settings.gateway_url}, timeout=settings.peer_timeout_seconds
        )
        app.state.shutting_down = False
        metrics.add_pool_probe_list(db.pool_stats)
        # On a port of its own, which the gateway never routes to (shared.metrics).
        stop_metrics = metrics.serve(settings.metrics_host, settings.metrics_port) if settings.metrics_port else None
        for hook in on_startup:
            await hook(app)
        if revocations is not None:
            revocations.start()
        relay = Relay(
            pool_getter=pool_getter,
            service_urls={**settings.service_urls, "gateway": settings.gateway_url},
            secret=settings.events_secret or "",
            producer=settings.service_name,
            max_attempts=settings.relay_max_attempts,
            interval=settings.relay_interval_seconds,
        )
        app.state.relay = relay
        if settings.profile != "test":  # under pytest, tests run the relay themselves
            relay.start()
        log.info("started", extra={"event": "startup"})
        try:
            yield
        finally:
            app.state.shutting_down = True
            await app.state.relay.stop()
            if revocations is not None:
                await revocations.stop()
            for hook in on_shutdown:
                await hook(app)
            await app.state.peers.close()
            await db.stop()
            if stop_metrics is not None:
                stop_metrics()
            log.info("stopped", extra={"event": "shutdown"})

    speedups.install()
    # FastAPI's own OpenTelemetry instrumentation asks for the providers on every request; the platform's
    # metrics and logs are its own (shared.metrics, shared.logging).
    telemetry_off: Any = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        telemetry=telemetry_off,
        docs_url=None,  # shared.apidocs: the pages with their assets served here, no CDN
        redoc_url=None,
    )
    metrics = Metrics(settings.service_name)
    app.state.settings = settings
    app.state.metrics = metrics
    revocations: RevocationList | None = None
    if verifier is None:
        # A service: the gateway's keys and its list of disabled accounts, fetched over HTTP.
        if settings.revocations_url:
            revocations = RevocationList(settings.revocations_url, interval=settings.revocations_interval_seconds)
        verifier = TokenVerifier(
            JwksCache(jwks_from_url(settings.jwks_url)),
            issuer=settings.jwt_issuer,
            is_revoked=revocations.is_revoked if revocations else None,
        )
    app.state.verifier = verifier
    app.state.events_signer = signer(settings.events_secret or "")
    install_error_handlers(app)
    api_routers = (*routers, *([deadletters.router] if dead_letters else []))
    for router in api_routers:
        app.include_router(router)
    served = [route for router in api_routers for route in router.routes]
    leanroutes.lean(served)
    app.router.middleware_stack = RouteIndex(app.router.middleware_stack, router=app.router, routes=served)
    app.router.routes.extend(
        [
            Route("/livez", livez, methods=["GET"], include_in_schema=False),
            Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
        ]
    )

    def pool_getter() -> Any:
        db: Database | None = getattr(app.state, "db", None)
        return db.fastlane.pool if db is not None and db.fastlane is not None else None

    def engine_getter() -> Any:
        db: Database | None = getattr(app.state, "db", None)
        return db.engine if db is not None else None

    app.add_middleware(IdempotencyMiddleware, engine_getter=engine_getter)
    for middleware_class, options in middleware:
        app.add_middleware(middleware_class, **options)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    body_limits = BodyLimits.of_routes(settings.max_body_bytes, served, also=large_bodies)
    app.add_middleware(RequestContextMiddleware, metrics=metrics, body_limits=body_limits)
    if proxies := [proxy.strip() for proxy in settings.trusted_proxies.split(",") if proxy.strip()]:
        # outermost, so that everything within sees the client's address (uvicorn runs with --no-proxy-headers)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    apidocs.install(app)
    app.openapi = lambda: process_openapi(app)  # type: ignore[method-assign]
    return app


def process_openapi(app: FastAPI) -> dict[str, Any]:
    """The process's own document: FastAPI's schema, with every error answer documented as
    problem+json and every enum's values labelled in Chinese (``shared.vocabularies.label_enums``).
    (The gateway serves the merged document of all five, gateway.contract.)"""
    own: dict[str, Any] | None = getattr(app.state, "own_openapi", None)
    if own is not None:
        return own
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for defs_name, defs in list(components["Problem"].pop("$defs", {}).items()):
        components.setdefault(defs_name, defs)
    problem_content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = problem_content
            if "422" in responses:
                responses["422"]["description"] = "Invalid input"
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    label_enums(schema)
    app.state.own_openapi = schema
    return schema
