"""The public API's one document, as clients call it at the gateway, and its changes checked.

The gateway's ``GET /openapi.json`` is the gateway's own routes and every service's, merged. It is
built at build time from the code, not fetched from the running services: ``build`` makes the five
processes' apps (no database, no lifespan) and merges their documents; ``python -m gateway.contract
write`` keeps the result as ``docs/openapi.json``, committed, and the gateway serves that file (the
image copies it to ``/app/openapi.json``, ``GATEWAY_OPENAPI_FILE``). So the document answers when a
service is down, no read asks another process, every replica serves the same document, and the gateway
neither spends the five seconds of building it nor holds the services' modules;
``tests/gateway/test_contract.py`` fails when the code's document differs from the committed one.
Without the file (a checkout without docs/), the gateway builds it at the first request.

Merging: ``/internal/*`` and the probes are left out; each operation keeps the services' own
description and errors; a component of one name and two different shapes is renamed after its
process (``OrdersPhotoPublic``) with its references; operation ids stay unique. Each protected
operation names its security: ``bearer`` (a person's access token from ``/api/v1/auth/login``, SMS or
WeChat sign-in) and, where integration clients may call it, the OAuth2 client-credentials flow at
``/api/v1/auth/token`` with the scopes the route takes. Each operation is tagged with the audiences
whose roles may call it (网格员 App, 居民小程序, 社区工作人员, 街道对接) besides its subject.

``python -m gateway.contract write`` writes the document to ``docs/openapi.json``, which is committed;
``python -m gateway.contract check`` prints what changed against the committed one and which of the
changes break clients (removed operations, parameters, fields and enum values, narrowed types, newly
required inputs), exiting 1 on a breaking change, so that such a change is made on purpose.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from shared.routing import api_routes
from shared.security import ANY_USER, AccessPolicy

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "openapi.json"
TITLE = "网格化社区治理平台 API (grid-governance platform)"
HIDDEN_PREFIXES = ("/internal/",)
HIDDEN_PATHS = frozenset({"/livez", "/readyz"})
TOKEN_URL = "/api/v1/auth/token"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Who uses which client, by the roles a route lets in; integration clients by their scopes.
AUDIENCES: dict[str, tuple[str, frozenset[str]]] = {
    "网格员 App": (
        "The grid-worker mobile app: grid workers, party members, volunteers and building heads "
        "(网格员、党员、志愿者、楼栋长).",
        frozenset({"grid_worker", "party_member", "volunteer", "building_head"}),
    ),
    "居民小程序": (
        "The residents' WeChat mini-program: residents and employers (居民、用工单位).",
        frozenset({"resident", "employer"}),
    ),
    "社区工作人员": (
        "Community staff, street administrators and the street's departments at their desks "
        "(社区工作人员、街道管理员、职能部门).",
        frozenset({"community_staff", "street_admin", "department"}),
    ),
}
MACHINE_AUDIENCE = "街道对接"
MACHINE_AUDIENCE_DESCRIPTION = (
    "Street offices' systems (街道办): integration clients with the OAuth2 client-credentials flow, "
    "Open311 GeoReport v2 and webhooks."
)
SCOPE_DESCRIPTIONS = {
    "grids:read": "the street's grids, places and party organisation",
    "jobs:read": "the street's job postings",
    "orders:read": "the street's orders",
    "open311": "Open311 GeoReport v2: services and requests of the client's street",
    "hotline": "the 12345 hotline: tickets as the street's cases, case classes, the working calendar and departments",
    "stats:read": "the street's statistics",
    "webhooks:write": "the client's webhook endpoints",
}


# -- building ----------------------------------------------------------------------------------------


def _policies(dependant: Dependant) -> list[AccessPolicy]:
    found: list[AccessPolicy] = [dependant.call] if isinstance(dependant.call, AccessPolicy) else []
    for sub in dependant.dependencies:
        found += _policies(sub)
    return found


def _process_apps() -> dict[str, FastAPI]:
    from deploy.processes import PROCESSES

    return {spec.name: importlib.import_module(f"{spec.package}.app").create_app() for spec in PROCESSES}


def _own_document(app: FastAPI) -> dict[str, Any]:
    from shared.app import process_openapi

    return copy.deepcopy(process_openapi(app))


def _hidden(path: str) -> bool:
    return path in HIDDEN_PATHS or path.startswith(HIDDEN_PREFIXES)


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name in renames:
                node = {**node, "$ref": f"#/components/schemas/{renames[name]}"}
        return {key: _rename_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _security(policy: AccessPolicy | None) -> tuple[list[dict[str, list[str]]], list[str]]:
    """An operation's security requirements and its audiences."""
    if policy is None or policy.public:
        return [], []
    requirements: list[dict[str, list[str]]] = []
    audiences: list[str] = []
    if policy.roles:
        requirements.append({"bearer": []})
        roles = policy.roles
        audiences += [name for name, (_, members) in AUDIENCES.items() if ANY_USER in roles or roles & members]
    if policy.machine_scopes:
        scopes = [] if "*" in policy.machine_scopes else sorted(policy.machine_scopes)
        requirements.append({"clientCredentials": scopes})
        audiences.append(MACHINE_AUDIENCE)
    return requirements, audiences


