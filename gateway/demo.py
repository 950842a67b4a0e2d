"""The demo community's accounts (docs/API.md, ``shared.demo``): password ``demo12345`` for all, and the
street's integration client. Roles and places come from the grids service's roster when a token is
issued; the snapshot of them written here only lets staff manage the accounts before their first sign-in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.auth.passwords import hash_password
from gateway.config import Settings
from gateway.models import Account, AccountBinding, IntegrationClient
from shared import demo
from shared.demo import PASSWORD, STREET, demo_uuid, resident_grid
from shared.pii import PiiCipher

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "PASSWORD", "demo_uuid", "load"]

CLIENT_ID, CLIENT_SECRET = "street-demo", "demo-secret"
CLIENT_SCOPES = "stats:read orders:read grids:read jobs:read webhooks:write open311"


async def load(session: AsyncSession) -> None:
    settings = Settings()
    assert settings.pii_keys and settings.blind_index_key
    pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    existing = set((await session.scalars(select(col(Account.id)))).all())
    password_hash = None
    for person in demo.people():
        if person.account_id in existing:
            continue
        password_hash = password_hash or hash_password(PASSWORD)
        account = Account(id=person.account_id, display_name=person.name, password_hash=password_hash)
        if person.role == "resident":
            account.phone_index = pii.blind_index(person.login, field="phone")
            account.phone_encrypted = pii.encrypt(person.login, field="phone")
            account.resident_id = demo_uuid("resident", person.login)
            account.household_id = demo_uuid("household", person.login)
            account.grid_code = resident_grid(person.login)
        else:
            account.username = person.login
        session.add(account)
        await session.flush()
        session.add(AccountBinding(account_id=account.id, role=person.role, place_code=person.place))
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
