"""The public API's one document at the gateway (gateway.contract): every public operation of the five
processes, valid OpenAPI, with security and audiences; the committed copy in docs/openapi.json kept
equal to it; the documentation pages rendering from the gateway alone; breaking changes found."""

from __future__ import annotations

import copy
import importlib
import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate

from deploy.processes import PROCESSES
from gateway import contract
from shared.app import process_openapi

AUDIENCE_TAGS = {*contract.AUDIENCES, contract.MACHINE_AUDIENCE}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in contract.METHODS
    }


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    return contract.merged()


@pytest.fixture
async def gateway_client(gateway_app: FastAPI) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway_app), base_url="http://gw.test") as client:
        yield client


async def test_the_gateway_serves_the_merged_document(gateway_client: httpx.AsyncClient, merged: Any) -> None:
    answer = await gateway_client.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(merged))


@pytest.mark.no_db
def test_every_public_operation_of_every_process_is_in_it(merged: dict[str, Any]) -> None:
    listed = operations(merged)
    for spec in PROCESSES:
        own = process_openapi(importlib.import_module(f"{spec.package}.app").create_app())
        for method, path in operations(own):
            if path.startswith("/internal/") or path in contract.HIDDEN_PATHS:
                assert (method, path) not in listed, f"{spec.name}: {method} {path} is not public"
            else:
                assert (method, path) in listed, f"{spec.name}: {method} {path} is missing"
                assert listed[(method, path)]["summary"] == own["paths"][path][method]["summary"]
    ids = [operation["operationId"] for operation in listed.values()]
    assert len(ids) == len(set(ids))
    assert len(listed) > 190


@pytest.mark.no_db
def test_it_is_valid_openapi_with_security_and_audiences(merged: dict[str, Any]) -> None:
    validate(copy.deepcopy(merged))
    listed = operations(merged)
    assert listed[("post", "/api/v1/auth/login")]["security"] == []
    assert listed[("get", "/api/v1/orders")]["security"][0] == {"bearer": []}
    assert {"clientCredentials": ["stats:read"]} in listed[("get", "/api/v1/residents/stats")]["security"]
    resident_order = set(listed[("post", "/api/v1/orders")]["tags"])
    assert {"居民小程序", "网格员 App", "社区工作人员"} <= resident_order
    assert "街道对接" not in set(listed[("get", "/api/v1/visits")]["tags"])
    for (method, path), operation in listed.items():
        if operation["security"]:
            assert AUDIENCE_TAGS & set(operation["tags"]), f"{method} {path} has no audience"
    schemes = merged["components"]["securitySchemes"]
    assert schemes["clientCredentials"]["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/auth/token"
    assert merged["servers"][0]["url"] == "/"


@pytest.mark.no_db
def test_the_committed_document_is_the_live_one(merged: dict[str, Any]) -> None:
    committed = contract.COMMITTED.read_text(encoding="utf-8")
    assert committed == contract.render(merged), (
        "docs/openapi.json differs from the API: check with `python -m gateway.contract check`, "
        "then regenerate with `python -m gateway.contract write`"
    )


@pytest.mark.no_db
def test_every_field_and_parameter_is_described_and_every_enum_labelled(merged: dict[str, Any]) -> None:
    """An operation without a Chinese summary, a public schema field or parameter without a description,
    or an enum value without its Chinese label fails here (`python -m gateway.contract gaps` lists them)."""
    assert contract.undescribed(merged) == []
    assert operations(merged)[("post", "/api/v1/orders/{order_id}/dispatch")]["summary"] == "派单 (Dispatch Order)"
    order = merged["components"]["schemas"]["OrderPublic"]["properties"]
    assert order["state"]["x-enumDescriptions"]["accepted"] == "已接单"
    assert "grid" in order["grid_code"]["description"]


def _request_schemas(document: dict[str, Any]) -> set[str]:
    """The components a request body takes, with those they contain."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (name := ref.rsplit("/", 1)[1]) not in found:
                found.add(name)
                walk(document["components"]["schemas"][name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for operation in operations(document).values():
        walk(operation.get("requestBody"))
    return found


def _unbounded(schema: dict[str, Any]) -> bool:
    """A string (or a list of strings) with no maximum length, enum, pattern or fixed format. Uploaded
    files (photos, the register's import) have their own limits, checked by content."""
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "array" and isinstance(option.get("items"), dict) and _unbounded(option["items"]):
            return True
        limits = {"maxLength", "enum", "const", "pattern", "contentMediaType"}
        bounded = limits & set(option) or option.get("format") in ("uuid", "date", "date-time", "binary")
        if option.get("type") == "string" and not bounded:
            return True
    return False


@pytest.mark.no_db
def test_every_text_a_request_takes_has_a_maximum_length(merged: dict[str, Any]) -> None:
    """A free-text field with no maximum lets one request store megabytes (a 5 MB resident update was)."""
    schemas = merged["components"]["schemas"]
    requests = _request_schemas(merged)
    assert {"OrderCreate", "ResidentUpdate", "ClientCreate"} <= requests
    unbounded = [
        f"{name}.{field}"
        for name in sorted(requests)
        for field, shape in schemas[name].get("properties", {}).items()
        if _unbounded(shape)
    ]
    assert unbounded == []
    assert _unbounded({"type": "array", "items": {"type": "string"}})


# The requests an app team writes first: each has an example that its schema takes.
MAIN_REQUESTS = [
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/orders"),
    ("post", "/api/v1/orders/{order_id}/dispatch"),
    ("post", "/api/v1/orders/{order_id}/complete"),
    ("post", "/api/v1/orders/{order_id}/rate"),
    ("post", "/api/v1/residents"),
    ("post", "/api/v1/visits"),
    ("post", "/api/v1/postings"),
]


def _body_schema(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation["requestBody"]["content"]
    return dict(next(iter(content.values()))["schema"])


@pytest.mark.no_db
def test_the_main_requests_have_examples_their_schemas_take(merged: dict[str, Any]) -> None:
    listed = operations(merged)
    schemas = merged["components"]["schemas"]
    for key in MAIN_REQUESTS:
        schema = contract._resolve(merged, _body_schema(listed[key]))
        assert schema.get("examples"), f"{key}: no example"
    checked = 0
    for schema in schemas.values():
        for example in schema.get("examples", []):
            # the component with the document's components beside it, so that its $refs resolve
            Draft202012Validator({**schema, "components": merged["components"]}).validate(example)
            checked += 1
    assert checked >= len(MAIN_REQUESTS)
    with pytest.raises(ValidationError):
        Draft202012Validator({**schemas["OrderCreate"], "components": merged["components"]}).validate(
            {**schemas["OrderCreate"]["examples"][0], "kind": "complaint"}
        )


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_documentation_renders_from_the_gateway_alone(gateway_client: httpx.AsyncClient, page: str) -> None:
    html = (await gateway_client.get(page)).text
    urls = set(re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']""", html))
    urls |= set(re.findall(r"""url: ?["']([^"']+)["']""", html))
    assert "/openapi.json" in urls
    assert not [url for url in urls if "//" in url], f"{page} loads from elsewhere: {urls}"
    assert "fonts.googleapis" not in html and "cdn" not in html.lower()
    for url in urls:
        answer = await gateway_client.get(url)
        assert answer.status_code == 200 and len(answer.content) > 0, url
    assert len(urls) >= 3


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/things": {
            "get": {
                "parameters": [{"in": "query", "name": "kind", "required": False, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
                },
            },
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingIn"}}}},
                "responses": {"201": {"description": "made"}},
            },
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "state": {"type": "string", "enum": ["open", "closed"]},
                    "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                },
            },
            "ThingIn": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        }
    },
}