def build() -> dict[str, Any]:
    """The merged document of the five processes' public operations."""
    apps = _process_apps()
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    owners: dict[tuple[str, str], str] = {}
    operation_ids: set[str] = set()
    subjects: set[str] = set()
    scopes: set[str] = set()
    for name, app in apps.items():
        document = _own_document(app)
        own_schemas = document.get("components", {}).get("schemas", {})
        renames = {
            schema: f"{name.capitalize()}{schema}"
            for schema, shape in own_schemas.items()
            if schema in schemas and schemas[schema] != _rename_refs(shape, {})
        }
        document = _rename_refs(document, renames)
        for schema, shape in document.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(renames.get(schema, schema), shape)
        policies = {}
        for route in api_routes(app):
            found = _policies(route.dependant)
            for method in route.methods or ():
                policies[(route.path_format, method.lower())] = found[0] if found else None
        for path, item in document.get("paths", {}).items():
            if _hidden(path):
                continue
            for method, operation in item.items():
                if method not in METHODS:
                    continue
                if (path, method) in owners:
                    raise ValueError(f"{method.upper()} {path} is served by {owners[(path, method)]} and {name}")
                owners[(path, method)] = name
                if operation.get("operationId") in operation_ids:
                    operation["operationId"] = f"{name}_{operation['operationId']}"
                operation_ids.add(operation.get("operationId", ""))
                requirements, audiences = _security(policies.get((path, method)))
                operation["security"] = requirements
                for requirement in requirements:
                    scopes.update(requirement.get("clientCredentials", []))
                subjects.update(operation.get("tags", []))
                operation["tags"] = [*operation.get("tags", []), *audiences]
                paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": "1.0.0",
            "description": _description(),
        },
        "servers": [{"url": "/", "description": "this gateway (every path below is the gateway's)"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A person's access token (ES256), from POST /api/v1/auth/login, "
                    "/api/v1/auth/sms-login or /api/v1/auth/wechat-login; renewed with /api/v1/auth/refresh.",
                },
                "clientCredentials": {
                    "type": "oauth2",
                    "description": "A street office's integration client (client id and secret from the street's "
                    "administrator).",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": TOKEN_URL,
                            "scopes": {scope: SCOPE_DESCRIPTIONS.get(scope, scope) for scope in sorted(scopes)},
                        }
                    },
                },
            },
        },
        "tags": [
            *({"name": name, "description": description} for name, (description, _) in AUDIENCES.items()),
            {"name": MACHINE_AUDIENCE, "description": MACHINE_AUDIENCE_DESCRIPTION},
            *({"name": subject} for subject in sorted(subjects)),
        ],
        "x-tagGroups": [
            {"name": "按使用方 (by audience)", "tags": [*AUDIENCES, MACHINE_AUDIENCE]},
            {"name": "按功能 (by subject)", "tags": sorted(subjects)},
        ],
    }


