"""``python -m gateway.auth.keys``: a rotation that cannot seal with the wrong secret, and a gateway that
keeps signing when it meets a key it cannot open.

The finding: run as README printed it, without GATEWAY_PROFILE, ``rotate`` sealed the new key with the
development placeholder, said "new signing key" and exited 0; running gateways kept the old key, and
the next gateway to start crashed."""

from __future__ import annotations

import asyncio
import base64
import logging
import os

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from gateway.auth import keys
from gateway.config import Settings
from shared.settings import to_sqlalchemy_url
from tests.support import db

SECRET = "the-gateways-key-encryption-secret"


def production(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("GATEWAY_PROFILE", "production")
    monkeypatch.setenv("GATEWAY_KEY_ENCRYPTION_SECRET", secret)
    monkeypatch.setenv("GATEWAY_PII_KEYS", "k1:" + base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("GATEWAY_BLIND_INDEX_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("GATEWAY_EVENTS_SECRET", "events-secret")


def sealer(secret: str) -> keys.PiiCipher:
    return keys.key_sealer(Settings(profile="development", key_encryption_secret=secret))


async def add_key(url: str, secret: str, *, force: bool = False) -> str:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            return await keys.rotate(session, sealer(secret), force=force)
    finally:
        await engine.dispose()


async def load_ring(url: str, secret: str) -> keys.KeyRing:
    ring = keys.KeyRing(sealer(secret))
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with async_sessionmaker(engine)() as session:
            await ring.load(session)
    finally:
        await engine.dispose()
    return ring


async def key_count(url: str) -> int:
    return int(await db.value(url, "SELECT count(*) FROM signing_key"))


async def cli(*argv: str) -> str:
    """The command as an operator runs it; what it printed, or the message it exited with."""
    try:
        await asyncio.to_thread(keys.main, list(argv))
    except SystemExit as exit:
        return str(exit.code)
    return ""


async def test_rotate_without_a_profile_against_a_servers_database_is_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_key(env["gateway"], SECRET)
    monkeypatch.delenv("GATEWAY_PROFILE")
    refused = await cli("rotate")
    assert "GATEWAY_PROFILE" in refused and "not set" in refused
    assert await key_count(env["gateway"]) == 1


async def test_rotate_with_another_secret_writes_nothing(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await add_key(env["gateway"], SECRET)
    production(monkeypatch, "not-the-gateways-secret")
    refused = await cli("rotate")
    assert refused.startswith("nothing written") and "GATEWAY_KEY_ENCRYPTION_SECRET" in refused
    assert "new signing key" not in capsys.readouterr().out
    assert await key_count(env["gateway"]) == 1


async def test_rotate_with_the_gateways_secret_gives_a_key_every_gateway_signs_with(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = await add_key(env["gateway"], SECRET)
    production(monkeypatch, SECRET)
    assert await cli("rotate") == ""
    printed = capsys.readouterr().out
    assert "new signing key" in printed and "opened after writing" in printed
    ring = await load_ring(env["gateway"], SECRET)  # what each replica does at its next reload, or start
    assert ring.signing_kid is not None and ring.signing_kid != old and ring.signing_kid in printed
    assert {key["kid"] for key in ring.document["keys"]} == {old, ring.signing_kid}


async def test_a_key_it_cannot_open_is_an_error_naming_it_and_the_gateway_signs_with_one_it_can(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    good = await add_key(env["gateway"], SECRET)
    bad = await add_key(env["gateway"], "a-development-placeholder", force=True)
    with caplog.at_level(logging.ERROR, logger="gateway.auth.keys"):
        ring = await load_ring(env["gateway"], SECRET)
    assert ring.signing_kid == good
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert bad in error.getMessage() and f"retire {bad}" in error.getMessage()
    assert "GATEWAY_KEY_ENCRYPTION_SECRET" in error.getMessage()


async def test_a_gateway_that_can_open_no_key_refuses_to_start_saying_what_to_run(env: dict[str, str]) -> None:
    bad = await add_key(env["gateway"], "a-development-placeholder")
    with pytest.raises(keys.UnopenableKeys) as refused:
        await load_ring(env["gateway"], SECRET)
    message = str(refused.value)
    assert bad in message and "keys retire KID" in message and "rotate --force" in message