def changed(edit: Any) -> list[str]:
    new = copy.deepcopy(DOCUMENT)
    edit(new)
    return contract.breaking_changes(DOCUMENT, new)


@pytest.mark.no_db
def test_breaking_changes_are_found() -> None:
    schemas = lambda d: d["components"]["schemas"]  # noqa: E731
    assert contract.breaking_changes(DOCUMENT, copy.deepcopy(DOCUMENT)) == []
    assert changed(lambda d: d["paths"]["/things"].pop("post")) == ["POST /things: operation removed"]
    assert changed(lambda d: schemas(d)["Thing"]["properties"].pop("id")) == [
        "response GET /things 200.id: field removed"
    ]
    assert changed(lambda d: schemas(d)["Thing"]["properties"]["state"].update(enum=["open"])) == [
        "response GET /things 200.state: enum values removed: ['closed']"
    ]
    assert changed(lambda d: schemas(d)["Thing"]["properties"].update(size={"type": "integer"})) == [
        "response GET /things 200.size: type narrowed from ['integer', 'null'] to ['integer']"
    ]
    assert changed(lambda d: d["paths"]["/things"]["get"]["parameters"][0].update(required=True)) == [
        "GET /things: parameter kind (query) is now required"
    ]
    assert changed(lambda d: schemas(d)["ThingIn"].update(required=["name", "colour"])) == [
        "request POST /things: newly required ['colour']"
    ]
    # Additions are not breaking.
    assert changed(lambda d: schemas(d)["Thing"]["properties"].update(colour={"type": "string"})) == []
    assert changed(lambda d: d["paths"].update({"/more": {"get": {"responses": {}}}})) == []


@pytest.mark.no_db
def test_a_schema_that_contains_itself_is_compared_once() -> None:
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    ok = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}
    tree: dict[str, Any] = {
        "paths": {"/tree": {"get": {"responses": {"200": ok}}}},
        "components": {"schemas": {"Node": node}},
    }
    assert contract.breaking_changes(tree, tree) == []
    pruned = copy.deepcopy(tree)
    pruned["components"]["schemas"]["Node"]["properties"].pop("name")
    assert contract.breaking_changes(tree, pruned) == ["response GET /tree 200.name: field removed"]
