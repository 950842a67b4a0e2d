"""Schema fuzzing: schemathesis against every process's OpenAPI, on real processes on loopback,
with a token that may use every route. Zero failures allowed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from deploy.demo import load_process
from deploy.processes import BY_NAME, PROCESSES
from shared.app import process_openapi
from shared.demo import COMMUNITY, EMPLOYER_LOGIN, GRIDS, STREET, demo_uuid
from shared.testing import TestKeys, Truncator
from tests.support.fakes import FakeOutsideWorld
from tests.support.live import LivePlatform

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
async def demo_tables(truncator: Truncator, database_urls: dict[str, str]) -> None:
    """The demo community in every process's database, once for the module (demo places, so lookups
    sometimes find something): what the fuzzing adds stays, as it would on a real platform."""
    await truncator.truncate()
    for spec in PROCESSES:
        await load_process(spec, database_urls[spec.name])


@pytest.fixture(scope="module")
def live(keys: TestKeys, database_urls: dict[str, str], demo_tables: None) -> Iterator[LivePlatform]:
    platform = LivePlatform(keys, database_urls)
    outside = FakeOutsideWorld()
    try:
        platform.start((spec.name for spec in PROCESSES), extra_env=outside.gateway_env())
        yield platform
    finally:
        platform.close()
        outside.close()


def everything_token(keys: TestKeys) -> str:
    return keys.token(
        roles=["street_admin", "community_staff", "grid_worker", "party_member", "resident"],
        places={
            "street_admin": [STREET],
            "community_staff": [COMMUNITY],
            "grid_worker": GRIDS[:1],
            "party_member": GRIDS[:1],
        },
        grid_code=GRIDS[0],
        ttl=3600,
    )


def jobs_token(keys: TestKeys) -> str:
    """The jobs service's routes need more of a person: a resident of the registry (their own profile,
    applications, enrolments) who is also the demo employer's account (its postings, its applicants)."""
    return keys.token(
        sub=str(demo_uuid("account", EMPLOYER_LOGIN)),
        roles=["street_admin", "community_staff", "grid_worker", "party_member", "resident", "employer"],
        places={
            "street_admin": [STREET],
            "community_staff": [COMMUNITY],
            "grid_worker": GRIDS[:1],
            "party_member": GRIDS[:1],
            "employer": [COMMUNITY],
        },
        resident_id=str(demo_uuid("resident", "13900000001")),
        household_id=str(demo_uuid("household", "13900000001")),
        grid_code=GRIDS[0],
        ttl=3600,
    )


@pytest.mark.fuzz
@pytest.mark.keep_tables
@pytest.mark.parametrize("name", [spec.name for spec in PROCESSES])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_schemathesis_finds_nothing(live: LivePlatform, keys: TestKeys, name: str, mode: GenerationMode) -> None:
    if name == "gateway":  # its /openapi.json is the whole API's (gateway.contract): fuzz its own routes here
        own = process_openapi(importlib.import_module(f"{BY_NAME[name].package}.app").create_app())
        schema = schemathesis.openapi.from_dict(own)
    else:
        schema = schemathesis.openapi.from_url(f"{live.url(name)}/openapi.json")
    if not list(schema.get_all_operations()):
        pytest.skip(f"{BY_NAME[name].name} has no API operations yet")
    base_url = live.url(name)
    if name == "gateway":  # the gateway trusts only its own keys: sign in as the demo staff
        answer = httpx.post(f"{base_url}/api/v1/auth/login", json={"username": "staff", "password": "demo12345"})
        token = answer.json()["access_token"]
    elif name == "jobs":
        token = jobs_token(keys)
    else:
        token = everything_token(keys)
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(case=schema.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    run()
