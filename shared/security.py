"""Verifying the gateway's tokens in every process, and the access policy every route declares.

Tokens are ES256 JWTs signed by the gateway. Each process fetches the gateway's JWKS (without
blocking the event loop), pins the algorithm, checks ``iss``, ``aud``, ``exp`` and ``typ``, and
verifies a given token once: the result is cached, keyed by the whole token, until its ``exp``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from fastapi import Request
from jwt.algorithms import ECAlgorithm

from shared.errors import Forbidden, PasswordChangeRequired, Unauthorized
from shared.periodic import Periodic
from shared.places import community_of, street_of

log = logging.getLogger(__name__)

ALGORITHM = "ES256"
ANY_USER = "*"
USER_AUDIENCE = "grid-platform"
MACHINE_AUDIENCE = "grid-platform-integrations"
ACCESS_TYPE = "access"

ROLES = (
    "resident",
    "grid_worker",
    "party_member",
    "community_staff",
    "street_admin",
    "volunteer",
    "building_head",
    "employer",
    "department",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the gateway vouched for them."""

    sub: str
    roles: frozenset[str]
    places: dict[str, tuple[str, ...]] = field(default_factory=dict)
    resident_id: str | None = None
    household_id: str | None = None
    grid_code: str | None = None
    machine: bool = False
    client_id: str | None = None
    street_code: str | None = None
    scopes: frozenset[str] = frozenset()
    exp: float = 0.0
    name: str | None = None
    # Raised by every password change or reset; a token of an older generation is revoked.
    generation: int = 0
    # The password was set by someone else and must be changed before anything else.
    password_change: bool = False

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def places_of(self, role: str) -> tuple[str, ...]:
        return self.places.get(role, ())

    @property
    def account_id(self) -> uuid.UUID | None:
        """The caller's account (the token's ``sub``); None for a machine client, which has none."""
        if self.machine:
            return None
        try:
            return uuid.UUID(self.sub)
        except ValueError:
            return None

    def manages(self, place_code: str) -> bool:
        """Whether the caller runs the place: community staff of its community, or a street admin of its
        street (a grid's, a community's or a street's own code); a machine client runs none."""
        if self.machine:
            return False
        return community_of(place_code) in self.places_of("community_staff") or street_of(place_code) in self.places_of(
            "street_admin"
        )

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        machine = claims.get("aud") == MACHINE_AUDIENCE or (
            isinstance(claims.get("aud"), list) and MACHINE_AUDIENCE in claims["aud"]
        )
        places = {
            str(role): tuple(str(code) for code in codes)
            for role, codes in (claims.get("places") or {}).items()
            if isinstance(codes, list)
        }
        return cls(
            sub=str(claims["sub"]),
            roles=frozenset(str(r) for r in claims.get("roles") or ()),
            places=places,
            resident_id=claims.get("resident_id"),
            household_id=claims.get("household_id"),
            grid_code=claims.get("grid_code"),
            machine=machine,
            client_id=claims.get("client_id"),
            street_code=claims.get("street_code"),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            exp=float(claims["exp"]),
            name=claims.get("name"),
            generation=int(claims.get("gen") or 0),
            password_change=bool(claims.get("pwd_change")),
        )


KeySource = Callable[[], Awaitable[dict[str, Any]]]


class JwksCache:
    """Public keys by ``kid``; an unknown ``kid`` triggers at most one refetch per cooldown."""

    def __init__(self, source: KeySource, *, cooldown_seconds: float = 30.0, max_age_seconds: float = 300.0) -> None:
        self._source = source
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._cooldown = cooldown_seconds
        self._max_age = max_age_seconds
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Any | None:
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self._max_age:
            return self._keys[kid]
        # Unknown kid (a rotation): refetch, at most once per cooldown. Stale set (a key may have
        # been retired): refetch too, so retired keys stop verifying within max_age.
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (kid not in self._keys and age >= self._cooldown) or age >= self._max_age:
                await self.refresh()
        return self._keys.get(kid)

    async def refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            document = await self._source()
        except Exception:  # noqa: BLE001 - a failed fetch keeps the keys we had
            log.warning("JWKS fetch failed", exc_info=True)
            return
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256" and jwk.get("kid"):
                keys[jwk["kid"]] = ECAlgorithm.from_jwk(jwk)
        self._keys = keys


def jwks_from_url(url: str, *, timeout: float = 5.0) -> KeySource:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document

    return fetch


def jwks_static(document: dict[str, Any]) -> KeySource:
    async def fetch() -> dict[str, Any]:
        return document

    return fetch


