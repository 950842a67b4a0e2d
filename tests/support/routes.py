"""Walking a process's routes for the access policy each declares (``shared.security.AccessPolicy``)."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi.dependencies.models import Dependant

from shared.security import AccessPolicy


def policies(dependant: Dependant) -> list[AccessPolicy]:
    found: list[AccessPolicy] = [dependant.call] if isinstance(dependant.call, AccessPolicy) else []
    for sub in dependant.dependencies:
        found += policies(sub)
    return found


def flatten(routes: list[Any]) -> list[Any]:
    """The app's routes with FastAPI's lazily included routers opened up."""
    out: list[Any] = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            out += [context.original_route for context in route.effective_route_contexts()]
        else:
            out.append(route)
    return out


def routes_of(package: str) -> list[Any]:
    app = importlib.import_module(f"{package}.app").create_app()
    return flatten(list(app.routes))
