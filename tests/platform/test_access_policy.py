"""Every route of every process declares who may call it: an AccessPolicy, or a public platform path."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fastapi.routing import APIRoute

from deploy.processes import PROCESSES
from shared.app import PUBLIC_PLATFORM_PATHS
from tests.support.routes import policies, routes_of


@pytest.mark.no_db
@pytest.mark.parametrize("spec", PROCESSES, ids=lambda spec: spec.name)
def test_every_route_declares_an_access_policy(spec: Any) -> None:
    undeclared = []
    for route in routes_of(spec.package):
        if isinstance(route, APIRoute):
            if len(policies(route.dependant)) != 1:
                undeclared.append(f"{','.join(sorted(route.methods or ()))} {route.path}")
        elif getattr(route, "path", None) not in PUBLIC_PLATFORM_PATHS:
            undeclared.append(f"non-API route {getattr(route, 'path', route)!r}")
    assert undeclared == [], f"{spec.name}: routes without exactly one declared access policy: {undeclared}"


@pytest.mark.no_db
def test_the_walker_notices_a_route_without_a_policy() -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/naked")
    async def naked() -> dict[str, str]:
        return {}

    route = router.routes[0]
    assert isinstance(route, APIRoute)
    assert policies(route.dependant) == []


def lacking(schema: dict[str, Any]) -> list[str]:
    """What the operations of an OpenAPI document lack: a docstring, declared errors, problem+json."""
    out = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            statuses = {int(s) for s in operation["responses"] if s.isdigit()}
            # FastAPI always fills ``summary`` from the function's name; ``description`` comes from the
            # endpoint's docstring (or an explicit description=), so that is what must be there.
            if not (operation.get("description") or "").strip():
                out.append(f"{method} {path}: no docstring")
            if not any(s >= 400 for s in statuses) and path.startswith("/api/"):
                out.append(f"{method} {path}: no declared error responses")
            for status, response in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    if list(response.get("content", {})) != ["application/problem+json"]:
                        out.append(f"{method} {path} {status}: not problem+json")
    return out


@pytest.mark.no_db
@pytest.mark.parametrize("spec", PROCESSES, ids=lambda spec: spec.name)
def test_every_endpoint_has_a_summary_a_response_model_and_its_errors(spec: Any) -> None:
    app = importlib.import_module(f"{spec.package}.app").create_app()
    found = lacking(app.openapi())
    assert found == [], f"{spec.name}: {found}"


@pytest.mark.no_db
def test_the_check_notices_an_endpoint_without_a_docstring() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/api/v1/documented", responses={404: {"content": {"application/problem+json": {}}}})
    async def documented() -> dict[str, str]:
        """Says what it does."""
        return {}

    @app.get("/api/v1/undocumented", responses={404: {"content": {"application/problem+json": {}}}})
    async def undocumented() -> dict[str, str]:
        return {}

    assert app.openapi()["paths"]["/api/v1/undocumented"]["get"]["summary"] == "Undocumented"  # filled anyway
    assert lacking(app.openapi()) == ["get /api/v1/undocumented: no docstring"]
