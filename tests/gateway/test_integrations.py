"""Integration clients kept by street admins: create, token grant, list, rotate, disable, delete, and
the scopes that may be granted."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from deploy.processes import PROCESSES
from gateway.clients import INTERNAL_SCOPE
from gateway.context import GatewayContext
from gateway.demo import CLIENT_ID
from gateway.integrations.scopes import GRANTABLE_SCOPES
from shared.demo import demo_uuid
from tests.support import db
from tests.support.places import OTHER_STREET, STREET
from tests.support.problems import assert_problem
from tests.support.routes import policies, routes_of
from tests.support.signin import as_user, bearer

STREET_ADMIN = str(demo_uuid("account", "street"))
CLIENT_ROW = "SELECT * FROM integration_client WHERE client_id = $1"


def admin_of(app: FastAPI, *streets: str) -> dict[str, str]:
    """A street admin of other streets than the demo's, signed by the gateway's own key."""
    context: GatewayContext = app.state.gateway
    claims = {"roles": ["street_admin"], "places": {"street_admin": list(streets)}, "name": "别的街道管理员"}
    return bearer(context.issuer.access_token(str(uuid.uuid4()), claims))


async def create(gw: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body = {"name": "街道网格平台", "scopes": ["stats:read"], **body}
    response = await gw.post("/api/v1/clients", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def grant(gw: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return await gw.post("/api/v1/auth/token", data={**form, **({"scope": scope} if scope else {})})


async def token(gw: httpx.AsyncClient, client_id: str, secret: str) -> str:
    response = await grant(gw, client_id, secret)
    assert response.status_code == 200, response.text
    access: str = response.json()["access_token"]
    return access


async def audit_rows(url: str, client_id: str) -> list[dict[str, Any]]:
    rows = await db.rows(url, "SELECT * FROM admin_audit WHERE target_id = $1 ORDER BY id", client_id)
    return [dict(r) for r in rows]


async def test_a_street_admin_creates_a_client_that_gets_a_token(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    admin = await as_user(gw, "street")
    created = await create(gw, admin, scopes=["stats:read", "webhooks:write"])
    assert created["street_code"] == STREET and created["enabled"] is True
    assert created["scopes"] == ["stats:read", "webhooks:write"] and created["client_id"].startswith("c_")
    secret = created["client_secret"]

    issued = await grant(gw, created["client_id"], secret, scope="stats:read")
    assert issued.status_code == 200 and issued.json()["scope"] == "stats:read"
    me = await gw.get("/api/v1/me", headers=bearer(issued.json()["access_token"]))
    assert me.status_code == 200 and me.json()["kind"] == "integration_client"
    assert me.json()["street_code"] == STREET
    assert_problem(await grant(gw, created["client_id"], secret, scope="jobs:read"), 422, "scope")
    assert (await grant(gw, created["client_id"], "wrong")).status_code == 401

    listed = await gw.get("/api/v1/clients", headers=admin)
    assert [c["client_id"] for c in listed.json()["items"]] == [created["client_id"], CLIENT_ID]  # the demo's
    one = await gw.get(f"/api/v1/clients/{created['client_id']}", headers=admin)
    assert one.status_code == 200 and one.json()["name"] == "街道网格平台"
    assert secret not in listed.text + one.text and "client_secret" not in listed.text + one.text
    assert "argon2" not in listed.text + one.text
    row = await db.row(database_urls["gateway"], CLIENT_ROW, created["client_id"])
    assert row is not None and row["created_by"] == STREET_ADMIN
    assert secret not in str(dict(row)) and row["secret_hash"].startswith("$argon2id$")

    [entry] = await audit_rows(database_urls["gateway"], created["client_id"])
    assert (entry["action"], entry["actor"], entry["actor_role"]) == ("client.created", STREET_ADMIN, "street_admin")
    assert entry["street_code"] == STREET and secret not in str(entry)


async def test_the_list_pages_newest_first(gw: httpx.AsyncClient) -> None:
    admin = await as_user(gw, "street")
    made = [(await create(gw, admin, name=f"系统{n}"))["client_id"] for n in range(3)]
    first = (await gw.get("/api/v1/clients?limit=2", headers=admin)).json()
    second = (await gw.get(f"/api/v1/clients?limit=2&cursor={first['next_cursor']}", headers=admin)).json()
    assert [c["client_id"] for c in first["items"] + second["items"]] == [*made[::-1], CLIENT_ID]
    assert second["next_cursor"] is None


async def test_rotation_keeps_the_old_secret_for_a_day(gw: httpx.AsyncClient, database_urls: dict[str, str]) -> None:
    admin = await as_user(gw, "street")
    created = await create(gw, admin)
    client_id, old = created["client_id"], created["client_secret"]
    rotated = await gw.post(f"/api/v1/clients/{client_id}/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["client_secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"] is not None
    assert (await grant(gw, client_id, new)).status_code == 200
    assert (await grant(gw, client_id, old)).status_code == 200

    await db.execute(
        database_urls["gateway"],
        "UPDATE integration_client SET previous_secret_expires_at = now() - interval '1 second' WHERE client_id = $1",
        client_id,
    )
    assert (await grant(gw, client_id, old)).status_code == 401
    assert (await grant(gw, client_id, new)).status_code == 200
    row = await db.row(database_urls["gateway"], CLIENT_ROW, client_id)
    assert row is not None and new not in str(dict(row)) and old not in str(dict(row))

    entries = await audit_rows(database_urls["gateway"], client_id)
    assert [e["action"] for e in entries] == ["client.created", "client.rotated"]
    assert entries[1]["actor"] == STREET_ADMIN and new not in str(entries) and old not in str(entries)


async def test_a_disabled_client_gets_no_token_and_its_live_token_stops(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    admin = await as_user(gw, "street")
    created = await create(gw, admin)
    client_id, secret = created["client_id"], created["client_secret"]
    live = bearer(await token(gw, client_id, secret))
    assert (await gw.get("/api/v1/me", headers=live)).status_code == 200

    disabled = await gw.post(f"/api/v1/clients/{client_id}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert (await gw.get("/api/v1/me", headers=live)).status_code == 401
    assert (await gw.get("/api/v1/grids", headers=live)).status_code == 401  # refused at the door, not forwarded
    assert (await grant(gw, client_id, secret)).status_code == 401
    assert f"client:{client_id}" in (await gw.get("/.well-known/revocations.json")).json()["subjects"]

    enabled = await gw.post(f"/api/v1/clients/{client_id}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert (await grant(gw, client_id, secret)).status_code == 200
    entries = await audit_rows(database_urls["gateway"], client_id)
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("client.created", STREET_ADMIN),
        ("client.disabled", STREET_ADMIN),
        ("client.enabled", STREET_ADMIN),
    ]


async def test_a_deleted_client_is_gone_and_its_webhooks_stop(
    gw: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    admin = await as_user(gw, "street")
    created = await create(gw, admin, scopes=["webhooks:write"])
    client_id, secret = created["client_id"], created["client_secret"]
    live = bearer(await token(gw, client_id, secret))
    await db.execute(
        database_urls["gateway"],
        "INSERT INTO webhook_endpoint (id, client_id, url, event_types, secret_sealed, enabled, failure_streak,"
        " created_at, updated_at) VALUES ($1, $2, 'https://hooks.example.org/x', '{order.*}', '\\x00', true, 0,"
        " now(), now())",
        uuid.uuid4(),
        client_id,
    )

    deleted = await gw.delete(f"/api/v1/clients/{client_id}", headers=admin)
    assert deleted.status_code == 204
    assert_problem(await gw.get(f"/api/v1/clients/{client_id}", headers=admin), 404)
    assert_problem(await gw.post(f"/api/v1/clients/{client_id}/enable", headers=admin), 404)
    assert [c["client_id"] for c in (await gw.get("/api/v1/clients", headers=admin)).json()["items"]] == [CLIENT_ID]
    assert (await grant(gw, client_id, secret)).status_code == 401
    assert (await gw.get("/api/v1/me", headers=live)).status_code == 401
    endpoint = await db.row(database_urls["gateway"], "SELECT * FROM webhook_endpoint WHERE client_id = $1", client_id)
    assert endpoint is not None and endpoint["enabled"] is False and endpoint["disabled_reason"] == "client deleted"
    row = await db.row(database_urls["gateway"], CLIENT_ROW, client_id)
    assert row is not None and row["deleted_at"] is not None and row["enabled"] is False
    entries = await audit_rows(database_urls["gateway"], client_id)
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("client.created", STREET_ADMIN),
        ("client.deleted", STREET_ADMIN),
    ]


async def test_an_admin_of_another_street_finds_none_of_this_streets_clients(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str]
) -> None:
    created = await create(gw, await as_user(gw, "street"))
    client_id, secret = created["client_id"], created["client_secret"]
    other = admin_of(gateway_app, OTHER_STREET)
    assert (await gw.get("/api/v1/clients", headers=other)).json()["items"] == []
    for method, path in [
        ("GET", ""),
        ("POST", "/rotate"),
        ("POST", "/disable"),
        ("POST", "/enable"),
        ("DELETE", ""),
    ]:
        assert_problem(await gw.request(method, f"/api/v1/clients/{client_id}{path}", headers=other), 404)
    assert (await grant(gw, client_id, secret)).status_code == 200  # untouched: not rotated, disabled or deleted
    assert [e["action"] for e in await audit_rows(database_urls["gateway"], client_id)] == ["client.created"]
    theirs = {"name": "x", "scopes": ["stats:read"], "street_code": STREET}
    assert_problem(await gw.post("/api/v1/clients", json=theirs, headers=other), 403)


async def test_who_may_create_and_what_may_be_granted(gw: httpx.AsyncClient, gateway_app: FastAPI) -> None:
    admin = await as_user(gw, "street")
    staff = await as_user(gw, "staff")
    body = {"name": "系统", "scopes": ["stats:read"]}
    assert_problem(await gw.post("/api/v1/clients", json=body, headers=staff), 403)
    assert_problem(await gw.get("/api/v1/clients", headers=staff), 403)
    for scopes in ([INTERNAL_SCOPE], ["stats:read", INTERNAL_SCOPE], ["everything"], []):
        assert_problem(await gw.post("/api/v1/clients", json={**body, "scopes": scopes}, headers=admin), 422, "scopes")
    two_streets = admin_of(gateway_app, STREET, OTHER_STREET)
    assert_problem(await gw.post("/api/v1/clients", json=body, headers=two_streets), 422, "street_code")
    chosen = await create(gw, two_streets, street_code=OTHER_STREET)
    assert chosen["street_code"] == OTHER_STREET
    machine = bearer(await token(gw, chosen["client_id"], chosen["client_secret"]))
    assert_problem(await gw.get("/api/v1/clients", headers=machine), 403)


@pytest.mark.no_db
def test_every_machine_scope_a_route_accepts_is_grantable() -> None:
    """The grantable list (gateway/integrations/scopes.py) is exactly the scopes routes accept, but
    ``internal``: a new scope on a route must be added there, a stale one removed."""
    accepted: dict[str, list[str]] = {}
    for spec in PROCESSES:
        for route in routes_of(spec.package):
            if isinstance(route, APIRoute):
                for policy in policies(route.dependant):
                    for scope in policy.machine_scopes - {"*", INTERNAL_SCOPE}:
                        accepted.setdefault(scope, []).append(f"{spec.name} {route.path}")
    missing = {scope: where for scope, where in accepted.items() if scope not in GRANTABLE_SCOPES}
    assert missing == {}, f"routes accept scopes that cannot be granted: {missing}"
    assert sorted(GRANTABLE_SCOPES) == sorted(accepted), "a grantable scope that no route accepts"
