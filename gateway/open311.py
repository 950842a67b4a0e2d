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

import uuid
from datetime import datetime
from typing import Annotated, Any
from xml.etree import ElementTree

import orjson
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from gateway import login
from gateway.context import GatewayContext, GatewayDep, client_ip
from gateway.models import IntegrationClient
from shared.db import SessionDep
from shared.errors import DomainError
from shared.security import Principal, allow_public

router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)
Anyone = Annotated[Principal | None, Depends(allow_public())]

OPEN_STATES = ("placed", "dispatched", "accepted")
CLOSED_STATES = ("completed", "rated", "cancelled", "rejected")
ISSUE_CODE = "issue"
MAX_RESULTS = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _render(fmt: str, root: str, item: str, payload: Any, status: int = 200) -> Response:
    if fmt == "xml":
        element = ElementTree.Element(root)
        for entry in payload if isinstance(payload, list) else [payload]:
            child = ElementTree.SubElement(element, item)
            for key, value in entry.items():
                field = ElementTree.SubElement(child, key)
                if isinstance(value, list):
                    for word in value:
                        ElementTree.SubElement(field, "keyword").text = str(word)
                elif value is not None:
                    field.text = str(value).lower() if isinstance(value, bool) else str(value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element, encoding="utf-8")
        return Response(body, status_code=status, media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json; charset=utf-8")


def _error(fmt: str, error: Open311Error) -> Response:
    return _render(fmt, "errors", "error", [{"code": error.status, "description": error.description}], error.status)


async def on_error(request: Request, exc: Exception) -> Response:
    """Any Open311 route's refusal, in the spec's error format and the format the path asked for."""
    assert isinstance(exc, Open311Error)
    fmt = request.path_params.get("fmt")
    return _error(fmt if fmt in ("json", "xml") else "json", exc)


def _format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, "format must be json or xml")
    return fmt


async def _form(request: Request) -> dict[str, str]:
    """Query parameters, and for a POST the form fields (GeoReport posts form-encoded)."""
    values = dict(request.query_params)
    if request.method == "POST":
        try:
            form = await request.form()
        except Exception as exc:  # noqa: BLE001 - an unreadable body is the client's
            raise Open311Error(400, "the body must be application/x-www-form-urlencoded") from exc
        values.update({key: str(value) for key, value in form.items() if isinstance(value, str)})
    return values


class _Caller:
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


async def _client(request: Request, session: AsyncSession, context: GatewayContext, values: dict[str, str]) -> _Caller:
    key = values.get("api_key", "")
    client_id, _, secret = key.partition(":")
    if not client_id or not secret:
        raise Open311Error(401, "api_key (client_id:client_secret of an integration client) is required")
    try:
        token, scopes = await login.client_credentials(
            session=session, context=context, client_id=client_id, client_secret=secret, scope=None,
            ip=client_ip(request),
        )  # fmt: skip
    except DomainError as error:
        raise Open311Error(403 if error.status != 429 else 429, error.detail or "api_key not accepted") from error
    if "open311" not in scopes:
        raise Open311Error(403, "this client may not use Open311")
    client = await session.get(IntegrationClient, client_id)
    assert client is not None  # its credentials were just accepted
    caller = _Caller(request, context, token, client.street_code)
    jurisdiction = values.get("jurisdiction_id")
    if jurisdiction and jurisdiction != caller.street:
        raise Open311Error(403, "the api_key belongs to another jurisdiction")
    return caller


def _public_caller(request: Request, context: GatewayContext, values: dict[str, str]) -> _Caller:
    street = values.get("jurisdiction_id", "")
    if not (len(street) == 9 and street.isdigit()):
        raise Open311Error(400, "jurisdiction_id (a 9-digit street code) is required")
    token = context.issuer.machine_token("open311", street, ["orders:read"])
    return _Caller(request, context, token, street)


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


async def _menu(caller: _Caller) -> list[dict[str, Any]]:
    menu = await caller.get("orders", "/api/v1/menu") or {"items": []}
    return [_service(item) for item in menu["items"] if item["allowed"]] + [ISSUE_SERVICE]


async def _service_named(caller: _Caller, code: str) -> dict[str, Any]:
    for service in await _menu(caller):
        if service["service_code"] == code:
            return service
    raise Open311Error(404, "no such service_code in this jurisdiction")


@router.get("/services.{fmt}", summary="GeoReport v2: the street's services")
async def services(fmt: str, principal: Anyone, request: Request, context: GatewayDep) -> Response:
    """The street's menu as GeoReport services (public; ``jurisdiction_id`` names the street)."""
    fmt = _format(fmt)
    return _render(fmt, "services", "service", await _menu(_public_caller(request, context, await _form(request))))


