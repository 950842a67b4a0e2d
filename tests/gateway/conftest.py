"""The gateway in-process, on its test database, with the demo accounts, talking to a simulated
WeChat and SMS provider over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from deploy.demo import load_process, run_loader
from deploy.processes import BY_NAME
from gateway.app import create_app
from gateway.config import Settings
from gateway.context import GatewayContext
from services.grids.app import create_app as create_grids_app
from services.grids.config import Settings as GridsSettings
from services.grids.demo import load_roster
from services.residents.app import create_app as create_residents_app
from services.residents.config import Settings as ResidentsSettings
from services.residents.demo import load_sign_in_homes
from shared.security import JwksCache, TokenVerifier
from tests.support.fakes import FakeOutsideWorld


@pytest.fixture(scope="session")
def outside() -> Iterator[FakeOutsideWorld]:
    world = FakeOutsideWorld()
    yield world
    world.close()


@pytest.fixture(scope="session")
async def gateway_app(
    database_urls: dict[str, str], outside: FakeOutsideWorld, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """The gateway, and the grids and residents services it asks when it issues tokens, in-process:
    those verify the gateway's own tokens (its internal one included) against the gateway's key ring."""
    env = outside.gateway_env()
    settings = Settings(
        database_url=database_urls["gateway"],
        profile="test",
        wechat_appid=env["GATEWAY_WECHAT_APPID"],
        wechat_secret=env["GATEWAY_WECHAT_SECRET"],
        wechat_api_base=env["GATEWAY_WECHAT_API_BASE"],
        sms_provider_url=env["GATEWAY_SMS_PROVIDER_URL"],
        sms_provider_api_key=env["GATEWAY_SMS_PROVIDER_API_KEY"],
        # Nothing listens here: proxied requests fail fast, which the routing tests want.
        service_urls={name: "http://127.0.0.1:9" for name in ("residents", "grids", "orders", "jobs")},
        proxy_connect_timeout=0.5,
        writes_per_account=(5, 60),
        cors_origins=["https://miniapp.example"],
    )
    apps: dict[str, FastAPI] = {}

    async def gateway_jwks() -> dict[str, Any]:
        document: dict[str, Any] = await apps["gateway"].state.keyring.jwks()
        return document

    def trusting_the_gateway() -> TokenVerifier:
        return TokenVerifier(JwksCache(gateway_jwks, cooldown_seconds=0), issuer=settings.public_issuer)

    grids_app = create_grids_app(
        GridsSettings(
            database_url=database_urls["grids"], profile="test", photo_dir=str(tmp_path_factory.mktemp("photos"))
        ),
        verifier=trusting_the_gateway(),
    )
    residents_app = create_residents_app(
        ResidentsSettings(database_url=database_urls["residents"], profile="test"), verifier=trusting_the_gateway()
    )
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "grids": httpx.ASGITransport(app=grids_app),
        "residents": httpx.ASGITransport(app=residents_app),
    }
    app = apps["gateway"] = create_app(settings, upstream_transports=transports)
    async with (
        grids_app.router.lifespan_context(grids_app),
        residents_app.router.lifespan_context(residents_app),
        app.router.lifespan_context(app),
    ):
        app.state.grids_app = grids_app
        app.state.residents_app = residents_app
        yield app


@pytest.fixture
async def demo_accounts(database_urls: dict[str, str], gateway_app: FastAPI) -> None:
    await load_process(BY_NAME["gateway"], database_urls["gateway"])
    await run_loader(load_roster, database_urls["grids"])
    await run_loader(load_sign_in_homes, database_urls["residents"])
    context: GatewayContext = gateway_app.state.gateway
    context.disabled.forget_recent()
    await context.disabled.refresh()
    # Signing keys live in the tables the truncation empties: make and load one again.
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from gateway.app import reload_signing_keys
    from gateway.auth.keys import ensure_signing_key, key_sealer

    sessionmaker = async_sessionmaker(gateway_app.state.db.engine, expire_on_commit=False)
    async with sessionmaker() as session, session.begin():
        await ensure_signing_key(session, key_sealer(context.settings))
    await reload_signing_keys(gateway_app)


@pytest.fixture
async def gw(gateway_app: FastAPI, demo_accounts: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=gateway_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client