class TokenVerifier:
    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        cache_size: int = 10_000,
        leeway_seconds: int = 5,
        is_revoked: Callable[[Principal], Awaitable[bool]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.leeway = leeway_seconds
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._cache_size = cache_size
        self.is_revoked = is_revoked
        self.clock = clock

    async def reload_keys(self) -> None:
        """Take the key set anew and forget verified tokens (a key may have been retired)."""
        await self.keys.refresh()
        self._cache.clear()

    async def verify(self, token: str) -> Principal:
        now = self.clock()
        cached = self._cache.get(token)
        if cached is not None:
            if cached.exp + self.leeway > now:
                principal = cached
            else:
                del self._cache[token]
                raise Unauthorized("the token has expired")
        else:
            principal = await self._verify_signature(token)
            self._cache[token] = principal
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if self.is_revoked is not None and await self.is_revoked(principal):
            raise Unauthorized("the account behind this token is disabled")
        return principal

    async def _verify_signature(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("the token is malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("the token's algorithm is not accepted")
        if not is_low_s(token):
            raise Unauthorized("the token's signature is not in canonical (low-S) form")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("the token names no key")
        key = await self.keys.key(kid)
        if key is None:
            raise Unauthorized("the token was signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=[USER_AUDIENCE, MACHINE_AUDIENCE],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "typ", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("the token is not valid") from exc
        if claims.get("typ") != ACCESS_TYPE:
            raise Unauthorized("not an access token")
        return Principal.from_claims(claims)


# ES256 signatures in canonical form: an ECDSA signature (r, s) is also valid as (r, n - s), so of the
# two only the one with s <= n/2 is accepted (as Bitcoin's BIP 62 and RFC 6979 practice have it), and
# the gateway signs in that form (``low_s``). n: the order of the P-256 group.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = P256_ORDER // 2


def _signature(token: str) -> tuple[str, bytes] | None:
    signed, _, encoded = token.rpartition(".")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return None
    return (signed, raw) if len(raw) == 64 else None


def is_low_s(token: str) -> bool:
    """Whether a compact ES256 token's signature has the canonical low S (false for any other shape)."""
    found = _signature(token)
    return found is not None and int.from_bytes(found[1][32:], "big") <= _HALF_ORDER


def low_s(token: str) -> str:
    """The token with its ES256 signature in the canonical low-S form (the same signature otherwise)."""
    found = _signature(token)
    if found is None:
        return token
    signed, raw = found
    s = int.from_bytes(raw[32:], "big")
    if s <= _HALF_ORDER:
        return token
    canonical = raw[:32] + (P256_ORDER - s).to_bytes(32, "big")
    return f"{signed}.{base64.urlsafe_b64encode(canonical).rstrip(b'=').decode()}"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case), else None:
    what FastAPI's ``HTTPBearer(auto_error=False)`` reads, without building its credentials model on
    every request."""
    authorization = request.headers.get("authorization")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if not token or scheme.lower() != "bearer":
        return None
    return token


class AccessPolicy:
    """The declared access rule of a route; every route has one (a test walks them all).

    ``roles``: user roles allowed (``ANY_USER``: any signed-in person, even one with no role yet);
    ``machine_scopes``: integration-client scopes allowed (a machine token needs one of them; ``"*"``: any
    client); ``public``: no token needed. A machine token is refused where no machine scope is named, and a
    user token where no role is named. A token that says its password must be changed is refused (403
    ``password-change-required``) unless ``password_change_ok``.
    """

    def __init__(
        self,
        *,
        roles: Iterable[str] = (),
        machine_scopes: Iterable[str] = (),
        public: bool = False,
        password_change_ok: bool = False,
    ) -> None:
        self.roles = frozenset(roles)
        self.machine_scopes = frozenset(machine_scopes)
        self.public = public
        self.password_change_ok = password_change_ok

    async def __call__(self, request: Request) -> Principal | None:
        if self.public:
            return None  # a public route ignores credentials, valid or not
        token = bearer_token(request)
        if token is None:
            raise Unauthorized("a bearer token is required")
        verifier: TokenVerifier = request.app.state.verifier
        principal = await verifier.verify(token)
        if principal.password_change and not self.password_change_ok:
            raise PASSWORD_CHANGE_REQUIRED
        if principal.machine:
            if not self.machine_scopes:
                raise Forbidden("integration clients may not use this route")
            if "*" not in self.machine_scopes and principal.scopes.isdisjoint(self.machine_scopes):
                raise Forbidden("the client's token lacks the scope this route needs")
        elif self.roles and ANY_USER not in self.roles and principal.roles.isdisjoint(self.roles):
            raise Forbidden("your role may not use this route")
        elif not self.roles:
            raise Forbidden("only integration clients may use this route")
        request.state.principal = principal
        return principal


PASSWORD_CHANGE_REQUIRED = PasswordChangeRequired(
    "your password was set by someone else: change it first (POST /api/v1/me/password)"
)


def allow(*roles: str, machine_scopes: Iterable[str] = (), password_change_ok: bool = False) -> AccessPolicy:
    return AccessPolicy(roles=roles, machine_scopes=machine_scopes, password_change_ok=password_change_ok)


def allow_public() -> AccessPolicy:
    return AccessPolicy(public=True)


def revoked(principal: Principal, subjects: frozenset[str], generations: dict[str, int]) -> bool:
    """Whether a token is revoked: its account is disabled, or its password changed since it was issued."""
    return principal.sub in subjects or principal.generation < generations.get(principal.sub, 0)


class RevocationList:
    """The gateway's list of recently disabled accounts and of accounts whose password changed (their
    older tokens are revoked), polled by each service (every 30 s by default), so those tokens stop
    working at the services within a minute."""

    def __init__(self, url: str, *, interval: float = 30.0, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self.subjects: frozenset[str] = frozenset()
        self.generations: dict[str, int] = {}
        self.poller = Periodic(self.refresh, interval=interval, name="revocation list")

    async def is_revoked(self, principal: Principal) -> bool:
        return revoked(principal, self.subjects, self.generations)

    async def refresh(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.get(self.url)
            response.raise_for_status()
            document = response.json()
            self.subjects = frozenset(str(s) for s in document.get("subjects", []))
            self.generations = {str(k): int(v) for k, v in (document.get("generations") or {}).items()}

    def start(self) -> None:
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
