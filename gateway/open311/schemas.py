"""What Open311 speaks: GeoReport v2 documents in JSON, or XML by the path's ``.xml`` extension, and
the spec's errors (``[{"code", "description"}]``) instead of the platform's problem+json."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import orjson
from fastapi import Request
from starlette.responses import Response


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def render(fmt: str, root: str, item: str, payload: Any, status: int = 200) -> Response:
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


def error_response(fmt: str, error: Open311Error) -> Response:
    return render(fmt, "errors", "error", [{"code": error.status, "description": error.description}], error.status)


async def on_error(request: Request, exc: Exception) -> Response:
    """Any Open311 route's refusal, in the spec's error format and the format the path asked for."""
    assert isinstance(exc, Open311Error)
    fmt = request.path_params.get("fmt")
    return error_response(fmt if fmt in ("json", "xml") else "json", exc)


def check_format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, "format must be json or xml")
    return fmt
