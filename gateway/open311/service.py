"""Open311 GeoReport v2 (``/open311/v2/``), so that existing civic-tech clients can read a street's
service menu and report to it: ``jurisdiction_id`` is a street code, ``api_key`` an integration
client's credentials (``client_id:client_secret``). JSON, and XML by the ``.xml`` extension.

Services are the street's menu items (``service_code`` = the item's id), plus ``issue`` for a
problem found (问题反映). A request becomes an order: for the registered resident whose phone it
names (in the client's street), or else an ``issue`` in the grid that contains its lat/long.
Statuses map ``placed``/``dispatched``/``accepted`` to open, the others to closed.

These routes speak the GeoReport spec, not the platform's conventions: errors are
``[{"code", "description"}]``, and they are left out of the gateway's OpenAPI (the spec documents them).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import service as auth
from gateway.context import GatewayContext, client_ip
from gateway.models import IntegrationClient
from gateway.open311.schemas import Open311Error
from shared.errors import DomainError
from shared.pii import building_level, clear_numbers
from shared.places import STREET_PATTERN, lies_in

OPEN_STATES = ("placed", "dispatched", "accepted")
CLOSED_STATES = ("completed", "rated", "cancelled", "rejected")
ISSUE_CODE = "issue"
MAX_RESULTS = 1000


class Caller:
    """Calls to the services in a street's name: with a client's own token (from its api_key), or a
    read-only token of the gateway's for the public menu."""

    def __init__(self, request: Request, context: GatewayContext, token: str, street: str) -> None:
        self.peers = request.app.state.peers
        self.headers = {"Authorization": f"Bearer {token}"}
        self.street = street
        self.context = context

    async def get(self, service: str, path: str, **params: Any) -> Any:
        try:
            return await self.peers.get(service, path, authorization=self.headers["Authorization"], **params)
        except DomainError as error:
            raise Open311Error(503 if error.status >= 500 else 403, error.detail or error.title) from error

    async def post(self, service: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        try:
            return await self.peers.post(service, path, authorization=self.headers["Authorization"], json=body)
        except DomainError as error:
            raise Open311Error(503, error.detail or error.title) from error


async def client_caller(
    request: Request, session: AsyncSession, context: GatewayContext, values: dict[str, str]
) -> Caller:
    key = values.get("api_key", "")
    client_id, _, secret = key.partition(":")
    if not client_id or not secret:
        raise Open311Error(401, "api_key (client_id:client_secret of an integration client) is required")
    try:
        token, scopes = await auth.client_credentials(
            session=session, context=context, client_id=client_id, client_secret=secret, scope=None,
            ip=client_ip(request),
        )  # fmt: skip
    except DomainError as error:
        raise Open311Error(403 if error.status != 429 else 429, error.detail or "api_key not accepted") from error
    if "open311" not in scopes:
        raise Open311Error(403, "this client may not use Open311")
    client = await session.get(IntegrationClient, client_id)
    assert client is not None  # its credentials were just accepted
    caller = Caller(request, context, token, client.street_code)
    jurisdiction = values.get("jurisdiction_id")
    if jurisdiction and jurisdiction != caller.street:
        raise Open311Error(403, "the api_key belongs to another jurisdiction")
    return caller


def public_caller(request: Request, context: GatewayContext, values: dict[str, str]) -> Caller:
    street = values.get("jurisdiction_id", "")
    if not re.fullmatch(STREET_PATTERN, street):
        raise Open311Error(400, "jurisdiction_id (a 9-digit street code) is required")
    token = context.issuer.machine_token("open311", street, ["orders:read"])
    return Caller(request, context, token, street)


def _service(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_code": item["id"],
        "service_name": item["name"],
        "description": item["description"],
        "metadata": False,
        "type": "realtime",
        "keywords": [item["category"]],
        "group": item["category"],
    }


ISSUE_SERVICE = {
    "service_code": ISSUE_CODE,
    "service_name": "问题反映",
    "description": "A problem found in a grid (water leak, facade, fumes, noise, parking, e-bike charging ...)",
    "metadata": False,
    "type": "realtime",
    "keywords": ["issue"],
    "group": "issue",
}


async def menu(caller: Caller) -> list[dict[str, Any]]:
    answer = await caller.get("orders", "/api/v1/menu") or {"items": []}
    return [_service(item) for item in answer["items"] if item["allowed"]] + [ISSUE_SERVICE]


async def service_named(caller: Caller, code: str) -> dict[str, Any]:
    for service in await menu(caller):
        if service["service_code"] == code:
            return service
    raise Open311Error(404, "no such service_code in this jurisdiction")


def _status(order: dict[str, Any]) -> str:
    return "open" if order["state"] in OPEN_STATES else "closed"


def as_request(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_request_id": order["id"],
        "status": _status(order),
        "status_notes": order.get("close_reason"),
        "service_name": order["title"],
        "service_code": order["menu_item_id"] or ISSUE_CODE,
        "description": order.get("description") if order["kind"] == "issue" else None,
        "agency_responsible": order["community_code"],
        "service_notice": None,
        "requested_datetime": order["placed_at"],
        "updated_datetime": order.get("updated_at"),
        "expected_datetime": order["due_at"] if order["state"] in OPEN_STATES else None,
        "address": order.get("address"),
        "address_id": order["grid_code"],
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


async def place_request(caller: Caller, context: GatewayContext, values: dict[str, str]) -> dict[str, Any]:
    """A request becomes an order: for the resident whose phone it names, or an ``issue`` in its grid."""
    code = values.get("service_code")
    if not code:
        raise Open311Error(400, "service_code is required")
    body: dict[str, Any] = {"description": values.get("description", "")[:2000]}
    resident = await _resident_by_phone(context, values.get("phone"), caller.street)
    if resident is not None and code != ISSUE_CODE:
        body.update(kind="service", menu_item_id=code, resident_id=resident["resident_id"])
    else:
        grid = await _grid_of(caller, values)
        title = "问题反映"
        if code != ISSUE_CODE:
            title = (await service_named(caller, code))["service_name"]
        body.update(kind="issue", title=title, grid_code=grid)
        if address := values.get("address_string", "").strip()[:200]:
            body["address"] = address
    status, answer = await caller.post("orders", "/api/v1/orders", body)
    if status not in (200, 201):
        detail = "; ".join(e["message"] for e in answer.get("errors") or []) or answer.get("detail") or "refused"
        raise Open311Error(400 if status == 422 else status, str(detail))
    return {"service_request_id": answer["id"], "service_notice": "已受理，社区将尽快派单", "account_id": None}


async def _resident_by_phone(context: GatewayContext, phone: str | None, street: str) -> dict[str, str] | None:
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
    found = await context.registry.resident(phone=digits)
    if found is None or not lies_in(found.get("grid_code", ""), street):
        return None
    return found


async def _grid_of(caller: Caller, values: dict[str, str]) -> str:
    try:
        lat, lng = float(values["lat"]), float(values["long"])
    except (KeyError, ValueError) as exc:
        raise Open311Error(400, "lat and long are required (the grid is found from them)") from exc
    grid = await caller.get("grids", "/api/v1/grids/locate", lat=lat, lng=lng)
    if grid is None:
        raise Open311Error(400, "the location is not in a grid of this jurisdiction")
    return str(grid["code"])


async def find_requests(
    caller: Caller, values: dict[str, str], *, shape: Callable[[dict[str, Any]], dict[str, Any]] = as_request
) -> list[dict[str, Any]]:
    """Requests, newest first, by id, service code, dates and status; at most MAX_RESULTS."""
    if ids := [i for i in values.get("service_request_id", "").split(",") if i.strip()]:
        named = [await one(caller, i.strip()) for i in ids[:MAX_RESULTS]]
        return [shape(o) for o in named if o is not None]
    params: dict[str, Any] = {"limit": 100}
    codes = [c for c in values.get("service_code", "").split(",") if c.strip()]
    if ISSUE_CODE in codes:
        params["kind"] = "issue"
    if menu_codes := [c for c in codes if c != ISSUE_CODE]:
        params["menu_item_id"] = menu_codes
    for name, target in (("start_date", "since"), ("end_date", "until")):
        if values.get(name):
            params[target] = parse_date(values[name], name).isoformat()
    status = values.get("status", "")
    states = [
        s for part in status.split(",") for s in {"open": OPEN_STATES, "closed": CLOSED_STATES}.get(part.strip(), ())
    ]
    if status and not states:
        raise Open311Error(400, "status must be open or closed")
    if states:
        params["state"] = states
    found: list[dict[str, Any]] = []
    while len(found) < MAX_RESULTS:
        page = await caller.get("orders", "/api/v1/orders", **params) or {"items": []}
        found += page["items"]
        if not page.get("next_cursor"):
            break
        params["cursor"] = page["next_cursor"]
    return [shape(o) for o in found[:MAX_RESULTS]]


def as_public_request(order: dict[str, Any]) -> dict[str, Any]:
    """A problem report as anyone may see it: no resident, no names, the description and the notes as
    filed with everything shaped like a phone or ID number cleared, the address cut to its building
    (``shared.pii.building_level``) and the grid as ``address_id``."""
    request = as_request(order)
    request["address"] = building_level(order.get("address"))
    request["service_name"] = clear_numbers(order["title"])
    request["description"] = clear_numbers(order.get("description"))
    request["status_notes"] = clear_numbers(order.get("close_reason"))
    return request


async def find_public_requests(caller: Caller, values: dict[str, str]) -> list[dict[str, Any]]:
    """The street's problem reports (``issue`` orders) for anyone: service orders never appear."""
    codes = [c.strip() for c in values.get("service_code", "").split(",") if c.strip()]
    if codes and ISSUE_CODE not in codes:
        return []
    if ids := [i for i in values.get("service_request_id", "").split(",") if i.strip()]:
        named = [await one(caller, i.strip()) for i in ids[:MAX_RESULTS]]
        return [as_public_request(o) for o in named if o is not None and o["kind"] == ISSUE_CODE]
    found = await find_requests(caller, {**values, "service_code": ISSUE_CODE}, shape=as_public_request)
    return found


def parse_date(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a w3 (ISO 8601) date-time with its offset") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} must carry its offset (Z or +08:00)")
    return moment


async def one(caller: Caller, request_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(request_id)
    except ValueError:
        return None
    found: dict[str, Any] | None = await caller.get("orders", f"/api/v1/orders/{request_id}")
    return found
