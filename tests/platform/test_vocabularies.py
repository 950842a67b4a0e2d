"""GET /api/v1/vocabularies and the services' OpenAPI enums say the same values, field by field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from services.orders.app import create_app as create_orders
from services.orders.config import Settings as OrdersSettings
from services.residents.app import create_app as create_residents
from services.residents.config import Settings as ResidentsSettings
from shared.app import process_openapi
from shared.vocabularies import BY_VALUES, VOCABULARIES

pytestmark = pytest.mark.no_db

# vocabulary -> (the service's OpenAPI, schema, property) whose enum it must equal.
WHERE = {
    "residence_type": ("residents", "ResidentCreate", "residence_type"),
    "relation": ("residents", "ResidentCreate", "relation"),
    "employment": ("residents", "ResidentCreate", "employment"),
    "order_kind": ("orders", "OrderCreate", "kind"),
    "order_state": ("orders", "OrderPublic", "state"),
    "order_channel": ("orders", "OrderPublic", "channel"),
    "escalation_level": ("orders", "OrderPublic", "escalation_level"),
    "taker": ("orders", "MenuItemCreate", "takers"),
    "menu_category": ("orders", "MenuItemCreate", "category"),
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    return process_openapi(app)


def _enum(document: dict[str, Any], schema: str, prop: str) -> list[str]:
    schemas = document["components"]["schemas"]
    found = schemas[schema]["properties"][prop]

    def walk(node: dict[str, Any]) -> list[str]:
        if "enum" in node:
            return list(node["enum"])
        if "$ref" in node:
            return walk(schemas[node["$ref"].split("/")[-1]])
        for key in ("anyOf", "allOf", "oneOf"):
            for part in node.get(key, []):
                if values := walk(part):
                    return values
        if "items" in node:
            return walk(node["items"])
        return []

    return walk(found)


def test_the_vocabularies_are_the_openapi_enums() -> None:
    documents = {
        "residents": _openapi(create_residents(ResidentsSettings(database_url="postgresql://x@127.0.0.1/x"))),
        "orders": _openapi(create_orders(OrdersSettings(database_url="postgresql://x@127.0.0.1/x"))),
    }
    assert set(WHERE) <= set(VOCABULARIES)
    for name, (service, schema, prop) in WHERE.items():
        assert sorted(_enum(documents[service], schema, prop)) == sorted(VOCABULARIES[name][1]), name


def _enums(node: Any) -> list[tuple[frozenset[str], dict[str, str] | None]]:
    if isinstance(node, dict):
        found = [(frozenset(map(str, node["enum"])), node.get("x-enumDescriptions"))] if "enum" in node else []
        return found + [enum for value in node.values() for enum in _enums(value)]
    if isinstance(node, list):
        return [enum for item in node for enum in _enums(item)]
    return []


def test_every_enum_of_the_api_is_a_vocabulary_with_its_labels() -> None:
    """A new enum value without a Chinese label, or a vocabulary no field takes, fails here."""
    from gateway.contract import merged

    enums = _enums(merged())
    assert len(enums) > 100
    for values, labels in enums:
        assert values in BY_VALUES, f"no vocabulary in shared/vocabularies.py has the values {sorted(values)}"
        assert labels == {value: BY_VALUES[values][value] for value in values}
    used = {values for values, _ in enums}
    unused = [name for name, (_, entries) in VOCABULARIES.items() if frozenset(entries) not in used and name != "tag"]
    assert not unused, f"vocabularies that no field of the API takes: {unused}"
    assert VOCABULARIES["order_state"][1]["accepted"][0] == "已接单"
    assert next(labels for values, labels in enums if "wedding_funeral" in values) == {
        "routine": "日常走访",
        "wedding_funeral": "红白喜事",
        "illness": "生病住院",
        "family_change": "家庭变故",
        "dispute": "矛盾纠纷",
        "accident": "意外灾害",
    }
