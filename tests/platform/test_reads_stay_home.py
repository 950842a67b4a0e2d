"""No read asks another process: every GET route of the four services answers from the service's own
tables and the caller's token (facts of other services are kept by events), so a read is as fast and as
available as the service's own database.

Each service runs with a tripwire in place of its peers (the other services and the gateway); every GET
operation of its OpenAPI document is called with a token that may use every route, on the demo community,
list routes first so that the detail routes get ids that exist."""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from deploy.demo import load_process
from deploy.processes import BY_NAME, PROCESSES
from shared.app import process_openapi
from shared.demo import COMMUNITY, DEPARTMENTS, EMPLOYER_LOGIN, GRIDS, STREET, demo_uuid
from shared.peers import Peers
from shared.testing import TestKeys, Truncator

SERVICES = ["residents", "grids", "orders", "jobs"]
_PARAM = re.compile(r"\{([^}]+)\}")


class Tripwire(Peers):
    """Peers that never answer: each call is written down and refused."""

    def __init__(self) -> None:
        super().__init__({})
        self.calls: list[str] = []

    async def get(self, service: str, path: str, *, authorization: str, **params: Any) -> dict[str, Any] | None:
        self.calls.append(f"GET {service}{path}")
        raise AssertionError(f"a read asked the {service} service: GET {path}")

    async def post(self, service: str, path: str, *, authorization: str, json: Any) -> tuple[int, Any]:
        self.calls.append(f"POST {service}{path}")
        raise AssertionError(f"a read asked the {service} service: POST {path}")


RESIDENT: dict[str, Any] = {
    "resident_id": str(demo_uuid("resident", "13900000001")),
    "household_id": str(demo_uuid("household", "13900000001")),
    "grid_code": GRIDS[0],
}


def callers(keys: TestKeys, name: str) -> dict[str, str]:
    """A token for each kind of caller, the demo's own accounts, and one that may use every route."""

    def account(login: str) -> str:
        return str(demo_uuid("account", login))

    everything = [
        "street_admin",
        "community_staff",
        "grid_worker",
        "party_member",
        "resident",
        "employer",
        "department",
    ]
    places = {
        "street_admin": [STREET],
        "community_staff": [COMMUNITY],
        "grid_worker": GRIDS[:1],
        "party_member": GRIDS[:1],
        "employer": [COMMUNITY],
        "department": [DEPARTMENTS[0][0]],
    }
    return {
        "everything": keys.token(
            sub=account(EMPLOYER_LOGIN if name == "jobs" else "pm1"), roles=everything, places=places, **RESIDENT
        ),
        "resident": keys.token(sub=account("13900000001"), roles=["resident"], **RESIDENT),
        "grid worker": keys.token(sub=account("gw1"), roles=["grid_worker"], places={"grid_worker": GRIDS[:1]}),
        "party member": keys.token(sub=account("pm1"), roles=["party_member"], places={"party_member": GRIDS[:1]}),
        "staff": keys.token(sub=account("staff"), roles=["community_staff"], places={"community_staff": [COMMUNITY]}),
        "street admin": keys.token(sub=account("street"), roles=["street_admin"], places={"street_admin": [STREET]}),
        "department": keys.token(sub=account("cg1"), roles=["department"], places={"department": [DEPARTMENTS[0][0]]}),
    }


@pytest.fixture(scope="module")
async def demo(truncator: Truncator, database_urls: dict[str, str]) -> AsyncIterator[None]:
    await truncator.truncate()
    for spec in PROCESSES:
        await load_process(spec, database_urls[spec.name])
    yield
    await truncator.truncate()


def first_id(body: Any) -> str | None:
    items = body.get("items") if isinstance(body, dict) else body
    if isinstance(items, list) and items and isinstance(items[0], dict):
        for key in ("id", "code"):
            if key in items[0]:
                return str(items[0][key])
    return None


async def read_everything(client: httpx.AsyncClient, schema: dict[str, Any]) -> list[tuple[str, int]]:
    """Every GET operation once, parents before children; (path, status) of each call made."""
    found: dict[str, str] = {}  # a collection path -> an id of its first item
    answers = []
    paths = sorted((p for p, item in schema["paths"].items() if "get" in item), key=lambda p: (p.count("{"), p))
    for template in paths:
        path = template
        for name in _PARAM.findall(template):
            parent = template[: template.index("{" + name + "}")].rstrip("/")
            path = path.replace("{" + name + "}", found.get(parent) or str(uuid.uuid4()), 1)
        answer = await client.get(path)
        answers.append((template, answer.status_code))
        if answer.status_code == 200 and "{" not in template and "json" in answer.headers.get("content-type", ""):
            if (item := first_id(answer.json())) is not None:
                found[template] = item
    return answers


@pytest.mark.keep_tables
@pytest.mark.parametrize("name", SERVICES)
async def test_no_get_route_asks_another_process(
    name: str, demo: None, keys: TestKeys, database_urls: dict[str, str], tmp_path: Any
) -> None:
    spec = BY_NAME[name]
    config = importlib.import_module(f"{spec.package}.config")
    settings = config.Settings(database_url=database_urls[name], profile="test")
    if "photo_dir" in config.Settings.model_fields:
        settings.photo_dir = str(tmp_path)
    tripwire = Tripwire()
    app = importlib.import_module(f"{spec.package}.app").create_app(settings, verifier=keys.verifier(), peers=tripwire)
    answers: dict[str, list[tuple[str, int]]] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=f"http://{name}.test"
        ) as client,
    ):
        schema = process_openapi(app)  # the gateway serves the whole API's; its own routes are these
        for caller, token in callers(keys, name).items():
            client.headers["Authorization"] = f"Bearer {token}"
            answers[caller] = await read_everything(client, schema)
    assert tripwire.calls == [], f"{name}: reads that asked another process: {tripwire.calls}"
    assert {caller: [a for a in made if a[1] >= 500] for caller, made in answers.items()} == {c: [] for c in answers}
    # The walk reached the data: most reads answered 200 (not all 404s for made-up ids).
    everything = answers["everything"]
    assert sum(status == 200 for _, status in everything) >= len(everything) // 2, everything


async def test_the_tripwire_catches_a_read_that_asks() -> None:
    tripwire = Tripwire()
    with pytest.raises(AssertionError):
        await tripwire.get("residents", "/api/v1/residents/x", authorization="Bearer t")
    assert tripwire.calls == ["GET residents/api/v1/residents/x"]