def _description() -> str:
    return (
        "The whole public API of the platform as clients call it: the gateway's own routes (accounts, "
        "sign-in, notifications, webhooks, Open311) and those of the residents, grids, orders and jobs "
        "services, which the gateway forwards. Errors are `application/problem+json` (RFC 9457) naming "
        "the field at fault. Lists page by `cursor` (`next_cursor` of the previous page)."
    )


_merged: dict[str, Any] | None = None


def merged() -> dict[str, Any]:
    """The merged document, built from the code once per process."""
    global _merged
    if _merged is None:
        _merged = build()
    return _merged


_served: dict[Path, dict[str, Any]] = {}


def served(path: Path | None) -> dict[str, Any]:
    """What the gateway serves: the document kept at ``path`` (default: the committed docs/openapi.json),
    read once; built from the code when there is no such file."""
    path = path or COMMITTED
    if path not in _served:
        if not path.is_file():
            log.warning("no API document at %s: building it from the code", path)
            return merged()
        _served[path] = json.loads(path.read_text(encoding="utf-8"))
    return _served[path]


# -- comparing -----------------------------------------------------------------------------------------


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = document["components"]["schemas"].get(node["$ref"].rsplit("/", 1)[1], {})
    return node


def _types(schema: dict[str, Any]) -> set[str]:
    kinds = schema.get("type")
    found = set(kinds if isinstance(kinds, list) else [kinds] if kinds else [])
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        kind = option.get("type") if isinstance(option, dict) else None
        found.update(kind if isinstance(kind, list) else [kind] if kind else [])
        if isinstance(option, dict) and "$ref" in option:
            found.add("object")
    return found


