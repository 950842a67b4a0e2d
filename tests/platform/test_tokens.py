"""Every service verifies the gateway's tokens itself: forged or wrong tokens are 401 problem+json."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from shared.security import ACCESS_TYPE, MACHINE_AUDIENCE, P256_ORDER, USER_AUDIENCE, is_low_s, low_s
from shared.testing import TEST_ISSUER, TestKeys
from tests.support.places import COMMUNITY, STREET


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": TEST_ISSUER, "aud": USER_AUDIENCE, "sub": str(uuid.uuid4()), "iat": now, "exp": now + 600,
        "jti": uuid.uuid4().hex, "typ": ACCESS_TYPE, "roles": ["street_admin"], "places": {"street_admin": [STREET]},
    }  # fmt: skip
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


def forged_tokens(keys: TestKeys) -> dict[str, str]:
    public_pem = keys.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = keys.sign(claims())
    header, payload, signature = good.split(".")
    tampered = b64({**claims(), "roles": ["street_admin"], "places": {"street_admin": ["999999999"]}})
    stranger = TestKeys(kid=keys.kid)  # same kid, another key
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': keys.kid})}.{payload}.",
        "HS256 with the public key": f"{b64({'alg': 'HS256', 'kid': keys.kid})}.{payload}."
        + base64.urlsafe_b64encode(
            __import__("hmac")
            .new(public_pem, f"{b64({'alg': 'HS256', 'kid': keys.kid})}.{payload}".encode(), "sha256")
            .digest()
        )
        .rstrip(b"=")
        .decode(),
        "wrong iss": keys.sign(claims(iss="someone-else")),
        "wrong aud": keys.sign(claims(aud="another-app")),
        "expired": keys.sign(claims(exp=int(time.time()) - 60, iat=int(time.time()) - 1000)),
        "no exp": keys.sign(claims(exp=None)),
        "refresh token as access": keys.sign(claims(typ="refresh")),
        "unknown kid": keys.sign(claims(), headers={"kid": "nobody"}),
        "tampered payload": f"{header}.{tampered}.{signature}",
        "signed by another key": stranger.sign(claims()),
        "garbage": "not.a.token",
        "high S": high_s(good),
    }


def high_s(token: str) -> str:
    """The same signature in its other, non-canonical form (r, n - s): valid ECDSA all the same."""
    signed, _, encoded = token.rpartition(".")
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    s = int.from_bytes(raw[32:], "big")
    other = raw[:32] + (P256_ORDER - s).to_bytes(32, "big")
    return f"{signed}.{base64.urlsafe_b64encode(other).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "case",
    ["alg none", "HS256 with the public key", "wrong iss", "wrong aud", "expired", "no exp",
     "refresh token as access", "unknown kid", "tampered payload", "signed by another key", "garbage",
     "high S"],
)  # fmt: skip
async def test_forged_tokens_are_refused(grids: httpx.AsyncClient, keys: TestKeys, case: str) -> None:
    token = forged_tokens(keys)[case]
    response = await grids.get("/api/v1/grids", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.no_db
def test_only_low_s_signatures_are_canonical_and_the_high_s_twin_is_valid_ecdsa(keys: TestKeys) -> None:
    """pyjwt takes either form of a signature; the platform signs and accepts only the low-S one."""
    public = keys.private_key.public_key()
    raw = [jwt.encode(claims(), keys.private_key, algorithm="ES256", headers={"kid": keys.kid}) for _ in range(40)]
    assert any(not is_low_s(token) for token in raw)  # half of OpenSSL's signatures are high-S
    for token in raw:
        canonical = low_s(token)
        assert is_low_s(canonical) and not is_low_s(high_s(canonical))
        for form in (canonical, high_s(canonical)):
            assert jwt.decode(form, public, algorithms=["ES256"], audience=USER_AUDIENCE)["iss"] == TEST_ISSUER
    assert not is_low_s("not.a.token")


async def test_the_genuine_token_is_accepted(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    response = await grids.get("/api/v1/grids", headers={"Authorization": f"Bearer {keys.sign(claims())}"})
    assert response.status_code == 200


async def test_no_token_is_401(grids: httpx.AsyncClient) -> None:
    response = await grids.get("/api/v1/grids")
    assert response.status_code == 401


async def test_machine_token_on_a_user_only_route_is_403(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    token = keys.machine_token(street_code=STREET, scopes=["stats:read", "grids:read"])
    response = await grids.post(
        "/api/v1/grids", json={"code": f"{STREET}001099", "name": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


async def test_machine_audience_token_cannot_pose_as_a_user(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    token = keys.sign(claims(aud=MACHINE_AUDIENCE, roles=["community_staff"], places={"community_staff": [COMMUNITY]}))
    response = await grids.post(
        "/api/v1/grids", json={"code": f"{COMMUNITY}099", "name": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


async def test_a_verified_token_is_cached_until_it_expires(keys: TestKeys) -> None:
    verifier = keys.verifier()
    token = keys.sign(claims(exp=int(time.time()) + 2))
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # served from the cache, not verified again
    verifier.clock = lambda: time.time() + verifier.leeway + 3
    with pytest.raises(Exception, match="expired"):
        await verifier.verify(token)


async def test_unknown_kid_refetches_the_jwks_at_most_once_per_cooldown(keys: TestKeys) -> None:
    from shared.security import JwksCache, TokenVerifier

    fetches = 0

    async def source() -> dict[str, Any]:
        nonlocal fetches
        fetches += 1
        return keys.jwks

    verifier = TokenVerifier(JwksCache(source, cooldown_seconds=60), issuer=TEST_ISSUER)
    await verifier.verify(keys.sign(claims()))
    for _ in range(5):
        with pytest.raises(Exception, match="unknown key"):
            await verifier.verify(keys.sign(claims(), headers={"kid": "rotated-away"}))
    assert fetches == 1


def test_pyjwt_refuses_none_on_its_own_too(keys: TestKeys) -> None:
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(forged_tokens(keys)["alg none"], options={"verify_signature": True}, algorithms=["ES256"])


async def test_user_tokens_are_refused_on_integration_only_routes(keys: TestKeys) -> None:
    from fastapi import Depends, FastAPI

    from shared.errors import install_error_handlers
    from shared.security import AccessPolicy

    app = FastAPI()
    app.state.verifier = keys.verifier()
    install_error_handlers(app)

    @app.get("/integration-only", dependencies=[Depends(AccessPolicy(machine_scopes=["stats:read"]))])
    async def integration_only() -> dict[str, str]:
        return {"ok": "yes"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        user = await client.get("/integration-only", headers=keys.headers(roles=["street_admin"]))
        assert user.status_code == 403
        machine = keys.machine_token(street_code=STREET, scopes=["stats:read"])
        allowed = await client.get("/integration-only", headers={"Authorization": f"Bearer {machine}"})
        assert allowed.status_code == 200