@router.get("/services/{code}.{fmt}", summary="GeoReport v2: one service's definition")
async def service_definition(code: str, fmt: str, principal: Anyone, request: Request, context: GatewayDep) -> Response:
    """A service's definition: no extra attributes are asked for."""
    fmt = _format(fmt)
    await _service_named(_public_caller(request, context, await _form(request)), code)
    return _render(fmt, "service_definition", "service", {"service_code": code, "attributes": []})


def _status(order: dict[str, Any]) -> str:
    return "open" if order["state"] in OPEN_STATES else "closed"


def _request(order: dict[str, Any]) -> dict[str, Any]:
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
        "address": None,
        "address_id": order["grid_code"],
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


@router.post("/requests.{fmt}", summary="GeoReport v2: report a request")
async def post_request(
    fmt: str, principal: Anyone, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """A request becomes an order of the client's street (see the module's text)."""
    fmt = _format(fmt)
    values = await _form(request)
    caller = await _client(request, session, context, values)
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
            title = (await _service_named(caller, code))["service_name"]
        body.update(kind="issue", title=title, grid_code=grid)
    status, answer = await caller.post("orders", "/api/v1/orders", body)
    if status not in (200, 201):
        detail = "; ".join(e["message"] for e in answer.get("errors") or []) or answer.get("detail") or "refused"
        raise Open311Error(400 if status == 422 else status, str(detail))
    reply = {"service_request_id": answer["id"], "service_notice": "已受理，社区将尽快派单", "account_id": None}
    return _render(fmt, "service_requests", "request", [reply], 201)


async def _resident_by_phone(context: GatewayContext, phone: str | None, street: str) -> dict[str, str] | None:
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
    found = await context.registry.resident(phone=digits)
    if found is None or not found.get("grid_code", "").startswith(street):
        return None
    return found


async def _grid_of(caller: _Caller, values: dict[str, str]) -> str:
    try:
        lat, lng = float(values["lat"]), float(values["long"])
    except (KeyError, ValueError) as exc:
        raise Open311Error(400, "lat and long are required (the grid is found from them)") from exc
    grid = await caller.get("grids", "/api/v1/grids/locate", lat=lat, lng=lng)
    if grid is None:
        raise Open311Error(400, "the location is not in a grid of this jurisdiction")
    return str(grid["code"])


@router.get("/requests.{fmt}", summary="GeoReport v2: requests of the jurisdiction")
async def get_requests(
    fmt: str, principal: Anyone, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """Requests, newest first: by ``service_request_id``, ``service_code``, ``start_date``,
    ``end_date`` and ``status`` (open, closed); at most 1,000."""
    fmt = _format(fmt)
    values = await _form(request)
    caller = await _client(request, session, context, values)
    if ids := [i for i in values.get("service_request_id", "").split(",") if i.strip()]:
        named = [await _one(caller, i.strip()) for i in ids[:MAX_RESULTS]]
        return _render(fmt, "service_requests", "request", [_request(o) for o in named if o is not None])
    params: dict[str, Any] = {"limit": 100}
    codes = [c for c in values.get("service_code", "").split(",") if c.strip()]
    if ISSUE_CODE in codes:
        params["kind"] = "issue"
    if menu_codes := [c for c in codes if c != ISSUE_CODE]:
        params["menu_item_id"] = menu_codes
    for name, target in (("start_date", "since"), ("end_date", "until")):
        if values.get(name):
            params[target] = _date(values[name], name).isoformat()
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
    return _render(fmt, "service_requests", "request", [_request(o) for o in found[:MAX_RESULTS]])


def _date(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a w3 (ISO 8601) date-time with its offset") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} must carry its offset (Z or +08:00)")
    return moment


async def _one(caller: _Caller, request_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(request_id)
    except ValueError:
        return None
    found: dict[str, Any] | None = await caller.get("orders", f"/api/v1/orders/{request_id}")
    return found


@router.get("/requests/{request_id}.{fmt}", summary="GeoReport v2: one request")
async def get_request(
    request_id: str, fmt: str, principal: Anyone, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """One request of the jurisdiction."""
    fmt = _format(fmt)
    caller = await _client(request, session, context, await _form(request))
    found = await _one(caller, request_id)
    if found is None:
        raise Open311Error(404, "no such service_request_id in this jurisdiction")
    return _render(fmt, "service_requests", "request", [_request(found)])
