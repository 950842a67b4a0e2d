"""The Open311 GeoReport v2 routes (``/open311/v2/``): the street's services and its requests, in JSON
or XML; left out of the gateway's OpenAPI (the spec documents them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.context import GatewayDep
from gateway.open311 import service
from gateway.open311.access import Anyone
from gateway.open311.schemas import Open311Error, check_format, render
from shared.db import SessionDep

router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)


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


@router.get("/services.{fmt}", summary="GeoReport v2: the street's services")
async def services(fmt: str, principal: Anyone, request: Request, context: GatewayDep) -> Response:
    """The street's menu as GeoReport services (public; ``jurisdiction_id`` names the street)."""
    fmt = check_format(fmt)
    caller = service.public_caller(request, context, await _form(request))
    return render(fmt, "services", "service", await service.menu(caller))


@router.get("/services/{code}.{fmt}", summary="GeoReport v2: one service's definition")
async def service_definition(code: str, fmt: str, principal: Anyone, request: Request, context: GatewayDep) -> Response:
    """A service's definition: no extra attributes are asked for."""
    fmt = check_format(fmt)
    await service.service_named(service.public_caller(request, context, await _form(request)), code)
    return render(fmt, "service_definition", "service", {"service_code": code, "attributes": []})


@router.post("/requests.{fmt}", summary="GeoReport v2: report a request")
async def post_request(
    fmt: str, principal: Anyone, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """A request becomes an order of the client's street (see ``service``)."""
    fmt = check_format(fmt)
    values = await _form(request)
    caller = await service.client_caller(request, session, context, values)
    reply = await service.place_request(caller, context, values)
    return render(fmt, "service_requests", "request", [reply], 201)


@router.get("/requests.{fmt}", summary="GeoReport v2: requests of the jurisdiction")
async def get_requests(
    fmt: str, principal: Anyone, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """Requests, newest first: by ``service_request_id``, ``service_code``, ``start_date``,
    ``end_date`` and ``status`` (open, closed); at most 1,000. Without ``api_key`` (public, as GeoReport
    v2 has it; ``jurisdiction_id`` names the street): the street's problem reports (``issue``) only,
    with no personal data; with a client's key: all of its street's requests."""
    fmt = check_format(fmt)
    values = await _form(request)
    if not values.get("api_key"):
        caller = service.public_caller(request, context, values)
        return render(fmt, "service_requests", "request", await service.find_public_requests(caller, values))
    caller = await service.client_caller(request, session, context, values)
    return render(fmt, "service_requests", "request", await service.find_requests(caller, values))


@router.get("/requests/{request_id}.{fmt}", summary="GeoReport v2: one request")
async def get_request(
    request_id: str, fmt: str, principal: Anyone, request: Request, session: SessionDep, context: GatewayDep
) -> Response:
    """One request of the jurisdiction; without ``api_key``, a public problem report only."""
    fmt = check_format(fmt)
    values = await _form(request)
    public = not values.get("api_key")
    if public:
        caller = service.public_caller(request, context, values)
    else:
        caller = await service.client_caller(request, session, context, values)
    found = await service.one(caller, request_id)
    if found is None or (public and found["kind"] != service.ISSUE_CODE):
        raise Open311Error(404, "no such service_request_id in this jurisdiction")
    answer = service.as_public_request(found) if public else service.as_request(found)
    return render(fmt, "service_requests", "request", [answer])
