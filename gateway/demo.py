"""The demo community's accounts (API.md): password ``demo12345`` for all, bindings in the stand-in
table until the grids service owns them, and the street's integration client."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.config import Settings
from gateway.models import Account, AccountBinding, IntegrationClient
from gateway.passwords import hash_password
from shared.pii import PiiCipher

PASSWORD = "demo12345"
STREET = "110105001"
COMMUNITY = "110105001001"
GRIDS = [f"{COMMUNITY}{n:03d}" for n in range(1, 5)]
DEMO_NAMESPACE = uuid.UUID("6a1f3c2e-8d4b-4f6a-9c1e-2b7d5e8f0a13")
CLIENT_ID, CLIENT_SECRET = "street-demo", "demo-secret"
CLIENT_SCOPES = "stats:read orders:read orders:write grids:read webhooks:write open311"


def demo_uuid(kind: str, key: str) -> uuid.UUID:
    """Stable ids shared with the other services' demo data (residents and households by phone)."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


def demo_people() -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(login, display name, kind, [(role, place)]) for every demo account."""
    people: list[tuple[str, str, str, list[tuple[str, str]]]] = [
        ("street", "街道管理员", "user", [("street_admin", STREET)]),
        ("staff", "社区工作人员", "user", [("community_staff", COMMUNITY)]),
    ]
    people += [(f"gw{n}", f"网格员{n}", "user", [("grid_worker", GRIDS[n - 1])]) for n in range(1, 5)]
    people += [(f"pm{n}", f"党员{n}", "user", [("party_member", GRIDS[(n - 1) // 2])]) for n in range(1, 9)]
    people += [(f"139000000{n:02d}", f"居民{n}", "resident", [("resident", "")]) for n in range(1, 11)]
    return people


def resident_grid(phone: str) -> str:
    return GRIDS[(int(phone[-2:]) - 1) % 4]


async def load(session: AsyncSession) -> None:
    settings = Settings()
    assert settings.pii_keys and settings.blind_index_key
    pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    existing = set((await session.scalars(select(col(Account.id)))).all())
    password_hash = None
    for login, name, kind, bindings in demo_people():
        if demo_uuid("account", login) in existing:
            continue
        password_hash = password_hash or hash_password(PASSWORD)
        account = Account(id=demo_uuid("account", login), display_name=name, password_hash=password_hash)
        if kind == "resident":
            account.phone_index = pii.blind_index(login, field="phone")
            account.phone_encrypted = pii.encrypt(login, field="phone")
            account.resident_id = demo_uuid("resident", login)
            account.household_id = demo_uuid("household", login)
            account.grid_code = resident_grid(login)
        else:
            account.username = login
        session.add(account)
        await session.flush()
        session.add_all(AccountBinding(account_id=account.id, role=role, place_code=place) for role, place in bindings)
    if await session.get(IntegrationClient, CLIENT_ID) is None:
        session.add(
            IntegrationClient(
                client_id=CLIENT_ID,
                secret_hash=hash_password(CLIENT_SECRET),
                name="示范街道对接系统",
                street_code=STREET,
                scopes=CLIENT_SCOPES,
            )
        )
    await session.flush()
