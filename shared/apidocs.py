"""The API documentation pages, with their assets served by the process itself: on a government
intranet (政务外网) with no internet, pages that load Swagger UI or ReDoc from a CDN are blank.

The assets come from the ``fastapi-offline`` package (Swagger UI's bundle and stylesheet, ReDoc's
standalone bundle, a favicon; pinned in pyproject.toml); the pages are FastAPI's own HTML with those
local URLs, and ReDoc without Google's fonts.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def assets_directory() -> str:
    return str(files("fastapi_offline") / "static")


def install(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """``/docs`` (Swagger UI), ``/redoc`` and their assets under ``/docs/assets``, for ``app`` created
    with ``docs_url=None, redoc_url=None``."""
    title = f"{app.title} – API"

    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=title,
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            oauth2_redirect_url=root + OAUTH2_REDIRECT,
            swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
        )

    async def redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=title,
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.router.routes.extend(
        [
            Mount(ASSETS, app=StaticFiles(directory=assets_directory()), name="docs-assets"),
            Route("/docs", swagger, methods=["GET"], include_in_schema=False),
            Route(OAUTH2_REDIRECT, redirect, methods=["GET"], include_in_schema=False),
            Route("/redoc", redoc, methods=["GET"], include_in_schema=False),
        ]
    )
