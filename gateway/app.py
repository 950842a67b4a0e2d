"""The gateway: its own routes (sign-in, tokens, JWKS, accounts, me) and, in front of them, the
routing layer that forwards ``/api/v1/<resource>`` to the owning service."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.types import Scope

from gateway import contract
from gateway.auth import api as auth
from gateway.auth.keys import KeyRing, ensure_signing_key, key_sealer
from gateway.auth.revocation import DisabledSubjects
from gateway.auth.sms import ConsoleSmsSender, HttpSmsSender, SmsSender
from gateway.auth.throttle import Throttle
from gateway.auth.tokens import TokenIssuer
from gateway.auth.wechat import WechatClient
from gateway.clients import InternalClient, Registry, Roster
from gateway.config import Settings
from gateway.context import GatewayContext
from gateway.events import api as events
from gateway.integrations import api as integrations
from gateway.notifications import api as notifications
from gateway.notifications.service import NotificationHub
from gateway.open311 import api as open311
from gateway.open311.schemas import Open311Error, on_error
from gateway.routing.proxy import ProxyMiddleware, ServiceProxy
from gateway.routing.ratelimit import WindowLimiter
from gateway.stats import api as stats
from gateway.vocabularies import api as vocabularies
from gateway.webhooks import api as webhooks_api
from gateway.webhooks import service as webhooks
from shared.app import create_process_app
from shared.db import Database
from shared.errors import DomainError, problem_bytes
from shared.periodic import Periodic
from shared.pii import PiiCipher
from shared.security import PASSWORD_CHANGE_REQUIRED, JwksCache, TokenVerifier
from shared.settings import to_asyncpg_dsn

log = logging.getLogger(__name__)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_RELOAD_SECONDS = 60.0
THROTTLE_PRUNE_SECONDS = 600.0
Client = TypeVar("Client", bound=InternalClient)


def _sms_sender(settings: Settings) -> SmsSender | None:
    if settings.sms_provider_url and settings.sms_provider_api_key:
        return HttpSmsSender(
            url=settings.sms_provider_url,
            api_key=settings.sms_provider_api_key,
            sign_name=settings.sms_sign_name,
            template=settings.sms_template,
        )
    return ConsoleSmsSender() if settings.profile != "production" else None


def _wechat(settings: Settings) -> WechatClient | None:
    if settings.wechat_appid and settings.wechat_secret:
        return WechatClient(
            appid=settings.wechat_appid, secret=settings.wechat_secret, api_base=settings.wechat_api_base
        )
    return None


def create_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    upstream_transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    webhook_resolver: webhooks.Resolver | None = None,
) -> FastAPI:
    settings = settings or Settings()
    assert settings.pii_keys and settings.blind_index_key
    sealer = key_sealer(settings)
    keyring = KeyRing(sealer)
    pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    proxy = ServiceProxy(
        routes=settings.routes,
        service_urls=settings.service_urls,
        connect_timeout=settings.proxy_connect_timeout,
        total_timeout=settings.proxy_total_timeout,
        pool_size=settings.proxy_pool_size,
        failure_threshold=settings.circuit_failure_threshold,
        open_seconds=settings.circuit_open_seconds,
        slow_paths=settings.proxy_slow_paths,
    )
    limiter = WindowLimiter()
    # The gateway verifies with its own key ring; tests may hand in a verifier of their own keys.
    own_verifier = verifier or TokenVerifier(
        JwksCache(keyring.jwks, cooldown_seconds=0),
        issuer=settings.public_issuer,  # the ring is local: no cooldown
    )

    async def startup(app: FastAPI) -> None:
        app.state.keyring = keyring
        db: Database = app.state.db
        assert db.fastlane is not None
        sessionmaker = async_sessionmaker(db.engine, expire_on_commit=False)
        async with sessionmaker() as session, session.begin():
            await ensure_signing_key(session, sealer)
        await reload_signing_keys(app)
        pool = db.fastlane.pool
        disabled = DisabledSubjects(pool, horizon_seconds=settings.access_token_ttl_seconds + 120)
        await disabled.refresh()
        disabled.start()
        own_verifier.is_revoked = disabled.is_revoked
        issuer = TokenIssuer(
            keyring=keyring,
            sealer=sealer,
            issuer=settings.public_issuer,
            access_ttl=settings.access_token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
            retry_grace=settings.refresh_retry_grace_seconds,
        )

        # One internal client per service, with the gateway's internal token: the roster and the
        # registry when it issues tokens, every service for their dead letters.
        def internal(kind: type[Client], name: str) -> Client:
            return kind(
                name=name,
                base_url=settings.service_urls[name],
                issuer=issuer,
                timeout=settings.proxy_total_timeout,
                transport=(upstream_transports or {}).get(name),
            )

        roster, registry = internal(Roster, "grids"), internal(Registry, "residents")
        app.state.internal_clients = {
            name: {"grids": roster, "residents": registry}.get(name) or internal(InternalClient, name)
            for name in settings.service_urls
        }
        app.state.gateway = GatewayContext(
            settings=settings,
            keyring=keyring,
            issuer=issuer,
            pii=pii,
            throttle=Throttle(pool),
            disabled=disabled,
            sms=_sms_sender(settings),
            wechat=_wechat(settings),
            roster=roster,
            registry=registry,
        )
        await proxy.start()
        app.state.key_reloader = _key_reloader(app)
        app.state.throttle_pruner = _throttle_pruner(app.state.gateway)
        app.state.notification_hub = NotificationHub(
            to_asyncpg_dsn(settings.listen_database_url) if settings.listen_database_url else settings.asyncpg_dsn
        )
        await app.state.notification_hub.start()
        dispatcher = webhooks.Dispatcher(
            pool_getter=lambda: pool,
            keys=webhooks.Secrets(sealer),
            allow_private=settings.allow_private_webhooks,
            interval=settings.webhook_interval_seconds,
            resolver=webhook_resolver or webhooks.system_resolver,
            transport=webhook_transport,
        )
        app.state.webhooks = dispatcher
        if settings.profile != "test":  # under pytest, tests run the dispatcher themselves
            dispatcher.start()

    async def shutdown(app: FastAPI) -> None:
        context: GatewayContext | None = getattr(app.state, "gateway", None)
        for name in ("key_reloader", "throttle_pruner"):
            periodic: Periodic | None = getattr(app.state, name, None)
            if periodic is not None:
                await periodic.stop()
        for service in ("webhooks", "notification_hub"):
            if (running := getattr(app.state, service, None)) is not None:
                await running.stop()
        await proxy.close()
        for client in getattr(app.state, "internal_clients", {}).values():
            await client.close()
        if context is not None:
            await context.disabled.stop()
            for client in (context.sms, context.wechat):
                if client is not None and hasattr(client, "close"):
                    await client.close()

    async def before_forward(scope: Scope) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        """Refuse at the door what the services would refuse anyway: bad or disabled tokens, floods."""
        token = _bearer(scope)
        subject = None
        if token is not None:
            try:
                principal = await own_verifier.verify(token)
                if principal.password_change:
                    raise PASSWORD_CHANGE_REQUIRED
                subject = principal.sub
            except DomainError as error:
                headers = [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
                return error.status, problem_bytes(error.status, error.detail or error.title, error.slug), headers
        if scope["method"] in WRITE_METHODS:
            client = scope.get("client")
            checks = [(f"ip:{client[0] if client else 'unknown'}", settings.writes_per_ip)]
            if subject is not None:
                checks.append((f"sub:{subject}", settings.writes_per_account))
            for key, limit in checks:
                retry_after = limiter.hit(key, limit)
                if retry_after is not None:
                    body = problem_bytes(429, "too many requests, slow down")
                    return 429, body, [(b"retry-after", str(retry_after).encode())]
        return None

    app = create_process_app(
        settings=settings,
        title="Gateway",
        description="The only door: accounts, sign-in, tokens and JWKS, and routing to the services.",
        routers=[
            auth.router,
            auth.me_router,
            notifications.router,
            auth.accounts_router,
            webhooks_api.router,
            integrations.router,
            events.dead,
            stats.router,
            open311.router,
            auth.well_known,
            vocabularies.router,
            events.router,
        ],
        verifier=own_verifier,
        on_startup=[startup],
        on_shutdown=[shutdown],
        middleware=[(ProxyMiddleware, {"proxy": proxy, "before_forward": before_forward})],
        dead_letters=False,  # it asks the services about theirs (/api/v1/events/dead)
        large_bodies=settings.proxy_large_bodies,
    )
    app.add_exception_handler(Open311Error, on_error)
    # The whole public API, the services' operations included, as clients call it here (gateway.contract).
    app.openapi = lambda: contract.served(settings.openapi_file)  # type: ignore[method-assign]
    return app


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


async def reload_signing_keys(app: FastAPI) -> None:
    """Load the key ring from the database; when the published set changed, the verifier forgets
    what it had (tokens of a retired key stop working)."""
    keyring: KeyRing = app.state.keyring
    before = {key.get("kid") for key in keyring.document["keys"]}
    async with async_sessionmaker(app.state.db.engine, expire_on_commit=False)() as session:
        await keyring.load(session)
    if {key.get("kid") for key in keyring.document["keys"]} != before:
        verifier: TokenVerifier = app.state.verifier
        await verifier.reload_keys()


def _key_reloader(app: FastAPI) -> Periodic:
    async def reload() -> None:
        await reload_signing_keys(app)

    reloader = Periodic(reload, interval=KEY_RELOAD_SECONDS, name="signing keys", first_delay=KEY_RELOAD_SECONDS)
    reloader.start()
    return reloader


def _throttle_pruner(context: GatewayContext) -> Periodic:
    idle = timedelta(seconds=context.settings.longest_throttle_window)

    async def prune() -> None:
        await context.throttle.prune(idle)

    pruner = Periodic(prune, interval=THROTTLE_PRUNE_SECONDS, name="throttle prune", first_delay=THROTTLE_PRUNE_SECONDS)
    pruner.start()
    return pruner