def _schema_changes(old_doc: Any, new_doc: Any, old: Any, new: Any, where: str, seen: set[str]) -> list[str]:
    """What in ``new`` breaks a client that relies on ``old`` (a response or request body's schema).
    ``seen``: the components already compared on this path (a schema may contain itself: a tree)."""
    if isinstance(old, dict) and isinstance(old.get("$ref"), str):
        if old["$ref"] in seen:
            return []
        seen = {*seen, old["$ref"]}
    old, new = _resolve(old_doc, old), _resolve(new_doc, new)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    found = []
    old_kinds, new_kinds = _types(old), _types(new)
    if old_kinds and new_kinds and not old_kinds <= new_kinds:
        found.append(f"{where}: type narrowed from {sorted(old_kinds)} to {sorted(new_kinds)}")
    old_values: list[Any] = old.get("enum") or []
    new_values: list[Any] = new.get("enum") or old_values
    removed_values = set(map(str, old_values)) - set(map(str, new_values))
    if removed_values:
        found.append(f"{where}: enum values removed: {sorted(removed_values)}")
    for field, old_field in old.get("properties", {}).items():
        new_field = new.get("properties", {}).get(field)
        if new_field is None:
            found.append(f"{where}.{field}: field removed")
            continue
        found += _schema_changes(old_doc, new_doc, old_field, new_field, f"{where}.{field}", seen)
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    if newly_required and where.startswith("request"):
        found.append(f"{where}: newly required {sorted(newly_required)}")
    if "items" in old and "items" in new:
        found += _schema_changes(old_doc, new_doc, old["items"], new["items"], f"{where}[]", seen)
    for word in ("anyOf", "oneOf"):
        for old_option, new_option in zip(old.get(word, []), new.get(word, []), strict=False):
            found += _schema_changes(old_doc, new_doc, old_option, new_option, where, seen)
    return found


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Changes from ``old`` to ``new`` that break a client written against ``old``."""
    found: list[str] = []
    for path, old_item in old.get("paths", {}).items():
        new_item = new.get("paths", {}).get(path, {})
        for method, old_op in old_item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            new_op = new_item.get(method)
            if new_op is None:
                found.append(f"{where}: operation removed")
                continue
            old_params = {(p["in"], p["name"]): p for p in old_op.get("parameters", [])}
            new_params = {(p["in"], p["name"]): p for p in new_op.get("parameters", [])}
            for key, param in old_params.items():
                if key not in new_params:
                    found.append(f"{where}: parameter {key[1]} ({key[0]}) removed")
                else:
                    found += _schema_changes(
                        old, new, param.get("schema"), new_params[key].get("schema"), f"request {where} {key[1]}", set()
                    )
            for key, param in new_params.items():
                if param.get("required") and (key not in old_params or not old_params[key].get("required")):
                    found.append(f"{where}: parameter {key[1]} ({key[0]}) is now required")
            old_body = old_op.get("requestBody", {}).get("content", {})
            new_body = new_op.get("requestBody", {}).get("content", {})
            for media, content in old_body.items():
                if media in new_body:
                    found += _schema_changes(
                        old, new, content.get("schema"), new_body[media].get("schema"), f"request {where}", set()
                    )
            for status, response in old_op.get("responses", {}).items():
                new_response = new_op.get("responses", {}).get(status)
                if new_response is None:
                    found.append(f"{where}: response {status} removed")
                    continue
                for media, content in response.get("content", {}).items():
                    new_content = new_response.get("content", {}).get(media)
                    if new_content is None:
                        found.append(f"{where}: response {status} {media} removed")
                    else:
                        found += _schema_changes(
                            old,
                            new,
                            content.get("schema"),
                            new_content.get("schema"),
                            f"response {where} {status}",
                            set(),
                        )
    return found


# -- descriptions ------------------------------------------------------------------------------------


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def undescribed(document: dict[str, Any]) -> list[str]:
    """Every operation whose summary has no Chinese (the app teams read the list of operations in
    Chinese), every schema field and parameter of ``document`` without a description, and every enum
    without the Chinese labels of its values (``x-enumDescriptions``), one line each."""
    found = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        for field, shape in schema.get("properties", {}).items():
            if not str(shape.get("description", "")).strip():
                found.append(f"schema {name}.{field}")
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if not _CHINESE.search(operation.get("summary", "")):
                found.append(f"operation {method.upper()} {path}: no Chinese in its summary")
            for param in operation.get("parameters", []):
                if not str(param.get("description", "")).strip():
                    found.append(f"parameter {method.upper()} {path} {param['name']} ({param['in']})")
    found += [f"enum {where}: no label for {value}" for where, value in _unlabelled(document)]
    return found


_TRANSPARENT = frozenset({"properties", "items", "anyOf", "oneOf", "allOf"})


def _unlabelled(document: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "enum" in node:
                labels = node.get("x-enumDescriptions", {})
                found.extend((where, str(value)) for value in node["enum"] if not labels.get(str(value)))
            for key, value in node.items():
                walk(value, where if key in _TRANSPARENT else f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for name, schema in document.get("components", {}).get("schemas", {}).items():
        walk(schema, name)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            for param in operation.get("parameters", []) if method in METHODS else []:
                walk(param.get("schema"), f"{method.upper()} {path} {param['name']}")
    return found


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.contract", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check", "print", "gaps"])
    args = parser.parse_args(argv)
    document = build()
    if args.command == "print":
        sys.stdout.write(render(document))
        return 0
    if args.command == "gaps":
        gaps = undescribed(document)
        print("\n".join(gaps) + f"\n{len(gaps)} without a description or label" if gaps else "every field is described")
        return 1 if gaps else 0
    if args.command == "write":
        COMMITTED.write_text(render(document), encoding="utf-8")
        print(
            f"wrote {COMMITTED.relative_to(ROOT)}: {sum(len(item) for item in document['paths'].values())} operations"
        )
        return 0
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    breaking = breaking_changes(committed, document)
    same = render(committed) == render(document)
    print("the live document is the committed one" if same else "the live document differs from docs/openapi.json")
    for change in breaking:
        print(f"  breaking: {change}")
    if not same:
        print(
            "regenerate with: python -m gateway.contract write"
            + (" (the changes above break clients)" if breaking else "")
        )
    return 1 if breaking else 0


if __name__ == "__main__":
    raise SystemExit(main())
